/* SPDX-License-Identifier: Apache-2.0 */
/* wincommon: helpers shared by the Windows registry sources (see wincommon.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "parse/certblob.h"
#include "source/certobs.h"
#include "source/wincommon.h"

int win_key_error(struct source_ctx *ctx, struct hive *h, const char *keypath, int code,
		  const char *what)
{
	if (code == -ENOMEM)
		return code;
	if (code == -EXCISE_E_LIMIT || code == -EXCISE_E_TOOBIG || code == -EXCISE_E_UNSUPPORTED) {
		source_item_error(ctx, code, "hive '%s': %s: %s", hive_name(h), keypath, what);
		return 0;
	}
	/* A broken key means a broken hive: what it hides is unknown, so the source fails. */
	return source_fail(ctx, code, "hive '%s': %s: %s: %s", hive_name(h), keypath, what,
			   excise_strerror(code));
}

static int value_error(struct source_ctx *ctx, struct hive *h, const char *keypath,
		       const char *value, int code)
{
	if (code == -ENOENT || code == -EXCISE_E_UNSUPPORTED)
		return 0; /* absent, or a type this value does not usually have */
	if (code == -ENOMEM)
		return code;
	/* one unreadable value: the key's other values and keys are still read */
	source_item_error(ctx, code, "hive '%s': %s: value '%s' cannot be read%s", hive_name(h),
			  keypath, value,
			  code == -EXCISE_E_TOOBIG ? " (over the value or string size limit)" : "");
	return 0;
}

int win_str(struct source_ctx *ctx, struct hive *h, hive_node n, const char *keypath,
	    const char *value, char **ret)
{
	*ret = NULL;
	int k = hive_string(h, n, value, ret);
	return k < 0 ? value_error(ctx, h, keypath, value, k) : 0;
}

int win_u64(struct source_ctx *ctx, struct hive *h, hive_node n, const char *keypath,
	    const char *value, uint64_t *ret, bool *have)
{
	*have = false;
	int k = hive_u64(h, n, value, ret);
	if (k == 0)
		*have = true;
	return k < 0 ? value_error(ctx, h, keypath, value, k) : 0;
}

