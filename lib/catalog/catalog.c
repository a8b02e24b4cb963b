/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog: load, validate and query the vendor catalog (excise.catalog/1).
 *
 * The parsed JSON document stays alive inside the catalog and every string
 * the catalog hands out points into it, so loading allocates only the arrays.
 * Validation is strict: an unknown key, a wrong type, a dangling reference or
 * a duplicate id is an error naming the entry, because a typo must never drop
 * a fact silently.
 */
#include <fcntl.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog_int.h"
#include "catalog/removal.h"
#include "core/buf.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/root.h"

extern const unsigned char excise_embedded_catalog[];
extern const size_t excise_embedded_catalog_len;

static const char *const kind_names[] = {
	[EXCISE_OBS_PACKAGE] = "package", [EXCISE_OBS_FILE] = "file",
	[EXCISE_OBS_PROCESS] = "process", [EXCISE_OBS_SERVICE] = "service",
	[EXCISE_OBS_KMOD] = "kmod",       [EXCISE_OBS_CERT] = "cert",
	[EXCISE_OBS_REGISTRY] = "registry", [EXCISE_OBS_BUNDLE] = "bundle",
	[EXCISE_OBS_EXTENSION] = "extension", [EXCISE_OBS_DOMAIN] = "domain",
	[EXCISE_OBS_SIGNER] = "signer",
};
static const char *const field_names[] = {
	[EXCISE_F_NAME] = "name",         [EXCISE_F_PATH] = "path",
	[EXCISE_F_VERSION] = "version",   [EXCISE_F_PUBLISHER] = "publisher",
	[EXCISE_F_DESCRIPTION] = "description", [EXCISE_F_TARGET] = "target",
	[EXCISE_F_SUBJECT] = "subject",   [EXCISE_F_ISSUER] = "issuer",
};
static const char *const conf_names[] = { "none", "weak", "strong", "definitive" };
static const char *const match_names[] = { "exact", "glob", "regex" };

const char *excise_obs_kind_name(enum excise_obs_kind k)
{
	return (unsigned)k < _EXCISE_OBS_KIND_MAX ? kind_names[k] : "?";
}
const char *excise_field_name(enum excise_field f)
{
	return (unsigned)f < _EXCISE_FIELD_MAX ? field_names[f] : "?";
}
const char *excise_confidence_name(enum excise_confidence c)
{
	return (unsigned)c <= EXCISE_CONF_DEFINITIVE ? conf_names[c] : "?";
}
const char *excise_match_type_name(enum excise_match_type m)
{
	return (unsigned)m <= EXCISE_MATCH_REGEX ? match_names[m] : "?";
}

static int lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* ---- parsing ---- */

struct parse {
	struct excise_catalog *c;
	const char *name;       /* file name for messages */
	struct excise_err *err;
	struct buf where;       /* "indicators[3] (id 'x')" */
};

static int bad(struct parse *p, const char *fmt, ...) PRINTF(2, 3);
static int bad(struct parse *p, const char *fmt, ...)
{
	char what[EXCISE_ERR_MSG];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set(p->err, -EXCISE_E_CATALOG, "catalog '%s': %s: %s", p->name,
		       p->where.n ? p->where.p : "top level", what);
}

static void set_where(struct parse *p, const char *array, size_t i, json_t *obj)
{
	buf_clear(&p->where);
	buf_addf(&p->where, "%s[%zu]", array, i);
	json_t *id = json_object_get(obj, "id");
	if (json_is_string(id))
		buf_addf(&p->where, " (id '%s')", json_string_value(id));
}

/* Check that `obj` has only the allowed keys (NULL-terminated list). */
static int only_keys(struct parse *p, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0)
				ok = true;
		if (!ok)
			return bad(p, "unknown key '%s'", key);
	}
	return 0;
}

static int get_str(struct parse *p, json_t *obj, const char *key, bool required, const char **ret)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (required)
			return bad(p, "missing '%s'", key);
		*ret = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return bad(p, "'%s' must be a string", key);
	const char *s = json_string_value(v);
	if (required && !*s)
		return bad(p, "'%s' is empty", key);
	if (json_string_length(v) != strlen(s))
		return bad(p, "'%s' contains a NUL character", key);
	*ret = s;
	return 0;
}

static int get_bool(struct parse *p, json_t *obj, const char *key, bool dflt, bool *ret)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		*ret = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return bad(p, "'%s' must be true or false", key);
	*ret = json_is_true(v);
	return 0;
}

