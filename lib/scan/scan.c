/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan: run the sources over a root, turn matching observations into evidence
 * (source_emit), and group the evidence into findings.
 *
 * Sources may emit from several threads: matching is lock-free (the matcher is
 * read-only), and only appending evidence and counting take the scan's mutex.
 * Unmatched observations are counted and dropped, so memory grows with the
 * evidence, not with the size of the host.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog_int.h"
#include "catalog/match.h"
#include "core/buf.h"
#include "excise/excise.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/root.h"
#include "core/text.h"
#include "scan/scan_int.h"
#include "source/source.h"

struct ev {
	struct excise_evidence e;   /* strings owned (value, path, version, state) */
};

struct scan_state {
	const struct excise_catalog *catalog;
	const struct excise_scan_opts *opts;
	struct root root;
	const char *platform;       /* of the root: "linux", "windows" or "macos" */
	struct matcher *matcher;
	pthread_mutex_t mu;
	struct ev *ev;
	size_t n_ev, cap_ev;
	struct strset seen;         /* dedupe: indicator id + path + value + source */
	int oom;
	uint64_t dropped;           /* evidence over EXCISE_MAX_EVIDENCE */
};

struct source_ctx {
	struct scan_state *st;
	const struct source *src;
	struct excise_source_result *res;
	uint64_t observations, matched;
};

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the interface sources see ---- */

const struct root *source_root(struct source_ctx *ctx) { return &ctx->st->root; }
bool source_live(struct source_ctx *ctx) { return ctx->st->root.live; }
unsigned source_scan_flags(struct source_ctx *ctx) { return ctx->st->opts->flags; }
const struct excise_catalog *source_catalog(struct source_ctx *ctx) { return ctx->st->catalog; }

const char *source_platform(struct source_ctx *ctx) { return ctx->st->platform; }

unsigned source_threads(struct source_ctx *ctx)
{
	unsigned t = ctx->st->opts->threads;
	return t ? (t > 64 ? 64 : t) : 2;
}

bool source_wants(struct source_ctx *ctx, enum excise_obs_kind kind, enum excise_field field)
{
	return matcher_wants(ctx->st->matcher, kind, field);
}

bool source_could_match(struct source_ctx *ctx, enum excise_obs_kind kind, enum excise_field field,
			const char *s, size_t len)
{
	return matcher_could(ctx->st->matcher, kind, field, s, len);
}

bool source_could_match_file(struct source_ctx *ctx, const char *name, size_t name_len,
			     const char *path, size_t path_len)
{
	const struct matcher *m = ctx->st->matcher;
	return matcher_could(m, EXCISE_OBS_FILE, EXCISE_F_NAME, name, name_len) ||
	       matcher_could(m, EXCISE_OBS_FILE, EXCISE_F_PATH, path, path_len);
}

bool source_could_match_below(struct source_ctx *ctx, enum excise_obs_kind kind,
			      enum excise_field field, const char *prefix, size_t len)
{
	return matcher_could_below(ctx->st->matcher, kind, field, prefix, len);
}

void source_count(struct source_ctx *ctx, uint64_t n)
{
	pthread_mutex_lock(&ctx->st->mu);
	ctx->observations += n;
	pthread_mutex_unlock(&ctx->st->mu);
}

void source_progress(struct source_ctx *ctx, uint64_t entries, uint64_t dirs)
{
	if (ctx->st->opts->progress)
		ctx->st->opts->progress(ctx->st->opts->progress_data, entries, dirs);
}

static void add_error_locked(struct source_ctx *ctx, const char *msg)
{
	struct excise_source_result *res = ctx->res;
	res->n_errors++;
	if (res->n_errors > EXCISE_MAX_SOURCE_ERRORS)
		return;
	size_t n = res->n_errors - 1;
	char **v = realloc(res->errors, (n + 2) * sizeof(char *));
	if (!v) {
		ctx->st->oom = -ENOMEM;
		return;
	}
	res->errors = v;
	v[n] = strdup(msg);
	v[n + 1] = NULL;
	if (!v[n])
		ctx->st->oom = -ENOMEM;
}

