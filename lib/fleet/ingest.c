/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest: a submitted document into the rows the store keeps (lib/fleet/ingest.h).
 *
 * Parsing (any thread): the JSON (at most EXCISE_MAX_SUBMIT_SIZE bytes) is read by
 * fjson (lib/fleet/fjson.c: a strict pass that refuses whatever jansson refuses,
 * duplicate members included, then cJSON's tree: the collector parses every document
 * on its request threads, and jansson alone took more CPU than a report has at the
 * goal rate) for what is stored; every other member is left as it is in the stored
 * body. Every member is read as jansson's typed reads would (an integer from its
 * text, exactly). The kind comes from `schema`, the id from report_id,
 * attestation_id or run_id, and for a plan (which has none) from the SHA-256 of its
 * bytes. A report is complete when no source failed (a source of
 * status "failed", a name in summary.sources_failed or the verdict "incomplete",
 * docs/report-format.md): an incomplete report never counts as clean. A finding
 * is covered by a directive of the collector's catalog when excise_directive_covers
 * says so for its product; a product the catalog lacks is covered by the
 * directives the report itself lists for it. Only strong and definitive findings
 * identify a host (weak ones never make a verdict "found").
 *
 * Applying (the writer thread, in the group's transaction): the document row
 * (a duplicate of (host, doc id) stops here and changes nothing), its findings,
 * the host's last_seen (a retired host comes back, audited), then per directive
 * the FACTS of host_directive, each from the document's own time so that
 * documents arriving out of order never move a "last" fact backwards:
 *   first_report, last_report      min / max time of any report
 *   last_complete(+_covered)       the latest complete report and whether it had a covered finding
 *   first/last_identified, products  reports with a covered finding; products of the latest
 *   plan_recorded                  the first plan with a step on a covered product
 *   removal_started                the first excise.removal/1 of a covered product
 *   removed                        the first complete report without a covered finding after the
 *                                  last identification (cleared when one is identified again later)
 *   verified                       the first clean attestation after the last identification,
 *                                  checked with excise_attest_check against the stored report it
 *                                  names (an attestation whose report is not stored yet waits,
 *                                  verdict "unchecked", and is checked when that report arrives)
 *   last_error                     the latest incomplete report
 *   first_determined               the first change of phase out of never_reported and error
 *                                  (the earliest such status_change; schema v4)
 * A change of the facts' phase (never_reported, error, clean, identified,
 * plan_recorded, removal_started, removed, verified) is a row of status_change.
 * The SQLite writer keeps what it read and wrote of each host (its facts, last_seen,
 * not retired) in memory, forgotten when another connection commits (PRAGMA
 * data_version) and at a rollback (struct hcache).
 */
#include "fleet/ingest.h"

#include <errno.h>
#include <inttypes.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/digest.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/macro.h"
#include "excise/attest.h"
#include "fleet/docbody.h"
#include "fleet/fjson.h"

/* ---- parsing ---- */

static int bad(struct excise_err *err, const char *ptr, const char *what)
{
	return err_set(err, -EXCISE_E_CORRUPT, "document: %s: %s", ptr, what);
}

enum { OPT = 0, REQ = 1, NUL_OK = 2 };

/* The member `key` of `o`, NULL when `o` is not an object or has none (jansson's
 * json_object_get: names compared byte for byte; fjson refused duplicates). */
static cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* Elements of an array, 0 for anything else (json_array_size). */
static size_t arr_size(const cJSON *a)
{
	size_t n = 0;
	for (const cJSON *x = cJSON_IsArray(a) ? a->child : NULL; x; x = x->next)
		n++;
	return n;
}

/* for (k, x) over the elements of `a` when it is an array (json_array_foreach) */
#define arr_foreach(a, k, x) for (k = 0, x = cJSON_IsArray(a) ? (a)->child : NULL; x; k++, x = x->next)

/* The string member `key` of `o` (NULL when absent or, with NUL_OK, null). */
static int get_str(const cJSON *o, const char *key, const char *at, unsigned flags, const char **ret,
		   struct excise_err *err)
{
	const cJSON *v = get(o, key);
	*ret = NULL;
	bool missing = !v && (flags & REQ);
	if (!missing && (!v || (cJSON_IsNull(v) && (flags & NUL_OK))))
		return 0;
	if (!missing && cJSON_IsString(v) && strnlen(v->valuestring, EXCISE_MAX_SUBMIT_FIELD + 1) <= EXCISE_MAX_SUBMIT_FIELD) {
		*ret = v->valuestring;
		return 0;
	}
	char ptr[320]; /* the member's path, for the error only (every document reads several) */
	snprintf(ptr, sizeof(ptr), "%s/%s", at, key);
	if (missing)
		return bad(err, ptr, "required member missing");
	return err_set(err, -EXCISE_E_CORRUPT, "document: %s: expected a string of at most %u bytes", ptr,
		       EXCISE_MAX_SUBMIT_FIELD);
}

static int dup_str(const cJSON *o, const char *key, const char *at, unsigned flags, char **ret, struct excise_err *err)
{
	const char *s;
	int r = get_str(o, key, at, flags, &s, err);
	if (r < 0)
		return r;
	*ret = NULL;
	if (s && !(*ret = strdup(s)))
		return err_set(err, -ENOMEM, "document: out of memory");
	return 0;
}

static const cJSON *get_obj(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);
	return cJSON_IsObject(v) ? v : NULL;
}

/* The string value of `v`, NULL when it is not a string (json_string_value). */
static const char *str_of(const cJSON *v)
{
	return cJSON_GetStringValue(v);
}

/* "2026-11-22T09:14:03.512Z" or without the fraction -> unix seconds; -1 when malformed. */
static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	const char *p = s + n;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (strcmp(p, "Z") || tm.tm_year < 1970 || tm.tm_year > 9999 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 ||
	    tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
		return -1;
	int mday = tm.tm_mday;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	return (t < 0 || tm.tm_mday != mday) ? -1 : (int64_t)t;
}

static int get_time(const cJSON *o, const char *key, const char *at, int64_t *ret, struct excise_err *err)
{
	const char *s;
	int r = get_str(o, key, at, REQ, &s, err);
	if (r < 0)
		return r;
	*ret = parse_time(s);
	if (*ret < 0) {
		char ptr[320];
		snprintf(ptr, sizeof(ptr), "%s/%s", at, key);
		return bad(err, ptr, "expected an RFC 3339 UTC time like 2026-11-22T09:14:03.512Z");
	}
	return 0;
}

/* Ids become keys: printable ASCII of a small set, 1 to 79 bytes. */
static int set_id(struct ingest_doc *d, const char *id, const char *ptr, struct excise_err *err)
{
	size_t n = strlen(id);
	if (n == 0 || n >= sizeof(d->doc_id))
		return bad(err, ptr, "expected an id of 1 to 79 characters");
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9') ||
		      strchr("-_.:", id[i])))
			return bad(err, ptr, "expected an id of letters, digits and - _ . :");
	memcpy(d->doc_id, id, n + 1);
	return 0;
}

/* A growing list of strings (borrowed), kept sorted and unique. */
struct strset {
	const char **v;
	size_t n, cap;
};

static int strset_add(struct strset *s, const char *x)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->v[mid], x);
		if (!c)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		const char **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof(*s->v));
	s->v[lo] = x;
	s->n++;
	return 0;
}

/* The strings joined with commas (a new string; "" for none). */
static char *strset_join(const struct strset *s)
{
	size_t len = 1;
	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + 1;
	char *out = malloc(len), *p = out;
	if (!out)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < s->n; i++)
		p = stpcpy(stpcpy(p, i ? "," : ""), s->v[i]);
	return out;
}

