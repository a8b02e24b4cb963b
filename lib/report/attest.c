/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest: the excise.attestation/1 document, made from the bytes of a report
 * (so the attestation and the report it names cannot disagree) and checked
 * field by field when read back.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/digest.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/text.h"
#include "excise/attest.h"
#include "report/report_int.h"

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A copy of o[key], or JSON null when absent. */
static json_t *copy_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return v ? json_deep_copy(v) : json_null();
}

static json_t *finding_of(json_t *f)
{
	json_t *p = json_object_get(f, "product"), *v = json_object_get(f, "vendor");
	json_t *dirs = json_array();
	json_t *d;
	size_t i;
	json_array_foreach(json_object_get(f, "directives"), i, d)
		json_array_append_new(dirs, json_string(jstr(d, "id") ? jstr(d, "id") : ""));
	return json_pack("{s:{s:s?,s:s?},s:{s:s?,s:s?},s:O?,s:s?,s:s?,s:o,s:I}", "product", "id", jstr(p, "id"),
			 "name", jstr(p, "name"), "vendor", "id", jstr(v, "id"), "name", jstr(v, "name"), "version",
			 json_object_get(f, "version"), "state", jstr(f, "state"), "confidence",
			 jstr(f, "confidence"), "directives", dirs, "evidence",
			 (json_int_t)json_array_size(json_object_get(f, "evidence")));
}

