/* SPDX-License-Identifier: Apache-2.0 */
/*
 * read: an excise.report/2 (or /1) document back into a struct excise_scan, so
 * that a plan can be made from a report as from a fresh scan, read through the
 * field tables of core/doc. Each match of a /2 evidence record becomes one piece
 * of evidence, those of a record sharing an artifact number; a /1 evidence
 * record (one indicator each) is an artifact of its own. Every id and name is kept as the report has it: sources
 * this binary lacks, and products, vendors and indicators the catalog given
 * lacks (their pointers are then NULL, and the planner refuses such evidence).
 * When the report was made with another catalog (its sha256 differs), its
 * evidence is matched again through an engine, so the findings follow the
 * catalog given (origin EXCISE_SCAN_REMATCHED): each artifact as one observation. Directives are not read back
 * (a plan needs none).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/doc.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/text.h"
#include "engine/engine_int.h"
#include "excise/engine.h"
#include "excise/report.h"
#include "report/report_int.h"

struct rd {
	const char *name;
	const struct excise_catalog *c;
	struct excise_err *err;
	struct hash inds;      /* indicator id -> index */
	bool v1;               /* an excise.report/1 document */
	uint32_t artifacts;    /* evidence records read, numbering artifacts from 1 */
};

static struct rd *rd_of(struct doc *d)
{
	return d->userdata;
}

/*
 * "2026-11-22T09:14:03.512Z" -> ns; -1 when malformed, out of range (each field, and
 * the date itself: timegm would roll 2026-02-31 over), before 1970 or past what
 * int64 nanoseconds hold (2262-04-11).
 */
static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	int ms = 0, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec, &ms, &n) != 7 || s[n])
		return -1;
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
	    tm.tm_sec > 59 || ms < 0 || ms > 999)
		return -1;
	int mday = tm.tm_mday;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t < 0 || tm.tm_mday != mday || (int64_t)t > INT64_MAX / 1000000000 - 1)
		return -1;
	return (int64_t)t * 1000000000 + (int64_t)ms * 1000000;
}

static int time_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	int64_t t = parse_time(json_string_value(v));
	if (t < 0)
		return doc_fail(d, "expected an RFC 3339 time like 2026-11-22T09:14:03.512Z");
	*(int64_t *)ret = t;
	return 0;
}

static int uuid_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	if (json_string_length(v) != 36)
		return doc_fail(d, "expected a UUID");
	memcpy(ret, json_string_value(v), 37);
	return 0;
}

/* A kind or field by its name in this excise. */
static int name_index(struct doc *d, json_t *v, int n, const char *(*name)(int), const char *what)
{
	const char *s = json_string_value(v);
	for (int i = 0; i < n; i++)
		if (!strcmp(name(i), s))
			return i;
	return doc_fail(d, "expected a %s of this excise", what);
}

static const char *kind_name(int i)
{
	return excise_obs_kind_name((enum excise_obs_kind)i);
}

static const char *field_name(int i)
{
	return excise_field_name((enum excise_field)i);
}

static int kind_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	int k = name_index(d, v, _EXCISE_OBS_KIND_MAX, kind_name, "kind");
	if (k >= 0)
		*(enum excise_obs_kind *)ret = (enum excise_obs_kind)k;
	return k < 0 ? k : 0;
}

static int field_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	int k = name_index(d, v, _EXCISE_FIELD_MAX, field_name, "field");
	if (k >= 0)
		*(enum excise_field *)ret = (enum excise_field)k;
	return k < 0 ? k : 0;
}

/* "attrs": at most EXCISE_MAX_OBS_ATTRS string members, as key, value, ..., NULL. */
static int attrs_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	size_t n = json_object_size(v);
	if (n > EXCISE_MAX_OBS_ATTRS)
		return doc_fail(d, "expected an object of at most %u strings", EXCISE_MAX_OBS_ATTRS);
	if (!n)
		return 0;
	char **a = calloc(2 * n + 1, sizeof(*a));
	*(char ***)ret = a;
	if (!a)
		return doc_failc(d, -ENOMEM, "out of memory");
	size_t i = 0;
	const char *key;
	json_t *x;
	json_object_foreach(v, key, x) {
		size_t mark = doc_enter_key(d, key);
		if (!json_is_string(x))
			return doc_fail(d, "expected a string");
		if (!(a[i] = strdup(key)) || !(a[i + 1] = strdup(json_string_value(x))))
			return doc_failc(d, -ENOMEM, "out of memory");
		i += 2;
		doc_leave(d, mark);
	}
	return 0;
}

