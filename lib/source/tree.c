/* SPDX-License-Identifier: Apache-2.0 */
/* tree: small trees listed for sources (see tree.h). */
#include "source/tree.h"

#include "core/limits.h"

struct tctx {
	struct source_ctx *ctx;
	unsigned max_depth;
};

static void on_error(void *ud, int code, const char *path, const char *what)
{
	struct tctx *t = ud;
	if (code == -EXCISE_E_LIMIT)
		source_item_error(t->ctx, code, "'%s': more than %u directory levels, not read", path,
				  t->max_depth);
	else
		source_item_error(t->ctx, code, "'%s': %s", path, what);
}

int source_tree(struct source_ctx *ctx, const char *dir, unsigned max_depth, walk_entry_fn fn,
		void *userdata, bool *ret_found)
{
	struct tctx t = { .ctx = ctx, .max_depth = max_depth ? max_depth : EXCISE_MAX_SOURCE_DEPTH };
	struct walk_opts o = {
		.threads = 1, .flags = WALK_XDEV, .max_depth = t.max_depth, .entry = fn,
		.error = on_error, .userdata = userdata, .error_userdata = &t,
	};
	struct walk_stats st = { 0 };
	int r = walk_run(source_root(ctx), dir, &o, &st);
	if (ret_found)
		*ret_found = r != -ENOENT && r != -ENOTDIR;
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0 && r != -ENOMEM && st.dirs == 0) {
		/* the start itself could not be opened (the callback never ran) */
		source_item_error(ctx, r, "'%s': cannot list", dir);
		return 0;
	}
	return r;
}

struct lctx {
	struct source_ctx *ctx;
	int (*fn)(void *userdata, const char *path, const char *name);
	void *userdata;
	bool stopped;        /* fn returned an error */
};

static void list_error(void *ud, int code, const char *msg)
{
	/* a limit is said in the message alone */
	source_item_error(((struct lctx *)ud)->ctx, code == -EXCISE_E_LIMIT ? -code : code, "%s", msg);
}

static int list_entry(void *ud, const char *path, const char *name)
{
	struct lctx *l = ud;
	int r = l->fn(l->userdata, path, name);
	l->stopped = r < 0;
	return r;
}

int source_list(struct source_ctx *ctx, const char *dir, const struct dirlist *o, unsigned flags,
		int (*fn)(void *userdata, const char *path, const char *name), void *userdata)
{
	struct dirlist opts = *o;
	opts.error = list_error;
	struct lctx l = { .ctx = ctx, .fn = fn, .userdata = userdata };
	int r = dirlist_each(source_root(ctx), dir, &opts, list_entry, &l);
	if (r == -ENOENT || r == -ENOTDIR)
		return 1;
	if (r >= 0 || r == -ENOMEM || l.stopped)
		return r;
	if (flags & SOURCE_LIST_REQUIRED)
		return source_fail(ctx, r, "'%s': cannot list: %s", dir, excise_strerror(r));
	source_item_error(ctx, r, "'%s': cannot list", dir);
	return 1;
}
