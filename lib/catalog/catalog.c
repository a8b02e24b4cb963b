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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog_int.h"
#include "catalog/removal.h"
#include "core/buf.h"
#include "core/digest.h"
#include "core/doc.h"
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
	[EXCISE_OBS_SIGNER] = "signer", [_EXCISE_OBS_KIND_MAX] = NULL,
};
static const char *const field_names[] = {
	[EXCISE_F_NAME] = "name",         [EXCISE_F_PATH] = "path",
	[EXCISE_F_VERSION] = "version",   [EXCISE_F_PUBLISHER] = "publisher",
	[EXCISE_F_DESCRIPTION] = "description", [EXCISE_F_TARGET] = "target",
	[EXCISE_F_SUBJECT] = "subject",   [EXCISE_F_ISSUER] = "issuer", [_EXCISE_FIELD_MAX] = NULL,
};
static const char *const conf_names[] = { "none", "weak", "strong", "definitive", NULL };
static const char *const match_names[] = { "exact", "glob", "regex", NULL };

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

/* ---- parsing ---- */

/* The catalog being read, reached from every handler as d->userdata. */
static struct excise_catalog *cat(struct doc *d)
{
	return d->userdata;
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

/* "id": a non-empty string of at most EXCISE_MAX_CATALOG_ID_LEN bytes, [A-Za-z0-9][A-Za-z0-9._:-]*. */
static int id_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int r = doc_string(d, f, v, ret);
	if (r >= 0 && !valid_id(*(const char **)ret))
		r = doc_fail(d, "expected an id of the form [A-Za-z0-9][A-Za-z0-9._:-]*");
	return r;
}

static int date_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int r = doc_string(d, f, v, ret);
	if (r >= 0 && !valid_date(*(const char **)ret))
		r = doc_fail(d, "expected a date YYYY-MM-DD");
	return r;
}

/* A string array that is checked and not kept. */
static int checked_strv(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)ret;
	const char **a = NULL;
	int r = doc_strv(d, f, v, (void *)&a);
	free(a);
	return r;
}

int catalog_empty_if_absent(struct doc *d, const char *const **v)
{
	if (!*v && !(*v = calloc(1, sizeof(**v))))
		return doc_failc(d, -ENOMEM, "out of memory");
	return 0;
}

static int unique(struct doc *d, struct hash *h, const char *id, size_t index)
{
	struct hash_slot *s = hash_put(h, id, strlen(id));
	if (!s)
		return doc_failc(d, -ENOMEM, "out of memory");
	if (s->value >= 0)
		return doc_fail(d, "duplicate id '%s'", id);
	s->value = (int)index;
	return 0;
}

#define ID_FIELD(type)                                                                \
	{ "id", DOC_STRING, id_field, offsetof(type, id), DOC_REQUIRED | DOC_NONEMPTY, \
	  .max = EXCISE_MAX_CATALOG_ID_LEN }
#define STR(type, key, member, flags) { key, DOC_STRING, doc_string, offsetof(type, member), flags }
#define REQ (DOC_REQUIRED | DOC_NONEMPTY)

static int vendor_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	struct excise_vendor *v = base;
	int r;
	if ((r = catalog_empty_if_absent(d, &v->aliases)) < 0 ||
	    (r = catalog_empty_if_absent(d, &v->subsidiaries)) < 0)
		return r;
	return unique(d, &cat(d)->vendor_ids, v->id, (size_t)(v - cat(d)->vendors));
}

static const struct doc_field vendor_fields[] = {
	ID_FIELD(struct excise_vendor),
	STR(struct excise_vendor, "name", name, REQ),
	STR(struct excise_vendor, "country", country, DOC_NULLABLE),
	{ "aliases", DOC_ARRAY, doc_strv, offsetof(struct excise_vendor, aliases), DOC_NONEMPTY },
	{ "subsidiaries", DOC_ARRAY, doc_strv, offsetof(struct excise_vendor, subsidiaries), DOC_NONEMPTY },
	{ "sources", DOC_ARRAY, checked_strv, 0, DOC_NONEMPTY },
	{ 0 },
};
static const struct doc_table vendor_table = { vendor_fields, DOC_UNKNOWN_REFUSE, "id", vendor_check };

static const char *const families[] = { "endpoint", "server", "consumer", "management",
					"gateway", "embedded", "mobile", "tool", "sdk", "unknown",
					NULL };
