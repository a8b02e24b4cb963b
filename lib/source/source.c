/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source: the interface the sources see (source.h) and the loop that runs them.
 * Each source is one input of the scan's engine: what it emits is fed to the
 * engine, which keeps its counts, item errors and failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/match.h"
#include "core/err.h"
#include "engine/engine_int.h"
#include "source/source.h"

struct source_ctx {
	struct excise_engine *engine;
	const struct matcher *m;    /* the engine's, for the hot loops' filters */
	const struct root *root;
	const char *platform;       /* the one the running source reads */
	const char *platforms;      /* the root's, primary first: "linux,windows" */
	const struct excise_scan_opts *opts;
	struct excise_source_result *res;
};

const struct root *source_root(struct source_ctx *ctx) { return ctx->root; }
bool source_live(struct source_ctx *ctx) { return ctx->root->live; }
unsigned source_scan_flags(struct source_ctx *ctx) { return ctx->opts->flags; }
const struct excise_catalog *source_catalog(struct source_ctx *ctx) { return engine_catalog(ctx->engine); }

const char *source_platform(struct source_ctx *ctx) { return ctx->platform; }

unsigned source_threads(struct source_ctx *ctx)
{
	unsigned t = ctx->opts->threads;
	return t ? (t > 64 ? 64 : t) : 2;
}

bool source_wants(struct source_ctx *ctx, enum excise_obs_kind kind, enum excise_field field)
{
	return matcher_wants(ctx->m, kind, field);
}

bool source_could_match(struct source_ctx *ctx, enum excise_obs_kind kind, enum excise_field field,
			const char *s, size_t len)
{
	return matcher_could(ctx->m, kind, field, s, len);
}

bool source_could_match_file(struct source_ctx *ctx, const char *name, size_t name_len,
			     const char *path, size_t path_len)
{
	return matcher_could(ctx->m, EXCISE_OBS_FILE, EXCISE_F_NAME, name, name_len) ||
	       matcher_could(ctx->m, EXCISE_OBS_FILE, EXCISE_F_PATH, path, path_len);
}

bool source_could_match_below(struct source_ctx *ctx, enum excise_obs_kind kind,
			      enum excise_field field, const char *prefix, size_t len)
{
	return matcher_could_below(ctx->m, kind, field, prefix, len);
}

int source_emit(struct source_ctx *ctx, const struct excise_obs *o)
{
	int r = excise_engine_feed(ctx->engine, ctx->res, o);
	return r < 0 ? r : 0;
}

void source_count(struct source_ctx *ctx, uint64_t n)
{
	excise_engine_count(ctx->engine, ctx->res, n);
}

void source_progress(struct source_ctx *ctx, uint64_t entries, uint64_t dirs)
{
	if (ctx->opts->progress)
		ctx->opts->progress(ctx->opts->progress_data, entries, dirs);
}

static void item_error(struct source_ctx *ctx, int code, bool incomplete, const char *fmt, va_list ap)
	PRINTF(4, 0);
static void item_error(struct source_ctx *ctx, int code, bool incomplete, const char *fmt, va_list ap)
{
	struct excise_err e;
	char msg[EXCISE_ERR_MSG];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (code < 0)
		err_set(&e, code, "%s: %s", msg, excise_strerror(code));
	else
		err_set(&e, code, "%s", msg);
	/* A named limit (a size, a count, a depth) that stopped the source reading something
	 * it must: what is past it is unknown, so the source is incomplete. */
	if (incomplete || code == EXCISE_E_TOOBIG || code == -EXCISE_E_TOOBIG || code == EXCISE_E_LIMIT ||
	    code == -EXCISE_E_LIMIT)
		engine_limit(ctx->engine, ctx->res, e.msg);
	else
		excise_engine_item_error(ctx->engine, ctx->res, e.msg);
}

void source_item_error(struct source_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	item_error(ctx, code, false, fmt, ap);
	va_end(ap);
}

void source_incomplete(struct source_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	item_error(ctx, code, true, fmt, ap);
	va_end(ap);
}

