/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest-pg: a writer's group applied to PostgreSQL set-based (docs/storage.md,
 * "Writing on PostgreSQL"). Per group, whatever its size:
 *
 *   round trip 1: INSERT INTO document ... SELECT FROM unnest(...) ON CONFLICT DO
 *                 NOTHING RETURNING the stored ones; the facts of the group's hosts
 *                 (SELECT ... FOR UPDATE, one statement); whether an attestation waits
 *                 for one of the group's reports;
 *   in memory:    each stored document's facts folded in group order (ingest.c's fold),
 *                 its phase changes and findings collected;
 *   with COMMIT:  one INSERT of the findings, one UPDATE of the hosts (last_seen, a
 *                 retired host back in the fleet and audited), one UPDATE of the changed
 *                 host_directive rows it read, one upsert of the others, one INSERT of
 *                 status_change rows.
 *
 * A document whose (host, doc_id) came earlier in the group is a duplicate without
 * being sent. Attestations (checked against the stored report, rare) go through
 * ingest_apply one by one.
 */
#include "fleet/ingest-pg.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "fleet/docbody.h"

/* The columns of a document row (ingest.h's INGEST_DOC_COLS, the list ingest.c's insert is
 * made from too), each with where its value comes from: c_<column>, a getter of its type. */
enum col_type { COL_TEXT, COL_INT, COL_BLOB, COL_INTNULL = COL_INT };
struct col {
	const char *name;
	enum col_type type;
	const char *(*text)(const struct ingest_item *it);
	int64_t (*num)(const struct ingest_item *it);
	const void *(*blob)(const struct ingest_item *it, size_t *len);
	bool (*set)(const struct ingest_item *it);  /* a COL_INT that may be NULL: whether it is not */
};

static const char *c_host_id(const struct ingest_item *it) { return it->host; }
static const char *c_doc_id(const struct ingest_item *it) { return it->doc->doc_id; }
static const char *c_kind(const struct ingest_item *it) { return it->doc->kind_name; }
static int64_t c_received(const struct ingest_item *it) { return it->now; }
static int64_t c_created(const struct ingest_item *it) { return it->doc->created; }
static int64_t c_complete(const struct ingest_item *it) { return it->doc->complete; }
static const char *c_verdict(const struct ingest_item *it) { return it->doc->verdict; }
/* compressed (docbody_pack, in the submitting thread): body '' (NOT NULL since version 1) */
static const char *c_body(const struct ingest_item *it) { return it->doc->body_z ? "" : it->doc->body; }
static const void *c_body_z(const struct ingest_item *it, size_t *len)
{
	*len = it->doc->body_z_len;
	return it->doc->body_z;
}
static const char *c_body_codec(const struct ingest_item *it) { return it->doc->body_z ? DOCBODY_CODEC : NULL; }
static int64_t c_body_len(const struct ingest_item *it) { return (int64_t)it->doc->len; }
static bool c_body_len_set(const struct ingest_item *it) { return it->doc->body_z != NULL; }
static const char *c_ref(const struct ingest_item *it) { return it->doc->ref; }

#define GET_TEXT(col) .text = c_##col
#define GET_INT(col) .num = c_##col
#define GET_INTNULL(col) .num = c_##col, .set = c_##col##_set
#define GET_BLOB(col) .blob = c_##col
#define DOC_COL(col, sep, param, how) { #col, COL_##how, GET_##how(col) },
/* the first two: the key RETURNING gives back */
static const struct col doc_cols[] = { INGEST_DOC_COLS(DOC_COL) };
#define N_DOC_COLS (sizeof(doc_cols) / sizeof(doc_cols[0]))

/* The documents' insert goes in pieces of DOC_CHUNK documents (more when a group holds
 * more than DOC_CHUNK x DOC_COPIES), each a copy of the statement: the server's arrays
 * of bodies stay small, so that it reuses its memory instead of faulting fresh pages
 * in for each group's megabytes. */
#define DOC_CHUNK 32
#define DOC_COPIES 8

#define FIN_TEXT_COLS "product_id, vendor_id, product_name, version, state, confidence, directives, sources"