/* NULL-terminated array of borrowed strings; an absent key gives an empty array. */
static int get_strv(struct parse *p, json_t *obj, const char *key, bool required, const char ***ret)
{
	json_t *v = json_object_get(obj, key);
	if (!v && required)
		return bad(p, "missing '%s'", key);
	if (v && !json_is_array(v))
		return bad(p, "'%s' must be an array of strings", key);
	size_t n = v ? json_array_size(v) : 0;
	if (required && n == 0)
		return bad(p, "'%s' is empty", key);
	const char **a = calloc(n + 1, sizeof(*a));
	if (!a)
		return err_set(p->err, -ENOMEM, "catalog '%s': out of memory", p->name);
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(v, i);
		if (!json_is_string(s) || !*json_string_value(s)) {
			free(a);
			return bad(p, "'%s'[%zu] must be a non-empty string", key, i);
		}
		a[i] = json_string_value(s);
	}
	*ret = a;
	return 0;
}

static bool valid_id(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

static bool valid_date(const char *s)
{
	int y, m, d;
	char extra;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3)
		return false;
	return y >= 1900 && m >= 1 && m <= 12 && d >= 1 && d <= 31 && s[4] == '-' && s[7] == '-';
}

static int get_id(struct parse *p, json_t *obj, const char **ret)
{
	int r = get_str(p, obj, "id", true, ret);
	if (r < 0)
		return r;
	if (!valid_id(*ret) || strlen(*ret) > 128)
		return bad(p, "id '%s' is not of the form [A-Za-z0-9][A-Za-z0-9._:-]*", *ret);
	return 0;
}

static int get_date(struct parse *p, json_t *obj, const char *key, bool required, const char **ret)
{
	int r = get_str(p, obj, key, required, ret);
	if (r < 0)
		return r;
	if (*ret && !valid_date(*ret))
		return bad(p, "'%s' must be a date YYYY-MM-DD, not '%s'", key, *ret);
	return 0;
}

static int get_array(struct parse *p, json_t *root, const char *key, json_t **ret)
{
	json_t *v = json_object_get(root, key);
	if (!v || !json_is_array(v))
		return bad(p, "'%s' must be an array", key);
	*ret = v;
	return 0;
}

static int unique(struct parse *p, struct hash *h, const char *id, int index)
{
	struct hash_slot *s = hash_put(h, id, strlen(id));
	if (!s)
		return err_set(p->err, -ENOMEM, "catalog '%s': out of memory", p->name);
	if (s->value >= 0)
		return bad(p, "duplicate id '%s'", id);
	s->value = index;
	return 0;
}

static int parse_vendor(struct parse *p, json_t *o, struct excise_vendor *v)
{
	static const char *const keys[] = { "id", "name", "country", "aliases", "subsidiaries",
					    "sources", NULL };
	const char **sources = NULL;
	int r;
	if ((r = only_keys(p, o, keys)) < 0 || (r = get_id(p, o, &v->id)) < 0 ||
	    (r = get_str(p, o, "name", true, &v->name)) < 0 ||
	    (r = get_str(p, o, "country", false, &v->country)) < 0 ||
	    (r = get_strv(p, o, "aliases", false, (const char ***)&v->aliases)) < 0 ||
	    (r = get_strv(p, o, "subsidiaries", false, (const char ***)&v->subsidiaries)) < 0 ||
	    (r = get_strv(p, o, "sources", false, &sources)) < 0)
		return r;
	free(sources);
	return 0;
}

static const char *const families[] = { "endpoint", "server", "consumer", "management",
					"gateway", "embedded", "mobile", "tool", "sdk", "unknown",
					NULL };
static const char *const platforms[] = { "linux", "windows", "macos", "android", "ios", "any",
					 NULL };

static int parse_product(struct parse *p, json_t *o, struct excise_product *pr)
{
	static const char *const keys[] = { "id", "vendor", "name", "family", "platforms",
					    "branded", "source", "removal", NULL };
	int r;
	if ((r = only_keys(p, o, keys)) < 0 || (r = get_id(p, o, &pr->id)) < 0 ||
	    (r = get_str(p, o, "vendor", true, &pr->vendor_id)) < 0 ||
	    (r = get_str(p, o, "name", true, &pr->name)) < 0 ||
	    (r = get_str(p, o, "family", true, &pr->family)) < 0 ||
	    (r = get_strv(p, o, "platforms", true, (const char ***)&pr->platforms)) < 0 ||
	    (r = get_bool(p, o, "branded", true, &pr->branded)) < 0 ||
	    (r = get_str(p, o, "source", true, &pr->source_url)) < 0)
		return r;
	if (lookup(families, ARRAY_SIZE(families) - 1, pr->family) < 0)
		return bad(p, "unknown family '%s'", pr->family);
	for (size_t i = 0; pr->platforms[i]; i++)
		if (lookup(platforms, ARRAY_SIZE(platforms) - 1, pr->platforms[i]) < 0)
			return bad(p, "unknown platform '%s'", pr->platforms[i]);
	if (!excise_catalog_find_vendor(p->c, pr->vendor_id))
		return bad(p, "vendor '%s' is not in the catalog", pr->vendor_id);
	if (strchr(pr->id, ':'))
		return bad(p, "product ids may not contain ':' (reserved for '<vendor>:unidentified')");
	return removal_parse(p->name, p->where.p, o, pr, p->err);
}

