/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest: a document a host submitted, parsed (ingest_parse, in the submitting
 * thread, before it is queued) into what the store keeps, and applied
 * (ingest_apply, in the writer thread, inside the group's transaction): the
 * document row, its findings, and the FACTS of host_directive (docs/storage.md).
 */
#ifndef EXCISE_FLEET_INGEST_H
#define EXCISE_FLEET_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/catalog.h"
#include "excise/store.h"
#include "fleet/db.h"

enum ingest_kind { INGEST_REPORT, INGEST_PLAN, INGEST_REMOVAL, INGEST_ATTESTATION };

struct ingest_finding {
	char *product_id, *vendor_id, *product_name, *version, *state, *confidence;
	char *directives;  /* comma list of the covering directive ids */
	char *sources;     /* comma list of the sources of its evidence, each once */
	int64_t n_artifacts;
};

/* What one document says about one directive of the collector's catalog. */
struct ingest_dir {
	bool covered;      /* report: a strong or definitive covered finding; plan, removal: a covered product */
	char *products;    /* report: the covered products found (comma list, sorted) */
};

struct ingest_doc {
	enum ingest_kind kind;
	char kind_name[16];
	char doc_id[80];
	char *machine_id;           /* host.machine_id */
	int64_t created;            /* the document's own time (unix s): report finished, plan made, removal
				     * started, attestation made */
	bool complete;              /* report: no source failed; attestation: checked clean or found */
	char *verdict;              /* report/attestation verdict, removal status; NULL for a plan */
	char *ref;                  /* plan: the report_id it was made from; attestation: the report it names */
	bool all_products;          /* removal without a product list: every directive the host was identified for */
	struct ingest_finding *findings;
	size_t n_findings;
	struct ingest_dir *dirs;    /* one per catalog directive */
	size_t n_dirs;
	char *body;                 /* the bytes, NUL-terminated */
	size_t len;
	void *body_z;               /* the bytes compressed (docbody_pack, in the submitting thread) and stored so;
				     * NULL: stored as text */
	size_t body_z_len;
};

/* Parse `body` (at most EXCISE_MAX_SUBMIT_SIZE bytes) against `cat`.
 * -EXCISE_E_TOOBIG, -EXCISE_E_CORRUPT with the place, -ENOMEM. */
int ingest_parse(const struct excise_catalog *cat, const void *body, size_t len, struct ingest_doc *ret,
		 struct excise_err *err);
void ingest_doc_done(struct ingest_doc *d);

struct ingest;
/* The writer's statements, prepared once on its connection. */
int ingest_new(struct db *db, const struct excise_catalog *cat, struct ingest **ret, struct excise_err *err);
void ingest_free(struct ingest *in);
/* Store `d` for `host_id` inside the caller's transaction; res->status says stored or
 * duplicate (then nothing was changed). */
int ingest_apply(struct ingest *in, const char *host_id, const struct ingest_doc *d, int64_t now,
		 enum excise_submit_status *ret, struct excise_err *err);

/* One document of a group. */
struct ingest_item {
	const char *host;
	const struct ingest_doc *doc;
	int64_t now;
	enum excise_submit_status status;   /* set when it returns 0 */
};
/* The document table's columns as a writer inserts a row, in the order of their
 * parameters: X(column, what comes before it in a list, its parameter, how it is bound:
 * TEXT, INT, INTNULL (NULL unless the body is compressed), BLOB). The one list both
 * inserts are made from: ingest.c's one document a statement, ingest-pg.c's set-based
 * one (doc_cols). */
#define INGEST_DOC_COLS(X)                                                                          \
	X(host_id, "", "$1", TEXT) X(doc_id, ", ", "$2", TEXT) X(kind, ", ", "$3", TEXT)           \
	X(received, ", ", "$4", INT) X(created, ", ", "$5", INT) X(complete, ", ", "$6", INT)      \
	X(verdict, ", ", "$7", TEXT) X(body, ", ", "$8", TEXT) X(ref, ", ", "$9", TEXT)            \
	X(body_z, ", ", "$10", BLOB) X(body_codec, ", ", "$11", TEXT) X(body_len, ", ", "$12", INTNULL)

/* ingest_apply for each item in order, in the caller's transaction. On PostgreSQL a run of
 * documents of distinct hosts sends its inserts and reads together: one round trip per
 * run, not per document. The first error stops it (the caller rolls back). */
int ingest_apply_many(struct ingest *in, struct ingest_item *items, size_t n, struct excise_err *err);
/* After the caller rolled back a transaction ingest_apply or ingest_apply_many ran in:
 * what the writer knows of the database (SQLite: its unchecked attestations' count) is
 * read again at the next. */
void ingest_rolled_back(struct ingest *in);

/* ---- one host's facts held in memory, for ingest-pg.c's set-based group apply ---- */

/* The integer fact columns of host_directive; ingest_fact_cols lists them, then products. */
#define INGEST_FACT_N 12
extern const char ingest_fact_cols[];
struct ingest_facts;
/* A host's facts for every directive of `cat`, none known yet. -ENOMEM. */
int ingest_facts_new(const struct excise_catalog *cat, struct ingest_facts **ret);
void ingest_facts_free(struct ingest_facts *h);
/* One host_directive row of the host, read by `s`: the columns of ingest_fact_cols from
 * `col` on, then directive_id. -ENOMEM. */
int ingest_facts_load(struct ingest_facts *h, struct db_stmt *s, int col);
/* The host's phase of directive `j` went from `from` (NULL: none) to `to` (static strings). */
typedef int (*ingest_phase_fn)(void *ctx, size_t j, const char *from, const char *to);
/* Fold in what report, plan or removal `d` says, exactly as ingest_apply does (each phase
 * change to `pf`, which may fail the fold with its own error); -EXCISE_E_USAGE for an
 * attestation (ingest_apply checks it against its report), -ENOMEM. */
int ingest_facts_fold(struct ingest_facts *h, const struct ingest_doc *d, ingest_phase_fn pf, void *ctx);
/* Directive j's facts when they changed since loaded (false when not): set[k], v[k] for
 * the integer columns, `products` valid until the next fold or free; `loaded`: its row
 * was loaded (an UPDATE writes it), else it may be new. */
bool ingest_facts_get(const struct ingest_facts *h, size_t j, bool set[INGEST_FACT_N], int64_t v[INGEST_FACT_N],
		      const char **products, bool *loaded);

#endif