static void strset_done(struct strset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static bool strong(const char *confidence)
{
	return confidence && (!strcmp(confidence, "strong") || !strcmp(confidence, "definitive"));
}

/* One finding of a report. `prod` collects, per catalog directive, the covered products. */
static int parse_finding(const struct excise_catalog *cat, const cJSON *fo, size_t i, struct ingest_doc *d,
			 struct strset *prod, struct excise_err *err)
{
	char at[64];
	snprintf(at, sizeof(at), "/findings/%zu", i);
	if (!cJSON_IsObject(fo))
		return bad(err, at, "expected an object");
	struct ingest_finding *f = &d->findings[d->n_findings++];
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/product", at);
	const cJSON *po = get_obj(fo, "product");
	if (!po)
		return bad(err, sub, "expected an object");
	int r = dup_str(po, "id", sub, REQ, &f->product_id, err);
	if (r >= 0 && !*f->product_id)
		r = bad(err, sub, "empty product id");
	if (r >= 0)
		r = dup_str(po, "name", sub, NUL_OK, &f->product_name, err);
	const cJSON *vo = get_obj(fo, "vendor");
	snprintf(sub, sizeof(sub), "%s/vendor", at);
	if (r >= 0 && vo)
		r = dup_str(vo, "id", sub, NUL_OK, &f->vendor_id, err);
	if (r >= 0)
		r = dup_str(fo, "version", at, NUL_OK, &f->version, err);
	if (r >= 0)
		r = dup_str(fo, "state", at, NUL_OK, &f->state, err);
	if (r >= 0)
		r = dup_str(fo, "confidence", at, NUL_OK, &f->confidence, err);
	if (r < 0)
		return r;

	/* the report's own directive ids (used for products the collector's catalog lacks) */
	struct strset own = { 0 }, srcs = { 0 }, cover = { 0 };
	const cJSON *dv = get(fo, "directives"), *x;
	size_t k;
	if (dv && !cJSON_IsArray(dv))
		r = bad(err, at, "directives: expected an array");
	arr_foreach(dv, k, x)
	{
		const char *id = cJSON_IsObject(x) ? str_of(get(x, "id")) : str_of(x);
		if (r >= 0 && (!id || !*id || strlen(id) > EXCISE_MAX_SUBMIT_FIELD || strchr(id, ',')))
			r = err_set(err, -EXCISE_E_CORRUPT, "document: %s/directives/%zu: expected an id", at, k);
		if (r >= 0)
			r = strset_add(&own, id);
	}
	const cJSON *ev = get(fo, "evidence");
	if (r >= 0 && ev && !cJSON_IsArray(ev))
		r = bad(err, at, "evidence: expected an array");
	arr_foreach(ev, k, x)
	{
		const char *src = cJSON_IsObject(x) ? str_of(get(x, "source")) : NULL;
		if (r >= 0 && src && *src && !strchr(src, ',') && strlen(src) <= EXCISE_MAX_SUBMIT_FIELD)
			r = strset_add(&srcs, src);
		f->n_artifacts++;
	}
	const struct excise_product *p = excise_catalog_find_product(cat, f->product_id);
	for (size_t j = 0; r >= 0 && j < d->n_dirs; j++) {
		const struct excise_directive *dir = excise_catalog_directive(cat, j);
		bool cov = false;
		if (p)
			cov = excise_directive_covers(dir, p);
		else
			for (size_t m = 0; m < own.n && !cov; m++)
				cov = !strcmp(own.v[m], dir->id);
		if (cov && p)
			r = strset_add(&cover, dir->id);
		if (cov && strong(f->confidence)) {
			d->dirs[j].covered = true;
			if (r >= 0)
				r = strset_add(&prod[j], f->product_id);
		}
	}
	if (r >= 0 && (!(f->directives = strset_join(p ? &cover : &own)) || !(f->sources = strset_join(&srcs))))
		r = err_set(err, -ENOMEM, "document: out of memory");
	if (r == -ENOMEM && !err)
		r = -ENOMEM;
	strset_done(&own);
	strset_done(&srcs);
	strset_done(&cover);
	return r;
}

static int parse_report(const struct excise_catalog *cat, const cJSON *o, struct ingest_doc *d, struct excise_err *err)
{
	const char *id, *verdict;
	int r = get_str(o, "report_id", "", REQ, &id, err);
	if (r >= 0)
		r = set_id(d, id, "/report_id", err);
	if (r >= 0)
		r = get_time(o, "finished", "", &d->created, err);
	const cJSON *sum = get_obj(o, "summary");
	if (r >= 0 && !sum)
		r = bad(err, "/summary", "expected an object");
	if (r >= 0)
		r = get_str(sum, "verdict", "/summary", REQ, &verdict, err);
	if (r >= 0 && strcmp(verdict, "clean") && strcmp(verdict, "found") && strcmp(verdict, "incomplete"))
		r = bad(err, "/summary/verdict", "expected one of clean|found|incomplete");
	if (r < 0)
		return r;
	if (!(d->verdict = strdup(verdict)))
		return err_set(err, -ENOMEM, "document: out of memory");
	d->complete = strcmp(verdict, "incomplete") != 0;
	const cJSON *sf = get(sum, "sources_failed");
	if (sf && !cJSON_IsArray(sf))
		return bad(err, "/summary/sources_failed", "expected an array");
	if (arr_size(sf))
		d->complete = false;
	const cJSON *srcs = get(o, "sources"), *x;
	size_t k;
	if (!cJSON_IsArray(srcs))
		return bad(err, "/sources", "expected an array");
	arr_foreach(srcs, k, x)
	{
		const char *st = cJSON_IsObject(x) ? str_of(get(x, "status")) : NULL;
		if (!st)
			return err_set(err, -EXCISE_E_CORRUPT, "document: /sources/%zu/status: expected a string", k);
		if (!strcmp(st, "failed"))
			d->complete = false;
	}
	const cJSON *fs = get(o, "findings");
	if (!cJSON_IsArray(fs))
		return bad(err, "/findings", "expected an array");
	size_t n_fs = arr_size(fs);
	if (n_fs > EXCISE_MAX_SUBMIT_FINDINGS)
		return err_set(err, -EXCISE_E_LIMIT, "document: /findings: more than %u findings",
			       EXCISE_MAX_SUBMIT_FINDINGS);
	if (n_fs && !(d->findings = calloc(n_fs, sizeof(*d->findings))))
		return err_set(err, -ENOMEM, "document: out of memory");
	struct strset *prod = calloc(d->n_dirs + 1, sizeof(*prod));
	if (!prod)
		return err_set(err, -ENOMEM, "document: out of memory");
	arr_foreach(fs, k, x)
	{
		if (r >= 0)
			r = parse_finding(cat, x, k, d, prod, err);
	}
	for (size_t j = 0; j < d->n_dirs; j++) {
		if (r >= 0 && d->dirs[j].covered && !(d->dirs[j].products = strset_join(&prod[j])))
			r = err_set(err, -ENOMEM, "document: out of memory");
		strset_done(&prod[j]);
	}
	free(prod);
	return r;
}

/* The directives covering any of `products` (catalog products only). */
static int cover_products(const struct excise_catalog *cat, struct ingest_doc *d, const char *product)
{
	const struct excise_product *p = excise_catalog_find_product(cat, product);
	for (size_t j = 0; p && j < d->n_dirs; j++)
		if (excise_directive_covers(excise_catalog_directive(cat, j), p))
			d->dirs[j].covered = true;
	return 0;
}

static int parse_plan(const struct excise_catalog *cat, const cJSON *o, size_t created_ns, struct ingest_doc *d,
		      struct excise_err *err)
{
	/* no id of its own: the hash of its bytes */
	char hex[65];
	if (sha256_hex(d->body, d->len, hex) < 0)
		return err_set(err, -EIO, "plan: its SHA-256 could not be computed");
	snprintf(d->doc_id, sizeof(d->doc_id), "sha256:%s", hex);
	/* an integer (jansson's json_is_integer: no fraction or exponent) read from its
	 * text, exactly (cJSON keeps a double) */
	int64_t cn;
	int r = 0;
	if (created_ns != SIZE_MAX && fjson_int(d->body, created_ns, &cn) && cn >= 0)
		d->created = cn / 1000000000;
	else
		r = get_time(o, "created", "", &d->created, err);
	if (r >= 0)
		r = dup_str(o, "report_id", "", NUL_OK, &d->ref, err);
	const cJSON *steps = get(o, "steps"), *x;
	size_t k;
	if (r >= 0 && !cJSON_IsArray(steps))
		r = bad(err, "/steps", "expected an array");
	arr_foreach(r >= 0 ? steps : NULL, k, x)
	{
		if (!cJSON_IsObject(x)) {
			r = err_set(err, -EXCISE_E_CORRUPT, "document: /steps/%zu: expected an object", k);
			break;
		}
		const char *p = str_of(get(x, "product"));
		if (p)
			cover_products(cat, d, p);
	}
	return r;
}

static int parse_removal(const struct excise_catalog *cat, const cJSON *o, struct ingest_doc *d, struct excise_err *err)
{
	const char *id;
	int r = get_str(o, "run_id", "", REQ, &id, err);
	if (r >= 0)
		r = set_id(d, id, "/run_id", err);
	if (r >= 0)
		r = get_time(o, "started", "", &d->created, err);
	if (r >= 0)
		r = dup_str(o, "status", "", REQ, &d->verdict, err);
	if (r < 0)
		return r;
	const cJSON *ps = get(o, "products"), *x;
	size_t k;
	if (ps && !cJSON_IsArray(ps) && !cJSON_IsNull(ps))
		return bad(err, "/products", "expected an array of product ids");
	size_t n_ps = arr_size(ps);
	if (n_ps > EXCISE_MAX_SUBMIT_PRODUCTS)
		return err_set(err, -EXCISE_E_LIMIT, "document: /products: more than %u products",
			       EXCISE_MAX_SUBMIT_PRODUCTS);
	d->all_products = n_ps == 0;
	arr_foreach(ps, k, x)
	{
		if (!cJSON_IsString(x))
			return err_set(err, -EXCISE_E_CORRUPT, "document: /products/%zu: expected a string", k);
		cover_products(cat, d, x->valuestring);
	}
	return 0;
}

static int parse_attestation(const cJSON *o, struct ingest_doc *d, struct excise_err *err)
{
	struct excise_attest_info info = { 0 };
	int r = excise_attest_check("document", d->body, d->len, NULL, 0, &info, err);
	if (r < 0)
		return r;
	excise_attest_info_done(&info);
	const char *id;
	r = get_str(o, "attestation_id", "", REQ, &id, err);
	if (r >= 0)
		r = set_id(d, id, "/attestation_id", err);
	if (r >= 0)
		r = get_time(o, "created", "", &d->created, err);
	const cJSON *rep = get_obj(o, "report");
	if (r >= 0 && !rep)
		r = bad(err, "/report", "expected an object");
	if (r >= 0)
		r = dup_str(rep, "id", "/report", REQ, &d->ref, err);
	/* checked against its report when stored */
	if (r >= 0 && !(d->verdict = strdup("unchecked")))
		r = err_set(err, -ENOMEM, "document: out of memory");
	return r;
}

int ingest_parse(const struct excise_catalog *cat, const void *body, size_t len, struct ingest_doc *d,
		 struct excise_err *err)
{
	memset(d, 0, sizeof(*d));
	if (len > EXCISE_MAX_SUBMIT_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "document: %zu bytes, more than EXCISE_MAX_SUBMIT_SIZE (%u)", len,
			       EXCISE_MAX_SUBMIT_SIZE);
	d->n_dirs = excise_catalog_n_directives(cat);
	if (!(d->body = malloc(len + 1)) || !(d->dirs = calloc(d->n_dirs + 1, sizeof(*d->dirs))))
		return err_set(err, -ENOMEM, "document: out of memory");
	memcpy(d->body, body, len);
	d->body[len] = '\0';
	d->len = len;
	if (memchr(d->body, '\0', len))
		return bad(err, "/", "a NUL byte in the document");
	struct fjson j;
	int r = fjson_parse(&j, d->body, len, "created_ns", err);
	if (r < 0)
		return r;
	const cJSON *o = j.root;
	const char *schema = NULL;
	if (!cJSON_IsObject(o))
		r = bad(err, "/", "expected a JSON object");
	if (r >= 0)
		r = get_str(o, "schema", "", REQ, &schema, err);
	const cJSON *host = r >= 0 ? get_obj(o, "host") : NULL;
	if (r >= 0 && !host)
		r = bad(err, "/host", "expected an object");
	if (r >= 0)
		r = dup_str(host, "machine_id", "/host", NUL_OK, &d->machine_id, err);
	if (r < 0) {
	} else if (!strcmp(schema, "excise.report/2") || !strcmp(schema, "excise.report/1")) {
		d->kind = INGEST_REPORT;
		r = parse_report(cat, o, d, err);
	} else if (!strcmp(schema, "excise.plan/1")) {
		d->kind = INGEST_PLAN;
		r = parse_plan(cat, o, j.member_at, d, err);
	} else if (!strcmp(schema, "excise.removal/1")) {
		d->kind = INGEST_REMOVAL;
		r = parse_removal(cat, o, d, err);
	} else if (!strcmp(schema, EXCISE_ATTEST_SCHEMA)) {
		d->kind = INGEST_ATTESTATION;
		r = parse_attestation(o, d, err);
	} else
		r = bad(err, "/schema",
			"expected excise.report/2, excise.report/1, excise.plan/1, excise.removal/1 or "
			"excise.attestation/1");
	static const char *const kinds[] = { "report", "plan", "removal", "attestation" };
	snprintf(d->kind_name, sizeof(d->kind_name), "%s", kinds[d->kind]);
	fjson_done(&j);
	return r;
}

void ingest_doc_done(struct ingest_doc *d)
{
	for (size_t i = 0; i < d->n_findings; i++) {
		struct ingest_finding *f = &d->findings[i];
		free(f->product_id);
		free(f->vendor_id);
		free(f->product_name);
		free(f->version);
		free(f->state);
		free(f->confidence);
		free(f->directives);
		free(f->sources);
	}
	free(d->findings);
	for (size_t j = 0; d->dirs && j < d->n_dirs; j++)
		free(d->dirs[j].products);
	free(d->dirs);
	free(d->machine_id);
	free(d->verdict);
	free(d->ref);
	free(d->body);
	free(d->body_z);
	memset(d, 0, sizeof(*d));
}

/* ---- applying ---- */

enum {
	F_FIRST_REPORT,
	F_LAST_REPORT,
	F_LAST_COMPLETE,
	F_LAST_COMPLETE_COVERED,
	F_FIRST_IDENT,
	F_LAST_IDENT,
	F_PLAN,
	F_REMOVAL,
	F_REMOVED,
	F_VERIFIED,
	F_LAST_ERROR,
	F_FIRST_DET,
	F_N,
};

#define FACT_COLS                                                                                              \
	"first_report, last_report, last_complete, last_complete_covered, first_identified, last_identified, " \
	"plan_recorded, removal_started, removed, verified, last_error, first_determined, products"

struct facts {
	bool exists;
	bool set[F_N];
	int64_t v[F_N];
	char *products;
};

/* Rows a multi-row INSERT writes at once on PostgreSQL: 4 x 15 parameters stay within
 * PG_MAX_PARAMS (db-pg.c). SQLite: one (in->put_rows), as SQLite runs a statement that
 * writes several rows and may fail on a constraint with a statement journal, a copy of
 * each page it changes first (measured: most of the findings' insert) */
#define PUT_ROWS 4

struct ingest {
	struct db *db;
	const struct excise_catalog *cat;
	struct db_stmt *ins_doc, *seen, *back_audit, *back, *hd_get, *sc, *att_pending, *rep_body, *doc_verdict;
	struct db_stmt *hd_put[PUT_ROWS];   /* hd_put[k - 1]: the facts of k directives, inserted or updated */
	struct db_stmt *fin_put[PUT_ROWS];  /* fin_put[k - 1]: k findings */
	size_t put_rows;                    /* rows of hd_put and fin_put used a statement */
	struct facts *old, *nw;             /* update_all's, one per directive of the catalog */
	size_t *changed, *rest;
	struct db_stmt *hd_upd;             /* SQLite: the facts of one directive the host has, updated */
	const char *sql_ins, *sql_hd, *sql_att;
	struct db_stmt **copies;     /* PostgreSQL: ins_doc, hd_get, att_pending for each document of a run */
	size_t n_copies;
	/* SQLite: the unchecked attestations in the database (-1: not known), exact while no
	 * other connection commits (data_version, read at each transaction's start, says when
	 * one did) and no transaction of this writer rolls back (ingest_rolled_back); at 0 a
	 * report's att_pending is not run. PostgreSQL: always -1 (writers share the database) */
	struct db_stmt *att_count, *data_version;
	int64_t n_unchecked, data_ver;
	/* SQLite: what the writer knows of each host it stored a document of (struct hcache),
	 * valid under the same two conditions: hc_gen moves on (every entry then stale) when
	 * data_version says another connection committed, and at ingest_rolled_back. NULL on
	 * PostgreSQL. host_get: a host's last_seen and retirement, read when not known */
	struct hcache **hc;
	uint64_t hc_gen;
	unsigned hc_clock;
	struct db_stmt *host_get;
};

/* One host in the SQLite writer's cache: its facts as the writer last read or wrote
 * them (the rows of host_directive), and its last_seen once it is not retired. */
struct hcache {
	char host[80];        /* "": none */
	uint64_t gen;         /* valid when in->hc_gen */
	bool facts_ok;        /* f[] is the host's facts */
	bool seen_ok;         /* last_seen is the host row's, and the host is not retired */
	bool seen_set;        /* last_seen is not NULL */
	int64_t last_seen;
	struct facts f[];     /* one per directive of the catalog; products owned */
};

/* from the one list of the document's columns (ingest.h); send_doc binds them in its order */
#define INS_DOC_NAME(col, sep, param, how) sep #col
#define INS_DOC_PARAM(col, sep, param, how) sep param
#define INS_DOC                                                                                               \
	"INSERT INTO document (" INGEST_DOC_COLS(INS_DOC_NAME) ") VALUES (" INGEST_DOC_COLS(INS_DOC_PARAM) ")" \
	" ON CONFLICT (host_id, doc_id) DO NOTHING"

/* "HEAD" k rows of `cols` parameters each, "($1, ..., $cols), ($cols+1, ...)", then "TAIL". */
static int prepare_rows(struct db *db, struct db_stmt **ret, size_t k, struct excise_err *err, const char *head,
			int cols, const char *tail)
{
	char sql[2048];
	size_t n = (size_t)snprintf(sql, sizeof(sql), "%s", head);
	for (size_t row = 0; row < k && n < sizeof(sql); row++)
		for (int c = 1; c <= cols && n < sizeof(sql); c++)
			n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s$%zu%s", c == 1 ? (row ? ", (" : "(") : ", ",
					      row * (size_t)cols + (size_t)c, c == cols ? ")" : "");
	if (n < sizeof(sql))
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s", tail);
	if (n >= sizeof(sql))
		return err_set(err, -EXCISE_E_LIMIT, "store: a statement of %zu rows is too long", k);
	return db_prepare(db, sql, ret, err);
}

static const struct {
	size_t off;
	const char *sql;
} stmts[] = {
	{ offsetof(struct ingest, ins_doc), NULL },
	{ offsetof(struct ingest, seen), NULL },
	{ offsetof(struct ingest, back_audit),
	  "INSERT INTO audit (at, actor, action, subject, detail) SELECT CAST($1 AS BIGINT), 'ingest', 'host.unretire',"
	  " id, CAST($3 AS TEXT) FROM host WHERE id = $2 AND retired IS NOT NULL" },
	{ offsetof(struct ingest, back),
	  "UPDATE host SET retired = NULL, retired_reason = NULL, retired_by = NULL"
	  " WHERE id = $1 AND retired IS NOT NULL" },
	{ offsetof(struct ingest, hd_get), NULL },
	{ offsetof(struct ingest, sc),
	  "INSERT INTO status_change (host_id, directive_id, old_status, new_status, at, doc_id)"
	  " VALUES ($1, $2, $3, $4, $5, $6)" },
	{ offsetof(struct ingest, att_pending),
	  "SELECT doc_id, created, " DOCBODY_COLS " FROM document WHERE host_id = $1 AND kind = 'attestation' AND ref = $2"
	  " AND verdict = 'unchecked' ORDER BY created, doc_id" },
	{ offsetof(struct ingest, rep_body),
	  "SELECT " DOCBODY_COLS " FROM document WHERE host_id = $1 AND doc_id = $2 AND kind = 'report'" },
	{ offsetof(struct ingest, doc_verdict),
	  "UPDATE document SET verdict = $3, complete = $4 WHERE host_id = $1 AND doc_id = $2" },
};

static void hcache_free(struct hcache *e, size_t n)
{
	if (!e)
		return;
	for (size_t j = 0; j < n; j++)
		free(e->f[j].products);
	free(e);
}

/* The SQLite writer's entry of `host`, nothing known in it unless it was valid (the
 * same generation): its set of 4 slots (chosen by the FNV-1a hash of the id) holds it, or
 * takes it in an empty or stale slot, or in place of one of the 4 in turn. NULL on
 * PostgreSQL, or out of memory (the host is then read from the database as uncached). */
static struct hcache *hcache_get(struct ingest *in, const char *host)
{
	if (!in->hc)
		return NULL;
	uint32_t h = 2166136261u;
	const char *p = host;
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	if ((size_t)(p - host) >= sizeof(in->hc[0]->host))
		return NULL; /* (ids are 32 characters) */
	struct hcache **set = &in->hc[h & (EXCISE_MAX_INGEST_CACHE - 1) & ~3u], *e;
	int k, free_k = -1;
	for (k = 0; k < 4; k++) {
		e = set[k];
		if (e && !strcmp(e->host, host))
			break;
		if (free_k < 0 && (!e || e->gen != in->hc_gen))
			free_k = k;
	}
	if (k == 4) {
		k = free_k >= 0 ? free_k : (int)(in->hc_clock++ & 3);
		e = set[k];
		if (!e && !(e = calloc(1, sizeof(*e) + excise_catalog_n_directives(in->cat) * sizeof(e->f[0]))))
			return NULL;
		memcpy(e->host, host, (size_t)(p - host) + 1);
		e->gen = in->hc_gen + 1; /* not valid: reset below */
		set[k] = e;
	}
	if (e->gen != in->hc_gen) {
		e->gen = in->hc_gen;
		e->facts_ok = e->seen_ok = false;
	}
	return e;
}

void ingest_free(struct ingest *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(stmts); i++)
		db_finalize(*(struct db_stmt **)((char *)in + stmts[i].off));
	for (size_t k = 0; k < PUT_ROWS; k++) {
		db_finalize(in->hd_put[k]);
		db_finalize(in->fin_put[k]);
	}
	free(in->old);
	free(in->nw);
	free(in->changed);
	free(in->rest);
	db_finalize(in->hd_upd);
	for (size_t k = 0; k < 3 * in->n_copies; k++)
		db_finalize(in->copies[k]);
	free(in->copies);
	db_finalize(in->att_count);
	db_finalize(in->data_version);
	db_finalize(in->host_get);
	size_t n = excise_catalog_n_directives(in->cat);
	for (size_t k = 0; in->hc && k < EXCISE_MAX_INGEST_CACHE; k++)
		hcache_free(in->hc[k], n);
	free(in->hc);
	free(in);
}

int ingest_new(struct db *db, const struct excise_catalog *cat, struct ingest **ret, struct excise_err *err)
{
	struct ingest *in = calloc(1, sizeof(*in));
	if (!in)
		return err_set(err, -ENOMEM, "store: out of memory");
	in->db = db;
	in->cat = cat;
	in->n_unchecked = in->data_ver = -1;
	in->put_rows = db_is_pg(db) ? PUT_ROWS : 1;
	size_t n = excise_catalog_n_directives(cat);
	int r = 0;
	if (!db_is_pg(db))
		r = db_prepare(db, "SELECT COUNT(*) FROM document WHERE kind = 'attestation' AND verdict = 'unchecked'",
			       &in->att_count, err);
	if (r >= 0 && !db_is_pg(db))
		r = db_prepare(db, "PRAGMA data_version", &in->data_version, err);
	if (r >= 0 && !db_is_pg(db))
		r = db_prepare(db, "SELECT retired, last_seen FROM host WHERE id = $1", &in->host_get, err);
	if (r >= 0 && !db_is_pg(db))
		r = db_prepare(db,
			       "UPDATE host_directive SET first_report = $3, last_report = $4, last_complete = $5,"
			       " last_complete_covered = $6, first_identified = $7, last_identified = $8, plan_recorded = $9,"
			       " removal_started = $10, removed = $11, verified = $12, last_error = $13,"
			       " first_determined = $14, products = $15 WHERE host_id = $1 AND directive_id = $2",
			       &in->hd_upd, err);
	_Static_assert((EXCISE_MAX_INGEST_CACHE & (EXCISE_MAX_INGEST_CACHE - 1)) == 0 && EXCISE_MAX_INGEST_CACHE >= 4,
		       "EXCISE_MAX_INGEST_CACHE is a power of 2");
	if (r >= 0 && !db_is_pg(db) && !(in->hc = calloc(EXCISE_MAX_INGEST_CACHE, sizeof(*in->hc))))
		r = err_set(err, -ENOMEM, "store: out of memory");
	if (r >= 0 && (!(in->old = calloc(n + 1, sizeof(*in->old))) || !(in->nw = calloc(n + 1, sizeof(*in->nw))) ||
		       !(in->changed = calloc(n + 1, sizeof(*in->changed))) || !(in->rest = calloc(n + 1, sizeof(*in->rest)))))
		r = err_set(err, -ENOMEM, "store: out of memory");
	for (size_t k = 1; r >= 0 && k <= PUT_ROWS; k++) {
		r = prepare_rows(db, &in->hd_put[k - 1], k, err,
				 "INSERT INTO host_directive (host_id, directive_id, " FACT_COLS ") VALUES ", F_N + 3,
				 " ON CONFLICT (host_id, directive_id) DO UPDATE SET first_report = excluded.first_report,"
				 " last_report = excluded.last_report, last_complete = excluded.last_complete,"
				 " last_complete_covered = excluded.last_complete_covered,"
				 " first_identified = excluded.first_identified, last_identified = excluded.last_identified,"
				 " plan_recorded = excluded.plan_recorded, removal_started = excluded.removal_started,"
				 " removed = excluded.removed, verified = excluded.verified, last_error = excluded.last_error,"
				 " first_determined = excluded.first_determined, products = excluded.products");
		if (r >= 0)
			r = prepare_rows(db, &in->fin_put[k - 1], k, err,
					 "INSERT INTO finding (host_id, doc_id, received, created, product_id, vendor_id,"
					 " product_name, version, state, confidence, directives, sources, n_artifacts) VALUES ",
					 13, "");
	}
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(stmts); i++) {
		const char *sql = stmts[i].sql;
		/* several collectors may share a PostgreSQL database: the row is locked
		 * from its read to its update */
		/* SQLite: whether the document was new is sqlite3_changes (RETURNING costs a
		 * temporary table there); PostgreSQL: its row, read back from the pipeline */
		if (!sql && stmts[i].off == offsetof(struct ingest, ins_doc))
			sql = db_is_pg(db) ? INS_DOC " RETURNING 1" : INS_DOC;
		else if (!sql && stmts[i].off == offsetof(struct ingest, seen))
			sql = "UPDATE host SET last_seen = $2 WHERE id = $1 AND (last_seen IS NULL OR last_seen < $2)";
		else if (!sql)
			sql = db_is_pg(db) ? "SELECT " FACT_COLS ", directive_id FROM host_directive WHERE host_id = $1"
					     " FOR UPDATE" :
					     "SELECT " FACT_COLS ", directive_id FROM host_directive WHERE host_id = $1";
		r = db_prepare(db, sql, (struct db_stmt **)((char *)in + stmts[i].off), err);
		if (stmts[i].off == offsetof(struct ingest, ins_doc))
			in->sql_ins = sql;
		else if (stmts[i].off == offsetof(struct ingest, hd_get))
			in->sql_hd = sql;
		else if (stmts[i].off == offsetof(struct ingest, att_pending))
			in->sql_att = sql;
	}
	if (r < 0) {
		ingest_free(in);
		return r;
	}
	*ret = in;
	return 0;
}

