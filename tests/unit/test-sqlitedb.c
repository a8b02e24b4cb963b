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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
