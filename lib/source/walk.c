/* SPDX-License-Identifier: Apache-2.0 */
/*
 * walk: the full filesystem source (--full). Walks the whole root with the
 * multi-threaded walker (lib/core/walk.c), staying on one filesystem unless
 * asked to cross, and emits a file observation for every entry whose name or
 * path could match a file indicator; everything else is only counted.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/paths.h"
#include "core/walk.h"
#include "source/source.h"

struct vmount {
	char *path;     /* inside the root, "/proc" */
	size_t len;
};

struct wctx {
	struct source_ctx *ctx;
	bool want_name, want_path;
	atomic_uint_fast64_t emitted;
	struct vmount *vm;
	size_t n_vm;
};

/* Filesystems with nothing installed on them; walking them is slow or has side effects. */
static bool virtual_fs(const char *type)
{
	static const char *const types[] = {
		"proc", "sysfs", "devtmpfs", "cgroup", "cgroup2", "devpts", "debugfs", "tracefs",
		"securityfs", "pstore", "bpf", "configfs", "fusectl", "binfmt_misc", "efivarfs",
		"hugetlbfs", "mqueue", "autofs", "rpc_pipefs", "nsfs",
	};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p;) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 4;
		} else {
			*o++ = *p++;
		}
	}
	*o = 0;
}

