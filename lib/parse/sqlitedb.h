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

#include "core/macro.h"
#include "excise/error.h"

struct sqlitedb {
	sqlite3 *h;
	int64_t deadline_ns;   /* CLOCK_MONOTONIC: statements are interrupted past it */
	bool expired;          /* the deadline interrupted a statement */
};

/* The 100-byte header at the start of an SQLite file, checked before SQLite (or
 * librpm, which leaks its handle when it cannot open a database) sees the file:
 * `h` is the first `hlen` bytes of the file, `size` its size, `wal` whether a
 * non-empty -wal file lies beside it. Refused with -EXCISE_E_CORRUPT, `err` saying
 * "'<name>': corrupt <what>: ...": fewer than 100 bytes or no "SQLite format 3\0"
 * magic, a page size (offset 16, big-endian, 1 for 65536) not a power of two from
 * 512, a size not a multiple of the page size, or, when the header's page count
 * (offset 28) is valid (its change counter at 24 equals the one at 92) and no WAL
 * may hold the rest, a size below that many pages. An empty file with a WAL beside
 * it is accepted (the database is all in the WAL). Else 0. */
NODISCARD int sqlitedb_check_header(const char *name, const char *what, const unsigned char *h, size_t hlen,
				    uint64_t size, bool wal, struct excise_err *err);

/* Open the `len` bytes at `data` (kept by the caller until sqlitedb_close) as a
 * read-only in-memory database; a WAL database is read as a rollback one (its -wal
 * is not there). `name` is for messages. Returns 0, -ENOMEM or -EXCISE_E_CORRUPT
 * with `err` set. */
int sqlitedb_open_mem(const char *name, unsigned char *data, size_t len, struct sqlitedb *db,
		      struct excise_err *err);

/* The same, writable, for a change made in memory (lib/remove/nssdb.c): `data` must come
 * from sqlite3_malloc64 and is SQLite's from the call on (freed with the connection,
 * also on failure). A WAL database is refused (-EXCISE_E_UNSUPPORTED): its main file
 * alone may not be the database. sqlite3_serialize gives the changed file's bytes. */
int sqlitedb_open_mem_rw(const char *name, unsigned char *data, size_t len, struct sqlitedb *db,
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