/* "platforms" of an indicator: absent means every platform; present, a known, non-empty list. */
static int parse_indicator_platforms(struct parse *p, json_t *o, struct excise_indicator *in)
{
	in->platforms = NULL;
	if (!json_object_get(o, "platforms"))
		return 0;
	const char **v = NULL;
	int r = get_strv(p, o, "platforms", true, &v);
	if (r < 0)
		return r;
	for (size_t i = 0; v[i]; i++)
		if (lookup(platforms, ARRAY_SIZE(platforms) - 1, v[i]) < 0) {
			r = bad(p, "unknown platform '%s'", v[i]);
			free(v);
			return r;
		}
	in->platforms = v;
	return 0;
}

static int parse_indicator(struct parse *p, json_t *o, struct excise_indicator *in)
{
	static const char *const keys[] = { "id", "product", "vendor", "kind", "field", "match",
					    "nocase", "value", "confidence", "source", "note", "platforms",
					    NULL };
	const char *kind, *field, *match, *conf, *vendor;
	int r;
	if ((r = only_keys(p, o, keys)) < 0 || (r = get_id(p, o, &in->id)) < 0 ||
	    (r = get_str(p, o, "product", false, &in->product_id)) < 0 ||
	    (r = get_str(p, o, "vendor", false, &vendor)) < 0 ||
	    (r = get_str(p, o, "kind", true, &kind)) < 0 ||
	    (r = get_str(p, o, "field", true, &field)) < 0 ||
	    (r = get_str(p, o, "match", false, &match)) < 0 ||
	    (r = get_bool(p, o, "nocase", false, &in->nocase)) < 0 ||
	    (r = get_str(p, o, "value", true, &in->value)) < 0 ||
	    (r = get_str(p, o, "confidence", true, &conf)) < 0 ||
	    (r = get_str(p, o, "source", true, &in->source_url)) < 0 ||
	    (r = get_str(p, o, "note", false, &in->note)) < 0)
		return r;
	if (!!in->product_id == !!vendor)
		return bad(p, "exactly one of 'product' and 'vendor' must be given");
	if (in->product_id) {
		const struct excise_product *pr = excise_catalog_find_product(p->c, in->product_id);
		if (!pr)
			return bad(p, "product '%s' is not in the catalog", in->product_id);
		in->vendor_id = pr->vendor_id;
	} else {
		if (!excise_catalog_find_vendor(p->c, vendor))
			return bad(p, "vendor '%s' is not in the catalog", vendor);
		in->vendor_id = vendor;
	}
	int k = lookup(kind_names, ARRAY_SIZE(kind_names), kind);
	if (k < 0)
		return bad(p, "unknown kind '%s'", kind);
	int f = lookup(field_names, ARRAY_SIZE(field_names), field);
	if (f < 0)
		return bad(p, "unknown field '%s'", field);
	int m = match ? lookup(match_names, ARRAY_SIZE(match_names), match) : EXCISE_MATCH_EXACT;
	if (m < 0)
		return bad(p, "unknown match '%s' (exact, glob or regex)", match);
	int cf = lookup(conf_names, ARRAY_SIZE(conf_names), conf);
	if (cf <= 0)
		return bad(p, "unknown confidence '%s' (definitive, strong or weak)", conf);
	in->kind = (enum excise_obs_kind)k;
	in->field = (enum excise_field)f;
	in->match = (enum excise_match_type)m;
	in->confidence = (enum excise_confidence)cf;
	if (strlen(in->value) > EXCISE_MAX_PATTERN_LEN)
		return bad(p, "value longer than %u bytes", EXCISE_MAX_PATTERN_LEN);
	if (in->match == EXCISE_MATCH_REGEX) {
		regex_t re;
		int rc = regcomp(&re, in->value, REG_EXTENDED | REG_NOSUB | (in->nocase ? REG_ICASE : 0));
		if (rc != 0) {
			char msg[128];
			regerror(rc, &re, msg, sizeof(msg));
			return bad(p, "regex '%s' does not compile: %s", in->value, msg);
		}
		regfree(&re);
	}
	return parse_indicator_platforms(p, o, in);
}

