/* SPDX-License-Identifier: Apache-2.0 */
/* scan-opts: the options of every verb that scans, parsed once, and the scan they make. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const struct option cli_scan_options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "xdev", no_argument, NULL, OPT_XDEV },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "quiet", no_argument, NULL, 'q' },
	{ 0 },
};

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

int cli_scan_opt(struct cli_scan_opts *o, int opt, char *arg)
{
	char *end;
	long t;
	switch (opt) {
	case 'q':
		o->quiet = true;
		return 1;
	case OPT_ROOT:
		/* an empty shell variable must not mean the live host */
		if (!*arg) {
			cli_error("--root: empty path");
			return -1;
		}
		o->scan.root = arg;
		break;
	case OPT_FULL:
		o->scan.flags |= EXCISE_SCAN_FULL;
		break;
	case OPT_XDEV:
		o->scan.flags |= EXCISE_SCAN_XDEV;
		break;
	case OPT_THREADS:
		t = strtol(arg, &end, 10);
		if (*end || t < 1 || t > EXCISE_MAX_WALK_THREADS) {
			cli_error("--threads takes a number from 1 to %u, not '%s'", EXCISE_MAX_WALK_THREADS, arg);
			return -1;
		}
		o->scan.threads = (unsigned)t;
		break;
	case OPT_ONLY:
		free(o->only);
		if (!(o->only = split(arg))) {
			cli_error("out of memory");
			return -1;
		}
		o->scan.only = o->only;
		break;
	default:
		return 0;
	}
	o->given = true;
	return 1;
}

void cli_scan_opts_done(struct cli_scan_opts *o)
{
	free(o->only);
	*o = (struct cli_scan_opts){ 0 };
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

int cli_scan(const struct cli_scan_opts *o, const struct excise_catalog *c, struct excise_scan **ret)
{
	struct excise_scan_opts so = o->scan;
	struct progress prog = { 0 };
	if (!o->quiet && (so.flags & EXCISE_SCAN_FULL) && isatty(STDERR_FILENO)) {
		so.progress = progress;
		so.progress_data = &prog;
	}
	struct excise_err err = { 0 };
	int r = excise_scan_run(c, &so, ret, &err);
	if (prog.on)
		fputs("\r\033[K", stderr);
	if (r < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	return 0;
}

static const char *failure(const struct excise_source_result *src)
{
	return src->error ? src->error : "unknown error";
}

/* One line per reason: sources that failed for the same reason (not running as root)
 * are named together. */
void cli_scan_failures(const struct excise_scan *scan)
{
	for (size_t i = 0; i < scan->n_sources; i++) {
		const struct excise_source_result *a = &scan->sources[i];
		if (a->status != EXCISE_SOURCE_FAILED)
			continue;
		bool said = false;
		for (size_t j = 0; j < i && !said; j++)
			said = scan->sources[j].status == EXCISE_SOURCE_FAILED &&
			       strcmp(failure(&scan->sources[j]), failure(a)) == 0;
		if (said)
			continue;
		size_t n = 0, k = 0;
		for (size_t j = i; j < scan->n_sources; j++)
			k += scan->sources[j].status == EXCISE_SOURCE_FAILED &&
			     strcmp(failure(&scan->sources[j]), failure(a)) == 0;
		fprintf(stderr, "excise: source%s ", k > 1 ? "s" : "");
		for (size_t j = i; j < scan->n_sources; j++) {
			const struct excise_source_result *b = &scan->sources[j];
			if (b->status == EXCISE_SOURCE_FAILED && strcmp(failure(b), failure(a)) == 0)
				excise_text_printf(stderr, "%s%s", n++ ? ", " : "", b->name);
		}
		excise_text_printf(stderr, " failed: %s\n", failure(a));
	}
}