static const char *const confidences[] = { "none", "weak", "strong", "definitive", NULL };
static const char *const states[] = { "remnant", "installed", "running", "trust", NULL };
static const char *const finding_kinds[] = { "product", "unlisted", "traces", NULL };
static const char *const statuses[] = { "ok", "absent", "failed", "skipped", NULL };
static const char *const schemas[] = { EXCISE_REPORT_SCHEMA, EXCISE_REPORT_SCHEMA_1, NULL };

#define EV(key, type, handler, member, flags) { key, type, handler, offsetof(struct excise_evidence, member), flags }
#define BYTES(type, key, member, flags) \
	{ key, DOC_STRING, doc_bytes, offsetof(type, member), DOC_HEX | (flags) }

/* The indicator's members go into the evidence. */
static const struct doc_field indicator_fields[] = {
	EV("id", DOC_STRING, doc_string_dup, indicator_id, DOC_REQUIRED | DOC_NONEMPTY),
	{ "confidence", DOC_STRING, doc_enum, offsetof(struct excise_evidence, confidence), 0, .min = EXCISE_CONF_WEAK,
	  .values = confidences },
	{ 0 },
};
static const struct doc_table indicator_table = { indicator_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

/* The indicator in the catalog, or (the catalog lacks it) the report's id and confidence. */
static int evidence_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	struct excise_evidence *e = base;
	const struct rd *rd = rd_of(d);
	const struct hash_slot *sl = hash_get(&rd->inds, e->indicator_id, strlen(e->indicator_id));
	e->indicator = sl ? excise_catalog_indicator(rd->c, (size_t)sl->value) : NULL;
	if (e->indicator)
		e->confidence = e->indicator->confidence;
	else if (e->confidence == EXCISE_CONF_NONE) {
		doc_enter_key(d, "indicator");
		return doc_fail(d, "'%s' is not in catalog %s %s: its confidence is required", e->indicator_id,
				excise_catalog_id(rd->c), excise_catalog_version(rd->c));
	}
	return 0;
}

/* path_hex, when there, holds the exact bytes of a path that is not UTF-8: read after path. */
#define EVIDENCE_COMMON                                                                                  \
	EV("source", DOC_STRING, doc_string_dup, source, DOC_REQUIRED | DOC_NONEMPTY),                   \
	EV("kind", DOC_STRING, kind_field, kind, DOC_REQUIRED),                                          \
	BYTES(struct excise_evidence, "path", path, DOC_NULLABLE),                                       \
	EV("path_hex", DOC_STRING, doc_bytes, path, DOC_HEX),                                            \
	BYTES(struct excise_evidence, "version", version, DOC_NULLABLE),                                 \
	BYTES(struct excise_evidence, "state", state, DOC_NULLABLE),                                     \
	EV("active", DOC_BOOLEAN, doc_bool, active, 0),                                                  \
	EV("attrs", DOC_OBJECT, attrs_field, attrs, 0)

/* excise.report/1: one record per matching indicator. */
static const struct doc_field evidence1_fields[] = {
	EVIDENCE_COMMON,
	EV("field", DOC_STRING, field_field, field, DOC_REQUIRED),
	BYTES(struct excise_evidence, "value", value, DOC_REQUIRED),
	EV("value_hex", DOC_STRING, doc_bytes, value, DOC_HEX), /* the exact bytes of a value not UTF-8: after value */
	{ "indicator", DOC_OBJECT, doc_object, 0, DOC_REQUIRED, .table = &indicator_table },
	{ 0 },
};
static const struct doc_table evidence1_table = { evidence1_fields, DOC_UNKNOWN_IGNORE, NULL, evidence_check };