static const char *const instruments[] = { "binding_operational_directive", "statute",
					   "regulation_clause", "agency_determination",
					   "omb_memorandum", "maintained_list", NULL };
static const char *const scopes[] = { "branded_only", "in_whole_or_in_part",
				      "integrated_or_white_label", NULL };
static const char *const anchors[] = { "issued_date", "effective_date", "discovery_event",
				       "previous_milestone", "absolute", NULL };

static int parse_milestone(struct parse *p, json_t *o, struct excise_milestone *m)
{
	static const char *const keys[] = { "id", "name", "anchor", "offset", "unit", "date",
					    "action", NULL };
	int r;
	if (!json_is_object(o))
		return bad(p, "milestones must be objects");
	if ((r = only_keys(p, o, keys)) < 0 || (r = get_id(p, o, &m->id)) < 0 ||
	    (r = get_str(p, o, "name", true, &m->name)) < 0 ||
	    (r = get_str(p, o, "anchor", true, &m->anchor)) < 0 ||
	    (r = get_str(p, o, "unit", false, &m->unit)) < 0 ||
	    (r = get_date(p, o, "date", false, &m->date)) < 0 ||
	    (r = get_str(p, o, "action", true, &m->action)) < 0)
		return r;
	if (lookup(anchors, ARRAY_SIZE(anchors) - 1, m->anchor) < 0)
		return bad(p, "milestone '%s': unknown anchor '%s'", m->id, m->anchor);
	json_t *off = json_object_get(o, "offset");
	if (off && (!json_is_integer(off) || json_integer_value(off) < 0 ||
		    json_integer_value(off) > 100000))
		return bad(p, "milestone '%s': offset must be a whole number of days", m->id);
	m->offset = off ? (int)json_integer_value(off) : 0;
	if (strcmp(m->anchor, "absolute") == 0 ? !m->date : (!off || !m->unit))
		return bad(p, "milestone '%s': give 'date' for an absolute anchor, else 'offset' and 'unit'",
			   m->id);
	if (m->unit && strcmp(m->unit, "calendar_days") != 0 && strcmp(m->unit, "business_days") != 0)
		return bad(p, "milestone '%s': unit must be calendar_days or business_days", m->id);
	return 0;
}

static int parse_directive(struct parse *p, json_t *o, struct excise_directive *d)
{
	static const char *const keys[] = { "id", "short_name", "title", "instrument", "issuer",
					    "issued", "effective", "vendors", "scope",
					    "excluded_products", "exclusions", "milestones", "source",
					    NULL };
	int r;
	if ((r = only_keys(p, o, keys)) < 0 || (r = get_id(p, o, &d->id)) < 0 ||
	    (r = get_str(p, o, "short_name", true, &d->short_name)) < 0 ||
	    (r = get_str(p, o, "title", true, &d->title)) < 0 ||
	    (r = get_str(p, o, "instrument", true, &d->instrument)) < 0 ||
	    (r = get_str(p, o, "issuer", true, &d->issuer)) < 0 ||
	    (r = get_date(p, o, "issued", true, &d->issued)) < 0 ||
	    (r = get_date(p, o, "effective", false, &d->effective)) < 0 ||
	    (r = get_strv(p, o, "vendors", true, (const char ***)&d->vendors)) < 0 ||
	    (r = get_str(p, o, "scope", true, &d->scope)) < 0 ||
	    (r = get_strv(p, o, "excluded_products", false, (const char ***)&d->excluded_products)) < 0 ||
	    (r = get_str(p, o, "exclusions", false, &d->exclusions_text)) < 0 ||
	    (r = get_str(p, o, "source", true, &d->source_url)) < 0)
		return r;
	if (lookup(instruments, ARRAY_SIZE(instruments) - 1, d->instrument) < 0)
		return bad(p, "unknown instrument '%s'", d->instrument);
	if (lookup(scopes, ARRAY_SIZE(scopes) - 1, d->scope) < 0)
		return bad(p, "unknown scope '%s'", d->scope);
	for (size_t i = 0; d->vendors[i]; i++)
		if (!excise_catalog_find_vendor(p->c, d->vendors[i]))
			return bad(p, "vendor '%s' is not in the catalog", d->vendors[i]);
	for (size_t i = 0; d->excluded_products[i]; i++)
		if (!excise_catalog_find_product(p->c, d->excluded_products[i]))
			return bad(p, "excluded product '%s' is not in the catalog", d->excluded_products[i]);
	json_t *ms = json_object_get(o, "milestones");
	if (ms && !json_is_array(ms))
		return bad(p, "'milestones' must be an array");
	size_t n = ms ? json_array_size(ms) : 0;
	struct excise_milestone *m = calloc(n ? n : 1, sizeof(*m));
	if (!m)
		return err_set(p->err, -ENOMEM, "catalog '%s': out of memory", p->name);
	d->milestones = m;
	d->n_milestones = n;
	for (size_t i = 0; i < n; i++)
		if ((r = parse_milestone(p, json_array_get(ms, i), &m[i])) < 0)
			return r;
	return 0;
}

