/* SPDX-License-Identifier: Apache-2.0 */
/* excise remove / excise restore: carry out a removal plan, resume it, undo it. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "excise/remove.h"

enum { OPT_PLAN = OPT_VERB, OPT_REPORT, OPT_APPLY, OPT_RESUME, OPT_RUNS, OPT_QUARANTINE, OPT_YES, OPT_REINSTALL };

static const struct option options[] = {
	{ "plan", required_argument, NULL, OPT_PLAN },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "apply", no_argument, NULL, OPT_APPLY },
	{ "resume", required_argument, NULL, OPT_RESUME },
	{ "runs-dir", required_argument, NULL, OPT_RUNS },
	{ "quarantine", required_argument, NULL, OPT_QUARANTINE },
	{ "yes", no_argument, NULL, OPT_YES },
	{ 0 },
};

const char cmd_remove_help[] =
	"usage: excise remove [--root DIR] [--plan PLAN.json | --report REPORT.json] [--apply [--yes]]\n"
	"                     [--runs-dir DIR] [--quarantine DIR] [-q] [--catalog FILE --trusted-key KEY]\n"
	"       excise remove --resume RUN_DIR [--root DIR] [--runs-dir DIR] [--catalog FILE --trusted-key KEY]\n\n"
	"Removes what the plan names from this Linux host or the offline root DIR. Without\n"
	"--apply it is a dry run: every step is checked against the host as it is now and\n"
	"shown, nothing is changed. Without --plan or --report, the root is scanned and\n"
	"planned first; --apply then needs --yes, as nobody reviewed that plan.\n\n"
	"  --root DIR          an offline Linux root (mounted image, VM or container tree); with\n"
	"                      --plan or --report it must be the root the plan records (it acts\n"
	"                      on that root; another is refused); --resume acts only on the root\n"
	"                      named here (none: this host), which the run must record\n"
	"  --full, --xdev, --threads N, --only LIST\n"
	"                      the scan's options when there is no plan or report (excise scan)\n"
	"  --plan FILE         an excise.plan/1 document (excise plan --format json)\n"
	"  --report FILE       an excise.report/2 (or /1) document to plan from\n"
	"  --apply             carry the plan out\n"
	"  --yes               with --apply and no --plan: carry out a plan nobody reviewed\n"
	"  --runs-dir DIR      where the run directory (plan, journal, manifest, logs) goes, and\n"
	"                      where --resume looks for it; default /var/lib/excise/runs on this\n"
	"                      host, never inside an offline root\n"
	"  --quarantine DIR    where removed files are kept; default ROOT/var/lib/excise/quarantine\n"
	"                      (on the root's filesystem: a move is one rename)\n"
	"  --resume RUN_DIR    continue an interrupted run from its journal\n\n"
	"exit status: 0 every step done (or the dry run found nothing to refuse),\n"
	"1 a step failed or was refused (the journal says which), 2 error or the plan refused,\n"
	"3 catalog refused\n";

struct ui {
	bool quiet;
	bool dry;            /* a dry run: outcomes are what would happen */
	const char *kill_at; /* EXCISE_TEST_KILL_AT=STEP:begin|end, for the crash tests */
};

/* A step of the dry run: would-do, already-done, skipped or refused, then each
 * command and path (lib/remove/dry.c), one a line. */
static void say_dry(enum excise_step_outcome o, const char *detail)
{
	const char *mark = o == EXCISE_STEP_DONE ? "would-do" : o == EXCISE_STEP_ALREADY ? "already-done" :
			   o == EXCISE_STEP_SKIPPED ? "skipped" : o == EXCISE_STEP_REFUSED ? "refused" : "failed";
	printf("        %s\n", mark);
	for (const char *l = detail; l && *l;) {
		size_t n = strcspn(l, "\n");
		char *line = strndup(l, n);
		excise_text_printf(stdout, "          %s\n", line ? line : "?");
		free(line);
		l += n + (l[n] == '\n');
	}
	fflush(stdout);
}

static void log_step(void *ud, const struct excise_plan_step *s, size_t n, enum excise_step_outcome o,
		     const char *detail)
{
	struct ui *u = ud;
	if (u->quiet)
		return;
	if (o == EXCISE_STEP_PENDING) {
		bool cert = s->action == EXCISE_PLAN_REMOVE_CERT && s->path;
		excise_text_printf(stdout, "[%u/%zu] %s %s%s%s%s%s\n", s->id, n, excise_plan_action_name(s->action),
				   s->target, s->version ? " " : "", s->version ? s->version : "", cert ? " in " : "",
				   cert ? s->path : "");
		fflush(stdout);
		return;
	}
	if (u->dry) {
		say_dry(o, detail);
		return;
	}
	excise_text_printf(stdout, "        %s%s%s\n", excise_step_outcome_name(o), detail && detail[0] ? ": " : "",
			   detail ? detail : "");
	fflush(stdout);
}

