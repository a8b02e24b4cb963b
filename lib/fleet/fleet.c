/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet: the read side. One query gives a list of hosts for a directive (each row's
 * state and milestones derived by track.c), and the totals are counted over those
 * rows, never by a second query, so a count and its list always agree.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/text.h"
#include "fleet/db.h"
#include "fleet/store_int.h"
#include "fleet/track.h"

void excise_fleet_host_done(struct excise_fleet_host *h)
{
	if (!h)
		return;
	free(h->host_id);
	free(h->hostname);
	free(h->org_unit);
	free(h->platform);
	free(h->os);
	free(h->products);
	free(h->exempt_reason);
	free(h->exempt_approver);
	*h = (struct excise_fleet_host){ 0 };
}

static void totals_done(struct excise_fleet_totals *t)
{
	for (size_t i = 0; i < t->n_products; i++)
		free(t->products[i].product);
	free(t->products);
	*t = (struct excise_fleet_totals){ 0 };
}

/* ---- large arrays ---- */

/* A list of 100,000 hosts is tens of MB of rows and strings, each 4 KiB page of which
 * costs a page fault when first written: on a virtual machine more than the copy of
 * the row itself. Arrays of HUGE_MIN bytes or more ask for transparent huge pages
 * (madvise: the kernel's default mode), 512 times fewer faults; realloc keeps the
 * advice when it moves them (mremap). An optimisation: where it fails nothing else
 * changes. */
#define HUGE_MIN (4u << 20)
#define HUGE_PAGE (2u << 20)

static void *grow(void *p, size_t size)
{
	void *n = realloc(p, size);
#ifdef MADV_HUGEPAGE
	if (n && size >= HUGE_MIN) {
		uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
		/* the whole mapping, malloc's header page too: a part of it would be a mapping of
		 * its own, which the next realloc could no longer mremap */
		uintptr_t a = (uintptr_t)n & ~(page - 1), e = ((uintptr_t)n + size + page - 1) & ~(page - 1);
		madvise((void *)a, e - a, MADV_HUGEPAGE);
	}
#endif
	return n;
}

/* A block of `size` bytes that is never resized, on huge pages from its start. */
static void *huge_block(size_t size)
{
	void *p = NULL;
	if (posix_memalign(&p, HUGE_PAGE, size))
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, size, MADV_HUGEPAGE);
#endif
	return p;
}

/* ---- the strings of a list read from a store: blocks, freed together ---- */

#define STRINGS_BLOCK (HUGE_MIN - sizeof(struct excise_fleet_strings))

struct excise_fleet_strings {
	struct excise_fleet_strings *next;
	size_t used, size;
	char data[];
};

static void strings_free(struct excise_fleet_strings *b)
{
	while (b) {
		struct excise_fleet_strings *next = b->next;
		free(b);
		b = next;
	}
}

/* A copy of `s` (NULL: NULL) in the blocks of *head; *err = -ENOMEM when out of memory. */
static char *strings_dup(struct excise_fleet_strings **head, const char *s, int *err)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	struct excise_fleet_strings *b = *head;
	if (!b || b->size - b->used < n) {
		size_t size = n > STRINGS_BLOCK ? n : STRINGS_BLOCK;
		if (!(b = huge_block(sizeof(*b) + size))) {
			*err = -ENOMEM;
			return NULL;
		}
		*b = (struct excise_fleet_strings){ .next = *head, .size = size };
		*head = b;
	}
	char *p = memcpy(b->data + b->used, s, n);
	b->used += n;
	return p;
}

/* A row of `l` no longer wanted: what it owns freed. */
static void row_done(const struct excise_fleet_list *l, struct excise_fleet_host *h)
{
	if (!l->strings) {
		excise_fleet_host_done(h);
		return;
	}
	free(h->exempt_reason);
	free(h->exempt_approver);
	*h = (struct excise_fleet_host){ 0 };
}

void excise_fleet_list_free(struct excise_fleet_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		row_done(l, &l->rows[i]);
	strings_free(l->strings);
	excise_filing_free(l->filings, l->n_filings);
	free(l->rows);
	free(l->org_unit);
	totals_done(&l->totals);
	free(l);
}