int source_fail(struct source_ctx *ctx, int code, const char *fmt, ...)
{
	char msg[EXCISE_ERR_MSG];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	excise_engine_fail(ctx->engine, ctx->res, msg);
	return code < 0 ? code : -EIO;
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

/* The platform of the list `platforms` (the root's, primary first) a source runs under:
 * the first it reads, or NULL when it reads none of them. */
static const char *run_platform(const struct source *src, const char *platforms)
{
	static const char *const names[] = { "linux", "windows", "macos" };
	for (const char *p = platforms; *p; p += strcspn(p, ","), p += *p == ',') {
		size_t k = strcspn(p, ",");
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			if (strlen(names[i]) == k && !strncmp(names[i], p, k) && source_runs_on(src, names[i]))
				return names[i];
	}
	return NULL;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Why a source asked for cannot run here (its status then: skipped or absent), or NULL. */
static const char *why_not(const struct source *src, const struct root *root, const char *platform,
			   const struct excise_scan_opts *opts, enum excise_source_status *ret)
{
	*ret = EXCISE_SOURCE_SKIPPED;
	if ((src->flags & SOURCE_FULL_ONLY) && !(opts->flags & EXCISE_SCAN_FULL))
		return "runs only in a full scan (--full)";
	*ret = EXCISE_SOURCE_ABSENT;
	if (!run_platform(src, platform))
		return "does not read this platform";
	if ((src->flags & SOURCE_LIVE_ONLY) && !root->live)
		return "reads only the running system, not a root given with --root";
	return NULL;
}

static void run_source(struct source_ctx *ctx, const struct source *src)
{
	struct excise_source_result *res = ctx->res;
	if (!wanted(ctx->opts, src->name)) {
		res->status = EXCISE_SOURCE_SKIPPED;
		return;
	}
	if (why_not(src, ctx->root, ctx->platforms, ctx->opts, &res->status))
		return;
	ctx->platform = run_platform(src, ctx->platforms);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = src->run(ctx);
	res->seconds = seconds_since(&t0);
	if (r == -EXCISE_E_ABSENT) {
		/* nothing found in what it read, but a limit left part unread: incomplete */
		res->status = res->error ? EXCISE_SOURCE_FAILED : EXCISE_SOURCE_ABSENT;
	} else if (r < 0) {
		res->status = EXCISE_SOURCE_FAILED;
		excise_engine_fail(ctx->engine, res, excise_strerror(r)); /* when the source gave no reason */
	} else {
		/* ran, but a limit stopped it (source_item_error, engine_limit): incomplete */
		res->status = res->error ? EXCISE_SOURCE_FAILED : EXCISE_SOURCE_OK;
	}
	/* Without root, /root, other users' homes and processes were not readable: what
	 * the source saw is not what is there. */
	if (res->status != EXCISE_SOURCE_FAILED && (src->flags & SOURCE_ALL_USERS) && ctx->root->live &&
	    geteuid() != 0) {
		res->status = EXCISE_SOURCE_FAILED;
		excise_engine_fail(ctx->engine, res, SOURCE_NOT_ROOT);
	}
}

int source_run_all(struct excise_engine *engine, const struct root *root, const char *platforms,
		   const struct excise_scan_opts *opts)
{
	struct source_ctx ctx = { .engine = engine, .m = engine_matcher(engine), .root = root,
				  .platforms = platforms, .opts = opts };
	for (size_t i = 0; i < source_table_len; i++) {
		if (!(ctx.res = excise_engine_input(engine, source_table[i]->name)))
			return -ENOMEM;
		run_source(&ctx, source_table[i]);
	}
	return 0;
}

int source_check_runnable(const struct root *root, const char *platform, const struct excise_scan_opts *opts,
			  struct excise_err *reterr)
{
	if (!opts->only)
		return 0;
	if (!opts->only[0])
		return err_set(reterr, -EXCISE_E_USAGE, "no source to run: the list of sources (--only) is empty");
	char why[EXCISE_ERR_MSG] = "";
	size_t n = 0;
	for (size_t i = 0; i < source_table_len; i++) {
		const struct source *src = source_table[i];
		enum excise_source_status st;
		if (!wanted(opts, src->name))
			continue;
		const char *w = why_not(src, root, platform, opts, &st);
		if (!w)
			return 0;
		bool other = !run_platform(src, platform);
		int k = snprintf(why + n, sizeof(why) - n, "%s%s %s%s%s%s", n ? "; " : "", src->name, w,
				 other ? " (" : "", other ? platform : "", other ? ")" : "");
		if (k > 0)
			n = (size_t)k < sizeof(why) - n ? n + (size_t)k : sizeof(why) - 1;
	}
	return err_set(reterr, -EXCISE_E_USAGE, "no source asked for (--only) can run here: %s", why);
}

int source_check_names(const char *const *only, struct excise_err *reterr)
{
	for (const char *const *p = only; p && *p; p++) {
		bool known = false;
		for (size_t i = 0; i < source_table_len; i++)
			known |= strcmp(source_table[i]->name, *p) == 0;
		if (!known)
			return err_set(reterr, -EXCISE_E_USAGE, "unknown source '%s'", *p);
	}
	return 0;
}

const char *const *excise_source_names(void)
{
	static const char *names[64];
	for (size_t i = 0; i < source_table_len && i < ARRAY_SIZE(names) - 1; i++)
		names[i] = source_table[i]->name;
	return names;
}
