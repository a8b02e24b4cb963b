/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest: the excise.attestation/1 document, made from the bytes of a report
 * (so the attestation and the report it names cannot disagree) and checked
 * field by field when read back.
 */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/digest.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/text.h"
#include "excise/attest.h"
#include "excise/report.h"
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
	const char *schema = r && json_is_object(r) ? jstr(r, "schema") : NULL;
	if (!schema || (strcmp(schema, EXCISE_REPORT_SCHEMA) && strcmp(schema, EXCISE_REPORT_SCHEMA_1))) {
		json_decref(r);
		return err_set(err, -EXCISE_E_CORRUPT, "report: not an %s (or /1) document (%s)", EXCISE_REPORT_SCHEMA,
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

struct att {
	struct excise_attest_info info;
	const char *report_id;
	size_t n_sources;
};

struct att_source {
	const char *name, *status;
};

struct att_finding {
	const char *product_id, *confidence, *state;
};

static int sha256_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	const char *s = json_string_value(v);
	if (json_string_length(v) != 64 || strspn(s, "0123456789abcdef") != 64)
		return doc_fail(d, "expected 64 lower-case hex digits");
	return doc_string_dup(d, f, v, ret);
}

/* Anything; kept when a string. */
static int opt_string(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	return json_is_string(v) ? doc_string_dup(d, f, v, ret) : 0;
}

static const char *const source_status[] = { "ok", "absent", "skipped", "failed", NULL };

static const struct doc_field source_fields[] = {
	{ "name", DOC_STRING, doc_string, offsetof(struct att_source, name), DOC_REQUIRED },
	{ "status", DOC_STRING, doc_string, offsetof(struct att_source, status), DOC_REQUIRED,
	  .values = source_status },
	{ 0 },
};
static const struct doc_table source_table = { source_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static int source_item(struct doc *d, size_t i, json_t *item, void *userdata)
{
	(void)i;
	struct att_source s = { 0 };
	int r = doc_dispatch(d, item, &source_table, &s);
	if (r >= 0 && !strcmp(s.status, "failed"))
		((struct att *)userdata)->info.n_sources_failed++;
	return r;
}

static int sources_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	(void)ret;
	return doc_each(d, v, source_item, d->userdata);
}

static const struct doc_field product_fields[] = {
	{ "id", DOC_STRING, doc_string, offsetof(struct att_finding, product_id), DOC_REQUIRED },
	{ 0 },
};
static const struct doc_table product_table = { product_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

/* only definitive and strong findings are listed (weak ones are counted) */
static const char *const listed[] = { "definitive", "strong", NULL };

static const struct doc_field finding_fields[] = {
	{ "product", DOC_OBJECT, doc_object, 0, DOC_REQUIRED, .table = &product_table },
	{ "confidence", DOC_STRING, doc_string, offsetof(struct att_finding, confidence), DOC_REQUIRED,
	  .values = listed },
	{ "state", DOC_STRING, doc_string, offsetof(struct att_finding, state), DOC_REQUIRED },
	{ 0 },
};
static const struct doc_table finding_table = { finding_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static int finding_item(struct doc *d, size_t i, json_t *item, void *userdata)
{
	(void)i;
	(void)userdata;
	return doc_dispatch(d, item, &finding_table, &(struct att_finding){ 0 });
}

static int findings_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	*(size_t *)ret = json_array_size(v);
	return doc_each(d, v, finding_item, NULL);
}

#define ATT(key, handler, member, flags) { key, DOC_STRING, handler, offsetof(struct att, member), flags }

static const struct doc_field host_fields[] = {
	ATT("hostname", doc_string_dup, info.hostname, DOC_REQUIRED),
	{ "machine_id", DOC_ANY, opt_string, offsetof(struct att, info.machine_id), 0 },
	{ 0 },
};
static const struct doc_table host_table = { host_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static const struct doc_field report_fields[] = {
	ATT("sha256", sha256_field, info.report_sha256, DOC_REQUIRED),
	ATT("id", doc_string, report_id, DOC_REQUIRED),
	{ 0 },
};
static const struct doc_table report_table = { report_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static const struct doc_field catalog_fields[] = {
	ATT("version", doc_string_dup, info.catalog_version, DOC_REQUIRED),
	{ 0 },
};
static const struct doc_table catalog_table = { catalog_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static const struct doc_field scan_fields[] = {
	ATT("finished", doc_string_dup, info.scanned, DOC_REQUIRED),
	{ 0 },
};
static const struct doc_table scan_table = { scan_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static const char *const attest_schema[] = { EXCISE_ATTEST_SCHEMA, NULL };
static const char *const verdicts[] = { "clean", "found", "incomplete", NULL };

/* The verdict agrees with the findings and the sources. */
static int attest_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	const struct excise_attest_info *in = base;
	size_t nf = in->n_findings, failed = in->n_sources_failed;
	if (!strcmp(in->verdict, "clean") && (nf || failed))
		return doc_fail(d, "verdict clean with %zu finding%s and %zu failed source%s", nf, nf == 1 ? "" : "s",
				failed, failed == 1 ? "" : "s");
	if (!strcmp(in->verdict, "found") && !nf)
		return doc_fail(d, "verdict found with no finding");
	if (!strcmp(in->verdict, "incomplete") && (nf || !failed))
		return doc_fail(d, "verdict incomplete needs a failed source and no finding");
	return 0;
}

static const struct doc_field attest_fields[] = {
	{ "schema", DOC_STRING, NULL, 0, DOC_REQUIRED, .values = attest_schema },
	{ "host", DOC_OBJECT, doc_object, 0, DOC_REQUIRED, .table = &host_table },
	{ "report", DOC_OBJECT, doc_object, 0, DOC_REQUIRED, .table = &report_table },
	{ "catalog", DOC_OBJECT, doc_object, 0, DOC_REQUIRED, .table = &catalog_table },
	{ "scan", DOC_OBJECT, doc_object, 0, DOC_REQUIRED, .table = &scan_table },
	/* an attestation names the sources it read */
	{ "sources", DOC_ARRAY, sources_field, 0, DOC_REQUIRED, .min = 1 },
	{ "findings", DOC_ARRAY, findings_field, offsetof(struct att, info.n_findings), DOC_REQUIRED,
	  .max = EXCISE_MAX_REPORT_FINDINGS },
	{ "verdict", DOC_STRING, doc_string_dup, offsetof(struct att, info.verdict), DOC_REQUIRED, .values = verdicts },
	{ "created", DOC_STRING, NULL, 0, DOC_REQUIRED },
	{ 0 },
};
static const struct doc_table attest_table = { attest_fields, DOC_UNKNOWN_IGNORE, NULL, attest_check };

int excise_attest_check(const char *name, const char *att, size_t att_len, const char *report,
			size_t report_len, struct excise_attest_info *ret, struct excise_err *err)
{
	*ret = (struct excise_attest_info){ 0 };
	struct doc d;
	doc_init(&d, "attestation", name ? name : "-", err);
	struct att a = { 0 };
	d.userdata = &a;
	json_t *o = NULL;
	int r = doc_load(&d, att, att_len, EXCISE_MAX_ATTEST_SIZE, &o);
	if (r >= 0)
		r = doc_dispatch(&d, o, &attest_table, &a);
	if (r >= 0 && report) {
		char got[65];
		(void)!sha256_hex(report, report_len, got);
		if (strcmp(got, a.info.report_sha256))
			r = doc_fail(&d, "the report given has sha256 %s, the attestation names %s", got,
				     a.info.report_sha256);
		json_error_t je;
		json_t *rep = r < 0 ? NULL : json_loadb(report, report_len, 0, &je);
		const char *rid = json_string_value(json_object_get(rep, "report_id"));
		if (r >= 0 && (!rid || strcmp(rid, a.report_id)))
			r = doc_fail(&d, "the report given is not report %s", a.report_id);
		json_decref(rep);
	}
	json_decref(o); /* a.report_id pointed into it */
	if (r < 0) {
		excise_attest_info_done(&a.info);
		return r;
	}
	*ret = a.info;
	return 0;
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