struct ingest_pg {
	struct db *db;
	const struct excise_catalog *cat;
	size_t n_dirs;
	struct db_stmt *ins_doc[DOC_COPIES], *hd_get, *pend, *fin, *hosts, *hd_put, *hd_upd, *sc;
	size_t n_ins;   /* how many of ins_doc the group sent */
};

static const char *const type_names[] = { "text", "bigint", "bytea" };

/* "unnest($from::t1[], $from+1::t2[], ...)" for `n` columns of types[], appended at `sql`. */
static size_t unnest_of(char *sql, size_t cap, size_t at, const enum col_type *types, size_t n)
{
	at += (size_t)snprintf(sql + at, at < cap ? cap - at : 0, "unnest(");
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(sql + at, at < cap ? cap - at : 0, "%s$%zu::%s[]", i ? ", " : "", i + 1,
				       type_names[types[i]]);
	at += (size_t)snprintf(sql + at, at < cap ? cap - at : 0, ")");
	return at;
}

static int prepare(struct db *db, const char *sql, size_t len, size_t cap, struct db_stmt **ret,
		   struct excise_err *err)
{
	if (len >= cap)
		return err_set(err, -EXCISE_E_LIMIT, "store: a statement of %zu bytes is too long", len);
	return db_prepare(db, sql, ret, err);
}

void ingest_pg_free(struct ingest_pg *g)
{
	if (!g)
		return;
	for (size_t k = 0; k < DOC_COPIES; k++)
		db_finalize(g->ins_doc[k]);
	db_finalize(g->hd_get);
	db_finalize(g->pend);
	db_finalize(g->fin);
	db_finalize(g->hosts);
	db_finalize(g->hd_put);
	db_finalize(g->hd_upd);
	db_finalize(g->sc);
	free(g);
}