/* excise.report/2: one record per artifact, read once per match into that match's evidence. */
static const struct doc_field record_fields[] = {
	EVIDENCE_COMMON,
	{ "confidence", DOC_STRING, NULL, 0, 0, .min = EXCISE_CONF_WEAK, .values = confidences },
	{ "matches", DOC_ARRAY, NULL, 0, DOC_REQUIRED, .min = 1, .max = EXCISE_MAX_REPORT_EVIDENCE },
	{ 0 },
};
static const struct doc_table record_table = { record_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };
static const struct doc_field match_fields[] = {
	EV("field", DOC_STRING, field_field, field, DOC_REQUIRED),
	BYTES(struct excise_evidence, "value", value, DOC_REQUIRED),
	EV("value_hex", DOC_STRING, doc_bytes, value, DOC_HEX), /* the exact bytes of a value not UTF-8: after value */
	{ "indicator", DOC_OBJECT, doc_object, 0, DOC_REQUIRED, .table = &indicator_table },
	{ 0 },
};
static const struct doc_table match_table = { match_fields, DOC_UNKNOWN_IGNORE, NULL, evidence_check };

static const struct doc_field evidence1_array = {
	"evidence", DOC_ARRAY, doc_objects, offsetof(struct excise_finding, evidence), DOC_REQUIRED, .min = 1,
	.max = EXCISE_MAX_REPORT_EVIDENCE, .table = &evidence1_table, .size = sizeof(struct excise_evidence),
	.count = offsetof(struct excise_finding, n_evidence)
};

/* A finding's "evidence": /1 records as they are, each an artifact; /2 records expanded,
 * one piece of evidence per match, a record's matches sharing its artifact number. */
static int evidence_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	struct rd *rd = rd_of(d);
	struct excise_finding *fi = (struct excise_finding *)((char *)ret - offsetof(struct excise_finding, evidence));
	int r;
	if (rd->v1) {
		if ((r = doc_objects(d, &evidence1_array, v, ret)) < 0)
			return r;
		for (size_t i = 0; i < fi->n_evidence; i++)
			fi->evidence[i].artifact = ++rd->artifacts;
		return 0;
	}
	size_t n = json_array_size(v), total = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *ms = json_object_get(json_array_get(v, i), "matches");
		total += json_is_array(ms) && json_array_size(ms) ? json_array_size(ms) : 1;
	}
	if (total > EXCISE_MAX_REPORT_EVIDENCE)
		return doc_failc(d, -EXCISE_E_LIMIT, "expected at most %u matches in all its records",
				 EXCISE_MAX_REPORT_EVIDENCE);
	if (fi->evidence)
		return doc_fail(d, "read twice");
	if (!(fi->evidence = calloc(total, sizeof(*fi->evidence))))
		return doc_failc(d, -ENOMEM, "out of memory");
	fi->n_evidence = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *rec = json_array_get(v, i);
		size_t mark = doc_enter_index(d, i);
		if (!json_is_object(rec))
			return doc_fail(d, "expected an object, not %s", doc_type_name(rec));
		uint32_t artifact = ++rd->artifacts;
		json_t *ms = json_object_get(rec, "matches");
		size_t nm = json_array_size(ms);
		for (size_t j = 0; j == 0 || j < nm; j++) {
			struct excise_evidence *e = &fi->evidence[fi->n_evidence++];
			if ((r = doc_dispatch(d, rec, &record_table, e)) < 0)
				return r;
			size_t m2 = doc_enter_key(d, "matches");
			doc_enter_index(d, j);
			json_t *m = json_array_get(ms, j);
			if (!json_is_object(m))
				return doc_fail(d, "expected an object, not %s", doc_type_name(m));
			if ((r = doc_dispatch(d, m, &match_table, e)) < 0)
				return r;
			e->artifact = artifact;
			doc_leave(d, m2);
		}
		doc_leave(d, mark);
	}
	return 0;
}

#define FINDING(key, type, handler, member, flags) \
	{ key, type, handler, offsetof(struct excise_finding, member), flags }