static const char *const platforms[] = { "linux", "windows", "macos", "android", "ios", "any",
					 NULL };

static int product_check(struct doc *d, json_t *obj, void *base)
{
	struct excise_product *pr = base;
	if (!json_object_get(obj, "branded"))
		pr->branded = true;
	if (!excise_catalog_find_vendor(cat(d), pr->vendor_id))
		return doc_fail(d, "vendor '%s' is not in the catalog", pr->vendor_id);
	if (strchr(pr->id, ':'))
		return doc_fail(d, "product ids may not contain ':' (reserved for '<vendor>:unidentified')");
	return unique(d, &cat(d)->product_ids, pr->id, (size_t)(pr - cat(d)->products));
}

/* The members of a product. One entry more reads one member more. */
static const struct doc_field product_fields[] = {
	ID_FIELD(struct excise_product),
	STR(struct excise_product, "vendor", vendor_id, REQ),
	STR(struct excise_product, "name", name, REQ),
	{ "family", DOC_STRING, doc_string_enum, offsetof(struct excise_product, family), DOC_REQUIRED,
	  .values = families },
	{ "platforms", DOC_ARRAY, doc_strv, offsetof(struct excise_product, platforms), DOC_REQUIRED | DOC_NONEMPTY,
	  .min = 1, .values = platforms },
	{ "branded", DOC_BOOLEAN, doc_bool, offsetof(struct excise_product, branded), 0 },
	STR(struct excise_product, "source", source_url, REQ),
	/* after "platforms": a recipe is only for a platform the product lists */
	{ "removal", DOC_OBJECT, doc_object, 0, 0, .table = &removal_table },
	{ "places", DOC_OBJECT, doc_object, 0, 0, .table = &places_table },
	{ 0 },
};
static const struct doc_table product_table = { product_fields, DOC_UNKNOWN_REFUSE, "id", product_check };

/* The products, then the implicit "<vendor>:unidentified" ones for vendor-wide evidence. */
static int products_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	struct excise_catalog *c = cat(d);
	/* Read on after a product with problems (lint): the implicit products are still
	 * made, so that indicators naming them are not wrongly refused too. */
	int r0 = doc_objects(d, f, v, ret), r;
	if (r0 < 0 && !(d->collect && r0 == d->code))
		return r0;
	size_t np = c->n_own_products, nv = c->n_vendors;
	struct excise_product *all = realloc(c->products, (np + nv) * sizeof(*all));
	c->unidentified_names = calloc(nv, sizeof(char *));
	if (all)
		c->products = all;
	if (!all || !c->unidentified_names)
		return doc_failc(d, -ENOMEM, "out of memory");
	c->n_products = np;
	static const char *const any_platform[] = { "any", NULL };
	for (size_t i = 0; i < nv; i++) {
		const struct excise_vendor *ve = &c->vendors[i];
		const struct hash_slot *hs = ve->id ? hash_get(&c->vendor_ids, ve->id, strlen(ve->id)) : NULL;
		if (!ve->name || !hs || hs->value != (int)i) /* a vendor with problems (lint) */
			continue;
		struct buf b;
		buf_init(&b, 0);
		buf_addf(&b, "%s:unidentified", ve->id);
		buf_addc(&b, 0);
		buf_addf(&b, "%s product (unidentified)", ve->name);
		if ((r = buf_take(&b, &c->unidentified_names[i])) < 0)
			return doc_failc(d, r, "out of memory");
		const char *id = c->unidentified_names[i];
		c->products[c->n_products] = (struct excise_product){
			.id = id, .vendor_id = ve->id, .name = id + strlen(id) + 1, .family = "unknown",
			.platforms = any_platform, .branded = true, .source_url = NULL,
		};
		if ((r = unique(d, &c->product_ids, id, c->n_products)) < 0)
			return r;
		c->n_products++;
	}
	return r0;
}

_Static_assert(sizeof(enum excise_obs_kind) == sizeof(int) && sizeof(enum excise_field) == sizeof(int) &&
	      sizeof(enum excise_match_type) == sizeof(int) && sizeof(enum excise_confidence) == sizeof(int),
	      "doc_enum stores an int");

/* What a POSIX ERE costs glibc's regcomp, which copies a repeated unit out: x{m,n} is
 * max(m, n) copies of x, x+ two, and a repetition of a repetition multiplies (a+++ is
 * 8 copies of a; ((a{9}){9}){9} 729). An estimate that only errs upwards: every atom
 * counts 1, a bracket expression or an escape one atom. SIZE_MAX past `max`. */
