/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json: the excise.report/2 document (docs/report-format.md, docs/report.schema.json),
 * and helpers the other writers share. Every string is emitted as valid UTF-8;
 * a path that was not valid UTF-8 also carries its raw bytes in `path_hex`.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/text.h"
#include "excise/report.h"
#include "report/report_int.h"

char *report_utf8(const char *s, bool *ret_lossy)
{
	if (ret_lossy)
		*ret_lossy = false;
	if (!s)
		return NULL;
	size_t len = strlen(s);
	if (utf8_valid(s, len))
		return strdup(s);
	if (ret_lossy)
		*ret_lossy = true;
	struct buf b;
	buf_init(&b, 0);
	utf8_sanitize(&b, s, len);
	char *out;
	return buf_take(&b, &out) < 0 ? NULL : out;
}

char *report_hex(const char *s)
{
	struct buf b;
	buf_init(&b, 0);
	hex_append(&b, s, strlen(s));
	char *out;
	return buf_take(&b, &out) < 0 ? NULL : out;
}

char *report_directives(const struct excise_finding *f, const char *sep)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < f->n_directives; i++)
		buf_addf(&b, "%s%s", i ? sep : "", f->directives[i]->short_name);
	char *out;
	return buf_take(&b, &out) < 0 ? NULL : out;
}

static int cmp_nullable(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) : (a != NULL) - (b != NULL);
}

/* Evidence of one artifact together (numbered 0: alone), then strongest first. */
static int cmp_member(const void *pa, const void *pb)
{
	const struct excise_evidence *x = *(const struct excise_evidence *const *)pa,
				     *y = *(const struct excise_evidence *const *)pb;
	int d;
	if (x->artifact != y->artifact)
		return x->artifact < y->artifact ? -1 : 1;
	if (!x->artifact && x != y)
		return x < y ? -1 : 1;
	if ((d = strcmp(x->source, y->source)) || (d = (int)x->kind - (int)y->kind) ||
	    (d = cmp_nullable(x->path, y->path)))
		return d;
	if (x->confidence != y->confidence)
		return x->confidence > y->confidence ? -1 : 1;
	if ((d = (int)x->field - (int)y->field) || (d = strcmp(x->value, y->value)))
		return d;
	return strcmp(x->indicator_id, y->indicator_id);
}

static bool same_artifact(const struct excise_evidence *x, const struct excise_evidence *y)
{
	return x->artifact && x->artifact == y->artifact && !strcmp(x->source, y->source) && x->kind == y->kind &&
	       !cmp_nullable(x->path, y->path);
}

/* Artifacts as the engine orders evidence: by their strongest match. */
static int cmp_artifact(const void *pa, const void *pb)
{
	const struct report_artifact *a = pa, *b = pb;
	const struct excise_evidence *x = a->m[0], *y = b->m[0];
	int d;
	if (x->confidence != y->confidence)
		return x->confidence > y->confidence ? -1 : 1;
	if ((d = strcmp(x->source, y->source)) || (d = cmp_nullable(x->path, y->path)) ||
	    (d = strcmp(x->value, y->value)))
		return d;
	if (x->artifact != y->artifact)
		return x->artifact < y->artifact ? -1 : 1;
	return strcmp(x->indicator_id, y->indicator_id);
}

int report_artifacts(const struct excise_finding *f, struct report_artifacts *ret)
{
	*ret = (struct report_artifacts){ 0 };
	size_t n = f->n_evidence;
	if (!n)
		return 0;
	ret->all = calloc(n, sizeof(*ret->all));
	ret->a = calloc(n, sizeof(*ret->a));
	if (!ret->all || !ret->a)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ret->all[i] = &f->evidence[i];
	qsort(ret->all, n, sizeof(*ret->all), cmp_member);
	size_t k = 0; /* kept members, compacted in place */
	for (size_t i = 0; i < n; i++) {
		const struct excise_evidence *e = ret->all[i];
		struct report_artifact *cur = ret->n ? &ret->a[ret->n - 1] : NULL;
		if (cur && same_artifact(cur->m[0], e)) {
			/* sorted: a repeated match (same confidence, field, value, indicator) is next to its twin */
			const struct excise_evidence *prev = cur->m[cur->n - 1];
			bool dup = prev->confidence == e->confidence && prev->field == e->field &&
				   !strcmp(prev->value, e->value) && !strcmp(prev->indicator_id, e->indicator_id);
			if (!dup) {
				ret->all[k++] = e;
				cur->n++;
			}
			continue;
		}
		ret->all[k] = e;
		ret->a[ret->n++] = (struct report_artifact){ .m = &ret->all[k], .n = 1 };
		k++;
	}
	qsort(ret->a, ret->n, sizeof(*ret->a), cmp_artifact);
	return 0;
}

