/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schema: the collector database's tables and their migrations, one portable
 * SQL text per version that SQLite and PostgreSQL both run (docs/storage.md
 * lists every table and column). schema_migrate brings a database to
 * SCHEMA_VERSION inside one transaction when a store is opened; PostgreSQL takes
 * a transaction-scoped advisory lock first, so several collectors starting
 * together migrate once. A database of a newer version is refused, never
 * touched. A migration is never edited once released: a change is a new version.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/macro.h"
#include "fleet/db.h"
#include "fleet/store_int.h"

/* Version 1: the tables of issue 15. Times are unix seconds (BIGINT, NULL when
 * never), ids TEXT. host_directive holds FACTS only (lib/fleet/ingest.c); the
 * state of a host is derived from them (lib/fleet/track.c). */
static const char *const v1[] = {
	"CREATE TABLE org_unit (id TEXT PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
	" parent_id TEXT REFERENCES org_unit(id))",
	"CREATE TABLE enroll_secret (id TEXT PRIMARY KEY, org_unit_id TEXT NOT NULL REFERENCES org_unit(id),"
	" secret_hash TEXT NOT NULL UNIQUE, created BIGINT NOT NULL, expires BIGINT NOT NULL, revoked BIGINT,"
	" note TEXT)",
	"CREATE TABLE host (id TEXT PRIMARY KEY, machine_id TEXT NOT NULL UNIQUE,"
	" org_unit_id TEXT NOT NULL REFERENCES org_unit(id), hostname TEXT NOT NULL, platform TEXT, os TEXT,"
	" version TEXT, enrolled BIGINT NOT NULL, key_epoch BIGINT NOT NULL, last_seen BIGINT, retired BIGINT,"
	" retired_reason TEXT, retired_by TEXT, secret_id TEXT)",
	"CREATE INDEX host_org_unit ON host(org_unit_id)",
	"CREATE INDEX host_hostname ON host(hostname)",
	"CREATE TABLE document (host_id TEXT NOT NULL REFERENCES host(id), doc_id TEXT NOT NULL, kind TEXT NOT NULL,"
	" received BIGINT NOT NULL, created BIGINT NOT NULL, complete INTEGER NOT NULL, verdict TEXT,"
	" body TEXT NOT NULL, ref TEXT, PRIMARY KEY (host_id, doc_id))",
	"CREATE INDEX document_host_kind ON document(host_id, kind, created)",
	"CREATE INDEX document_received ON document(received)",
	"CREATE TABLE finding (host_id TEXT NOT NULL, doc_id TEXT NOT NULL, received BIGINT NOT NULL,"
	" created BIGINT NOT NULL, product_id TEXT NOT NULL, vendor_id TEXT, product_name TEXT, version TEXT,"
	" state TEXT, confidence TEXT, directives TEXT, sources TEXT, n_artifacts INTEGER,"
	" FOREIGN KEY (host_id, doc_id) REFERENCES document(host_id, doc_id))",
	"CREATE INDEX finding_product ON finding(product_id)",
	"CREATE INDEX finding_doc ON finding(host_id, doc_id)",
	"CREATE TABLE host_directive (host_id TEXT NOT NULL REFERENCES host(id), directive_id TEXT NOT NULL,"
	" first_report BIGINT, last_report BIGINT, last_complete BIGINT, last_complete_covered INTEGER,"
	" first_identified BIGINT, last_identified BIGINT, products TEXT, plan_recorded BIGINT,"
	" removal_started BIGINT, removed BIGINT, verified BIGINT, last_error BIGINT,"
	" PRIMARY KEY (host_id, directive_id))",
	"CREATE INDEX host_directive_directive ON host_directive(directive_id)",
	"CREATE TABLE status_change (host_id TEXT NOT NULL, directive_id TEXT NOT NULL, old_status TEXT,"
	" new_status TEXT NOT NULL, at BIGINT NOT NULL, doc_id TEXT)",
	"CREATE INDEX status_change_directive ON status_change(directive_id, at)",
	"CREATE TABLE exemption (id TEXT PRIMARY KEY, host_id TEXT NOT NULL REFERENCES host(id),"
	" directive_id TEXT NOT NULL, reason TEXT NOT NULL, approver TEXT NOT NULL, created BIGINT NOT NULL,"
	" expires BIGINT, revoked BIGINT)",
	"CREATE INDEX exemption_host ON exemption(host_id, directive_id)",
	"CREATE TABLE expected_host (org_unit_id TEXT NOT NULL REFERENCES org_unit(id), hostname TEXT NOT NULL,"
	" imported BIGINT NOT NULL, PRIMARY KEY (org_unit_id, hostname))",
	"CREATE TABLE directive_start (directive_id TEXT PRIMARY KEY, start BIGINT NOT NULL, set_by TEXT,"
	" set_at BIGINT NOT NULL)",
	"CREATE TABLE audit (at BIGINT NOT NULL, actor TEXT, action TEXT NOT NULL, subject TEXT, detail TEXT)",
	"CREATE INDEX audit_at ON audit(at)",
	NULL,
};

