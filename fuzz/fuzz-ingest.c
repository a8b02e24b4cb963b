/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the collector's document parser (ingest_parse, lib/fleet/ingest.c
 * over lib/fleet/fjson.c), which reads every document a host submits: excise.report/2
 * and /1, excise.plan/1, excise.removal/1, excise.attestation/1. Input: any bytes,
 * capped at 1 MiB, parsed against the embedded catalog. A refusal must say why (its
 * code and a message); a document that parses must have a kind, an id of the
 * documented form, a time, and findings within EXCISE_MAX_SUBMIT_FINDINGS, each with a
 * product id and a directives and sources list.
 *
 * Differential: every input is also read by the jansson reading ingest_parse replaced
 * (fuzz/ingest-ref.c: json_loadb with JSON_REJECT_DUPLICATES, which every other reader
 * of a stored document uses). When ingest_parse takes it, jansson must take it too and
 * every field read must be equal; when it refuses, jansson must refuse with the same
 * code, except for arrays and objects nested deeper than EXCISE_MAX_SUBMIT_DEPTH (which
 * jansson takes up to 2048 values deep). The JSON layer is compared alone as well
 * (fjson_parse against json_loadb), whatever the document's schema, so that a
 * leniency hidden behind a later refusal (a missing member) is found too. A
 * difference prints both and aborts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "excise/catalog.h"
#include "fleet/ingest.h"
#include "fuzz.h"
#include "ingest-ref.h"

#define FUZZ_MAX_INPUT (1u << 20)

static void differ(const char *what, int r, const struct excise_err *err, int ro, const struct excise_err *oerr)
{
	fprintf(stderr, "fuzz-ingest: %s\n  ingest_parse: %d %s\n  jansson:      %d %s\n", what, r,
		r < 0 ? err->msg : "", ro, ro < 0 ? oerr->msg : "");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct excise_catalog *cat;
	struct excise_err err = { 0 }, oerr = { 0 };
	if (!cat && excise_catalog_load_embedded(&cat, &err) < 0)
		__builtin_trap();
	if (size > FUZZ_MAX_INPUT)
		return 0;
	/* the JSON layer: fjson takes what jansson takes, no more, and no less but for depth */
	int jr, fr;
	char jmsg[256], fmsg[256];
	ingest_ref_json(data, size, &jr, jmsg, &fr, fmsg);
	if (fr == 0 && jr < 0) {
		fprintf(stderr, "fuzz-ingest: JSON taken by fjson, refused by jansson: %s\n", jmsg);
		abort();
	}
	if (fr < 0 && fr != -ENOMEM && jr == 0 && !strstr(fmsg, "EXCISE_MAX_SUBMIT_DEPTH")) {
		fprintf(stderr, "fuzz-ingest: JSON refused by fjson, taken by jansson: %s\n", fmsg);
		abort();
	}
	struct ingest_doc d, o;
	int r = ingest_parse(cat, data, size, &d, &err);
	int ro = ingest_ref_parse(cat, data, size, &o, &oerr);
	bool deep = r < 0 && strstr(err.msg, "EXCISE_MAX_SUBMIT_DEPTH");
	if (r >= 0 && ro < 0)
		differ("taken here, refused by jansson", r, &err, ro, &oerr);
	if (r < 0 && r != -ENOMEM && r != ro && !deep)
		differ(ro >= 0 ? "refused here, taken by jansson" : "refused with another code", r, &err, ro, &oerr);
	if (r >= 0) {
		char why[512];
		if (!ingest_ref_compare(&d, &o, why, sizeof(why)))
			differ(why, r, &err, ro, &oerr);
	}
	ingest_doc_done(&o);
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