static size_t regex_cost(const char *re, size_t max)
{
	size_t stack[64], depth = 0, total = 0, last = 0; /* last: the unit a repetition applies to */
	for (const char *p = re; *p; p++) {
		size_t unit = 0;
		switch (*p) {
		case '(':
			if (depth == sizeof(stack) / sizeof(stack[0]))
				return SIZE_MAX;
			stack[depth++] = total;
			total = 0;
			last = 0;
			continue;
		case ')':
			unit = total;
			total = depth ? stack[--depth] : 0;
			break;
		case '*':
		case '?':
			continue;
		case '+':
		case '{': {
			size_t times = 2;
			if (*p == '{') {
				char *end;
				unsigned long m = strtoul(p + 1, &end, 10), n = m;
				if (*end == ',')
					n = end[1] == '}' ? m + 1 : strtoul(end + 1, NULL, 10);
				unsigned long big = m > n ? m : n;
				times = big >= max ? max + 1 : (size_t)big + 1; /* never 0, never wrapped */
				const char *close = strchr(p, '}');
				if (!close)
					break; /* no interval: regcomp says what it is */
				p = close;
			}
			/* the last unit again (times - 1) more */
			if (last && (times > max || last > max / times))
				return SIZE_MAX;
			total += last * (times - 1);
			last *= times;
			if (total > max)
				return SIZE_MAX;
			continue;
		}
		case '[': {
			const char *q = p + 1;
			if (*q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']')
				q += q[0] == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=') && strchr(q + 2, ']') ?
					     (size_t)(strchr(q + 2, ']') - q) + 1 : 1;
			p = *q ? q : q - 1;
			unit = 1;
			break;
		}
		case '\\':
			if (p[1])
				p++;
			unit = 1;
			break;
		default:
			unit = 1;
		}
		total += unit;
		last = unit;
		if (total > max)
			return SIZE_MAX;
	}
	while (depth) /* unbalanced: regcomp says so */
		total += stack[--depth];
	return total;
}

static int indicator_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	struct excise_catalog *c = cat(d);
	struct excise_indicator *in = base;
	if (!!in->product_id == !!in->vendor_id)
		return doc_fail(d, "exactly one of 'product' and 'vendor' must be given");
	if (in->product_id) {
		const struct excise_product *pr = excise_catalog_find_product(c, in->product_id);
		if (!pr)
			return doc_fail(d, "product '%s' is not in the catalog", in->product_id);
		in->vendor_id = pr->vendor_id;
	} else if (!excise_catalog_find_vendor(c, in->vendor_id)) {
		return doc_fail(d, "vendor '%s' is not in the catalog", in->vendor_id);
	}
	if (in->match == EXCISE_MATCH_REGEX) {
		if (regex_cost(in->value, EXCISE_MAX_REGEX_COST) > EXCISE_MAX_REGEX_COST)
			return doc_fail(d, "regex '%s' is too costly to compile: its repetitions copy out to over %u "
					"nodes (EXCISE_MAX_REGEX_COST)", in->value, EXCISE_MAX_REGEX_COST);
		regex_t re;
		int rc = regcomp(&re, in->value, REG_EXTENDED | REG_NOSUB | (in->nocase ? REG_ICASE : 0));
		if (rc != 0) {
			char msg[128];
			regerror(rc, &re, msg, sizeof(msg));
			return doc_fail(d, "regex '%s' does not compile: %s", in->value, msg);
		}
		regfree(&re);
	}
	return unique(d, &c->indicator_ids, in->id, (size_t)(in - c->indicators));
}