/* A write whose rows are not read: PostgreSQL sends it with the next statement that waits. */
static int step_done(struct db_stmt *s, struct excise_err *err)
{
	return db_step_defer(s, err);
}

static int bind_opt(struct db_stmt *s, int i, bool set, int64_t v)
{
	return set ? db_bind_int64(s, i, v) : db_bind_null(s, i);
}

/* The facts of `host` for every directive of the catalog, in one query (already queued
 * with db_send when `sent`). */
static int facts_get(struct ingest *in, const char *host, bool sent, struct facts *v, size_t n,
		     struct excise_err *err)
{
	memset(v, 0, n * sizeof(*v));
	if (!sent)
		db_bind_text_static(in->hd_get, 1, host);
	int r;
	while ((r = db_step(in->hd_get, err)) == 1) {
		const char *dir = db_column_text(in->hd_get, F_N + 1);
		size_t j = 0;
		while (j < n && (!dir || strcmp(excise_catalog_directive(in->cat, j)->id, dir)))
			j++;
		if (j == n)
			continue; /* a directive the collector's catalog no longer has */
		struct facts *f = &v[j];
		f->exists = true;
		for (int i = 0; i < F_N; i++)
			if ((f->set[i] = !db_column_null(in->hd_get, i)))
				f->v[i] = db_column_int64(in->hd_get, i);
		const char *p = db_column_text(in->hd_get, F_N);
		if (p && !(f->products = strdup(p))) {
			r = err_set(err, -ENOMEM, "store: out of memory");
			break;
		}
	}
	db_reset(in->hd_get);
	return r < 0 ? r : 0;
}