void source_item_error(struct source_ctx *ctx, int code, const char *fmt, ...)
{
	struct excise_err e;
	va_list ap;
	va_start(ap, fmt);
	char msg[EXCISE_ERR_MSG];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (code < 0)
		err_set(&e, code, "%s: %s", msg, excise_strerror(code));
	else
		err_set(&e, code, "%s", msg);
	pthread_mutex_lock(&ctx->st->mu);
	add_error_locked(ctx, e.msg);
	pthread_mutex_unlock(&ctx->st->mu);
}

int source_fail(struct source_ctx *ctx, int code, const char *fmt, ...)
{
	char msg[EXCISE_ERR_MSG];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ctx->st->mu);
	if (!ctx->res->error)
		ctx->res->error = strdup(msg);
	if (!ctx->res->error)
		ctx->st->oom = -ENOMEM;
	pthread_mutex_unlock(&ctx->st->mu);
	return code < 0 ? code : -EIO;
}

struct emit {
	struct source_ctx *ctx;
	const struct obs *o;
	enum excise_field field;
	const char *value;
	int matched;
};

/* The observation's attributes as an owned key, value, ..., NULL vector; NULL values dropped. */
static int copy_attrs(const struct obs *o, char ***ret)
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

static int append_evidence(struct scan_state *st, struct emit *em, const struct excise_indicator *ind)
{
	if (st->n_ev >= EXCISE_MAX_EVIDENCE) {
		/* said once, by the source that met the limit: the report is not the whole story */
		if (st->dropped++ == 0) {
			char msg[128];
			snprintf(msg, sizeof(msg), "more than %u pieces of evidence: only the first %u kept",
				 EXCISE_MAX_EVIDENCE, EXCISE_MAX_EVIDENCE);
			add_error_locked(em->ctx, msg);
		}
		return 0;
	}
	if (st->n_ev == st->cap_ev) {
		size_t cap = st->cap_ev ? st->cap_ev * 2 : 64;
		struct ev *ev = realloc(st->ev, cap * sizeof(*ev));
		if (!ev)
			return -ENOMEM;
		st->ev = ev;
		st->cap_ev = cap;
	}
	const struct obs *o = em->o;
	int r = 0;
	struct excise_evidence *e = &st->ev[st->n_ev++].e;
	*e = (struct excise_evidence){
		.source = em->ctx->src->name, .kind = o->kind, .field = em->field,
		.active = o->active, .indicator = ind,
	};
	e->value = strdup_or_null(em->value, &r);
	e->path = strdup_or_null(o->f[EXCISE_F_PATH], &r);
	e->version = strdup_or_null(o->f[EXCISE_F_VERSION], &r);
	e->state = strdup_or_null(o->state, &r);
	if (r == 0 && o->n_attrs)
		r = copy_attrs(o, &e->attrs);
	return r;
}

static int add_evidence(void *ud, const struct excise_indicator *ind)
{
	struct emit *em = ud;
	struct scan_state *st = em->ctx->st;
	const struct obs *o = em->o;
	const char *path = o->f[EXCISE_F_PATH];
	struct buf key;
	buf_init(&key, 0);
	buf_adds(&key, ind->id);
	buf_addc(&key, 0);
	buf_adds(&key, path ? path : "");
	buf_addc(&key, 0);
	buf_adds(&key, em->value);
	buf_addc(&key, 0);
	buf_adds(&key, em->ctx->src->name);
	if (key.err) {
		buf_done(&key);
		return key.err;
	}
	pthread_mutex_lock(&st->mu);
	em->matched = 1;
	int r = strset_add(&st->seen, key.p, key.n);
	if (r > 0)
		r = append_evidence(st, em, ind);
	if (r < 0)
		st->oom = r;
	pthread_mutex_unlock(&st->mu);
	buf_done(&key);
	return r < 0 ? r : 0;
}

