/* SPDX-License-Identifier: Apache-2.0 */
/* excise scan: run the sources, write the report, exit with the verdict. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_ROOT = 0x2000, OPT_FULL, OPT_XDEV, OPT_THREADS, OPT_ONLY, OPT_FORMAT, OPT_COLOR };

static const struct option options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "xdev", no_argument, NULL, OPT_XDEV },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "quiet", no_argument, NULL, 'q' },
	CLI_CATALOG_OPTIONS,
};

static void help(FILE *out)
{
	fputs("usage: excise scan [--root DIR] [--full] [--xdev] [--threads N] [--only SOURCE,...]\n"
	      "                   [--format text|json|csv] [-o FILE] [--color auto|always|never] [-q]\n"
	      "                   [--catalog FILE [--catalog-sig SIG] --trusted-key KEY...]\n\n"
	      "  --root DIR        scan an offline root (mounted image, VM or container tree)\n"
	      "  --full            also walk the whole filesystem (one filesystem unless --xdev)\n"
	      "  --xdev            let the full walk cross into other filesystems\n"
	      "  --threads N       threads for the full walk (default 2)\n"
	      "  --only LIST       run only these sources:",
	      out);
	for (const char *const *n = excise_source_names(); *n; n++)
		fprintf(out, " %s", *n);
	fputs("\n"
	      "  --format FMT      text (default), json (excise.report/1) or csv\n"
	      "  -o, --output FILE write the report to FILE instead of standard output\n"
	      "  --color WHEN      colour the text report: auto (on a terminal), always, never\n"
	      "  -q, --quiet       no progress line\n"
	      "  --catalog FILE    use a signed catalog file instead of the embedded one\n"
	      "  --catalog-sig SIG its signature (default FILE.minisig)\n"
	      "  --trusted-key KEY a minisign public key (file or base64 line) to trust; repeatable\n\n"
	      "exit status: 0 nothing covered found, 1 covered software found, 2 error or\n"
	      "incomplete scan, 3 catalog refused\n",
	      out);
}

struct progress {
	bool on;
	struct timespec last;
};

static void progress(void *ud, uint64_t entries, uint64_t dirs)
{
	struct progress *p = ud;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 200)
		return;
	p->last = now;
	fprintf(stderr, "\rexcise: walking: %llu entries, %llu directories", (unsigned long long)entries,
		(unsigned long long)dirs);
	p->on = true;
}

/* Split "a,b,c" into a NULL-terminated vector pointing into `s`. */
static const char **split(char *s)
{
	size_t n = 1;
	for (char *p = s; *p; p++)
		n += *p == ',';
	const char **v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	size_t i = 0;
	char *save = NULL;
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save))
		v[i++] = t;
	return v;
}

int cmd_scan(int argc, char **argv)
{
	struct cli_catalog_opts copts = { 0 };
	struct excise_scan_opts opts = { 0 };
	const char *format = "text", *outpath = NULL, *color = "auto";
	char *only = NULL;
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
		if (cli_catalog_opt(&copts, c, optarg))
			continue;
		switch (c) {
		case OPT_ROOT: opts.root = optarg; break;
		case OPT_FULL: opts.flags |= EXCISE_SCAN_FULL; break;
		case OPT_XDEV: opts.flags |= EXCISE_SCAN_XDEV; break;
		case OPT_THREADS: {
			char *end;
			long t = strtol(optarg, &end, 10);
			if (*end || t < 1 || t > 64) {
				cli_error("--threads takes a number from 1 to 64, not '%s'", optarg);
				cli_catalog_opts_done(&copts);
				return EXIT_ERROR;
			}
			opts.threads = (unsigned)t;
			break;
		}
		case OPT_ONLY: only = optarg; break;
		case OPT_FORMAT: format = optarg; break;
		case 'o': outpath = optarg; break;
		case OPT_COLOR: color = optarg; break;
		case 'q': quiet = true; break;
		default:
			return cli_help_exit(c, help, &copts);
		}
	}
	if (optind < argc) {
		cli_error("scan: unexpected argument '%s'", argv[optind]);
		cli_catalog_opts_done(&copts);
		return EXIT_ERROR;
	}
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "csv")) {
		cli_error("--format must be text, json or csv, not '%s'", format);
		cli_catalog_opts_done(&copts);
		return EXIT_ERROR;
	}
	if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never")) {
		cli_error("--color must be auto, always or never, not '%s'", color);
		cli_catalog_opts_done(&copts);
		return EXIT_ERROR;
	}
	const char **onlyv = NULL;
	if (only && !(onlyv = split(only))) {
		cli_error("out of memory");
		cli_catalog_opts_done(&copts);
		return EXIT_ERROR;
	}
	opts.only = onlyv;

	struct excise_catalog *cat = NULL;
	int rc = cli_load_catalog(&copts, &cat);
	cli_catalog_opts_done(&copts);
	if (rc) {
		free(onlyv);
		return rc;
	}

	struct progress prog = { 0 };
	if (!quiet && (opts.flags & EXCISE_SCAN_FULL) && isatty(STDERR_FILENO)) {
		opts.progress = progress;
		opts.progress_data = &prog;
	}
	struct excise_scan *scan = NULL;
	struct excise_err err = { 0 };
	int r = excise_scan_run(cat, &opts, &scan, &err);
	if (prog.on)
		fputs("\r\033[K", stderr);
	free(onlyv);
	if (r < 0) {
		cli_error("%s", err.msg);
		excise_catalog_free(cat);
		return EXIT_ERROR;
	}
	FILE *out = cli_open_output(outpath);
	if (!out) {
		excise_scan_free(scan);
		excise_catalog_free(cat);
		return EXIT_ERROR;
	}
	bool tty = isatty(fileno(out)) && !getenv("NO_COLOR");
	unsigned flags = (!strcmp(color, "always") || (!strcmp(color, "auto") && tty)) ? EXCISE_REPORT_COLOR : 0;
	if (!strcmp(format, "json"))
		r = excise_report_json(scan, out);
	else if (!strcmp(format, "csv"))
		r = excise_report_csv(scan, out);
	else
		r = excise_report_text(scan, out, flags);
	if (out != stdout && fclose(out) != 0 && r == 0)
		r = -EIO;
	if (r < 0)
		cli_error("cannot write the report%s%s: %s", outpath ? " to " : "", outpath ? outpath : "",
			  excise_strerror(r));
	for (size_t i = 0; i < scan->n_sources; i++)
		if (scan->sources[i].status == EXCISE_SOURCE_FAILED)
			cli_error("source %s failed: %s", scan->sources[i].name,
				  scan->sources[i].error ? scan->sources[i].error : "unknown error");
	int code = excise_scan_verdict(scan, NULL);
	excise_scan_free(scan);
	excise_catalog_free(cat);
	return r < 0 ? EXIT_ERROR : code;
}