/* The facts in->nw[j] of each directive j of `dirs`, inserted or updated, in->put_rows
 * a statement. SQLite: a row the host has (in->old[j].exists) by an UPDATE of that one row,
 * which SQLite runs without a statement journal (a multi-row INSERT that may abort on a
 * constraint copies each page it changes to one first) */
static int facts_put(struct ingest *in, const char *host, const size_t *dirs, size_t n, struct excise_err *err)
{
	int r = 0;
	if (in->hd_upd) {
		size_t nr = 0;
		for (size_t i = 0; r >= 0 && i < n; i++) {
			const struct facts *f = &in->nw[dirs[i]];
			if (!in->old[dirs[i]].exists) {
				in->rest[nr++] = dirs[i];
				continue;
			}
			struct db_stmt *s = in->hd_upd;
			db_bind_text_static(s, 1, host);
			db_bind_text_static(s, 2, excise_catalog_directive(in->cat, dirs[i])->id);
			for (int c = 0; c < F_N; c++)
				bind_opt(s, 3 + c, f->set[c], f->v[c]);
			db_bind_text_static(s, 3 + F_N, f->products);
			r = step_done(s, err);
			if (r >= 0 && db_changes(in->db) == 0) /* gone meanwhile: inserted below */
				in->rest[nr++] = dirs[i];
		}
		dirs = in->rest;
		n = r >= 0 ? nr : 0;
	}
	for (size_t i = 0; r >= 0 && i < n; i += in->put_rows) {
		size_t k = n - i < in->put_rows ? n - i : in->put_rows;
		struct db_stmt *s = in->hd_put[k - 1];
		for (size_t m = 0; m < k; m++) {
			const struct facts *f = &in->nw[dirs[i + m]];
			int b = (int)m * (F_N + 3);
			/* each string outlives the statement's run (at once on SQLite): no copy */
			db_bind_text_static(s, b + 1, host);
			db_bind_text_static(s, b + 2, excise_catalog_directive(in->cat, dirs[i + m])->id);
			for (int c = 0; c < F_N; c++)
				bind_opt(s, b + 3 + c, f->set[c], f->v[c]);
			db_bind_text_static(s, b + 3 + F_N, f->products);
		}
		r = step_done(s, err);
	}
	return r;
}

