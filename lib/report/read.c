/* SPDX-License-Identifier: Apache-2.0 */
/*
 * read: an excise.report/1 document back into a struct excise_scan, so that a
 * plan can be made from a report as from a fresh scan. Every id and name is
 * kept as the report has it: sources this binary lacks, and products, vendors
 * and indicators the catalog given lacks (their pointers are then NULL, and
 * the planner refuses such evidence). When the report was made with another
 * catalog (its sha256 differs), its evidence is matched again through an
 * engine, so the findings follow the catalog given (origin
 * EXCISE_SCAN_REMATCHED). Directives are not read back (a plan needs none).
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
#include "core/text.h"
#include "engine/engine_int.h"
#include "excise/engine.h"
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

static int confidence_of(const char *s)
{
	for (int c = EXCISE_CONF_WEAK; s && c <= EXCISE_CONF_DEFINITIVE; c++)
		if (!strcmp(excise_confidence_name((enum excise_confidence)c), s))
			return c;
	return -1;
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
	const char *src = jstr(o, "source");
	int k = kind_of(jstr(o, "kind")), f = field_of(jstr(o, "field"));
	if (!src || !*src || k < 0 || f < 0) {
		badf(d, "%s: a source name, and a kind and field of this excise, are required", where);
		return;
	}
	e->source = dupn(d, o, "source", false, where);
	e->kind = (enum excise_obs_kind)k;
	e->field = (enum excise_field)f;
	e->value = dupn(d, o, "value", false, where);
	/* path_hex holds the exact bytes when the path is not UTF-8 */
	char *hexed = json_get_bytes(o, "path_hex", NULL);
	e->path = hexed ? hexed : dupn(d, o, "path", true, where);
	e->version = dupn(d, o, "version", true, where);
	e->state = dupn(d, o, "state", true, where);
	e->active = json_is_true(json_object_get(o, "active"));
	/* an indicator the catalog lacks is kept with the report's id and confidence */
	json_t *ind = json_object_get(o, "indicator");
	const char *id = jstr(ind, "id");
	const struct hash_slot *sl = id ? hash_get(&d->inds, id, strlen(id)) : NULL;
	e->indicator = sl ? excise_catalog_indicator(d->c, (size_t)sl->value) : NULL;
	int conf = e->indicator ? (int)e->indicator->confidence : confidence_of(jstr(ind, "confidence"));
	if (!id || !*id || conf < 0) {
		badf(d, "%s.indicator: an id, and a confidence (weak, strong, definitive) when catalog %s %s "
		     "lacks it, are required", where, excise_catalog_id(d->c), excise_catalog_version(d->c));
		return;
	}
	e->confidence = (enum excise_confidence)conf;
	e->indicator_id = dupn(d, ind, "id", false, where);
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
	/* a product or vendor the catalog lacks is kept with the report's ids and names */
	json_t *p = json_object_get(o, "product"), *v = json_object_get(o, "vendor");
	const char *pid = jstr(p, "id");
	f->product = pid ? excise_catalog_find_product(d->c, pid) : NULL;
	const char *vid = f->product ? f->product->vendor_id : jstr(v, "id");
	f->vendor = vid ? excise_catalog_find_vendor(d->c, vid) : NULL;
	const char *pname = f->product ? f->product->name : jstr(p, "name");
	const char *vname = f->vendor ? f->vendor->name : jstr(v, "name");
	if (!pid || !*pid || !vid || !*vid) {
		badf(d, "%s: product.id and vendor.id are required", where);
		return;
	}
	int r = 0;
	f->product_id = strdup_or_null(pid, &r);
	f->product_name = strdup_or_null(pname ? pname : pid, &r);
	f->vendor_id = strdup_or_null(vid, &r);
	f->vendor_name = strdup_or_null(vname, &r);
	if (r < 0) {
		d->r = err_set(d->err, r, "out of memory");
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
	size_t n = json_array_size(srcs);
	if (d->r)
		return;
	if (!json_is_array(srcs) || n > EXCISE_MAX_REPORT_SOURCES) {
		badf(d, "sources: must be an array of at most %u sources", EXCISE_MAX_REPORT_SOURCES);
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
		const char *name = jstr(o, "name");
		if (!json_is_object(o) || !name || !*name || st < 0) {
			badf(d, "%s: must name a source and its status (ok, absent, failed, skipped)", where);
			return;
		}
		r->name = dupn(d, o, "name", false, where);
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

/* The catalog the report was made with: its id, version and sha256 when it says;
 * else the catalog given. */
static void read_catalog(struct rd *d, struct excise_scan *s, json_t *cat)
{
	const char *sha = jstr(cat, "sha256");
	if (d->r)
		return;
	if (cat && (!json_is_object(cat) || !jstr(cat, "id") || !jstr(cat, "version") || !sha ||
		    strlen(sha) != 64)) {
		badf(d, "catalog: must be an object with id, version and sha256 (64 hex digits)");
		return;
	}
	int r = 0;
	s->catalog_id = strdup_or_null(cat ? jstr(cat, "id") : excise_catalog_id(d->c), &r);
	s->catalog_version = strdup_or_null(cat ? jstr(cat, "version") : excise_catalog_version(d->c), &r);
	s->catalog_sha256 = strdup_or_null(cat ? sha : excise_catalog_sha256(d->c), &r);
	if (r < 0)
		d->r = err_set(d->err, r, "out of memory");
}

/* The engine's input named `name`, made on first use (at most
 * EXCISE_MAX_REPORT_SOURCES of them). */
static int input_of(struct rd *d, struct excise_engine *e, struct excise_source_result **ins, size_t *n,
		    const char *name, struct excise_source_result **ret)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(ins[i]->name, name)) {
			*ret = ins[i];
			return 0;
		}
	if (*n == EXCISE_MAX_REPORT_SOURCES)
		return badf(d, "findings: evidence of more than %u sources", EXCISE_MAX_REPORT_SOURCES);
	if (!(ins[*n] = excise_engine_input(e, name)))
		return err_set(d->err, -ENOMEM, "out of memory");
	*ret = ins[(*n)++];
	return 0;
}

