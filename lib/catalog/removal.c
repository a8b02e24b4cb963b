/* SPDX-License-Identifier: Apache-2.0 */
/*
 * removal: a product's "removal" in the catalog (docs/catalog-format.md, "Removal"):
 * per platform, how it is uninstalled (dpkg, rpm, msi with its password properties,
 * a bundled uninstaller, the vendor's removal tool, the UninstallString), the
 * services and drivers to stop first, the leftovers and whether a reboot finishes
 * it. Read as strictly as the rest of the catalog: an unknown key, a wrong type or
 * a path that is not absolute is an error naming the product and the place.
 * Strings point into the catalog's JSON document; the arrays are owned here.
 */
#include "catalog/removal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/macro.h"

static const char *const kind_names[] = {
	[EXCISE_UNINSTALL_DPKG] = "dpkg",
	[EXCISE_UNINSTALL_RPM] = "rpm",
	[EXCISE_UNINSTALL_MSI] = "msi",
	[EXCISE_UNINSTALL_BUNDLED] = "bundled",
	[EXCISE_UNINSTALL_VENDOR_REMOVER] = "vendor-remover",
	[EXCISE_UNINSTALL_STRING] = "uninstall-string",
};
static const char *const value_names[] = {
	[EXCISE_MSI_USER] = "user",
	[EXCISE_MSI_PASSWORD] = "password",
	[EXCISE_MSI_PASSWORD_UTF16_HEX] = "password-utf16le-hex",
};
/* The keys an uninstall entry of each kind may have, besides "kind", "fallback" and "source". */
static const char *const kind_keys[][3] = {
	[EXCISE_UNINSTALL_DPKG] = { "packages" },
	[EXCISE_UNINSTALL_RPM] = { "packages" },
	[EXCISE_UNINSTALL_MSI] = { "properties" },
	[EXCISE_UNINSTALL_BUNDLED] = { "paths" },
	[EXCISE_UNINSTALL_VENDOR_REMOVER] = { "name", "file", "args" },
	[EXCISE_UNINSTALL_STRING] = { NULL },
};
static const char *const removal_platforms[] = { "linux", "windows", "macos" };

const char *excise_uninstall_kind_name(enum excise_uninstall_kind k)
{
	return (unsigned)k < _EXCISE_UNINSTALL_KIND_MAX ? kind_names[k] : "?";
}

const char *excise_msi_value_name(enum excise_msi_value v)
{
	return (unsigned)v < _EXCISE_MSI_VALUE_MAX ? value_names[v] : "?";
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

struct rparse {
	const char *name;           /* the catalog, for messages */
	const char *product;        /* "products[3] (id 'kesl')" */
	char at[160];               /* "removal.windows.uninstall[0]" */
	struct excise_err *err;
};

static int bad(struct rparse *p, const char *fmt, ...) PRINTF(2, 3);
static int bad(struct rparse *p, const char *fmt, ...)
{
	char what[EXCISE_ERR_MSG];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set(p->err, -EXCISE_E_CATALOG, "catalog '%s': %s: %s: %s", p->name, p->product, p->at, what);
}

static int oom(struct rparse *p)
{
	return err_set(p->err, -ENOMEM, "catalog '%s': out of memory", p->name);
}

static int only_keys(struct rparse *p, json_t *o, const char *const *allowed, size_t n)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		if (name_index(allowed, n, key) < 0)
			return bad(p, "unknown key '%s'", key);
	}
	return 0;
}

static int get_str(struct rparse *p, json_t *o, const char *key, bool required, const char **ret)
{
	json_t *v = json_object_get(o, key);
	*ret = NULL;
	if (!v)
		return required ? bad(p, "missing '%s'", key) : 0;
	if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) != strlen(json_string_value(v)))
		return bad(p, "'%s' must be a non-empty string without NUL characters", key);
	*ret = json_string_value(v);
	return 0;
}

