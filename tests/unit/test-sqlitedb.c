/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlitedb: SQLite files from an image. Databases made here with SQLite itself
 * (serialized to bytes, as a cert9.db read into memory is): plain tables and
 * indexes pass the schema check; a generated column, a view, a trigger are
 * refused by name; a runaway statement is stopped by the progress-handler
 * deadline, EXCISE_MAX_SQLITE_SECONDS, and said to be the limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/limits.h"
#include "parse/sqlitedb.h"

/* The bytes of a database made by `sql`; free() them. */
static unsigned char *make(const char *sql, size_t *len)
{
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open(":memory:", &h), SQLITE_OK);
	char *msg = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_int64 n = 0;
	unsigned char *p = sqlite3_serialize(h, "main", &n, 0);
	assert_non_null(p);
	unsigned char *copy = malloc((size_t)n);
	memcpy(copy, p, (size_t)n);
	sqlite3_free(p);
	sqlite3_close(h);
	*len = (size_t)n;
	return copy;
}

/* The schema check of a database made by `sql`: its return and message. */
static int check(const char *sql, char *msg)
{
	size_t len;
	unsigned char *data = make(sql, &len);
	struct sqlitedb db;
	struct excise_err err = { 0 };
	int r = sqlitedb_open_mem("t.db", data, len, &db, &err);
	assert_int_equal(r, 0);
	r = sqlitedb_check_schema(&db, "t.db", &err);
	sqlitedb_close(&db);
	free(data);
	strcpy(msg, err.msg);
	return r;
}

static void test_plain(void **state)
{
	(void)state;
	char msg[EXCISE_ERR_MSG];
	assert_int_equal(check("CREATE TABLE nssPublic (id PRIMARY KEY UNIQUE ON CONFLICT ABORT, a0, a11);"
			       "CREATE INDEX i ON nssPublic (a0); INSERT INTO nssPublic VALUES (1, 2, 3);", msg), 0);
}

static void test_refused(void **state)
{
	(void)state;
	char msg[EXCISE_ERR_MSG];
	assert_int_equal(check("CREATE TABLE t (a, g GENERATED ALWAYS AS (length(a)) VIRTUAL);", msg),
			 -EXCISE_E_CORRUPT);
	assert_non_null(strstr(msg, "'t.db': table 't' has a generated column"));
	assert_int_equal(check("CREATE TABLE t (a, g AS (a || a) STORED);", msg), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(msg, "generated column"));
	assert_int_equal(check("CREATE TABLE t (a); CREATE VIEW nssPublic AS SELECT a FROM t;", msg),
			 -EXCISE_E_CORRUPT);
	assert_non_null(strstr(msg, "'nssPublic' is a view"));
	assert_int_equal(check("CREATE TABLE t (a); CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;", msg),
			 -EXCISE_E_CORRUPT);
	assert_non_null(strstr(msg, "'tr' is a trigger"));
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A statement that would run for ever is stopped at EXCISE_MAX_SQLITE_SECONDS. */
static void test_deadline(void **state)
{
	(void)state;
	size_t len;
	unsigned char *data = make("CREATE TABLE t (a);", &len);
	struct sqlitedb db;
	struct excise_err err = { 0 };
	assert_int_equal(sqlitedb_open_mem("t.db", data, len, &db, &err), 0);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db.h, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
					    "SELECT count(*) FROM c", -1, &s, NULL), SQLITE_OK);
	double t0 = now();
	int rc = sqlite3_step(s);
	double took = now() - t0;
	sqlite3_finalize(s);
	assert_int_equal(rc, SQLITE_INTERRUPT);
	assert_int_equal(sqlitedb_error(&db, rc), -EXCISE_E_LIMIT);
	assert_true(took >= EXCISE_MAX_SQLITE_SECONDS - 0.5 && took < EXCISE_MAX_SQLITE_SECONDS + 10);
	sqlitedb_close(&db);
	free(data);
}

/* The header check the rpm source runs before librpm opens a copy: a real database
 * passes, each damage is refused saying which. */
static void expect_header(const unsigned char *h, size_t hlen, uint64_t size, bool wal, const char *why)
{
	struct excise_err err = { 0 };
	int r = sqlitedb_check_header("rpmdb.sqlite", "SQLite RPM database", h, hlen, size, wal, &err);
	if (!why) {
		if (r != 0)
			fail_msg("%s", err.msg);
		return;
	}
	assert_int_equal(r, -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "'rpmdb.sqlite': corrupt SQLite RPM database: "));
	if (!strstr(err.msg, why))
		fail_msg("'%s' does not say '%s'", err.msg, why);
}

static void test_header(void **state)
{
	(void)state;
	size_t len = 0;
	unsigned char *db = make("PRAGMA page_size=1024; CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, "
				 "blob BLOB); INSERT INTO Packages VALUES (1, zeroblob(3000));", &len);
	assert_true(len >= 4096 && len % 1024 == 0);
	expect_header(db, len, len, false, NULL);
	expect_header(db, len, len + 1024, false, NULL);       /* free pages past the count: SQLite's own */
	expect_header(db, 99, len, false, "no SQLite header");  /* a short file */
	expect_header(db, len, len - 1, false, "size 4095 is not a multiple of its page size 1024");
	expect_header(db, len, len - 1024, false, "but its header says 4 pages of 1024 (truncated)");
	expect_header(db, len, len - 1024, true, NULL);        /* the rest may be in the WAL */
	expect_header(NULL, 0, 0, true, NULL);                  /* all in the WAL */
	expect_header(NULL, 0, 0, false, "no SQLite header");
	db[92] ^= 1;                                            /* a stale page count is not trusted */
	expect_header(db, len, len - 1024, false, NULL);
	db[92] ^= 1;
	db[16] = 0, db[17] = 1;                                 /* 1 stands for 65536 */
	expect_header(db, len, 4 * 65536, false, NULL);
	expect_header(db, len, len, false, "size 4096 is not a multiple of its page size 65536");
	db[16] = 3, db[17] = 0;
	expect_header(db, len, len, false, "page size 768 at offset 16");
	db[16] = 1, db[17] = 0;
	expect_header(db, len, len, false, "page size 256 at offset 16");
	db[0] = 's';
	expect_header(db, len, len, false, "no SQLite header");
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