int ingest_pg_new(struct db *db, const struct excise_catalog *cat, struct ingest_pg **ret, struct excise_err *err)
{
	struct ingest_pg *g = calloc(1, sizeof(*g));
	if (!g)
		return err_set(err, -ENOMEM, "store: out of memory");
	g->db = db;
	g->cat = cat;
	g->n_dirs = excise_catalog_n_directives(cat);
	char sql[2048];
	size_t cap = sizeof(sql), n;
	enum col_type t[INGEST_FACT_N + 3];

	/* the documents */
	n = (size_t)snprintf(sql, cap, "INSERT INTO document (");
	for (size_t i = 0; i < N_DOC_COLS; i++) {
		n += (size_t)snprintf(sql + n, n < cap ? cap - n : 0, "%s%s", i ? ", " : "", doc_cols[i].name);
		t[i] = doc_cols[i].type;
	}
	n += (size_t)snprintf(sql + n, n < cap ? cap - n : 0, ") SELECT * FROM ");
	n = unnest_of(sql, cap, n, t, N_DOC_COLS);
	n += (size_t)snprintf(sql + n, n < cap ? cap - n : 0,
			      " ON CONFLICT (host_id, doc_id) DO NOTHING RETURNING host_id, doc_id");
	/* every statement here (and ingest.c's, on the same connection) is planned once: its
	 * generic plan looks each row up by its key whatever the group's size, and a custom
	 * plan (chosen for small groups, whose estimate is a little lower) was planned again
	 * at each run */
	int r = db_session(db, "SET plan_cache_mode = force_generic_plan", err);
	for (size_t k = 0; r >= 0 && k < DOC_COPIES; k++)
		r = prepare(db, sql, n, cap, &g->ins_doc[k], err);

	/* the hosts' facts, locked until the commit (several collectors may share a database).
	 * Each lookup by the key, a nested loop whatever the statistics say (a generic plan
	 * made on an empty table scans it all); the same for the attestations waiting */
	n = (size_t)snprintf(sql, cap,
			     "SELECT hd.* FROM unnest($1::text[]) AS u(h) CROSS JOIN LATERAL (SELECT %s, directive_id, host_id"
			     " FROM host_directive WHERE host_id = u.h FOR UPDATE) AS hd",
			     ingest_fact_cols);
	if (r >= 0)
		r = prepare(db, sql, n, cap, &g->hd_get, err);
	if (r >= 0)
		r = db_prepare(db,
			       "SELECT 1 FROM unnest($1::text[], $2::text[]) AS u(host_id, ref) CROSS JOIN LATERAL"
			       " (SELECT 1 FROM document d WHERE d.host_id = u.host_id AND d.kind = 'attestation'"
			       " AND d.ref = u.ref AND d.verdict = 'unchecked' LIMIT 1) AS w LIMIT 1",
			       &g->pend, err);

	/* the findings */
	enum col_type ft[13] = { COL_TEXT, COL_TEXT, COL_INT, COL_INT };
	for (int i = 4; i < 12; i++)
		ft[i] = COL_TEXT;
	ft[12] = COL_INT;
	n = (size_t)snprintf(sql, cap,
			     "INSERT INTO finding (host_id, doc_id, received, created, " FIN_TEXT_COLS
			     ", n_artifacts) SELECT * FROM ");
	n = unnest_of(sql, cap, n, ft, 13);
	if (r >= 0)
		r = prepare(db, sql, n, cap, &g->fin, err);

	/* the hosts: last_seen, and a retired host that submitted back in the fleet, audited
	 * (the audit reads the row as it was before the update: one snapshot) */
	if (r >= 0)
		r = db_prepare(db,
			       "WITH u AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[])"
			       " AS u(id, seen, at, detail)),"
			       " a AS (INSERT INTO audit (at, actor, action, subject, detail) SELECT u.at, 'ingest',"
			       " 'host.unretire', h.id, u.detail FROM u JOIN host h ON h.id = u.id WHERE h.retired IS NOT NULL)"
			       " UPDATE host h SET last_seen = CASE WHEN h.last_seen IS NULL OR h.last_seen < u.seen"
			       " THEN u.seen ELSE h.last_seen END, retired = NULL, retired_reason = NULL, retired_by = NULL"
			       " FROM u WHERE h.id = u.id AND (h.last_seen IS NULL OR h.last_seen < u.seen"
			       " OR h.retired IS NOT NULL)",
			       &g->hosts, err);

	/* the changed facts: host, directive, the integer columns, products */
	t[0] = t[1] = COL_TEXT;
	for (int i = 0; i < INGEST_FACT_N; i++)
		t[2 + i] = COL_INT;
	t[2 + INGEST_FACT_N] = COL_TEXT;
	n = (size_t)snprintf(sql, cap, "INSERT INTO host_directive (host_id, directive_id, %s) SELECT * FROM ",
			     ingest_fact_cols);
	n = unnest_of(sql, cap, n, t, INGEST_FACT_N + 3);
	n += (size_t)snprintf(sql + n, n < cap ? cap - n : 0, " ON CONFLICT (host_id, directive_id) DO UPDATE SET ");
	for (const char *c = ingest_fact_cols; *c && n < cap;) {
		size_t l = strcspn(c, ",");
		n += (size_t)snprintf(sql + n, n < cap ? cap - n : 0, "%s%.*s = excluded.%.*s", c == ingest_fact_cols ? "" : ", ",
				      (int)l, c, (int)l, c);
		c += l;
		c += strspn(c, ", ");
	}
	if (r >= 0)
		r = prepare(db, sql, n, cap, &g->hd_put, err);
	/* those whose row was loaded (and locked): an UPDATE, no conflict to look for */
	n = (size_t)snprintf(sql, cap, "UPDATE host_directive AS h SET ");
	for (const char *c = ingest_fact_cols; *c && n < cap;) {
		size_t l = strcspn(c, ",");
		n += (size_t)snprintf(sql + n, n < cap ? cap - n : 0, "%s%.*s = u.%.*s", c == ingest_fact_cols ? "" : ", ",
				      (int)l, c, (int)l, c);
		c += l;
		c += strspn(c, ", ");
	}
	n += (size_t)snprintf(sql + n, n < cap ? cap - n : 0, " FROM ");
	n = unnest_of(sql, cap, n, t, INGEST_FACT_N + 3);
	n += (size_t)snprintf(sql + n, n < cap ? cap - n : 0,
			      " AS u(host_id, directive_id, %s) WHERE h.host_id = u.host_id AND h.directive_id = u.directive_id",
			      ingest_fact_cols);
	if (r >= 0)
		r = prepare(db, sql, n, cap, &g->hd_upd, err);
	if (r >= 0)
		r = db_prepare(db,
			       "INSERT INTO status_change (host_id, directive_id, old_status, new_status, at, doc_id)"
			       " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])",
			       &g->sc, err);
	if (r < 0) {
		ingest_pg_free(g);
		return r;
	}
	*ret = g;
	return 0;
}