static int parse_all(struct parse *p, json_t *root)
{
	static const char *const keys[] = { "schema", "id", "version", "serial", "issued",
					    "vendors", "products", "indicators", "directives", NULL };
	struct excise_catalog *c = p->c;
	const char *schema, *issued;
	json_t *vendors = NULL, *products = NULL, *indicators = NULL, *directives = NULL;
	int r;
	if (!json_is_object(root))
		return bad(p, "the document must be a JSON object");
	if ((r = only_keys(p, root, keys)) < 0 || (r = get_str(p, root, "schema", true, &schema)) < 0)
		return r;
	if (strcmp(schema, "excise.catalog/1") != 0)
		return bad(p, "schema '%s' is not excise.catalog/1", schema);
	if ((r = get_id(p, root, &c->id)) < 0 || (r = get_str(p, root, "version", true, &c->version)) < 0 ||
	    (r = get_date(p, root, "issued", true, &issued)) < 0 ||
	    (r = get_array(p, root, "vendors", &vendors)) < 0 ||
	    (r = get_array(p, root, "products", &products)) < 0 ||
	    (r = get_array(p, root, "indicators", &indicators)) < 0 ||
	    (r = get_array(p, root, "directives", &directives)) < 0)
		return r;
	json_t *serial = json_object_get(root, "serial");
	if (!json_is_integer(serial) || json_integer_value(serial) < 0)
		return bad(p, "'serial' must be a non-negative integer");
	c->serial = (uint64_t)json_integer_value(serial);

	size_t nv = json_array_size(vendors), np = json_array_size(products);
	size_t ni = json_array_size(indicators), nd = json_array_size(directives);
	if (nv + np + ni + nd > EXCISE_MAX_CATALOG_ENTRIES)
		return bad(p, "%zu entries; at most %u are allowed", nv + np + ni + nd,
			   EXCISE_MAX_CATALOG_ENTRIES);
	if (nv == 0)
		return bad(p, "no vendors");
	c->vendors = calloc(nv, sizeof(*c->vendors));
	c->products = calloc(np + nv, sizeof(*c->products)); /* + one "unidentified" per vendor */
	c->indicators = calloc(ni ? ni : 1, sizeof(*c->indicators));
	c->directives = calloc(nd ? nd : 1, sizeof(*c->directives));
	c->unidentified_names = calloc(nv, sizeof(char *));
	if (!c->vendors || !c->products || !c->indicators || !c->directives || !c->unidentified_names)
		return err_set(p->err, -ENOMEM, "catalog '%s': out of memory", p->name);

	for (size_t i = 0; i < nv; i++) {
		json_t *o = json_array_get(vendors, i);
		set_where(p, "vendors", i, o);
		if (!json_is_object(o))
			return bad(p, "must be an object");
		c->n_vendors++; /* counted first so a half-parsed entry is freed */
		if ((r = parse_vendor(p, o, &c->vendors[i])) < 0 ||
		    (r = unique(p, &c->vendor_ids, c->vendors[i].id, (int)i)) < 0)
			return r;
	}
	for (size_t i = 0; i < np; i++) {
		json_t *o = json_array_get(products, i);
		set_where(p, "products", i, o);
		if (!json_is_object(o))
			return bad(p, "must be an object");
		c->n_products++;
		c->n_own_products++;
		if ((r = parse_product(p, o, &c->products[i])) < 0 ||
		    (r = unique(p, &c->product_ids, c->products[i].id, (int)i)) < 0)
			return r;
	}
	/* The implicit "<vendor>:unidentified" products, for vendor-wide evidence. */
	static const char *const any_platform[] = { "any", NULL };
	for (size_t i = 0; i < nv; i++) {
		const struct excise_vendor *v = &c->vendors[i];
		struct buf b;
		buf_init(&b, 0);
		buf_addf(&b, "%s:unidentified", v->id);
		buf_addc(&b, 0);
		buf_addf(&b, "%s product (unidentified)", v->name);
		if ((r = buf_take(&b, &c->unidentified_names[i])) < 0)
			return err_set(p->err, r, "catalog '%s': out of memory", p->name);
		const char *id = c->unidentified_names[i];
		c->products[np + i] = (struct excise_product){
			.id = id, .vendor_id = v->id, .name = id + strlen(id) + 1, .family = "unknown",
			.platforms = any_platform, .branded = true, .source_url = NULL,
		};
		if ((r = unique(p, &c->product_ids, id, (int)(np + i))) < 0)
			return r;
		c->n_products++;
	}
	for (size_t i = 0; i < ni; i++) {
		json_t *o = json_array_get(indicators, i);
		set_where(p, "indicators", i, o);
		if (!json_is_object(o))
			return bad(p, "must be an object");
		if ((r = parse_indicator(p, o, &c->indicators[i])) < 0 ||
		    (r = unique(p, &c->indicator_ids, c->indicators[i].id, (int)i)) < 0)
			return r;
		c->n_indicators++;
	}
	for (size_t i = 0; i < nd; i++) {
		json_t *o = json_array_get(directives, i);
		set_where(p, "directives", i, o);
		if (!json_is_object(o))
			return bad(p, "must be an object");
		c->n_directives++; /* counted first so a half-parsed entry is freed */
		if ((r = parse_directive(p, o, &c->directives[i])) < 0 ||
		    (r = unique(p, &c->directive_ids, c->directives[i].id, (int)i)) < 0)
			return r;
	}
	return 0;
}

