/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine: observations in, evidence (each matching indicator, deduplicated),
 * findings out (include/excise/engine.h). Grouping into findings is group.c.
 *
 * The state model (docs/report-format.md, "State"; evidence_state in group.c).
 * Each piece of evidence of strong confidence or more shows a state; a finding
 * takes the most serious (excise_state_rank); weak evidence shows none.
 *   running    a live process (kind process), a loaded module (kmod, "loaded");
 *   installed  registered with the OS, which the source reports active: a
 *              package the database calls installed, an Uninstall entry (either
 *              view, any user's hive) or MSI registration, a service or driver of
 *              the current control set with its image present, a product key with
 *              its environment subkey, an app bundle or receipt, a kext, an
 *              enabled unit, script, job, Run key or browser extension;
 *   trust      a certificate (kind cert) a store trusts ("trusted"): never
 *              installed; the finding is a trust exposure when nothing of it is
 *              installed or running (a vendor-wide certificate joins the vendor's
 *              most serious finding, so an installed product keeps its state);
 *   remnant    the rest: files and keys with no registration, config-files, a
 *              disabled unit, a driver whose image is gone.
 * Which finding evidence goes to (artifact, unlisted, place, traces): group.c.
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

struct excise_engine {
	const struct excise_catalog *catalog;
	struct matcher *matcher;
	struct excise_host host;
	char *platform;             /* the platform matched for (places are per platform) */
	int64_t started_ns;
	pthread_mutex_t mu;
	struct excise_source_result **inputs;
	size_t n_inputs;
	struct engine_ev *ev;
	size_t n_ev, cap_ev;
	struct strset seen;         /* dedupe: evidence_key() */
	int oom;
	size_t n_conf[EXCISE_CONF_DEFINITIVE + 1];   /* evidence kept per confidence */
	uint64_t dropped[EXCISE_CONF_DEFINITIVE + 1]; /* evidence over EXCISE_MAX_EVIDENCE, per confidence */
	uint32_t artifacts;         /* observations that matched, numbering artifacts from 1 */
};

static void engine_limit_locked(struct excise_engine *e, struct excise_source_result *in, const char *msg);

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
	to->platforms = strdup_or_null(h->platforms, &r);
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
	const char *first = platform ? platform : e->host.platform;
	/* findings are grouped (places, case) for the first platform of a list */
	if (r == 0 && first && !(e->platform = strndup(first, strcspn(first, ","))))
		r = -ENOMEM;
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

static void ev_done(struct engine_ev *v)
{
	result_evidence_done(&v->e);
	free(v->obs_name);
	free(v->obs_image);
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
	free(e->platform);
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

/* An input stopped by a limit from reading something it must: it is incomplete,
 * its error says which limit (the first one met). */
static void engine_limit_locked(struct excise_engine *e, struct excise_source_result *in, const char *msg)
{
	if (in->error)
		return;
	size_t n = strlen(msg) + sizeof("stopped by a limit: ");
	if (!(in->error = malloc(n)))
		e->oom = -ENOMEM;
	else
		snprintf(in->error, n, "stopped by a limit: %s", msg);
}

void engine_limit(struct excise_engine *e, struct excise_source_result *in, const char *msg)
{
	pthread_mutex_lock(&e->mu);
	add_error_locked(e, in, msg);
	engine_limit_locked(e, in, msg);
	pthread_mutex_unlock(&e->mu);
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

/* Room for one more piece of evidence of confidence `conf`: NULL past the limit
 * of that confidence or on OOM. The limit is per confidence, so weak noise cannot
 * crowd out strong evidence; meeting it is said once per confidence, as an item
 * error of the input that met it, and that input is incomplete (its error set:
 * what it saw is not all in the report). */
static struct engine_ev *ev_slot_locked(struct excise_engine *e, struct excise_source_result *in,
					enum excise_confidence conf, int *r)
{
	unsigned c = (unsigned)conf <= EXCISE_CONF_DEFINITIVE ? (unsigned)conf : EXCISE_CONF_DEFINITIVE;
	if (e->n_conf[c] >= EXCISE_MAX_EVIDENCE) {
		if (e->dropped[c]++ == 0) {
			char msg[160];
			snprintf(msg, sizeof(msg), "more than %u pieces of %s evidence: only the first %u kept "
				 "(EXCISE_MAX_EVIDENCE)", EXCISE_MAX_EVIDENCE, excise_confidence_name(conf),
				 EXCISE_MAX_EVIDENCE);
			add_error_locked(e, in, msg);
			engine_limit_locked(e, in, msg);
		}
		return NULL;
	}
	e->n_conf[c]++;
	if (e->n_ev == e->cap_ev) {
		size_t cap = e->cap_ev ? e->cap_ev * 2 : 64;
		struct engine_ev *v = realloc(e->ev, cap * sizeof(*v));
		if (!v) {
			*r = -ENOMEM;
			return NULL;
		}
		e->ev = v;
		e->cap_ev = cap;
	}
	struct engine_ev *v = &e->ev[e->n_ev++];
	*v = (struct engine_ev){ 0 };
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

/* The dedupe key of a piece of evidence: indicator, path, value, input and the name of the
 * observation when another field matched (two packages with no path but one maintainer are
 * two artifacts), NUL-separated. Built before the engine's lock is taken. */
static void evidence_key(struct buf *key, const char *indicator_id, const char *path, const char *value,
			 const char *input, const char *name)
{
	buf_init(key, 0);
	buf_adds(key, name ? name : "");
	buf_addc(key, 0);
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
	evidence_key(&key, ind->id, o->f[EXCISE_F_PATH], em->value, em->in->name,
		     em->field != EXCISE_F_NAME ? o->f[EXCISE_F_NAME] : NULL);
	pthread_mutex_lock(&e->mu);
	em->matched++;
	if (!em->artifact)
		em->artifact = ++e->artifacts;
	int r = first_time_locked(e, &key);
	struct engine_ev *v = r > 0 ? ev_slot_locked(e, em->in, ind->confidence, &r) : NULL;
	if (v) {
		v->product_id = ind->product_id;
		v->vendor_id = ind->vendor_id;
		v->e.indicator = ind;
		v->e.confidence = ind->confidence;
		r = evidence_from(&v->e, em->in->name, ind->id, o, em->field, em->value);
		v->e.artifact = em->artifact;
		if (r == 0 && o->kind == EXCISE_OBS_PACKAGE)
			v->obs_name = strdup_or_null(o->f[EXCISE_F_NAME], &r);
		if (r == 0 && o->kind == EXCISE_OBS_SERVICE)
			v->obs_image = strdup_or_null(o->f[EXCISE_F_TARGET], &r);
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
	evidence_key(&key, ev->indicator_id, ev->path, ev->value, in->name, NULL);
	pthread_mutex_lock(&e->mu);
	int r = first_time_locked(e, &key);
	struct engine_ev *v = r > 0 ? ev_slot_locked(e, in, ev->confidence, &r) : NULL;
	if (v) {
		r = 0;
		v->kept = true;
		v->product_id = strdup_or_null(f->product_id, &r);
		v->vendor_id = strdup_or_null(f->vendor_id, &r);
		v->product_name = strdup_or_null(f->product_name, &r);
		v->vendor_name = strdup_or_null(f->vendor_name, &r);
		v->kind = f->kind;
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
	if ((r = engine_group(c, e->platform, e->ev, e->n_ev, s)) < 0)
		goto fail;
	s->finished_ns = now_ns();
	*ret = s;
	return 0;
fail:
	excise_scan_free(s);
	return err_set(reterr, r, "findings: %s", excise_strerror(r));
}
