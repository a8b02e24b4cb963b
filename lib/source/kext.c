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

#define SYSEXT_DB "/Library/SystemExtensions/db.plist"

struct kx {
	struct source_ctx *ctx;
	plist_t db;        /* sysextd's database, or NULL */
	plist_t db_exts;   /* its "extensions" array, borrowed */
	uint32_t n_db_exts;
	struct mac_budget budget;
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

/* Every `suffix` entry of `dir`; with `plugins`, also <entry>/Contents/PlugIns/<name>.kext. */
static int ext_dir(struct kx *k, const char *dir, const char *suffix, const char *kind,
		   bool plugins)
{
	DIR *d = NULL;
	int r = root_opendir(source_root(k->ctx), dir, &d);
	if (r < 0) {
		if (r != -ENOENT && r != -ENOTDIR && r != -ENOMEM)
			source_item_error(k->ctx, r, "'%s': cannot list", dir);
		return r == -ENOMEM ? r : 0;
	}
	k->found = true;
	struct dirent *e;
	r = 0;
	while (r >= 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !mac_has_suffix(e->d_name, suffix))
			continue;
		_cleanup_free_ char *p = path_join(dir, e->d_name);
		if (!p) {
			r = -ENOMEM;
			break;
		}
		r = ext(k, p, kind, NULL);
		if (r < 0 || !plugins)
			continue;
		_cleanup_free_ char *pi = path_join(p, "Contents/PlugIns");
		DIR *pd = NULL;
		if (!pi) {
			r = -ENOMEM;
			break;
		}
		if (root_opendir(source_root(k->ctx), pi, &pd) < 0)
			continue;
		struct dirent *pe;
		while (r >= 0 && (pe = readdir(pd))) {
			if (pe->d_name[0] == '.' || !mac_has_suffix(pe->d_name, ".kext"))
				continue;
			_cleanup_free_ char *pp = path_join(pi, pe->d_name);
			r = pp ? ext(k, pp, kind, p) : -ENOMEM;
		}
		closedir(pd);
	}
	closedir(d);
	return r;
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

/* /Library/SystemExtensions/<uuid>/<id>.systemextension */
static int sysexts(struct kx *k)
{
	DIR *d = NULL;
	int r = root_opendir(source_root(k->ctx), "/Library/SystemExtensions", &d);
	if (r < 0) {
		if (r != -ENOENT && r != -ENOTDIR && r != -ENOMEM)
			source_item_error(k->ctx, r, "'/Library/SystemExtensions': cannot list");
		return r == -ENOMEM ? r : 0;
	}
	k->found = true;
	r = read_db(k);
	struct dirent *e;
	while (r >= 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = path_join("/Library/SystemExtensions", e->d_name);
		struct stat st;
		if (!p) {
			r = -ENOMEM;
			break;
		}
		if (root_lstat(source_root(k->ctx), p, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		r = ext_dir(k, p, ".systemextension", "systemextension", false);
	}
	closedir(d);
	return r;
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