/* Version 2: indexes the reports read by (lib/fleet/fleet.c, docs/storage.md). Each
 * host's first determination (its first status change out of never_reported and
 * error) is one seek of a covering index per host instead of a grouping of every
 * status change; each host's latest report is one seek of a covering index (the
 * order of "latest": created, received, doc_id) instead of a read of the document
 * row and a sort. document_latest starts with document_host_kind's columns, which it
 * replaces. */
static const char *const v2[] = {
	"CREATE INDEX status_change_host ON status_change(host_id, directive_id, at, new_status)",
	"CREATE INDEX document_latest ON document(host_id, kind, created, received, doc_id)",
	"DROP INDEX document_host_kind",
	NULL,
};

/* Version 3: document bodies stored compressed (lib/fleet/docbody.c): body_z the
 * compressed bytes, body_codec their codec ('zstd'), body_len the bytes' length; body is
 * then '' (its NOT NULL stays). A row of an older version keeps its text in body, its
 * body_codec NULL, and reads as before. BYTEA is PostgreSQL's type of bytes; SQLite
 * stores a blob whatever the column's declared type. document_unchecked: the attestations
 * waiting for their report (few), so that counting them (the SQLite writer, when
 * another connection committed) and finding a report's are seeks, not scans. */
static const char *const v3[] = {
	"ALTER TABLE document ADD COLUMN body_z BYTEA",
	"ALTER TABLE document ADD COLUMN body_codec TEXT",
	"ALTER TABLE document ADD COLUMN body_len BIGINT",
	"CREATE INDEX document_unchecked ON document(host_id, ref) WHERE kind = 'attestation' AND verdict = 'unchecked'",
	NULL,
};

/* Version 4: each host's first determination (docs/fleet.md, milestone identify) as a
 * fact of host_directive, first_determined: the earliest status change out of
 * never_reported and error, kept by the writer (lib/fleet/ingest.c) as it writes that
 * change, so that a report reads it with the row instead of seeking status_change per
 * host. Existing rows get it from their status changes; status_change_host (version 2),
 * which only that seek read, goes. */
static const char *const v4[] = {
	"ALTER TABLE host_directive ADD COLUMN first_determined BIGINT",
	"UPDATE host_directive SET first_determined = (SELECT MIN(s.at) FROM status_change s"
	" WHERE s.host_id = host_directive.host_id AND s.directive_id = host_directive.directive_id"
	" AND s.new_status NOT IN ('error', 'never_reported'))",
	"DROP INDEX status_change_host",
	NULL,
};

/* Version 5: the organisation's filings of the reports a directive asks for (docs/fleet.md,
 * "Reports filed"; lib/fleet/track.c reads them as a milestone met): which milestone of which
 * directive, the day it was filed, its reference, the org unit it covers (NULL: the whole
 * organisation), who recorded it and when; revoked, with who and why, when recorded in
 * error (kept, never deleted). A report reads every filing of its directive. */