/* Virtual mountpoints under the root, from this process's mount table (best effort). */
static int load_virtual_mounts(struct wctx *w, const struct root *r)
{
	_cleanup_close_ int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (read_fd_all(fd, EXCISE_MAX_TEXT_FILE_SIZE, &data, &len) < 0)
		return 0;
	size_t rl = strlen(r->path);
	if (rl == 1)
		rl = 0; /* the live root: mountpoints are already root paths */
	char *save = NULL;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *f[5] = { 0 };
		char *p = line;
		for (int i = 0; i < 5 && p; i++) {
			f[i] = p;
			p = strchr(p, ' ');
			if (p)
				*p++ = 0;
		}
		char *dash = p ? strstr(p, " - ") : NULL;
		if (!f[4] || !dash)
			continue;
		char *type = dash + 3;
		char *sp = strchr(type, ' ');
		if (sp)
			*sp = 0;
		if (!virtual_fs(type))
			continue;
		unescape(f[4]);
		const char *mp = f[4];
		if (rl) {
			if (strncmp(mp, r->path, rl) != 0 || mp[rl] != '/')
				continue;
			mp += rl;
		}
		if (w->n_vm >= EXCISE_MAX_VIRTUAL_MOUNTS)
			break;
		struct vmount *v = realloc(w->vm, (w->n_vm + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		w->vm = v;
		char *copy = strdup(mp);
		if (!copy)
			return -ENOMEM;
		w->vm[w->n_vm++] = (struct vmount){ .path = copy, .len = strlen(copy) };
	}
	return 0;
}

static bool is_virtual(const struct wctx *w, const struct walk_entry *e)
{
	for (size_t i = 0; i < w->n_vm; i++)
		if (w->vm[i].len == e->path_len && memcmp(w->vm[i].path, e->path, e->path_len) == 0)
			return true;
	return false;
}

static int emit_entry(struct source_ctx *ctx, const struct walk_entry *e)
{
	char target[PATH_MAX + 1];
	struct excise_obs o = { .kind = EXCISE_OBS_FILE, .state = "present", .active = false };
	o.f[EXCISE_F_NAME] = e->name;
	o.f[EXCISE_F_PATH] = e->path;
	o.f[EXCISE_F_TARGET] = walk_link_target(e, target, sizeof(target));
	return source_emit(ctx, &o);
}

/* Could some path indicator match an entry of this directory? Decided once per
 * directory from its path (kept in the walker's word for the directory). */
enum { DIR_UNKNOWN, DIR_NO_PATHS, DIR_PATHS };

static bool dir_may_match(struct wctx *w, const struct walk_entry *e)
{
	if (*e->dir_data == DIR_UNKNOWN) {
		size_t pre = (size_t)(e->name - e->path);
		*e->dir_data = source_could_match_below(w->ctx, EXCISE_OBS_FILE, EXCISE_F_PATH, e->path,
							pre) ? DIR_PATHS : DIR_NO_PATHS;
	}
	return *e->dir_data == DIR_PATHS;
}

static int on_entry(void *ud, const struct walk_entry *e)
{
	struct wctx *w = ud;
	bool hit = (w->want_name && source_could_match(w->ctx, EXCISE_OBS_FILE, EXCISE_F_NAME,
							       e->name, e->name_len)) ||
		   (w->want_path && dir_may_match(w, e) &&
		    source_could_match(w->ctx, EXCISE_OBS_FILE, EXCISE_F_PATH, e->path, e->path_len));
	if (hit) {
		int r = emit_entry(w->ctx, e);
		if (r < 0)
			return r;
		atomic_fetch_add_explicit(&w->emitted, 1, memory_order_relaxed);
	}
	if (e->type == DT_DIR && w->n_vm && is_virtual(w, e))
		return WALK_SKIP;
	return WALK_CONTINUE;
}

static void on_error(void *ud, int code, const char *path, const char *what)
{
	struct wctx *w = ud;
	source_item_error(w->ctx, code, "walk: '%s': %s", path, what);
}

static void on_progress(void *ud, uint64_t entries, uint64_t dirs)
{
	struct wctx *w = ud;
	source_progress(w->ctx, entries, dirs);
}

static int run(struct source_ctx *ctx)
{
	const struct root *r = source_root(ctx);
	struct wctx w = {
		.ctx = ctx,
		.want_name = source_wants(ctx, EXCISE_OBS_FILE, EXCISE_F_NAME),
		.want_path = source_wants(ctx, EXCISE_OBS_FILE, EXCISE_F_PATH),
	};
	atomic_init(&w.emitted, 0);
	int ret = load_virtual_mounts(&w, r);
	char *own = ret == 0 ? strdup(EXCISE_QUARANTINE_DIR) : NULL;
	if (ret == 0 && !own)
		ret = -ENOMEM;
	struct vmount *v = own ? realloc(w.vm, (w.n_vm + 1) * sizeof(*v)) : NULL;
	if (own && !v) {
		free(own);
		ret = -ENOMEM;
	} else if (v) {
		w.vm = v;
		w.vm[w.n_vm++] = (struct vmount){ .path = own, .len = strlen(own) };
	}
	if (ret < 0) {
		ret = source_fail(ctx, ret, "walk: reading the mount table");
		goto out;
	}
	struct walk_opts o = {
		.threads = source_threads(ctx),
		.flags = (source_scan_flags(ctx) & EXCISE_SCAN_XDEV) ? WALK_XDEV : 0,
		.entry = on_entry,
		.error = on_error,
		.progress = on_progress,
		.userdata = &w,
	};
	struct walk_stats st = { 0 };
	ret = walk_run(r, "/", &o, &st);
	uint64_t emitted = atomic_load(&w.emitted);
	source_count(ctx, st.entries > emitted ? st.entries - emitted : 0);
	source_progress(ctx, st.entries, st.dirs);
	if (ret < 0)
		ret = source_fail(ctx, ret, "walk of '%s' stopped after %llu entries", r->path,
				  (unsigned long long)st.entries);
out:
	for (size_t i = 0; i < w.n_vm; i++)
		free(w.vm[i].path);
	free(w.vm);
	return ret < 0 ? ret : 0;
}

const struct source source_walk = {
	.name = "walk",
	.platform = "any",
	.flags = SOURCE_FULL_ONLY | SOURCE_ALL_USERS,
	.description = "every file and directory of the root (--full), matched by name and path",
	.run = run,
};