static const struct doc_field indicator_fields[] = {
	ID_FIELD(struct excise_indicator),
	STR(struct excise_indicator, "product", product_id, DOC_NULLABLE),
	STR(struct excise_indicator, "vendor", vendor_id, DOC_NULLABLE),
	{ "kind", DOC_STRING, doc_enum, offsetof(struct excise_indicator, kind), DOC_REQUIRED, .values = kind_names },
	{ "field", DOC_STRING, doc_enum, offsetof(struct excise_indicator, field), DOC_REQUIRED, .values = field_names },
	{ "match", DOC_STRING, doc_enum, offsetof(struct excise_indicator, match), DOC_NULLABLE, .values = match_names },
	{ "nocase", DOC_BOOLEAN, doc_bool, offsetof(struct excise_indicator, nocase), 0 },
	{ "value", DOC_STRING, doc_string, offsetof(struct excise_indicator, value), REQ,
	  .max = EXCISE_MAX_PATTERN_LEN },
	{ "confidence", DOC_STRING, doc_enum, offsetof(struct excise_indicator, confidence), DOC_REQUIRED,
	  .min = EXCISE_CONF_WEAK, .values = conf_names },
	STR(struct excise_indicator, "source", source_url, REQ),
	STR(struct excise_indicator, "note", note, DOC_NULLABLE),
	/* absent: every platform */
	{ "platforms", DOC_ARRAY, doc_strv, offsetof(struct excise_indicator, platforms), DOC_NONEMPTY,
	  .min = 1, .values = platforms },
	{ 0 },
};
static const struct doc_table indicator_table = { indicator_fields, DOC_UNKNOWN_REFUSE, "id", indicator_check };

static const char *const instruments[] = { "binding_operational_directive", "statute",
					   "regulation_clause", "agency_determination",
					   "omb_memorandum", "maintained_list", NULL };
static const char *const scopes[] = { "branded_only", "in_whole_or_in_part",
				      "integrated_or_white_label", NULL };
static const char *const anchors[] = { "issued_date", "effective_date", "discovery_event",
				       "previous_milestone", "absolute", NULL };
static const char *const units[] = { "calendar_days", "business_days", NULL };

static int milestone_check(struct doc *d, json_t *obj, void *base)
{
	const struct excise_milestone *m = base;
	if (strcmp(m->anchor, "absolute") == 0 ? !m->date : (!json_object_get(obj, "offset") || !m->unit))
		return doc_fail(d, "give 'date' for an absolute anchor, else 'offset' and 'unit'");
	return 0;
}

static const struct doc_field milestone_fields[] = {
	ID_FIELD(struct excise_milestone),
	STR(struct excise_milestone, "name", name, REQ),
	{ "anchor", DOC_STRING, doc_string_enum, offsetof(struct excise_milestone, anchor), DOC_REQUIRED,
	  .values = anchors },
	{ "offset", DOC_INTEGER, doc_int, offsetof(struct excise_milestone, offset), 0, .min = 0, .max = 100000 },
	{ "unit", DOC_STRING, doc_string_enum, offsetof(struct excise_milestone, unit), DOC_NULLABLE, .values = units },
	{ "date", DOC_STRING, date_field, offsetof(struct excise_milestone, date), DOC_NULLABLE },
	STR(struct excise_milestone, "action", action, REQ),
	{ 0 },
};
static const struct doc_table milestone_table = { milestone_fields, DOC_UNKNOWN_REFUSE, "id", milestone_check };

/* ---- calendars: the holidays business days skip ---- */

static const char *const weekdays[] = { "sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
					"saturday", NULL };
static const char *const nths[] = { "first", "second", "third", "fourth", "last", NULL };

static int holiday_check(struct doc *d, json_t *obj, void *base)
{
	const struct excise_holiday *h = base;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool fixed = json_object_get(obj, "day") != NULL;
	if (fixed == (json_object_get(obj, "weekday") != NULL) || fixed == (json_object_get(obj, "nth") != NULL))
		return doc_fail(d, "give 'day' for a fixed date, else 'weekday' and 'nth'");
	if (fixed && h->day > mdays[h->month - 1])
		return doc_fail(d, "month %d has no day %d", h->month, h->day);
	if (h->from && h->until && h->until < h->from)
		return doc_fail(d, "'until' %d is before 'from' %d", h->until, h->from);
	return 0;
}

static const struct doc_field holiday_fields[] = {
	STR(struct excise_holiday, "name", name, REQ),
	{ "month", DOC_INTEGER, doc_int, offsetof(struct excise_holiday, month), DOC_REQUIRED, .min = 1, .max = 12 },
	{ "day", DOC_INTEGER, doc_int, offsetof(struct excise_holiday, day), 0, .min = 1, .max = 31 },
	{ "weekday", DOC_STRING, doc_enum, offsetof(struct excise_holiday, weekday), 0, .values = weekdays },
	{ "nth", DOC_STRING, doc_enum, offsetof(struct excise_holiday, nth), 0, .values = nths },
	{ "from", DOC_INTEGER, doc_int, offsetof(struct excise_holiday, from), 0, .min = 1900, .max = 9999 },
	{ "until", DOC_INTEGER, doc_int, offsetof(struct excise_holiday, until), 0, .min = 1900, .max = 9999 },
	STR(struct excise_holiday, "source", source_url, DOC_NULLABLE),
	{ 0 },
};
static const struct doc_table holiday_table = { holiday_fields, DOC_UNKNOWN_REFUSE, "name", holiday_check };

