/* SPDX-License-Identifier: Apache-2.0 */
/* excise plan: the ordered removal steps for what a scan found, as text, JSON or a script. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum { OPT_ROOT = 0x2000, OPT_FORMAT, OPT_EMIT, OPT_PLAN };

static const struct option options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "emit", required_argument, NULL, OPT_EMIT },
	{ "plan", required_argument, NULL, OPT_PLAN },
	{ "output", required_argument, NULL, 'o' },
	CLI_CATALOG_OPTIONS,
};

static void help(FILE *out)
{
	fputs("usage: excise plan [REPORT.json | --root DIR | --plan PLAN.json] [--format text|json]\n"
	      "                   [--emit sh|ps1] [-o FILE] [--catalog FILE --trusted-key KEY]\n\n"
	      "The removal plan for what a scan found: from the excise.report/1 document REPORT.json,\n"
	      "or from a fresh scan of this host (or of the offline root DIR). Every step names the\n"
	      "evidence it rests on; what is not acted on is listed with the reason.\n\n"
	      "  --plan FILE       write an approved excise.plan/1 document again, unchanged, in\n"
	      "                    another format (a script from the plan that was reviewed)\n"
	      "  --format FMT      text (default) or json (excise.plan/1, docs/removal.md)\n"
	      "  --emit sh|ps1     a script that carries the plan out: sh for Linux and macOS,\n"
	      "                    ps1 for Windows; it logs every step and stops on the first failure\n"
	      "  -o, --output FILE write to FILE instead of standard output\n\n"
	      "exit status: 0 plan written, 2 error, 3 catalog refused\n",
	      out);
}

int cmd_plan(int argc, char **argv)
{
	struct cli_catalog_opts copts = { 0 };
	struct cli_plan_source src = { 0 };
	const char *format = "text", *emit = NULL, *outpath = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		if (cli_catalog_opt(&copts, c, optarg))
			continue;
		switch (c) {
		case OPT_ROOT: src.root = optarg; break;
		case OPT_FORMAT: format = optarg; break;
		case OPT_EMIT: emit = optarg; break;
		case OPT_PLAN: src.plan = optarg; break;
		case 'o': outpath = optarg; break;
		default:
			return cli_help_exit(c, help, &copts);
		}
	}
	if (optind < argc)
		src.report = argv[optind++];
	enum excise_plan_format f = EXCISE_PLAN_TEXT;
	const char *bad = optind < argc ? "one report at most" :
			  !!src.report + !!src.root + !!src.plan > 1 ? "one of a report, --root or --plan" : NULL;
	if (!bad && emit)
		f = !strcmp(emit, "sh") ? EXCISE_PLAN_SH : !strcmp(emit, "ps1") ? EXCISE_PLAN_PS1 : (bad = "--emit takes sh or ps1", f);
	else if (!bad)
		f = !strcmp(format, "json") ? EXCISE_PLAN_JSON : !strcmp(format, "text") ? EXCISE_PLAN_TEXT :
		    (bad = "--format takes text or json", f);
	if (bad) {
		cli_error("plan: %s", bad);
		cli_catalog_opts_done(&copts);
		return EXIT_ERROR;
	}
	struct excise_catalog *cat = NULL;
	int rc = cli_load_catalog(&copts, &cat);
	cli_catalog_opts_done(&copts);
	if (rc)
		return rc;
	struct excise_plan *plan = NULL;
	rc = cli_obtain_plan(&src, cat, &plan);
	if (rc == 0) {
		FILE *out = cli_open_output(outpath);
		struct excise_err err = { 0 };
		if (!out || excise_plan_write(plan, f, out, &err) < 0 || (out != stdout && fclose(out) != 0)) {
			if (err.msg[0])
				cli_error("%s", err.msg);
			rc = EXIT_ERROR;
		}
	}
	excise_plan_free(plan);
	excise_catalog_free(cat);
	return rc;
}
