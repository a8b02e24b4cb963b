/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db: the one small SQL driver interface the collector's storage is written
 * against, implemented by SQLite (db-sqlite.c) and PostgreSQL through libpq
 * (db-pg.c). SQL given to it is the portable subset both accept: TEXT, BIGINT and
 * INTEGER columns, parameters written $1..$n (each bound as text, a 64-bit integer
 * or NULL), INSERT ... ON CONFLICT ... DO NOTHING / DO UPDATE, RETURNING, CASE,
 * COALESCE. Backend differences the callers need are asked with db_backend().
 *
 * A connection is used by one thread at a time; statements belong to it.
 * Errors come back as -EXCISE_E_* or -errno with the message in `err`:
 * -EEXIST for a unique or primary key violation, -EXCISE_E_BUSY when SQLite's
 * busy timeout ran out, -EIO for the rest (a lost server, a full disk).
 */
#ifndef EXCISE_FLEET_DB_H
#define EXCISE_FLEET_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/error.h"

struct db;
struct db_stmt;

struct db_opts {
	bool sync_normal;     /* SQLite synchronous=NORMAL instead of FULL */
	bool read_only;       /* SQLite: opened read-only (the file must exist); PostgreSQL: a read-only session */
	unsigned busy_ms;     /* SQLite busy_timeout (0: DB_BUSY_MS) */
};

#define DB_BUSY_MS 10000u

/* "postgresql://..." or "postgres://..." (libpq), "sqlite:PATH" or a plain PATH (SQLite,
 * created with its folder's files when absent unless read_only). */
int db_open(const char *url, const struct db_opts *o, struct db **ret, struct excise_err *err);
void db_close(struct db *db);
/* "sqlite" or "postgresql" */
const char *db_backend(const struct db *db);
bool db_is_pg(const struct db *db);

/* SQLite: the database file (not its WAL) synced to disk through the connection's own
 * file (no other descriptor is opened: closing one would drop SQLite's locks); 0 at once
 * on PostgreSQL. */
int db_sync_main(struct db *db, struct excise_err *err);

/* SQLite: the database's WAL file ("PATH-wal") fdatasync'ed through *fd, a descriptor
 * of the caller's own (-1 at first: then opened read-only and its folder synced once, so
 * that the WAL's name is on disk too; closed and opened again when PATH-wal no longer
 * names the file *fd is of, compared by st_dev and st_ino before each sync). The caller
 * closes *fd when done: SQLite locks the database and -shm files, never the WAL, so that
 * close drops none of its locks. Unlike the rest of this file it may run in another
 * thread than the connection's, beside it: it reads only the path db_open fixed.
 * -EXCISE_E_UNSUPPORTED on PostgreSQL. */
int db_wal_sync(struct db *db, int *fd, struct excise_err *err);

/* Run SQL without parameters or results (one or several statements). */
int db_exec(struct db *db, const char *sql, struct excise_err *err);

/* Run `sql` (SET statements, no results) now and, on PostgreSQL, again on each connection
 * made after a lost one, as the connection's own settings are; SQLite: db_exec. */
int db_session(struct db *db, const char *sql, struct excise_err *err);

int db_begin(struct db *db, struct excise_err *err);
int db_commit(struct db *db, struct excise_err *err);
/* Never fails from the caller's view: a rollback that cannot run leaves the
 * connection marked broken (the next call fails). */
void db_rollback(struct db *db);

/* A statement with parameters $1..$n, reusable: db_reset before binding again. On
 * PostgreSQL the statements sent before without waiting are waited for first (an error
 * of theirs is this call's). */
int db_prepare(struct db *db, const char *sql, struct db_stmt **ret, struct excise_err *err);
/* i counts from 1. A NULL string binds NULL. */
int db_bind_text(struct db_stmt *s, int i, const char *v);
int db_bind_int64(struct db_stmt *s, int i, int64_t v);
int db_bind_null(struct db_stmt *s, int i);
/* As db_bind_text, but `v` is not copied where the backend can avoid it (SQLite): it must
 * stay valid and unchanged until the statement is reset. */
int db_bind_text_static(struct db_stmt *s, int i, const char *v);
/* `n` bytes (a SQLite BLOB, a PostgreSQL BYTEA), not copied where the backend can avoid
 * it (SQLite): they must stay valid and unchanged until the statement is reset. */
int db_bind_blob_static(struct db_stmt *s, int i, const void *v, size_t n);
/* PostgreSQL only (elsewhere -EXCISE_E_USAGE): bind parameter i, written $i::text[] or
 * $i::bigint[] in the SQL, to a one-dimensional array of n values, sent in binary (no
 * quoting, no parsing): a NULL text entry, or an int64 entry whose `set` is false (`set`
 * may be NULL: none is), is SQL NULL. The values are copied. */
