/* SPDX-License-Identifier: Apache-2.0 */
/* excise scan: run the sources, write the report, exit with the verdict. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_COLOR = OPT_VERB, OPT_SUBMIT };

static const struct option options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "verbose", no_argument, NULL, 'v' },
	{ "submit", optional_argument, NULL, OPT_SUBMIT },
	{ 0 },
};

/* run->format: main.c's row names them in this order */
enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV };
static const char *const colors[] = { "auto", "always", "never", NULL };
enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

void cmd_scan_help(FILE *out)
{
	fputs("usage: excise scan [--root DIR] [--full] [--xdev] [--threads N] [--only SOURCE,...]\n"
	      "                   [--format text|json|csv] [-o FILE] [--color auto|always|never] [-v] [-q]\n"
	      "                   [--catalog FILE [--catalog-sig SIG] --trusted-key KEY...] [--submit [URL]]\n\n"
	      "  --root DIR        scan an offline root (mounted image, VM or container tree)\n"
	      "  --full            also walk the whole filesystem (one filesystem unless --xdev)\n"
	      "  --xdev            let the full walk cross into other filesystems\n"
	      "  --threads N       threads for the full walk (default 2)\n"
	      "  --only LIST       run only these sources:",
	      out);
	for (const char *const *n = excise_source_names(); *n; n++)
		fprintf(out, " %s", *n);
	fputs("\n"
	      "  --format FMT      text (default), json (excise.report/2) or csv\n"
	      "  -o, --output FILE write the report to FILE instead of standard output\n"
	      "  --color WHEN      colour the text report: auto (on a terminal), always, never\n"
	      "  -v, --verbose     text: every indicator of every artifact, lines at full width\n"
	      "  -q, --quiet       no progress line\n"
	      "  --catalog FILE    use a signed catalog file instead of the embedded one\n"
	      "  --catalog-sig SIG its signature (default FILE.minisig)\n"
	      "  --trusted-key KEY a minisign public key (file or base64 line) to trust; repeatable\n"
	      "  --submit [URL]    also send the JSON report (whatever --format shows) to the collector\n"
	      "                    the machine enrolled with (or URL), spooled when it cannot be\n"
	      "                    delivered, then send what the spool holds (excise submit)\n\n"
	      "exit status: 0 nothing covered found, 1 covered software found, 2 error or\n"
	      "incomplete scan (or, with --submit, a report neither delivered nor spooled),\n"
	      "3 catalog refused\n",
	      out);
}

/* Columns of the text report: the terminal's when it goes to one, else $COLUMNS, else the default. */
static unsigned text_width(FILE *out)
{
	struct winsize ws;
	if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
	    ws.ws_col <= EXCISE_MAX_TEXT_WIDTH)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	char *end;
	long n = c && *c ? strtol(c, &end, 10) : 0;
	return n > 0 && n <= EXCISE_MAX_TEXT_WIDTH && !*end ? (unsigned)n : EXCISE_REPORT_TEXT_WIDTH;
}

/* --submit: the scan's JSON report to the collector; EXIT_ERROR (said) only when it
 * could be neither delivered nor spooled. */
static int submit_report(const struct excise_scan *scan, const char *url, bool quiet)
{
	char *json = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&json, &len);
	int r = m ? excise_report_json(scan, m) : -ENOMEM;
	if (m && fclose(m) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(json);
		cli_error("--submit: cannot make the JSON report: %s", excise_strerror(r));
		return EXIT_ERROR;
	}
	char name[64];
	snprintf(name, sizeof(name), "report %s", scan->report_id);
	int rc = cli_submit_report(url, name, json, len, quiet);
	free(json);
	return rc;
}

int cmd_scan(struct cli_run *run, int argc, char **argv)
{
	int color = COLOR_AUTO;
	bool verbose = false;
	const char *outpath = NULL, *submit_url = NULL;
	bool submit = false;
	int c;
	while ((c = cli_getopt(run, argc, argv, "o:v", options)) != -1) {
		switch (c) {
		case 'o': outpath = optarg; break;
		case 'v': verbose = true; break;
		case OPT_SUBMIT:
			submit = true;
			submit_url = optarg;
			break;
		case OPT_COLOR:
			if ((color = cli_choice(run, "--color", optarg, colors)) < 0)
				return EXIT_ERROR;
			break;
		default:
			return run->exit;
		}
	}
	/* --submit URL: the URL as the next word */
	if (submit && !submit_url && optind + 1 == argc)
		submit_url = argv[optind++];
	if (submit_url && !*submit_url) {
		cli_usage_error(run, "--submit: empty URL");
		return EXIT_ERROR;
	}
	if (optind < argc) {
		cli_usage_error(run, "unexpected argument '%s'", argv[optind]);
		return EXIT_ERROR;
	}
	int rc = cli_load_catalog(run);
	struct excise_scan *scan = NULL;
	if (!rc)
		rc = cli_scan(&run->scan, run->catalog, &scan);
	if (rc)
		return rc;
	struct cli_output o;
	if (cli_output_open(&o, outpath)) {
		excise_scan_free(scan);
		return EXIT_ERROR;
	}
	FILE *out = o.f;
	bool tty = isatty(fileno(out)) && !getenv("NO_COLOR");
	unsigned flags = color == COLOR_ALWAYS || (color == COLOR_AUTO && tty) ? EXCISE_REPORT_COLOR : 0;
	if (verbose)
		flags |= EXCISE_REPORT_VERBOSE;
	int r = run->format == FORMAT_JSON ? excise_report_json(scan, out) :
		run->format == FORMAT_CSV  ? excise_report_csv(scan, out) :
					excise_report_text_width(scan, out, flags, text_width(out));
	bool said = false;
	if (cli_output_close(&o, r == 0) != 0 && r == 0) {
		r = -EIO;
		said = true;
	}
	if (r < 0 && !said)
		cli_error("cannot write the report%s%s: %s", outpath ? " to " : "", outpath ? outpath : "",
			  excise_strerror(r));
	cli_scan_failures(scan);
	rc = r < 0 ? EXIT_ERROR : excise_scan_verdict(scan, NULL);
	if (submit && submit_report(scan, submit_url, run->scan.quiet))
		rc = EXIT_ERROR;
	excise_scan_free(scan);
	return rc;
}