static bool facts_same(const struct facts *a, const struct facts *b)
{
	for (int i = 0; i < F_N; i++)
		if (a->set[i] != b->set[i] || (a->set[i] && a->v[i] != b->v[i]))
			return false;
	return (!a->products && !b->products) || (a->products && b->products && !strcmp(a->products, b->products));
}

/* The phase the facts are in (not the host's state: that is track.c's, with time,
 * exemptions and retirement), for status_change. NULL when nothing is known. */
static const char *phase(const struct facts *f)
{
	if (f->set[F_LAST_IDENT]) {
		if (f->set[F_VERIFIED])
			return "verified";
		if (f->set[F_REMOVED])
			return "removed";
		if (f->set[F_REMOVAL])
			return "removal_started";
		if (f->set[F_PLAN])
			return "plan_recorded";
		return "identified";
	}
	if (f->set[F_LAST_ERROR] && (!f->set[F_LAST_COMPLETE] || f->v[F_LAST_ERROR] > f->v[F_LAST_COMPLETE]))
		return "error";
	if (f->set[F_LAST_COMPLETE] || f->set[F_VERIFIED])
		return "clean";
	return f->set[F_LAST_REPORT] ? "never_reported" : NULL;
}

static void set_min(struct facts *f, int i, int64_t t)
{
	if (!f->set[i] || t < f->v[i]) {
		f->set[i] = true;
		f->v[i] = t;
	}
}

static void set_max(struct facts *f, int i, int64_t t)
{
	if (!f->set[i] || t > f->v[i]) {
		f->set[i] = true;
		f->v[i] = t;
	}
}

static void unset(struct facts *f, int i)
{
	f->set[i] = false;
	f->v[i] = 0;
}