int excise_catalog_parse(const char *name, const void *data, size_t len, struct excise_catalog **ret,
			 struct excise_err *reterr)
{
	if (!name)
		name = "<catalog>";
	if (len > EXCISE_MAX_CATALOG_SIZE)
		return err_set(reterr, -EXCISE_E_TOOBIG, "catalog '%s': %zu bytes; at most %u are allowed",
			       name, len, EXCISE_MAX_CATALOG_SIZE);
	struct excise_catalog *c = calloc(1, sizeof(*c));
	if (!c)
		return err_set(reterr, -ENOMEM, "catalog '%s': out of memory", name);
	hash_init(&c->vendor_ids);
	hash_init(&c->product_ids);
	hash_init(&c->indicator_ids);
	hash_init(&c->directive_ids);
	json_error_t jerr;
	c->json = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!c->json) {
		excise_catalog_free(c);
		return err_set(reterr, -EXCISE_E_CATALOG, "catalog '%s': line %d column %d: %s", name,
			       jerr.line, jerr.column, jerr.text);
	}
	struct parse p = { .c = c, .name = name, .err = reterr };
	buf_init(&p.where, 4096);
	int r = parse_all(&p, c->json);
	buf_done(&p.where);
	if (r >= 0)
		r = sha256_hex(data, len, c->sha256);
	if (r < 0) {
		if (r == -EIO)
			err_set(reterr, r, "catalog '%s': cannot hash", name);
		excise_catalog_free(c);
		return r;
	}
	c->origin = EXCISE_CATALOG_EMBEDDED;
	*ret = c;
	return 0;
}

int excise_catalog_load_embedded(struct excise_catalog **ret, struct excise_err *reterr)
{
	return excise_catalog_parse("<embedded>", excise_embedded_catalog, excise_embedded_catalog_len,
				    ret, reterr);
}

static int read_path(const char *path, size_t max, char **ret, size_t *ret_len, struct excise_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_setc(err, neg_errno(), "'%s'", path);
	int r = read_fd_all(fd, max, ret, ret_len);
	if (r == -EXCISE_E_TOOBIG)
		return err_set(err, r, "'%s': larger than %zu bytes", path, max);
	if (r < 0)
		return err_setc(err, r, "'%s'", path);
	return 0;
}