int source_emit(struct source_ctx *ctx, const struct obs *o)
{
	struct emit em = { .ctx = ctx, .o = o };
	int r = 0;
	for (int f = 0; f < _EXCISE_FIELD_MAX && r >= 0; f++) {
		const char *v = o->f[f];
		if (!v || !matcher_wants(ctx->st->matcher, o->kind, (enum excise_field)f))
			continue;
		em.field = (enum excise_field)f;
		em.value = v;
		r = matcher_match(ctx->st->matcher, o->kind, (enum excise_field)f, v, strlen(v),
				  add_evidence, &em);
	}
	pthread_mutex_lock(&ctx->st->mu);
	ctx->observations++;
	ctx->matched += (uint64_t)em.matched;
	pthread_mutex_unlock(&ctx->st->mu);
	return r < 0 ? r : 0;
}

/* ---- running the sources ---- */

static bool wanted(const struct excise_scan_opts *opts, const char *name)
{
	if (!opts->only)
		return true;
	for (const char *const *p = opts->only; *p; p++)
		if (strcmp(*p, name) == 0)
			return true;
	return false;
}

/* A source's platform is "any" or a comma-separated list ("linux,macos"). */
static bool source_runs_on(const struct source *src, const char *platform)
{
	const char *p = src->platform;
	size_t n = strlen(platform);
	if (!p || strcmp(p, "any") == 0)
		return true;
	for (; *p; p += strcspn(p, ","), p += *p == ',') {
		size_t k = strcspn(p, ",");
		if (k == n && strncmp(p, platform, n) == 0)
			return true;
	}
	return false;
}

static void run_source(struct scan_state *st, const struct source *src, struct excise_source_result *res)
{
	res->name = src->name;
	if (!wanted(st->opts, src->name)) {
		res->status = EXCISE_SOURCE_SKIPPED;
		return;
	}
	if ((src->flags & SOURCE_FULL_ONLY) && !(st->opts->flags & EXCISE_SCAN_FULL)) {
		res->status = EXCISE_SOURCE_SKIPPED;
		return;
	}
	if (!source_runs_on(src, st->platform) ||
	    ((src->flags & SOURCE_LIVE_ONLY) && !st->root.live)) {
		res->status = EXCISE_SOURCE_ABSENT;
		return;
	}
	struct source_ctx ctx = { .st = st, .src = src, .res = res };
	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	int r = src->run(&ctx);
	res->seconds = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	res->observations = ctx.observations;
	res->matched = ctx.matched;
	if (r == -EXCISE_E_ABSENT) {
		res->status = EXCISE_SOURCE_ABSENT;
	} else if (r < 0) {
		res->status = EXCISE_SOURCE_FAILED;
		if (!res->error) {
			char msg[EXCISE_ERR_MSG];
			snprintf(msg, sizeof(msg), "%s", excise_strerror(r));
			res->error = strdup(msg);
		}
	} else {
		res->status = EXCISE_SOURCE_OK;
	}
}

/* ---- grouping evidence into findings ---- */

static int state_rank(enum excise_state s)
{
	return s == EXCISE_STATE_RUNNING ? 2 : s == EXCISE_STATE_INSTALLED ? 1 : 0;
}

