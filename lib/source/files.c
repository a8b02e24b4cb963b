/* SPDX-License-Identifier: Apache-2.0 */
/*
 * files: the known-locations fast path (always runs). Looks only where the
 * catalog says software lives: every exact file path indicator is lstat'ed,
 * every path glob's literal directory is walked a few levels deep, and the
 * standard software directories (/opt, /usr/local, /etc, ...) are listed
 * shallowly with each name tested against the file name indicators.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "core/walk.h"
#include "source/source.h"

#define GLOB_WALK_DEPTH 8u

struct fctx {
	struct source_ctx *ctx;
	unsigned depth;          /* of the current walk: entries this deep are listed, not entered */
	struct strset seen;      /* paths emitted */
};

/* Where software lands on each platform, listed shallowly for vendor-named entries. */
static const struct {
	const char *dir;
	unsigned depth;
	const char *platform;    /* NULL: Linux and macOS alike */
} standard_dirs[] = {
	{ "/opt", 2, NULL }, { "/var/opt", 2, "linux" }, { "/etc/opt", 2, "linux" },
	{ "/usr/local", 2, NULL }, { "/usr/local/bin", 1, NULL }, { "/usr/bin", 1, NULL },
	{ "/usr/sbin", 1, NULL }, { "/etc", 2, "linux" }, { "/etc/init.d", 1, "linux" },
	{ "/var/log", 2, NULL }, { "/var/lib", 2, "linux" }, { "/usr/lib", 1, "linux" },
	{ "/usr/share", 1, "linux" }, { "/tmp", 2, "linux" }, { "/var/tmp", 2, "linux" },
	{ "/Applications", 2, "macos" }, { "/Library", 1, "macos" },
	{ "/Library/Application Support", 1, "macos" }, { "/Library/Preferences", 1, "macos" },
	{ "/Library/Logs", 1, "macos" }, { "/Library/Caches", 1, "macos" },
	{ "/Library/Extensions", 1, "macos" }, { "/Library/PrivilegedHelperTools", 1, "macos" },
	{ "/Library/Receipts", 1, "macos" }, { "/private/tmp", 2, "macos" },
};

static int emit(struct fctx *f, const char *path, size_t path_len, const char *name,
		const char *target)
{
	int r = strset_add(&f->seen, path, path_len);
	if (r <= 0)
		return r;
	struct excise_obs o = { .kind = EXCISE_OBS_FILE, .state = "present", .active = false };
	o.f[EXCISE_F_NAME] = name;
	o.f[EXCISE_F_PATH] = path;
	o.f[EXCISE_F_TARGET] = target;
	return source_emit(f->ctx, &o);
}

static int on_entry(void *ud, const struct walk_entry *e)
{
	struct fctx *f = ud;
	int skip = e->type == DT_DIR && e->depth >= f->depth ? WALK_SKIP : WALK_CONTINUE;
	if (!source_could_match_file(f->ctx, e->name, e->name_len, e->path, e->path_len))
		return skip;
	char target[PATH_MAX + 1];
	const char *t = walk_link_target(e, target, sizeof(target));
	int r = emit(f, e->path, e->path_len, e->name, t);
	return r < 0 ? r : skip;
}

static void on_error(void *ud, int code, const char *path, const char *what)
{
	struct fctx *f = ud;
	source_item_error(f->ctx, code, "files: '%s': %s", path, what);
}

/* Walk `dir` to `depth` levels, one thread, one filesystem. Missing directories are normal. */
static int walk_dir(struct fctx *f, const char *dir, unsigned depth)
{
	struct walk_opts o = {
		.threads = 1,
		.entry = on_entry,
		.error = on_error,
		.userdata = f,
	};
	f->depth = depth;
	int r = walk_run(source_root(f->ctx), dir, &o, NULL);
	if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)
		return 0;
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		on_error(f, r, dir, "listing directory");
	return 0;
}

/* An exact path indicator: lstat it inside the root. */
static int check_exact(struct fctx *f, const char *path)
{
	if (path[0] != '/')
		return 0;
	struct stat st;
	int r = root_lstat(source_root(f->ctx), path, &st);
	if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP || r == -EINVAL || r == -ENAMETOOLONG)
		return 0;
	if (r < 0) {
		on_error(f, r, path, "lstat");
		return 0;
	}
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	_cleanup_free_ char *clean = strndup(path, len);
	if (!clean)
		return -ENOMEM;
	const char *slash = strrchr(clean, '/');
	const char *name = slash ? slash + 1 : clean;
	_cleanup_free_ char *target = NULL;
	if (S_ISLNK(st.st_mode) && root_readlink(source_root(f->ctx), clean, &target) == -ENOMEM)
		return -ENOMEM;
	return emit(f, clean, len, name, target);
}

