/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlitedb: an SQLite database from an image (an NSS cert9.db, an rpmdb.sqlite),
 * opened read-only with every SQLite defence on, and its schema checked before
 * any query reads it. SQLite runs code the schema holds: a view or a trigger
 * runs its SQL, a generated column computes its expression on every read (a
 * few bytes of schema can cost seconds and hundreds of megabytes per row, and
 * neither defensive mode nor trusted_schema=OFF stops it). So the schema may
 * hold only plain tables (no virtual table, no generated column) and indexes;
 * anything else is refused. Every statement of the connection also runs under
 * a progress handler that interrupts it past EXCISE_MAX_SQLITE_SECONDS.
 */
#ifndef EXCISE_PARSE_SQLITEDB_H
#define EXCISE_PARSE_SQLITEDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "excise/error.h"

struct sqlitedb {
	sqlite3 *h;
	int64_t deadline_ns;   /* CLOCK_MONOTONIC: statements are interrupted past it */
	bool expired;          /* the deadline interrupted a statement */
};

/* Open the `len` bytes at `data` (kept by the caller until sqlitedb_close) as a
 * read-only in-memory database; a WAL database is read as a rollback one (its -wal
 * is not there). `name` is for messages. Returns 0, -ENOMEM or -EXCISE_E_CORRUPT
 * with `err` set. */
int sqlitedb_open_mem(const char *name, unsigned char *data, size_t len, struct sqlitedb *db,
		      struct excise_err *err);

/* Open the file `path` (a private copy, never a file in an image: SQLite may make
 * its -shm beside it) read-only. */
int sqlitedb_open_file(const char *name, const char *path, struct sqlitedb *db, struct excise_err *err);

/* 0 when the schema holds only plain tables and indexes, else -EXCISE_E_CORRUPT
 * naming the first object that is not (a view, a trigger, a virtual table, a table
 * with a generated column), or -EXCISE_E_LIMIT when the deadline passed. */
int sqlitedb_check_schema(struct sqlitedb *db, const char *name, struct excise_err *err);

/* The error of a statement that failed: -EXCISE_E_LIMIT when the deadline stopped it,
 * -ENOMEM, else -EXCISE_E_CORRUPT. */
int sqlitedb_error(struct sqlitedb *db, int rc);

/* Start the deadline again: a reader that works between rows (a certificate parsed,
 * matched) gives each row its own EXCISE_MAX_SQLITE_SECONDS. */
void sqlitedb_arm(struct sqlitedb *db);

void sqlitedb_close(struct sqlitedb *db);

#endif
