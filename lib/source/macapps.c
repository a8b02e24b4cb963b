/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source macos-apps: application bundles of a macOS root. Bundles are looked
 * for in /Applications/<name>.app, /Applications/<folder>/<name>.app (one folder level,
 * as /Applications/Utilities) and /Users/<user>/Applications/<name>.app, and inside
 * each bundle the bundles it carries: Contents/Library/LoginItems/<name>.app and
 * Contents/Helpers/<name>.app (kind "helper"), Contents/Applications/<name>.app ("app"),
 * Contents/Library/SystemExtensions/<name>.systemextension ("systemextension") and
 * Contents/PlugIns/<name>.appex ("appex"), at most EXCISE_MAX_BUNDLE_DEPTH levels
 * down and EXCISE_MAX_BUNDLES bundles in all.
 *
 * Each bundle gives a FILE observation (NAME = its folder name, PATH = the
 * bundle) and, from Contents/Info.plist, a BUNDLE observation (macbundle.h)
 * with attrs "kind" and, for a nested bundle, "parent" (the outer bundle).
 * A bundle with a readable Info.plist and an identifier is installed
 * (state "installed", active); without one its folder is only "present". A
 * symlinked bundle is read through the link (inside the root) under the
 * link's path; one that leads back to a bundle being read is a cycle, reported
 * and not entered.
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/limits.h"
#include "source/macbundle.h"
#include "source/tree.h"
#include "source/users.h"

static const struct {
	const char *dir, *suffix, *kind;
} nested[] = {
	{ "Contents/Library/LoginItems", ".app", "helper" },
	{ "Contents/Helpers", ".app", "helper" },
	{ "Contents/Applications", ".app", "app" },
	{ "Contents/Library/SystemExtensions", ".systemextension", "systemextension" },
	{ "Contents/PlugIns", ".appex", "appex" },
};

struct apps {
	struct source_ctx *ctx;
	struct mac_budget budget;
	/* the bundles being read, outermost first, to catch cycles */
	dev_t dev[EXCISE_MAX_BUNDLE_DEPTH + 1];
	ino_t ino[EXCISE_MAX_BUNDLE_DEPTH + 1];
	size_t depth;
};

static int bundle(struct apps *a, const char *path, const char *kind, const char *parent);

struct scan {
	struct apps *a;
	const char *kind, *parent;
};

static int bundle_entry(void *userdata, const char *path, const char *name)
{
	(void)name;
	struct scan *s = userdata;
	return bundle(s->a, path, s->kind, s->parent);
}

/* Every `suffix` entry of `dir` as a bundle; a missing dir is fine. 0 when listed, 1 when not. */
static int scan_dir(struct apps *a, const char *dir, const char *suffix, const char *kind,
		    const char *parent, bool required)
{
	struct dirlist o = { .suffix = suffix };
	struct scan s = { .a = a, .kind = kind, .parent = parent };
	return source_list(a->ctx, dir, &o, required ? SOURCE_LIST_REQUIRED : 0, bundle_entry, &s);
}

static int emit_file(struct apps *a, const char *path, bool installed)
{
	struct excise_obs o = { .kind = EXCISE_OBS_FILE, .state = installed ? "installed" : "present",
			 .active = installed };
	o.f[EXCISE_F_NAME] = mac_base_name(path);
	o.f[EXCISE_F_PATH] = path;
	return source_emit(a->ctx, &o);
}

static int bundle(struct apps *a, const char *path, const char *kind, const char *parent)
{
	struct stat st;
	if (root_stat(source_root(a->ctx), path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0; /* a file named like a bundle, or a dangling link: not an app */
	for (size_t i = 0; i < a->depth; i++)
		if (a->dev[i] == st.st_dev && a->ino[i] == st.st_ino) {
			source_item_error(a->ctx, EXCISE_E_SYMLINK, "'%s': leads back to a bundle that "
					  "contains it (symlink cycle), not read", path);
			return 0;
		}
	if (!mac_bundle_budget(a->ctx, &a->budget, "bundles", path))
		return 0;
	struct mac_bundle b;
	int r = mac_bundle_read(a->ctx, path, &b);
	if (r < 0)
		return r;
	bool installed = r == 0 && b.id;
	r = emit_file(a, path, installed);
	if (r >= 0) {
		struct excise_obs_attr at[] = { { "parent", parent } };
		r = mac_bundle_emit(a->ctx, path, &b, kind, installed ? "installed" : "present",
				    installed, at, parent ? 1 : 0);
	}
	mac_bundle_done(&b);
	if (r < 0)
		return r;
	if (a->depth >= EXCISE_MAX_BUNDLE_DEPTH) {
		source_item_error(a->ctx, EXCISE_E_LIMIT, "'%s': bundles nested more than %u deep, "
				  "its own not read", path, EXCISE_MAX_BUNDLE_DEPTH);
		return 0;
	}
	a->dev[a->depth] = st.st_dev;
	a->ino[a->depth++] = st.st_ino;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(nested); i++) {
		_cleanup_free_ char *d = path_join(path, nested[i].dir);
		r = d ? scan_dir(a, d, nested[i].suffix, nested[i].kind, path, false) : -ENOMEM;
	}
	r = r < 0 ? r : 0;
	a->depth--;
	return r;
}

static bool not_app(const char *name)
{
	return !mac_has_suffix(name, ".app");
}

static int folder_entry(void *userdata, const char *path, const char *name)
{
	(void)name;
	struct apps *a = userdata;
	struct stat st;
	if (root_lstat(source_root(a->ctx), path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	int r = scan_dir(a, path, ".app", "app", NULL, false);
	return r < 0 ? r : 0;
}

/* /Applications: bundles, and bundles one folder down. */
static int applications(struct apps *a, const char *dir, bool required)
{
	static const struct dirlist folders = { .match = not_app };
	int r = scan_dir(a, dir, ".app", "app", NULL, required);
	if (r == 0) /* listed: its folders too */
		r = source_list(a->ctx, dir, &folders, 0, folder_entry, a);
	return r < 0 ? r : 0;
}

static int user_apps(struct source_ctx *ctx, const struct user_home *u, void *ud)
{
	(void)ctx;
	_cleanup_free_ char *p = path_join(u->home, "Applications");
	int r = p ? scan_dir(ud, p, ".app", "app", NULL, false) : -ENOMEM;
	return r < 0 ? r : 0;
}

static int run(struct source_ctx *ctx)
{
	struct apps a = { .ctx = ctx };
	struct stat st;
	if (root_stat(source_root(ctx), "/Applications", &st) < 0)
		return -EXCISE_E_ABSENT;
	int r = applications(&a, "/Applications", true);
	if (r >= 0)
		r = source_each_user(ctx, USER_USERS, user_apps, &a);
	if (r < 0)
		return source_fail(ctx, r, "'/Applications': %s", excise_strerror(r));
	return 0;
}

const struct source source_macapps = {
	.name = "macos-apps",
	.platform = "macos",
	.description = "macOS application bundles and the helpers, extensions and plug-ins inside them",
	.run = run,
};