/* "{" 8-4-4-4-12 hex "}" */
static bool is_guid(const char *s)
{
	static const char form[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
	if (strlen(s) != sizeof(form) - 1)
		return false;
	for (size_t i = 0; form[i]; i++) {
		bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
			   (s[i] >= 'A' && s[i] <= 'F');
		if (form[i] == 'x' ? !hex : s[i] != form[i])
			return false;
	}
	return true;
}

/* Each key below a listed parent: its node, name and shown path. */
typedef int (*child_fn)(struct source_ctx *ctx, struct hive *h, hive_node n, const char *name,
			const char *path, void *ud);

static int each_child(struct source_ctx *ctx, struct hive *h, hive_node from, const char *parent_path,
		      const char *keypath, child_fn fn, void *ud)
{
	hive_node parent = 0;
	int r = hive_lookup(h, from, parent_path, &parent);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return win_key_error(ctx, h, keypath, r, "key cannot be read");
	_cleanup_free_ hive_node *c = NULL;
	r = hive_children(h, parent, &c);
	if (r < 0)
		return win_key_error(ctx, h, keypath, r,
				     r == -EXCISE_E_LIMIT ? "too many subkeys (limit), not read"
							  : "subkeys cannot be read");
	for (size_t i = 0; c[i]; i++) {
		_cleanup_free_ char *name = NULL, *path = NULL;
		if ((r = hive_key_name(h, c[i], &name)) < 0) {
			if ((r = win_key_error(ctx, h, keypath, r, "a subkey name cannot be read")) < 0)
				return r;
			continue;
		}
		if (asprintf(&path, "%s\\%s", keypath, name) < 0)
			return -ENOMEM;
		if ((r = fn(ctx, h, c[i], name, path, ud)) < 0)
			return r;
	}
	return 0;
}

struct uninst {
	const char *view, *user;
};

static int uninstall_entry(struct source_ctx *ctx, struct hive *h, hive_node n, const char *name,
			   const char *path, void *ud)
{
	const struct uninst *u = ud;
	_cleanup_free_ char *dn = NULL, *dv = NULL, *pub = NULL, *us = NULL, *loc = NULL, *com = NULL;
	uint64_t wi = 0;
	bool have_wi = false;
	int r;
	if ((r = win_str(ctx, h, n, path, "DisplayName", &dn)) < 0 ||
	    (r = win_str(ctx, h, n, path, "DisplayVersion", &dv)) < 0 ||
	    (r = win_str(ctx, h, n, path, "Publisher", &pub)) < 0 ||
	    (r = win_str(ctx, h, n, path, "UninstallString", &us)) < 0 ||
	    (r = win_str(ctx, h, n, path, "InstallLocation", &loc)) < 0 ||
	    (r = win_str(ctx, h, n, path, "Comments", &com)) < 0 ||
	    (r = win_u64(ctx, h, n, path, "WindowsInstaller", &wi, &have_wi)) < 0)
		return r;
	struct excise_obs_attr a[4];
	size_t na = 0;
	if (loc && *loc)
		a[na++] = (struct excise_obs_attr){ "install_location", loc };
	if (have_wi && wi == 1 && is_guid(name))
		a[na++] = (struct excise_obs_attr){ "msi_product_code", name };
	if (u->view)
		a[na++] = (struct excise_obs_attr){ "view", u->view };
	if (u->user)
		a[na++] = (struct excise_obs_attr){ "user", u->user };
	struct excise_obs o = { .kind = EXCISE_OBS_PACKAGE, .state = "installed", .active = true,
			 .attrs = a, .n_attrs = na };
	o.f[EXCISE_F_NAME] = dn;
	o.f[EXCISE_F_VERSION] = dv;
	o.f[EXCISE_F_PUBLISHER] = pub;
	o.f[EXCISE_F_PATH] = path;
	o.f[EXCISE_F_TARGET] = us;
	o.f[EXCISE_F_DESCRIPTION] = com;
	if ((r = source_emit(ctx, &o)) < 0)
		return r;
	struct excise_obs k = { .kind = EXCISE_OBS_REGISTRY, .state = "installed", .active = true,
			 .attrs = a, .n_attrs = na };
	k.f[EXCISE_F_NAME] = name;
	k.f[EXCISE_F_PATH] = path;
	k.f[EXCISE_F_VERSION] = dv;
	k.f[EXCISE_F_DESCRIPTION] = dn;
	return source_emit(ctx, &k);
}

int win_uninstall(struct source_ctx *ctx, struct hive *h, hive_node from, const char *parent_path,
		  const char *keypath, const char *view, const char *user)
{
	struct uninst u = { .view = view, .user = user };
	return each_child(ctx, h, from, parent_path, keypath, uninstall_entry, &u);
}

int win_run_key(struct source_ctx *ctx, struct hive *h, hive_node from, const char *parent_path,
		const char *keypath, const char *autorun, const char *user)
{
	hive_node n = 0;
	int r = hive_lookup(h, from, parent_path, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return win_key_error(ctx, h, keypath, r, "key cannot be read");
	_cleanup_free_ char **names = NULL;
	size_t nn = 0;
	if ((r = hive_value_names(h, n, &names, &nn)) < 0)
		return win_key_error(ctx, h, keypath, r, "values cannot be read");
	for (size_t i = 0; i < nn && r >= 0; i++) {
		_cleanup_free_ char *cmd = NULL;
		if (!names[i][0] || (r = win_str(ctx, h, n, keypath, names[i], &cmd)) < 0)
			continue;
		struct excise_obs_attr a[2] = { { "autorun", autorun }, { "user", user } };
		struct excise_obs o = { .kind = EXCISE_OBS_SERVICE, .state = "enabled", .active = true,
				 .attrs = a, .n_attrs = user ? 2 : 1 };
		o.f[EXCISE_F_NAME] = names[i];
		o.f[EXCISE_F_TARGET] = cmd;
		o.f[EXCISE_F_PATH] = keypath;
		r = source_emit(ctx, &o);
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	return r < 0 ? r : 0;
}

struct store {
	const char *store, *user;
};

static int cert_key(struct source_ctx *ctx, struct hive *h, hive_node n, const char *name,
		    const char *path, void *ud)
{
	const struct store *s = ud;
	_cleanup_free_ void *blob = NULL;
	size_t len = 0;
	int r = hive_binary(h, n, "Blob", &blob, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return value_error(ctx, h, path, "Blob", r);
	const unsigned char *der = NULL;
	size_t dlen = 0;
	r = certblob_find(blob, len, CERTBLOB_PROP_CERT, &der, &dlen);
	if (r < 0) {
		/* one bad value: the store's other certificates are still read */
		source_item_error(ctx, r == -ENOENT ? EXCISE_E_CORRUPT : r, "hive '%s': %s: %s",
				  hive_name(h), path,
				  r == -ENOENT ? "value 'Blob' holds no certificate"
					       : "value 'Blob' is not a property list");
		return 0;
	}
	struct excise_obs_attr a[3] = { { "thumbprint", name }, { "store", s->store }, { "user", s->user } };
	bool trusted = strcasecmp(s->store, "CA") != 0;
	r = cert_emit_der(ctx, der, dlen, path, trusted ? "trusted" : "intermediate", a,
			  s->user ? 3 : 2);
	if (r == -EXCISE_E_CORRUPT) {
		source_item_error(ctx, r, "hive '%s': %s: value 'Blob': not a DER certificate",
				  hive_name(h), path);
		return 0;
	}
	return r;
}

int win_cert_stores(struct source_ctx *ctx, struct hive *h, hive_node from, const char *parent_path,
		    const char *keypath, const char *user)
{
	static const char *const stores[] = { "ROOT", "AuthRoot", "CA" };
	int r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(stores) && r >= 0; i++) {
		_cleanup_free_ char *rel = NULL, *shown = NULL;
		if (asprintf(&rel, "%s\\%s\\Certificates", parent_path, stores[i]) < 0 ||
		    asprintf(&shown, "%s\\%s\\Certificates", keypath, stores[i]) < 0)
			return -ENOMEM;
		struct store s = { .store = stores[i], .user = user };
		r = each_child(ctx, h, from, rel, shown, cert_key, &s);
	}
	return r;
}

int win_msi_unpack(const char *packed, char out[static 39])
{
	/* where each packed digit goes in "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" */
	static const unsigned char at[32] = {
		8, 7, 6, 5, 4, 3, 2, 1,         /* first group reversed */
		13, 12, 11, 10,                 /* second reversed */
		18, 17, 16, 15,                 /* third reversed */
		21, 20, 23, 22,                 /* then pairs swapped */
		26, 25, 28, 27, 30, 29, 32, 31, 34, 33, 36, 35,
	};
	if (strlen(packed) != 32)
		return -EINVAL;
	memcpy(out, "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}", 39);
	for (size_t i = 0; i < 32; i++) {
		char c = packed[i];
		if (c >= 'a' && c <= 'f')
			c = (char)(c - 32);
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			return -EINVAL;
		out[at[i]] = c;
	}
	out[38] = 0;
	return 0;
}

/* "major.minor.build" of an MSI Version DWORD (major in the top byte). */
static void msi_version(uint64_t v, char out[32])
{
	snprintf(out, 32, "%u.%u.%u", (unsigned)((v >> 24) & 0xFF), (unsigned)((v >> 16) & 0xFF),
		 (unsigned)(v & 0xFFFF));
}

struct msi {
	const char *user;
	const char *sid;
};

/* The key's name as a {GUID}; false (an item error) when it is not a packed code. */
static bool msi_code(struct source_ctx *ctx, struct hive *h, const char *name, const char *path,
		     char code[static 39])
{
	if (win_msi_unpack(name, code) == 0)
		return true;
	source_item_error(ctx, EXCISE_E_CORRUPT, "hive '%s': %s: key name is not a packed MSI code "
			  "(32 hex digits), skipped", hive_name(h), path);
	return false;
}

/* A PACKAGE and a REGISTRY observation of one MSI product registration. */
static int msi_emit(struct source_ctx *ctx, const char *path, const char *code, const char *name,
		    const char *pub, const char *ver, const char *loc, const struct msi *m)
{
	struct excise_obs_attr a[4];
	size_t na = 0;
	a[na++] = (struct excise_obs_attr){ "msi_product_code", code };
	if (loc && *loc)
		a[na++] = (struct excise_obs_attr){ "install_location", loc };
	if (m->user)
		a[na++] = (struct excise_obs_attr){ "user", m->user };
	if (m->sid)
		a[na++] = (struct excise_obs_attr){ "sid", m->sid };
	int r;
	if (name && *name) {
		struct excise_obs o = { .kind = EXCISE_OBS_PACKAGE, .state = "installed", .active = true,
				 .attrs = a, .n_attrs = na };
		o.f[EXCISE_F_NAME] = name;
		o.f[EXCISE_F_VERSION] = ver;
		o.f[EXCISE_F_PUBLISHER] = pub;
		o.f[EXCISE_F_PATH] = path;
		if ((r = source_emit(ctx, &o)) < 0)
			return r;
	}
	struct excise_obs k = { .kind = EXCISE_OBS_REGISTRY, .state = "installed", .active = true,
			 .attrs = a, .n_attrs = na };
	k.f[EXCISE_F_NAME] = code;
	k.f[EXCISE_F_PATH] = path;
	k.f[EXCISE_F_VERSION] = ver;
	k.f[EXCISE_F_DESCRIPTION] = name;
	return source_emit(ctx, &k);
}

static int msi_product(struct source_ctx *ctx, struct hive *h, hive_node n, const char *name,
		       const char *path, void *ud)
{
	char code[39], ver[32];
	if (!msi_code(ctx, h, name, path, code))
		return 0;
	_cleanup_free_ char *pn = NULL;
	uint64_t v = 0;
	bool have_v = false;
	int r;
	if ((r = win_str(ctx, h, n, path, "ProductName", &pn)) < 0 ||
	    (r = win_u64(ctx, h, n, path, "Version", &v, &have_v)) < 0)
		return r;
	if (have_v)
		msi_version(v, ver);
	return msi_emit(ctx, path, code, pn, NULL, have_v ? ver : NULL, NULL, ud);
}

int win_msi_products(struct source_ctx *ctx, struct hive *h, hive_node from, const char *parent_path,
		     const char *keypath, const char *user)
{
	struct msi m = { .user = user };
	return each_child(ctx, h, from, parent_path, keypath, msi_product, &m);
}

static int msi_upgrade(struct source_ctx *ctx, struct hive *h, hive_node n, const char *name,
		       const char *path, void *ud)
{
	const struct msi *m = ud;
	(void)n;
	char code[39];
	if (!msi_code(ctx, h, name, path, code))
		return 0;
	struct excise_obs_attr a[2] = { { "msi_upgrade_code", code }, { "user", m->user } };
	struct excise_obs k = { .kind = EXCISE_OBS_REGISTRY, .state = "installed", .active = true,
			 .attrs = a, .n_attrs = m->user ? 2 : 1 };
	k.f[EXCISE_F_NAME] = code;
	k.f[EXCISE_F_PATH] = path;
	return source_emit(ctx, &k);
}

int win_msi_upgrade_codes(struct source_ctx *ctx, struct hive *h, hive_node from, const char *parent_path,
			  const char *keypath, const char *user)
{
	struct msi m = { .user = user };
	return each_child(ctx, h, from, parent_path, keypath, msi_upgrade, &m);
}

/* UserData\<SID>\Products\<packed>: its InstallProperties. */
static int msi_userdata_product(struct source_ctx *ctx, struct hive *h, hive_node n, const char *name,
				const char *path, void *ud)
{
	char code[39];
	if (!msi_code(ctx, h, name, path, code))
		return 0;
	_cleanup_free_ char *ip = NULL;
	if (asprintf(&ip, "%s\\InstallProperties", path) < 0)
		return -ENOMEM;
	hive_node props = 0;
	int r = hive_lookup(h, n, "InstallProperties", &props);
	if (r == -ENOENT) /* a product key without its properties: the code alone */
		return msi_emit(ctx, path, code, NULL, NULL, NULL, NULL, ud);
	if (r < 0)
		return win_key_error(ctx, h, ip, r, "key cannot be read");
	_cleanup_free_ char *dn = NULL, *pub = NULL, *dv = NULL, *loc = NULL;
	if ((r = win_str(ctx, h, props, ip, "DisplayName", &dn)) < 0 ||
	    (r = win_str(ctx, h, props, ip, "Publisher", &pub)) < 0 ||
	    (r = win_str(ctx, h, props, ip, "DisplayVersion", &dv)) < 0 ||
	    (r = win_str(ctx, h, props, ip, "InstallLocation", &loc)) < 0)
		return r;
	return msi_emit(ctx, ip, code, dn, pub, dv, loc, ud);
}

static int msi_userdata_sid(struct source_ctx *ctx, struct hive *h, hive_node n, const char *name,
			    const char *path, void *ud)
{
	(void)ud;
	_cleanup_free_ char *products = NULL;
	if (asprintf(&products, "%s\\Products", path) < 0)
		return -ENOMEM;
	struct msi m = { .sid = name };
	return each_child(ctx, h, n, "Products", products, msi_userdata_product, &m);
}

int win_msi_userdata(struct source_ctx *ctx, struct hive *h, hive_node from, const char *parent_path,
		     const char *keypath)
{
	return each_child(ctx, h, from, parent_path, keypath, msi_userdata_sid, NULL);
}