int excise_catalog_load_file(const char *path, const char *sig_path, const char *const *trusted_keys,
			     size_t n_keys, bool verify, struct excise_catalog **ret,
			     struct excise_err *reterr)
{
	_cleanup_free_ char *data = NULL, *sig = NULL, *sp = NULL;
	size_t len = 0, sig_len = 0;
	char key_id[17] = "";
	int r = read_path(path, EXCISE_MAX_CATALOG_SIZE, &data, &len, reterr);
	if (r < 0)
		return r;
	if (verify) {
		if (!sig_path) {
			size_t l = strlen(path) + sizeof(".minisig");
			sp = malloc(l);
			if (!sp)
				return err_set(reterr, -ENOMEM, "out of memory");
			snprintf(sp, l, "%s.minisig", path);
			sig_path = sp;
		}
		if (n_keys == 0)
			return err_set(reterr, -EXCISE_E_UNTRUSTED,
				       "catalog '%s': no trusted key given (--trusted-key) to check its signature",
				       path);
		r = read_path(sig_path, EXCISE_MAX_SIGFILE_SIZE, &sig, &sig_len, reterr);
		if (r == -ENOENT)
			return err_set(reterr, -EXCISE_E_UNSIGNED,
				       "catalog '%s': signature missing: no '%s'", path, sig_path);
		if (r < 0)
			return r;
		r = excise_sig_verify(data, len, sig, sig_len, trusted_keys, n_keys, key_id, reterr);
		if (r < 0) {
			struct excise_err inner = *reterr;
			return err_set(reterr, r, "catalog '%s': %s", path, inner.msg);
		}
	}
	struct excise_catalog *c;
	r = excise_catalog_parse(path, data, len, &c, reterr);
	if (r < 0)
		return r;
	c->origin = EXCISE_CATALOG_FILE;
	c->path = realpath(path, NULL);
	if (!c->path)
		c->path = strdup(path);
	memcpy(c->key_id, key_id, sizeof(c->key_id));
	if (!c->path) {
		excise_catalog_free(c);
		return err_set(reterr, -ENOMEM, "out of memory");
	}
	*ret = c;
	return 0;
}

struct excise_catalog *excise_catalog_free(struct excise_catalog *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; c->vendors && i < c->n_vendors; i++) {
		free((void *)c->vendors[i].aliases);
		free((void *)c->vendors[i].subsidiaries);
		if (c->unidentified_names)
			free(c->unidentified_names[i]);
	}
	for (size_t i = 0; i < c->n_own_products; i++) {
		free((void *)c->products[i].platforms);
		removal_free(&c->products[i]);
	}
	for (size_t i = 0; c->indicators && i < c->n_indicators; i++)
		free((void *)c->indicators[i].platforms);
	for (size_t i = 0; c->directives && i < c->n_directives; i++) {
		free((void *)c->directives[i].vendors);
		free((void *)c->directives[i].excluded_products);
		free((void *)c->directives[i].milestones);
	}
	free(c->vendors);
	free(c->products);
	free(c->indicators);
	free(c->directives);
	free(c->unidentified_names);
	hash_done(&c->vendor_ids);
	hash_done(&c->product_ids);
	hash_done(&c->indicator_ids);
	hash_done(&c->directive_ids);
	json_decref(c->json);
	free(c->path);
	free(c);
	return NULL;
}

/* ---- queries ---- */

const char *excise_catalog_id(const struct excise_catalog *c) { return c->id; }
const char *excise_catalog_version(const struct excise_catalog *c) { return c->version; }
enum excise_catalog_origin excise_catalog_origin(const struct excise_catalog *c) { return c->origin; }
const char *excise_catalog_path(const struct excise_catalog *c) { return c->path; }
const char *excise_catalog_key_id(const struct excise_catalog *c) { return c->key_id[0] ? c->key_id : NULL; }
const char *excise_catalog_sha256(const struct excise_catalog *c) { return c->sha256; }
size_t excise_catalog_n_vendors(const struct excise_catalog *c) { return c->n_vendors; }
size_t excise_catalog_n_products(const struct excise_catalog *c) { return c->n_products; }
size_t excise_catalog_n_indicators(const struct excise_catalog *c) { return c->n_indicators; }
size_t excise_catalog_n_directives(const struct excise_catalog *c) { return c->n_directives; }

const struct excise_vendor *excise_catalog_vendor(const struct excise_catalog *c, size_t i)
{
	return i < c->n_vendors ? &c->vendors[i] : NULL;
}
const struct excise_product *excise_catalog_product(const struct excise_catalog *c, size_t i)
{
	return i < c->n_products ? &c->products[i] : NULL;
}
const struct excise_indicator *excise_catalog_indicator(const struct excise_catalog *c, size_t i)
{
	return i < c->n_indicators ? &c->indicators[i] : NULL;
}
const struct excise_directive *excise_catalog_directive(const struct excise_catalog *c, size_t i)
{
	return i < c->n_directives ? &c->directives[i] : NULL;
}

const struct excise_vendor *excise_catalog_find_vendor(const struct excise_catalog *c, const char *id)
{
	const struct hash_slot *s = hash_get(&c->vendor_ids, id, strlen(id));
	return s ? &c->vendors[s->value] : NULL;
}

const struct excise_product *excise_catalog_find_product(const struct excise_catalog *c, const char *id)
{
	const struct hash_slot *s = hash_get(&c->product_ids, id, strlen(id));
	return s ? &c->products[s->value] : NULL;
}