void excise_fleet_findings_free(struct excise_fleet_findings *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		struct excise_fleet_finding *x = &f->rows[i];
		free(x->host_id);
		free(x->hostname);
		free(x->org_unit);
		free(x->product_id);
		free(x->vendor_id);
		free(x->product_name);
		free(x->version);
		free(x->state);
		free(x->confidence);
		free(x->sources);
	}
	free(f->rows);
	free(f);
}

/* The product is on the host now, as far as its facts say. */
static bool holds_products(const struct excise_fleet_host *h)
{
	return h->state != EXCISE_FLEET_RETIRED &&
	       (h->progress == EXCISE_FLEET_IDENTIFIED || h->progress == EXCISE_FLEET_PLAN_RECORDED ||
		h->progress == EXCISE_FLEET_REMOVAL_STARTED);
}

static int add_product(struct excise_fleet_totals *t, size_t *cap, const char *p, size_t len)
{
	for (size_t i = 0; i < t->n_products; i++)
		if (strlen(t->products[i].product) == len && !memcmp(t->products[i].product, p, len)) {
			t->products[i].hosts++;
			return 0;
		}
	if (t->n_products == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		void *np = realloc(t->products, nc * sizeof(*t->products));
		if (!np)
			return -ENOMEM;
		t->products = np;
		*cap = nc;
	}
	char *s = strndup(p, len);
	if (!s)
		return -ENOMEM;
	t->products[t->n_products++] = (struct excise_fleet_product_count){ s, 1 };
	return 0;
}

static int by_hosts(const void *a, const void *b)
{
	const struct excise_fleet_product_count *x = a, *y = b;
	if (x->hosts != y->hosts)
		return x->hosts < y->hosts ? 1 : -1;
	return strcmp(x->product, y->product);
}

int excise_fleet_count(struct excise_fleet_list *l)
{
	totals_done(&l->totals);
	struct excise_fleet_totals *t = &l->totals;
	size_t cap = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct excise_fleet_host *h = &l->rows[i];
		t->rows++;
		t->state[h->state]++;
		for (size_t m = 0; m < h->n_ms && m < EXCISE_FLEET_MAX_MILESTONES; m++)
			t->ms[m][h->ms[m].status]++;
		if (h->state == EXCISE_FLEET_RETIRED)
			continue;
		t->counted++;
		if (h->state == EXCISE_FLEET_NEVER_REPORTED || h->state == EXCISE_FLEET_STALE ||
		    h->state == EXCISE_FLEET_ERROR)
			t->not_determined++;
		else
			t->determined++;
		if (!holds_products(h) || !h->products)
			continue;
		/* each product of the row once */
		for (const char *p = h->products; *p;) {
			size_t len = strcspn(p, ",");
			bool seen = false;
			for (const char *q = h->products; q < p; q += strcspn(q, ",") + (q[strcspn(q, ",")] != 0))
				if (strcspn(q, ",") == len && !memcmp(q, p, len))
					seen = true;
			int r = len && !seen ? add_product(t, &cap, p, len) : 0;
			if (r < 0)
				return r;
			p += len + (p[len] == ',');
		}
	}
	if (t->n_products)
		qsort(t->products, t->n_products, sizeof(*t->products), by_hosts);
	return 0;
}

/* ---- the database ---- */

int excise_fleet_open(const char *url, const struct excise_catalog *c, struct excise_store **ret,
		      struct excise_err *err)
{
	/* reports never derive a host key: the store's master key is not needed for them */
	static const uint8_t no_key[32];
	struct excise_store_opts o = { .catalog = c, .master_key = no_key, .read_only = true };
	return excise_store_open(url, &o, ret, err);
}

static const struct excise_directive *find_directive(const struct excise_catalog *c, const char *id)
{
	for (size_t i = 0; c && id && i < excise_catalog_n_directives(c); i++)
		if (!strcmp(excise_catalog_directive(c, i)->id, id))
			return excise_catalog_directive(c, i);
	return NULL;
}

/* "a/b" -> "a/b/%" for LIKE with '\' escaping % _ and \ */
static char *like_below(const char *ou)
{
	struct buf b;
	buf_init(&b, 0);
	for (const char *p = ou; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *p);
	}
	buf_adds(&b, "/%");
	char *s = NULL;
	if (buf_take(&b, &s) < 0)
		s = NULL;
	buf_done(&b);
	return s;
}

#define FLEET_PG_WORK_MEM "64MB"

