/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reports: a scan rendered as JSON (schema "excise.report/2", the contract every
 * later part uses; docs/report-format.md and docs/report.schema.json), as text
 * for people, or as CSV (one row per artifact). Each writes one evidence record
 * (JSON), line (text) or row (CSV) per artifact: the evidence of a finding that
 * shares one `artifact` number, every indicator that matched it together.
 */
#ifndef EXCISE_REPORT_H
#define EXCISE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "excise/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EXCISE_REPORT_SCHEMA "excise.report/2"
/* The previous version, still read back (excise_report_read). */
#define EXCISE_REPORT_SCHEMA_1 "excise.report/1"

/* Columns of a text report when nothing says (not a terminal, no $COLUMNS). */
#define EXCISE_REPORT_TEXT_WIDTH 100u

enum excise_report_flags {
	EXCISE_REPORT_COLOR = 1u << 0,   /* text: ANSI colour */
	EXCISE_REPORT_VERBOSE = 1u << 1, /* text: every indicator of every artifact, at full width */
};

/* Each writes the whole report to `out`; returns 0 or -errno on a write error. */
EXCISE_API int excise_report_json(const struct excise_scan *s, FILE *out);
/* Text in lines of at most EXCISE_REPORT_TEXT_WIDTH columns (excise_report_text_width). */
EXCISE_API int excise_report_text(const struct excise_scan *s, FILE *out, unsigned flags);
/* Text in lines of at most `width` columns (0: no limit; EXCISE_REPORT_VERBOSE: none),
 * long paths and values elided in the middle with "…". */
EXCISE_API int excise_report_text_width(const struct excise_scan *s, FILE *out, unsigned flags,
					unsigned width);
EXCISE_API int excise_report_csv(const struct excise_scan *s, FILE *out);

/* Read an excise.report/2 (or /1) document back into a scan (host, findings, and each
 * source's name, status, failure and item errors; not its counts). Ids and names
 * are kept as the report has them; products, vendors and indicators are looked up
 * in `c` (their pointers NULL when `c` lacks them). A report made with another
 * catalog (its sha256 differs from c's) has its evidence matched again against `c`
 * (origin EXCISE_SCAN_REMATCHED; docs/report-format.md). Each match of a /2
 * evidence record becomes one struct excise_evidence, those of one record sharing
 * an artifact number; each /1 evidence record is an artifact of its own. `name`
 * labels errors.
 * Free with excise_scan_free. */
EXCISE_API int excise_report_read(const struct excise_catalog *c, const char *name, const char *bytes, size_t len,
				  struct excise_scan **ret, struct excise_err *err);

#ifdef __cplusplus
}
#endif
#endif