/* ---- one group ---- */

/* A small open-addressing table of item or host indexes, keyed by strings. */
struct tab {
	int *slot;   /* -1: empty */
	size_t mask;
};

static uint64_t hash2(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603u;
	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211u;
	h = (h ^ 0xff) * 1099511628211u;
	for (; b && *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211u;
	return h;
}

static int tab_init(struct tab *t, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n + 2)
		cap *= 2;
	if (!(t->slot = malloc(cap * sizeof(*t->slot))))
		return -ENOMEM;
	memset(t->slot, 0xff, cap * sizeof(*t->slot));
	t->mask = cap - 1;
	return 0;
}

struct grp {
	struct ingest_pg *g;
	struct ingest_item *items;
	size_t n;
	struct tab docs, hosts;            /* (host, doc_id) -> item; host -> host index */
	int *host_of;                      /* per item */
	unsigned char *state;              /* per item: S_* */
	const char **hname;                /* per host */
	struct ingest_facts **facts;
	int64_t *seen, *first_at;
	char (*detail)[160];
	size_t nh;
	/* status_change rows */
	const char **sc_host, **sc_dir, **sc_from, **sc_to, **sc_doc;
	int64_t *sc_at;
	size_t nsc;
	size_t cur;                        /* the item being folded */
};

enum { S_DUP_IN_GROUP, S_SENT, S_STORED };

/* The slot of `a`/`b` in `t`: its index there, or -1 with *at the empty slot to fill. */
static int tab_find(const struct tab *t, const char *a, const char *b, bool (*same)(const struct grp *, int,
										     const char *, const char *),
		    const struct grp *gr, size_t *at)
{
	size_t i = (size_t)hash2(a, b) & t->mask;
	while (t->slot[i] >= 0) {
		if (same(gr, t->slot[i], a, b))
			return t->slot[i];
		i = (i + 1) & t->mask;
	}
	*at = i;
	return -1;
}

static bool same_doc(const struct grp *gr, int k, const char *host, const char *doc_id)
{
	return !strcmp(gr->items[k].host, host) && !strcmp(gr->items[k].doc->doc_id, doc_id);
}

static bool same_host(const struct grp *gr, int k, const char *host, const char *unused)
{
	(void)unused;
	return !strcmp(gr->hname[k], host);
}

static void grp_free(struct grp *gr)
{
	free(gr->docs.slot);
	free(gr->hosts.slot);
	free(gr->host_of);
	free(gr->state);
	free(gr->hname);
	for (size_t h = 0; gr->facts && h < gr->nh; h++)
		ingest_facts_free(gr->facts[h]);
	free(gr->facts);
	free(gr->seen);
	free(gr->first_at);
	free(gr->detail);
	free(gr->sc_host);
	free(gr->sc_dir);
	free(gr->sc_from);
	free(gr->sc_to);
	free(gr->sc_doc);
	free(gr->sc_at);
}

static int grp_alloc(struct grp *gr)
{
	size_t n = gr->n, nsc = n * (gr->g->n_dirs + 1);
	if (tab_init(&gr->docs, n) < 0 || tab_init(&gr->hosts, n) < 0)
		return -ENOMEM;
	gr->host_of = calloc(n, sizeof(*gr->host_of));
	gr->state = calloc(n, sizeof(*gr->state));
	gr->hname = calloc(n, sizeof(*gr->hname));
	gr->facts = calloc(n, sizeof(*gr->facts));
	gr->seen = calloc(n, sizeof(*gr->seen));
	gr->first_at = calloc(n, sizeof(*gr->first_at));
	gr->detail = calloc(n, sizeof(*gr->detail));
	gr->sc_host = calloc(nsc, sizeof(*gr->sc_host));
	gr->sc_dir = calloc(nsc, sizeof(*gr->sc_dir));
	gr->sc_from = calloc(nsc, sizeof(*gr->sc_from));
	gr->sc_to = calloc(nsc, sizeof(*gr->sc_to));
	gr->sc_doc = calloc(nsc, sizeof(*gr->sc_doc));
	gr->sc_at = calloc(nsc, sizeof(*gr->sc_at));
	if (!gr->host_of || !gr->state || !gr->hname || !gr->facts || !gr->seen || !gr->first_at || !gr->detail ||
	    !gr->sc_host || !gr->sc_dir || !gr->sc_from || !gr->sc_to || !gr->sc_doc || !gr->sc_at)
		return -ENOMEM;
	return 0;
}