static const struct doc_field product_fields[] = {
	FINDING("id", DOC_STRING, doc_string_dup, product_id, DOC_REQUIRED | DOC_NONEMPTY),
	FINDING("name", DOC_STRING, doc_string_dup, product_name, 0),
	{ 0 },
};
static const struct doc_table product_table = { product_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };
static const struct doc_field vendor_fields[] = {
	FINDING("id", DOC_STRING, doc_string_dup, vendor_id, DOC_NONEMPTY),
	FINDING("name", DOC_STRING, doc_string_dup, vendor_name, DOC_NULLABLE),
	{ 0 },
};
static const struct doc_table vendor_table = { vendor_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

/* Replace *s with a copy of `v` (when not NULL). */
static int set_str(struct doc *d, const char **s, const char *v)
{
	if (!v)
		return 0;
	char *c = strdup(v);
	if (!c)
		return doc_failc(d, -ENOMEM, "out of memory");
	free((char *)*s);
	*s = c;
	return 0;
}

/* The product and vendor in the catalog (their names then the catalog's), or the report's ids and names. */
static int finding_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	struct excise_finding *f = base;
	const struct excise_catalog *c = rd_of(d)->c;
	/* an unlisted entry or the vendor's traces name no product of any catalog */
	f->product = f->kind == EXCISE_FINDING_PRODUCT ? excise_catalog_find_product(c, f->product_id) : NULL;
	int r;
	if (f->product)
		r = set_str(d, &f->product_name, f->product->name) < 0 ? -ENOMEM
		    : set_str(d, &f->vendor_id, f->product->vendor_id);
	else
		r = set_str(d, &f->product_name, f->product_name ? NULL : f->product_id);
	if (r < 0)
		return r;
	if (!f->vendor_id) {
		doc_enter_key(d, "vendor");
		return doc_fail(d, "product '%s' is not in catalog %s %s: vendor.id is required", f->product_id,
				excise_catalog_id(c), excise_catalog_version(c));
	}
	f->vendor = excise_catalog_find_vendor(c, f->vendor_id);
	if (f->vendor && (r = set_str(d, &f->vendor_name, f->vendor->name)) < 0)
		return r;
	if (!(f->directives = calloc(1, sizeof(*f->directives))))
		return doc_failc(d, -ENOMEM, "out of memory");
	return 0;
}

static const struct doc_field finding_fields[] = {
	{ "product", DOC_OBJECT, doc_object, 0, DOC_REQUIRED, .table = &product_table },
	{ "kind", DOC_STRING, doc_enum, offsetof(struct excise_finding, kind), 0, .values = finding_kinds },
	{ "vendor", DOC_OBJECT, doc_object, 0, 0, .table = &vendor_table },
	BYTES(struct excise_finding, "version", version, DOC_NULLABLE),
	{ "state", DOC_STRING, doc_enum, offsetof(struct excise_finding, state), DOC_REQUIRED, .values = states },
	{ "confidence", DOC_STRING, doc_enum, offsetof(struct excise_finding, confidence), DOC_REQUIRED,
	  .min = EXCISE_CONF_WEAK, .values = confidences },
	{ "evidence", DOC_ARRAY, evidence_field, offsetof(struct excise_finding, evidence), DOC_REQUIRED, .min = 1,
	  .max = EXCISE_MAX_REPORT_EVIDENCE },
	{ 0 },
};
static const struct doc_table finding_table = { finding_fields, DOC_UNKNOWN_IGNORE, NULL, finding_check };

/* Each source's name, status, failure and first item errors: what a plan must say
 * it could not see; and its counts and time, so that a report written again from
 * what was read is the report read. */
static int source_check(struct doc *d, json_t *obj, void *base)
{
	(void)d, (void)obj;
	struct excise_source_result *r = base;
	if (!r->n_errors)
		for (char **e = r->errors; e && *e; e++)
			r->n_errors++;
	return 0;
}

/* A number of seconds, not negative. */
static int seconds_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	if (!json_is_number(v) || json_number_value(v) < 0)
		return doc_fail(d, "expected a number of seconds");
	*(double *)ret = json_number_value(v);
	return 0;
}

/* host.platforms: every platform whose markers the root carried, the primary first, each
 * once ("linux", "windows", "macos"), kept as the scan keeps it: "linux,windows". */
