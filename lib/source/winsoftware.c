/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source win-software: the SOFTWARE hive of an offline Windows root
 * (Windows/System32/config/SOFTWARE, found case-insensitively).
 *
 * - Uninstall entries of both views (64-bit Microsoft\Windows\CurrentVersion\
 *   Uninstall, 32-bit WOW6432Node\...): a PACKAGE observation each (NAME =
 *   DisplayName, VERSION = DisplayVersion, PUBLISHER, TARGET = UninstallString,
 *   PATH = HKLM\SOFTWARE\...\Uninstall\<key>) and a REGISTRY observation (NAME
 *   = the key name, e.g. an MSI product code).
 * - MSI registrations, each an install (state "installed", active) whether or
 *   not an Uninstall entry exists: Classes\Installer\Products\<packed code>
 *   (PACKAGE: NAME = ProductName, VERSION from its Version DWORD) and
 *   Microsoft\Windows\CurrentVersion\Installer\UserData\<SID>\Products\
 *   <packed code>\InstallProperties (PACKAGE: NAME = DisplayName, PUBLISHER,
 *   VERSION = DisplayVersion, attr install_location, attr sid), each also a
 *   REGISTRY observation NAME = the product {GUID}; attr msi_product_code = the
 *   {GUID} in upper case; PATH = the key. Installer\UpgradeCodes\<packed> (under
 *   Classes and under Microsoft\Windows\CurrentVersion): REGISTRY, NAME = the
 *   upgrade {GUID}, attr msi_upgrade_code. A key name that is not a packed code
 *   is an item error (wincommon.c has the transform).
 * - Run keys of both views: SERVICE observations (autorun "Run").
 * - Vendor key trees: the keys named by the catalog's registry path indicators
 *   under HKLM\SOFTWARE (their literal prefixes) are walked and every key is a
 *   REGISTRY observation. Product registrations follow one layout (Tenable's
 *   Nessus plugin kaspersky_installed.nasl trusts a product key only when its
 *   `environment` subkey exists): a key with an `environment` subkey, and that
 *   subkey, are "installed" (active, VERSION = environment\ProductVersion); a
 *   key directly under a `protected` key without one is "stale"; other keys
 *   are "present" (not active), so leftover keys alone make a remnant.
 * - Machine certificate stores (ROOT, AuthRoot, CA): the DER certificate in
 *   each key's Blob value, as CERT observations.
 * Attrs: `install_location`, `msi_product_code`, `view` (Uninstall entries),
 * `msi_upgrade_code`, `sid` (MSI registrations),
 * `autorun` (Run keys), `product_root` (vendor keys), `thumbprint` and `store`
 * (certificates).
 * A hive that cannot be read fails the source; a bad key is an item error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/limits.h"
#include "source/wincommon.h"

#define HKLM_SOFTWARE "HKLM\\SOFTWARE"

static const struct {
	const char *prefix, *view;
} views[] = {
	{ "", "64-bit" },
	{ "WOW6432Node\\", "32-bit" },
};

/* The literal start of an indicator's value ('\' separated), or NULL. */
static char *literal_prefix(const struct excise_indicator *ind)
{
	const char *v = ind->value;
	if (ind->match == EXCISE_MATCH_EXACT)
		return strdup(v);
	if (ind->match == EXCISE_MATCH_GLOB)
		return strndup(v, strcspn(v, "*?["));
	if (v[0] != '^')
		return NULL;
	char *out = malloc(strlen(v) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = v + 1; *p; p++) {
		if (*p == '\\' && p[1]) {
			*o++ = *++p;
			continue;
		}
		if (strchr(".[]()|*+?{}$^", *p)) {
			/* an optional or repeated last character is not literal */
			if (strchr("*?{", *p) && o > out)
				o--;
			break;
		}
		*o++ = *p;
	}
	*o = 0;
	return out;
}

/* The key below HKLM\SOFTWARE to walk for one indicator: its complete
 * literal components ("KasperskyLab\protected"); NULL when none. */
