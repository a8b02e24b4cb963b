/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector's reading of a submitted document as it was before fjson (issue 15):
 * jansson's json_loadb with JSON_REJECT_DUPLICATES, then the same reads as
 * lib/fleet/ingest.c, written with jansson's calls. It lives on only here, for the
 * differential checks of fuzz-ingest and tests/unit/test-ingest.c: whatever
 * ingest_parse takes, this must take too and read the same (ingest_ref_compare).
 * Keep it as it was: it is the reference, not a second implementation to improve.
 */
#include "ingest-ref.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/limits.h"
#include "excise/attest.h"
#include "fleet/fjson.h"


static int bad(struct excise_err *err, const char *ptr, const char *what)
{
	return err_set(err, -EXCISE_E_CORRUPT, "document: %s: %s", ptr, what);
}

enum { OPT = 0, REQ = 1, NUL_OK = 2 };

/* The string member `key` of `o` (NULL when absent or, with NUL_OK, null). */
static int get_str(json_t *o, const char *key, const char *at, unsigned flags, const char **ret,
		   struct excise_err *err)
{
	char ptr[320];
	snprintf(ptr, sizeof(ptr), "%s/%s", at, key);
	json_t *v = json_object_get(o, key);
	*ret = NULL;
	if (!v || (json_is_null(v) && (flags & NUL_OK)))
		return (!v && (flags & REQ)) ? bad(err, ptr, "required member missing") : 0;
	if (!json_is_string(v) || json_string_length(v) > EXCISE_MAX_SUBMIT_FIELD)
		return err_set(err, -EXCISE_E_CORRUPT, "document: %s: expected a string of at most %u bytes", ptr,
			       EXCISE_MAX_SUBMIT_FIELD);
	*ret = json_string_value(v);
	return 0;
}

static int dup_str(json_t *o, const char *key, const char *at, unsigned flags, char **ret, struct excise_err *err)
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

