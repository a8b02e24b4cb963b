/* SPDX-License-Identifier: Apache-2.0 */
/*
 * freport: the reports the directives ask for, from a list of hosts (fleet.c) and
 * the findings of their latest reports: BOD 17-01's day-30 inventory, day-60 plan of
 * action (items a-n), status after day 90, FAR 52.204-23's report, and the hosts and
 * findings as tables. docs/fleet.md says what each holds and where each fact comes
 * from (measured from the database, the directive, or the operator's config file).
 *
 * Every figure is counted over the rows it is shown with. Every string from the
 * database (a host's name, a product's version: whatever a host reported) goes out
 * escaped for its format: text_escape for text, entities for HTML, csv_cell for CSV,
 * JSON escapes for JSON.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/root.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/text.h"
#include "fleet/freport.h"
#include "fleet/track.h"

/* ---- the config file ---- */

struct excise_freport_config {
	json_t *root;                 /* owns the strings below */
	const char *agency, *contact_name, *contact_phone, *contact_email;
	const char *mission, *contracts, *controls, *replacements, *replacement_timeline, *challenges, *costs;
	const char *methodology, *removal_timeline;
	const char *contract_number, *supplier, *mitigation;
	const char **order_numbers;
	int64_t stale_days;
	int64_t *closed;              /* closed_days, 00:00 UTC each */
	size_t n_closed;
};

/* "closed_days": the days the organisation is closed besides the directive's calendar
 * (Inauguration Day in the Washington, DC area, a site's own closures): business days skip them. */
static int closed_days(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	struct excise_freport_config *c = (struct excise_freport_config *)((char *)ret - f->offset);
	size_t n = json_array_size(v);
	if (!(c->closed = calloc(n ? n : 1, sizeof(*c->closed))))
		return doc_failc(d, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(v, i));
		if (!s || track_date_parse(s, &c->closed[i]) < 0)
			return doc_fail(d, "item %zu: expected a date YYYY-MM-DD", i);
	}
	c->n_closed = n;
	return 0;
}

#define TXT(key, member)                                                                                  \
	{ key, DOC_STRING, doc_string, offsetof(struct excise_freport_config, member), 0, 0,              \
	  EXCISE_MAX_FREPORT_CONFIG_TEXT }

static const struct doc_field contact_fields[] = {
	TXT("name", contact_name),
	TXT("phone", contact_phone),
	TXT("email", contact_email),
	{ 0 },
};
static const struct doc_table contact_table = { contact_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

static const struct doc_field far_fields[] = {
	TXT("contract_number", contract_number),
	{ "order_numbers", DOC_ARRAY, doc_strv, offsetof(struct excise_freport_config, order_numbers), 0, 0, 1000 },
	TXT("supplier", supplier),
	TXT("mitigation", mitigation),
	{ 0 },
};
static const struct doc_table far_table = { far_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

static const struct doc_field config_fields[] = {
	{ "schema", DOC_STRING, NULL, 0, 0, .values = (const char *const[]){ "excise.report-config/1", NULL } },
	TXT("agency", agency),
	{ "contact", DOC_OBJECT, doc_object, 0, 0, .table = &contact_table },
	TXT("mission_functions", mission),
	TXT("contracts", contracts),
	TXT("controls_affected", controls),
	TXT("replacements", replacements),
	TXT("replacement_timeline", replacement_timeline),
	TXT("challenges", challenges),
	TXT("costs", costs),
	TXT("methodology", methodology),
	TXT("removal_timeline", removal_timeline),
	{ "stale_days", DOC_INTEGER, doc_int64, offsetof(struct excise_freport_config, stale_days), 0, 1, 3650 },
	{ "far", DOC_OBJECT, doc_object, 0, 0, .table = &far_table },
	{ "closed_days", DOC_ARRAY, closed_days, offsetof(struct excise_freport_config, closed), 0, 0,
	  EXCISE_MAX_FREPORT_CLOSED_DAYS },
	{ 0 },
};
static const struct doc_table config_table = { config_fields, DOC_UNKNOWN_REFUSE, NULL, NULL };

void excise_freport_config_free(struct excise_freport_config *c)
{
	if (!c)
		return;
	free(c->order_numbers);
	free(c->closed);
	json_decref(c->root);
	free(c);
}

int excise_freport_config_read(const char *path, struct excise_freport_config **ret, struct excise_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int r = read_host_file("report config", path, EXCISE_MAX_FREPORT_CONFIG_SIZE, &text, &len, err);
	if (r < 0)
		return r;
	struct doc d;
	doc_init(&d, "report config", path, err);
	struct excise_freport_config *c = calloc(1, sizeof(*c));
	if (!c)
		r = -ENOMEM;
	if (!r)
		r = doc_load(&d, text, len, EXCISE_MAX_FREPORT_CONFIG_SIZE, &c->root);
	free(text);
	if (!r) {
		/* the nested objects fill the same struct */
		r = doc_dispatch(&d, c->root, &config_table, c);
	}
	if (r < 0) {
		if (r == -ENOMEM && err && !err->msg[0])
			err_setc(err, r, "report config '%s'", path);
		excise_freport_config_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int64_t excise_freport_config_stale(const struct excise_freport_config *c)
{
	return c && c->stale_days ? c->stale_days * 86400 : 0;
}

const int64_t *excise_freport_config_closed(const struct excise_freport_config *c, size_t *n)
{
	*n = c ? c->n_closed : 0;
	return c ? c->closed : NULL;
}

/* ---- the report, as sections any format renders ---- */

struct rtable {
	size_t ncol;
	char **cells;                 /* row-major; the first row is the header */
	size_t n, cap;
};

struct rsec {
	char *heading;
	const char *source;           /* "measured", "directive", "config", or NULL */
	char **paras;
	size_t n_paras;
	struct rtable t;
};

struct rdoc {
	char *title;
	char **meta;                  /* lines under the title */
	size_t n_meta;
	struct rsec *secs;
	size_t n_secs;
	json_t *data;                 /* the figures, for JSON */
	int err;
};

static char *vfmt(struct rdoc *d, const char *fmt, va_list ap) PRINTF(2, 0);
static char *vfmt(struct rdoc *d, const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0) {
		d->err = -ENOMEM;
		return NULL;
	}
	return s;
}

static void push_str(struct rdoc *d, char ***v, size_t *n, char *s)
{
	if (!s) {
		d->err = -ENOMEM;
		return;
	}
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv) {
		free(s);
		d->err = -ENOMEM;
		return;
	}
	*v = nv;
	nv[(*n)++] = s;
}

static void meta(struct rdoc *d, const char *fmt, ...) PRINTF(2, 3);
static void meta(struct rdoc *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vfmt(d, fmt, ap);
	va_end(ap);
	if (s)
		push_str(d, &d->meta, &d->n_meta, s);
}

static struct rsec *section(struct rdoc *d, const char *source, const char *fmt, ...) PRINTF(3, 4);
static struct rsec *section(struct rdoc *d, const char *source, const char *fmt, ...)
{
	static struct rsec sink;
	struct rsec *ns = realloc(d->secs, (d->n_secs + 1) * sizeof(*ns));
	if (!ns) {
		d->err = -ENOMEM;
		return &sink;
	}
	d->secs = ns;
	struct rsec *s = &ns[d->n_secs++];
	*s = (struct rsec){ .source = source };
	va_list ap;
	va_start(ap, fmt);
	s->heading = vfmt(d, fmt, ap);
	va_end(ap);
	return s;
}

static void para(struct rdoc *d, struct rsec *s, const char *fmt, ...) PRINTF(3, 4);
static void para(struct rdoc *d, struct rsec *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = vfmt(d, fmt, ap);
	va_end(ap);
	if (p)
		push_str(d, &s->paras, &s->n_paras, p);
}

/* A row of s->t.ncol cells (the first call sets the header). */
static void row(struct rdoc *d, struct rsec *s, const char *const *cells)
{
	for (size_t i = 0; i < s->t.ncol; i++)
		push_str(d, &s->t.cells, &s->t.n, strdup(cells[i] ? cells[i] : ""));
}

static void rdoc_done(struct rdoc *d)
{
	free(d->title);
	for (size_t i = 0; i < d->n_meta; i++)
		free(d->meta[i]);
	free(d->meta);
	for (size_t i = 0; i < d->n_secs; i++) {
		struct rsec *s = &d->secs[i];
		free(s->heading);
		for (size_t j = 0; j < s->n_paras; j++)
			free(s->paras[j]);
		free(s->paras);
		for (size_t j = 0; j < s->t.n; j++)
			free(s->t.cells[j]);
		free(s->t.cells);
	}
	free(d->secs);
	json_decref(d->data);
}

/* ---- times ---- */

static void day_str(int64_t t, char out[16])
{
	if (!t) {
		strcpy(out, "-");
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm))
		strcpy(out, "?");
}

static void time_str(int64_t t, char out[32])
{
	if (!t) {
		out[0] = 0;
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		strcpy(out, "?");
}

/* ---- JSON helpers: strings sanitised to UTF-8; the dump escaped as JSON text ---- */

static json_t *jstr(struct rdoc *d, const char *s)
{
	if (!s)
		return json_null();
	struct buf b;
	buf_init(&b, 0);
	utf8_sanitize(&b, s, strlen(s));
	json_t *v = b.err ? NULL : json_string(b.p);
	buf_done(&b);
	if (!v)
		d->err = -ENOMEM;
	return v ? v : json_null();
}

static void jset(struct rdoc *d, json_t *o, const char *k, json_t *v)
{
	if (!o || !v || json_object_set_new(o, k, v) < 0)
		d->err = -ENOMEM;
}

static void jpush(struct rdoc *d, json_t *a, json_t *v)
{
	if (!a || !v || json_array_append_new(a, v) < 0)
		d->err = -ENOMEM;
}

static json_t *jtime(struct rdoc *d, int64_t t)
{
	char s[32];
	time_str(t, s);
	return t ? jstr(d, s) : json_null();
}

static json_t *jday(struct rdoc *d, int64_t t)
{
	char s[16];
	day_str(t, s);
	return t ? jstr(d, s) : json_null();
}

/* ---- what the rows say, per product ---- */

struct prod {
	const char *id;               /* borrowed from the totals */
	const char *name, *vendor;    /* the catalog's, or the id */
	size_t hosts;
	char *sources;                /* distinct sources of its findings, comma-separated */
	char *versions;               /* distinct versions */
	int64_t first_found;
};

/* `item` is one of the comma list `list`. */
static bool list_has(const char *list, const char *item)
{
	size_t len = strlen(item);
	for (const char *p = list ? list : ""; *p;) {
		size_t l = strcspn(p, ",");
		if (l == len && !memcmp(p, item, len))
			return true;
		p += l + (p[l] == ',');
	}
	return false;
}

/* Append `item` to the comma list in `b` unless there. */
static void add_distinct(struct buf *b, const char *item, size_t len)
{
	if (!len)
		return;
	for (const char *p = b->p; *p;) {
		size_t l = strcspn(p, ",");
		if (l == len && !memcmp(p, item, len))
			return;
		p += l + (p[l] == ',');
	}
	if (b->n)
		buf_addc(b, ',');
	buf_add(b, item, len);
}

static int products_of(const struct excise_fleet_list *l, const struct excise_fleet_findings *fs,
		       const struct excise_catalog *c, struct prod **ret, size_t *ret_n)
{
	const struct excise_fleet_totals *t = &l->totals;
	struct prod *v = calloc(t->n_products + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	int r = 0;
	for (size_t i = 0; i < t->n_products && !r; i++) {
		struct prod *p = &v[i];
		p->id = t->products[i].product;
		p->hosts = t->products[i].hosts;
		const struct excise_product *cp = c ? excise_catalog_find_product(c, p->id) : NULL;
		const struct excise_vendor *cv = cp ? excise_catalog_find_vendor(c, cp->vendor_id) : NULL;
		p->name = cp ? cp->name : p->id;
		p->vendor = cv ? cv->name : cp ? cp->vendor_id : NULL;
		struct buf src, ver;
		buf_init(&src, 0);
		buf_init(&ver, 0);
		for (size_t k = 0; fs && k < fs->n; k++) {
			const struct excise_fleet_finding *f = &fs->rows[k];
			if (!f->product_id || strcmp(f->product_id, p->id))
				continue;
			if (!p->vendor && f->product_name)
				p->name = f->product_name;
			for (const char *s = f->sources ? f->sources : ""; *s;) {
				size_t n = strcspn(s, ",");
				add_distinct(&src, s, n);
				s += n + (s[n] == ',');
			}
			if (f->version)
				add_distinct(&ver, f->version, strlen(f->version));
		}
		for (size_t k = 0; k < l->n; k++)
			if (list_has(l->rows[k].products, p->id)) {
				int64_t fi = l->rows[k].facts.first_identified;
				if (fi && (!p->first_found || fi < p->first_found))
					p->first_found = fi;
			}
		r = buf_take(&src, &p->sources);
		int r2 = buf_take(&ver, &p->versions);
		if (!r)
			r = r2;
		buf_done(&src);
		buf_done(&ver);
	}
	*ret = v;
	*ret_n = t->n_products;
	return r;
}

static void prods_free(struct prod *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].sources);
		free(v[i].versions);
	}
	free(v);
}