static const char *const v5[] = {
	"CREATE TABLE filing (id TEXT PRIMARY KEY, directive_id TEXT NOT NULL, milestone_id TEXT NOT NULL,"
	" org_unit_id TEXT REFERENCES org_unit(id), filed BIGINT NOT NULL, reference TEXT NOT NULL,"
	" recorded_by TEXT NOT NULL, recorded BIGINT NOT NULL, revoked BIGINT, revoked_by TEXT, revoke_reason TEXT)",
	"CREATE INDEX filing_directive ON filing(directive_id, milestone_id, filed)",
	NULL,
};

static const char *const *const migrations[] = { NULL, v1, v2, v3, v4, v5 };

/* The version the database says it is at (0: a new database). */
static int current(struct db *db, int64_t *ret, struct excise_err *err)
{
	struct db_stmt *s;
	int r = db_prepare(db, "SELECT MAX(version) FROM schema_version", &s, err);
	if (r < 0)
		return r;
	r = db_step(s, err);
	*ret = r == 1 ? db_column_int64(s, 0) : 0;
	db_finalize(s);
	return r < 0 ? r : 0;
}

int schema_migrate(struct db *db, struct excise_err *err)
{
	/* SQLite: take the write lock at once, so that two processes opening a new
	 * file do not both read version 0. PostgreSQL: the advisory lock. */
	int r = db_exec(db, db_is_pg(db) ? "BEGIN" : "BEGIN IMMEDIATE", err);
	if (r < 0)
		return r;
	if (db_is_pg(db))
		r = db_exec(db, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK_ID ")", err);
	if (r >= 0)
		r = db_exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", err);
	int64_t v = 0;
	if (r >= 0)
		r = current(db, &v, err);
	if (r >= 0 && v > SCHEMA_VERSION)
		r = err_set(err, -EXCISE_E_CORRUPT,
			    "database schema version %" PRId64 " is newer than this excise knows (%d): "
			    "run a newer excise",
			    v, SCHEMA_VERSION);
	for (int64_t n = v + 1; r >= 0 && n <= SCHEMA_VERSION; n++) {
		for (const char *const *q = migrations[n]; r >= 0 && *q; q++)
			r = db_exec(db, *q, err);
		char sql[96];
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version (version) VALUES (%" PRId64 ")", n);
		if (r >= 0)
			r = db_exec(db, sql, err);
	}
	if (r >= 0)
		r = db_commit(db, err);
	if (r < 0)
		db_rollback(db);
	return r;
}

int schema_check(struct db *db, const char *where, struct excise_err *err)
{
	struct db_stmt *s;
	/* sqlite_master / information_schema differ: ask the table itself, and read its failure */
	struct excise_err e2 = { 0 };
	int r = db_prepare(db, "SELECT MAX(version) FROM schema_version", &s, &e2);
	if (r < 0)
		return err_set(err, -EXCISE_E_CORRUPT, "database '%s': not a collector database (no schema version: %s)",
			       where, e2.msg);
	r = db_step(s, err);
	int64_t v = r == 1 ? db_column_int64(s, 0) : 0;
	db_finalize(s);
	if (r < 0)
		return r;
	if (v > SCHEMA_VERSION)
		return err_set(err, -EXCISE_E_CORRUPT,
			       "database '%s': schema version %" PRId64 " is newer than this excise knows (%d): "
			       "run a newer excise",
			       where, v, SCHEMA_VERSION);
	if (v < SCHEMA_VERSION)
		return err_set(err, -EXCISE_E_CORRUPT,
			       "database '%s': schema version %" PRId64 ", this excise reads version %d: start "
			       "`excise serve` on it once to migrate it (a report opens it read-only, never migrates)",
			       where, v, SCHEMA_VERSION);
	return 0;
}