static char *walk_root(const struct excise_indicator *ind)
{
	_cleanup_free_ char *lit = literal_prefix(ind);
	size_t n = strlen(HKLM_SOFTWARE "\\");
	if (!lit || strncasecmp(lit, HKLM_SOFTWARE "\\", n) != 0)
		return NULL;
	char *rel = lit + n;
	if (ind->match != EXCISE_MATCH_EXACT) {
		char *cut = strrchr(rel, '\\');
		if (!cut)
			return NULL; /* not even the first component is whole */
		*cut = 0;
	}
	/* Uninstall entries and certificate stores are read on their own. */
	if (!*rel || strncasecmp(rel, "Microsoft\\", 10) == 0 ||
	    strncasecmp(rel, "WOW6432Node\\Microsoft\\", 22) == 0 || strcasecmp(rel, "WOW6432Node") == 0)
		return NULL;
	return strdup(rel);
}

struct sw {
	struct source_ctx *ctx;
	char **roots;
	size_t n_roots;
};

static bool covered(char **roots, size_t n, const char *r)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(roots[i]);
		if (strncasecmp(roots[i], r, l) == 0 && (r[l] == 0 || r[l] == '\\'))
			return true;
	}
	return false;
}

static int by_length(const void *a, const void *b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);
	return x < y ? -1 : x > y;
}