/* A root-relative absolute path in normal form: no ".", "..", "//" or trailing "/". */
static bool normal_path(const char *s)
{
	if (s[0] != '/' || (s[1] && s[strlen(s) - 1] == '/') || strstr(s, "//"))
		return false;
	for (const char *c = s; c; c = strchr(c + 1, '/'))
		if (!strncmp(c, "/./", 3) || !strcmp(c, "/.") || !strncmp(c, "/../", 4) || !strcmp(c, "/.."))
			return false;
	return true;
}

/* The array `key` of `o` (NULL when absent) and its size in *n, at most `max`. */
static int get_array(struct rparse *p, json_t *o, const char *key, size_t max, json_t **ret, size_t *n)
{
	json_t *v = json_object_get(o, key);
	if (v && !json_is_array(v))
		return bad(p, "'%s' must be an array", key);
	*n = v ? json_array_size(v) : 0;
	if (*n > max)
		return bad(p, "'%s' has %zu entries; at most %zu are allowed", key, *n, max);
	*ret = v;
	return 0;
}

/* An array of non-empty strings (at most EXCISE_MAX_REMOVAL_ITEMS), NULL-terminated;
 * an absent key gives an empty one. `paths`: each must be an absolute path in normal form. */
static int get_strv(struct rparse *p, json_t *o, const char *key, bool paths, const char *const **ret)
{
	json_t *v;
	size_t n;
	int r = get_array(p, o, key, EXCISE_MAX_REMOVAL_ITEMS, &v, &n);
	if (r < 0)
		return r;
	const char **a = calloc(n + 1, sizeof(*a));
	if (!a)
		return oom(p);
	*ret = a;
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(v, i);
		if (!json_is_string(s) || !json_string_length(s) || json_string_length(s) != strlen(json_string_value(s)))
			return bad(p, "'%s'[%zu] must be a non-empty string", key, i);
		a[i] = json_string_value(s);
		if (paths && !normal_path(a[i]))
			return bad(p, "'%s'[%zu]: '%s' is not an absolute path in normal form (root-relative, "
				   "'/' as separator)", key, i, a[i]);
	}
	return 0;
}

static int get_bool(struct rparse *p, json_t *o, const char *key, bool *ret)
{
	json_t *v = json_object_get(o, key);
	if (v && !json_is_boolean(v))
		return bad(p, "'%s' must be true or false", key);
	*ret = json_is_true(v);
	return 0;
}

static int parse_properties(struct rparse *p, json_t *o, struct excise_uninstall *u)
{
	json_t *v;
	size_t n;
	int r = get_array(p, o, "properties", EXCISE_MAX_PLAN_ARGS, &v, &n);
	if (r < 0)
		return r;
	struct excise_msi_property *m = calloc(n + 1, sizeof(*m));
	if (!m)
		return oom(p);
	u->properties = m;
	u->n_properties = n;
	static const char *const keys[] = { "name", "value" };
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i);
		const char *value;
		if (!json_is_object(e))
			return bad(p, "'properties'[%zu] must be an object", i);
		if ((r = only_keys(p, e, keys, ARRAY_SIZE(keys))) < 0 || (r = get_str(p, e, "name", true, &m[i].name)) < 0 ||
		    (r = get_str(p, e, "value", true, &value)) < 0)
			return r;
		for (const char *c = m[i].name; *c; c++)
			if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
				return bad(p, "'properties'[%zu]: '%s' is not an MSI property name", i, m[i].name);
		int k = name_index(value_names, ARRAY_SIZE(value_names), value);
		if (k < 0)
			return bad(p, "'properties'[%zu]: unknown value '%s' (user, password or password-utf16le-hex)",
				   i, value);
		m[i].value = (enum excise_msi_value)k;
	}
	return 0;
}

