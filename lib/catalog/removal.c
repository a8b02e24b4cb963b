/* SPDX-License-Identifier: Apache-2.0 */
/*
 * removal: a product's "removal" in the catalog (docs/catalog-format.md, "Removal"):
 * per platform, how it is uninstalled (dpkg, rpm, msi with its password properties,
 * a bundled uninstaller, the vendor's removal tool, the UninstallString), the
 * services and drivers to stop first, the leftovers and whether a reboot finishes
 * it. Read through core/doc tables like the rest of the catalog, with the same
 * struct doc: an unknown member, a member of another kind, a wrong type or a path
 * that is not absolute is an error with the JSON pointer of the place
 * ("/products/3/removal/linux/uninstall/0/kind (id 'kesl'): expected one of ...").
 * Strings point into the catalog's JSON document; the arrays are owned here.
 */
#include "catalog/removal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/macro.h"

static const char *const kind_names[] = {
	[EXCISE_UNINSTALL_DPKG] = "dpkg",
	[EXCISE_UNINSTALL_RPM] = "rpm",
	[EXCISE_UNINSTALL_MSI] = "msi",
	[EXCISE_UNINSTALL_BUNDLED] = "bundled",
	[EXCISE_UNINSTALL_VENDOR_REMOVER] = "vendor-remover",
	[EXCISE_UNINSTALL_STRING] = "uninstall-string",
	[_EXCISE_UNINSTALL_KIND_MAX] = NULL,
};
static const char *const value_names[] = {
	[EXCISE_MSI_USER] = "user",
	[EXCISE_MSI_PASSWORD] = "password",
	[EXCISE_MSI_PASSWORD_UTF16_HEX] = "password-utf16le-hex",
	[_EXCISE_MSI_VALUE_MAX] = NULL,
};

_Static_assert(sizeof(enum excise_uninstall_kind) == sizeof(int) && sizeof(enum excise_msi_value) == sizeof(int),
	       "doc_enum stores an int");

const char *excise_uninstall_kind_name(enum excise_uninstall_kind k)
{
	return (unsigned)k < _EXCISE_UNINSTALL_KIND_MAX ? kind_names[k] : "?";
}

const char *excise_msi_value_name(enum excise_msi_value v)
{
	return (unsigned)v < _EXCISE_MSI_VALUE_MAX ? value_names[v] : "?";
}

/* ---- reading ---- */

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

/* Each string of `a`, the array member `key` of the object read (never NULL), is an
 * absolute path in normal form. */
static int normal_paths(struct doc *d, const char *key, const char *const *a)
{
	for (size_t i = 0; a[i]; i++)
		if (!normal_path(a[i])) {
			doc_enter_key(d, key);
			doc_enter_index(d, i);
			return doc_fail(d, "expected an absolute path in normal form (root-relative, '/' as separator), "
				       "not '%s'", a[i]);
		}
	return 0;
}

/* A file name: no '/' or '\\' in it. */
static int file_name_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int r = doc_string(d, f, v, ret);
	if (r >= 0 && strpbrk(*(const char **)ret, "/\\"))
		r = doc_fail(d, "expected a file name, not a path");
	return r;
}

/* An MSI property name: [A-Za-z0-9_]+. */
static int msi_name_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
	int r = doc_string(d, f, v, ret);
	if (r >= 0 && (*(const char **)ret)[strspn(*(const char **)ret, chars)])
		r = doc_fail(d, "expected an MSI property name ([A-Za-z0-9_]+)");
	return r;
}

#define REQ (DOC_REQUIRED | DOC_NONEMPTY)
/* A list of a recipe or an uninstall: at most EXCISE_MAX_REMOVAL_ITEMS non-empty strings. */
#define LIST(type, key, member) \
	{ key, DOC_ARRAY, doc_strv, offsetof(type, member), DOC_NONEMPTY, .max = EXCISE_MAX_REMOVAL_ITEMS }