int db_bind_text_array(struct db_stmt *s, int i, const char *const *v, size_t n);
int db_bind_int64_array(struct db_stmt *s, int i, const int64_t *v, const bool *set, size_t n);
/* As db_bind_text_array for $i::bytea[]: entry k is lens[k] bytes at v[k] (NULL: SQL NULL). */
int db_bind_blob_array(struct db_stmt *s, int i, const void *const *v, const size_t *lens, size_t n);
/* 1: a row is there to read; 0: done; < 0: failed (err says why). */
int db_step(struct db_stmt *s, struct excise_err *err);
/* Queue `s` (bound) to run; its rows are then read with db_step as usual. PostgreSQL
 * sends it at once without waiting, so that statements queued together (and those of
 * db_step_defer) cost one round trip, at the first db_step; SQLite runs it at that
 * db_step. Step queued statements in the order they were queued. */
int db_send(struct db_stmt *s, struct excise_err *err);
/* Run `s` (bound) for its effect only, its rows never read, and reset it. SQLite runs it
 * at once. PostgreSQL sends it without waiting (libpq pipeline mode): several such
 * statements travel together with the next statement that waits (a db_step, db_exec,
 * db_commit), and an error of one of them is returned by that call. */
int db_step_defer(struct db_stmt *s, struct excise_err *err);
/* Rows the last INSERT, UPDATE or DELETE run on `db` changed: SQLite; -1 on PostgreSQL
 * (whose statements may still be in the pipeline: ask with RETURNING there). */
int64_t db_changes(struct db *db);
/* Forget results and bindings (NULL: nothing). */
void db_reset(struct db_stmt *s);
/* Columns of the current row, counted from 0. Text is valid until the next step or
 * reset; NULL for SQL NULL. */
const char *db_column_text(struct db_stmt *s, int col);
int64_t db_column_int64(struct db_stmt *s, int col); /* 0 for NULL */
bool db_column_null(struct db_stmt *s, int col);
/* A BLOB (BYTEA) column of the current row: *ret and *len, valid until the next step or
 * reset (*ret NULL for SQL NULL). -ENOMEM, or -EXCISE_E_CORRUPT for a value that is not
 * bytes (PostgreSQL: not its hex form). */
int db_column_blob(struct db_stmt *s, int col, const void **ret, size_t *len);
void db_finalize(struct db_stmt *s);

/* Run a one-shot statement: prepare, bind each of `n` values (NULL for SQL NULL),
 * step to the end. Returns the number of rows it returned (0 or more), or < 0. */
int db_run(struct db *db, const char *sql, int n, const char *const *vals, struct excise_err *err);

/* ---- the backends' tables (db.c dispatches) ---- */

struct db_ops {
	const char *name;
	int (*open)(const char *target, const struct db_opts *o, struct db **ret, struct excise_err *err);
	void (*close)(struct db *db);
	int (*exec)(struct db *db, const char *sql, struct excise_err *err);
	int (*prepare)(struct db *db, const char *sql, struct db_stmt **ret, struct excise_err *err);
	int (*bind_text)(struct db_stmt *s, int i, const char *v);
	int (*bind_int64)(struct db_stmt *s, int i, int64_t v);
	int (*bind_null)(struct db_stmt *s, int i);
	int (*bind_text_static)(struct db_stmt *s, int i, const char *v); /* NULL: bind_text */
	int64_t (*changes)(struct db *db);                                  /* NULL: -1 */
	int (*bind_text_array)(struct db_stmt *s, int i, const char *const *v, size_t n); /* NULL: none */
	int (*bind_int64_array)(struct db_stmt *s, int i, const int64_t *v, const bool *set, size_t n);
	int (*bind_blob_array)(struct db_stmt *s, int i, const void *const *v, const size_t *lens, size_t n);
	int (*step)(struct db_stmt *s, struct excise_err *err);
	int (*step_defer)(struct db_stmt *s, struct excise_err *err); /* NULL: step to the end, then reset */
	int (*send)(struct db_stmt *s, struct excise_err *err);       /* NULL: nothing until db_step */
	void (*reset)(struct db_stmt *s);
	const char *(*column_text)(struct db_stmt *s, int col);
	int64_t (*column_int64)(struct db_stmt *s, int col);
	bool (*column_null)(struct db_stmt *s, int col);
	int (*bind_blob_static)(struct db_stmt *s, int i, const void *v, size_t n);
	int (*column_blob)(struct db_stmt *s, int col, const void **ret, size_t *len);
	int (*sync_main)(struct db *db, struct excise_err *err);      /* NULL: nothing to do */
	void (*finalize)(struct db_stmt *s);
	int (*session)(struct db *db, const char *sql, struct excise_err *err); /* NULL: exec */
};

/* Every backend's struct db and struct db_stmt start with these. */
struct db {
	const struct db_ops *ops;
};
struct db_stmt {
	const struct db_ops *ops;
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

#endif
