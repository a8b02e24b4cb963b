/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestation: the proof `excise verify` leaves that a host was rescanned and
 * what the rescan found. An excise.attestation/1 JSON document names the host,
 * the time, the catalog, every source with its status, the findings that count
 * toward the verdict (none when clean), the verdict, and the sha256 of the full
 * excise.report/2 (or /1) it was made from, so the report can be checked against it.
 * It may carry a detached minisign signature (FILE.minisig) by an operator's
 * Ed25519 key; docs/removal.md describes the format.
 */
#ifndef EXCISE_ATTEST_H
#define EXCISE_ATTEST_H

#include <stddef.h>
#include "excise/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EXCISE_ATTEST_SCHEMA "excise.attestation/1"

/* Make an attestation from the bytes of an excise.report/2 (or /1) document. `run_id`
 * (may be NULL) names the removal run being attested. *ret is a NUL-terminated
 * JSON text ending in a newline; free() it. */
EXCISE_API int excise_attest_make(const char *report, size_t report_len, const char *run_id, char **ret,
				  struct excise_err *reterr);

/* What a checked attestation says. */
struct excise_attest_info {
	char *hostname;
	char *machine_id;
	char *scanned;          /* ISO 8601 UTC, when the rescan finished */
	char *catalog_version;
	char *verdict;          /* "clean", "found" or "incomplete" */
	char *report_sha256;
	size_t n_findings;
	size_t n_sources_failed;
};

/* Check an attestation: its structure, that its parts agree (a clean verdict has
 * no findings and no failed source...), and when `report` is not NULL that the
 * report's sha256 and id are the ones it names. Returns 0, or -EXCISE_E_CORRUPT
 * with the place of the first problem in the message. */
EXCISE_API int excise_attest_check(const char *name, const char *att, size_t att_len, const char *report,
				   size_t report_len, struct excise_attest_info *ret, struct excise_err *reterr);

EXCISE_API void excise_attest_info_done(struct excise_attest_info *info);

#ifdef __cplusplus
}
#endif
#endif
