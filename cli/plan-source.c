/* SPDX-License-Identifier: Apache-2.0 */
/* plan-source: the plan a command acts on, read from a file or made from a report or a scan. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cli_obtain_plan(const struct cli_plan_source *s, const struct excise_catalog *c, struct excise_plan **ret)
{
	struct excise_err err = { 0 };
	struct excise_scan *scan = NULL;
	const char *doc = s->plan ? s->plan : s->report;
	char *text = NULL;
	size_t len = 0;
	int r = 0;
	*ret = NULL;
	if (doc && cli_read_file(s->plan ? "plan" : "report", doc, s->plan ? EXCISE_MAX_PLAN_SIZE :
				 EXCISE_MAX_REPORT_SIZE, &text, &len))
		return EXIT_ERROR;
	if (s->plan)
		r = excise_plan_read_json(s->plan, text, len, ret, &err);
	else if (s->report)
		r = excise_report_read(c, s->report, text, len, &scan, &err);
	else if (cli_scan(s->scan, c, &scan))
		return EXIT_ERROR;
	const char *const hints[4] = {
		s->report_positional ? "pass it as the report: excise plan REPORT.json" : "pass it with --report",
		"pass it with --plan", "check it with excise verify --check", "pass it with --catalog",
	};
	bool said = r < 0 && doc && cli_wrong_kind(s->plan ? "plan" : "report", doc, text, len, hints);
	free(text);
	if (r == 0 && !s->plan) {
		struct excise_plan_opts po = { .catalog = c };
		r = excise_plan_build(scan, &po, ret, &err);
	}
	excise_scan_free(scan);
	if (r < 0) {
		if (!said)
			cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	return 0;
}