static const struct doc_field property_fields[] = {
	{ "name", DOC_STRING, msi_name_field, offsetof(struct excise_msi_property, name), REQ },
	{ "value", DOC_STRING, doc_enum, offsetof(struct excise_msi_property, value), DOC_REQUIRED,
	  .values = value_names },
	{ 0 },
};
static const struct doc_table property_table = { property_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

/* The members of an uninstall of any kind ("kind" itself was read by uninstall_table). */
#define UNINSTALL_COMMON                                                                                     \
	{ "kind", DOC_STRING, NULL, 0, DOC_REQUIRED, .values = kind_names },                                 \
	{ "fallback", DOC_BOOLEAN, doc_bool, offsetof(struct excise_uninstall, fallback), 0 },              \
	{ "source", DOC_STRING, doc_string, offsetof(struct excise_uninstall, source_url), DOC_NONEMPTY }

static const struct doc_field packages_fields[] = {
	UNINSTALL_COMMON,
	LIST(struct excise_uninstall, "packages", packages),
	{ 0 },
};
static const struct doc_field msi_fields[] = {
	UNINSTALL_COMMON,
	{ "properties", DOC_ARRAY, doc_objects, offsetof(struct excise_uninstall, properties), 0,
	  .max = EXCISE_MAX_PLAN_ARGS, .table = &property_table, .size = sizeof(struct excise_msi_property),
	  .count = offsetof(struct excise_uninstall, n_properties) },
	{ 0 },
};
static const struct doc_field bundled_fields[] = {
	UNINSTALL_COMMON,
	{ "paths", DOC_ARRAY, doc_strv, offsetof(struct excise_uninstall, paths), REQ, .min = 1,
	  .max = EXCISE_MAX_REMOVAL_ITEMS },
	{ 0 },
};
static const struct doc_field remover_fields[] = {
	UNINSTALL_COMMON,
	{ "name", DOC_STRING, doc_string, offsetof(struct excise_uninstall, name), REQ },
	{ "file", DOC_STRING, file_name_field, offsetof(struct excise_uninstall, file), REQ },
	LIST(struct excise_uninstall, "args", args),
	{ 0 },
};
static const struct doc_field string_fields[] = {
	UNINSTALL_COMMON,
	{ 0 },
};

/* The paths are in normal form; the lists the kind has not are empty (the API
 * promises NULL-terminated arrays). */
static int uninstall_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	struct excise_uninstall *u = base;
	int r;
	if ((r = catalog_empty_if_absent(d, &u->packages)) < 0 || (r = catalog_empty_if_absent(d, &u->paths)) < 0 ||
	    (r = catalog_empty_if_absent(d, &u->args)) < 0)
		return r;
	return normal_paths(d, "paths", u->paths);
}

/* An uninstall has the members of its kind and no others. */
static const struct doc_table kind_tables[] = {
	[EXCISE_UNINSTALL_DPKG] = { packages_fields, DOC_UNKNOWN_REFUSE, NULL, uninstall_check },
	[EXCISE_UNINSTALL_RPM] = { packages_fields, DOC_UNKNOWN_REFUSE, NULL, uninstall_check },
	[EXCISE_UNINSTALL_MSI] = { msi_fields, DOC_UNKNOWN_REFUSE, NULL, uninstall_check },
	[EXCISE_UNINSTALL_BUNDLED] = { bundled_fields, DOC_UNKNOWN_REFUSE, NULL, uninstall_check },
	[EXCISE_UNINSTALL_VENDOR_REMOVER] = { remover_fields, DOC_UNKNOWN_REFUSE, NULL, uninstall_check },
	[EXCISE_UNINSTALL_STRING] = { string_fields, DOC_UNKNOWN_REFUSE, NULL, uninstall_check },
};
_Static_assert(ARRAY_SIZE(kind_tables) == _EXCISE_UNINSTALL_KIND_MAX, "a table for each kind");

/* The kind first, then the members of that kind. */
static int uninstall_kind(struct doc *d, json_t *obj, void *base)
{
	struct excise_uninstall *u = base;
	return doc_dispatch(d, obj, &kind_tables[u->kind], u);
}

static const struct doc_field uninstall_fields[] = {
	{ "kind", DOC_STRING, doc_enum, offsetof(struct excise_uninstall, kind), DOC_REQUIRED, .values = kind_names },
	{ 0 },
};
static const struct doc_table uninstall_table = { uninstall_fields, DOC_UNKNOWN_IGNORE, NULL, uninstall_kind };

static int recipe_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	struct excise_removal *rm = base;
	int r;
	if (rm->n_uninstall && rm->uninstall[0].fallback) {
		doc_enter_key(d, "uninstall");
		doc_enter_index(d, 0);
		doc_enter_key(d, "fallback");
		return doc_fail(d, "the first uninstall cannot be a fallback: there is nothing before it to fail");
	}
	if ((r = catalog_empty_if_absent(d, &rm->services)) < 0 || (r = catalog_empty_if_absent(d, &rm->drivers)) < 0 ||
	    (r = catalog_empty_if_absent(d, &rm->leftovers)) < 0)
		return r;
	return normal_paths(d, "leftovers", rm->leftovers);
}