/* Which items are sent (not seen earlier in the group), and each one's host. */
static int grp_index(struct grp *gr)
{
	for (size_t i = 0; i < gr->n; i++) {
		const struct ingest_item *it = &gr->items[i];
		size_t at;
		if (tab_find(&gr->docs, it->host, it->doc->doc_id, same_doc, gr, &at) >= 0) {
			gr->state[i] = S_DUP_IN_GROUP;
			gr->items[i].status = EXCISE_SUBMIT_DUPLICATE;
		} else {
			gr->docs.slot[at] = (int)i;
			gr->state[i] = S_SENT;
		}
		int h = tab_find(&gr->hosts, it->host, NULL, same_host, gr, &at);
		if (h < 0) {
			h = (int)gr->nh++;
			gr->hosts.slot[at] = h;
			gr->hname[h] = it->host;
			if (ingest_facts_new(gr->g->cat, &gr->facts[h]) < 0)
				return -ENOMEM;
		}
		gr->host_of[i] = h;
	}
	return 0;
}

/* Round trip 1: the documents inserted, the hosts' facts and waiting attestations read. */
static int grp_send(struct grp *gr, bool *pend_sent, struct excise_err *err)
{
	struct ingest_pg *g = gr->g;
	size_t n = gr->n, ns = 0, nrep = 0;
	const char **tv = calloc(n + 1, sizeof(*tv)), **rv = calloc(n + 1, sizeof(*rv));
	int64_t *iv = calloc(n + 1, sizeof(*iv));
	const void **bv = calloc(n + 1, sizeof(*bv));
	size_t *lv = calloc(n + 1, sizeof(*lv));
	bool *sv = calloc(n + 1, sizeof(*sv));
	int r = tv && rv && iv && bv && lv && sv ? 0 : err_set(err, -ENOMEM, "store: out of memory");
	size_t nsent = 0;
	for (size_t i = 0; i < n; i++)
		nsent += gr->state[i] == S_SENT;
	size_t chunk = (nsent + DOC_COPIES - 1) / DOC_COPIES;
	if (chunk < DOC_CHUNK)
		chunk = DOC_CHUNK;
	g->n_ins = 0;
	for (size_t from = 0; r >= 0 && from < n;) {
		struct db_stmt *ins = g->ins_doc[g->n_ins];
		size_t to = from;
		for (size_t c = 0; r >= 0 && c < N_DOC_COLS; c++) {
			ns = 0;
			for (to = from; to < n && ns < chunk; to++) {
				if (gr->state[to] != S_SENT)
					continue;
				const struct ingest_item *it = &gr->items[to];
				if (doc_cols[c].type == COL_TEXT)
					tv[ns] = doc_cols[c].text(it);
				else if (doc_cols[c].type == COL_INT) {
					iv[ns] = doc_cols[c].num(it);
					sv[ns] = !doc_cols[c].set || doc_cols[c].set(it);
				}
				else
					bv[ns] = doc_cols[c].blob(it, &lv[ns]);
				ns++;
			}
			int b = (int)c + 1;
			r = doc_cols[c].type == COL_TEXT ? db_bind_text_array(ins, b, tv, ns) :
			    doc_cols[c].type == COL_INT	 ? db_bind_int64_array(ins, b, iv, sv, ns) :
							   db_bind_blob_array(ins, b, bv, lv, ns);
			if (r < 0)
				r = err_set(err, r, "store: binding the group's documents (column %s)", doc_cols[c].name);
		}
		if (r >= 0 && ns)
			r = db_send(ins, err);
		if (ns)
			g->n_ins++;
		else
			db_reset(ins);
		from = to;
	}
	if (r >= 0) {
		r = db_bind_text_array(g->hd_get, 1, gr->hname, gr->nh);
		r = r < 0 ? err_set(err, r, "store: binding the group's hosts") : db_send(g->hd_get, err);
	}
	/* the reports sent: an attestation waiting for one is checked by ingest_apply */
	ns = 0;
	for (size_t i = 0; i < n; i++)
		if (gr->state[i] == S_SENT && gr->items[i].doc->kind == INGEST_REPORT) {
			tv[ns] = gr->items[i].host;
			rv[ns++] = gr->items[i].doc->doc_id;
		}
	nrep = ns;
	if (r >= 0 && nrep) {
		r = db_bind_text_array(g->pend, 1, tv, nrep);
		if (r >= 0)
			r = db_bind_text_array(g->pend, 2, rv, nrep);
		r = r < 0 ? err_set(err, r, "store: binding the group's reports") : db_send(g->pend, err);
		*pend_sent = r >= 0;
	}
	free(tv);
	free(rv);
	free(iv);
	free(bv);
	free(lv);
	free(sv);
	return r;
}