static int platforms_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	static const char *const known[] = { "linux", "windows", "macos" };
	char list[32] = "";
	unsigned seen = 0;
	size_t n = json_array_size(v);
	if (n < 1 || n > ARRAY_SIZE(known))
		return doc_fail(d, "expected 1 to %zu platforms", ARRAY_SIZE(known));
	for (size_t i = 0; i < n; i++) {
		size_t mark = doc_enter_index(d, i);
		const char *p = json_string_value(json_array_get(v, i));
		size_t k = 0;
		while (k < ARRAY_SIZE(known) && !(p && !strcmp(p, known[k])))
			k++;
		if (k == ARRAY_SIZE(known))
			return doc_fail(d, "expected one of linux|windows|macos");
		if (seen & 1u << k)
			return doc_fail(d, "platform '%s' listed twice", p);
		seen |= 1u << k;
		if (list[0])
			strcat(list, ",");
		strcat(list, p);
		doc_leave(d, mark);
	}
	char *dup = strdup(list);
	if (!dup)
		return doc_failc(d, -ENOMEM, "out of memory");
	*(char **)ret = dup;
	return 0;
}

/* The primary platform is the first of the list, as the scan writes it. */
static int host_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	const struct excise_host *h = base;
	size_t n = h->platforms ? strcspn(h->platforms, ",") : 0;
	if (h->platforms && (strlen(h->platform) != n || strncmp(h->platform, h->platforms, n) != 0)) {
		doc_enter_key(d, "platforms");
		return doc_fail(d, "expected the platform '%s' first", h->platform);
	}
	return 0;
}

#define SOURCE(key, type, handler, member, flags) \
	{ key, type, handler, offsetof(struct excise_source_result, member), flags }
static const struct doc_field source_fields[] = {
	SOURCE("name", DOC_STRING, doc_string_dup, name, DOC_REQUIRED | DOC_NONEMPTY),
	{ "status", DOC_STRING, doc_enum, offsetof(struct excise_source_result, status), DOC_REQUIRED,
	  .values = statuses },
	SOURCE("error", DOC_STRING, doc_string_dup, error, DOC_NULLABLE),
	{ "errors", DOC_ARRAY, doc_strv_dup, offsetof(struct excise_source_result, errors), 0,
	  .max = EXCISE_MAX_SOURCE_ERRORS },
	SOURCE("n_errors", DOC_INTEGER, doc_uint64, n_errors, 0),
	SOURCE("observations", DOC_INTEGER, doc_uint64, observations, 0),
	SOURCE("matched", DOC_INTEGER, doc_uint64, matched, 0),
	SOURCE("seconds", DOC_ANY, seconds_field, seconds, 0),
	{ 0 },
};
static const struct doc_table source_table = { source_fields, DOC_UNKNOWN_IGNORE, NULL, source_check };

#define SCAN(key, type, handler, member, flags) { key, type, handler, offsetof(struct excise_scan, member), flags }
static const struct doc_field host_fields[] = {
	BYTES(struct excise_host, "hostname", hostname, DOC_REQUIRED),
	BYTES(struct excise_host, "os", os, DOC_NULLABLE),
	BYTES(struct excise_host, "os_id", os_id, DOC_NULLABLE),
	BYTES(struct excise_host, "machine_id", machine_id, DOC_NULLABLE),
	BYTES(struct excise_host, "root", root, DOC_REQUIRED | DOC_ABSOLUTE),
	BYTES(struct excise_host, "platform", platform, DOC_REQUIRED),
	{ "live", DOC_BOOLEAN, doc_bool, offsetof(struct excise_host, live), 0 },
	{ "platforms", DOC_ARRAY, platforms_field, offsetof(struct excise_host, platforms), 0 },
	{ 0 },
};
static const struct doc_table host_table = { host_fields, DOC_UNKNOWN_IGNORE, NULL, host_check };