static const struct doc_field recipe_fields[] = {
	{ "uninstall", DOC_ARRAY, doc_objects, offsetof(struct excise_removal, uninstall), 0,
	  .max = EXCISE_MAX_REMOVAL_ITEMS, .table = &uninstall_table, .size = sizeof(struct excise_uninstall),
	  .count = offsetof(struct excise_removal, n_uninstall) },
	LIST(struct excise_removal, "services", services),
	LIST(struct excise_removal, "drivers", drivers),
	LIST(struct excise_removal, "leftovers", leftovers),
	{ "reboot", DOC_BOOLEAN, doc_bool, offsetof(struct excise_removal, reboot), 0 },
	{ "source", DOC_STRING, doc_string, offsetof(struct excise_removal, source_url), REQ },
	{ 0 },
};
static const struct doc_table recipe_table = { recipe_fields, DOC_UNKNOWN_REFUSE, NULL, recipe_check };

static int recipe_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret);

/* One recipe a platform; each field is dispatched on the product (offset 0). */
static const struct doc_field platform_fields[] = {
	{ "linux", DOC_OBJECT, recipe_field, 0, 0, .table = &recipe_table },
	{ "windows", DOC_OBJECT, recipe_field, 0, 0, .table = &recipe_table },
	{ "macos", DOC_OBJECT, recipe_field, 0, 0, .table = &recipe_table },
	{ 0 },
};
const struct doc_table removal_table = { platform_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

static bool lists_platform(const struct excise_product *pr, const char *platform)
{
	for (const char *const *q = pr->platforms; q && *q; q++)
		if (!strcmp(*q, platform) || !strcmp(*q, "any"))
			return true;
	return false;
}

/* The recipe of platform f->name, appended to the product's removals. */
static int recipe_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	struct excise_product *pr = ret;
	if (!lists_platform(pr, f->name))
		return doc_fail(d, "platform '%s' is not among the product's platforms", f->name);
	if (!pr->removals && !(pr->removals = calloc(ARRAY_SIZE(platform_fields) - 1, sizeof(*pr->removals))))
		return doc_failc(d, -ENOMEM, "out of memory");
	struct excise_removal *rm = (struct excise_removal *)&pr->removals[pr->n_removals++];
	rm->platform = f->name;
	return doc_dispatch(d, v, f->table, rm);
}

/* A place: a root-relative path in normal form, or a registry key under a hive name. */
static int place_list(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	struct excise_product *pr = ret;
	if (!lists_platform(pr, f->name))
		return doc_fail(d, "platform '%s' is not among the product's platforms", f->name);
	if (!pr->places && !(pr->places = calloc(ARRAY_SIZE(platform_fields) - 1, sizeof(*pr->places))))
		return doc_failc(d, -ENOMEM, "out of memory");
	struct excise_places *pl = (struct excise_places *)&pr->places[pr->n_places++];
	pl->platform = f->name;
	int r = doc_strv(d, f, v, (void *)&pl->paths);
	for (size_t i = 0; r >= 0 && pl->paths[i]; i++) {
		const char *p = pl->paths[i];
		bool key = !strncmp(p, "HKLM\\", 5) || !strncmp(p, "HKU\\", 4);
		if (!key && !normal_path(p)) {
			doc_enter_index(d, i);
			r = doc_fail(d, "expected a root-relative path in normal form ('/' as separator) or a "
				     "registry key (HKLM\\..., HKU\\...), not '%s'", p);
		}
	}
	return r;
}

#define PLACES(platform) \
	{ platform, DOC_ARRAY, place_list, 0, DOC_NONEMPTY, .min = 1, .max = EXCISE_MAX_PRODUCT_PLACES }
static const struct doc_field places_fields[] = {
	PLACES("linux"),
	PLACES("windows"),
	PLACES("macos"),
	{ 0 },
};
const struct doc_table places_table = { places_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

const char *const *excise_product_places(const struct excise_product *p, const char *platform)
{
	for (size_t i = 0; p && platform && i < p->n_places; i++)
		if (!strcmp(p->places[i].platform, platform))
			return p->places[i].paths;
	return NULL;
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
	for (size_t i = 0; i < pr->n_places; i++)
		free((void *)pr->places[i].paths);
	free((void *)pr->places);
	pr->places = NULL;
	pr->n_places = 0;
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