static int read_db(struct excise_store *st, struct db **ret, struct excise_err *err)
{
	/* SQLite: read(2) into the connection's page cache, not mmap: a list touches pages
	 * scattered over a file mostly of documents, and a page fault (with the pages the
	 * kernel maps around it, documents' mostly) cost more here than a read and a copy */
	*ret = store_db_read(st);
	/* PostgreSQL: a list's query is a join of every host, costed above jit_above_cost,
	 * and compiling it (JIT) took longer than running it; its hash and sort fit in
	 * memory at 100,000 hosts with FLEET_PG_WORK_MEM (errors aside: optimisations) */
	if (*ret && db_is_pg(*ret)) {
		db_exec(*ret, "SET jit = off", NULL);
		db_exec(*ret, "SET work_mem = '" FLEET_PG_WORK_MEM "'", NULL);
	}
	if (*ret)
		return 0;
	struct db *tmp = NULL;
	int r = store_db_open_read(st, &tmp, err);
	db_close(tmp);
	return r < 0 ? r : err_set(err, -EIO, "store: no read connection");
}

static int org_unit_check(const char *ou, struct excise_err *err)
{
	if (ou && (!*ou || strlen(ou) > EXCISE_MAX_FLEET_ORG_UNIT || ou[strlen(ou) - 1] == '/'))
		return err_set(err, -EINVAL, "org unit '%s': expected \"agency\", \"agency/bureau\" or "
				       "\"agency/bureau/site\"", ou);
	return 0;
}

/* org_unit.id is the unit's path (store.c, org_unit_ensure): rows name it without a join */
#define ORG_FILTER(col) " AND (" col " = $2 OR " col " LIKE $3 ESCAPE '\\')"

/* One row per host (one per exemption of it, when it has several) and one per expected
 * host (matched to the hosts in C: docs/fleet.md, "Expected inventory"). The host's
 * facts RIGHT JOIN host, not host LEFT JOIN them (the same rows): SQLite then reads the
 * directive's facts in their table's order and seeks each host by id (an index that
 * stays in its page cache), then the hosts without facts, instead of seeking the
 * facts' larger index in the order of the hosts; PostgreSQL hash-joins either. */
static const char hosts_sql[] =
	"SELECT h.id, h.hostname, h.org_unit_id, h.platform, h.os, h.enrolled, h.last_seen, h.retired,"
	" hd.first_report, hd.last_report, hd.last_complete, hd.last_complete_covered, hd.first_identified,"
	" hd.last_identified, hd.plan_recorded, hd.removal_started, hd.removed, hd.verified, hd.last_error,"
	" hd.products, hd.first_determined, x.id, x.reason, x.approver, x.created, x.expires, x.revoked"
	" FROM (SELECT * FROM host_directive WHERE directive_id = $1) hd RIGHT JOIN host h ON hd.host_id = h.id"
	" LEFT JOIN exemption x ON x.host_id = h.id AND x.directive_id = $1"
	" WHERE 1 = 1%s"
	" UNION ALL"
	" SELECT NULL, e.hostname, e.org_unit_id, NULL, NULL, e.imported, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	" NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
	" FROM expected_host e WHERE 1 = 1%s";

static char *col_dup(struct db_stmt *s, int c, int *r)
{
	const char *v = db_column_text(s, c);
	return strdup_or_null(v, r);
}

/* The exemptions read for one row. */
struct exs {
	struct excise_fleet_exemption *v;
	size_t n, cap;
};

static void exs_done(struct exs *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free((char *)x->v[i].id);
		free((char *)x->v[i].reason);
		free((char *)x->v[i].approver);
	}
	free(x->v);
	*x = (struct exs){ 0 };
}

static int exs_add(struct exs *x, struct db_stmt *s)
{
	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 2;
		void *nv = realloc(x->v, nc * sizeof(*x->v));
		if (!nv)
			return -ENOMEM;
		x->v = nv;
		x->cap = nc;
	}
	int e = 0;
	struct excise_fleet_exemption *ex = &x->v[x->n++];
	*ex = (struct excise_fleet_exemption){ 0 };
	ex->id = col_dup(s, 21, &e);
	ex->reason = col_dup(s, 22, &e);
	ex->approver = col_dup(s, 23, &e);
	ex->created = db_column_int64(s, 24);
	ex->expires = db_column_int64(s, 25);
	ex->revoked = db_column_int64(s, 26);
	return e;
}