/* The literal directory of a glob: up to the last '/' before the first wildcard. */
static char *glob_dir(const char *v)
{
	size_t lit = strcspn(v, "*?[\\");
	if (v[0] != '/' || lit == 0)
		return NULL;
	const char *slash = NULL;
	for (const char *p = v; p < v + lit; p++)
		if (*p == '/')
			slash = p;
	size_t n = (size_t)(slash - v);
	if (n == 0)
		return NULL; /* a wildcard right below the root: the full walk covers it */
	return strndup(v, n);
}

/*
 * How deep to walk a glob's directory. A vendor's own directory (/opt/kaspersky)
 * is walked GLOB_WALK_DEPTH levels; a shared one (/tmp for "/tmp/kesl*.log",
 * /var/log, any standard directory or top-level directory) only as shallowly
 * as the standard list, or one glob would walk a whole busy tree.
 */
static unsigned glob_depth(const char *dir)
{
	for (size_t i = 0; i < ARRAY_SIZE(standard_dirs); i++)
		if (strcmp(dir, standard_dirs[i].dir) == 0)
			return standard_dirs[i].depth;
	if (!strchr(dir + 1, '/'))
		return 2;
	return GLOB_WALK_DEPTH;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* `d` lies inside directory `anc` (or is it). */
static bool inside(const char *d, const char *anc)
{
	size_t n = strlen(anc);
	return strncmp(d, anc, n) == 0 && (d[n] == 0 || d[n] == '/');
}

static int run(struct source_ctx *ctx)
{
	struct fctx f = { .ctx = ctx };
	strset_init(&f.seen);
	const struct excise_catalog *c = source_catalog(ctx);
	size_t n = excise_catalog_n_indicators(c);
	char **dirs = NULL;
	size_t n_dirs = 0;
	int r = 0;
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct excise_indicator *ind = excise_catalog_indicator(c, i);
		if (ind->kind != EXCISE_OBS_FILE || ind->field != EXCISE_F_PATH)
			continue;
		if (ind->match == EXCISE_MATCH_EXACT) {
			r = check_exact(&f, ind->value);
		} else if (ind->match == EXCISE_MATCH_GLOB) {
			char *d = glob_dir(ind->value);
			if (!d)
				continue;
			char **v = realloc(dirs, (n_dirs + 1) * sizeof(*v));
			if (!v) {
				free(d);
				r = -ENOMEM;
				break;
			}
			dirs = v;
			dirs[n_dirs++] = d;
		}
	}
	/* Walk each glob directory once: sorted, a directory inside an earlier one is covered. */
	if (n_dirs)
		qsort(dirs, n_dirs, sizeof(*dirs), cmp_str);
	const char *last = NULL;
	for (size_t i = 0; i < n_dirs && r >= 0; i++) {
		/* Only a deep walk covers the directories inside it; a shallow one (/opt)
		 * does not cover a vendor directory below it (/opt/kaspersky). */
		if (last && inside(dirs[i], last))
			continue;
		unsigned depth = glob_depth(dirs[i]);
		last = depth == GLOB_WALK_DEPTH ? dirs[i] : NULL;
		r = walk_dir(&f, dirs[i], depth);
	}
	const char *platform = source_platform(ctx);
	for (size_t i = 0; i < ARRAY_SIZE(standard_dirs) && r >= 0; i++)
		if (!standard_dirs[i].platform || strcmp(standard_dirs[i].platform, platform) == 0)
			r = walk_dir(&f, standard_dirs[i].dir, standard_dirs[i].depth);

	for (size_t i = 0; i < n_dirs; i++)
		free(dirs[i]);
	free(dirs);
	strset_done(&f.seen);
	if (r < 0)
		return source_fail(ctx, r, "files: %s", r == -ENOMEM ? "out of memory" : "stopped");
	return 0;
}

const struct source source_files = {
	.name = "files",
	.platform = "linux,macos",
	.flags = SOURCE_ALL_USERS,
	.description = "known install locations from the catalog and standard software directories",
	.run = run,
};
