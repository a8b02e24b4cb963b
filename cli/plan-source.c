/* SPDX-License-Identifier: Apache-2.0 */
/* plan-source: the plan a command acts on, read from a file or made from a report or a scan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_obtain_plan(const struct cli_plan_source *s, const struct excise_catalog *c, struct excise_plan **ret)
{
	struct excise_err err = { 0 };
	*ret = NULL;
	if (s->plan) {
		char *text;
		size_t len;
		int rc = cli_read_file(s->plan, 64u << 20, &text, &len);
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
		int rc = cli_read_file(s->report, 256u << 20, &text, &len);
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