/* The product is on the host, as its facts say (fleet.c counts the same rows). */
static bool holds(const struct excise_fleet_host *h)
{
	return h->state != EXCISE_FLEET_RETIRED &&
	       (h->progress == EXCISE_FLEET_IDENTIFIED || h->progress == EXCISE_FLEET_PLAN_RECORDED ||
		h->progress == EXCISE_FLEET_REMOVAL_STARTED);
}

static bool undetermined(enum excise_fleet_state s)
{
	return s == EXCISE_FLEET_NEVER_REPORTED || s == EXCISE_FLEET_STALE || s == EXCISE_FLEET_ERROR;
}

/* ---- common parts ---- */

static void head(struct rdoc *d, const char *what, const struct excise_fleet_list *l, const char *org_unit)
{
	const struct excise_directive *dir = l->directive;
	d->title = NULL;
	if (asprintf(&d->title, "%s: %s", dir->short_name ? dir->short_name : dir->id, what) < 0) {
		d->title = NULL;
		d->err = -ENOMEM;
	}
	char now[16], start[16];
	day_str(l->now, now);
	day_str(l->start, start);
	meta(d, "Directive: %s (%s), %s", dir->title ? dir->title : dir->id, dir->id,
	     dir->source_url ? dir->source_url : "");
	meta(d, "Start: %s (%s)", start, l->start_set ? "set by the organisation" : "the directive's issue date");
	meta(d, "As of: %s", now);
	meta(d, "Scope: %s", org_unit && *org_unit ? org_unit : "every org unit");
	d->data = json_object();
	jset(d, d->data, "schema", json_string("excise.fleet-report/1"));
	jset(d, d->data, "kind", json_string(what));
	json_t *dj = json_object();
	jset(d, dj, "id", jstr(d, dir->id));
	jset(d, dj, "short_name", jstr(d, dir->short_name));
	jset(d, dj, "title", jstr(d, dir->title));
	jset(d, dj, "source", jstr(d, dir->source_url));
	jset(d, d->data, "directive", dj);
	jset(d, d->data, "start", jday(d, l->start));
	jset(d, d->data, "start_set_by_organisation", json_boolean(l->start_set));
	jset(d, d->data, "as_of", jtime(d, l->now));
	jset(d, d->data, "org_unit", org_unit ? jstr(d, org_unit) : json_null());
	json_t *ms = json_array();
	/* the directive's dates for the organisation: the first row's milestones carry them,
	 * but a list may be empty, so they are computed here for facts of nobody */
	struct excise_fleet_facts none = { 0 };
	struct excise_fleet_milestone m[EXCISE_FLEET_MAX_MILESTONES];
	size_t n = 0;
	track_milestones(dir, l->start, &none, EXCISE_FLEET_NEVER_REPORTED, EXCISE_FLEET_NEVER_REPORTED, NULL, NULL, 0,
			 l->now, NULL, m, &n);
	for (size_t i = 0; i < n; i++) {
		char due[16];
		day_str(m[i].due, due);
		if (m[i].due)
			meta(d, "Milestone %s (%s): due %s", m[i].id, dir->milestones[i].name, due);
		json_t *o = json_object();
		jset(d, o, "id", jstr(d, m[i].id));
		jset(d, o, "name", jstr(d, dir->milestones[i].name));
		jset(d, o, "due", jday(d, m[i].due));
		jpush(d, ms, o);
	}
	jset(d, d->data, "milestones", ms);
}