static void finding_update(struct excise_finding *f, const struct excise_evidence *e)
{
	enum excise_confidence c = e->indicator->confidence;
	if (c > f->confidence)
		f->confidence = c;
	if (c >= EXCISE_CONF_STRONG && e->active) {
		enum excise_state s = e->kind == EXCISE_OBS_PROCESS ? EXCISE_STATE_RUNNING
								   : EXCISE_STATE_INSTALLED;
		if (state_rank(s) > state_rank(f->state))
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

static int find_or_add(struct excise_scan *s, const struct excise_catalog *c,
		       const struct excise_product *p, struct excise_finding **ret)
{
	for (size_t i = 0; i < s->n_findings; i++)
		if (s->findings[i].product == p) {
			*ret = &s->findings[i];
			return 0;
		}
	struct excise_finding *v = realloc(s->findings, (s->n_findings + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->findings = v;
	struct excise_finding *f = &v[s->n_findings++];
	*f = (struct excise_finding){ .product = p, .vendor = excise_catalog_find_vendor(c, p->vendor_id),
				      .state = EXCISE_STATE_REMNANT };
	*ret = f;
	return 0;
}

/* Higher is more important: running > installed > remnant, then confidence. */
static int finding_weight(const struct excise_finding *f)
{
	return state_rank(f->state) * 8 + (int)f->confidence;
}

static int cmp_findings(const void *a, const void *b)
{
	const struct excise_finding *x = a, *y = b;
	int d = finding_weight(y) - finding_weight(x);
	return d ? d : strcmp(x->product->name, y->product->name);
}

static int cmp_evidence(const void *a, const void *b)
{
	const struct excise_evidence *x = a, *y = b;
	int d = (int)y->indicator->confidence - (int)x->indicator->confidence;
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
	return (e->kind == EXCISE_OBS_PACKAGE ? 4 : 0) + (e->active ? 2 : 0) + (int)e->indicator->confidence;
}

static int group(struct scan_state *st, struct excise_scan *s)
{
	const struct excise_catalog *c = st->catalog;
	int r;
	/* Product evidence first, so vendor-wide evidence can join a product. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < st->n_ev; i++) {
			struct excise_evidence *e = &st->ev[i].e;
			const struct excise_indicator *ind = e->indicator;
			if (!ind || (pass == 0) != (ind->product_id != NULL))
				continue;
			struct excise_finding *f = NULL;
			if (ind->product_id) {
				r = find_or_add(s, c, excise_catalog_find_product(c, ind->product_id), &f);
			} else {
				for (size_t k = 0; k < s->n_findings; k++) {
					struct excise_finding *g = &s->findings[k];
					if (strcmp(g->product->vendor_id, ind->vendor_id) == 0 &&
					    (!f || finding_weight(g) > finding_weight(f)))
						f = g;
				}
				r = f ? 0 : find_or_add(s, c, catalog_unidentified(c, ind->vendor_id), &f);
			}
			if (r < 0 || (r = add_to_finding(f, e)) < 0)
				return r;
			/* ownership of the strings moved to the finding */
			*e = (struct excise_evidence){ 0 };
		}
	}
	for (size_t i = 0; i < s->n_findings; i++) {
		struct excise_finding *f = &s->findings[i];
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
		for (size_t k = 0; k < nd; k++) {
			const struct excise_directive *d = excise_catalog_directive(c, k);
			if (excise_directive_covers(d, f->product))
				f->directives[f->n_directives++] = d;
		}
	}
	if (s->n_findings)
		qsort(s->findings, s->n_findings, sizeof(*s->findings), cmp_findings);
	return 0;
}

static void evidence_done(struct excise_evidence *e)
{
	free((char *)e->value);
	free((char *)e->path);
	free((char *)e->version);
	free((char *)e->state);
	excise_strv_free(e->attrs);
}

static void state_done(struct scan_state *st)
{
	for (size_t i = 0; i < st->n_ev; i++)
		evidence_done(&st->ev[i].e);
	free(st->ev);
	strset_done(&st->seen);
	matcher_free(st->matcher);
	root_done(&st->root);
	pthread_mutex_destroy(&st->mu);
}

int excise_scan_run(const struct excise_catalog *catalog, const struct excise_scan_opts *opts,
		    struct excise_scan **ret, struct excise_err *reterr)
{
	if (!catalog || !opts || !ret)
		return err_set(reterr, -EXCISE_E_USAGE, "excise_scan_run: missing argument");
	for (const char *const *p = opts->only; p && *p; p++) {
		bool known = false;
		for (size_t i = 0; i < source_table_len; i++)
			known |= strcmp(source_table[i]->name, *p) == 0;
		if (!known)
			return err_set(reterr, -EXCISE_E_USAGE, "unknown source '%s'", *p);
	}
	struct scan_state st = { .catalog = catalog, .opts = opts, .root = { .fd = -1 } };
	pthread_mutex_init(&st.mu, NULL);
	strset_init(&st.seen);
	int r = root_open(opts->root, &st.root, reterr);
	if (r < 0) {
		state_done(&st);
		return r;
	}
	struct excise_scan *s = calloc(1, sizeof(*s));
	if (!s) {
		state_done(&st);
		return err_set(reterr, -ENOMEM, "out of memory");
	}
	s->catalog = catalog;
	s->flags = opts->flags;
	s->started_ns = now_ns(CLOCK_REALTIME);
	if ((r = uuid_v4(s->report_id)) < 0 || (r = host_read(&st.root, &s->host)) < 0)
		goto fail;
	/* Only the indicators of the root's platform are compiled (and tried). */
	st.platform = s->host.platform;
	if ((r = matcher_new(catalog, st.platform, &st.matcher, reterr)) < 0) {
		state_done(&st);
		excise_scan_free(s);
		return r;
	}
	s->sources = calloc(source_table_len, sizeof(*s->sources));
	if (!s->sources) {
		r = -ENOMEM;
		goto fail;
	}
	s->n_sources = source_table_len;
	for (size_t i = 0; i < source_table_len; i++)
		run_source(&st, source_table[i], &s->sources[i]);
	if (st.oom) {
		r = st.oom;
		goto fail;
	}
	if ((r = group(&st, s)) < 0)
		goto fail;
	s->finished_ns = now_ns(CLOCK_REALTIME);
	state_done(&st);
	*ret = s;
	return 0;
fail:
	state_done(&st);
	excise_scan_free(s);
	return err_setc(reterr, r, "scan of '%s'", opts->root ? opts->root : "/");
}

struct excise_scan *excise_scan_free(struct excise_scan *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_findings; i++) {
		struct excise_finding *f = &s->findings[i];
		for (size_t k = 0; k < f->n_evidence; k++)
			evidence_done(&f->evidence[k]);
		free(f->evidence);
		free(f->directives);
		free(f->version);
	}
	free(s->findings);
	for (size_t i = 0; i < s->n_sources; i++) {
		free(s->sources[i].error);
		excise_strv_free(s->sources[i].errors);
	}
	free(s->sources);
	host_done(&s->host);
	free(s);
	return NULL;
}

bool excise_scan_complete(const struct excise_scan *s)
{
	for (size_t i = 0; i < s->n_sources; i++)
		if (s->sources[i].status == EXCISE_SOURCE_FAILED)
			return false;
	return true;
}

size_t excise_scan_count(const struct excise_scan *s, enum excise_confidence min)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_findings; i++)
		n += s->findings[i].confidence >= min;
	return n;
}

int excise_scan_verdict(const struct excise_scan *s, const char **ret_word)
{
	const char *w = "clean";
	int code = 0;
	if (excise_scan_count(s, EXCISE_CONF_STRONG) > 0)
		w = "found", code = 1;
	else if (!excise_scan_complete(s))
		w = "incomplete", code = 2;
	if (ret_word)
		*ret_word = w;
	return code;
}

const char *excise_state_name(enum excise_state s)
{
	return s == EXCISE_STATE_RUNNING ? "running" : s == EXCISE_STATE_INSTALLED ? "installed" : "remnant";
}

const char *excise_source_status_name(enum excise_source_status s)
{
	static const char *const n[] = { "ok", "absent", "failed", "skipped" };
	return (unsigned)s < ARRAY_SIZE(n) ? n[s] : "?";
}

const char *const *excise_source_names(void)
{
	static const char *names[64];
	for (size_t i = 0; i < source_table_len && i < ARRAY_SIZE(names) - 1; i++)
		names[i] = source_table[i]->name;
	return names;
}

const char *excise_version(void)
{
	return EXCISE_VERSION;
}
