/* SPDX-License-Identifier: Apache-2.0 */
/*
 * read: an excise.report/1 document back into a struct excise_scan, so that a
 * plan can be made from a report as from a fresh scan. Products, vendors and
 * indicators are looked up in the catalog given: a report naming one the
 * catalog lacks is refused (the plan would rest on evidence it cannot judge).
 * Sources and directives are not read back (a plan needs neither).
 */
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/jsonbytes.h"
#include "core/limits.h"
#include "excise/report.h"

struct rd {
	const char *name;
	const struct excise_catalog *c;
	struct excise_err *err;
	struct hash inds;      /* indicator id -> index */
	int r;
};

static int badf(struct rd *d, const char *fmt, ...) PRINTF(2, 3);
static int badf(struct rd *d, const char *fmt, ...)
{
	if (d->r)
		return d->r;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->r = err_set(d->err, -EXCISE_E_CORRUPT, "report '%s': %s", d->name, msg);
	return d->r;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "2026-11-22T09:14:03.512Z" -> ns; -1 when malformed. */
static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	int ms = 0, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec, &ms, &n) != 7 || s[n])
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	return t < 0 ? -1 : (int64_t)t * 1000000000 + (int64_t)ms * 1000000;
}

/* The source's own name string, so the scan points at static storage as a fresh one does. */
static const char *source_name(const char *s)
{
	for (const char *const *n = excise_source_names(); s && *n; n++)
		if (!strcmp(*n, s))
			return *n;
	return NULL;
}

static int kind_of(const char *s)
{
	for (int k = 0; s && k < _EXCISE_OBS_KIND_MAX; k++)
		if (!strcmp(excise_obs_kind_name((enum excise_obs_kind)k), s))
			return k;
	return -1;
}

static int field_of(const char *s)
{
	for (int f = 0; s && f < _EXCISE_FIELD_MAX; f++)
		if (!strcmp(excise_field_name((enum excise_field)f), s))
			return f;
	return -1;
}

static char *dupn(struct rd *d, json_t *o, const char *key, bool nullable, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (nullable && (!v || json_is_null(v)))
		return NULL;
	char *s = json_get_bytes(o, key, NULL);
	if (!s)
		badf(d, "%s.%s: must be a string%s", where, key, nullable ? " or null" : "");
	return s;
}

static void read_evidence(struct rd *d, json_t *o, struct excise_evidence *e, const char *where)
{
	if (!json_is_object(o)) {
		badf(d, "%s: must be an object", where);
		return;
	}
	e->source = source_name(jstr(o, "source"));
	int k = kind_of(jstr(o, "kind")), f = field_of(jstr(o, "field"));
	if (!e->source || k < 0 || f < 0) {
		badf(d, "%s: unknown source, kind or field", where);
		return;
	}
	e->kind = (enum excise_obs_kind)k;
	e->field = (enum excise_field)f;
	e->value = dupn(d, o, "value", false, where);
	/* path_hex holds the exact bytes when the path is not UTF-8 */
	char *hexed = json_get_bytes(o, "path_hex", NULL);
	e->path = hexed ? hexed : dupn(d, o, "path", true, where);
	e->version = dupn(d, o, "version", true, where);
	e->state = dupn(d, o, "state", true, where);
	e->active = json_is_true(json_object_get(o, "active"));
	const char *id = jstr(json_object_get(o, "indicator"), "id");
	const struct hash_slot *sl = id ? hash_get(&d->inds, id, strlen(id)) : NULL;
	if (!sl) {
		badf(d, "%s.indicator.id '%s': not in catalog %s %s; scan again with this catalog", where, id ? id : "",
		     excise_catalog_id(d->c), excise_catalog_version(d->c));
		return;
	}
	e->indicator = excise_catalog_indicator(d->c, (size_t)sl->value);
	json_t *attrs = json_object_get(o, "attrs");
	if (attrs && (!json_is_object(attrs) || json_object_size(attrs) > EXCISE_MAX_OBS_ATTRS)) {
		badf(d, "%s.attrs: must be an object of at most %u strings", where, EXCISE_MAX_OBS_ATTRS);
		return;
	}
	if (attrs && json_object_size(attrs)) {
		e->attrs = calloc(2 * json_object_size(attrs) + 1, sizeof(*e->attrs));
		size_t i = 0;
		const char *key;
		json_t *v;
		json_object_foreach(attrs, key, v) {
			if (!e->attrs || !json_is_string(v) || !(e->attrs[i] = strdup(key)) ||
			    !(e->attrs[i + 1] = strdup(json_string_value(v)))) {
				badf(d, "%s.attrs.%s: must be a string", where, key);
				return;
			}
			i += 2;
		}
	}
}

