/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the report reader (excise_report_read, lib/report/read.c),
 * which `excise plan REPORT.json` feeds with a file that may have been edited.
 * Input: any bytes, capped at 1 MiB, read against the embedded catalog. A report
 * that reads is written out again as text (plain, narrow, verbose), JSON and CSV.
 */
#include <stdio.h>
#include <stdlib.h>

#include "excise/catalog.h"
#include "excise/report.h"
#include "excise/scan.h"
#include "fuzz.h"

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct excise_catalog *cat;
	struct excise_err err = { 0 };
	if (!cat && excise_catalog_load_embedded(&cat, &err) < 0)
		__builtin_trap();
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct excise_scan *s = NULL;
	int r = excise_report_read(cat, "fuzz", (const char *)data, size, &s, &err);
	if (r < 0) {
		if (!err.msg[0] || err.code != r || s)
			__builtin_trap();
		return 0;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (out) {
		(void)excise_report_text(s, out, 0);
		(void)excise_report_text_width(s, out, EXCISE_REPORT_COLOR, 24);
		(void)excise_report_text_width(s, out, EXCISE_REPORT_VERBOSE, 0);
		(void)excise_report_json(s, out);
		(void)excise_report_csv(s, out);
		fclose(out);
	}
	free(buf);
	excise_scan_free(s);
	return 0;
}