/* The catalog the report was made with (when it says). */
static const struct doc_field catalog_fields[] = {
	SCAN("id", DOC_STRING, doc_string_dup, catalog_id, DOC_REQUIRED | DOC_NONEMPTY),
	SCAN("version", DOC_STRING, doc_string_dup, catalog_version, DOC_REQUIRED),
	{ "sha256", DOC_STRING, doc_string_dup, offsetof(struct excise_scan, catalog_sha256), DOC_REQUIRED,
	  .min = 64, .max = 64 },
	{ 0 },
};
static const struct doc_table catalog_table = { catalog_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static const struct doc_field report_fields[] = {
	{ "schema", DOC_STRING, NULL, 0, DOC_REQUIRED, .values = schemas },
	SCAN("report_id", DOC_STRING, uuid_field, report_id, DOC_REQUIRED),
	SCAN("started", DOC_STRING, time_field, started_ns, DOC_REQUIRED),
	SCAN("finished", DOC_STRING, time_field, finished_ns, DOC_REQUIRED),
	{ "host", DOC_OBJECT, doc_object, offsetof(struct excise_scan, host), DOC_REQUIRED, .table = &host_table },
	{ "catalog", DOC_OBJECT, doc_object, 0, 0, .table = &catalog_table },
	{ "sources", DOC_ARRAY, doc_objects, offsetof(struct excise_scan, sources), DOC_REQUIRED,
	  .max = EXCISE_MAX_REPORT_SOURCES, .table = &source_table, .size = sizeof(struct excise_source_result),
	  .count = offsetof(struct excise_scan, n_sources) },
	{ "findings", DOC_ARRAY, doc_objects, offsetof(struct excise_scan, findings), DOC_REQUIRED,
	  .max = EXCISE_MAX_REPORT_FINDINGS, .table = &finding_table, .size = sizeof(struct excise_finding),
	  .count = offsetof(struct excise_scan, n_findings) },
	{ 0 },
};
static const struct doc_table report_table = { report_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static int input_of(struct rd *d, struct excise_engine *e, struct excise_source_result **ins, size_t *n,
		    const char *name, struct excise_source_result **ret)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(ins[i]->name, name)) {
			*ret = ins[i];
			return 0;
		}
	if (*n == EXCISE_MAX_REPORT_SOURCES)
		return err_set(d->err, -EXCISE_E_CORRUPT, "report '%s': /findings: evidence of more than %u sources",
			       d->name, EXCISE_MAX_REPORT_SOURCES);
	if (!(ins[*n] = excise_engine_input(e, name)))
		return err_set(d->err, -ENOMEM, "out of memory");
	*ret = ins[(*n)++];
	return 0;
}

/* One artifact of a report made with another catalog, matched again as the one
 * observation it was: every field its matches name, with its path, version, state
 * and attrs. Two values of one field (a report made by hand) cannot be one
 * observation: those beyond the first are matched alone. Returns the number of
 * indicators matched or < 0. */
static int rematch_artifact(struct excise_engine *e, struct excise_source_result *in,
			    const struct report_artifact *a)
{
	struct excise_obs_attr at[EXCISE_MAX_OBS_ATTRS];
	struct excise_obs o;
	engine_obs_of(a->m[0], &o, at);
	for (size_t j = 1; j < a->n; j++)
		if (!o.f[a->m[j]->field])
			o.f[a->m[j]->field] = a->m[j]->value;
	int n = excise_engine_feed(e, in, &o);
	for (size_t j = 1; n >= 0 && j < a->n; j++) {
		const struct excise_evidence *m = a->m[j];
		if (strcmp(o.f[m->field], m->value) != 0) {
			struct excise_obs_attr at1[EXCISE_MAX_OBS_ATTRS];
			struct excise_obs o1;
			engine_obs_of(m, &o1, at1);
			int k = excise_engine_feed_field(e, in, &o1, m->field);
			n = k < 0 ? k : n + k;
		}
	}
	return n;
}