/* Coverage: what every claim rests on. */
static void coverage(struct rdoc *d, const struct excise_fleet_list *l)
{
	const struct excise_fleet_totals *t = &l->totals;
	struct rsec *s = section(d, "measured", "Coverage");
	para(d, s,
	     "%zu hosts counted (enrolled or expected, not retired): %zu determined from their reports, %zu not "
	     "determined (%zu never reported, %zu stale, %zu whose latest report is incomplete). Hosts not determined "
	     "are listed below and are never counted as clean. %zu retired hosts are not counted.",
	     t->counted, t->determined, t->not_determined, t->state[EXCISE_FLEET_NEVER_REPORTED],
	     t->state[EXCISE_FLEET_STALE], t->state[EXCISE_FLEET_ERROR], t->state[EXCISE_FLEET_RETIRED]);
	s->t.ncol = 2;
	row(d, s, (const char *const[]){ "state", "hosts" });
	json_t *states = json_object();
	for (int i = 0; i < EXCISE_FLEET_STATE_MAX_; i++) {
		char n[24];
		snprintf(n, sizeof(n), "%zu", t->state[i]);
		row(d, s, (const char *const[]){ excise_fleet_state_name(i), n });
		jset(d, states, excise_fleet_state_name(i), json_integer((json_int_t)t->state[i]));
	}
	json_t *cov = json_object();
	jset(d, cov, "rows", json_integer((json_int_t)t->rows));
	jset(d, cov, "counted", json_integer((json_int_t)t->counted));
	jset(d, cov, "determined", json_integer((json_int_t)t->determined));
	jset(d, cov, "not_determined", json_integer((json_int_t)t->not_determined));
	jset(d, cov, "states", states);
	jset(d, d->data, "coverage", cov);

	struct rsec *u = section(d, "measured", "Hosts not determined (not counted as clean)");
	u->t.ncol = 5;
	row(d, u, (const char *const[]){ "host", "org unit", "state", "last report", "host id" });
	json_t *ua = json_array();
	for (size_t i = 0; i < l->n; i++) {
		const struct excise_fleet_host *h = &l->rows[i];
		if (!undetermined(h->state))
			continue;
		char last[16], amb[96];
		day_str(h->facts.last_report, last);
		snprintf(amb, sizeof(amb), "(expected; its name matches %zu enrolled hosts: ambiguous, not joined)",
			 h->expected_matches);
		row(d, u, (const char *const[]){ h->hostname, h->org_unit, excise_fleet_state_name(h->state), last,
						 h->host_id ? h->host_id : h->expected_matches > 1 ? amb
												   : "(expected, not enrolled)" });
		json_t *o = json_object();
		jset(d, o, "host_id", jstr(d, h->host_id));
		jset(d, o, "hostname", jstr(d, h->hostname));
		jset(d, o, "org_unit", jstr(d, h->org_unit));
		jset(d, o, "state", json_string(excise_fleet_state_name(h->state)));
		jset(d, o, "last_report", jtime(d, h->facts.last_report));
		if (!h->host_id)
			jset(d, o, "expected_matches", json_integer((json_int_t)h->expected_matches));
		jpush(d, ua, o);
	}
	if (!t->not_determined)
		para(d, u, "None: every counted host has reported completely within the stale period.");
	jset(d, d->data, "not_determined", ua);
}

static void methodology(struct rdoc *d, struct rsec *s, const struct prod *p, size_t n,
			const struct excise_freport_config *cfg, const struct excise_catalog *c)
{
	struct buf all;
	buf_init(&all, 0);
	for (size_t i = 0; i < n; i++)
		for (const char *x = p[i].sources; *x;) {
			size_t k = strcspn(x, ",");
			add_distinct(&all, x, k);
			x += k + (x[k] == ',');
		}
	para(d, s,
	     "Each host ran excise, which reads the host's package databases, services, drivers, files, "
	     "certificates and browser extensions (its sources) and matches them against the catalog %s (sha256 %s). "
	     "Each host's report says which sources ran and whether it was complete; a host counts as determined "
	     "only from a complete report.",
	     c ? excise_catalog_version(c) : "?", c ? excise_catalog_sha256(c) : "?");
	if (all.n)
		para(d, s, "Sources that found the products: %s.", all.p);
	if (cfg && cfg->methodology)
		para(d, s, "%s", cfg->methodology);
	json_t *m = json_object();
	jset(d, m, "catalog_version", c ? jstr(d, excise_catalog_version(c)) : json_null());
	jset(d, m, "catalog_sha256", c ? jstr(d, excise_catalog_sha256(c)) : json_null());
	jset(d, m, "sources", jstr(d, all.p));
	jset(d, m, "operator", cfg && cfg->methodology ? jstr(d, cfg->methodology) : json_null());
	jset(d, d->data, "methodology", m);
	if (all.err)
		d->err = all.err;
	buf_done(&all);
}

static void products_table(struct rdoc *d, struct rsec *s, const struct prod *p, size_t n)
{
	s->t.ncol = 5;
	row(d, s, (const char *const[]){ "product", "product id", "endpoints", "found by", "versions" });
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		char hosts[24];
		snprintf(hosts, sizeof(hosts), "%zu", p[i].hosts);
		row(d, s, (const char *const[]){ p[i].name, p[i].id, hosts, p[i].sources, p[i].versions });
		json_t *o = json_object();
		jset(d, o, "product_id", jstr(d, p[i].id));
		jset(d, o, "name", jstr(d, p[i].name));
		jset(d, o, "vendor", jstr(d, p[i].vendor));
		jset(d, o, "endpoints", json_integer((json_int_t)p[i].hosts));
		jset(d, o, "sources", jstr(d, p[i].sources));
		jset(d, o, "versions", jstr(d, p[i].versions));
		jset(d, o, "first_found", jtime(d, p[i].first_found));
		jpush(d, a, o);
	}
	jset(d, d->data, "products", a);
}

static size_t holding(const struct excise_fleet_list *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += holds(&l->rows[i]);
	return n;
}

/* ---- the directive reports ---- */

static void day30(struct rdoc *d, const struct excise_fleet_list *l, const struct prod *p, size_t n,
		  const struct excise_freport_config *cfg, const struct excise_catalog *c)
{
	const struct excise_fleet_totals *t = &l->totals;
	struct rsec *s = section(d, "measured", "Products found");
	size_t eps = holding(l);
	if (!n) {
		para(d, s,
		     "None found. No product covered by %s was found on any of the %zu hosts determined from "
		     "complete reports.%s",
		     l->directive->short_name ? l->directive->short_name : l->directive->id, t->determined,
		     t->not_determined ? " This statement does not cover the hosts not determined, listed below." : "");
	}
	else {
		para(d, s, "%zu product%s found on %zu endpoint%s.", n, n == 1 ? "" : "s", eps, eps == 1 ? "" : "s");
		products_table(d, s, p, n);
	}
	jset(d, d->data, "none_found", json_boolean(n == 0));
	jset(d, d->data, "endpoints", json_integer((json_int_t)eps));
	if (!n)
		jset(d, d->data, "products", json_array());
	size_t gone = t->state[EXCISE_FLEET_REMOVED] + t->state[EXCISE_FLEET_VERIFIED];
	if (gone)
		para(d, s, "%zu host%s where a product was found no longer %s it (removed or verified).", gone,
		     gone == 1 ? "" : "s", gone == 1 ? "has" : "have");
	methodology(d, section(d, "measured", "How they were found"), p, n, cfg, c);
	coverage(d, l);
}

static const char *cfg_or(const char *v)
{
	return v ? v : "(not given: set it in the report config file)";
}