/* The report's evidence matched again against the catalog given, each piece as
 * an observation of its kind with its one field; what no indicator matches now
 * is kept as it was, its indicator NULL. The findings follow the catalog given;
 * the sources stay the report's. */
static int rematch(struct rd *d, struct excise_scan *s)
{
	struct excise_engine *e = NULL;
	struct excise_scan *m = NULL;
	struct excise_source_result *ins[EXCISE_MAX_REPORT_SOURCES], *in = NULL;
	size_t n_ins = 0;
	int r = excise_engine_new(d->c, s->host.platform, &s->host, &e, d->err);
	for (size_t i = 0; r >= 0 && i < s->n_findings; i++) {
		const struct excise_finding *f = &s->findings[i];
		for (size_t k = 0; r >= 0 && k < f->n_evidence; k++) {
			const struct excise_evidence *ev = &f->evidence[k];
			struct excise_obs_attr a[EXCISE_MAX_OBS_ATTRS];
			struct excise_obs o;
			engine_obs_of(ev, &o, a);
			if ((r = input_of(d, e, ins, &n_ins, ev->source, &in)) < 0)
				break;
			r = excise_engine_feed_field(e, in, &o, ev->field);
			if (r == 0)
				r = excise_engine_keep(e, in, f, ev);
			if (r < 0)
				r = err_set(d->err, r, "report '%s': matching its evidence again: %s", d->name,
					    excise_strerror(r));
		}
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
		s->origin = EXCISE_SCAN_READ;
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
	read_catalog(&d, s, json_object_get(o, "catalog"));
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
	if (!d.r && strcmp(s->catalog_sha256, excise_catalog_sha256(c)) != 0)
		d.r = rematch(&d, s);
	hash_done(&d.inds);
	json_decref(o);
	if (d.r < 0) {
		excise_scan_free(s);
		return d.r;
	}
	*ret = s;
	return 0;
}