static int rematch(struct rd *d, struct excise_scan *s)
{
	struct excise_engine *e = NULL;
	struct excise_scan *m = NULL;
	struct excise_source_result *ins[EXCISE_MAX_REPORT_SOURCES], *in = NULL;
	size_t n_ins = 0;
	/* every platform the scan had (a report without the list: its one platform) */
	int r = excise_engine_new(d->c, s->host.platforms ? s->host.platforms : s->host.platform, &s->host, &e,
				  d->err);
	for (size_t i = 0; r >= 0 && i < s->n_findings; i++) {
		const struct excise_finding *f = &s->findings[i];
		struct report_artifacts as;
		if ((r = report_artifacts(f, &as)) < 0)
			r = err_set(d->err, r, "out of memory");
		for (size_t k = 0; r >= 0 && k < as.n; k++) {
			const struct report_artifact *a = &as.a[k];
			if ((r = input_of(d, e, ins, &n_ins, a->m[0]->source, &in)) < 0)
				break;
			r = rematch_artifact(e, in, a);
			/* an artifact no indicator of this catalog matches is kept as the report has it */
			for (size_t j = 0; r == 0 && j < a->n; j++)
				r = excise_engine_keep(e, in, f, a->m[j]);
			if (r < 0)
				r = err_set(d->err, r, "report '%s': matching its evidence again: %s", d->name,
					    excise_strerror(r));
		}
		report_artifacts_done(&as);
	}
	if (r >= 0 && (r = excise_engine_finish(e, &m, d->err)) >= 0) {
		/* the findings of `m` replace those read; the catalog is the one they were matched with */
		struct excise_finding *fs = s->findings;
		size_t nf = s->n_findings;
		s->findings = m->findings, s->n_findings = m->n_findings;
		m->findings = fs, m->n_findings = nf;
		char *t;
		t = s->catalog_id, s->catalog_id = m->catalog_id, m->catalog_id = t;
		t = s->catalog_version, s->catalog_version = m->catalog_version, m->catalog_version = t;
		t = s->catalog_sha256, s->catalog_sha256 = m->catalog_sha256, m->catalog_sha256 = t;
		s->origin = EXCISE_SCAN_REMATCHED;
	}
	excise_scan_free(m);
	excise_engine_free(e);
	return r < 0 ? r : 0;
}


int excise_report_read(const struct excise_catalog *c, const char *name, const char *bytes, size_t len,
		       struct excise_scan **ret, struct excise_err *err)
{
	*ret = NULL;
	struct rd rd = { .name = name, .c = c, .err = err };
	struct doc d;
	doc_init(&d, "report", name, err);
	d.userdata = &rd;
	json_t *o = NULL;
	int r = doc_load(&d, bytes, len, EXCISE_MAX_REPORT_SIZE, &o);
	if (r < 0)
		return r;
	hash_init(&rd.inds);
	for (size_t i = 0; r >= 0 && i < excise_catalog_n_indicators(c); i++) {
		const char *id = excise_catalog_indicator(c, i)->id;
		struct hash_slot *sl = hash_put(&rd.inds, id, strlen(id));
		if (!sl)
			r = err_set(err, -ENOMEM, "out of memory");
		else
			sl->value = (int)i;
	}
	json_t *schema = json_object_get(o, "schema");
	rd.v1 = json_is_string(schema) && !strcmp(json_string_value(schema), EXCISE_REPORT_SCHEMA_1);
	struct excise_scan *s = r < 0 ? NULL : calloc(1, sizeof(*s));
	if (r >= 0 && !s)
		r = err_set(err, -ENOMEM, "out of memory");
	if (r >= 0) {
		s->catalog = c;
		s->origin = EXCISE_SCAN_READ;
		r = doc_dispatch(&d, o, &report_table, s);
	}
	/* no catalog named: made with this one, as far as anyone can tell */
	if (r >= 0 && !s->catalog_sha256) {
		int e = 0;
		s->catalog_id = strdup_or_null(excise_catalog_id(c), &e);
		s->catalog_version = strdup_or_null(excise_catalog_version(c), &e);
		s->catalog_sha256 = strdup_or_null(excise_catalog_sha256(c), &e);
		if (e < 0)
			r = err_set(err, e, "out of memory");
	}
	if (r >= 0 && strcmp(s->catalog_sha256, excise_catalog_sha256(c)) != 0)
		r = rematch(&rd, s);
	hash_done(&rd.inds);
	json_decref(o);
	if (r < 0) {
		excise_scan_free(s);
		return r;
	}
	*ret = s;
	return 0;
}