/* Round trip 1's answers: which documents were stored, the facts; 1 when an attestation
 * waits for one of the reports. */
static int grp_read(struct grp *gr, bool pend_sent, struct excise_err *err)
{
	struct ingest_pg *g = gr->g;
	int r;
	r = 0;
	for (size_t c = 0; c < g->n_ins; c++) {
		struct db_stmt *ins = g->ins_doc[c];
		while (r >= 0 && (r = db_step(ins, err)) == 1) {
			size_t at;
			const char *host = db_column_text(ins, 0), *id = db_column_text(ins, 1);
			int k = host && id ? tab_find(&gr->docs, host, id, same_doc, gr, &at) : -1;
			if (k < 0) {
				r = err_set(err, -EIO, "store: the database stored a document the group does not hold");
				break;
			}
			gr->state[k] = S_STORED;
		}
		db_reset(ins);
	}
	while (r >= 0 && (r = db_step(g->hd_get, err)) == 1) {
		size_t at;
		const char *host = db_column_text(g->hd_get, INGEST_FACT_N + 2);
		int h = host ? tab_find(&gr->hosts, host, NULL, same_host, gr, &at) : -1;
		if (h >= 0 && ingest_facts_load(gr->facts[h], g->hd_get, 0) < 0)
			r = err_set(err, -ENOMEM, "store: out of memory");
	}
	db_reset(g->hd_get);
	int waiting = 0;
	if (pend_sent) {
		if (r >= 0)
			r = waiting = db_step(g->pend, err);
		db_reset(g->pend);
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < gr->n; i++)
		if (gr->state[i] != S_DUP_IN_GROUP)
			gr->items[i].status = gr->state[i] == S_STORED ? EXCISE_SUBMIT_STORED : EXCISE_SUBMIT_DUPLICATE;
	return waiting;
}

static int on_phase(void *ctx, size_t j, const char *from, const char *to)
{
	struct grp *gr = ctx;
	const struct ingest_item *it = &gr->items[gr->cur];
	size_t k = gr->nsc++;
	gr->sc_host[k] = it->host;
	gr->sc_dir[k] = excise_catalog_directive(gr->g->cat, j)->id;
	gr->sc_from[k] = from;
	gr->sc_to[k] = to;
	gr->sc_at[k] = it->doc->created;
	gr->sc_doc[k] = it->doc->doc_id;
	return 0;
}

/* The stored documents' facts folded in group order, the hosts' last_seen and returns. */
static int grp_fold(struct grp *gr, struct excise_err *err)
{
	bool *any = calloc(gr->nh + 1, sizeof(*any));
	if (!any)
		return err_set(err, -ENOMEM, "store: out of memory");
	int r = 0;
	for (size_t i = 0; r >= 0 && i < gr->n; i++) {
		if (gr->state[i] != S_STORED)
			continue;
		const struct ingest_item *it = &gr->items[i];
		int h = gr->host_of[i];
		if (!any[h]) {
			any[h] = true;
			gr->seen[h] = it->now;
			gr->first_at[h] = it->now;
			snprintf(gr->detail[h], sizeof(gr->detail[h]), "retired host submitted %s %s: back in the fleet",
				 it->doc->kind_name, it->doc->doc_id);
		} else if (it->now > gr->seen[h])
			gr->seen[h] = it->now;
		gr->cur = i;
		r = ingest_facts_fold(gr->facts[h], it->doc, on_phase, gr);
		if (r < 0)
			r = err_set(err, r, "store: folding the facts of %s %s: %s", it->doc->kind_name, it->doc->doc_id,
				    r == -ENOMEM ? "out of memory" : "not a report, plan or removal");
	}
	/* the hosts that stored something, first */
	size_t m = 0;
	for (size_t h = 0; h < gr->nh; h++)
		if (any[h]) {
			gr->hname[m] = gr->hname[h];
			gr->seen[m] = gr->seen[h];
			gr->first_at[m] = gr->first_at[h];
			memmove(gr->detail[m], gr->detail[h], sizeof(gr->detail[m]));
			struct ingest_facts *f = gr->facts[m];
			gr->facts[m] = gr->facts[h];
			gr->facts[h] = f;
			m++;
		}
	free(any);
	return r < 0 ? r : (int)m;
}