static void item(struct rdoc *d, json_t *items, const char *letter, const char *title, const char *source,
		 const char *text)
{
	struct rsec *s = section(d, source, "%s. %s", letter, title);
	if (text)
		para(d, s, "%s", text);
	json_t *o = json_object();
	jset(d, o, "item", json_string(letter));
	jset(d, o, "title", json_string(title));
	jset(d, o, "source", json_string(source));
	jset(d, o, "text", text ? jstr(d, text) : json_null());
	jpush(d, items, o);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void day60(struct rdoc *d, const struct excise_fleet_list *l, const struct prod *p, size_t n,
		  const struct excise_freport_config *cfg, const struct excise_catalog *c)
{
	json_t *items = json_array();
	const struct excise_freport_config none = { 0 };
	if (!cfg)
		cfg = &none;
	item(d, items, "a", "Agency name", "config", cfg_or(cfg->agency));
	char *poc = NULL;
	if (cfg->contact_name || cfg->contact_phone || cfg->contact_email) {
		if (asprintf(&poc, "%s; telephone %s; email %s", cfg_or(cfg->contact_name), cfg_or(cfg->contact_phone),
			     cfg_or(cfg->contact_email)) < 0)
			poc = NULL, d->err = -ENOMEM;
	}
	item(d, items, "b", "Point of contact", "config", poc ? poc : cfg_or(NULL));
	free(poc);
	/* c, d, e: measured */
	char *txt = NULL;
	size_t eps = holding(l);
	if (asprintf(&txt, "%zu product%s identified%s", n, n == 1 ? "" : "s", n ? ":" : " (none found).") < 0)
		txt = NULL, d->err = -ENOMEM;
	item(d, items, "c", "Identified products", "measured", txt);
	free(txt);
	products_table(d, &d->secs[d->n_secs - 1], p, n);
	if (asprintf(&txt, "%zu endpoint%s affected now (per product in item c).", eps, eps == 1 ? "" : "s") < 0)
		txt = NULL, d->err = -ENOMEM;
	item(d, items, "d", "Number of endpoints affected", "measured", txt);
	free(txt);
	item(d, items, "e", "Methodologies used to identify use or presence", "measured", NULL);
	methodology(d, &d->secs[d->n_secs - 1], p, n, cfg, c);
	/* f: org units of the affected hosts */
	item(d, items, "f", "Components affected", "measured", NULL);
	struct rsec *fs = &d->secs[d->n_secs - 1];
	fs->t.ncol = 2;
	row(d, fs, (const char *const[]){ "org unit", "endpoints affected" });
	json_t *comp = json_object();
	/* the org units of the rows that hold a product, sorted, counted by runs */
	const char **ous = calloc(eps + 1, sizeof(*ous));
	size_t n_ous = 0;
	if (!ous)
		d->err = -ENOMEM;
	for (size_t i = 0; ous && i < l->n; i++)
		if (holds(&l->rows[i]))
			ous[n_ous++] = l->rows[i].org_unit ? l->rows[i].org_unit : "";
	if (n_ous)
		qsort(ous, n_ous, sizeof(*ous), cmp_strp);
	for (size_t i = 0; i < n_ous;) {
		size_t k = 1;
		while (i + k < n_ous && !strcmp(ous[i + k], ous[i]))
			k++;
		char num[24];
		snprintf(num, sizeof(num), "%zu", k);
		row(d, fs, (const char *const[]){ ous[i], num });
		struct buf b;
		buf_init(&b, 0);
		utf8_sanitize(&b, ous[i], strlen(ous[i]));
		if (b.err || json_object_set_new(comp, b.p, json_integer((json_int_t)k)) < 0)
			d->err = -ENOMEM;
		buf_done(&b);
		i += k;
	}
	free(ous);
	if (!eps)
		para(d, fs, "None.");
	jset(d, d->data, "components", comp);
	item(d, items, "g", "Mission function of affected endpoints or systems", "config", cfg_or(cfg->mission));
	item(d, items, "h", "Contracts, SLAs or other agreements with the vendor", "config", cfg_or(cfg->contracts));
	/* i: the removal timeline from the recorded plans and runs */
	const struct excise_fleet_totals *t = &l->totals;
	size_t planned = 0, started = 0;
	int64_t p_first = 0, p_last = 0, r_first = 0, r_last = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct excise_fleet_host *h = &l->rows[i];
		if (h->state == EXCISE_FLEET_RETIRED)
			continue;
		int64_t pr = h->facts.plan_recorded, rs = h->facts.removal_started;
		if (pr) {
			planned++;
			p_first = !p_first || pr < p_first ? pr : p_first;
			p_last = pr > p_last ? pr : p_last;
		}
		if (rs) {
			started++;
			r_first = !r_first || rs < r_first ? rs : r_first;
			r_last = rs > r_last ? rs : r_last;
		}
	}
	char a1[16], a2[16], b1[16], b2[16], due[16] = "-";
	day_str(p_first, a1);
	day_str(p_last, a2);
	day_str(r_first, b1);
	day_str(r_last, b2);
	for (size_t i = 0; i < l->directive->n_milestones; i++)
		if (!strcmp(l->directive->milestones[i].action, "remove")) {
			struct excise_fleet_facts nf = { 0 };
			struct excise_fleet_milestone m[EXCISE_FLEET_MAX_MILESTONES];
			size_t k = 0;
			track_milestones(l->directive, l->start, &nf, EXCISE_FLEET_NEVER_REPORTED,
					 EXCISE_FLEET_NEVER_REPORTED, NULL, NULL, 0, l->now, NULL, m, &k);
			if (i < k)
				day_str(m[i].due, due);
		}
	if (asprintf(&txt,
		     "Removal begins by %s (the directive). Plans recorded for %zu host%s (%s to %s); removal runs "
		     "started on %zu (%s to %s); removed from %zu, verified on %zu; %zu still affected.%s%s",
		     due, planned, planned == 1 ? "" : "s", a1, a2, started, b1, b2, t->state[EXCISE_FLEET_REMOVED],
		     t->state[EXCISE_FLEET_VERIFIED], eps, cfg->removal_timeline ? " " : "",
		     cfg->removal_timeline ? cfg->removal_timeline : "") < 0)
		txt = NULL, d->err = -ENOMEM;
	item(d, items, "i", "Timeline to remove identified products", "measured", txt);
	free(txt);
	json_t *tl = json_object();
	jset(d, tl, "removal_due", jstr(d, due));
	jset(d, tl, "plans", json_integer((json_int_t)planned));
	jset(d, tl, "first_plan", jtime(d, p_first));
	jset(d, tl, "last_plan", jtime(d, p_last));
	jset(d, tl, "removals_started", json_integer((json_int_t)started));
	jset(d, tl, "first_removal", jtime(d, r_first));
	jset(d, tl, "last_removal", jtime(d, r_last));
	jset(d, tl, "removed", json_integer((json_int_t)t->state[EXCISE_FLEET_REMOVED]));
	jset(d, tl, "verified", json_integer((json_int_t)t->state[EXCISE_FLEET_VERIFIED]));
	jset(d, tl, "remaining", json_integer((json_int_t)eps));
	jset(d, d->data, "timeline", tl);
	item(d, items, "j", "Security controls or FISMA requirements removal would affect", "config",
	     cfg_or(cfg->controls));
	item(d, items, "k", "Replacement products or capabilities", "config", cfg_or(cfg->replacements));
	item(d, items, "l", "Timeline for putting replacements in place", "config", cfg_or(cfg->replacement_timeline));
	item(d, items, "m", "Foreseeable challenges", "config", cfg_or(cfg->challenges));
	item(d, items, "n", "Costs (licences, maintenance, replacement), coordinated with the CFO", "config",
	     cfg_or(cfg->costs));
	jset(d, d->data, "items", items);
	coverage(d, l);
}

static void host_list(struct rdoc *d, const char *title, const char *key, const struct excise_fleet_list *l,
		      bool (*want)(const struct excise_fleet_host *h, const struct excise_fleet_list *l))
{
	struct rsec *s = section(d, "measured", "%s", title);
	s->t.ncol = 6;
	row(d, s, (const char *const[]){ "host", "org unit", "state", "products", "removal due", "host id" });
	json_t *a = json_array();
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct excise_fleet_host *h = &l->rows[i];
		if (!want(h, l))
			continue;
		n++;
		char due[16] = "-";
		for (size_t m = 0; m < h->n_ms; m++)
			if (!strcmp(h->ms[m].action, "remove"))
				day_str(h->ms[m].due, due);
		row(d, s, (const char *const[]){ h->hostname, h->org_unit, excise_fleet_state_name(h->state),
						 h->products, due, h->host_id ? h->host_id : "" });
		json_t *o = json_object();
		jset(d, o, "host_id", jstr(d, h->host_id));
		jset(d, o, "hostname", jstr(d, h->hostname));
		jset(d, o, "org_unit", jstr(d, h->org_unit));
		jset(d, o, "state", json_string(excise_fleet_state_name(h->state)));
		jset(d, o, "products", jstr(d, h->products));
		if (h->state == EXCISE_FLEET_EXEMPT) {
			jset(d, o, "exempt_reason", jstr(d, h->exempt_reason));
			jset(d, o, "exempt_approver", jstr(d, h->exempt_approver));
			jset(d, o, "exempt_expires", jtime(d, h->exempt_expires));
		}
		jpush(d, a, o);
	}
	if (!n)
		para(d, s, "None.");
	jset(d, d->data, key, a);
}

