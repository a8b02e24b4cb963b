/* SPDX-License-Identifier: Apache-2.0 */
/* macbundle: Info.plist of a macOS bundle, and its BUNDLE observation (see macbundle.h). */
#include "source/macbundle.h"

#include <string.h>

#include "core/limits.h"

const char *mac_base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

bool mac_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);
	return n > k && strcmp(name + n - k, suffix) == 0;
}

void mac_bundle_done(struct mac_bundle *b)
{
	if (b->pl)
		plist_free(b->pl);
	*b = (struct mac_bundle){ 0 };
}

/* One optional string key; a bad one is reported and left NULL. */
static int key(struct source_ctx *ctx, struct mac_bundle *b, const char *k, const char *path,
	       const char **slot)
{
	struct excise_err err = { 0 };
	if (*slot)
		return 0;
	int r = pl_dict_string(b->pl, k, path, slot, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		source_item_error(ctx, -r, "%s", err.msg);
	return 0;
}

int mac_bundle_read(struct source_ctx *ctx, const char *bundle, struct mac_bundle *ret)
{
	*ret = (struct mac_bundle){ 0 };
	_cleanup_free_ char *path = path_join(bundle, "Contents/Info.plist");
	if (!path)
		return -ENOMEM;
	struct excise_err err = { 0 };
	int r = pl_read_dict(source_root(ctx), path, &ret->pl, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		source_item_error(ctx, -r, "%s", err.msg);
		return 1;
	}
	if ((r = key(ctx, ret, "CFBundleIdentifier", path, &ret->id)) < 0 ||
	    (r = key(ctx, ret, "CFBundleShortVersionString", path, &ret->version)) < 0 ||
	    (r = key(ctx, ret, "CFBundleVersion", path, &ret->version)) < 0 ||
	    (r = key(ctx, ret, "CFBundleDisplayName", path, &ret->name)) < 0 ||
	    (r = key(ctx, ret, "CFBundleName", path, &ret->name)) < 0 ||
	    (r = key(ctx, ret, "CFBundleExecutable", path, &ret->exec)) < 0) {
		mac_bundle_done(ret);
		return r;
	}
	/* An executable name is one path component inside Contents/MacOS. */
	if (ret->exec && (!ret->exec[0] || strchr(ret->exec, '/'))) {
		source_item_error(ctx, EXCISE_E_CORRUPT, "'%s': key 'CFBundleExecutable': not a file "
				  "name", path);
		ret->exec = NULL;
	}
	if (!plist_dict_get_item(ret->pl, "CFBundleIdentifier"))
		source_item_error(ctx, EXCISE_E_CORRUPT, "'%s': key 'CFBundleIdentifier': missing",
				  path);
	return 0;
}

int mac_bundle_emit(struct source_ctx *ctx, const char *bundle, const struct mac_bundle *b,
		    const char *kind, const char *state, bool active, const struct excise_obs_attr *attrs,
		    size_t n_attrs)
{
	if (!b->id)
		return 0;
	struct excise_obs_attr a[5] = { { "kind", kind } };
	size_t n = 1;
	for (size_t i = 0; i < n_attrs && n < ARRAY_SIZE(a); i++)
		a[n++] = attrs[i];
	_cleanup_free_ char *exe = NULL;
	if (b->exec) {
		_cleanup_free_ char *dir = path_join(bundle, "Contents/MacOS");
		exe = dir ? path_join(dir, b->exec) : NULL;
		if (!exe)
			return -ENOMEM;
	}
	struct excise_obs o = { .kind = EXCISE_OBS_BUNDLE, .state = state, .active = active,
			 .attrs = a, .n_attrs = n };
	o.f[EXCISE_F_NAME] = b->id;
	o.f[EXCISE_F_VERSION] = b->version;
	o.f[EXCISE_F_DESCRIPTION] = b->name;
	o.f[EXCISE_F_PATH] = bundle;
	o.f[EXCISE_F_TARGET] = exe;
	return source_emit(ctx, &o);
}

bool mac_bundle_budget(struct source_ctx *ctx, struct mac_budget *b, const char *what,
		       const char *path)
{
	if (b->n < EXCISE_MAX_BUNDLES) {
		b->n++;
		return true;
	}
	if (!b->said)
		source_item_error(ctx, EXCISE_E_LIMIT, "more than %u %s, '%s' and the rest not read",
				  EXCISE_MAX_BUNDLES, what, path);
	b->said = true;
	return false;
}