/* The writes, sent to travel with the commit. */
static int grp_write(struct grp *gr, size_t m, struct excise_err *err)
{
	struct ingest_pg *g = gr->g;
	size_t nf = 0, nd = g->n_dirs, nrow = 0;
	for (size_t i = 0; i < gr->n; i++)
		if (gr->state[i] == S_STORED)
			nf += gr->items[i].doc->n_findings;
	size_t cap = (nf > m * nd ? nf : m * nd) + 1;
	const char **t[10];
	int64_t *v[INGEST_FACT_N + 2];
	bool *set[INGEST_FACT_N];
	int r = 0;
	memset(t, 0, sizeof(t));
	memset(v, 0, sizeof(v));
	memset(set, 0, sizeof(set));
	for (size_t k = 0; k < 10; k++)
		if (!(t[k] = calloc(cap, sizeof(*t[k]))))
			r = -ENOMEM;
	for (size_t k = 0; k < INGEST_FACT_N + 2; k++)
		if (!(v[k] = calloc(cap, sizeof(*v[k]))))
			r = -ENOMEM;
	for (size_t k = 0; k < INGEST_FACT_N; k++)
		if (!(set[k] = calloc(cap, sizeof(*set[k]))))
			r = -ENOMEM;
	if (r < 0)
		r = err_set(err, r, "store: out of memory");

	/* findings: host, doc, received, created, the 8 text columns, n_artifacts */
	for (size_t i = 0; r >= 0 && i < gr->n; i++) {
		if (gr->state[i] != S_STORED)
			continue;
		const struct ingest_item *it = &gr->items[i];
		for (size_t k = 0; k < it->doc->n_findings; k++, nrow++) {
			const struct ingest_finding *f = &it->doc->findings[k];
			t[0][nrow] = it->host;
			t[1][nrow] = it->doc->doc_id;
			v[0][nrow] = it->now;
			v[1][nrow] = it->doc->created;
			const char *tx[8] = { f->product_id, f->vendor_id, f->product_name, f->version,
					      f->state,	     f->confidence, f->directives,   f->sources };
			for (int c = 0; c < 8; c++)
				t[2 + c][nrow] = tx[c];
			v[2][nrow] = f->n_artifacts;
		}
	}
	if (r >= 0 && nrow) {
		r = db_bind_text_array(g->fin, 1, t[0], nrow);
		if (r >= 0)
			r = db_bind_text_array(g->fin, 2, t[1], nrow);
		for (int c = 0; r >= 0 && c < 2; c++)
			r = db_bind_int64_array(g->fin, 3 + c, v[c], NULL, nrow);
		for (int c = 0; r >= 0 && c < 8; c++)
			r = db_bind_text_array(g->fin, 5 + c, t[2 + c], nrow);
		if (r >= 0)
			r = db_bind_int64_array(g->fin, 13, v[2], NULL, nrow);
		r = r < 0 ? err_set(err, r, "store: binding the group's findings") : db_step_defer(g->fin, err);
	}

	/* the hosts */
	if (r >= 0 && m) {
		const char **dv = t[2];
		for (size_t h = 0; h < m; h++)
			dv[h] = gr->detail[h];
		r = db_bind_text_array(g->hosts, 1, gr->hname, m);
		if (r >= 0)
			r = db_bind_int64_array(g->hosts, 2, gr->seen, NULL, m);
		if (r >= 0)
			r = db_bind_int64_array(g->hosts, 3, gr->first_at, NULL, m);
		if (r >= 0)
			r = db_bind_text_array(g->hosts, 4, dv, m);
		r = r < 0 ? err_set(err, r, "store: binding the group's hosts") : db_step_defer(g->hosts, err);
	}

	/* the changed facts: those loaded updated, the others inserted or updated */
	for (int pass = 0; r >= 0 && pass < 2; pass++) {
		struct db_stmt *st = pass ? g->hd_put : g->hd_upd;
		nrow = 0;
		for (size_t h = 0; h < m; h++)
			for (size_t j = 0; j < nd; j++) {
				bool s[INGEST_FACT_N], loaded;
				int64_t x[INGEST_FACT_N];
				const char *products;
				if (!ingest_facts_get(gr->facts[h], j, s, x, &products, &loaded) || loaded == (pass == 1))
					continue;
				t[0][nrow] = gr->hname[h];
				t[1][nrow] = excise_catalog_directive(g->cat, j)->id;
				t[2][nrow] = products;
				for (int c = 0; c < INGEST_FACT_N; c++) {
					set[c][nrow] = s[c];
					v[c][nrow] = x[c];
				}
				nrow++;
			}
		if (!nrow)
			continue;
		r = db_bind_text_array(st, 1, t[0], nrow);
		if (r >= 0)
			r = db_bind_text_array(st, 2, t[1], nrow);
		for (int c = 0; r >= 0 && c < INGEST_FACT_N; c++)
			r = db_bind_int64_array(st, 3 + c, v[c], set[c], nrow);
		if (r >= 0)
			r = db_bind_text_array(st, 3 + INGEST_FACT_N, t[2], nrow);
		r = r < 0 ? err_set(err, r, "store: binding the group's facts") : db_step_defer(st, err);
	}

	/* the phase changes, in the order they happened */
	if (r >= 0 && gr->nsc) {
		size_t k = gr->nsc;
		r = db_bind_text_array(g->sc, 1, gr->sc_host, k);
		if (r >= 0)
			r = db_bind_text_array(g->sc, 2, gr->sc_dir, k);
		if (r >= 0)
			r = db_bind_text_array(g->sc, 3, gr->sc_from, k);
		if (r >= 0)
			r = db_bind_text_array(g->sc, 4, gr->sc_to, k);
		if (r >= 0)
			r = db_bind_int64_array(g->sc, 5, gr->sc_at, NULL, k);
		if (r >= 0)
			r = db_bind_text_array(g->sc, 6, gr->sc_doc, k);
		r = r < 0 ? err_set(err, r, "store: binding the group's status changes") : db_step_defer(g->sc, err);
	}
	for (size_t k = 0; k < 10; k++)
		free(t[k]);
	for (size_t k = 0; k < INGEST_FACT_N + 2; k++)
		free(v[k]);
	for (size_t k = 0; k < INGEST_FACT_N; k++)
		free(set[k]);
	return r;
}