/* Filing `f` bears on the list's scope: it covers the whole organisation, the scope's
 * unit or one above it, or a unit below it. */
static bool filing_in_scope(const struct excise_filing *f, const char *scope)
{
	if (!f->org_unit || !scope)
		return true;
	size_t a = strlen(f->org_unit), b = strlen(scope);
	const char *s = a <= b ? scope : f->org_unit, *p = a <= b ? f->org_unit : scope;
	size_t n = a <= b ? a : b;
	return !strncmp(s, p, n) && (s[n] == '\0' || s[n] == '/');
}

/* The organisation's reports a milestone asks for (excise_fleet_takes_filing): the filings
 * in force, and the identified hosts no filing covers yet, listed from the rows whose
 * milestone is pending or overdue, counted over the same rows (the list's totals). */
static void filings(struct rdoc *d, const struct excise_fleet_list *l)
{
	const struct excise_directive *dir = l->directive;
	json_t *all = json_array();
	for (size_t i = 0; i < dir->n_milestones && i < EXCISE_FLEET_MAX_MILESTONES; i++) {
		if (!excise_fleet_takes_filing(dir, i))
			continue;
		const struct excise_milestone *m = &dir->milestones[i];
		json_t *mo = json_object();
		jset(d, mo, "milestone", jstr(d, m->id));
		jset(d, mo, "name", jstr(d, m->name));
		struct rsec *s = section(d, "recorded", "Reports filed: %s (%s)", m->id, m->name);
		s->t.ncol = 4;
		row(d, s, (const char *const[]){ "filed", "reference", "org unit", "recorded by" });
		json_t *fa = json_array();
		size_t nf = 0;
		for (size_t k = 0; k < l->n_filings; k++) {
			const struct excise_filing *f = &l->filings[k];
			/* in force at the report's date, and bearing on its scope */
			if (strcmp(f->milestone, m->id) || f->recorded > l->now || (f->revoked && f->revoked <= l->now) ||
			    !filing_in_scope(f, l->org_unit))
				continue;
			nf++;
			char filed[16];
			day_str(f->filed, filed);
			row(d, s, (const char *const[]){ filed, f->reference, f->org_unit ? f->org_unit : "(whole organisation)",
							 f->recorded_by });
			json_t *o = json_object();
			jset(d, o, "id", jstr(d, f->id));
			jset(d, o, "filed", jday(d, f->filed));
			jset(d, o, "reference", jstr(d, f->reference));
			jset(d, o, "org_unit", jstr(d, f->org_unit));
			jset(d, o, "recorded_by", jstr(d, f->recorded_by));
			jset(d, o, "recorded", jtime(d, f->recorded));
			jpush(d, fa, o);
		}
		if (!nf)
			para(d, s, "None recorded (excise serve filing add).");
		jset(d, mo, "filings", fa);
		const size_t *c = l->totals.ms[i];
		size_t open = c[EXCISE_MS_PENDING] + c[EXCISE_MS_OVERDUE];
		struct rsec *u = section(d, "measured", "Identified hosts no %s filing covers yet: %zu", m->id, open);
		para(d, u, "%zu met on time, %zu late, %zu not yet filed and not yet due, %zu overdue. A filing covers the "
			   "hosts of its org unit first identified on or before the day it was filed.",
		     c[EXCISE_MS_MET], c[EXCISE_MS_LATE], c[EXCISE_MS_PENDING], c[EXCISE_MS_OVERDUE]);
		u->t.ncol = 6;
		row(d, u, (const char *const[]){ "host", "org unit", "first identified", "due", "status", "host id" });
		json_t *ua = json_array();
		for (size_t k = 0; k < l->n; k++) {
			const struct excise_fleet_host *h = &l->rows[k];
			if (i >= h->n_ms || (h->ms[i].status != EXCISE_MS_PENDING && h->ms[i].status != EXCISE_MS_OVERDUE))
				continue;
			char found[16], due[16];
			int64_t fi = h->facts.first_identified ? h->facts.first_identified : h->facts.last_identified;
			day_str(fi, found);
			day_str(h->ms[i].due, due);
			const char *st = excise_ms_status_name(h->ms[i].status);
			row(d, u, (const char *const[]){ h->hostname, h->org_unit, found, due, st, h->host_id });
			json_t *o = json_object();
			jset(d, o, "host_id", jstr(d, h->host_id));
			jset(d, o, "hostname", jstr(d, h->hostname));
			jset(d, o, "org_unit", jstr(d, h->org_unit));
			jset(d, o, "first_identified", jtime(d, fi));
			jset(d, o, "due", jday(d, h->ms[i].due));
			jset(d, o, "status", json_string(st));
			jpush(d, ua, o);
		}
		if (!open)
			para(d, u, "None.");
		json_t *counts = json_object();
		for (int k = 0; k < EXCISE_MS_STATUS_MAX_; k++)
			jset(d, counts, excise_ms_status_name(k), json_integer((json_int_t)c[k]));
		jset(d, mo, "hosts", counts);
		jset(d, mo, "not_covered", ua);
		jpush(d, all, mo);
	}
	jset(d, d->data, "filings", all);
}

static bool remaining(const struct excise_fleet_host *h, const struct excise_fleet_list *l)
{
	(void)l;
	return holds(h) && h->state != EXCISE_FLEET_EXEMPT;
}

static bool overdue(const struct excise_fleet_host *h, const struct excise_fleet_list *l)
{
	(void)l;
	for (size_t m = 0; m < h->n_ms; m++)
		if (h->ms[m].status == EXCISE_MS_OVERDUE && strcmp(h->ms[m].action, "identify"))
			return true;
	return false;
}

static bool exempt(const struct excise_fleet_host *h, const struct excise_fleet_list *l)
{
	(void)l;
	return h->state == EXCISE_FLEET_EXEMPT;
}

static void status(struct rdoc *d, const struct excise_fleet_list *l)
{
	const struct excise_fleet_totals *t = &l->totals;
	size_t rem = 0, od = 0;
	for (size_t i = 0; i < l->n; i++) {
		rem += remaining(&l->rows[i], l);
		od += overdue(&l->rows[i], l);
	}
	struct rsec *s = section(d, "measured", "Status");
	para(d, s,
	     "Removed: %zu host%s (%zu of them verified by an attestation). Remaining: %zu host%s where a product "
	     "is still found. Overdue: %zu host%s past a plan or removal date. Exempt: %zu. Not determined: %zu.%s",
	     t->state[EXCISE_FLEET_REMOVED] + t->state[EXCISE_FLEET_VERIFIED],
	     t->state[EXCISE_FLEET_REMOVED] + t->state[EXCISE_FLEET_VERIFIED] == 1 ? "" : "s",
	     t->state[EXCISE_FLEET_VERIFIED], rem, rem == 1 ? "" : "s", od, od == 1 ? "" : "s",
	     t->state[EXCISE_FLEET_EXEMPT], t->not_determined,
	     rem || t->not_determined ? "" : " Removal is complete on every determined host.");
	json_t *st = json_object();
	jset(d, st, "removed", json_integer((json_int_t)(t->state[EXCISE_FLEET_REMOVED] + t->state[EXCISE_FLEET_VERIFIED])));
	jset(d, st, "verified", json_integer((json_int_t)t->state[EXCISE_FLEET_VERIFIED]));
	jset(d, st, "remaining", json_integer((json_int_t)rem));
	jset(d, st, "overdue", json_integer((json_int_t)od));
	jset(d, st, "exempt", json_integer((json_int_t)t->state[EXCISE_FLEET_EXEMPT]));
	jset(d, st, "not_determined", json_integer((json_int_t)t->not_determined));
	jset(d, d->data, "status", st);
	host_list(d, "Remaining", "remaining", l, remaining);
	host_list(d, "Overdue", "overdue", l, overdue);
	host_list(d, "Exempt", "exempt", l, exempt);
	struct rsec *e = &d->secs[d->n_secs - 1];
	if (t->state[EXCISE_FLEET_EXEMPT]) {
		e->t.ncol = 0; /* replaced: the exemption's reason, approver and expiry */
		for (size_t j = 0; j < e->t.n; j++)
			free(e->t.cells[j]);
		e->t.n = 0;
		e->t.ncol = 5;
		row(d, e, (const char *const[]){ "host", "org unit", "reason", "approver", "expires" });
		for (size_t i = 0; i < l->n; i++) {
			const struct excise_fleet_host *h = &l->rows[i];
			if (h->state != EXCISE_FLEET_EXEMPT)
				continue;
			char exp[16];
			day_str(h->exempt_expires, exp);
			row(d, e, (const char *const[]){ h->hostname, h->org_unit, h->exempt_reason, h->exempt_approver,
							 h->exempt_expires ? exp : "never" });
		}
	}
	filings(d, l);
	coverage(d, l);
}