int excise_attest_make(const char *report, size_t report_len, const char *run_id, char **ret,
		       struct excise_err *err)
{
	*ret = NULL;
	if (report_len > EXCISE_MAX_REPORT_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "report: %zu bytes, over the limit of %u", report_len,
			       EXCISE_MAX_REPORT_SIZE);
	json_error_t je;
	json_t *r = json_loadb(report, report_len, JSON_REJECT_DUPLICATES, &je);
	if (!r || !json_is_object(r) || !jstr(r, "schema") || strcmp(jstr(r, "schema"), "excise.report/1")) {
		json_decref(r);
		return err_set(err, -EXCISE_E_CORRUPT, "report: not an excise.report/1 document (%s)",
			       r ? "wrong schema" : je.text);
	}
	char sha[65], id[37], now[32];
	(void)!sha256_hex(report, report_len, sha);
	int e = uuid_v4(id);
	if (e < 0) {
		json_decref(r);
		return err_setc(err, e, "attestation id");
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_rfc3339((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, now);

	json_t *sources = json_array(), *findings = json_array();
	json_t *x;
	size_t i, weak = 0;
	json_array_foreach(json_object_get(r, "sources"), i, x)
		json_array_append_new(sources, json_pack("{s:s?,s:s?,s:O?}", "name", jstr(x, "name"), "status",
							 jstr(x, "status"), "error", json_object_get(x, "error")));
	json_array_foreach(json_object_get(r, "findings"), i, x) {
		const char *c = jstr(x, "confidence");
		if (c && !strcmp(c, "weak"))
			weak++;
		else
			json_array_append_new(findings, finding_of(x));
	}
	json_t *summary = json_object_get(r, "summary");
	json_t *a = json_pack("{s:s,s:s,s:s,s:o,s:{s:o,s:o},s:{s:s?,s:s,s:I},s:o,s:o,s:o,s:I,s:s?,s:s?}",
			      "schema", EXCISE_ATTEST_SCHEMA, "attestation_id", id, "created", now, "host",
			      copy_of(r, "host"), "scan", "started", copy_of(r, "started"), "finished",
			      copy_of(r, "finished"), "report", "id", jstr(r, "report_id"), "sha256", sha, "bytes",
			      (json_int_t)report_len, "catalog", copy_of(r, "catalog"), "sources", sources,
			      "findings", findings, "weak_indications", (json_int_t)weak, "verdict",
			      jstr(summary, "verdict"), "removal_run", run_id);
	json_decref(r);
	char *text = a ? json_dumps(a, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
	json_decref(a);
	if (!text)
		return err_set(err, -EXCISE_E_CORRUPT, "report: missing fields for an attestation");
	size_t n = strlen(text);
	char *out = realloc(text, n + 2);
	if (!out) {
		free(text);
		return err_set(err, -ENOMEM, "out of memory");
	}
	out[n] = '\n';
	out[n + 1] = 0;
	/* what verify writes must pass verify --check: a report whose parts disagree
	 * (a clean verdict with findings, no sources...) gets no attestation */
	struct excise_attest_info info;
	int e2 = excise_attest_check("report", out, n + 1, report, report_len, &info, err);
	if (e2 < 0) {
		free(out);
		return e2;
	}
	excise_attest_info_done(&info);
	*ret = out;
	return 0;
}

/* ---- checking ---- */

struct ck {
	const char *name;
	struct excise_err *err;
	int r;
};

static int bad(struct ck *k, const char *fmt, ...) PRINTF(2, 3);
static int bad(struct ck *k, const char *fmt, ...)
{
	if (k->r)
		return k->r;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k->r = err_set(k->err, -EXCISE_E_CORRUPT, "attestation '%s': %s", k->name, msg);
	return k->r;
}

/* o[key] as a string, required; NULL (and the error set) otherwise. */
static const char *need_str(struct ck *k, json_t *o, const char *where, const char *key)
{
	const char *s = jstr(o, key);
	if (!s)
		bad(k, "%s%s%s: missing or not a string", where, where[0] ? "." : "", key);
	return s;
}

static bool is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}


int excise_attest_check(const char *name, const char *att, size_t att_len, const char *report,
			size_t report_len, struct excise_attest_info *ret, struct excise_err *err)
{
	*ret = (struct excise_attest_info){ 0 };
	struct ck k = { .name = name ? name : "-", .err = err };
	if (att_len > EXCISE_MAX_ATTEST_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "attestation '%s': %zu bytes, over the limit of %u", k.name,
			       att_len, EXCISE_MAX_ATTEST_SIZE);
	json_error_t je;
	json_t *a = json_loadb(att, att_len, JSON_REJECT_DUPLICATES, &je);
	if (!a)
		return err_set(err, -EXCISE_E_CORRUPT, "attestation '%s': line %d, column %d: %s", k.name, je.line,
			       je.column, je.text);
	if (!json_is_object(a))
		bad(&k, "not a JSON object");
	const char *schema = k.r ? NULL : need_str(&k, a, "", "schema");
	if (schema && strcmp(schema, EXCISE_ATTEST_SCHEMA))
		bad(&k, "schema '%.64s', expected " EXCISE_ATTEST_SCHEMA, schema);
	json_t *host = json_object_get(a, "host"), *rep = json_object_get(a, "report");
	json_t *cat = json_object_get(a, "catalog"), *scan = json_object_get(a, "scan");
	json_t *sources = json_object_get(a, "sources"), *findings = json_object_get(a, "findings");
	if (!k.r && !json_is_object(host))
		bad(&k, "host: missing or not an object");
	if (!k.r && !json_is_object(rep))
		bad(&k, "report: missing or not an object");
	if (!k.r && !json_is_object(cat))
		bad(&k, "catalog: missing or not an object");
	if (!k.r && !json_is_object(scan))
		bad(&k, "scan: missing or not an object");
	if (!k.r && !json_is_array(sources))
		bad(&k, "sources: missing or not an array");
	if (!k.r && !json_is_array(findings))
		bad(&k, "findings: missing or not an array");
	if (!k.r && json_array_size(findings) > EXCISE_MAX_REPORT_FINDINGS)
		bad(&k, "findings: %zu, over the limit of %u", json_array_size(findings), EXCISE_MAX_REPORT_FINDINGS);
	if (!k.r && json_array_size(sources) == 0)
		bad(&k, "sources: empty (an attestation names the sources it read)");
	const char *hostname = k.r ? NULL : need_str(&k, host, "host", "hostname");
	const char *finished = k.r ? NULL : need_str(&k, scan, "scan", "finished");
	const char *catver = k.r ? NULL : need_str(&k, cat, "catalog", "version");
	const char *sha = k.r ? NULL : need_str(&k, rep, "report", "sha256");
	const char *rid = k.r ? NULL : need_str(&k, rep, "report", "id");
	const char *verdict = k.r ? NULL : need_str(&k, a, "", "verdict");
	(void)(k.r ? NULL : need_str(&k, a, "", "created"));
	if (!k.r && !is_hex64(sha))
		bad(&k, "report.sha256: not 64 lowercase hex digits");
	if (!k.r && strcmp(verdict, "clean") && strcmp(verdict, "found") && strcmp(verdict, "incomplete"))
		bad(&k, "verdict '%.32s': not clean, found or incomplete", verdict);
	size_t failed = 0;
	json_t *x;
	size_t i;
	json_array_foreach(sources, i, x) {
		if (k.r)
			break;
		char where[40];
		snprintf(where, sizeof(where), "sources[%zu]", i);
		need_str(&k, x, where, "name");
		const char *st = need_str(&k, x, where, "status");
		if (st && strcmp(st, "ok") && strcmp(st, "absent") && strcmp(st, "skipped") && strcmp(st, "failed"))
			bad(&k, "%s.status '%.32s': not ok, absent, skipped or failed", where, st);
		failed += st && !strcmp(st, "failed");
	}
	json_array_foreach(findings, i, x) {
		if (k.r)
			break;
		char where[40];
		snprintf(where, sizeof(where), "findings[%zu]", i);
		json_t *p = json_object_get(x, "product");
		if (!json_is_object(p) || !jstr(p, "id"))
			bad(&k, "%s.product.id: missing or not a string", where);
		const char *c = need_str(&k, x, where, "confidence");
		if (c && strcmp(c, "definitive") && strcmp(c, "strong"))
			bad(&k, "%s.confidence '%.32s': only definitive and strong findings are listed", where, c);
		need_str(&k, x, where, "state");
	}
	size_t nf = json_array_size(findings);
	if (!k.r && !strcmp(verdict, "clean") && (nf || failed))
		bad(&k, "verdict clean with %zu finding%s and %zu failed source%s", nf, nf == 1 ? "" : "s", failed,
		    failed == 1 ? "" : "s");
	if (!k.r && !strcmp(verdict, "found") && !nf)
		bad(&k, "verdict found with no finding");
	if (!k.r && !strcmp(verdict, "incomplete") && (nf || !failed))
		bad(&k, "verdict incomplete needs a failed source and no finding");
	if (!k.r && report) {
		char got[65];
		(void)!sha256_hex(report, report_len, got);
		if (strcmp(got, sha))
			bad(&k, "the report given has sha256 %s, the attestation names %s", got, sha);
		json_t *r = k.r ? NULL : json_loadb(report, report_len, 0, &je);
		if (!k.r && (!r || !jstr(r, "report_id") || strcmp(jstr(r, "report_id"), rid)))
			bad(&k, "the report given is not report %s", rid);
		json_decref(r);
	}
	int e = 0;
	if (!k.r) {
		ret->hostname = strdup_or_null(hostname, &e);
		ret->machine_id = strdup_or_null(jstr(host, "machine_id"), &e);
		ret->scanned = strdup_or_null(finished, &e);
		ret->catalog_version = strdup_or_null(catver, &e);
		ret->verdict = strdup_or_null(verdict, &e);
		ret->report_sha256 = strdup_or_null(sha, &e);
		ret->n_findings = nf;
		ret->n_sources_failed = failed;
		if (e < 0) {
			excise_attest_info_done(ret);
			k.r = err_set(err, -ENOMEM, "out of memory");
		}
	}
	json_decref(a);
	return k.r;
}

void excise_attest_info_done(struct excise_attest_info *info)
{
	free(info->hostname);
	free(info->machine_id);
	free(info->scanned);
	free(info->catalog_version);
	free(info->verdict);
	free(info->report_sha256);
	*info = (struct excise_attest_info){ 0 };
}