static int parse_uninstall(struct rparse *p, json_t *o, struct excise_uninstall *u)
{
	const char *kind;
	int r;
	if (!json_is_object(o))
		return bad(p, "must be an object");
	if ((r = get_str(p, o, "kind", true, &kind)) < 0)
		return r;
	int k = name_index(kind_names, ARRAY_SIZE(kind_names), kind);
	if (k < 0)
		return bad(p, "unknown kind '%s' (dpkg, rpm, msi, bundled, vendor-remover or uninstall-string)", kind);
	u->kind = (enum excise_uninstall_kind)k;
	const char *keys[] = { "kind", "fallback", "source", kind_keys[k][0], kind_keys[k][1], kind_keys[k][2] };
	size_t nk = 3;
	while (nk < ARRAY_SIZE(keys) && keys[nk])
		nk++;
	if ((r = only_keys(p, o, keys, nk)) < 0 || (r = get_bool(p, o, "fallback", &u->fallback)) < 0 ||
	    (r = get_str(p, o, "source", false, &u->source_url)) < 0 ||
	    (r = get_strv(p, o, "packages", false, &u->packages)) < 0 ||
	    (r = get_strv(p, o, "paths", true, &u->paths)) < 0 || (r = get_strv(p, o, "args", false, &u->args)) < 0 ||
	    (r = get_str(p, o, "name", u->kind == EXCISE_UNINSTALL_VENDOR_REMOVER, &u->name)) < 0 ||
	    (r = get_str(p, o, "file", u->kind == EXCISE_UNINSTALL_VENDOR_REMOVER, &u->file)) < 0 ||
	    (r = parse_properties(p, o, u)) < 0)
		return r;
	if (u->kind == EXCISE_UNINSTALL_BUNDLED && !u->paths[0])
		return bad(p, "a bundled uninstaller needs 'paths'");
	if (u->file && (strchr(u->file, '/') || strchr(u->file, '\\')))
		return bad(p, "'file' '%s' must be a file name, not a path", u->file);
	return 0;
}

static int parse_recipe(struct rparse *p, json_t *o, struct excise_removal *rm)
{
	static const char *const keys[] = { "uninstall", "services", "drivers", "leftovers", "reboot", "source" };
	int r;
	if (!json_is_object(o))
		return bad(p, "must be an object");
	if ((r = only_keys(p, o, keys, ARRAY_SIZE(keys))) < 0 || (r = get_str(p, o, "source", true, &rm->source_url)) < 0 ||
	    (r = get_strv(p, o, "services", false, &rm->services)) < 0 ||
	    (r = get_strv(p, o, "drivers", false, &rm->drivers)) < 0 ||
	    (r = get_strv(p, o, "leftovers", true, &rm->leftovers)) < 0 || (r = get_bool(p, o, "reboot", &rm->reboot)) < 0)
		return r;
	json_t *un;
	size_t n;
	if ((r = get_array(p, o, "uninstall", EXCISE_MAX_REMOVAL_ITEMS, &un, &n)) < 0)
		return r;
	struct excise_uninstall *u = calloc(n + 1, sizeof(*u));
	if (!u)
		return oom(p);
	rm->uninstall = u;
	size_t len = strlen(p->at);
	for (size_t i = 0; i < n; i++) {
		rm->n_uninstall = i + 1; /* counted first so a half-parsed entry is freed */
		snprintf(p->at + len, sizeof(p->at) - len, ".uninstall[%zu]", i);
		if ((r = parse_uninstall(p, json_array_get(un, i), &u[i])) < 0)
			return r;
		if (u[i].fallback && i == 0)
			return bad(p, "the first uninstall cannot be a fallback: there is nothing before it to fail");
	}
	p->at[len] = 0;
	return 0;
}

static bool lists_platform(const struct excise_product *pr, const char *platform)
{
	for (const char *const *q = pr->platforms; q && *q; q++)
		if (!strcmp(*q, platform) || !strcmp(*q, "any"))
			return true;
	return false;
}