static void far(struct rdoc *d, const struct excise_fleet_list *l, const struct prod *p, size_t n,
		const struct excise_freport_config *cfg)
{
	const struct excise_freport_config none = { 0 };
	if (!cfg)
		cfg = &none;
	struct buf orders;
	buf_init(&orders, 0);
	for (const char **o = cfg->order_numbers; o && *o; o++) {
		if (orders.n)
			buf_adds(&orders, ", ");
		buf_adds(&orders, *o);
	}
	struct rsec *s = section(d, "config", "Contract");
	s->t.ncol = 2;
	row(d, s, (const char *const[]){ "field", "value" });
	row(d, s, (const char *const[]){ "contract number", cfg_or(cfg->contract_number) });
	row(d, s, (const char *const[]){ "order number(s)", orders.n ? orders.p : "(none given)" });
	json_t *ct = json_object();
	jset(d, ct, "contract_number", cfg->contract_number ? jstr(d, cfg->contract_number) : json_null());
	json_t *oa = json_array();
	for (const char **o = cfg->order_numbers; o && *o; o++)
		jpush(d, oa, jstr(d, *o));
	jset(d, ct, "order_numbers", oa);
	jset(d, d->data, "contract", ct);
	if (orders.err)
		d->err = orders.err;
	buf_done(&orders);
	struct rsec *a = section(d, "measured", "Covered articles identified");
	json_t *arts = json_array();
	if (!n)
		para(d, a, "None found on the %zu hosts determined from complete reports.", l->totals.determined);
	for (size_t i = 0; i < n; i++) {
		char *desc = NULL, *mit = NULL, first[16];
		day_str(p[i].first_found, first);
		size_t planned = 0, started = 0, gone = 0;
		int64_t notify_due = 0; /* the earliest first-report date of the directive's rows that hold it */
		for (size_t k = 0; k < l->n; k++) {
			const struct excise_fleet_host *h = &l->rows[k];
			if (!list_has(h->products, p[i].id) || h->state == EXCISE_FLEET_RETIRED)
				continue;
			for (size_t m = 0; m < h->n_ms; m++)
				if (!strcmp(h->ms[m].action, "notify") && h->ms[m].due &&
				    (!notify_due || h->ms[m].due < notify_due))
					notify_due = h->ms[m].due;
			planned += h->facts.plan_recorded != 0;
			started += h->facts.removal_started != 0;
			gone += h->progress == EXCISE_FLEET_REMOVED || h->progress == EXCISE_FLEET_VERIFIED;
		}
		if (asprintf(&desc, "%s (%s), software, found on %zu endpoint%s, first on %s", p[i].name, p[i].id,
			     p[i].hosts, p[i].hosts == 1 ? "" : "s", first) < 0)
			desc = NULL, d->err = -ENOMEM;
		if (asprintf(&mit, "removal plans recorded for %zu host%s, removal started on %zu, removed from %zu%s%s",
			     planned, planned == 1 ? "" : "s", started, gone, cfg->mitigation ? "; " : "",
			     cfg->mitigation ? cfg->mitigation : "") < 0)
			mit = NULL, d->err = -ENOMEM;
		struct rsec *x = section(d, "measured", "Article %zu: %s", i + 1, p[i].name);
		x->t.ncol = 3;
		row(d, x, (const char *const[]){ "field", "value", "from" });
		row(d, x, (const char *const[]){ "supplier name", cfg_or(cfg->supplier), "config" });
		row(d, x, (const char *const[]){ "brand", p[i].vendor ? p[i].vendor : "(unknown)", "catalog" });
		row(d, x, (const char *const[]){ "model number", *p[i].versions ? p[i].versions : "(version not reported)",
						 "findings (version)" });
		row(d, x, (const char *const[]){ "item description", desc, "findings" });
		row(d, x, (const char *const[]){ "mitigation", mit, cfg->mitigation ? "measured, config" : "measured" });
		char nd[16];
		day_str(notify_due, nd);
		if (notify_due)
			row(d, x, (const char *const[]){ "initial report due", nd, "directive (from the first finding)" });
		json_t *o = json_object();
		jset(d, o, "supplier", cfg->supplier ? jstr(d, cfg->supplier) : json_null());
		jset(d, o, "brand", jstr(d, p[i].vendor));
		jset(d, o, "model", jstr(d, p[i].versions));
		jset(d, o, "product_id", jstr(d, p[i].id));
		jset(d, o, "item_description", jstr(d, desc));
		jset(d, o, "mitigation", jstr(d, mit));
		jset(d, o, "endpoints", json_integer((json_int_t)p[i].hosts));
		jset(d, o, "first_found", jtime(d, p[i].first_found));
		jset(d, o, "initial_report_due", jday(d, notify_due));
		jpush(d, arts, o);
		free(desc);
		free(mit);
	}
	jset(d, d->data, "articles", arts);
	jset(d, d->data, "none_found", json_boolean(n == 0));
	filings(d, l);
	coverage(d, l);
}

/* ---- rendering ---- */

static void esc_text(struct buf *b, const char *s)
{
	text_escape(b, s ? s : "", strlen(s ? s : ""), 0);
}

/* Display columns of UTF-8 text (code points; good enough for alignment). */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void render_text(struct buf *out, const struct rdoc *d)
{
	struct buf t;
	buf_init(&t, 0);
	esc_text(out, d->title);
	buf_addc(out, '\n');
	for (size_t i = 0; i < d->n_meta; i++) {
		esc_text(out, d->meta[i]);
		buf_addc(out, '\n');
	}
	for (size_t i = 0; i < d->n_secs; i++) {
		const struct rsec *s = &d->secs[i];
		buf_addc(out, '\n');
		esc_text(out, s->heading);
		if (s->source)
			buf_addf(out, " [%s]", s->source);
		buf_addc(out, '\n');
		for (size_t j = 0; j < s->n_paras; j++) {
			buf_adds(out, "  ");
			esc_text(out, s->paras[j]);
			buf_addc(out, '\n');
		}
		if (!s->t.ncol || s->t.n <= s->t.ncol)
			continue;
		/* escaped cells, padded to the widest of each column */
		size_t nc = s->t.ncol, nr = s->t.n / nc;
		char **cells = calloc(s->t.n, sizeof(*cells));
		size_t *w = calloc(nc, sizeof(*w));
		if (!cells || !w) {
			out->err = -ENOMEM;
			free(cells);
			free(w);
			break;
		}
		for (size_t k = 0; k < s->t.n; k++) {
			buf_clear(&t);
			esc_text(&t, s->t.cells[k]);
			cells[k] = strdup(t.p);
			if (!cells[k])
				out->err = -ENOMEM;
			else if (width(cells[k]) > w[k % nc])
				w[k % nc] = width(cells[k]);
		}
		for (size_t r = 0; r < nr && !out->err; r++) {
			buf_adds(out, "  ");
			for (size_t c = 0; c < nc; c++) {
				const char *v = cells[r * nc + c];
				buf_adds(out, v);
				if (c + 1 < nc)
					for (size_t pad = width(v); pad < w[c] + 2; pad++)
						buf_addc(out, ' ');
			}
			buf_addc(out, '\n');
		}
		for (size_t k = 0; k < s->t.n; k++)
			free(cells[k]);
		free(cells);
		free(w);
	}
	if (t.err)
		out->err = t.err;
	buf_done(&t);
}

/* HTML text: terminal-safe first (controls shown as escapes), then entities. */
void freport_html_escape(struct buf *b, const char *s)
{
	struct buf t;
	buf_init(&t, 0);
	esc_text(&t, s);
	for (const char *p = t.p; *p; p++)
		switch (*p) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, *p);
		}
	if (t.err)
		b->err = t.err;
	buf_done(&t);
}