/* A report at `t` about one directive. */
static int facts_report(struct facts *f, int64_t t, bool complete, bool covered, const char *products)
{
	set_min(f, F_FIRST_REPORT, t);
	set_max(f, F_LAST_REPORT, t);
	if (complete && (!f->set[F_LAST_COMPLETE] || t >= f->v[F_LAST_COMPLETE])) {
		f->set[F_LAST_COMPLETE] = f->set[F_LAST_COMPLETE_COVERED] = true;
		f->v[F_LAST_COMPLETE] = t;
		f->v[F_LAST_COMPLETE_COVERED] = covered;
	}
	if (!complete)
		set_max(f, F_LAST_ERROR, t);
	if (covered) {
		set_min(f, F_FIRST_IDENT, t);
		if (!f->set[F_LAST_IDENT] || t >= f->v[F_LAST_IDENT]) {
			f->set[F_LAST_IDENT] = true;
			f->v[F_LAST_IDENT] = t;
			free(f->products);
			if (!(f->products = strdup(products ? products : "")))
				return -ENOMEM;
		}
		/* found again at or after a removal or verification: those no longer hold */
		if (f->set[F_REMOVED] && f->v[F_REMOVED] <= f->v[F_LAST_IDENT])
			unset(f, F_REMOVED);
		if (f->set[F_VERIFIED] && f->v[F_VERIFIED] <= f->v[F_LAST_IDENT])
			unset(f, F_VERIFIED);
	}
	if (f->set[F_LAST_IDENT]) {
		int64_t li = f->v[F_LAST_IDENT];
		if (complete && !covered && t > li && (!f->set[F_REMOVED] || t < f->v[F_REMOVED]))
			f->set[F_REMOVED] = true, f->v[F_REMOVED] = t;
		/* an identification that arrived after the clean report it precedes */
		if (!f->set[F_REMOVED] && f->set[F_LAST_COMPLETE] && f->v[F_LAST_COMPLETE] > li &&
		    !f->v[F_LAST_COMPLETE_COVERED])
			f->set[F_REMOVED] = true, f->v[F_REMOVED] = f->v[F_LAST_COMPLETE];
	}
	return 0;
}

/* Apply what one document says about directive `j` (its facts read, changed, written). */
typedef int (*fact_fn)(struct facts *f, const struct ingest_doc *d, size_t j, int64_t t);

/* A status_change row when the facts of directive `j` moved to another phase. */
static int status_change(struct ingest *in, const char *host, const struct ingest_doc *d, size_t j, int64_t t,
			 struct excise_err *err)
{
	const struct facts *old = &in->old[j], *f = &in->nw[j];
	const char *p0 = old->exists ? phase(old) : NULL, *p1 = phase(f);
	if (!p1 || (p0 && !strcmp(p0, p1)))
		return 0;
	db_bind_text_static(in->sc, 1, host);
	db_bind_text_static(in->sc, 2, excise_catalog_directive(in->cat, j)->id);
	db_bind_text_static(in->sc, 3, p0);
	db_bind_text_static(in->sc, 4, p1);
	db_bind_int64(in->sc, 5, t);
	db_bind_text_static(in->sc, 6, d->doc_id);
	return step_done(in->sc, err);
}

/* first_determined: the earliest change of phase out of never_reported and error, the
 * time of the status_change row status_change writes for it. */
static void first_determined(const struct facts *old, struct facts *f, int64_t t)
{
	const char *p0 = old->exists ? phase(old) : NULL, *p1 = phase(f);
	if (p1 && (!p0 || strcmp(p0, p1)) && strcmp(p1, "error") && strcmp(p1, "never_reported"))
		set_min(f, F_FIRST_DET, t);
}

/* Apply `fn` to every directive of the catalog: the facts read (SQLite: unless `e`, the
 * host's cache entry, has them), changed, and those that changed written (facts_put) with
 * their phase changes; `e` then has them. */
static int update_all(struct ingest *in, struct hcache *e, const char *host, const struct ingest_doc *d, int64_t t,
		      fact_fn fn, bool sent, struct excise_err *err)
{
	size_t n = excise_catalog_n_directives(in->cat), nc = 0;
	memset(in->nw, 0, n * sizeof(*in->nw));
	/* SQLite: the facts the writer last read or wrote for the host, when still valid
	 * (its products borrowed from the cache); else read */
	bool hit = e && e->facts_ok;
	int r = 0;
	if (hit) {
		memcpy(in->old, e->f, n * sizeof(*in->old));
		if (sent)
			db_reset(in->hd_get);
	} else
		r = facts_get(in, host, sent, in->old, n, err);
	for (size_t j = 0; r >= 0 && j < n; j++) {
		in->nw[j] = in->old[j];
		in->nw[j].products = NULL;
		if (in->old[j].products && !(in->nw[j].products = strdup(in->old[j].products)))
			r = -ENOMEM;
		if (r >= 0)
			r = fn(&in->nw[j], d, j, t);
		if (r == -ENOMEM)
			r = err_set(err, r, "store: out of memory");
		if (r > 0)
			first_determined(&in->old[j], &in->nw[j], t);
		if (r > 0 && !facts_same(&in->old[j], &in->nw[j]))
			in->changed[nc++] = j;
	}
	if (r >= 0)
		r = facts_put(in, host, in->changed, nc, err);
	for (size_t i = 0; r >= 0 && i < nc; i++)
		r = status_change(in, host, d, in->changed[i], t, err);
	/* the cache takes the facts as written (a row written now exists) */
	for (size_t i = 0; r >= 0 && e && i < nc; i++)
		in->nw[in->changed[i]].exists = true;
	for (size_t j = 0; r >= 0 && e && j < n; j++) {
		free(e->f[j].products);
		e->f[j] = in->nw[j];
		in->nw[j].products = NULL;
	}
	if (e)
		e->facts_ok = r >= 0;
	for (size_t j = 0; j < n; j++) {
		if (!hit)
			free(in->old[j].products);
		free(in->nw[j].products);
	}
	return r < 0 ? r : 0;
}

/* Each fn returns 1 when it applies (the facts may have changed), 0 when not, < 0. */
static int fn_report(struct facts *f, const struct ingest_doc *d, size_t j, int64_t t)
{
	int r = facts_report(f, t, d->complete, d->dirs[j].covered, d->dirs[j].products);
	return r < 0 ? r : 1;
}

static int fn_plan(struct facts *f, const struct ingest_doc *d, size_t j, int64_t t)
{
	if (!d->dirs[j].covered)
		return 0;
	set_min(f, F_PLAN, t);
	return 1;
}

static int fn_removal(struct facts *f, const struct ingest_doc *d, size_t j, int64_t t)
{
	if (!(d->dirs[j].covered || (d->all_products && f->set[F_LAST_IDENT])))
		return 0;
	set_min(f, F_REMOVAL, t);
	return 1;
}

/* A clean attestation, checked, at `t`. */
static int fn_verified(struct facts *f, const struct ingest_doc *d, size_t j, int64_t t)
{
	(void)d;
	(void)j;
	if (f->set[F_LAST_IDENT] && t <= f->v[F_LAST_IDENT])
		return 0;
	if (f->set[F_VERIFIED] && (!f->set[F_LAST_IDENT] || f->v[F_VERIFIED] > f->v[F_LAST_IDENT]) &&
	    f->v[F_VERIFIED] <= t)
		return 0;
	f->set[F_VERIFIED] = true;
	f->v[F_VERIFIED] = t;
	return 1;
}

/* Check the attestation `att` (stored as doc `att_id`) against the stored report it
 * names; record its verdict and, when clean, the verified fact. Attestations whose
 * report is not stored are left "unchecked". */
static int attest(struct ingest *in, const char *host, const char *att_id, const char *att, size_t att_len,
		  const char *ref, int64_t t, struct excise_err *err)
{
	db_bind_text(in->rep_body, 1, host);
	db_bind_text(in->rep_body, 2, ref);
	int r = db_step(in->rep_body, err);
	char *rep = NULL;
	size_t rep_len = 0;
	if (r == 1 && (r = docbody_read(in->rep_body, 0, ref, &rep, &rep_len, err)) == 0)
		r = 1;
	db_reset(in->rep_body);
	if (r <= 0) /* failed, or the report is not stored yet */
		return r;
	struct excise_attest_info info = { 0 };
	struct excise_err e2 = { 0 };
	int c = excise_attest_check("attestation", att, att_len, rep, rep_len, &info, &e2);
	free(rep);
	const char *verdict = c < 0 ? "invalid" : info.verdict;
	bool clean = c >= 0 && !strcmp(info.verdict, "clean");
	db_bind_text(in->doc_verdict, 1, host);
	db_bind_text(in->doc_verdict, 2, att_id);
	db_bind_text(in->doc_verdict, 3, verdict);
	db_bind_int64(in->doc_verdict, 4, c >= 0 && strcmp(info.verdict, "incomplete"));
	r = step_done(in->doc_verdict, err);
	if (r >= 0 && in->n_unchecked > 0) /* the attestation (stored unchecked) is checked */
		in->n_unchecked--;
	excise_attest_info_done(&info);
	struct ingest_doc fake = { .doc_id = { 0 } };
	snprintf(fake.doc_id, sizeof(fake.doc_id), "%s", att_id);
	if (r >= 0 && clean)
		r = update_all(in, hcache_get(in, host), host, &fake, t, fn_verified, false, err);
	return r;
}