/* A new row from the current result row, its strings in *strs. */
static int host_read(struct excise_fleet_host *h, struct db_stmt *s, struct excise_fleet_strings **strs)
{
	int e = 0;
	/* not the milestones (most of the row): excise_fleet_track writes the first n_ms */
	memset(h, 0, offsetof(struct excise_fleet_host, ms));
	h->n_ms = 0;
	h->expected_matches = 0;
	h->host_id = strings_dup(strs, db_column_text(s, 0), &e);
	h->hostname = strings_dup(strs, db_column_text(s, 1), &e);
	h->org_unit = strings_dup(strs, db_column_text(s, 2), &e);
	h->platform = strings_dup(strs, db_column_text(s, 3), &e);
	h->os = strings_dup(strs, db_column_text(s, 4), &e);
	h->products = strings_dup(strs, db_column_text(s, 19), &e);
	struct excise_fleet_facts *f = &h->facts;
	f->enrolled = !db_column_null(s, 0);
	f->enrolled_at = db_column_int64(s, 5);
	f->last_seen = db_column_int64(s, 6);
	f->retired = db_column_int64(s, 7);
	f->first_report = db_column_int64(s, 8);
	f->last_report = db_column_int64(s, 9);
	f->last_complete = db_column_int64(s, 10);
	f->last_complete_covered = db_column_int64(s, 11);
	f->first_identified = db_column_int64(s, 12);
	f->last_identified = db_column_int64(s, 13);
	f->plan_recorded = db_column_int64(s, 14);
	f->removal_started = db_column_int64(s, 15);
	f->removed = db_column_int64(s, 16);
	f->verified = db_column_int64(s, 17);
	f->last_error = db_column_int64(s, 18);
	f->first_complete = db_column_int64(s, 20);
	return e;
}

static int cmp_str(const char *a, const char *b)
{
	return !a ? (b ? -1 : 0) : !b ? 1 : strcmp(a, b);
}

/* org unit, host name, host id (the expected hosts, which have none, first) */
static int by_place(const void *pa, const void *pb)
{
	const struct excise_fleet_host *a = pa, *b = pb;
	int c = cmp_str(a->org_unit, b->org_unit);
	if (!c)
		c = cmp_str(a->hostname, b->hostname);
	return c ? c : cmp_str(a->host_id, b->host_id);
}

/* Read the rows: one per host (its exemptions, on as many result rows, gathered by
 * its id: only a host with exemptions has several) and one per expected host. No
 * ORDER BY: sorted here. */
static int read_rows(struct db_stmt *s, struct excise_fleet_list *l, struct exs **ret_ex, size_t *ret_n_exp,
		     struct excise_err *err)
{
	struct hash ids;
	hash_init(&ids);
	struct exs *ex = NULL;
	size_t cap = 0;
	int r;
	while ((r = db_step(s, err)) == 1) {
		const char *id = db_column_text(s, 0);
		bool has_ex = !db_column_null(s, 21);
		size_t i = l->n;
		if (id && has_ex) {
			const struct hash_slot *found = hash_get(&ids, id, strlen(id));
			if (found)
				i = (size_t)found->value;
		}
		if (i == l->n) {
			if (l->n == cap) {
				/* large enough for huge pages from the start (grow) */
				size_t nc = cap ? cap * 2 : HUGE_MIN / sizeof(*l->rows) + 1;
				void *nr = grow(l->rows, nc * sizeof(*l->rows));
				void *ne = nr ? grow(ex, nc * sizeof(*ex)) : NULL;
				if (nr)
					l->rows = nr;
				if (!nr || !ne) {
					r = -ENOMEM;
					break;
				}
				ex = ne;
				cap = nc;
			}
			ex[i] = (struct exs){ 0 };
			*ret_n_exp += !id;
			r = host_read(&l->rows[i], s, &l->strings);
			l->n++;
			if (r < 0)
				break;
			if (id && has_ex) {
				const char *key = l->rows[i].host_id;
				struct hash_slot *slot = hash_put(&ids, key, strlen(key));
				if (!slot || l->n > INT32_MAX) {
					r = -ENOMEM;
					break;
				}
				slot->value = (int)i;
			}
		}
		if (has_ex && (r = exs_add(&ex[i], s)) < 0)
			break;
	}
	hash_done(&ids);
	*ret_ex = ex;
	return r;
}