static const char html_css[] =
	"body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#000;background:#fff;line-height:1.4}"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.5em;border-bottom:1px solid #888}"
	".src{font-size:.8em;font-weight:normal;color:#555}.meta{color:#333}"
	"table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #888;padding:.2em .5em;"
	"text-align:left;vertical-align:top}th{background:#eee}"
	"@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}tr{page-break-inside:avoid}}";

static void render_html(struct buf *out, const struct rdoc *d)
{
	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
		      "'unsafe-inline'\"><title>");
	freport_html_escape(out, d->title);
	buf_adds(out, "</title><style>");
	buf_adds(out, html_css);
	buf_adds(out, "</style></head><body>\n<h1>");
	freport_html_escape(out, d->title);
	buf_adds(out, "</h1>\n");
	for (size_t i = 0; i < d->n_meta; i++) {
		buf_adds(out, "<div class=\"meta\">");
		freport_html_escape(out, d->meta[i]);
		buf_adds(out, "</div>\n");
	}
	for (size_t i = 0; i < d->n_secs; i++) {
		const struct rsec *s = &d->secs[i];
		buf_adds(out, "<h2>");
		freport_html_escape(out, s->heading);
		if (s->source) {
			buf_adds(out, " <span class=\"src\">[");
			freport_html_escape(out, s->source);
			buf_adds(out, "]</span>");
		}
		buf_adds(out, "</h2>\n");
		for (size_t j = 0; j < s->n_paras; j++) {
			buf_adds(out, "<p>");
			freport_html_escape(out, s->paras[j]);
			buf_adds(out, "</p>\n");
		}
		if (!s->t.ncol || s->t.n <= s->t.ncol)
			continue;
		buf_adds(out, "<table>\n");
		for (size_t k = 0; k < s->t.n; k++) {
			bool h = k < s->t.ncol;
			if (k % s->t.ncol == 0)
				buf_adds(out, "<tr>");
			buf_adds(out, h ? "<th>" : "<td>");
			freport_html_escape(out, s->t.cells[k]);
			buf_adds(out, h ? "</th>" : "</td>");
			if (k % s->t.ncol == s->t.ncol - 1)
				buf_adds(out, "</tr>\n");
		}
		buf_adds(out, "</table>\n");
	}
	buf_adds(out, "</body></html>\n");
}

static int dump_json(struct buf *out, json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return -ENOMEM;
	text_escape(out, text, strlen(text), TEXT_ESC_KEEP_NL | TEXT_ESC_JSON);
	buf_addc(out, '\n');
	free(text);
	return out->err;
}

/* `v` as compact JSON text: `open` for its opening brace (it is left out: "{" puts
 * the members of `v` into an object the caller goes on with), then `close`. */
static int dump_piece(struct buf *out, json_t *v, const char *open, const char *close)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return -ENOMEM;
	size_t len = strlen(text);
	const char *p = text;
	if (*open && len >= 2) { /* the members only: without the braces */
		buf_adds(out, open);
		p++;
		len -= 2;
	}
	text_escape(out, p, len, TEXT_ESC_JSON);
	buf_adds(out, close);
	free(text);
	return out->err;
}

static int flush(FILE *f, struct buf *b, struct excise_err *err)
{
	if (b->err)
		return err_setc(err, b->err, "report");
	if (b->n && fwrite(b->p, 1, b->n, f) != b->n)
		return err_setc(err, -EIO, "report: write");
	buf_clear(b);
	return 0;
}

/* ---- hosts and findings as tables ---- */

static const char *const host_cols[] = { "host_id", "hostname", "org_unit", "platform", "os", "state", "progress",
					 "products", "enrolled", "last_seen", "first_report", "last_report",
					 "last_complete", "first_identified", "last_identified", "plan_recorded",
					 "removal_started", "removed", "verified", "last_error", "retired",
					 "exempt_reason", "exempt_approver", "exempt_expires", NULL };

/* The cells of row `h` (times as RFC 3339), into `v` (strings owned by `store`). */
static void host_cells(const struct excise_fleet_host *h, char times[13][32], const char *v[24])
{
	const int64_t ts[13] = { h->facts.enrolled_at,     h->facts.last_seen,       h->facts.first_report,
				 h->facts.last_report,     h->facts.last_complete,   h->facts.first_identified,
				 h->facts.last_identified, h->facts.plan_recorded,   h->facts.removal_started,
				 h->facts.removed,         h->facts.verified,        h->facts.last_error,
				 h->facts.retired };
	for (int i = 0; i < 13; i++)
		time_str(ts[i], times[i]);
	v[0] = h->host_id;
	v[1] = h->hostname;
	v[2] = h->org_unit;
	v[3] = h->platform;
	v[4] = h->os;
	v[5] = excise_fleet_state_name(h->state);
	v[6] = excise_fleet_state_name(h->progress);
	v[7] = h->products;
	for (int i = 0; i < 13; i++)
		v[8 + i] = times[i];
	v[21] = h->exempt_reason;
	v[22] = h->exempt_approver;
	v[23] = NULL;
}

static int write_hosts(FILE *f, enum excise_freport_format fmt, const struct excise_fleet_list *l,
		       struct excise_err *err)
{
	struct buf b;
	buf_init(&b, 0);
	int r = 0;
	size_t nms = l->directive->n_milestones < EXCISE_FLEET_MAX_MILESTONES ? l->directive->n_milestones
									    : EXCISE_FLEET_MAX_MILESTONES;
	if (fmt == EXCISE_FREPORT_CSV || fmt == EXCISE_FREPORT_TEXT) {
		const char *sep = fmt == EXCISE_FREPORT_CSV ? "," : "\t";
		for (size_t i = 0; host_cols[i]; i++) {
			if (i)
				buf_adds(&b, sep);
			buf_adds(&b, host_cols[i]);
		}
		for (size_t m = 0; m < nms; m++)
			buf_addf(&b, "%s%s_due%s%s_status", sep, l->directive->milestones[m].id, sep,
				 l->directive->milestones[m].id);
		buf_addc(&b, '\n');
		for (size_t i = 0; i < l->n && !r; i++) {
			const struct excise_fleet_host *h = &l->rows[i];
			char times[13][32], exp[32];
			const char *v[24];
			host_cells(h, times, v);
			time_str(h->exempt_expires, exp);
			v[23] = exp;
			for (size_t c = 0; c < 24; c++) {
				if (c)
					buf_adds(&b, sep);
				if (fmt == EXCISE_FREPORT_CSV)
					csv_cell(&b, v[c]);
				else
					esc_text(&b, v[c]);
			}
			for (size_t m = 0; m < nms; m++) {
				char due[16];
				day_str(m < h->n_ms ? h->ms[m].due : 0, due);
				buf_addf(&b, "%s%s%s%s", sep, m < h->n_ms && h->ms[m].due ? due : "", sep,
					 m < h->n_ms ? excise_ms_status_name(h->ms[m].status) : "");
			}
			buf_addc(&b, '\n');
			if (b.n > (1u << 20))
				r = flush(f, &b, err);
		}
		if (!r && fmt == EXCISE_FREPORT_TEXT) {
			buf_addf(&b, "\n%zu hosts", l->totals.rows);
			for (int s = 0; s < EXCISE_FLEET_STATE_MAX_; s++)
				if (l->totals.state[s])
					buf_addf(&b, ", %s %zu", excise_fleet_state_name(s), l->totals.state[s]);
			buf_addc(&b, '\n');
		}
		if (!r)
			r = flush(f, &b, err);
		buf_done(&b);
		return r;
	}
	/* JSON, streamed: the rows one by one, then the totals counted over them */
	struct rdoc d = { 0 };
	json_t *head = json_object();
	jset(&d, head, "schema", json_string("excise.fleet-hosts/1"));
	jset(&d, head, "directive", jstr(&d, l->directive->id));
	jset(&d, head, "as_of", jtime(&d, l->now));
	jset(&d, head, "start", jday(&d, l->start));
	r = d.err ? d.err : dump_piece(&b, head, "{", ",\n\"hosts\": [\n");
	json_decref(head);
	for (size_t i = 0; i < l->n && r >= 0; i++) {
		const struct excise_fleet_host *h = &l->rows[i];
		char times[13][32];
		const char *v[24];
		host_cells(h, times, v);
		json_t *o = json_object();
		for (size_t c = 0; c < 23; c++)
			jset(&d, o, host_cols[c], c >= 8 && c < 21 ? (v[c][0] ? jstr(&d, v[c]) : json_null()) : jstr(&d, v[c]));
		jset(&d, o, "exempt_expires", jtime(&d, h->exempt_expires));
		if (!h->host_id)
			jset(&d, o, "expected_matches", json_integer((json_int_t)h->expected_matches));
		json_t *ms = json_array();
		for (size_t m = 0; m < h->n_ms; m++) {
			json_t *mo = json_object();
			jset(&d, mo, "id", jstr(&d, h->ms[m].id));
			jset(&d, mo, "due", jday(&d, h->ms[m].due));
			jset(&d, mo, "status", json_string(excise_ms_status_name(h->ms[m].status)));
			jset(&d, mo, "met_at", jtime(&d, h->ms[m].met_at));
			jpush(&d, ms, mo);
		}
		jset(&d, o, "milestones", ms);
		r = d.err ? d.err : dump_piece(&b, o, "", i + 1 < l->n ? ",\n" : "\n");
		json_decref(o);
		if (r >= 0 && b.n > (1u << 20))
			r = flush(f, &b, err);
	}
	json_t *tot = json_object(), *st = json_object(), *pr = json_array();
	jset(&d, tot, "rows", json_integer((json_int_t)l->totals.rows));
	jset(&d, tot, "counted", json_integer((json_int_t)l->totals.counted));
	jset(&d, tot, "determined", json_integer((json_int_t)l->totals.determined));
	jset(&d, tot, "not_determined", json_integer((json_int_t)l->totals.not_determined));
	for (int s = 0; s < EXCISE_FLEET_STATE_MAX_; s++)
		jset(&d, st, excise_fleet_state_name(s), json_integer((json_int_t)l->totals.state[s]));
	jset(&d, tot, "states", st);
	for (size_t i = 0; i < l->totals.n_products; i++) {
		json_t *o = json_object();
		jset(&d, o, "product_id", jstr(&d, l->totals.products[i].product));
		jset(&d, o, "hosts", json_integer((json_int_t)l->totals.products[i].hosts));
		jpush(&d, pr, o);
	}
	jset(&d, tot, "products", pr);
	json_t *mst = json_array();
	for (size_t m = 0; m < nms; m++) {
		json_t *o = json_object();
		jset(&d, o, "id", jstr(&d, l->directive->milestones[m].id));
		for (int s = 0; s < EXCISE_MS_STATUS_MAX_; s++)
			jset(&d, o, excise_ms_status_name(s), json_integer((json_int_t)l->totals.ms[m][s]));
		jpush(&d, mst, o);
	}
	jset(&d, tot, "milestones", mst);
	if (r >= 0) {
		buf_adds(&b, "],\n\"totals\": ");
		r = d.err ? d.err : dump_piece(&b, tot, "", "}\n");
	}
	json_decref(tot);
	r = r < 0 && r != -EIO ? err_setc(err, r, "report") : r < 0 ? r : flush(f, &b, err);
	buf_done(&b);
	return r;
}

