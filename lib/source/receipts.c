/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source macos-receipts: the installer's package receipts of a macOS root,
 * what `pkgutil --pkgs` lists. Each /var/db/receipts/<id>.plist gives a
 * PACKAGE observation: NAME = PackageIdentifier, VERSION = PackageVersion,
 * PATH = the receipt, state "installed", active, attrs "install_date" (RFC
 * 3339, UTC), "install_prefix" (InstallPrefixPath) and "package_file"
 * (PackageFileName) when present.
 *
 * A receipt stays until `pkgutil --forget`, even when the files it lists were
 * deleted by hand: the vendor's removal ends with that step, so a receipt is
 * reported as installed, as pkgutil does, and removal is not complete while
 * it is there.
 *
 * Old-style receipts, the bundles /Library/Receipts/<name>.pkg (Mac OS X 10.5 and
 * earlier installers, and some vendors' own), give FILE observations (NAME =
 * the folder name, PATH, state "present").
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/err.h"
#include "source/macbundle.h"
#include "source/tree.h"

#define RECEIPTS "/var/db/receipts"
#define OLD_RECEIPTS "/Library/Receipts"

/* One optional string key; a bad one is reported. */
static int opt_string(struct source_ctx *ctx, plist_t pl, const char *key, const char *path,
		      const char **ret)
{
	struct excise_err err = { 0 };
	int r = pl_dict_string(pl, key, path, ret, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		source_item_error(ctx, -r, "%s", err.msg);
	return 0;
}

static int receipt(struct source_ctx *ctx, const char *path)
{
	struct excise_err err = { 0 };
	plist_t pl = NULL;
	int r = pl_read_dict(source_root(ctx), path, &pl, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		source_item_error(ctx, -r, "%s", err.msg);
		return 0;
	}
	const char *id = NULL, *version = NULL, *prefix = NULL, *file = NULL;
	r = pl_dict_string(pl, "PackageIdentifier", path, &id, &err);
	if (r == 1)
		r = err_set(&err, -EXCISE_E_CORRUPT, "'%s': key 'PackageIdentifier': missing", path);
	if (r < 0) {
		if (r != -ENOMEM)
			source_item_error(ctx, -r, "%s", err.msg);
		plist_free(pl);
		return r == -ENOMEM ? r : 0;
	}
	if ((r = opt_string(ctx, pl, "PackageVersion", path, &version)) < 0 ||
	    (r = opt_string(ctx, pl, "InstallPrefixPath", path, &prefix)) < 0 ||
	    (r = opt_string(ctx, pl, "PackageFileName", path, &file)) < 0) {
		plist_free(pl);
		return r;
	}
	int64_t when = 0;
	char date[32] = "";
	r = pl_dict_date(pl, "InstallDate", path, &when, &err);
	if (r < 0)
		source_item_error(ctx, -r, "%s", err.msg);
	struct tm tm;
	time_t t = (time_t)when;
	if (r == 0 && gmtime_r(&t, &tm))
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	struct excise_obs_attr at[3];
	size_t n = 0;
	if (date[0])
		at[n++] = (struct excise_obs_attr){ "install_date", date };
	if (prefix)
		at[n++] = (struct excise_obs_attr){ "install_prefix", prefix };
	if (file)
		at[n++] = (struct excise_obs_attr){ "package_file", file };
	struct excise_obs o = { .kind = EXCISE_OBS_PACKAGE, .state = "installed", .active = true,
			 .attrs = at, .n_attrs = n };
	o.f[EXCISE_F_NAME] = id;
	o.f[EXCISE_F_VERSION] = version;
	o.f[EXCISE_F_PATH] = path;
	r = source_emit(ctx, &o);
	plist_free(pl);
	return r;
}

static int old_receipt(struct source_ctx *ctx, const char *path)
{
	struct stat st;
	if (root_lstat(source_root(ctx), path, &st) < 0)
		return 0;
	struct excise_obs o = { .kind = EXCISE_OBS_FILE, .state = "present" };
	o.f[EXCISE_F_NAME] = mac_base_name(path);
	o.f[EXCISE_F_PATH] = path;
	return source_emit(ctx, &o);
}

struct each {
	struct source_ctx *ctx;
	int (*fn)(struct source_ctx *, const char *);
};

static int each_entry(void *userdata, const char *path, const char *name)
{
	(void)name;
	struct each *x = userdata;
	return x->fn(x->ctx, path);
}

/* Each `suffix` entry of `dir` through `fn`; 1 when the folder is absent. */
static int each(struct source_ctx *ctx, const char *dir, const char *suffix,
		int (*fn)(struct source_ctx *, const char *))
{
	struct dirlist o = { .suffix = suffix };
	struct each x = { .ctx = ctx, .fn = fn };
	int r = source_list(ctx, dir, &o, SOURCE_LIST_REQUIRED, each_entry, &x);
	if (r < 0)
		return source_fail(ctx, r, "'%s': %s", dir, excise_strerror(r));
	return r;
}

static int run(struct source_ctx *ctx)
{
	int a = each(ctx, RECEIPTS, ".plist", receipt);
	if (a < 0)
		return a;
	int b = each(ctx, OLD_RECEIPTS, ".pkg", old_receipt);
	if (b < 0)
		return b;
	return a == 1 && b == 1 ? -EXCISE_E_ABSENT : 0;
}

const struct source source_receipts = {
	.name = "macos-receipts",
	.platform = "macos",
	.description = "macOS installer receipts (var/db/receipts, Library/Receipts)",
	.run = run,
};