/* ---- expected hosts matched to enrolled ones (docs/fleet.md, "Expected inventory") ---- */

/* The length of `name`'s first label (up to its first dot). */
static size_t first_label(const char *name)
{
	return strcspn(name, ".");
}

/* "org unit\n" + `len` bytes of `name`, ASCII letters folded to lower case, into *strs. */
static const char *match_key(struct excise_fleet_strings **strs, const char *ou, const char *name, size_t len,
			     int *e)
{
	size_t no = strlen(ou);
	char small[512], *k = no + len + 2 <= sizeof(small) ? small : malloc(no + len + 2);
	if (!k) {
		*e = -ENOMEM;
		return NULL;
	}
	memcpy(k, ou, no);
	k[no] = '\n';
	for (size_t i = 0; i < len; i++)
		k[no + 1 + i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	k[no + 1 + len] = 0;
	const char *r = strings_dup(strs, k, e);
	if (k != small)
		free(k);
	return r;
}

/* The enrolled hosts under `key` in `h` (a chain through `next`), counted. */
static size_t chain_count(const struct hash *h, const int *next, const char *key)
{
	const struct hash_slot *slot = key ? hash_get(h, key, strlen(key)) : NULL;
	size_t n = 0;
	for (int i = slot ? slot->value : -1; i >= 0; i = next[i])
		n++;
	return n;
}

/* Enrolled host `i` (row `h`) put at the head of the chain of its key (its org unit and
 * the first `len` bytes of its name) in `t`. 0 or -ENOMEM. */
static int chain_add(struct hash *t, int *next, struct excise_fleet_strings **keys,
		     const struct excise_fleet_host *h, size_t len, size_t i)
{
	int e = 0;
	const char *k = match_key(keys, h->org_unit, h->hostname, len, &e);
	struct hash_slot *slot = k ? hash_put(t, k, strlen(k)) : NULL;
	if (!slot)
		return -ENOMEM;
	next[i] = slot->value;
	slot->value = (int)i;
	return 0;
}

/*
 * Each expected host against the enrolled hosts of its org unit, names compared with
 * ASCII letters folded: its full name first; when no enrolled host has it, its short
 * name against their first labels (an expected "web01" is the enrolled
 * "web01.example.gov"), or its first label against their full names (an expected
 * "web01.example.gov" is the enrolled "web01"). The count goes to expected_matches:
 * 1, the enrolled host stands for it (the caller drops the row); 2 or more, ambiguous
 * (kept and marked, never joined); 0, never enrolled.
 */
static int match_expected(struct excise_fleet_list *l, size_t n_exp)
{
	if (!n_exp)
		return 0;
	struct hash full, label;
	hash_init(&full);
	hash_init(&label);
	struct excise_fleet_strings *keys = NULL;
	int *next_full = malloc(l->n * sizeof(int)), *next_label = malloc(l->n * sizeof(int));
	int e = next_full && next_label && l->n <= INT32_MAX ? 0 : -ENOMEM;
	for (size_t i = 0; !e && i < l->n; i++) {
		const struct excise_fleet_host *h = &l->rows[i];
		if (!h->host_id || !h->hostname || !h->org_unit)
			continue;
		size_t n = strlen(h->hostname), fl = first_label(h->hostname);
		next_label[i] = -1;
		e = chain_add(&full, next_full, &keys, h, n, i);
		if (!e && fl && fl != n)
			e = chain_add(&label, next_label, &keys, h, fl, i);
	}
	for (size_t i = 0; i < l->n; i++) {
		struct excise_fleet_host *h = &l->rows[i];
		if (!e && !h->host_id && h->hostname && h->org_unit) {
			size_t n = strlen(h->hostname), fl = first_label(h->hostname);
			size_t m = chain_count(&full, next_full, match_key(&keys, h->org_unit, h->hostname, n, &e));
			if (!m && fl == n)
				m = chain_count(&label, next_label, match_key(&keys, h->org_unit, h->hostname, n, &e));
			else if (!m && fl)
				m = chain_count(&full, next_full, match_key(&keys, h->org_unit, h->hostname, fl, &e));
			h->expected_matches = m;
		}
	}
	hash_done(&full);
	hash_done(&label);
	strings_free(keys);
	free(next_full);
	free(next_label);
	return e;
}

/* What both lists start with: the query's directive in `c` (the store's catalog when
 * NULL), its org unit checked, and the read connection. */
static int query_begin(struct excise_store *st, const struct excise_catalog *c, const struct excise_fleet_query *q,
		       const struct excise_directive **ret_d, struct db **ret_db, struct excise_err *err)
{
	if (!c)
		c = store_catalog(st);
	*ret_d = find_directive(c, q->directive);
	if (!*ret_d)
		return err_set(err, -EXCISE_E_ABSENT, "directive '%s': not in the catalog", q->directive ? q->directive : "");
	int r = org_unit_check(q->org_unit, err);
	return r < 0 ? r : read_db(st, ret_db, err);
}

int excise_fleet_hosts(struct excise_store *st, const struct excise_catalog *c, const struct excise_fleet_query *q,
		       struct excise_fleet_list **ret, struct excise_err *err)
{
	*ret = NULL;
	const struct excise_directive *d = NULL;
	struct db *db = NULL;
	int r = query_begin(st, c, q, &d, &db, err);
	if (r < 0)
		return r;
	struct excise_fleet_list *l = calloc(1, sizeof(*l));
	char *below = q->org_unit ? like_below(q->org_unit) : NULL;
	char *sql = NULL;
	if (!l || (q->org_unit && (!below || !(l->org_unit = strdup(q->org_unit)))) ||
	    asprintf(&sql, hosts_sql, q->org_unit ? ORG_FILTER("h.org_unit_id") : "",
		     q->org_unit ? ORG_FILTER("e.org_unit_id") : "") < 0) {
		free(below);
		excise_fleet_list_free(l);
		return err_set(err, -ENOMEM, "fleet: out of memory");
	}
	l->directive = d;
	l->now = q->now;
	/* the organisation's start, else the directive's */
	struct db_stmt *s = NULL;
	int64_t org_start = 0;
	r = db_prepare(db, "SELECT start FROM directive_start WHERE directive_id = $1", &s, err);
	if (r >= 0) {
		db_bind_text(s, 1, d->id);
		r = db_step(s, err);
		if (r == 1)
			org_start = db_column_int64(s, 0);
		db_finalize(s);
		s = NULL;
	}
	if (r >= 0 && excise_fleet_start(d, org_start, &l->start) < 0)
		r = err_set(err, -EXCISE_E_CORRUPT, "directive '%s': issued date '%s' is not a date", d->id,
			    d->issued ? d->issued : "");
	l->start_set = org_start != 0;
	/* the organisation's filings of the directive's reports (track.c picks those that count) */
	if (r >= 0)
		r = store_filings_read(db, d->id, &l->filings, &l->n_filings, err);
	if (r >= 0)
		r = db_prepare(db, sql, &s, err);
	if (r >= 0) {
		db_bind_text(s, 1, d->id);
		if (q->org_unit) {
			db_bind_text(s, 2, q->org_unit);
			db_bind_text(s, 3, below);
		}
	}
	struct exs *ex = NULL;
	size_t n_exp = 0;
	if (r >= 0)
		r = read_rows(s, l, &ex, &n_exp, err);
	db_finalize(s);
	free(sql);
	free(below);
	if (r >= 0 && (r = match_expected(l, n_exp)) < 0)
		err_set(err, r, "fleet: out of memory");
	/* each row's state and milestones; only the rows of the state asked for are kept */
	size_t kept = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct excise_fleet_host *h = &l->rows[i];
		if (r >= 0)
			r = excise_fleet_track(d, l->start, h, ex[i].v, ex[i].n, l->filings, l->n_filings, q->now, &q->settings);
		exs_done(&ex[i]);
		/* an expected host one enrolled host stands for is not a row of its own */
		if (r < 0 || (!h->host_id && h->expected_matches == 1) ||
		    (q->state >= 0 && h->state != (enum excise_fleet_state)q->state))
			row_done(l, h);
		else if (kept++ != i)
			l->rows[kept - 1] = *h;
	}
	free(ex);
	l->n = kept;
	if (r >= 0 && l->n)
		qsort(l->rows, l->n, sizeof(*l->rows), by_place);
	if (r >= 0)
		r = excise_fleet_count(l);
	if (r < 0) {
		if (r == -ENOMEM)
			err_set(err, r, "fleet: out of memory");
		excise_fleet_list_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

/* The findings of each host's latest report (created, received, doc_id: the order of
 * document_latest). SQLite seeks it per finding in that index; PostgreSQL, whose
 * executor costs more a seek, takes the latest of each host with findings in one pass.
 * org_unit.id is the unit's path (store.c, org_unit_ensure). */
static const char findings_sql[] =
	"SELECT f.host_id, h.hostname, h.org_unit_id, f.product_id, f.vendor_id, f.product_name, f.version, f.state,"
	" f.confidence, f.sources, f.n_artifacts, f.received, f.directives"
	" FROM finding f%s JOIN host h ON h.id = f.host_id"
	" WHERE h.retired IS NULL%s%s"
	" ORDER BY h.org_unit_id, h.hostname, f.host_id, f.product_id";
static const char latest_seek[] =
	" AND f.doc_id = (SELECT d.doc_id FROM document d"
	"  WHERE d.host_id = f.host_id AND d.kind = 'report' ORDER BY d.created DESC, d.received DESC, d.doc_id DESC"
	"  LIMIT 1)";
static const char latest_join[] =
	" JOIN (SELECT DISTINCT ON (host_id) host_id, doc_id FROM document"
	"  WHERE kind = 'report' AND host_id IN (SELECT host_id FROM finding)"
	"  ORDER BY host_id, created DESC, received DESC, doc_id DESC) ld"
	" ON ld.host_id = f.host_id AND ld.doc_id = f.doc_id";

/* `id` is one of the comma list `list`. */
static bool in_list(const char *list, const char *id)
{
	size_t len = strlen(id);
	for (const char *p = list ? list : ""; *p;) {
		size_t n = strcspn(p, ",");
		if (n == len && !memcmp(p, id, len))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

int excise_fleet_findings_get(struct excise_store *st, const struct excise_catalog *c,
			      const struct excise_fleet_query *q, struct excise_fleet_findings **ret,
			      struct excise_err *err)
{
	*ret = NULL;
	const struct excise_directive *d = NULL;
	struct db *db = NULL;
	int r = query_begin(st, c, q, &d, &db, err);
	if (r < 0)
		return r;
	struct excise_fleet_findings *fs = calloc(1, sizeof(*fs));
	char *below = q->org_unit ? like_below(q->org_unit) : NULL;
	char *sql = NULL;
	if (!fs || (q->org_unit && !below) ||
	    asprintf(&sql, findings_sql, db_is_pg(db) ? latest_join : "", db_is_pg(db) ? "" : latest_seek,
		     q->org_unit ? " AND (h.org_unit_id = $1 OR h.org_unit_id LIKE $2 ESCAPE '\\')" : "") < 0) {
		free(below);
		free(fs);
		return err_set(err, -ENOMEM, "fleet: out of memory");
	}
	struct db_stmt *s = NULL;
	r = db_prepare(db, sql, &s, err);
	if (r >= 0 && q->org_unit) {
		db_bind_text(s, 1, q->org_unit);
		db_bind_text(s, 2, below);
	}
	size_t cap = 0;
	while (r >= 0 && (r = db_step(s, err)) == 1) {
		if (!in_list(db_column_text(s, 12), d->id))
			continue;
		if (fs->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *nv = realloc(fs->rows, nc * sizeof(*fs->rows));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			fs->rows = nv;
			cap = nc;
		}
		struct excise_fleet_finding *f = &fs->rows[fs->n++];
		*f = (struct excise_fleet_finding){ 0 };
		int e = 0;
		f->host_id = col_dup(s, 0, &e);
		f->hostname = col_dup(s, 1, &e);
		f->org_unit = col_dup(s, 2, &e);
		f->product_id = col_dup(s, 3, &e);
		f->vendor_id = col_dup(s, 4, &e);
		f->product_name = col_dup(s, 5, &e);
		f->version = col_dup(s, 6, &e);
		f->state = col_dup(s, 7, &e);
		f->confidence = col_dup(s, 8, &e);
		f->sources = col_dup(s, 9, &e);
		f->n_artifacts = (uint64_t)db_column_int64(s, 10);
		f->received = db_column_int64(s, 11);
		if (e < 0)
			r = e;
	}
	db_finalize(s);
	free(sql);
	free(below);
	if (r < 0) {
		if (r == -ENOMEM)
			err_set(err, r, "fleet: out of memory");
		excise_fleet_findings_free(fs);
		return r;
	}
	*ret = fs;
	return 0;
}