static void hook(void *ud, unsigned step, const char *event)
{
	struct ui *u = ud;
	if (!u->kill_at)
		return;
	char want[64];
	snprintf(want, sizeof(want), "%u:%s", step, event);
	if (strcmp(want, u->kill_at) == 0) {
		fflush(NULL);
		raise(SIGKILL);
	}
}

static int summary(const struct excise_remove_result *res, bool apply)
{
	if (!apply) {
		printf("dry run: %zu step%s checked against the host, nothing changed; --apply to carry them out\n",
		       res->n_steps, res->n_steps == 1 ? "" : "s");
		return 0;
	}
	excise_text_printf(stdout, "run %s: %zu done (%zu object%s moved to quarantine, %zu package%s purged), "
			   "%zu already gone, %zu skipped, %zu failed, %zu refused\n", res->run_id, res->n_done,
			   res->n_moved, res->n_moved == 1 ? "" : "s", res->n_purged, res->n_purged == 1 ? "" : "s",
			   res->n_already, res->n_skipped, res->n_failed, res->n_refused);
	if (res->run_dir)
		excise_text_printf(stdout, "journal: %s\n", res->run_dir);
	if (res->reboot_required)
		printf("a reboot is needed to finish\n");
	if (res->n_failed || res->n_refused) {
		excise_text_printf(stdout, "stopped; fix the cause, then: excise remove --resume %s\n",
				   res->run_dir ? res->run_dir : "RUN_DIR");
		return EXIT_FOUND;
	}
	size_t ended = res->n_done + res->n_already + res->n_skipped;
	if (ended < res->n_steps)
		return EXIT_FOUND;
	printf("next: excise verify to rescan and attest the result\n");
	return 0;
}

/* Carry the plan out (or resume the run); the result or EXIT_ERROR (said). */
static int run_plan(const struct cli_run *run, const struct cli_plan_source *src, const char *resume,
		    struct excise_remove_opts *ro, struct excise_remove_result **ret)
{
	struct excise_err err = { 0 };
	struct excise_plan *plan = NULL;
	int r;
	if (resume) {
		ro->apply = true;
		if (cli_check_run_dir(resume))
			return EXIT_ERROR;
		r = excise_remove_resume(resume, ro, ret, &err);
	} else {
		if (cli_obtain_plan(src, run->catalog, &plan))
			return EXIT_ERROR;
		r = excise_remove_run(plan, ro, ret, &err);
		excise_plan_free(plan);
	}
	if (r < 0) {
		cli_error("%s", err.msg);
		if (r == -EXCISE_E_REFUSED || r == -EXCISE_E_CHANGED)
			cli_error("nothing was changed");
		return EXIT_ERROR;
	}
	return 0;
}

/* Review before harm: --apply acts on a plan someone read (--plan) or was told to
 * trust (--yes); a usage error naming both ways otherwise. */
static int review_first(const struct cli_plan_source *src, const char *resume, bool apply, bool yes)
{
	if (!apply || resume || src->plan || yes)
		return 0;
	cli_error("remove --apply without --plan carries out a plan nobody reviewed: make one with "
		  "excise plan %s--format json -o PLAN.json, read it, then excise remove --plan PLAN.json --apply; "
		  "or pass --yes", src->report ? "REPORT.json " : "[--root DIR] ");
	fputs("Try 'excise remove --help' for more information.\n", stderr);
	return EXIT_ERROR;
}

int cmd_remove(struct cli_run *run, int argc, char **argv)
{
	struct cli_plan_source src = { .scan = &run->scan };
	const char *resume = NULL;
	struct excise_remove_opts ro = { 0 };
	bool yes = false;
	int c;
	while ((c = cli_getopt(run, argc, argv, "", options)) != -1) {
		switch (c) {
		case OPT_PLAN: src.plan = optarg; break;
		case OPT_REPORT: src.report = optarg; break;
		case OPT_APPLY: ro.apply = true; break;
		case OPT_RESUME: resume = optarg; break;
		case OPT_RUNS: ro.runs_dir = optarg; break;
		case OPT_QUARANTINE: ro.quarantine_dir = optarg; break;
		case OPT_YES: yes = true; break;
		default:
			return run->exit;
		}
	}
	/* --resume takes --root (checked against the run's), not the other scan options */
	bool scan_other = run->scan.scan.flags || run->scan.scan.threads || run->scan.only;
	if (optind < argc || (resume && (src.plan || src.report || scan_other)) || (src.plan && src.report)) {
		cli_usage_error(run, "%s", optind < argc ? "unexpected argument" :
			  resume ? "--resume takes the run directory alone" : "--plan or --report, not both");
		return EXIT_ERROR;
	}
	if (review_first(&src, resume, ro.apply, yes))
		return EXIT_ERROR;
	if ((ro.runs_dir && ro.runs_dir[0] != '/') || (ro.quarantine_dir && ro.quarantine_dir[0] != '/')) {
		cli_usage_error(run, "--runs-dir and --quarantine take absolute paths");
		return EXIT_ERROR;
	}
	struct ui ui = { .quiet = run->scan.quiet, .dry = !ro.apply && !resume, .kill_at = getenv("EXCISE_TEST_KILL_AT") };
	struct excise_remove_result *res = NULL;
	int rc = cli_load_catalog(run);
	ro.catalog = run->catalog;
	ro.root = run->scan.scan.root; /* the plan's or run's root must be this one */
	ro.runs_dir = cli_runs_dir(ro.runs_dir);
	ro.log = log_step;
	ro.hook = hook;
	ro.userdata = &ui;
	if (!rc)
		rc = run_plan(run, &src, resume, &ro, &res);
	if (!rc)
		rc = summary(res, ro.apply);
	excise_remove_result_free(res);
	return rc;
}