/* The distinct walk roots, none inside another. */
static int collect_roots(struct sw *s)
{
	const struct excise_catalog *c = source_catalog(s->ctx);
	char **all = NULL;
	size_t n = 0;
	int r = 0;
	for (size_t i = 0; i < excise_catalog_n_indicators(c) && r == 0; i++) {
		const struct excise_indicator *ind = excise_catalog_indicator(c, i);
		if (ind->kind != EXCISE_OBS_REGISTRY || ind->field != EXCISE_F_PATH)
			continue;
		char *root = walk_root(ind);
		char **q = root ? realloc(all, (n + 1) * sizeof(char *)) : NULL;
		if (!q) {
			free(root);
			continue;
		}
		all = q;
		all[n++] = root;
	}
	if (n) /* qsort(NULL, 0) is undefined: a catalog with no registry paths */
		qsort(all, n, sizeof(char *), by_length); /* shorter roots first: they cover longer */
	for (size_t i = 0; i < n && r == 0; i++) {
		if (covered(s->roots, s->n_roots, all[i]))
			continue;
		char **q = realloc(s->roots, (s->n_roots + 1) * sizeof(char *));
		if (!q) {
			r = -ENOMEM;
			break;
		}
		s->roots = q;
		s->roots[s->n_roots++] = TAKE_PTR(all[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(all[i]);
	free(all);
	return r;
}

static const char *last_name(const char *path)
{
	const char *b = strrchr(path, '\\');
	return b ? b + 1 : path;
}

/* One key of a vendor tree. */
static int vendor_key(void *ud, struct hive *h, hive_node n, const char *path, unsigned depth)
{
	struct sw *s = ud;
	(void)depth;
	const char *name = last_name(path);
	bool is_env = strcasecmp(name, "environment") == 0;
	hive_node env = n;
	bool installed = is_env || (hive_lookup(h, n, "environment", &env) == 0);
	bool stale = false;
	if (!installed) {
		/* the parent's name is the component before ours */
		const char *end = name - 1;
		const char *b = end;
		while (b > path && b[-1] != '\\')
			b--;
		stale = end > path && (size_t)(end - b) == 9 && strncasecmp(b, "protected", 9) == 0;
	}
	_cleanup_free_ char *ver = NULL, *pname = NULL, *proot = NULL;
	int r;
	if (installed && ((r = win_str(s->ctx, h, env, path, "ProductVersion", &ver)) < 0 ||
			  (r = win_str(s->ctx, h, env, path, "ProductName", &pname)) < 0 ||
			  (r = win_str(s->ctx, h, env, path, "ProductRoot", &proot)) < 0))
		return r;
	struct excise_obs_attr a[1] = { { "product_root", proot } };
	struct excise_obs o = { .kind = EXCISE_OBS_REGISTRY, .active = installed,
			 .state = installed ? "installed" : stale ? "stale" : "present",
			 .attrs = a, .n_attrs = proot ? 1 : 0 };
	o.f[EXCISE_F_NAME] = name;
	o.f[EXCISE_F_PATH] = path;
	o.f[EXCISE_F_VERSION] = ver;
	o.f[EXCISE_F_DESCRIPTION] = pname;
	return source_emit(s->ctx, &o);
}

static int vendor_trees(struct sw *s, struct hive *h)
{
	int r = collect_roots(s);
	for (size_t i = 0; i < s->n_roots && r >= 0; i++) {
		hive_node n = 0;
		_cleanup_free_ char *shown = NULL;
		if (asprintf(&shown, HKLM_SOFTWARE "\\%s", s->roots[i]) < 0)
			return -ENOMEM;
		r = hive_lookup(h, hive_root(h), s->roots[i], &n);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0) {
			r = win_key_error(s->ctx, h, shown, r, "key cannot be read");
			continue;
		}
		struct excise_err err = { 0 };
		r = hive_walk(h, n, shown, EXCISE_MAX_HIVE_DEPTH, vendor_key, s, &err);
		if (r == -EXCISE_E_LIMIT) {
			source_item_error(s->ctx, r, "%s", err.msg);
			r = 0;
		} else if (r < 0 && err.msg[0]) {
			r = source_fail(s->ctx, r, "%s", err.msg);
		}
	}
	return r;
}

static int run(struct source_ctx *ctx)
{
	_cleanup_hive_ struct hive *h = NULL;
	struct excise_err err = { 0 };
	int r = win_hive_open(source_root(ctx), WIN_SOFTWARE_HIVE, &h, NULL, &err);
	if (r == -EXCISE_E_ABSENT)
		return r;
	if (r < 0)
		return source_fail(ctx, r, "%s", err.msg);
	hive_node root = hive_root(h);
	for (size_t i = 0; i < ARRAY_SIZE(views) && r >= 0; i++) {
		_cleanup_free_ char *rel = NULL, *shown = NULL, *runrel = NULL, *runshown = NULL;
		const char *p = views[i].prefix;
		if (asprintf(&rel, "%sMicrosoft\\Windows\\CurrentVersion\\Uninstall", p) < 0 ||
		    asprintf(&shown, HKLM_SOFTWARE "\\%s", rel) < 0 ||
		    asprintf(&runrel, "%sMicrosoft\\Windows\\CurrentVersion\\Run", p) < 0 ||
		    asprintf(&runshown, HKLM_SOFTWARE "\\%s", runrel) < 0)
			return source_fail(ctx, -ENOMEM, "out of memory");
		r = win_uninstall(ctx, h, root, rel, shown, views[i].view, NULL);
		if (r >= 0)
			r = win_run_key(ctx, h, root, runrel, runshown, "Run", NULL);
	}
	static const char *const upgrade[] = { "Classes\\Installer\\UpgradeCodes",
					       "Microsoft\\Windows\\CurrentVersion\\Installer\\UpgradeCodes" };
	if (r >= 0)
		r = win_msi_products(ctx, h, root, "Classes\\Installer\\Products",
				     HKLM_SOFTWARE "\\Classes\\Installer\\Products", NULL);
	if (r >= 0)
		r = win_msi_userdata(ctx, h, root, "Microsoft\\Windows\\CurrentVersion\\Installer\\UserData",
				     HKLM_SOFTWARE "\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData");
	for (size_t i = 0; i < ARRAY_SIZE(upgrade) && r >= 0; i++) {
		_cleanup_free_ char *shown = NULL;
		if (asprintf(&shown, HKLM_SOFTWARE "\\%s", upgrade[i]) < 0)
			return source_fail(ctx, -ENOMEM, "out of memory");
		r = win_msi_upgrade_codes(ctx, h, root, upgrade[i], shown, NULL);
	}
	if (r >= 0)
		r = win_cert_stores(ctx, h, root, "Microsoft\\SystemCertificates",
				    HKLM_SOFTWARE "\\Microsoft\\SystemCertificates", NULL);
	struct sw s = { .ctx = ctx };
	if (r >= 0)
		r = vendor_trees(&s, h);
	for (size_t i = 0; i < s.n_roots; i++)
		free(s.roots[i]);
	free(s.roots);
	if (r < 0)
		return source_fail(ctx, r, "hive '%s': %s", hive_name(h), excise_strerror(r));
	return 0;
}

const struct source source_winsoftware = {
	.name = "win-software",
	.platform = "windows",
	.description = "Windows SOFTWARE hive: Uninstall entries, MSI registrations, Run keys, vendor keys, machine certificate stores",
	.run = run,
};
