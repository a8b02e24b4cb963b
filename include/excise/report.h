/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reports: a scan rendered as JSON (schema "excise.report/1", the contract every
 * later part uses; docs/report-format.md and docs/report.schema.json), as text
 * for people, or as CSV (one row per piece of evidence).
 */
#ifndef EXCISE_REPORT_H
#define EXCISE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "excise/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EXCISE_REPORT_SCHEMA "excise.report/1"

enum excise_report_flags {
	EXCISE_REPORT_COLOR = 1u << 0,   /* text: ANSI colour */
};

/* Each writes the whole report to `out`; returns 0 or -errno on a write error. */
EXCISE_API int excise_report_json(const struct excise_scan *s, FILE *out);
EXCISE_API int excise_report_text(const struct excise_scan *s, FILE *out, unsigned flags);
EXCISE_API int excise_report_csv(const struct excise_scan *s, FILE *out);

/* Read an excise.report/1 document back into a scan (host, findings, and each
 * source's name, status, failure and item errors; not its counts). Ids and names
 * are kept as the report has them; products, vendors and indicators are looked up
 * in `c` (their pointers NULL when `c` lacks them). A report made with another
 * catalog (its sha256 differs from c's) has its evidence matched again against `c`
 * (origin EXCISE_SCAN_REMATCHED; docs/report-format.md). `name` labels errors.
 * Free with excise_scan_free. */
EXCISE_API int excise_report_read(const struct excise_catalog *c, const char *name, const char *bytes, size_t len,
				  struct excise_scan **ret, struct excise_err *err);

#ifdef __cplusplus
}
#endif
#endif