const char cmd_restore_help[] =
	"usage: excise restore RUN_DIR [--root DIR] [--runs-dir DIR] [--reinstall FILE...]\n\n"
	"Puts back every file the removal run RUN_DIR moved to quarantine, byte-exact with its\n"
	"owner, mode, times and extended attributes, and the trust bundles it rewrote.\n"
	"Packages are not restorable by copying files: their names and versions are listed\n"
	"so they can be reinstalled. It acts only on the root named (none: this host), which\n"
	"the run's records must name too; the run directory must lie in the runs folder,\n"
	"outside that root.\n\n"
	"  --root DIR           the offline root the run worked on; another is refused, nothing touched\n"
	"  --runs-dir DIR       the folder the run directory is in (default /var/lib/excise/runs)\n"
	"  --reinstall FILE...  package files (.deb, .rpm) of packages the run purged, installed\n"
	"                       back: on the live host with dpkg -i or rpm -i; on an offline root a\n"
	"                       .deb is unpacked into it and left \"unpacked\" in its dpkg database\n"
	"                       (configured on the image: dpkg --configure -a), no program of the\n"
	"                       image run; an rpm is refused there. Each file must hold a package\n"
	"                       the run purged (another version: a warning); checked first\n\n"
	"exit status: 0 everything restored, 1 some entries left in quarantine (listed), 2 error\n";

static const struct option restore_options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "runs-dir", required_argument, NULL, OPT_RUNS },
	{ "reinstall", required_argument, NULL, OPT_REINSTALL },
	{ 0 },
};

/* The links restore put back whose targets are gone (taken with a purged package). */
static void restore_say_dangling(const struct excise_restore_result *res)
{
	for (char **d = res->dangling; d && *d; d++)
		excise_text_printf(stdout, "  restored, but its target is gone: %s\n", *d);
}

/* The package files of --reinstall: each of its arguments, then the arguments after
 * RUN_DIR (--reinstall a.deb b.deb). NULL-terminated, into `files` (argc + 1 slots). */
static size_t restore_files(int argc, char **argv, const char **files, size_t n)
{
	for (int i = optind + 1; i < argc; i++)
		files[n++] = argv[i];
	files[n] = NULL;
	return n;
}

int cmd_restore(struct cli_run *run, int argc, char **argv)
{
	struct excise_restore_opts ro = { 0 };
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	size_t n_files = 0;
	int c;
	if (!files) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	while ((c = cli_getopt(run, argc, argv, "", restore_options)) != -1) {
		if (c == OPT_REINSTALL) {
			files[n_files++] = optarg;
			continue;
		}
		if (c == OPT_RUNS) {
			ro.runs_dir = optarg;
			continue;
		}
		if (c != OPT_ROOT || !*optarg) {
			if (c == OPT_ROOT)
				cli_error("--root: empty path");
			free(files);
			return c == OPT_ROOT ? EXIT_ERROR : run->exit;
		}
		ro.root = optarg;
	}
	if (optind >= argc || (optind + 1 != argc && !n_files)) {
		cli_usage_error(run, "one run directory to restore%s", optind < argc ? " (package files go with --reinstall)" : "");
		free(files);
		return EXIT_ERROR;
	}
	n_files = restore_files(argc, argv, files, n_files);
	ro.runs_dir = cli_runs_dir(ro.runs_dir);
	ro.reinstall = files;
	struct excise_err err = { 0 };
	struct excise_restore_result *res = NULL;
	if (cli_check_run_dir(argv[optind])) {
		free(files);
		return EXIT_ERROR;
	}
	int r = excise_restore_run_opts(argv[optind], &ro, &res, &err);
	free(files);
	if (r < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	printf("restored %zu entr%s; %zu left in quarantine\n", res->n_restored, res->n_restored == 1 ? "y" : "ies",
	       res->n_conflicts);
	for (char **n = res->notes; n && *n; n++)
		excise_text_printf(stdout, "  %s\n", *n);
	for (char **p = res->reinstalled; p && *p; p++)
		excise_text_printf(stdout, "  reinstalled: %s\n", *p);
	for (char **p = res->packages; p && *p; p++)
		excise_text_printf(stdout, "  not restorable by file copy, reinstall: %s\n", *p);
	restore_say_dangling(res);
	int rc = res->n_conflicts ? EXIT_FOUND : 0;
	excise_restore_result_free(res);
	return rc;
}
