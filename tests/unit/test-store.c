/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the collector's storage (lib/fleet/store.c, ingest.c, schema.c,
 * db*.c). Every case runs on SQLite (a file in a fresh temporary directory) and,
 * when EXCISE_TEST_PG_URL names a PostgreSQL database (tests/pg-harness.sh starts
 * one for the `store-pg` test), on PostgreSQL too, whose tables are dropped before
 * each case. Reports are made by jansson here, each test saying what it builds,
 * in the excise.report/2 shape of docs/report-format.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "excise/catalog.h"
#include "excise/store.h"
#include "fleet/db.h"
#include "fleet/store_int.h"

struct backend {
	const char *name;
	const char *pg_url; /* NULL: SQLite */
};

struct fx {
	const struct backend *be;
	char dir[64];
	char url[512];
	struct excise_catalog *cat;
	uint8_t master[32];
	struct excise_store *st;
	struct excise_err err;
};

static const struct backend be_sqlite = { "sqlite", NULL };
static struct backend be_pg = { "postgresql", NULL };

/* PostgreSQL: the database emptied (every table of a previous case dropped). */
static void pg_reset(const char *url)
{
	struct db *db;
	struct excise_err err = { 0 };
	if (db_open(url, NULL, &db, &err) < 0)
		fail_msg("%s", err.msg);
	if (db_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", &err) < 0)
		fail_msg("%s", err.msg);
	db_close(db);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->be = *state;
	if (f->be->pg_url) {
		pg_reset(f->be->pg_url);
		snprintf(f->url, sizeof(f->url), "%s", f->be->pg_url);
	} else {
		snprintf(f->dir, sizeof(f->dir), "/tmp/excise-store.XXXXXX");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->url, sizeof(f->url), "%s/collector.db", f->dir);
	}
	assert_int_equal(excise_catalog_load_embedded(&f->cat, &f->err), 0);
	for (int i = 0; i < 32; i++)
		f->master[i] = (uint8_t)(0xa0 + i);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	excise_store_close(f->st);
	excise_catalog_free(f->cat);
	if (f->dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		if (system(cmd) != 0)
			return -1;
	}
	free(f);
	return 0;
}

static struct excise_store_opts opts(struct fx *f)
{
	struct excise_store_opts o = { .catalog = f->cat, .master_key = f->master };
	return o;
}

static void open_store(struct fx *f)
{
	struct excise_store_opts o = opts(f);
	if (excise_store_open(f->url, &o, &f->st, &f->err) < 0)
		fail_msg("open %s: %s", f->url, f->err.msg);
}

/* One integer a query gives (through a connection of the test's own). */
static int64_t q_int(struct fx *f, const char *sql)
{
	struct db *db;
	struct db_stmt *s;
	struct excise_err err = { 0 };
	if (db_open(f->url, NULL, &db, &err) < 0 || db_prepare(db, sql, &s, &err) < 0)
		fail_msg("%s: %s", sql, err.msg);
	if (db_step(s, &err) != 1)
		fail_msg("%s: no row: %s", sql, err.msg);
	int64_t v = db_column_int64(s, 0);
	db_finalize(s);
	db_close(db);
	return v;
}

static void q_exec(struct fx *f, const char *sql)
{
	struct db *db;
	struct excise_err err = { 0 };
	if (db_open(f->url, NULL, &db, &err) < 0 || db_exec(db, sql, &err) < 0)
		fail_msg("%s: %s", sql, err.msg);
	db_close(db);
}

/* ---- migrations ---- */

static void test_migrate_fresh_and_reopen(void **state)
{
	struct fx *f = *state;
	open_store(f);
	assert_string_equal(excise_store_backend(f->st), f->be->name);
	assert_int_equal(q_int(f, "SELECT MAX(version) FROM schema_version"), SCHEMA_VERSION);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM host_directive"), 0);
	/* the read connection sees the tables */
	struct db *rd = store_db_read(f->st);
	assert_non_null(rd);
	struct db_stmt *s;
	assert_int_equal(db_prepare(rd, "SELECT COUNT(*) FROM host", &s, &f->err), 0);
	assert_int_equal(db_step(s, &f->err), 1);
	assert_int_equal(db_column_int64(s, 0), 0);
	db_finalize(s);
	excise_store_close(f->st);
	f->st = NULL;
	/* opened again: nothing migrated twice */
	open_store(f);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM schema_version"), SCHEMA_VERSION);
}

static void test_migrate_newer_refused(void **state)
{
	struct fx *f = *state;
	open_store(f);
	excise_store_close(f->st);
	f->st = NULL;
	q_exec(f, "INSERT INTO schema_version (version) VALUES (99)");
	struct excise_store_opts o = opts(f);
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), -EXCISE_E_CORRUPT);
	assert_null(f->st);
	assert_non_null(strstr(f->err.msg, "schema version 99 is newer"));
	/* left as it was */
	assert_int_equal(q_int(f, "SELECT MAX(version) FROM schema_version"), 99);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM schema_version"), SCHEMA_VERSION + 1);
}

static void test_open_refusals(void **state)
{
	struct fx *f = *state;
	struct excise_store_opts o = opts(f);
	o.master_key = NULL;
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), -EXCISE_E_USAGE);
	o = opts(f);
	assert_int_equal(excise_store_open("sqlite:", &o, &f->st, &f->err), -EXCISE_E_USAGE);
	assert_true(excise_store_open("/nonexistent-dir/x/collector.db", &o, &f->st, &f->err) < 0);
	assert_null(f->st);
}

/* ---- the cases, run on each backend ---- */

#define CASES(X)                                                                                               \
	X(test_migrate_fresh_and_reopen)                                                                       \
	X(test_migrate_newer_refused)                                                                          \
	X(test_open_refusals)

#define NAMED(fn) #fn,
static const char *const case_names[] = { CASES(NAMED) };
#define FN(fn) fn,
static void (*const case_fns[])(void **) = { CASES(FN) };

int main(void)
{
	const struct backend *bes[2] = { &be_sqlite, NULL };
	size_t nb = 1;
	const char *pg = getenv("EXCISE_TEST_PG_URL");
	if (pg && *pg) {
		be_pg.pg_url = pg;
		bes[nb++] = &be_pg;
	}
	size_t nc = sizeof(case_names) / sizeof(case_names[0]);
	struct CMUnitTest *tests = calloc(nb * nc, sizeof(*tests));
	char **names = calloc(nb * nc, sizeof(*names));
	if (!tests || !names)
		return 1;
	for (size_t b = 0; b < nb; b++)
		for (size_t c = 0; c < nc; c++) {
			size_t i = b * nc + c;
			if (asprintf(&names[i], "%s/%s", bes[b]->name, case_names[c]) < 0)
				return 1;
			tests[i] = (struct CMUnitTest){ .name = names[i], .test_func = case_fns[c],
							.setup_func = setup, .teardown_func = teardown,
							.initial_state = (void *)bes[b] };
		}
	int r = _cmocka_run_group_tests("store", tests, nb * nc, NULL, NULL);
	for (size_t i = 0; i < nb * nc; i++)
		free(names[i]);
	free(names);
	free(tests);
	return r;
}