static const struct doc_field closure_fields[] = {
	{ "date", DOC_STRING, date_field, offsetof(struct excise_closure, date), DOC_REQUIRED },
	STR(struct excise_closure, "name", name, REQ),
	STR(struct excise_closure, "source", source_url, REQ),
	{ 0 },
};
static const struct doc_table closure_table = { closure_fields, DOC_UNKNOWN_REFUSE, "date", NULL };

static const char *const observances[] = { "as_listed", "in_lieu", NULL };

static int calendar_check(struct doc *d, json_t *obj, void *base)
{
	struct excise_catalog *c = cat(d);
	struct excise_calendar *cal = base;
	json_t *o = json_object_get(obj, "observed");
	cal->in_lieu = o && json_is_string(o) && !strcmp(json_string_value(o), "in_lieu");
	for (struct excise_calendar *p = c->calendars; p < cal; p++)
		if (p->id && !strcmp(p->id, cal->id))
			return doc_fail(d, "duplicate id '%s'", cal->id);
	return 0;
}

static const struct doc_field calendar_fields[] = {
	ID_FIELD(struct excise_calendar),
	STR(struct excise_calendar, "name", name, REQ),
	/* as_listed: each day as it falls; in_lieu: Saturday's the Friday before, Sunday's the Monday after */
	{ "observed", DOC_STRING, NULL, 0, DOC_REQUIRED, .values = observances },
	{ "holidays", DOC_ARRAY, doc_objects, offsetof(struct excise_calendar, holidays), DOC_REQUIRED,
	  .table = &holiday_table, .size = sizeof(struct excise_holiday),
	  .count = offsetof(struct excise_calendar, n_holidays) },
	{ "closures", DOC_ARRAY, doc_objects, offsetof(struct excise_calendar, closures), 0,
	  .table = &closure_table, .size = sizeof(struct excise_closure),
	  .count = offsetof(struct excise_calendar, n_closures) },
	STR(struct excise_calendar, "source", source_url, REQ),
	{ 0 },
};
static const struct doc_table calendar_table = { calendar_fields, DOC_UNKNOWN_REFUSE, "id", calendar_check };

const struct excise_calendar *excise_catalog_find_calendar(const struct excise_catalog *c, const char *id)
{
	for (size_t i = 0; id && i < c->n_calendars; i++)
		if (c->calendars[i].id && !strcmp(c->calendars[i].id, id)) /* lint reads on past a failed one */
			return &c->calendars[i];
	return NULL;
}

/* "calendar": the id of one of the catalog's calendars (read before the directives). */
static int calendar_ref(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	const char *id = NULL;
	int r = doc_string(d, f, v, &id);
	if (r < 0)
		return r;
	const struct excise_calendar *cal = excise_catalog_find_calendar(cat(d), id);
	if (!cal)
		return doc_fail(d, "calendar '%s' is not in the catalog", id);
	*(const struct excise_calendar **)ret = cal;
	return 0;
}

static int directive_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	struct excise_catalog *c = cat(d);
	struct excise_directive *di = base;
	int r = catalog_empty_if_absent(d, &di->excluded_products);
	if (r < 0)
		return r;
	for (size_t i = 0; di->vendors[i]; i++)
		if (!excise_catalog_find_vendor(c, di->vendors[i]))
			return doc_fail(d, "vendor '%s' is not in the catalog", di->vendors[i]);
	for (size_t i = 0; di->excluded_products[i]; i++)
		if (!excise_catalog_find_product(c, di->excluded_products[i]))
			return doc_fail(d, "excluded product '%s' is not in the catalog", di->excluded_products[i]);
	return unique(d, &c->directive_ids, di->id, (size_t)(di - c->directives));
}

