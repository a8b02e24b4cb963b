/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the collector's document parser (ingest_parse, lib/fleet/ingest.c),
 * which reads every document a host submits: excise.report/2 and /1, excise.plan/1,
 * excise.removal/1, excise.attestation/1. Input: any bytes, capped at 1 MiB, parsed
 * against the embedded catalog. A refusal must say why (its code and a message); a
 * document that parses must have a kind, an id of the documented form, a time, and
 * findings within EXCISE_MAX_SUBMIT_FINDINGS, each with a product id and a
 * directives and sources list.
 */
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "excise/catalog.h"
#include "fleet/ingest.h"
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
	struct ingest_doc d;
	int r = ingest_parse(cat, data, size, &d, &err);
	if (r < 0) {
		if (!err.msg[0] || err.code != r)
			__builtin_trap();
		ingest_doc_done(&d);
		return 0;
	}
	size_t idlen = strlen(d.doc_id);
	if (!idlen || idlen >= sizeof(d.doc_id) || !d.kind_name[0] || d.created < 0 ||
	    d.n_findings > EXCISE_MAX_SUBMIT_FINDINGS || d.len != size || memcmp(d.body, data, size))
		__builtin_trap();
	if (d.kind == INGEST_PLAN && strncmp(d.doc_id, "sha256:", 7))
		__builtin_trap();
	for (size_t i = 0; i < d.n_findings; i++)
		if (!d.findings[i].product_id || !d.findings[i].directives || !d.findings[i].sources)
			__builtin_trap();
	for (size_t j = 0; j < d.n_dirs; j++)
		if (d.kind == INGEST_REPORT && d.dirs[j].covered != (d.dirs[j].products != NULL))
			__builtin_trap();
	ingest_doc_done(&d);
	return 0;
}
