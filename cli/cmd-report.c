/* SPDX-License-Identifier: Apache-2.0 */
/* excise report: the directive reports and the host and finding lists, from the
 * collector's database (docs/fleet.md). */
#include <getopt.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "excise/fleet.h"

enum { OPT_DB = OPT_VERB, OPT_DIRECTIVE, OPT_KIND, OPT_CONFIG, OPT_ORG_UNIT, OPT_NOW, OPT_STATE, OPT_STALE };

static const struct option options[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "directive", required_argument, NULL, OPT_DIRECTIVE },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "org-unit", required_argument, NULL, OPT_ORG_UNIT },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "stale-days", required_argument, NULL, OPT_STALE },
	{ "output", required_argument, NULL, 'o' },
	{ 0 },
};

/* In the order of enum excise_freport_kind. */
static const char *const kinds[] = { "day30", "day60", "status", "far", "hosts", "findings", NULL };

const char cmd_report_help[] =
	"usage: excise report --db PATH|postgresql://URL --kind KIND [--directive ID]\n"
	"                     [--format text|json|csv|html] [--config FILE] [--org-unit PATH]\n"
	"                     [--state STATE] [--now DATE] [--stale-days N] [-o FILE]\n\n"
	"A report from the collector's database (the SQLite file excise serve keeps, or a\n"
	"PostgreSQL URL). Each host's state for the directive and each milestone's due date\n"
	"come from what its reports, plans, removal runs and attestations said (docs/fleet.md).\n\n"
	"  --kind KIND       day30   BOD 17-01 day 30: products found (or the statement that none\n"
	"                            were), endpoints per product, how they were found, coverage\n"
	"                    day60   the plan of action, items a-n: measured ones from the database,\n"
	"                            the operator's from --config\n"
	"                    status  the 30-day status after day 90: removed, remaining, overdue, exempt\n"
	"                    far     FAR 52.204-23 (c): the covered articles, contract fields from --config\n"
	"                    hosts   one row per host: state, dates, milestones; with totals (JSON)\n"
	"                    findings the covered findings of each host's latest report\n"
	"  --directive ID    the directive (default: far-52.204-23 for far, else dhs-bod-17-01)\n"
	"  --format FMT      text (default), json, csv (hosts, findings) or html (a printable,\n"
	"                    self-contained page: day30, day60, status, far)\n"
	"  --config FILE     the operator's facts (agency, point of contact, contract numbers...):\n"
	"                    a JSON file, docs/fleet.md\n"
	"  --org-unit PATH   only hosts of this org unit and those below it (agency/bureau/site)\n"
	"  --state STATE     hosts only: those in this state (never_reported, clean, identified,\n"
	"                    plan_recorded, removal_started, removed, verified, exempt, stale,\n"
	"                    error, retired)\n"
	"  --now DATE        the report's date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; default now)\n"
	"  --stale-days N    days of silence before a host is stale (default: the config's, else 7)\n"
	"  -o, --output FILE write to FILE (it appears only when the report is complete)\n\n"
	"exit status: 0 report written, 2 error, 3 catalog refused\n";

/* A report of 100,000 hosts allocates some 100 MB in small pieces (SQLite's page cache,
 * libpq's copy of a result, the rows' exemptions), and on a virtual machine the first
 * write of each 4 KiB page is a fault that costs more than what is written: the heap
 * grows in HEAP_PAD steps, the first of them on transparent huge pages (madvise, the
 * kernel's default mode), 512 times fewer faults. An optimisation: where any of it
 * fails nothing else changes. */
#define HEAP_PAD (256u << 20)
#define HEAP_HUGE_PAGE (2u << 20)