static const struct doc_field directive_fields[] = {
	ID_FIELD(struct excise_directive),
	STR(struct excise_directive, "short_name", short_name, REQ),
	STR(struct excise_directive, "title", title, REQ),
	{ "instrument", DOC_STRING, doc_string_enum, offsetof(struct excise_directive, instrument), DOC_REQUIRED,
	  .values = instruments },
	STR(struct excise_directive, "issuer", issuer, REQ),
	{ "issued", DOC_STRING, date_field, offsetof(struct excise_directive, issued), DOC_REQUIRED },
	{ "effective", DOC_STRING, date_field, offsetof(struct excise_directive, effective), DOC_NULLABLE },
	{ "vendors", DOC_ARRAY, doc_strv, offsetof(struct excise_directive, vendors), DOC_REQUIRED | DOC_NONEMPTY,
	  .min = 1 },
	{ "scope", DOC_STRING, doc_string_enum, offsetof(struct excise_directive, scope), DOC_REQUIRED,
	  .values = scopes },
	{ "excluded_products", DOC_ARRAY, doc_strv, offsetof(struct excise_directive, excluded_products),
	  DOC_NONEMPTY },
	STR(struct excise_directive, "exclusions", exclusions_text, DOC_NULLABLE),
	{ "milestones", DOC_ARRAY, doc_objects, offsetof(struct excise_directive, milestones), 0,
	  .table = &milestone_table, .size = sizeof(struct excise_milestone),
	  .count = offsetof(struct excise_directive, n_milestones) },
	STR(struct excise_directive, "source", source_url, REQ),
	{ "calendar", DOC_STRING, calendar_ref, offsetof(struct excise_directive, calendar), 0 },
	{ 0 },
};
static const struct doc_table directive_table = { directive_fields, DOC_UNKNOWN_REFUSE, "id", directive_check };

static const char *const catalog_schema[] = { "excise.catalog/1", NULL };