static json_t *get_obj(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_object(v) ? v : NULL;
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

static int get_time(json_t *o, const char *key, const char *at, int64_t *ret, struct excise_err *err)
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
static int parse_finding(const struct excise_catalog *cat, json_t *fo, size_t i, struct ingest_doc *d,
			 struct strset *prod, struct excise_err *err)
{
	char at[64];
	snprintf(at, sizeof(at), "/findings/%zu", i);
	if (!json_is_object(fo))
		return bad(err, at, "expected an object");
	struct ingest_finding *f = &d->findings[d->n_findings++];
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/product", at);
	json_t *po = get_obj(fo, "product");
	if (!po)
		return bad(err, sub, "expected an object");
	int r = dup_str(po, "id", sub, REQ, &f->product_id, err);
	if (r >= 0 && !*f->product_id)
		r = bad(err, sub, "empty product id");
	if (r >= 0)
		r = dup_str(po, "name", sub, NUL_OK, &f->product_name, err);
	json_t *vo = get_obj(fo, "vendor");
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
	json_t *dv = json_object_get(fo, "directives"), *x;
	size_t k;
	if (dv && !json_is_array(dv))
		r = bad(err, at, "directives: expected an array");
	json_array_foreach(json_is_array(dv) ? dv : NULL, k, x)
	{
		const char *id = json_is_object(x) ? json_string_value(json_object_get(x, "id")) : json_string_value(x);
		if (r >= 0 && (!id || !*id || strlen(id) > EXCISE_MAX_SUBMIT_FIELD || strchr(id, ',')))
			r = err_set(err, -EXCISE_E_CORRUPT, "document: %s/directives/%zu: expected an id", at, k);
		if (r >= 0)
			r = strset_add(&own, id);
	}
	json_t *ev = json_object_get(fo, "evidence");
	if (r >= 0 && ev && !json_is_array(ev))
		r = bad(err, at, "evidence: expected an array");
	json_array_foreach(json_is_array(ev) ? ev : NULL, k, x)
	{
		const char *src = json_is_object(x) ? json_string_value(json_object_get(x, "source")) : NULL;
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

static int parse_report(const struct excise_catalog *cat, json_t *o, struct ingest_doc *d, struct excise_err *err)
{
	const char *id, *verdict;
	int r = get_str(o, "report_id", "", REQ, &id, err);
	if (r >= 0)
		r = set_id(d, id, "/report_id", err);
	if (r >= 0)
		r = get_time(o, "finished", "", &d->created, err);
	json_t *sum = get_obj(o, "summary");
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
	json_t *sf = json_object_get(sum, "sources_failed");
	if (sf && !json_is_array(sf))
		return bad(err, "/summary/sources_failed", "expected an array");
	if (json_array_size(sf))
		d->complete = false;
	json_t *srcs = json_object_get(o, "sources"), *x;
	size_t k;
	if (!json_is_array(srcs))
		return bad(err, "/sources", "expected an array");
	json_array_foreach(srcs, k, x)
	{
		const char *st = json_is_object(x) ? json_string_value(json_object_get(x, "status")) : NULL;
		if (!st)
			return err_set(err, -EXCISE_E_CORRUPT, "document: /sources/%zu/status: expected a string", k);
		if (!strcmp(st, "failed"))
			d->complete = false;
	}
	json_t *fs = json_object_get(o, "findings");
	if (!json_is_array(fs))
		return bad(err, "/findings", "expected an array");
	if (json_array_size(fs) > EXCISE_MAX_SUBMIT_FINDINGS)
		return err_set(err, -EXCISE_E_LIMIT, "document: /findings: more than %u findings",
			       EXCISE_MAX_SUBMIT_FINDINGS);
	if (json_array_size(fs) && !(d->findings = calloc(json_array_size(fs), sizeof(*d->findings))))
		return err_set(err, -ENOMEM, "document: out of memory");
	struct strset *prod = calloc(d->n_dirs + 1, sizeof(*prod));
	if (!prod)
		return err_set(err, -ENOMEM, "document: out of memory");
	json_array_foreach(fs, k, x)
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

static int parse_plan(const struct excise_catalog *cat, json_t *o, struct ingest_doc *d, struct excise_err *err)
{
	/* no id of its own: the hash of its bytes */
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)d->body, d->len);
	memcpy(d->doc_id, "sha256:", 7);
	sodium_bin2hex(d->doc_id + 7, sizeof(d->doc_id) - 7, h, sizeof(h));
	json_t *cn = json_object_get(o, "created_ns");
	int r = 0;
	if (json_is_integer(cn) && json_integer_value(cn) >= 0)
		d->created = (int64_t)(json_integer_value(cn) / 1000000000);
	else
		r = get_time(o, "created", "", &d->created, err);
	if (r >= 0)
		r = dup_str(o, "report_id", "", NUL_OK, &d->ref, err);
	json_t *steps = json_object_get(o, "steps"), *x;
	size_t k;
	if (r >= 0 && !json_is_array(steps))
		r = bad(err, "/steps", "expected an array");
	json_array_foreach(r >= 0 ? steps : NULL, k, x)
	{
		if (!json_is_object(x)) {
			r = err_set(err, -EXCISE_E_CORRUPT, "document: /steps/%zu: expected an object", k);
			break;
		}
		const char *p = json_string_value(json_object_get(x, "product"));
		if (p)
			cover_products(cat, d, p);
	}
	return r;
}

static int parse_removal(const struct excise_catalog *cat, json_t *o, struct ingest_doc *d, struct excise_err *err)
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
	json_t *ps = json_object_get(o, "products"), *x;
	size_t k;
	if (ps && !json_is_array(ps) && !json_is_null(ps))
		return bad(err, "/products", "expected an array of product ids");
	if (json_array_size(ps) > EXCISE_MAX_SUBMIT_PRODUCTS)
		return err_set(err, -EXCISE_E_LIMIT, "document: /products: more than %u products",
			       EXCISE_MAX_SUBMIT_PRODUCTS);
	d->all_products = json_array_size(ps) == 0;
	json_array_foreach(json_is_array(ps) ? ps : NULL, k, x)
	{
		if (!json_is_string(x))
			return err_set(err, -EXCISE_E_CORRUPT, "document: /products/%zu: expected a string", k);
		cover_products(cat, d, json_string_value(x));
	}
	return 0;
}

static int parse_attestation(json_t *o, struct ingest_doc *d, struct excise_err *err)
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
	json_t *rep = get_obj(o, "report");
	if (r >= 0 && !rep)
		r = bad(err, "/report", "expected an object");
	if (r >= 0)
		r = dup_str(rep, "id", "/report", REQ, &d->ref, err);
	/* checked against its report when stored */
	if (r >= 0 && !(d->verdict = strdup("unchecked")))
		r = err_set(err, -ENOMEM, "document: out of memory");
	return r;
}