int removal_parse(const char *name, const char *where, json_t *o, struct excise_product *pr, struct excise_err *err)
{
	json_t *rm = json_object_get(o, "removal");
	if (!rm)
		return 0;
	struct rparse p = { .name = name, .product = where, .err = err };
	snprintf(p.at, sizeof(p.at), "removal");
	if (!json_is_object(rm))
		return bad(&p, "must be an object whose keys are platforms");
	struct excise_removal *v = calloc(ARRAY_SIZE(removal_platforms), sizeof(*v));
	if (!v)
		return oom(&p);
	pr->removals = v;
	const char *key;
	json_t *recipe;
	json_object_foreach(rm, key, recipe) {
		int k = name_index(removal_platforms, ARRAY_SIZE(removal_platforms), key);
		if (k < 0)
			return bad(&p, "unknown platform '%s' (linux, windows or macos)", key);
		if (!lists_platform(pr, key))
			return bad(&p, "platform '%s' is not among the product's platforms", key);
		struct excise_removal *r = &v[pr->n_removals++];
		r->platform = removal_platforms[k];
		snprintf(p.at, sizeof(p.at), "removal.%s", key);
		int e = parse_recipe(&p, recipe, r);
		if (e < 0)
			return e;
	}
	return 0;
}

void removal_free(struct excise_product *pr)
{
	for (size_t i = 0; i < pr->n_removals; i++) {
		const struct excise_removal *r = &pr->removals[i];
		for (size_t j = 0; j < r->n_uninstall; j++) {
			const struct excise_uninstall *u = &r->uninstall[j];
			free((void *)u->packages);
			free((void *)u->paths);
			free((void *)u->args);
			free((void *)u->properties);
		}
		free((void *)r->uninstall);
		free((void *)r->services);
		free((void *)r->drivers);
		free((void *)r->leftovers);
	}
	free((void *)pr->removals);
	pr->removals = NULL;
	pr->n_removals = 0;
}

const struct excise_removal *excise_product_removal(const struct excise_product *p, const char *platform)
{
	for (size_t i = 0; p && platform && i < p->n_removals; i++)
		if (!strcmp(p->removals[i].platform, platform))
			return &p->removals[i];
	return NULL;
}

int removal_lint(const struct excise_product *pr, char ***v, size_t *n)
{
	int r = 0;
	for (size_t i = 0; i < pr->n_removals && r >= 0; i++) {
		const struct excise_removal *rm = &pr->removals[i];
		if (!catalog_is_source(rm->source_url))
			r = catalog_add_problem(v, n, "product '%s': removal.%s: source '%s' is not a URL", pr->id,
						rm->platform, rm->source_url);
		for (size_t j = 0; j < rm->n_uninstall && r >= 0; j++) {
			const struct excise_uninstall *u = &rm->uninstall[j];
			if (u->source_url && !catalog_is_source(u->source_url))
				r = catalog_add_problem(v, n, "product '%s': removal.%s.uninstall[%zu]: source '%s' is not "
							"a URL", pr->id, rm->platform, j, u->source_url);
			bool native = u->kind == EXCISE_UNINSTALL_DPKG || u->kind == EXCISE_UNINSTALL_RPM;
			if (r >= 0 && native && strcmp(rm->platform, "linux"))
				r = catalog_add_problem(v, n, "product '%s': removal.%s.uninstall[%zu]: %s is not an "
							"uninstall of %s", pr->id, rm->platform, j,
							excise_uninstall_kind_name(u->kind), rm->platform);
			if (r >= 0 && (u->kind == EXCISE_UNINSTALL_MSI || u->kind == EXCISE_UNINSTALL_STRING) &&
			    strcmp(rm->platform, "windows"))
				r = catalog_add_problem(v, n, "product '%s': removal.%s.uninstall[%zu]: %s is Windows "
							"only", pr->id, rm->platform, j, excise_uninstall_kind_name(u->kind));
		}
		if (r >= 0 && !rm->n_uninstall && !rm->leftovers[0] && !rm->services[0] && !rm->drivers[0])
			r = catalog_add_problem(v, n, "product '%s': removal.%s says nothing: give its uninstall, "
						"services, drivers or leftovers", pr->id, rm->platform);
	}
	return r;
}