void report_artifacts_done(struct report_artifacts *a)
{
	free(a->all);
	free(a->a);
	*a = (struct report_artifacts){ 0 };
}

/* jansson helpers that stay NULL-safe and never see invalid UTF-8. */
struct jb {
	int err;
};

static json_t *jstr(struct jb *jb, const char *s)
{
	if (!s)
		return json_null();
	char *u = report_utf8(s, NULL);
	json_t *v = u ? json_string(u) : NULL;
	free(u);
	if (!v)
		jb->err = -ENOMEM;
	return v ? v : json_null();
}

static void set(struct jb *jb, json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		jb->err = -ENOMEM;
}

static json_t *strv(struct jb *jb, const char *const *v)
{
	json_t *a = json_array();
	for (; a && v && *v; v++)
		if (json_array_append_new(a, jstr(jb, *v)) < 0)
			jb->err = -ENOMEM;
	if (!a)
		jb->err = -ENOMEM;
	return a;
}

static json_t *attrs_json(struct jb *jb, char **attrs)
{
	json_t *a = json_object();
	if (!a)
		jb->err = -ENOMEM;
	for (char **p = attrs; a && p && p[0] && p[1]; p += 2)
		set(jb, a, p[0], jstr(jb, p[1]));
	return a;
}

char *report_attrs(const struct excise_evidence *e)
{
	struct jb jb = { 0 };
	json_t *a = attrs_json(&jb, e->attrs);
	char *s = a && !jb.err ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

/* One match of an artifact: the field and value that matched and the indicator. */
static json_t *match_json(struct jb *jb, const struct excise_evidence *e)
{
	json_t *o = json_object(), *ind = json_object();
	if (!o || !ind) {
		jb->err = -ENOMEM;
		json_decref(o);
		json_decref(ind);
		return NULL;
	}
	set(jb, o, "field", jstr(jb, excise_field_name(e->field)));
	set(jb, o, "value", jstr(jb, e->value));
	/* a value that is not UTF-8 (a file's name or path) keeps its exact bytes too */
	if (e->value && !utf8_valid(e->value, strlen(e->value))) {
		char *hex = report_hex(e->value);
		set(jb, o, "value_hex", jstr(jb, hex));
		free(hex);
	}
	/* an indicator the scan's catalog lacks (a report read back) has no source or note there */
	const struct excise_indicator *in = e->indicator;
	set(jb, ind, "id", jstr(jb, e->indicator_id));
	set(jb, ind, "confidence", jstr(jb, excise_confidence_name(e->confidence)));
	set(jb, ind, "source", jstr(jb, in ? in->source_url : ""));
	set(jb, ind, "note", jstr(jb, in ? in->note : "not in the catalog this report was read with"));
	set(jb, o, "indicator", ind);
	return o;
}

/* One artifact: what was seen, once, and every indicator that matched it. */
static json_t *evidence_json(struct jb *jb, const struct report_artifact *a)
{
	const struct excise_evidence *e = a->m[0];
	json_t *o = json_object(), *ms = json_array();
	if (!o || !ms) {
		jb->err = -ENOMEM;
		json_decref(o);
		json_decref(ms);
		return NULL;
	}
	set(jb, o, "source", jstr(jb, e->source));
	set(jb, o, "kind", jstr(jb, excise_obs_kind_name(e->kind)));
	set(jb, o, "path", jstr(jb, e->path));
	if (e->path && !utf8_valid(e->path, strlen(e->path))) {
		char *hex = report_hex(e->path);
		set(jb, o, "path_hex", jstr(jb, hex));
		free(hex);
	}
	set(jb, o, "version", jstr(jb, e->version));
	set(jb, o, "state", jstr(jb, e->state));
	set(jb, o, "active", json_boolean(e->active));
	if (e->attrs)
		set(jb, o, "attrs", attrs_json(jb, e->attrs));
	set(jb, o, "confidence", jstr(jb, excise_confidence_name(report_artifact_confidence(a))));
	for (size_t i = 0; i < a->n; i++) {
		json_t *x = match_json(jb, a->m[i]);
		if (!x || json_array_append_new(ms, x) < 0)
			jb->err = -ENOMEM;
	}
	set(jb, o, "matches", ms);
	return o;
}

static json_t *finding_json(struct jb *jb, const struct excise_finding *f)
{
	json_t *o = json_object(), *p = json_object(), *v = json_object(), *d = json_array(),
	       *ev = json_array();
	if (!o || !p || !v || !d || !ev) {
		jb->err = -ENOMEM;
		json_decref(o), json_decref(p), json_decref(v), json_decref(d), json_decref(ev);
		return NULL;
	}
	/* a product the scan's catalog lacks (a report read back): only its id and name are known */
	set(jb, p, "id", jstr(jb, f->product_id));
	set(jb, p, "name", jstr(jb, f->product_name));
	set(jb, p, "family", jstr(jb, f->product ? f->product->family : ""));
	set(jb, p, "branded", json_boolean(f->product ? f->product->branded : false));
	set(jb, p, "platforms", strv(jb, f->product ? f->product->platforms : NULL));
	set(jb, o, "product", p);
	set(jb, o, "kind", json_string(excise_finding_kind_name(f->kind)));
	set(jb, v, "id", jstr(jb, f->vendor_id));
	set(jb, v, "name", jstr(jb, f->vendor_name));
	set(jb, o, "vendor", v);
	set(jb, o, "version", jstr(jb, f->version));
	set(jb, o, "state", jstr(jb, excise_state_name(f->state)));
	set(jb, o, "confidence", jstr(jb, excise_confidence_name(f->confidence)));
	for (size_t i = 0; i < f->n_directives; i++) {
		json_t *x = json_object();
		if (!x) {
			jb->err = -ENOMEM;
			break;
		}
		set(jb, x, "id", jstr(jb, f->directives[i]->id));
		set(jb, x, "short_name", jstr(jb, f->directives[i]->short_name));
		set(jb, x, "title", jstr(jb, f->directives[i]->title));
		if (json_array_append_new(d, x) < 0)
			jb->err = -ENOMEM;
	}
	set(jb, o, "directives", d);
	struct report_artifacts as;
	if (report_artifacts(f, &as) < 0)
		jb->err = -ENOMEM;
	for (size_t i = 0; i < as.n; i++) {
		json_t *x = evidence_json(jb, &as.a[i]);
		if (!x || json_array_append_new(ev, x) < 0)
			jb->err = -ENOMEM;
	}
	report_artifacts_done(&as);
	set(jb, o, "evidence", ev);
	return o;
}

static json_t *report_doc(struct jb *jb, const struct excise_scan *s)
{
	json_t *doc = json_object(), *host = json_object(), *cat = json_object(), *srcs = json_array(),
	       *fs = json_array(), *sum = json_object(), *by_state = json_object(),
	       *by_conf = json_object(), *failed = json_array();
	if (!doc || !host || !cat || !srcs || !fs || !sum || !by_state || !by_conf || !failed) {
		jb->err = -ENOMEM;
		json_decref(doc), json_decref(host), json_decref(cat), json_decref(srcs);
		json_decref(fs), json_decref(sum), json_decref(by_state), json_decref(by_conf);
		json_decref(failed);
		return NULL;
	}
	char t0[32], t1[32];
	time_rfc3339(s->started_ns, t0);
	time_rfc3339(s->finished_ns, t1);
	set(jb, doc, "schema", json_string(EXCISE_REPORT_SCHEMA));
	set(jb, doc, "report_id", json_string(s->report_id));
	set(jb, host, "hostname", jstr(jb, s->host.hostname));
	set(jb, host, "os", jstr(jb, s->host.os));
	set(jb, host, "os_id", jstr(jb, s->host.os_id));
	set(jb, host, "machine_id", jstr(jb, s->host.machine_id));
	set(jb, host, "root", jstr(jb, s->host.root));
	set(jb, host, "platform", jstr(jb, s->host.platform));
	set(jb, host, "live", json_boolean(s->host.live));
	if (s->host.platforms) {
		json_t *pl = json_array();
		if (!pl)
			jb->err = -ENOMEM;
		for (const char *p = s->host.platforms; pl && *p; p += strcspn(p, ","), p += *p == ',') {
			size_t k = strcspn(p, ",");
			if (json_array_append_new(pl, json_stringn(p, k)) < 0)
				jb->err = -ENOMEM;
		}
		set(jb, host, "platforms", pl);
	}
	set(jb, doc, "host", host);
	set(jb, doc, "started", json_string(t0));
	set(jb, doc, "finished", json_string(t1));
	const struct excise_catalog *c = s->catalog;
	bool file = excise_catalog_origin(c) == EXCISE_CATALOG_FILE;
	set(jb, cat, "id", jstr(jb, s->catalog_id ? s->catalog_id : excise_catalog_id(c)));
	set(jb, cat, "version", jstr(jb, s->catalog_version ? s->catalog_version : excise_catalog_version(c)));
	set(jb, cat, "origin", json_string(file ? "file" : "embedded"));
	set(jb, cat, "sha256", jstr(jb, s->catalog_sha256 ? s->catalog_sha256 : excise_catalog_sha256(c)));
	if (file) {
		set(jb, cat, "path", jstr(jb, excise_catalog_path(c)));
		set(jb, cat, "key_id", jstr(jb, excise_catalog_key_id(c)));
	}
	set(jb, doc, "catalog", cat);
	for (size_t i = 0; i < s->n_sources; i++) {
		const struct excise_source_result *r = &s->sources[i];
		json_t *o = json_object(), *errs = json_array();
		if (!o || !errs) {
			json_decref(o), json_decref(errs);
			jb->err = -ENOMEM;
			break;
		}
		set(jb, o, "name", jstr(jb, r->name));
		set(jb, o, "status", json_string(excise_source_status_name(r->status)));
		set(jb, o, "observations", json_integer((json_int_t)r->observations));
		set(jb, o, "matched", json_integer((json_int_t)r->matched));
		set(jb, o, "n_errors", json_integer((json_int_t)r->n_errors));
		for (char **e = r->errors; e && *e; e++)
			if (json_array_append_new(errs, jstr(jb, *e)) < 0)
				jb->err = -ENOMEM;
		set(jb, o, "errors", errs);
		set(jb, o, "error", jstr(jb, r->error));
		set(jb, o, "seconds", json_real(r->seconds));
		if (json_array_append_new(srcs, o) < 0)
			jb->err = -ENOMEM;
		if (r->status == EXCISE_SOURCE_FAILED && json_array_append_new(failed, jstr(jb, r->name)) < 0)
			jb->err = -ENOMEM;
	}
	set(jb, doc, "sources", srcs);
	size_t st[4] = { 0 }, cf[4] = { 0 };
	for (size_t i = 0; i < s->n_findings; i++) {
		json_t *x = finding_json(jb, &s->findings[i]);
		if (!x || json_array_append_new(fs, x) < 0)
			jb->err = -ENOMEM;
		st[s->findings[i].state]++;
		cf[s->findings[i].confidence]++;
	}
	set(jb, doc, "findings", fs);
	const char *word;
	int code = excise_scan_verdict(s, &word);
	set(jb, sum, "verdict", json_string(word));
	set(jb, sum, "findings", json_integer((json_int_t)s->n_findings));
	set(jb, by_state, "running", json_integer((json_int_t)st[EXCISE_STATE_RUNNING]));
	set(jb, by_state, "installed", json_integer((json_int_t)st[EXCISE_STATE_INSTALLED]));
	set(jb, by_state, "trust", json_integer((json_int_t)st[EXCISE_STATE_TRUST]));
	set(jb, by_state, "remnant", json_integer((json_int_t)st[EXCISE_STATE_REMNANT]));
	set(jb, sum, "by_state", by_state);
	set(jb, by_conf, "definitive", json_integer((json_int_t)cf[EXCISE_CONF_DEFINITIVE]));
	set(jb, by_conf, "strong", json_integer((json_int_t)cf[EXCISE_CONF_STRONG]));
	set(jb, by_conf, "weak", json_integer((json_int_t)cf[EXCISE_CONF_WEAK]));
	set(jb, sum, "by_confidence", by_conf);
	set(jb, sum, "sources_failed", failed);
	set(jb, sum, "exit_code", json_integer(code));
	set(jb, doc, "summary", sum);
	return doc;
}

int excise_report_json(const struct excise_scan *s, FILE *out)
{
	struct jb jb = { 0 };
	json_t *doc = report_doc(&jb, s);
	if (!doc || jb.err) {
		json_decref(doc);
		return jb.err ? jb.err : -ENOMEM;
	}
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	/* jansson escapes C0 controls; DEL, the C1 and the bidirectional controls too, so that
	 * a report shown on a terminal shows them as escapes */
	struct buf b;
	buf_init(&b, 0);
	text_escape(&b, text, strlen(text), TEXT_ESC_KEEP_NL | TEXT_ESC_JSON);
	free(text);
	int r = b.err;
	if (r == 0 && (fwrite(b.p, 1, b.n, out) != b.n || fputc('\n', out) == EOF || fflush(out) == EOF || ferror(out)))
		r = -EIO;
	buf_done(&b);
	return r;
}
