/* SPDX-License-Identifier: Apache-2.0 */
/* The jansson reading of a submitted document that ingest_parse replaced, for the
 * differential checks (fuzz/fuzz-ingest.c, tests/unit/test-ingest.c). */
#ifndef EXCISE_FUZZ_INGEST_REF_H
#define EXCISE_FUZZ_INGEST_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "fleet/ingest.h"

/* ingest_parse as it was: json_loadb(JSON_REJECT_DUPLICATES) and jansson's reads. */
int ingest_ref_parse(const struct excise_catalog *cat, const void *body, size_t len, struct ingest_doc *d,
		     struct excise_err *err);
/* The JSON layer alone, both ways: jansson's json_loadb(JSON_REJECT_DUPLICATES) and
 * fjson_parse (lib/fleet/fjson.c). *jansson and *fjson are 0 when taken, else the
 * error code (their messages in jerr and ferr, at least 256 bytes each). When both
 * take it, fjson's tree must be jansson's (types, decoded strings, members, values in
 * order): else it aborts. */
void ingest_ref_json(const void *body, size_t len, int *jansson, char *jerr, int *fjson, char *ferr);
/* Every field of two parsed documents equal; else false and the first difference in `why`. */
bool ingest_ref_compare(const struct ingest_doc *a, const struct ingest_doc *b, char *why, size_t size);

#endif