int ingest_pg_apply(struct ingest_pg *g, struct ingest *in, struct ingest_item *items, size_t n,
		    struct excise_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].doc->kind == INGEST_ATTESTATION)
			return ingest_apply_many(in, items, n, err);
	if (!n)
		return 0;
	struct grp gr = { .g = g, .items = items, .n = n };
	bool pend_sent = false;
	int r = grp_alloc(&gr) < 0 || grp_index(&gr) < 0 ? err_set(err, -ENOMEM, "store: out of memory") : 0;
	if (r >= 0)
		r = grp_send(&gr, &pend_sent, err);
	if (r >= 0)
		r = grp_read(&gr, pend_sent, err);
	else {
		for (size_t c = 0; c < DOC_COPIES; c++)
			db_reset(g->ins_doc[c]);
		db_reset(g->hd_get);
		db_reset(g->pend);
	}
	if (r == 1) {
		/* an attestation waits for one of the reports: one by one, from the start */
		grp_free(&gr);
		db_rollback(g->db);
		r = db_exec(g->db, "BEGIN", err);
		return r < 0 ? r : ingest_apply_many(in, items, n, err);
	}
	if (r >= 0)
		r = grp_fold(&gr, err);
	if (r >= 0)
		r = grp_write(&gr, (size_t)r, err);
	grp_free(&gr);
	return r < 0 ? r : 0;
}