static void heap_on_huge_pages(void)
{
#if defined(M_TOP_PAD) && defined(MADV_HUGEPAGE)
	if (!mallopt(M_TOP_PAD, HEAP_PAD) || !mallopt(M_TRIM_THRESHOLD, 2 * HEAP_PAD))
		return;
	uintptr_t before = (uintptr_t)sbrk(0), after = before;
	/* blocks below the mmap threshold come from the heap: the first that does not fit
	 * grows it by HEAP_PAD */
	void *p[8] = { 0 };
	for (size_t i = 0; i < 8 && after == before; i++) {
		p[i] = malloc(96u << 10);
		after = (uintptr_t)sbrk(0);
	}
	for (size_t i = 0; i < 8; i++)
		free(p[i]);
	uintptr_t a = (before + HEAP_HUGE_PAGE - 1) & ~(uintptr_t)(HEAP_HUGE_PAGE - 1);
	if (before != (uintptr_t)-1 && after > a + HEAP_HUGE_PAGE)
		madvise((void *)a, (after - a) & ~(uintptr_t)(HEAP_HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
}

static int bad(struct cli_run *run, const char *what, const char *arg)
{
	cli_usage_error(run, "%s: invalid value '%s'", what, arg);
	return EXIT_ERROR;
}

int cmd_report(struct cli_run *run, int argc, char **argv)
{
	const char *db = NULL, *directive = NULL, *config = NULL, *org_unit = NULL, *outpath = NULL;
	int kind = -1;
	struct excise_fleet_query q = { .state = -1, .now = (int64_t)time(NULL) };
	int64_t stale_days = 0;
	int c;
	while ((c = cli_getopt(run, argc, argv, "o:", options)) != -1) {
		switch (c) {
		case OPT_DB: db = optarg; break;
		case OPT_DIRECTIVE: directive = optarg; break;
		case OPT_KIND:
			if ((kind = cli_choice(run, "--kind", optarg, kinds)) < 0)
				return EXIT_ERROR;
			break;
		case OPT_CONFIG: config = optarg; break;
		case OPT_ORG_UNIT: org_unit = optarg; break;
		case OPT_NOW:
			if (excise_fleet_time_parse(optarg, &q.now) < 0)
				return bad(run, "--now", optarg);
			break;
		case OPT_STATE: {
			enum excise_fleet_state s;
			if (excise_fleet_state_parse(optarg, &s) < 0)
				return bad(run, "--state", optarg);
			q.state = (int)s;
			break;
		}
		case OPT_STALE: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 3650)
				return bad(run, "--stale-days (1 to 3650)", optarg);
			stale_days = v;
			break;
		}
		case 'o': outpath = optarg; break;
		default:
			return run->exit;
		}
	}
	if (optind < argc || !db || kind < 0) {
		cli_usage_error(run, "%s", optind < argc ? "no arguments besides the options" : !db ? "--db is required"
												   : "--kind is required");
		return EXIT_ERROR;
	}
	if (q.state >= 0 && kind != EXCISE_FREPORT_HOSTS) {
		cli_usage_error(run, "--state goes with --kind hosts");
		return EXIT_ERROR;
	}
	enum excise_freport_format fmt = (enum excise_freport_format)run->format;
	bool table = kind == EXCISE_FREPORT_HOSTS || kind == EXCISE_FREPORT_FINDINGS;
	if ((table && fmt == EXCISE_FREPORT_HTML) || (!table && fmt == EXCISE_FREPORT_CSV)) {
		cli_usage_error(run, "--format %s does not go with --kind %s (csv: hosts, findings; html: day30, day60, "
				     "status, far)", fmt == EXCISE_FREPORT_CSV ? "csv" : "html", kinds[kind]);
		return EXIT_ERROR;
	}
	q.directive = directive ? directive : kind == EXCISE_FREPORT_FAR ? "far-52.204-23" : "dhs-bod-17-01";
	q.org_unit = org_unit;
	int rc = cli_load_catalog(run);
	if (rc)
		return rc;
	struct excise_err err = { 0 };
	struct excise_freport_config *cfg = NULL;
	struct excise_store *st = NULL;
	struct excise_fleet_list *l = NULL;
	struct excise_fleet_findings *fs = NULL;
	if (config && excise_freport_config_read(config, &cfg, &err) < 0)
		rc = EXIT_ERROR;
	q.settings.stale = stale_days ? stale_days * 86400 : excise_freport_config_stale(cfg);
	q.settings.closed = excise_freport_config_closed(cfg, &q.settings.n_closed);
	heap_on_huge_pages();
	if (!rc && excise_fleet_open(db, run->catalog, &st, &err) < 0)
		rc = EXIT_ERROR;
	if (!rc && excise_fleet_hosts(st, run->catalog, &q, &l, &err) < 0)
		rc = EXIT_ERROR;
	if (!rc && kind != EXCISE_FREPORT_HOSTS && kind != EXCISE_FREPORT_STATUS &&
	    excise_fleet_findings_get(st, run->catalog, &q, &fs, &err) < 0)
		rc = EXIT_ERROR;
	if (rc)
		cli_error("%s", err.msg[0] ? err.msg : "report failed");
	if (!rc) {
		struct cli_output out;
		rc = cli_output_open(&out, outpath);
		if (!rc && excise_freport_write(out.f, (enum excise_freport_kind)kind, fmt, l, fs, cfg, run->catalog,
						&err) < 0) {
			cli_error("%s", err.msg[0] ? err.msg : "cannot write the report");
			rc = EXIT_ERROR;
		}
		if (out.f) {
			int c2 = cli_output_close(&out, rc == 0);
			rc = rc ? rc : c2;
		}
	}
	excise_fleet_findings_free(fs);
	excise_fleet_list_free(l);
	excise_store_close(st);
	excise_freport_config_free(cfg);
	return rc;
}