static void read_finding(struct rd *d, json_t *o, struct excise_finding *f, size_t index)
{
	char where[64];
	snprintf(where, sizeof(where), "findings[%zu]", index);
	const char *pid = jstr(json_object_get(o, "product"), "id");
	f->product = pid ? excise_catalog_find_product(d->c, pid) : NULL;
	f->vendor = f->product ? excise_catalog_find_vendor(d->c, f->product->vendor_id) : NULL;
	if (!f->product || !f->vendor) {
		badf(d, "%s.product.id '%s': not in catalog %s %s", where, pid ? pid : "", excise_catalog_id(d->c),
		     excise_catalog_version(d->c));
		return;
	}
	f->version = dupn(d, o, "version", true, where);
	const char *st = jstr(o, "state"), *cf = jstr(o, "confidence");
	f->state = st && !strcmp(st, "running") ? EXCISE_STATE_RUNNING :
		   st && !strcmp(st, "installed") ? EXCISE_STATE_INSTALLED : EXCISE_STATE_REMNANT;
	f->confidence = cf && !strcmp(cf, "definitive") ? EXCISE_CONF_DEFINITIVE :
			cf && !strcmp(cf, "strong") ? EXCISE_CONF_STRONG : EXCISE_CONF_WEAK;
	if (!st || (strcmp(st, "running") && strcmp(st, "installed") && strcmp(st, "remnant")) || !cf)
		badf(d, "%s: state and confidence are required", where);
	f->directives = calloc(1, sizeof(*f->directives));
	json_t *ev = json_object_get(o, "evidence");
	size_t n = json_array_size(ev);
	if (!json_is_array(ev) || n < 1 || n > EXCISE_MAX_REPORT_EVIDENCE) {
		badf(d, "%s.evidence: must be an array of 1 to %u objects", where, EXCISE_MAX_REPORT_EVIDENCE);
		return;
	}
	f->evidence = calloc(n, sizeof(*f->evidence));
	if (!f->evidence || !f->directives) {
		d->r = err_set(d->err, -ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < n && !d->r; i++) {
		snprintf(where, sizeof(where), "findings[%zu].evidence[%zu]", index, i);
		f->n_evidence = i + 1;
		read_evidence(d, json_array_get(ev, i), &f->evidence[i], where);
	}
}

static int status_of(const char *s)
{
	for (int k = 0; s && k <= EXCISE_SOURCE_SKIPPED; k++)
		if (!strcmp(s, excise_source_status_name((enum excise_source_status)k)))
			return k;
	return -1;
}

/* Each source's name, status, failure and first item errors: what a plan must say
 * it could not see. Counts and times are not read back. */
static void read_sources(struct rd *d, struct excise_scan *s, json_t *srcs)
{
	size_t n = json_array_size(srcs), max = 0;
	for (const char *const *k = excise_source_names(); *k; k++)
		max++;
	if (d->r)
		return;
	if (!json_is_array(srcs) || n > max) {
		badf(d, "sources: must be an array of at most %zu sources", max);
		return;
	}
	if (n && !(s->sources = calloc(n, sizeof(*s->sources)))) {
		d->r = err_set(d->err, -ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; !d->r && i < n; i++) {
		json_t *o = json_array_get(srcs, i);
		struct excise_source_result *r = &s->sources[i];
		s->n_sources = i + 1;
		char where[32];
		snprintf(where, sizeof(where), "sources[%zu]", i);
		int st = status_of(jstr(o, "status"));
		r->name = source_name(jstr(o, "name"));
		if (!json_is_object(o) || !r->name || st < 0) {
			badf(d, "%s: must name a source of this excise and its status (ok, absent, failed, skipped)",
			     where);
			return;
		}
		r->status = (enum excise_source_status)st;
		r->error = dupn(d, o, "error", true, where);
		json_t *errs = json_object_get(o, "errors");
		size_t ne = json_array_size(errs);
		if (errs && (!json_is_array(errs) || ne > EXCISE_MAX_SOURCE_ERRORS)) {
			badf(d, "%s.errors: must be an array of at most %u strings", where, EXCISE_MAX_SOURCE_ERRORS);
			return;
		}
		json_int_t nerr = json_integer_value(json_object_get(o, "n_errors"));
		r->n_errors = nerr > 0 ? (uint64_t)nerr : ne;
		if (ne && !(r->errors = calloc(ne + 1, sizeof(*r->errors))))
			d->r = err_set(d->err, -ENOMEM, "out of memory");
		for (size_t k = 0; !d->r && k < ne; k++) {
			const char *m = json_string_value(json_array_get(errs, k));
			if (!m)
				badf(d, "%s.errors[%zu]: must be a string", where, k);
			else if (!(r->errors[k] = strdup(m)))
				d->r = err_set(d->err, -ENOMEM, "out of memory");
		}
	}
}

int excise_report_read(const struct excise_catalog *c, const char *name, const char *bytes, size_t len,
		       struct excise_scan **ret, struct excise_err *err)
{
	*ret = NULL;
	if (len > EXCISE_MAX_REPORT_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "report '%s': %zu bytes (at most %u)", name, len,
			       EXCISE_MAX_REPORT_SIZE);
	json_error_t je;
	json_t *o = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		return err_set(err, -EXCISE_E_CORRUPT, "report '%s': line %d: %s", name, je.line,
			       o ? "not a JSON object" : je.text);
	}
	struct rd d = { .name = name, .c = c, .err = err };
	hash_init(&d.inds);
	for (size_t i = 0; i < excise_catalog_n_indicators(c); i++) {
		const char *id = excise_catalog_indicator(c, i)->id;
		struct hash_slot *sl = hash_put(&d.inds, id, strlen(id));
		if (!sl) {
			d.r = err_set(err, -ENOMEM, "out of memory");
			break;
		}
		sl->value = (int)i;
	}
	struct excise_scan *s = calloc(1, sizeof(*s));
	if (!s && !d.r)
		d.r = err_set(err, -ENOMEM, "out of memory");
	const char *schema = jstr(o, "schema"), *id = jstr(o, "report_id");
	if (!d.r && (!schema || strcmp(schema, "excise.report/1")))
		badf(&d, "schema: must be excise.report/1");
	if (!d.r && (!id || strlen(id) != 36))
		badf(&d, "report_id: must be a UUID");
	if (!d.r) {
		memcpy(s->report_id, id, 37);
		s->catalog = c;
		s->started_ns = parse_time(jstr(o, "started"));
		s->finished_ns = parse_time(jstr(o, "finished"));
		if (s->started_ns < 0 || s->finished_ns < 0)
			badf(&d, "started, finished: must be RFC 3339 times like 2026-11-22T09:14:03.512Z");
	}
	json_t *h = json_object_get(o, "host");
	if (!d.r && !json_is_object(h))
		badf(&d, "host: must be an object");
	if (!d.r) {
		s->host.hostname = dupn(&d, h, "hostname", false, "host");
		s->host.os = dupn(&d, h, "os", true, "host");
		s->host.os_id = dupn(&d, h, "os_id", true, "host");
		s->host.machine_id = dupn(&d, h, "machine_id", true, "host");
		s->host.root = dupn(&d, h, "root", false, "host");
		s->host.platform = dupn(&d, h, "platform", false, "host");
		s->host.live = json_is_true(json_object_get(h, "live"));
		if (!d.r && s->host.root[0] != '/')
			badf(&d, "host.root: must be an absolute path");
	}
	read_sources(&d, s, json_object_get(o, "sources"));
	json_t *fs = json_object_get(o, "findings");
	size_t n = json_array_size(fs);
	if (!d.r && (!json_is_array(fs) || n > EXCISE_MAX_REPORT_FINDINGS))
		badf(&d, "findings: must be an array of at most %u findings", EXCISE_MAX_REPORT_FINDINGS);
	if (!d.r && n && !(s->findings = calloc(n, sizeof(*s->findings))))
		d.r = err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; !d.r && i < n; i++) {
		s->n_findings = i + 1;
		read_finding(&d, json_array_get(fs, i), &s->findings[i], i);
	}
	hash_done(&d.inds);
	json_decref(o);
	if (d.r < 0) {
		excise_scan_free(s);
		return d.r;
	}
	*ret = s;
	return 0;
}
