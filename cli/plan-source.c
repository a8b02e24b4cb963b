/* SPDX-License-Identifier: Apache-2.0 */
/* plan-source: the plan a command acts on, read from a file or made from a report or a scan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Read a whole file named on the command line. */
static int slurp(const char *path, size_t max, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		cli_error("cannot open '%s': %s", path, strerror(errno));
		return EXIT_ERROR;
	}
	char *p = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			char *q = cap <= max + 1 ? realloc(p, cap + 1) : NULL;
			if (!q) {
				free(p);
				fclose(f);
				cli_error("'%s': larger than %zu bytes", path, max);
				return EXIT_ERROR;
			}
			p = q;
		}
		size_t k = fread(p + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(p);
		cli_error("cannot read '%s'", path);
		return EXIT_ERROR;
	}
	p[n] = 0;
	*ret = p;
	*ret_len = n;
	return 0;
}

int cli_obtain_plan(const struct cli_plan_source *s, const struct excise_catalog *c, struct excise_plan **ret)
{
	struct excise_err err = { 0 };
	*ret = NULL;
	if (s->plan) {
		char *text;
		size_t len;
		int rc = slurp(s->plan, 64u << 20, &text, &len);
		if (rc)
			return rc;
		int r = excise_plan_read_json(s->plan, text, len, ret, &err);
		free(text);
		if (r < 0) {
			cli_error("%s", err.msg);
			return EXIT_ERROR;
		}
		return 0;
	}
	struct excise_scan *scan = NULL;
	int r;
	if (s->report) {
		char *text;
		size_t len;
		int rc = slurp(s->report, 256u << 20, &text, &len);
		if (rc)
			return rc;
		r = excise_report_read(c, s->report, text, len, &scan, &err);
		free(text);
	} else {
		struct excise_scan_opts so = { .root = s->root };
		r = excise_scan_run(c, &so, &scan, &err);
	}
	if (r == 0) {
		struct excise_plan_opts po = { .catalog = c };
		r = excise_plan_build(scan, &po, ret, &err);
	}
	excise_scan_free(scan);
	if (r < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	return 0;
}