int ingest_ref_parse(const struct excise_catalog *cat, const void *body, size_t len, struct ingest_doc *d,
		     struct excise_err *err)
{
	memset(d, 0, sizeof(*d));
	if (len > EXCISE_MAX_SUBMIT_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "document: %zu bytes, more than EXCISE_MAX_SUBMIT_SIZE (%u)", len,
			       EXCISE_MAX_SUBMIT_SIZE);
	if (sodium_init() < 0)
		return err_set(err, -EXCISE_E_UNSUPPORTED, "document: libsodium did not start");
	d->n_dirs = excise_catalog_n_directives(cat);
	if (!(d->body = malloc(len + 1)) || !(d->dirs = calloc(d->n_dirs + 1, sizeof(*d->dirs))))
		return err_set(err, -ENOMEM, "document: out of memory");
	memcpy(d->body, body, len);
	d->body[len] = '\0';
	d->len = len;
	if (memchr(d->body, '\0', len))
		return bad(err, "/", "a NUL byte in the document");
	json_error_t je;
	json_t *o = json_loadb(d->body, len, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return err_set(err, -EXCISE_E_CORRUPT, "document: line %d, column %d: %s", je.line, je.column, je.text);
	int r = 0;
	const char *schema = NULL;
	if (!json_is_object(o))
		r = bad(err, "/", "expected a JSON object");
	if (r >= 0)
		r = get_str(o, "schema", "", REQ, &schema, err);
	json_t *host = r >= 0 ? get_obj(o, "host") : NULL;
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
		r = parse_plan(cat, o, d, err);
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
	json_decref(o);
	return r;
}

/* fjson's tree `x` is jansson's `o`: the same types, strings (decoded), members and
 * their order-free names, array values in order; else false. */
static bool tree_same(const cJSON *x, const json_t *o)
{
	switch (x->type & 0xFF) {
	case cJSON_Object: {
		if (!json_is_object(o))
			return false;
		size_t n = 0;
		for (const cJSON *c = x->child; c; c = c->next, n++)
			if (!c->string || !tree_same(c, json_object_get(o, c->string)))
				return false;
		return n == json_object_size(o);
	}
	case cJSON_Array: {
		if (!json_is_array(o))
			return false;
		size_t n = 0;
		for (const cJSON *c = x->child; c; c = c->next, n++)
			if (c->string || !tree_same(c, json_array_get(o, n)))
				return false;
		return n == json_array_size(o);
	}
	case cJSON_String:
		return json_is_string(o) && x->valuestring && strlen(x->valuestring) == json_string_length(o) &&
		       !strcmp(x->valuestring, json_string_value(o));
	case cJSON_Number:
		return json_is_number(o);
	case cJSON_True:
		return json_is_true(o);
	case cJSON_False:
		return json_is_false(o);
	case cJSON_NULL:
		return json_is_null(o);
	default:
		return false;
	}
}

void ingest_ref_json(const void *body, size_t len, int *jansson, char *jerr, int *fjson, char *ferr)
{
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	*jansson = o ? 0 : -EXCISE_E_CORRUPT;
	snprintf(jerr, 256, "%.250s", o ? "" : je.text);
	char *s = malloc(len + 1);
	if (!s)
		abort();
	memcpy(s, body, len);
	s[len] = '\0';
	struct fjson j;
	struct excise_err err = { 0 };
	*fjson = fjson_parse(&j, s, len, NULL, &err);
	snprintf(ferr, 256, "%.250s", *fjson < 0 ? err.msg : "");
	if (*fjson >= 0 && o && !tree_same(j.root, o)) {
		fprintf(stderr, "ingest-ref: fjson's tree is not jansson's\n");
		abort();
	}
	json_decref(o);
	if (*fjson >= 0)
		fjson_done(&j);
	free(s);
}

/* Two strings (or NULLs) equal; else false and the difference in `why`. */
static bool same(const char *what, const char *x, const char *y, char *why, size_t size)
{
	if ((!x && !y) || (x && y && !strcmp(x, y)))
		return true;
	snprintf(why, size, "%s: \"%s\" against \"%s\"", what, x ? x : "(null)", y ? y : "(null)");
	return false;
}

bool ingest_ref_compare(const struct ingest_doc *a, const struct ingest_doc *b, char *why, size_t size)
{
	if (a->kind != b->kind || !same("kind", a->kind_name, b->kind_name, why, size) ||
	    !same("doc_id", a->doc_id, b->doc_id, why, size) ||
	    !same("machine_id", a->machine_id, b->machine_id, why, size) ||
	    !same("verdict", a->verdict, b->verdict, why, size) || !same("ref", a->ref, b->ref, why, size))
		return false;
	if (a->created != b->created || a->complete != b->complete || a->all_products != b->all_products) {
		snprintf(why, size, "created %" PRId64 "/%" PRId64 " complete %d/%d all_products %d/%d", a->created,
			 b->created, a->complete, b->complete, a->all_products, b->all_products);
		return false;
	}
	if (a->len != b->len || memcmp(a->body, b->body, a->len) || a->body[a->len] || b->body[b->len]) {
		snprintf(why, size, "body");
		return false;
	}
	if (a->n_findings != b->n_findings || a->n_dirs != b->n_dirs) {
		snprintf(why, size, "%zu findings, %zu directives against %zu, %zu", a->n_findings, a->n_dirs,
			 b->n_findings, b->n_dirs);
		return false;
	}
	for (size_t i = 0; i < a->n_findings; i++) {
		const struct ingest_finding *x = &a->findings[i], *y = &b->findings[i];
		if (!same("product_id", x->product_id, y->product_id, why, size) ||
		    !same("vendor_id", x->vendor_id, y->vendor_id, why, size) ||
		    !same("product_name", x->product_name, y->product_name, why, size) ||
		    !same("version", x->version, y->version, why, size) ||
		    !same("state", x->state, y->state, why, size) ||
		    !same("confidence", x->confidence, y->confidence, why, size) ||
		    !same("directives", x->directives, y->directives, why, size) ||
		    !same("sources", x->sources, y->sources, why, size))
			return false;
		if (x->n_artifacts != y->n_artifacts) {
			snprintf(why, size, "finding %zu: n_artifacts %" PRId64 " against %" PRId64, i, x->n_artifacts,
				 y->n_artifacts);
			return false;
		}
	}
	for (size_t j = 0; j < a->n_dirs; j++) {
		if (a->dirs[j].covered != b->dirs[j].covered) {
			snprintf(why, size, "directive %zu: covered %d against %d", j, a->dirs[j].covered,
				 b->dirs[j].covered);
			return false;
		}
		if (!same("directive products", a->dirs[j].products, b->dirs[j].products, why, size))
			return false;
	}
	return true;
}