/* After a report is stored: the attestations that were waiting for it (the query
 * already queued with the document's insert). */
static int attest_pending(struct ingest *in, const char *host, const char *report_id, struct excise_err *err)
{
	struct pend {
		char *id, *body;
		size_t len;
		int64_t t;
	} *v = NULL;
	size_t n = 0;
	int r;
	while ((r = db_step(in->att_pending, err)) == 1) {
		struct pend *nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			r = err_set(err, -ENOMEM, "store: out of memory");
			break;
		}
		v = nv;
		v[n] = (struct pend){ .id = strdup(db_column_text(in->att_pending, 0)),
				      .t = db_column_int64(in->att_pending, 1) };
		if (!v[n++].id) {
			r = err_set(err, -ENOMEM, "store: out of memory");
			break;
		}
		if ((r = docbody_read(in->att_pending, 2, v[n - 1].id, &v[n - 1].body, &v[n - 1].len, err)) < 0)
			break;
	}
	db_reset(in->att_pending);
	for (size_t i = 0; i < n; i++) {
		if (r >= 0)
			r = attest(in, host, v[i].id, v[i].body, v[i].len, report_id, v[i].t, err);
		free(v[i].id);
		free(v[i].body);
	}
	free(v);
	return r;
}

static const fact_fn fns[] = { fn_report, fn_plan, fn_removal, NULL };

/* ---- a host's facts folded in memory, for ingest-pg.c's set-based group apply ---- */

struct ingest_facts {
	const struct excise_catalog *cat;
	size_t n;
	struct facts *f;   /* one per directive of the catalog */
	bool *dirty;       /* changed since loaded */
	bool *loaded;      /* its row was there when loaded (locked: still there) */
};

_Static_assert(F_N == INGEST_FACT_N, "INGEST_FACT_N is the number of fact columns before products");
const char ingest_fact_cols[] = FACT_COLS;

int ingest_facts_new(const struct excise_catalog *cat, struct ingest_facts **ret)
{
	struct ingest_facts *h = calloc(1, sizeof(*h));
	size_t n = excise_catalog_n_directives(cat);
	if (!h || !(h->f = calloc(n + 1, sizeof(*h->f))) || !(h->dirty = calloc(n + 1, sizeof(*h->dirty))) ||
	    !(h->loaded = calloc(n + 1, sizeof(*h->loaded)))) {
		ingest_facts_free(h);
		return -ENOMEM;
	}
	h->cat = cat;
	h->n = n;
	*ret = h;
	return 0;
}

void ingest_facts_free(struct ingest_facts *h)
{
	if (!h)
		return;
	for (size_t j = 0; h->f && j < h->n; j++)
		free(h->f[j].products);
	free(h->f);
	free(h->dirty);
	free(h->loaded);
	free(h);
}

int ingest_facts_load(struct ingest_facts *h, struct db_stmt *s, int col)
{
	const char *dir = db_column_text(s, col + F_N + 1);
	size_t j = 0;
	while (j < h->n && (!dir || strcmp(excise_catalog_directive(h->cat, j)->id, dir)))
		j++;
	if (j == h->n)
		return 0; /* a directive the collector's catalog no longer has */
	struct facts *f = &h->f[j];
	f->exists = h->loaded[j] = true;
	for (int i = 0; i < F_N; i++)
		f->v[i] = (f->set[i] = !db_column_null(s, col + i)) ? db_column_int64(s, col + i) : 0;
	const char *p = db_column_text(s, col + F_N);
	free(f->products);
	f->products = NULL;
	return p && !(f->products = strdup(p)) ? -ENOMEM : 0;
}

int ingest_facts_fold(struct ingest_facts *h, const struct ingest_doc *d, ingest_phase_fn pf, void *ctx)
{
	fact_fn fn = fns[d->kind];
	if (!fn)
		return -EXCISE_E_USAGE; /* an attestation is checked against its report: ingest_apply */
	int r = 0;
	for (size_t j = 0; r >= 0 && j < h->n; j++) {
		struct facts *old = &h->f[j], nw = *old;
		nw.products = NULL;
		if (old->products && !(nw.products = strdup(old->products)))
			r = -ENOMEM;
		if (r >= 0)
			r = fn(&nw, d, j, d->created);
		if (r > 0)
			first_determined(old, &nw, d->created);
		if (r > 0 && !facts_same(old, &nw)) {
			/* as update_all and status_change: the phase before and after */
			const char *p0 = old->exists ? phase(old) : NULL, *p1 = phase(&nw);
			if (p1 && !(p0 && !strcmp(p0, p1)))
				r = pf(ctx, j, p0, p1);
			free(old->products);
			*old = nw;
			old->exists = h->dirty[j] = true;
		} else
			free(nw.products);
	}
	return r < 0 ? r : 0;
}

bool ingest_facts_get(const struct ingest_facts *h, size_t j, bool set[INGEST_FACT_N], int64_t v[INGEST_FACT_N],
		      const char **products, bool *loaded)
{
	if (j >= h->n || !h->dirty[j])
		return false;
	*loaded = h->loaded[j];
	memcpy(set, h->f[j].set, sizeof(h->f[j].set));
	memcpy(v, h->f[j].v, sizeof(h->f[j].v));
	*products = h->f[j].products;
	return true;
}

/* Queue the document's insert, its host's facts and (a report) the attestations waiting
 * for it, on the statements given (copies of ins_doc, hd_get, att_pending). */
static int send_doc(struct ingest *in, const char *host, const struct ingest_doc *d, int64_t now,
		    struct db_stmt *ins, struct db_stmt *hd, struct db_stmt *att, struct excise_err *err)
{
	/* the document and its host's id (the writer's job) outlive the statement's run: bound
	 * without a copy (SQLite); compressed, body is '' (NOT NULL since version 1) */
	db_bind_text_static(ins, 1, host);
	db_bind_text_static(ins, 2, d->doc_id);
	db_bind_text_static(ins, 3, d->kind_name);
	db_bind_int64(ins, 4, now);
	db_bind_int64(ins, 5, d->created);
	db_bind_int64(ins, 6, d->complete);
	db_bind_text_static(ins, 7, d->verdict);
	db_bind_text_static(ins, 8, d->body_z ? "" : d->body);
	db_bind_text_static(ins, 9, d->ref);
	db_bind_blob_static(ins, 10, d->body_z, d->body_z_len);
	db_bind_text_static(ins, 11, d->body_z ? DOCBODY_CODEC : NULL);
	if (d->body_z)
		db_bind_int64(ins, 12, (int64_t)d->len);
	else
		db_bind_null(ins, 12);
	int r = db_send(ins, err);
	if (r >= 0 && fns[d->kind]) {
		db_bind_text_static(hd, 1, host);
		r = db_send(hd, err);
	}
	if (r >= 0 && d->kind == INGEST_REPORT && in->n_unchecked != 0) {
		db_bind_text_static(att, 1, host);
		db_bind_text_static(att, 2, d->doc_id);
		r = db_send(att, err);
	}
	return r;
}

/* Whether the queued insert stored the document (1) or found it there (0). */
static int stored(struct ingest *in, struct db_stmt *ins, struct db_stmt *hd, struct db_stmt *att,
		  struct excise_err *err)
{
	int r = db_step(ins, err);
	if (r >= 0 && !db_is_pg(in->db))
		r = db_changes(in->db) > 0;
	db_reset(ins);
	if (r <= 0) {
		db_reset(hd);
		db_reset(att);
	}
	return r;
}

/* The rest of a stored document: findings, the host, the facts (read from in->hd_get
 * and in->att_pending, already queued). */
