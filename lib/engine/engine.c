/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine: observations in, evidence (each matching indicator, deduplicated),
 * findings out (include/excise/engine.h).
 *
 * Feeding may come from several threads: matching is lock-free (the matcher is
 * read-only), and only appending evidence, counting and errors take the
 * engine's mutex. Unmatched observations are counted and dropped, so memory
 * grows with the evidence, not with the number of observations.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/match.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/text.h"
#include "engine/engine_int.h"
#include "excise/engine.h"

/* A piece of evidence before grouping, with the product it belongs to: the
 * indicator's (borrowed from the catalog), or for kept evidence its finding's
 * (owned copies, `kept` set). */
struct ev {
	struct excise_evidence e;
	const char *product_id;     /* NULL: vendor-wide */
	const char *vendor_id;
	const char *product_name, *vendor_name; /* kept evidence only; may be NULL */
	bool kept;
};

struct excise_engine {
	const struct excise_catalog *catalog;
	struct matcher *matcher;
	struct excise_host host;
	int64_t started_ns;
	pthread_mutex_t mu;
	struct excise_source_result **inputs;
	size_t n_inputs;
	struct ev *ev;
	size_t n_ev, cap_ev;
	struct strset seen;         /* dedupe: indicator id + path + value + input */
	int oom;
	uint64_t dropped;           /* evidence over EXCISE_MAX_EVIDENCE */
	uint32_t artifacts;         /* observations that matched, numbering artifacts from 1 */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const struct matcher *engine_matcher(const struct excise_engine *e)
{
	return e->matcher;
}

const struct excise_catalog *engine_catalog(const struct excise_engine *e)
{
	return e->catalog;
}

static int host_copy(struct excise_host *to, const struct excise_host *h)
{
	int r = 0;
	*to = (struct excise_host){ .live = h->live };
	to->hostname = strdup_or_null(h->hostname, &r);
	to->os = strdup_or_null(h->os, &r);
	to->os_id = strdup_or_null(h->os_id, &r);
	to->machine_id = strdup_or_null(h->machine_id, &r);
	to->root = strdup_or_null(h->root, &r);
	to->platform = strdup_or_null(h->platform, &r);
	return r;
}

int excise_engine_new(const struct excise_catalog *c, const char *platform, const struct excise_host *host,
		      struct excise_engine **ret, struct excise_err *reterr)
{
	if (!c || !ret)
		return err_set(reterr, -EXCISE_E_USAGE, "excise_engine_new: missing argument");
	struct excise_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return err_set(reterr, -ENOMEM, "out of memory");
	e->catalog = c;
	e->started_ns = now_ns();
	pthread_mutex_init(&e->mu, NULL);
	strset_init(&e->seen);
	int r = host_copy(&e->host, host ? host : &(struct excise_host){ .platform = (char *)platform });
	if (r < 0) {
		excise_engine_free(e);
		return err_set(reterr, r, "out of memory");
	}
	/* Only the indicators of the platform are compiled (and tried). */
	if ((r = matcher_new(c, platform, &e->matcher, reterr)) < 0) {
		excise_engine_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

static void ev_done(struct ev *v)
{
	result_evidence_done(&v->e);
	if (v->kept) {
		free((char *)v->product_id);
		free((char *)v->vendor_id);
		free((char *)v->product_name);
		free((char *)v->vendor_name);
	}
}

struct excise_engine *excise_engine_free(struct excise_engine *e)
{
	if (!e)
		return NULL;
	for (size_t i = 0; i < e->n_ev; i++)
		ev_done(&e->ev[i]);
	free(e->ev);
	for (size_t i = 0; i < e->n_inputs; i++) {
		result_source_done(e->inputs[i]);
		free(e->inputs[i]);
	}
	free(e->inputs);
	strset_done(&e->seen);
	matcher_free(e->matcher);
	excise_host_done(&e->host);
	pthread_mutex_destroy(&e->mu);
	free(e);
	return NULL;
}

struct excise_source_result *excise_engine_input(struct excise_engine *e, const char *name)
{
	struct excise_source_result *in = calloc(1, sizeof(*in));
	if (!in || !(in->name = strdup(name))) {
		free(in);
		return NULL;
	}
	pthread_mutex_lock(&e->mu);
	struct excise_source_result **v = array_full(e->n_inputs)
		? realloc(e->inputs, array_cap(e->n_inputs) * sizeof(*v)) : e->inputs;
	if (v) {
		e->inputs = v;
		v[e->n_inputs++] = in;
	}
	pthread_mutex_unlock(&e->mu);
	if (!v) {
		result_source_done(in);
		free(in);
		return NULL;
	}
	return in;
}

static void add_error_locked(struct excise_engine *e, struct excise_source_result *in, const char *msg)
{
	in->n_errors++;
	if (in->n_errors > EXCISE_MAX_SOURCE_ERRORS)
		return;
	size_t n = in->n_errors - 1;
	char **v = realloc(in->errors, (n + 2) * sizeof(char *));
	if (!v) {
		e->oom = -ENOMEM;
		return;
	}
	in->errors = v;
	v[n] = strdup(msg);
	v[n + 1] = NULL;
	if (!v[n])
		e->oom = -ENOMEM;
}

void excise_engine_item_error(struct excise_engine *e, struct excise_source_result *in, const char *msg)
{
	pthread_mutex_lock(&e->mu);
	add_error_locked(e, in, msg);
	pthread_mutex_unlock(&e->mu);
}

void excise_engine_fail(struct excise_engine *e, struct excise_source_result *in, const char *msg)
{
	pthread_mutex_lock(&e->mu);
	if (!in->error && !(in->error = strdup(msg)))
		e->oom = -ENOMEM;
	pthread_mutex_unlock(&e->mu);
}

void excise_engine_count(struct excise_engine *e, struct excise_source_result *in, uint64_t n)
{
	pthread_mutex_lock(&e->mu);
	in->observations += n;
	pthread_mutex_unlock(&e->mu);
}

bool excise_engine_could_match(const struct excise_engine *e, enum excise_obs_kind kind, enum excise_field field,
			       const char *s, size_t len)
{
	return matcher_could(e->matcher, kind, field, s, len);
}

/* ---- evidence ---- */

struct emit {
	struct excise_engine *eng;
	struct excise_source_result *in;
	const struct excise_obs *o;
	enum excise_field field;
	const char *value;
	int matched;
	uint32_t artifact;          /* this observation's number, given at its first match */
};

/* The observation's attributes as an owned key, value, ..., NULL vector; NULL values dropped. */
static int copy_attrs(const struct excise_obs *o, char ***ret)
{
	size_t n = o->n_attrs < EXCISE_MAX_OBS_ATTRS ? o->n_attrs : EXCISE_MAX_OBS_ATTRS;
	char **v = calloc(2 * n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!o->attrs[i].key || !o->attrs[i].value)
			continue;
		v[k] = strdup(o->attrs[i].key);
		v[k + 1] = strdup(o->attrs[i].value);
		if (!v[k] || !v[k + 1]) {
			free(v[k]);
			excise_strv_free(v);
			return -ENOMEM;
		}
		k += 2;
	}
	*ret = v;
	return 0;
}

/* Room for one more piece of evidence: NULL past the limit (said once, as an item
 * error of the input that met it: the report is not the whole story) or on OOM. */
static struct ev *ev_slot_locked(struct excise_engine *e, struct excise_source_result *in, int *r)
{
	if (e->n_ev >= EXCISE_MAX_EVIDENCE) {
		if (e->dropped++ == 0) {
			char msg[128];
			snprintf(msg, sizeof(msg), "more than %u pieces of evidence: only the first %u kept",
				 EXCISE_MAX_EVIDENCE, EXCISE_MAX_EVIDENCE);
			add_error_locked(e, in, msg);
		}
		return NULL;
	}
	if (e->n_ev == e->cap_ev) {
		size_t cap = e->cap_ev ? e->cap_ev * 2 : 64;
		struct ev *v = realloc(e->ev, cap * sizeof(*v));
		if (!v) {
			*r = -ENOMEM;
			return NULL;
		}
		e->ev = v;
		e->cap_ev = cap;
	}
	struct ev *v = &e->ev[e->n_ev++];
	*v = (struct ev){ 0 };
	return v;
}

/* Fill `e` from observation `o` (strings copied); the caller sets the indicator. */
static int evidence_from(struct excise_evidence *e, const char *source, const char *indicator_id,
			 const struct excise_obs *o, enum excise_field field, const char *value)
{
	int r = 0;
	e->kind = o->kind;
	e->field = field;
	e->active = o->active;
	e->source = strdup_or_null(source, &r);
	e->indicator_id = strdup_or_null(indicator_id, &r);
	e->value = strdup_or_null(value, &r);
	e->path = strdup_or_null(o->f[EXCISE_F_PATH], &r);
	e->version = strdup_or_null(o->f[EXCISE_F_VERSION], &r);
	e->state = strdup_or_null(o->state, &r);
	if (r == 0 && o->n_attrs)
		r = copy_attrs(o, &e->attrs);
	return r;
}

/* True (and remembered) the first time (indicator, path, value, input) is seen;
 * false for a repeat; < 0 on OOM. Under the lock. */
/* 1 when the key was not seen before (and is now), 0 when it was, or < 0. */
static int first_time_locked(struct excise_engine *e, const struct buf *key)
{
	return key->err ? key->err : strset_add(&e->seen, key->p, key->n);
}

/* The dedupe key of a piece of evidence: indicator, path, value and input, NUL-separated.
 * Built before the engine's lock is taken. */
static void evidence_key(struct buf *key, const char *indicator_id, const char *path, const char *value,
			 const char *input)
{
	buf_init(key, 0);
	buf_adds(key, indicator_id);
	buf_addc(key, 0);
	buf_adds(key, path ? path : "");
	buf_addc(key, 0);
	buf_adds(key, value ? value : "");
	buf_addc(key, 0);
	buf_adds(key, input);
}

static int add_evidence(void *ud, const struct excise_indicator *ind)
{
	struct emit *em = ud;
	struct excise_engine *e = em->eng;
	const struct excise_obs *o = em->o;
	struct buf key;
	evidence_key(&key, ind->id, o->f[EXCISE_F_PATH], em->value, em->in->name);
	pthread_mutex_lock(&e->mu);
	em->matched++;
	if (!em->artifact)
		em->artifact = ++e->artifacts;
	int r = first_time_locked(e, &key);
	struct ev *v = r > 0 ? ev_slot_locked(e, em->in, &r) : NULL;
	if (v) {
		v->product_id = ind->product_id;
		v->vendor_id = ind->vendor_id;
		v->e.indicator = ind;
		v->e.confidence = ind->confidence;
		r = evidence_from(&v->e, em->in->name, ind->id, o, em->field, em->value);
		v->e.artifact = em->artifact;
	}
	if (r < 0)
		e->oom = r;
	pthread_mutex_unlock(&e->mu);
	buf_done(&key);
	return r < 0 ? r : 0;
}

static int feed(struct excise_engine *e, struct excise_source_result *in, const struct excise_obs *o, int from,
		int to)
{
	struct emit em = { .eng = e, .in = in, .o = o };
	int r = 0;
	for (int f = from; f < to && r >= 0; f++) {
		const char *v = o->f[f];
		if (!v || !matcher_wants(e->matcher, o->kind, (enum excise_field)f))
			continue;
		em.field = (enum excise_field)f;
		em.value = v;
		r = matcher_match(e->matcher, o->kind, (enum excise_field)f, v, strlen(v), add_evidence, &em);
	}
	pthread_mutex_lock(&e->mu);
	in->observations++;
	in->matched += em.matched > 0;
	pthread_mutex_unlock(&e->mu);
	return r < 0 ? r : em.matched;
}

int excise_engine_feed(struct excise_engine *e, struct excise_source_result *in, const struct excise_obs *o)
{
	return feed(e, in, o, 0, _EXCISE_FIELD_MAX);
}

int excise_engine_feed_field(struct excise_engine *e, struct excise_source_result *in, const struct excise_obs *o,
			     enum excise_field field)
{
	return feed(e, in, o, (int)field, (int)field + 1);
}

void engine_obs_of(const struct excise_evidence *e, struct excise_obs *o, struct excise_obs_attr *a)
{
	*o = (struct excise_obs){ .kind = e->kind, .state = e->state, .active = e->active, .attrs = a };
	for (char **p = e->attrs; p && p[0] && p[1] && o->n_attrs < EXCISE_MAX_OBS_ATTRS; p += 2)
		a[o->n_attrs++] = (struct excise_obs_attr){ p[0], p[1] };
	o->f[EXCISE_F_PATH] = e->path;
	o->f[EXCISE_F_VERSION] = e->version;
	o->f[e->field] = e->value;
}

static int copy_evidence(struct excise_evidence *to, const struct excise_evidence *e)
{
	struct excise_obs_attr a[EXCISE_MAX_OBS_ATTRS];
	struct excise_obs o;
	engine_obs_of(e, &o, a);
	to->confidence = e->confidence;
	to->indicator = NULL; /* this engine's catalog did not match it */
	return evidence_from(to, e->source, e->indicator_id, &o, e->field, e->value);
}

int excise_engine_keep(struct excise_engine *e, struct excise_source_result *in, const struct excise_finding *f,
		       const struct excise_evidence *ev)
{
	struct buf key;
	evidence_key(&key, ev->indicator_id, ev->path, ev->value, in->name);
	pthread_mutex_lock(&e->mu);
	int r = first_time_locked(e, &key);
	struct ev *v = r > 0 ? ev_slot_locked(e, in, &r) : NULL;
	if (v) {
		r = 0;
		v->kept = true;
		v->product_id = strdup_or_null(f->product_id, &r);
		v->vendor_id = strdup_or_null(f->vendor_id, &r);
		v->product_name = strdup_or_null(f->product_name, &r);
		v->vendor_name = strdup_or_null(f->vendor_name, &r);
		if (r == 0)
			r = copy_evidence(&v->e, ev);
		/* kept evidence keeps its report's grouping into artifacts, apart from this engine's */
		v->e.artifact = ev->artifact | 0x80000000u;
	}
	if (r < 0)
		e->oom = r;
	pthread_mutex_unlock(&e->mu);
	buf_done(&key);
	return r < 0 ? r : 0;
}

/* ---- grouping evidence into findings ---- */


static void finding_update(struct excise_finding *f, const struct excise_evidence *e)
{
	enum excise_confidence c = e->confidence;
	if (c > f->confidence)
		f->confidence = c;
	if (c >= EXCISE_CONF_STRONG && e->active) {
		enum excise_state s = e->kind == EXCISE_OBS_PROCESS ? EXCISE_STATE_RUNNING
								   : EXCISE_STATE_INSTALLED;
		if (excise_state_rank(s) > excise_state_rank(f->state))
			f->state = s;
	}
}

static int add_to_finding(struct excise_finding *f, const struct excise_evidence *e)
{
	/* a finding of 100000 pieces of evidence is not copied 100000 times */
	size_t n = f->n_evidence;
	if (array_full(n)) {
		struct excise_evidence *v = realloc(f->evidence, array_cap(n) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		f->evidence = v;
	}
	f->evidence[f->n_evidence++] = *e;
	finding_update(f, e);
	return 0;
}

/* The finding of product `id`, made when there is none yet: names from the
 * catalog, else from the kept evidence `v` (NULL for matched evidence). */
static int find_or_add(struct excise_scan *s, const struct excise_catalog *c, const char *id, const struct ev *v,
		       struct excise_finding **ret)
{
	for (size_t i = 0; i < s->n_findings; i++)
		if (strcmp(s->findings[i].product_id, id) == 0) {
			*ret = &s->findings[i];
			return 0;
		}
	struct excise_finding *fs = realloc(s->findings, (s->n_findings + 1) * sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	s->findings = fs;
	struct excise_finding *f = &fs[s->n_findings++];
	const struct excise_product *p = excise_catalog_find_product(c, id);
	const char *vendor_id = p ? p->vendor_id : v ? v->vendor_id : NULL;
	const struct excise_vendor *vd = vendor_id ? excise_catalog_find_vendor(c, vendor_id) : NULL;
	int r = 0;
	*f = (struct excise_finding){ .product = p, .vendor = vd, .state = EXCISE_STATE_REMNANT };
	f->product_id = strdup_or_null(id, &r);
	f->product_name = strdup_or_null(p ? p->name : v ? v->product_name : NULL, &r);
	f->vendor_id = strdup_or_null(vendor_id, &r);
	f->vendor_name = strdup_or_null(vd ? vd->name : v ? v->vendor_name : NULL, &r);
	*ret = f;
	return r;
}

/* Higher is more important: running > installed > remnant, then confidence. */
static int finding_weight(const struct excise_finding *f)
{
	return excise_state_rank(f->state) * 8 + (int)f->confidence;
}

static int cmp_findings(const void *a, const void *b)
{
	const struct excise_finding *x = a, *y = b;
	int d = finding_weight(y) - finding_weight(x);
	return d ? d : strcmp(x->product_name ? x->product_name : "", y->product_name ? y->product_name : "");
}

static int cmp_evidence(const void *a, const void *b)
{
	const struct excise_evidence *x = a, *y = b;
	int d = (int)y->confidence - (int)x->confidence;
	if (d)
		return d;
	d = strcmp(x->source, y->source);
	if (d)
		return d;
	d = strcmp(x->path ? x->path : "", y->path ? y->path : "");
	return d ? d : strcmp(x->value, y->value);
}

static int version_rank(const struct excise_evidence *e)
{
	/* An installed package knows its version best. */
	return (e->kind == EXCISE_OBS_PACKAGE ? 4 : 0) + (e->active ? 2 : 0) + (int)e->confidence;
}

/* The finding vendor-wide evidence of `vendor_id` joins: the vendor's strongest,
 * else that of its product <vendor>:unidentified. */
static int vendor_finding(struct excise_scan *s, const struct excise_catalog *c, const char *vendor_id,
			  struct excise_finding **ret)
{
	struct excise_finding *f = NULL;
	for (size_t k = 0; k < s->n_findings; k++) {
		struct excise_finding *g = &s->findings[k];
		if (g->vendor_id && strcmp(g->vendor_id, vendor_id) == 0 && (!f || finding_weight(g) > finding_weight(f)))
			f = g;
	}
	*ret = f;
	if (f)
		return 0;
	char id[256];
	snprintf(id, sizeof(id), "%s:unidentified", vendor_id);
	return find_or_add(s, c, id, NULL, ret);
}

static int finding_finish(struct excise_finding *f, const struct excise_catalog *c)
{
	qsort(f->evidence, f->n_evidence, sizeof(*f->evidence), cmp_evidence);
	const struct excise_evidence *best = NULL;
	for (size_t k = 0; k < f->n_evidence; k++)
		if (f->evidence[k].version && (!best || version_rank(&f->evidence[k]) > version_rank(best)))
			best = &f->evidence[k];
	if (best && !(f->version = strdup(best->version)))
		return -ENOMEM;
	size_t nd = excise_catalog_n_directives(c);
	f->directives = calloc(nd ? nd : 1, sizeof(*f->directives));
	if (!f->directives)
		return -ENOMEM;
	for (size_t k = 0; f->product && k < nd; k++) {
		const struct excise_directive *d = excise_catalog_directive(c, k);
		if (excise_directive_covers(d, f->product))
			f->directives[f->n_directives++] = d;
	}
	return 0;
}

static int group(struct excise_engine *e, struct excise_scan *s)
{
	const struct excise_catalog *c = e->catalog;
	int r;
	/* Product evidence first, so vendor-wide evidence can join a product. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < e->n_ev; i++) {
			struct ev *v = &e->ev[i];
			if (!v->e.indicator_id || (pass == 0) != (v->product_id != NULL))
				continue;
			struct excise_finding *f = NULL;
			if (v->product_id)
				r = find_or_add(s, c, v->product_id, v->kept ? v : NULL, &f);
			else
				r = vendor_finding(s, c, v->vendor_id, &f);
			if (r < 0 || (r = add_to_finding(f, &v->e)) < 0)
				return r;
			/* ownership of the evidence's strings moved to the finding */
			v->e = (struct excise_evidence){ 0 };
		}
	}
	for (size_t i = 0; i < s->n_findings; i++)
		if ((r = finding_finish(&s->findings[i], c)) < 0)
			return r;
	if (s->n_findings)
		qsort(s->findings, s->n_findings, sizeof(*s->findings), cmp_findings);
	return 0;
}

int excise_engine_finish(struct excise_engine *e, struct excise_scan **ret, struct excise_err *reterr)
{
	struct excise_scan *s = calloc(1, sizeof(*s));
	int r = s ? e->oom : -ENOMEM;
	if (r < 0)
		goto fail;
	const struct excise_catalog *c = e->catalog;
	s->catalog = c;
	s->origin = EXCISE_SCAN_MATCHED;
	s->started_ns = e->started_ns;
	s->host = e->host;
	e->host = (struct excise_host){ 0 };
	s->catalog_id = strdup_or_null(excise_catalog_id(c), &r);
	s->catalog_version = strdup_or_null(excise_catalog_version(c), &r);
	s->catalog_sha256 = strdup_or_null(excise_catalog_sha256(c), &r);
	if (r < 0 || (r = uuid_v4(s->report_id)) < 0)
		goto fail;
	if (e->n_inputs && !(s->sources = calloc(e->n_inputs, sizeof(*s->sources)))) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < e->n_inputs; i++) {
		s->sources[i] = *e->inputs[i];
		free(e->inputs[i]);
	}
	s->n_sources = e->n_inputs;
	e->n_inputs = 0;
	if ((r = group(e, s)) < 0)
		goto fail;
	s->finished_ns = now_ns();
	*ret = s;
	return 0;
fail:
	excise_scan_free(s);
	return err_set(reterr, r, "findings: %s", excise_strerror(r));
}