/* In this order: products name vendors, indicators name products (and "<vendor>:unidentified"). */
static const struct doc_field catalog_fields[] = {
	{ "schema", DOC_STRING, NULL, 0, DOC_REQUIRED, .values = catalog_schema },
	ID_FIELD(struct excise_catalog),
	STR(struct excise_catalog, "version", version, REQ),
	{ "serial", DOC_INTEGER, doc_uint64, offsetof(struct excise_catalog, serial), DOC_REQUIRED },
	{ "issued", DOC_STRING, date_field, offsetof(struct excise_catalog, issued), DOC_REQUIRED },
	{ "vendors", DOC_ARRAY, doc_objects, offsetof(struct excise_catalog, vendors), DOC_REQUIRED, .min = 1,
	  .table = &vendor_table, .size = sizeof(struct excise_vendor),
	  .count = offsetof(struct excise_catalog, n_vendors) },
	{ "products", DOC_ARRAY, products_field, offsetof(struct excise_catalog, products), DOC_REQUIRED, .min = 1,
	  .table = &product_table, .size = sizeof(struct excise_product),
	  .count = offsetof(struct excise_catalog, n_own_products) },
	{ "indicators", DOC_ARRAY, doc_objects, offsetof(struct excise_catalog, indicators), DOC_REQUIRED, .min = 1,
	  .table = &indicator_table, .size = sizeof(struct excise_indicator),
	  .count = offsetof(struct excise_catalog, n_indicators) },
	/* before the directives, which name them */
	{ "calendars", DOC_ARRAY, doc_objects, offsetof(struct excise_catalog, calendars), 0,
	  .table = &calendar_table, .size = sizeof(struct excise_calendar),
	  .count = offsetof(struct excise_catalog, n_calendars) },
	{ "directives", DOC_ARRAY, doc_objects, offsetof(struct excise_catalog, directives), DOC_REQUIRED,
	  .table = &directive_table, .size = sizeof(struct excise_directive),
	  .count = offsetof(struct excise_catalog, n_directives) },
	{ 0 },
};
static const struct doc_table catalog_table = { catalog_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

static int parse(const char *name, const void *data, size_t len, struct excise_catalog **ret,
		 char ***ret_problems, struct excise_err *reterr)
{
	struct doc d;
	doc_init(&d, "catalog", name ? name : "<catalog>", reterr);
	d.code = -EXCISE_E_CATALOG;
	d.collect = ret_problems && reterr;
	struct excise_catalog *c = calloc(1, sizeof(*c));
	if (!c)
		return doc_failc(&d, -ENOMEM, "out of memory");
	d.userdata = c;
	hash_init(&c->vendor_ids);
	hash_init(&c->product_ids);
	hash_init(&c->indicator_ids);
	hash_init(&c->directive_ids);
	int r = doc_load(&d, data, len, EXCISE_MAX_CATALOG_SIZE, &c->json);
	if (r >= 0) {
		static const char *const arrays[] = { "vendors", "products", "indicators", "directives", "calendars" };
		size_t n = 0;
		for (size_t i = 0; i < ARRAY_SIZE(arrays); i++)
			n += json_array_size(json_object_get(c->json, arrays[i]));
		if (n > EXCISE_MAX_CATALOG_ENTRIES)
			r = doc_fail(&d, "%zu entries; at most %u are allowed", n, EXCISE_MAX_CATALOG_ENTRIES);
	}
	if (r >= 0)
		r = doc_dispatch(&d, c->json, &catalog_table, c);
	if (r >= 0 && (r = sha256_hex(data, len, c->sha256)) < 0)
		err_set(reterr, r, "catalog '%s': cannot hash", d.name);
	if (ret_problems)
		*ret_problems = d.problems;
	else
		excise_strv_free(d.problems);
	if (r < 0) {
		excise_catalog_free(c);
		return r;
	}
	c->origin = EXCISE_CATALOG_EMBEDDED;
	*ret = c;
	return 0;
}

int excise_catalog_parse(const char *name, const void *data, size_t len, struct excise_catalog **ret,
			 struct excise_err *reterr)
{
	return parse(name, data, len, ret, NULL, reterr);
}

int excise_catalog_parse_lint(const char *name, const void *data, size_t len, struct excise_catalog **ret,
			      char ***ret_problems, struct excise_err *reterr)
{
	*ret_problems = NULL;
	return parse(name, data, len, ret, ret_problems, reterr);
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

static int load_file(const char *path, const char *sig_path, const char *const *trusted_keys, size_t n_keys,
		     bool verify, struct excise_catalog **ret, char ***ret_problems, struct excise_err *reterr)
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
	r = parse(path, data, len, &c, ret_problems, reterr);
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

int excise_catalog_load_file(const char *path, const char *sig_path, const char *const *trusted_keys,
			     size_t n_keys, bool verify, struct excise_catalog **ret,
			     struct excise_err *reterr)
{
	return load_file(path, sig_path, trusted_keys, n_keys, verify, ret, NULL, reterr);
}

int excise_catalog_lint_file(const char *path, struct excise_catalog **ret, char ***ret_problems,
			     struct excise_err *reterr)
{
	*ret_problems = NULL;
	return load_file(path, NULL, NULL, 0, false, ret, ret_problems, reterr);
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
	for (size_t i = 0; c->calendars && i < c->n_calendars; i++) {
		free((void *)c->calendars[i].holidays);
		free((void *)c->calendars[i].closures);
	}
	free(c->calendars);
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
	for (size_t i = 0; i < c->n_directives && r >= 0; i++) {
		const struct excise_directive *di = &c->directives[i];
		if (di->n_milestones == 0 && strcmp(di->instrument, "statute") != 0)
			r = catalog_add_problem(&v, &n, "directive '%s': no milestones", di->id);
		for (size_t k = 0; k < di->n_milestones && r >= 0 && !di->calendar; k++)
			if (di->milestones[k].unit && !strcmp(di->milestones[k].unit, "business_days")) {
				r = catalog_add_problem(&v, &n, "directive '%s': milestone '%s' counts business days "
						"and the directive names no calendar (holidays would count as "
						"business days)", di->id, di->milestones[k].id);
				break;
			}
	}
	for (size_t i = 0; i < c->n_calendars && r >= 0; i++) {
		const struct excise_calendar *cal = &c->calendars[i];
		if (!catalog_is_source(cal->source_url))
			r = catalog_add_problem(&v, &n, "calendar '%s': source '%s' is not a URL", cal->id,
					cal->source_url);
		for (size_t k = 0; k < cal->n_holidays && r >= 0; k++)
			if (cal->holidays[k].source_url && !catalog_is_source(cal->holidays[k].source_url))
				r = catalog_add_problem(&v, &n, "calendar '%s': holiday '%s': source '%s' is not a URL",
						cal->id, cal->holidays[k].name, cal->holidays[k].source_url);
		for (size_t k = 0; k < cal->n_closures && r >= 0; k++)
			if (!catalog_is_source(cal->closures[k].source_url))
				r = catalog_add_problem(&v, &n, "calendar '%s': closure %s: source '%s' is not a URL",
						cal->id, cal->closures[k].date, cal->closures[k].source_url);
	}
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