static int apply_rest(struct ingest *in, const char *host, const struct ingest_doc *d, int64_t now,
		      struct excise_err *err)
{
	int r = 0;
	/* the findings, in->put_rows a statement */
	for (size_t i = 0; r >= 0 && i < d->n_findings; i += in->put_rows) {
		size_t k = d->n_findings - i < in->put_rows ? d->n_findings - i : in->put_rows;
		struct db_stmt *s = in->fin_put[k - 1];
		for (size_t m = 0; m < k; m++) {
			const struct ingest_finding *f = &d->findings[i + m];
			int b = (int)m * 13;
			db_bind_text_static(s, b + 1, host); /* the document outlives the statement's run */
			db_bind_text_static(s, b + 2, d->doc_id);
			db_bind_int64(s, b + 3, now);
			db_bind_int64(s, b + 4, d->created);
			db_bind_text_static(s, b + 5, f->product_id);
			db_bind_text_static(s, b + 6, f->vendor_id);
			db_bind_text_static(s, b + 7, f->product_name);
			db_bind_text_static(s, b + 8, f->version);
			db_bind_text_static(s, b + 9, f->state);
			db_bind_text_static(s, b + 10, f->confidence);
			db_bind_text_static(s, b + 11, f->directives);
			db_bind_text_static(s, b + 12, f->sources);
			db_bind_int64(s, b + 13, f->n_artifacts);
		}
		r = step_done(s, err);
	}
	/* the host's last_seen and whether it is retired. PostgreSQL: the three statements
	 * are sent without waiting (each does nothing when the host is not retired), a round
	 * trip dearer than two statements. SQLite: both read once (host_get) and then known
	 * (the cache), so that a document whose last_seen is not newer writes no host row */
	struct hcache *e = hcache_get(in, host);
	bool retired = !in->host_get, seen_set = false;
	int64_t seen = 0;
	if (r >= 0 && e && e->seen_ok) {
		retired = false;
		seen_set = e->seen_set;
		seen = e->last_seen;
	} else if (r >= 0 && in->host_get) {
		db_bind_text_static(in->host_get, 1, host);
		if ((r = db_step(in->host_get, err)) == 1) {
			retired = !db_column_null(in->host_get, 0);
			seen_set = !db_column_null(in->host_get, 1);
			seen = db_column_int64(in->host_get, 1);
		}
		db_reset(in->host_get);
	}
	if (r >= 0 && (!seen_set || seen < now)) {
		db_bind_text_static(in->seen, 1, host);
		db_bind_int64(in->seen, 2, now);
		r = step_done(in->seen, err);
	}
	if (r >= 0 && e) {
		e->seen_ok = true; /* (and not retired: below) */
		e->seen_set = true;
		e->last_seen = seen_set && seen > now ? seen : now;
	}
	/* a retired host that submits comes back, audited */
	if (r >= 0 && retired) {
		char detail[160];
		snprintf(detail, sizeof(detail), "retired host submitted %s %s: back in the fleet", d->kind_name,
			 d->doc_id);
		db_bind_int64(in->back_audit, 1, now);
		db_bind_text(in->back_audit, 2, host);
		db_bind_text(in->back_audit, 3, detail);
		r = step_done(in->back_audit, err);
		if (r >= 0) {
			db_bind_text(in->back, 1, host);
			r = step_done(in->back, err);
		}
	}
	if (r < 0) {
		db_reset(in->hd_get);
		db_reset(in->att_pending);
		return r;
	}
	if (fns[d->kind])
		r = update_all(in, e, host, d, d->created, fns[d->kind], true, err);
	if (d->kind == INGEST_REPORT && in->n_unchecked != 0) { /* (as send_doc saw it) */
		if (r >= 0)
			r = attest_pending(in, host, d->doc_id, err);
		else
			db_reset(in->att_pending);
	}
	if (d->kind == INGEST_ATTESTATION && in->n_unchecked >= 0)
		in->n_unchecked++; /* stored unchecked */
	if (r >= 0 && d->kind == INGEST_ATTESTATION)
		r = attest(in, host, d->doc_id, d->body, d->len, d->ref, d->created, err);
	return r;
}

/* SQLite, at a transaction's start: what the writer knows of the database forgotten
 * when another connection committed since the last transaction's start (the host cache
 * then stale) or a transaction rolled back; in->n_unchecked read again then. */
static int writer_sync(struct ingest *in, struct excise_err *err)
{
	if (!in->data_version)
		return 0;
	int r = db_step(in->data_version, err);
	int64_t v = r == 1 ? db_column_int64(in->data_version, 0) : -1;
	db_reset(in->data_version);
	if (r >= 0 && v != in->data_ver) {
		in->hc_gen++;
		in->n_unchecked = -1;
	}
	if (r >= 0 && in->n_unchecked < 0) {
		in->data_ver = -1;
		if ((r = db_step(in->att_count, err)) == 1) {
			in->n_unchecked = db_column_int64(in->att_count, 0);
			in->data_ver = v;
		}
		db_reset(in->att_count);
	}
	return r < 0 ? r : 0;
}

void ingest_rolled_back(struct ingest *in)
{
	in->n_unchecked = -1;
	in->hc_gen++;
}

static int apply_one(struct ingest *in, const char *host, const struct ingest_doc *d, int64_t now,
		     enum excise_submit_status *ret, struct excise_err *err)
{
	/* the document and the host's facts, asked together (one round trip on PostgreSQL) */
	int r = send_doc(in, host, d, now, in->ins_doc, in->hd_get, in->att_pending, err);
	if (r >= 0)
		r = stored(in, in->ins_doc, in->hd_get, in->att_pending, err);
	else {
		db_reset(in->ins_doc);
		db_reset(in->hd_get);
		db_reset(in->att_pending);
	}
	if (r < 0)
		return r;
	*ret = r ? EXCISE_SUBMIT_STORED : EXCISE_SUBMIT_DUPLICATE;
	return r ? apply_rest(in, host, d, now, err) : 0;
}

int ingest_apply(struct ingest *in, const char *host, const struct ingest_doc *d, int64_t now,
		 enum excise_submit_status *ret, struct excise_err *err)
{
	int r = writer_sync(in, err);
	return r < 0 ? r : apply_one(in, host, d, now, ret, err);
}

/* Copies of the statements a run of documents queues at once (PostgreSQL). */
static int copies(struct ingest *in, size_t n, struct excise_err *err)
{
	if (n <= in->n_copies)
		return 0;
	struct db_stmt **v = realloc(in->copies, 3 * n * sizeof(*v));
	if (!v)
		return err_set(err, -ENOMEM, "store: out of memory");
	in->copies = v;
	for (size_t k = in->n_copies; k < n; k++) {
		v[3 * k] = v[3 * k + 1] = v[3 * k + 2] = NULL;
		int r = db_prepare(in->db, in->sql_ins, &v[3 * k], err);
		if (r >= 0)
			r = db_prepare(in->db, in->sql_hd, &v[3 * k + 1], err);
		if (r >= 0)
			r = db_prepare(in->db, in->sql_att, &v[3 * k + 2], err);
		if (r < 0) {
			for (int m = 0; m < 3; m++)
				db_finalize(v[3 * k + m]);
			return r;
		}
		in->n_copies = k + 1;
	}
	return 0;
}

int ingest_apply_many(struct ingest *in, struct ingest_item *items, size_t n, struct excise_err *err)
{
	int r = 0;
	if (!db_is_pg(in->db)) {
		r = writer_sync(in, err);
		for (size_t i = 0; r >= 0 && i < n; i++)
			r = apply_one(in, items[i].host, items[i].doc, items[i].now, &items[i].status, err);
		return r;
	}
	/* runs of documents of distinct hosts: each run's inserts and reads in one round trip
	 * (a host's facts read at the start of a run are its facts until its document) */
	struct db_stmt *hd0 = in->hd_get, *att0 = in->att_pending;
	for (size_t i = 0; r >= 0 && i < n;) {
		size_t e = i + 1;
		while (e < n) {
			bool seen = false;
			for (size_t k = i; k < e && !seen; k++)
				seen = !strcmp(items[k].host, items[e].host);
			if (seen)
				break;
			e++;
		}
		r = copies(in, e - i, err);
		for (size_t k = i; r >= 0 && k < e; k++) {
			struct db_stmt **c = &in->copies[3 * (k - i)];
			r = send_doc(in, items[k].host, items[k].doc, items[k].now, c[0], c[1], c[2], err);
		}
		for (size_t k = i; k < e; k++) {
			struct db_stmt **c = &in->copies[3 * (k - i)];
			if (r >= 0)
				r = stored(in, c[0], c[1], c[2], err);
			else {
				db_reset(c[0]);
				db_reset(c[1]);
				db_reset(c[2]);
			}
			if (r >= 0)
				items[k].status = r ? EXCISE_SUBMIT_STORED : EXCISE_SUBMIT_DUPLICATE;
		}
		for (size_t k = i; k < e; k++) {
			struct db_stmt **c = &in->copies[3 * (k - i)];
			if (r >= 0 && items[k].status == EXCISE_SUBMIT_STORED) {
				in->hd_get = c[1];
				in->att_pending = c[2];
				r = apply_rest(in, items[k].host, items[k].doc, items[k].now, err);
				in->hd_get = hd0;
				in->att_pending = att0;
			} else {
				db_reset(c[1]);
				db_reset(c[2]);
			}
		}
		i = e;
	}
	return r < 0 ? r : 0;
}