static const char *const finding_cols[] = { "host_id", "hostname", "org_unit", "product_id", "vendor_id",
					    "product_name", "version", "state", "confidence", "sources",
					    "n_artifacts", "received", NULL };

static int write_findings(FILE *f, enum excise_freport_format fmt, const struct excise_fleet_list *l,
			  const struct excise_fleet_findings *fs, struct excise_err *err)
{
	struct buf b;
	buf_init(&b, 0);
	int r = 0;
	struct rdoc d = { 0 };
	json_t *doc = NULL, *rows = NULL;
	if (fmt == EXCISE_FREPORT_JSON) {
		doc = json_object();
		rows = json_array();
		jset(&d, doc, "schema", json_string("excise.fleet-findings/1"));
		jset(&d, doc, "directive", jstr(&d, l->directive->id));
		jset(&d, doc, "as_of", jtime(&d, l->now));
	}
	else {
		for (size_t i = 0; finding_cols[i]; i++)
			buf_addf(&b, "%s%s", i ? (fmt == EXCISE_FREPORT_CSV ? "," : "\t") : "", finding_cols[i]);
		buf_addc(&b, '\n');
	}
	for (size_t i = 0; fs && i < fs->n && !r; i++) {
		const struct excise_fleet_finding *x = &fs->rows[i];
		char n[24], recv[32];
		snprintf(n, sizeof(n), "%llu", (unsigned long long)x->n_artifacts);
		time_str(x->received, recv);
		const char *v[] = { x->host_id, x->hostname,   x->org_unit,   x->product_id, x->vendor_id, x->product_name,
				    x->version, x->state,      x->confidence, x->sources,    n,            recv };
		if (fmt == EXCISE_FREPORT_JSON) {
			json_t *o = json_object();
			for (size_t c = 0; c < 12; c++)
				jset(&d, o, finding_cols[c],
				     c == 10 ? json_integer((json_int_t)x->n_artifacts) : jstr(&d, v[c]));
			jpush(&d, rows, o);
			continue;
		}
		for (size_t c = 0; c < 12; c++) {
			if (c)
				buf_adds(&b, fmt == EXCISE_FREPORT_CSV ? "," : "\t");
			if (fmt == EXCISE_FREPORT_CSV)
				csv_cell(&b, v[c]);
			else
				esc_text(&b, v[c]);
		}
		buf_addc(&b, '\n');
		if (b.n > (1u << 20))
			r = flush(f, &b, err);
	}
	if (doc) {
		jset(&d, doc, "findings", rows);
		jset(&d, doc, "count", json_integer((json_int_t)(fs ? fs->n : 0)));
		r = d.err ? d.err : dump_json(&b, doc);
		json_decref(doc);
		if (r < 0)
			r = err_setc(err, r, "report");
	}
	if (!r)
		r = flush(f, &b, err);
	buf_done(&b);
	return r;
}

static const char *const kind_names[] = { "day30", "day60", "status", "far", "hosts", "findings" };

int excise_freport_write(FILE *out, enum excise_freport_kind kind, enum excise_freport_format format,
			 const struct excise_fleet_list *l, const struct excise_fleet_findings *findings,
			 const struct excise_freport_config *cfg, const struct excise_catalog *c,
			 struct excise_err *err)
{
	if ((unsigned)kind > EXCISE_FREPORT_FINDINGS || (unsigned)format > EXCISE_FREPORT_HTML)
		return err_set(err, -EINVAL, "report: unknown kind or format");
	bool table = kind == EXCISE_FREPORT_HOSTS || kind == EXCISE_FREPORT_FINDINGS;
	if ((table && format == EXCISE_FREPORT_HTML) || (!table && format == EXCISE_FREPORT_CSV))
		return err_set(err, -EINVAL, "report %s: no %s form (CSV: hosts and findings; HTML: day30, day60, "
				       "status, far)", kind_names[kind], format == EXCISE_FREPORT_CSV ? "CSV" : "HTML");
	if (kind == EXCISE_FREPORT_HOSTS)
		return write_hosts(out, format, l, err);
	if (kind == EXCISE_FREPORT_FINDINGS)
		return write_findings(out, format, l, findings, err);
	static const char *const titles[] = { "day-30 report: products found", "day-60 plan of action",
					      "status report", "covered article report, paragraph (c)" };
	struct rdoc d = { 0 };
	struct prod *p = NULL;
	size_t n = 0;
	int r = products_of(l, findings, c, &p, &n);
	if (r == 0) {
		head(&d, titles[kind], l, l->org_unit);
		jset(&d, d.data, "report", json_string(kind_names[kind]));
		switch (kind) {
		case EXCISE_FREPORT_DAY30: day30(&d, l, p, n, cfg, c); break;
		case EXCISE_FREPORT_DAY60: day60(&d, l, p, n, cfg, c); break;
		case EXCISE_FREPORT_STATUS: status(&d, l); break;
		default: far(&d, l, p, n, cfg); break;
		}
		r = d.err;
	}
	struct buf b;
	buf_init(&b, 0);
	if (r == 0) {
		if (format == EXCISE_FREPORT_JSON)
			r = dump_json(&b, d.data);
		else if (format == EXCISE_FREPORT_HTML)
			render_html(&b, &d);
		else
			render_text(&b, &d);
	}
	r = r < 0 ? err_setc(err, r, "report") : flush(out, &b, err);
	if (r == 0 && fflush(out) == EOF)
		r = err_setc(err, -EIO, "report: write");
	buf_done(&b);
	rdoc_done(&d);
	prods_free(p, n);
	return r;
}