const struct excise_product *catalog_unidentified(const struct excise_catalog *c, const char *vendor_id)
{
	for (size_t i = 0; i < c->n_vendors; i++)
		if (strcmp(c->vendors[i].id, vendor_id) == 0)
			return &c->products[c->n_own_products + i];
	return NULL;
}

static bool strv_has(const char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

bool excise_directive_covers(const struct excise_directive *d, const struct excise_product *p)
{
	if (!strv_has(d->vendors, p->vendor_id) || strv_has(d->excluded_products, p->id))
		return false;
	if (strcmp(d->scope, "branded_only") == 0)
		return p->branded;
	return true;
}

/* ---- lint ---- */

int catalog_add_problem(char ***v, size_t *n, const char *fmt, ...)
{
	char **q = realloc(*v, (*n + 2) * sizeof(char *));
	if (!q)
		return -ENOMEM;
	*v = q;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&q[*n], fmt, ap);
	va_end(ap);
	if (k < 0) {
		q[*n] = NULL;
		return -ENOMEM;
	}
	q[++*n] = NULL;
	return 0;
}

static bool is_glob_char(char ch)
{
	return ch == '*' || ch == '?' || ch == '[';
}

bool catalog_is_source(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0 ||
	       strncmp(s, "github-code-index", 17) == 0;
}

int excise_catalog_lint(const struct excise_catalog *c, char ***ret)
{
	char **v = calloc(1, sizeof(char *));
	size_t n = 0;
	int r = 0;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_indicators && r >= 0; i++) {
		const struct excise_indicator *in = &c->indicators[i];
		const char *val = in->value;
		size_t len = strlen(val);
		if (!catalog_is_source(in->source_url))
			r = catalog_add_problem(&v, &n, "indicator '%s': source '%s' is not a URL", in->id,
					in->source_url);
		if (r >= 0 && in->match == EXCISE_MATCH_EXACT && strpbrk(val, "*?[") &&
		    in->kind != EXCISE_OBS_REGISTRY)
			r = catalog_add_problem(&v, &n, "indicator '%s': exact value '%s' contains glob characters "
					"(did you mean \"match\": \"glob\"?)", in->id, val);
		if (r >= 0 && in->match == EXCISE_MATCH_GLOB && !strpbrk(val, "*?["))
			r = catalog_add_problem(&v, &n, "indicator '%s': glob '%s' has no wildcard (use exact)",
					in->id, val);
		if (r >= 0 && in->match == EXCISE_MATCH_GLOB && in->kind == EXCISE_OBS_FILE &&
		    is_glob_char(val[0]) && is_glob_char(val[len - 1]) && in->confidence != EXCISE_CONF_WEAK)
			r = catalog_add_problem(&v, &n, "indicator '%s': glob '%s' has neither a literal prefix nor "
					"suffix; the full walk must try it on every entry", in->id, val);
		if (r >= 0 && in->match == EXCISE_MATCH_REGEX && in->kind == EXCISE_OBS_FILE)
			r = catalog_add_problem(&v, &n, "indicator '%s': regex on file %s is tried on every entry "
					"of a full walk; use exact or glob", in->id,
					excise_field_name(in->field));
		if (r >= 0 && in->field == EXCISE_F_PATH && in->kind != EXCISE_OBS_REGISTRY &&
		    val[0] != '/' && !is_glob_char(val[0]))
			r = catalog_add_problem(&v, &n, "indicator '%s': path '%s' is not absolute", in->id, val);
	}
	for (size_t i = 0; i < c->n_directives && r >= 0; i++)
		if (c->directives[i].n_milestones == 0 &&
		    strcmp(c->directives[i].instrument, "statute") != 0)
			r = catalog_add_problem(&v, &n, "directive '%s': no milestones", c->directives[i].id);
	for (size_t i = 0; i < c->n_products && r >= 0; i++) {
		const struct excise_product *p = &c->products[i];
		if (p->source_url && !catalog_is_source(p->source_url))
			r = catalog_add_problem(&v, &n, "product '%s': source '%s' is not a URL", p->id,
					p->source_url);
		if (r >= 0)
			r = removal_lint(p, &v, &n);
	}
	if (r < 0) {
		excise_strv_free(v);
		return r;
	}
	*ret = v;
	return (int)n;
}

void excise_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

bool excise_indicator_applies(const struct excise_indicator *ind, const char *platform)
{
	if (!ind->platforms || !platform)
		return true;
	for (const char *const *p = ind->platforms; *p; p++)
		if (strcmp(*p, platform) == 0 || strcmp(*p, "any") == 0)
			return true;
	return false;
}
