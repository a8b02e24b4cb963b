/* SPDX-License-Identifier: Apache-2.0 */
/* excise plan: the ordered removal steps for what a scan found, as text, JSON or a script. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

enum { OPT_EMIT = OPT_VERB, OPT_PLAN };

static const struct option options[] = {
	{ "emit", required_argument, NULL, OPT_EMIT },
	{ "plan", required_argument, NULL, OPT_PLAN },
	{ "output", required_argument, NULL, 'o' },
	{ 0 },
};

/* In the order of enum excise_plan_format: run->format (main.c's row) from
 * EXCISE_PLAN_TEXT, --emit from EXCISE_PLAN_SH. */
static const char *const emits[] = { "sh", "ps1", NULL };

const char cmd_plan_help[] =
	"usage: excise plan [REPORT.json | --root DIR | --plan PLAN.json] [--format text|json]\n"
	"                   [--emit sh|ps1] [-o FILE] [--catalog FILE --trusted-key KEY]\n"
	"                   [--full] [--xdev] [--threads N] [--only SOURCE,...] [-q]\n\n"
	"The removal plan for what a scan found: from the excise.report/2 (or /1) document REPORT.json,\n"
	"or from a fresh scan of this host (or of the offline root DIR). Every step names the\n"
	"evidence it rests on; what is not acted on is listed with the reason.\n\n"
	"  --plan FILE       write an approved excise.plan/1 document again, unchanged, in\n"
	"                    another format (a script from the plan that was reviewed)\n"
	"  --format FMT      text (default) or json (excise.plan/1, docs/removal.md)\n"
	"  --emit sh|ps1     a script that carries the plan out: sh for Linux and macOS,\n"
	"                    ps1 for Windows; it logs every step and stops on the first failure\n"
	"  -o, --output FILE write to FILE instead of standard output\n"
	"  --full, --xdev, --threads N, --only LIST, -q\n"
	"                    the fresh scan's options, as for excise scan\n\n"
	"exit status: 0 plan written, 1 plan written but a safety rule refused an item (said\n"
	"first, on standard error; excise remove refuses such a plan), 2 error, 3 catalog refused\n";

/* Said before the plan, whatever its format: the items a safety rule refused make the
 * whole plan one excise remove refuses. The count, or 0. */
static size_t say_refused(const struct excise_plan *plan)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->n_skipped; i++)
		n += plan->skipped[i].refused;
	if (n)
		cli_error("%zu item%s refused by a safety rule (listed with what the plan does not act on); the plan "
			  "is written, and excise remove will refuse it", n, n == 1 ? "" : "s");
	return n;
}

int cmd_plan(struct cli_run *run, int argc, char **argv)
{
	struct cli_plan_source src = { .scan = &run->scan, .report_positional = true };
	int emit = -1;
	const char *outpath = NULL;
	int c;
	while ((c = cli_getopt(run, argc, argv, "o:", options)) != -1) {
		switch (c) {
		case OPT_EMIT:
			if ((emit = cli_choice(run, "--emit", optarg, emits)) < 0)
				return EXIT_ERROR;
			break;
		case OPT_PLAN: src.plan = optarg; break;
		case 'o': outpath = optarg; break;
		default:
			return run->exit;
		}
	}
	if (optind < argc)
		src.report = argv[optind++];
	if (optind < argc || !!src.report + run->scan.given + !!src.plan > 1) {
		cli_usage_error(run, "%s", optind < argc ? "one report at most" : "one of a report, --root or --plan");
		return EXIT_ERROR;
	}
	enum excise_plan_format f = emit >= 0 ? EXCISE_PLAN_SH + emit : EXCISE_PLAN_TEXT + run->format;
	struct excise_plan *plan = NULL;
	int rc = cli_load_catalog(run);
	if (!rc)
		rc = cli_obtain_plan(&src, run->catalog, &plan);
	size_t refused = rc ? 0 : say_refused(plan);
	if (!rc) {
		struct cli_output out;
		struct excise_err err = { 0 };
		rc = cli_output_open(&out, outpath);
		if (!rc && excise_plan_write(plan, f, out.f, &err) < 0) {
			cli_error("%s", err.msg[0] ? err.msg : "cannot write the plan");
			rc = EXIT_ERROR;
		}
		if (out.f) {
			int c2 = cli_output_close(&out, rc == 0);
			rc = rc ? rc : c2;
		}
	}
	excise_plan_free(plan);
	return !rc && refused ? EXIT_FOUND : rc;
}
