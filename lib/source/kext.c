/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source macos-kexts: kernel and system extensions of a macOS root.
 * /Library/Extensions/<name>.kext and /System/Library/Extensions/<name>.kext (with the
 * kexts in their Contents/PlugIns), and /Library/SystemExtensions/<uuid>/
 * *.systemextension, where sysextd keeps the extensions it activated.
 *
 * Each extension gives a BUNDLE observation from its Contents/Info.plist
 * (macbundle.h; attrs "kind" = "kext" or "systemextension") and a KMOD
 * observation (NAME = the bundle's folder name, "klif.kext"; PATH = the
 * bundle; VERSION). A kext on disk is loaded at boot: state "installed",
 * active. A system extension takes its state from sysextd's database
 * (/Library/SystemExtensions/db.plist: extensions[].identifier and .state,
 * e.g. "activated_enabled"), active only when that state starts with
 * "activated"; with no entry there it is "installed" and active.
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/limits.h"
#include "source/macbundle.h"
#include "source/tree.h"

#define SYSEXT_DB "/Library/SystemExtensions/db.plist"

struct kx {
	struct source_ctx *ctx;
	plist_t db;        /* sysextd's database, or NULL */
	plist_t db_exts;   /* its "extensions" array, borrowed */
	uint32_t n_db_exts;
	struct mac_budget budget;
	/* the folder being listed */
	const char *kind, *parent;
	bool plugins, db_read;
	bool found;
};

/* The state sysextd records for `id`, or NULL. */
static const char *sysext_state(struct kx *k, const char *id)
{
	for (uint32_t i = 0; id && i < k->n_db_exts; i++) {
		plist_t e = plist_array_get_item(k->db_exts, i);
		const char *eid = NULL, *state = NULL;
		struct excise_err err;
		if (pl_dict_string(e, "identifier", SYSEXT_DB, &eid, &err) == 0 &&
		    strcmp(eid, id) == 0 && pl_dict_string(e, "state", SYSEXT_DB, &state, &err) == 0)
			return state;
	}
	return NULL;
}

static int ext(struct kx *k, const char *path, const char *kind, const char *parent)
{
	struct stat st;
	if (root_stat(source_root(k->ctx), path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (!mac_bundle_budget(k->ctx, &k->budget, "extensions", path))
		return 0;
	struct mac_bundle b;
	int r = mac_bundle_read(k->ctx, path, &b);
	if (r < 0)
		return r;
	const char *state = "installed";
	bool active = true;
	if (strcmp(kind, "systemextension") == 0) {
		const char *s = sysext_state(k, b.id);
		if (s) {
			state = s;
			active = strncmp(s, "activated", 9) == 0;
		}
	}
	struct excise_obs_attr at[] = { { "parent", parent } };
	r = mac_bundle_emit(k->ctx, path, &b, kind, state, active, at, parent ? 1 : 0);
	if (r >= 0) {
		struct excise_obs_attr kt[] = { { "kind", kind }, { "bundle_id", b.id } };
		struct excise_obs o = { .kind = EXCISE_OBS_KMOD, .state = state, .active = active,
				 .attrs = kt, .n_attrs = b.id ? 2 : 1 };
		o.f[EXCISE_F_NAME] = mac_base_name(path);
		o.f[EXCISE_F_PATH] = path;
		o.f[EXCISE_F_VERSION] = b.version;
		r = source_emit(k->ctx, &o);
	}
	mac_bundle_done(&b);
	return r;
}

static const struct dirlist kexts = { .suffix = ".kext" };

static int plugin_entry(void *userdata, const char *path, const char *name)
{
	(void)name;
	struct kx *k = userdata;
	return ext(k, path, k->kind, k->parent);
}

static int ext_entry(void *userdata, const char *path, const char *name)
{
	(void)name;
	struct kx *k = userdata;
	int r = ext(k, path, k->kind, NULL);
	if (r < 0 || !k->plugins)
		return r;
	_cleanup_free_ char *pi = path_join(path, "Contents/PlugIns");
	if (!pi)
		return -ENOMEM;
	k->parent = path;
	r = source_list(k->ctx, pi, &kexts, 0, plugin_entry, k);
	return r < 0 ? r : 0;
}

/* Every `suffix` entry of `dir`; with `plugins`, also <entry>/Contents/PlugIns/<name>.kext. */
static int ext_dir(struct kx *k, const char *dir, const char *suffix, const char *kind,
		   bool plugins)
{
	struct dirlist o = { .suffix = suffix };
	k->kind = kind;
	k->plugins = plugins;
	int r = source_list(k->ctx, dir, &o, 0, ext_entry, k);
	k->found |= r == 0;
	return r < 0 ? r : 0;
}

static int read_db(struct kx *k)
{
	struct excise_err err = { 0 };
	int r = pl_read_dict(source_root(k->ctx), SYSEXT_DB, &k->db, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (r != -ENOENT)
			source_item_error(k->ctx, -r, "%s", err.msg);
		return 0;
	}
	r = pl_dict_array(k->db, "extensions", SYSEXT_DB, &k->db_exts, &k->n_db_exts, &err);
	if (r < 0)
		source_item_error(k->ctx, -r, "%s", err.msg);
	return 0;
}

/* sysextd's database is read once the folder is listed, before its first entry */
static int sysext_entry(void *userdata, const char *path, const char *name)
{
	(void)name;
	struct kx *k = userdata;
	struct stat st;
	int r = k->db_read ? 0 : read_db(k);
	k->db_read = true;
	if (r < 0 || root_lstat(source_root(k->ctx), path, &st) < 0 || !S_ISDIR(st.st_mode))
		return r;
	return ext_dir(k, path, ".systemextension", "systemextension", false);
}

/* /Library/SystemExtensions/<uuid>/<id>.systemextension */
static int sysexts(struct kx *k)
{
	static const struct dirlist all = { 0 };
	int r = source_list(k->ctx, "/Library/SystemExtensions", &all, 0, sysext_entry, k);
	if (r == 0) {
		k->found = true;
		if (!k->db_read)
			r = read_db(k);
	}
	return r < 0 ? r : 0;
}

static int run(struct source_ctx *ctx)
{
	struct kx k = { .ctx = ctx };
	int r = ext_dir(&k, "/Library/Extensions", ".kext", "kext", true);
	if (r >= 0)
		r = ext_dir(&k, "/System/Library/Extensions", ".kext", "kext", true);
	if (r >= 0)
		r = sysexts(&k);
	if (k.db)
		plist_free(k.db);
	if (r < 0)
		return source_fail(ctx, r, "macOS extensions: %s", excise_strerror(r));
	return k.found ? 0 : -EXCISE_E_ABSENT;
}

const struct source source_kext = {
	.name = "macos-kexts",
	.platform = "macos",
	.description = "macOS kernel extensions and system extensions (Library/Extensions, SystemExtensions)",
	.run = run,
};
