/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_int: what the rest of lib/fleet (track.c, freport.c, ingest.c) may use of
 * the collector's storage beyond include/excise/store.h.
 *
 * Reading the database: store_db_read() gives the store's own READ connection,
 * opened on first use and closed with the store. It is for ONE thread at a time
 * (the thread making a report; excise report is single-threaded): statements
 * prepared on it are the caller's to finalize. It sees every commit made before
 * the statement runs (SQLite WAL: a read transaction is a snapshot; PostgreSQL:
 * read committed). Never write through it (PostgreSQL sessions are read-only;
 * SQLite would wait for the writer). A caller that needs several threads opens one
 * connection each with store_db_open_read() and closes them with db_close().
 * The SQL dialect is db.h's; the tables and columns are in schema.c and
 * docs/storage.md.
 */
#ifndef EXCISE_FLEET_STORE_INT_H
#define EXCISE_FLEET_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "excise/catalog.h"
#include "excise/store.h"
#include "fleet/db.h"

#define SCHEMA_VERSION 5
#define SCHEMA_LOCK_ID "735839471"   /* pg_advisory_xact_lock key of migrations: "excise" */

/* Bring `db` to SCHEMA_VERSION in one transaction; -EXCISE_E_CORRUPT for a newer one. */
int schema_migrate(struct db *db, struct excise_err *err);
/* A read-only store's check, nothing written: the database (`where` names it in
 * messages, never a URL's password) is at SCHEMA_VERSION; an older one is
 * -EXCISE_E_CORRUPT saying to start `excise serve` once to migrate it, a newer one
 * -EXCISE_E_CORRUPT too. */
int schema_check(struct db *db, const char *where, struct excise_err *err);

/* The store's read connection (see above); NULL when it cannot be opened (then
 * store_db_open_read says why). */
struct db *store_db_read(struct excise_store *st);
/* A new read connection to the store's database, the caller's to db_close. */
int store_db_open_read(struct excise_store *st, struct db **ret, struct excise_err *err);
/* The catalog the store was opened with (directives, products). */
const struct excise_catalog *store_catalog(const struct excise_store *st);
/* Every filing of `directive_id` (NULL: all), revoked ones too, read on `db`
 * (excise_store_filing_list's order); *ret for excise_filing_free. */
int store_filings_read(struct db *db, const char *directive_id, struct excise_filing **ret, size_t *n,
		       struct excise_err *err);

/* Tests only (tests/unit/test-store.c), SQLite's commit pipeline: from its next sync on,
 * the syncer fdatasyncs `fd` in place of the WAL (-1: the WAL again), so that a
 * descriptor fdatasync refuses makes a sync fail for real; while `hold` is true the
 * syncer syncs nothing and answers nothing (the writer goes on committing). */
void store_test_sync_fd(struct excise_store *st, int fd);
void store_test_sync_hold(struct excise_store *st, bool hold);
/* Tests only: the WAL starts again past `frames` pages, not STORE_WAL_RESTART_FRAMES. */
void store_test_wal_restart(struct excise_store *st, int64_t frames);

#endif
