/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the SQLite writer's apply (lib/fleet/ingest.c) and what it keeps in
 * memory between documents: each host's facts, last_seen and whether it is retired.
 * On a real SQLite file with two connections (the writer's and another: an admin's
 * write or a second store instance's writer), what the other connection commits
 * between two documents of a host is what the next document's apply builds on; a
 * rolled-back transaction (one document's, or a group's that failed part way) leaves
 * nothing of itself in what the writer knows. And over a long mixed sequence of reports,
 * plans and removals of many hosts (a few of them sharing one set of the cache's slots,
 * so that they push each other out), in groups, every table the apply writes ends
 * exactly as when the writer forgets everything before each document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/limits.h"
#include "excise/catalog.h"
#include "fleet/db.h"
#include "fleet/ingest.h"
#include "fleet/store_int.h"

static struct excise_catalog *cat;
static char dir[] = "/tmp/excise-ingest-apply-XXXXXX";

static const char *iso(int64_t t, char out[40])
{
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	return out;
}

#define DAY(d) (1795000000 + (int64_t)(d) * 86400)

/* An excise.report/2 trimmed to what the store reads: kesl found at `confidence`
 * (NULL: nothing found), complete or with its dpkg source failed. */
static char *report(const char *rid, int64_t t, bool failed, const char *confidence)
{
	char when[40];
	iso(t, when);
	json_t *fs = json_array();
	bool found = confidence && (!strcmp(confidence, "strong") || !strcmp(confidence, "definitive"));
	if (confidence)
		json_array_append_new(fs, json_pack("{s:{s:s,s:s}, s:{s:s}, s:s, s:s, s:s, s:[], s:[{s:s}]}", "product",
						    "id", "kesl", "name", "KESL", "vendor", "id", "kaspersky", "version",
						    "12.0", "state", "installed", "confidence", confidence, "directives",
						    "evidence", "source", "dpkg"));
	const char *verdict = found ? "found" : failed ? "incomplete" : "clean";
	json_t *o = json_pack("{s:s, s:s, s:{s:s}, s:s, s:[{s:s,s:s}], s:o, s:{s:s,s:o}}", "schema",
			      "excise.report/2", "report_id", rid, "host", "machine_id", "m", "finished", when, "sources",
			      "name", "dpkg", "status", failed ? "failed" : "ok", "findings", fs, "summary", "verdict",
			      verdict, "sources_failed", failed ? json_pack("[s]", "dpkg") : json_array());
	assert_non_null(o);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(s);
	return s;
}

static char *plan(const char *rid, int64_t t)
{
	char when[40];
	json_t *o = json_pack("{s:s, s:s, s:{s:s}, s:s, s:[{s:s}]}", "schema", "excise.plan/1", "report_id", rid, "host",
			      "machine_id", "m", "created", iso(t, when), "steps", "product", "kesl");
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(s);
	return s;
}

static char *removal(const char *id, int64_t t, bool all)
{
	char when[40];
	json_t *o = json_pack("{s:s, s:s, s:{s:s}, s:s, s:s, s:o}", "schema", "excise.removal/1", "run_id", id, "host",
			      "machine_id", "m", "started", iso(t, when), "status", "ok", "products",
			      all ? json_null() : json_pack("[s]", "kesl"));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(s);
	return s;
}

/* A connection to `name` in the test's folder, the schema made, hosts added once. */
static struct db *conn(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct db *db;
	struct excise_err err = { 0 };
	/* (synchronous=OFF: the test's thousands of commits without a sync each) */
	if (db_open(path, NULL, &db, &err) < 0 || db_exec(db, "PRAGMA synchronous=OFF", &err) < 0 ||
	    schema_migrate(db, &err) < 0 ||
	    db_exec(db, "INSERT INTO org_unit (id, path, parent_id) VALUES ('ou', 'a', NULL) ON CONFLICT DO NOTHING",
		    &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	return db;
}

static void host_add(struct db *db, const char *id)
{
	char sql[256];
	struct excise_err err = { 0 };
	snprintf(sql, sizeof(sql),
		 "INSERT INTO host (id, machine_id, org_unit_id, hostname, enrolled, key_epoch) VALUES"
		 " ('%s', 'm-%s', 'ou', '%s', 1, 1)",
		 id, id, id);
	if (db_exec(db, sql, &err) < 0)
		fail_msg("%s", err.msg);
}

static void exec(struct db *db, const char *sql)
{
	struct excise_err err = { 0 };
	if (db_exec(db, sql, &err) < 0)
		fail_msg("%s: %s", sql, err.msg);
}

/* The one value `sql` reads, as text ("NULL" for none). */
static char *q(struct db *db, const char *sql)
{
	struct db_stmt *s;
	struct excise_err err = { 0 };
	if (db_prepare(db, sql, &s, &err) < 0)
		fail_msg("%s: %s", sql, err.msg);
	int r = db_step(s, &err);
	if (r < 0)
		fail_msg("%s: %s", sql, err.msg);
	char *out = strdup(r == 1 && db_column_text(s, 0) ? db_column_text(s, 0) : "NULL");
	db_finalize(s);
	assert_non_null(out);
	return out;
}

static void q_eq(struct db *db, const char *sql, const char *want)
{
	char *got = q(db, sql);
	if (strcmp(got, want))
		fail_msg("%s: %s, expected %s", sql, got, want);
	free(got);
}

struct item {
	const char *host;
	char *body;
	int64_t now;
};

/* Apply items[0..n) in one transaction as the store's writer does (BEGIN IMMEDIATE,
 * ingest_apply_many, COMMIT; on an error the rollback and ingest_rolled_back). Returns
 * 0 or the error. */
static int group(struct db *db, struct ingest *in, const struct item *it, size_t n)
{
	struct ingest_doc *d = calloc(n, sizeof(*d));
	struct ingest_item *v = calloc(n, sizeof(*v));
	assert_true(d && v);
	struct excise_err err = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (ingest_parse(cat, it[i].body, strlen(it[i].body), &d[i], &err) < 0)
			fail_msg("parse: %s", err.msg);
		v[i] = (struct ingest_item){ .host = it[i].host, .doc = &d[i], .now = it[i].now };
	}
	int r = db_exec(db, "BEGIN IMMEDIATE", &err);
	if (r >= 0)
		r = ingest_apply_many(in, v, n, &err);
	if (r >= 0)
		r = db_commit(db, &err);
	if (r < 0) {
		db_rollback(db);
		ingest_rolled_back(in);
	}
	for (size_t i = 0; i < n; i++)
		ingest_doc_done(&d[i]);
	free(d);
	free(v);
	return r;
}

static void one(struct db *db, struct ingest *in, const char *host, char *body, int64_t now)
{
	struct item it = { host, body, now };
	if (group(db, in, &it, 1) < 0)
		fail_msg("apply of %s's document failed", host);
	free(body);
}

static struct ingest *writer(struct db *db)
{
	struct ingest *in;
	struct excise_err err = { 0 };
	if (ingest_new(db, cat, &in, &err) < 0)
		fail_msg("%s", err.msg);
	return in;
}

#define HD(col) "SELECT " col " FROM host_directive WHERE host_id = 'A' AND directive_id = 'dhs-bod-17-01'"

/* A second writer (another store instance on the same file) stores a document of the
 * host between two of the first writer's: the first builds on it. */
static void test_second_writer(void **state)
{
	(void)state;
	struct db *w = conn("second.db"), *w2 = conn("second.db");
	host_add(w, "A");
	struct ingest *in = writer(w), *in2 = writer(w2);
	one(w, in, "A", report("r1", DAY(1), false, "strong"), DAY(1));
	one(w2, in2, "A", report("r3", DAY(3), false, NULL), DAY(3));
	/* an older clean report: the latest stays day 3's, removed moves to day 2 */
	one(w, in, "A", report("r2", DAY(2), false, NULL), DAY(2) + 10);
	char want[32];
	snprintf(want, sizeof(want), "%lld", (long long)DAY(3));
	q_eq(w, HD("last_report"), want);
	snprintf(want, sizeof(want), "%lld", (long long)DAY(2));
	q_eq(w, HD("removed"), want);
	snprintf(want, sizeof(want), "%lld", (long long)DAY(3));
	q_eq(w, "SELECT last_seen FROM host WHERE id = 'A'", want);
	/* and the other way round */
	one(w2, in2, "A", report("r4", DAY(4), false, "definitive"), DAY(4));
	q_eq(w, HD("removed"), "NULL");
	q_eq(w, "SELECT new_status FROM status_change WHERE doc_id = 'r4'", "identified");
	ingest_free(in);
	ingest_free(in2);
	db_close(w);
	db_close(w2);
}

/* An admin's writes on its own connection between two documents: a retirement (the next
 * document brings the host back, audited), a lower last_seen (the next document's
 * received time is written though the writer saw a later one), the host's facts deleted
 * (written again from the next document alone), an exemption (the facts go on). */
static void test_admin_writes(void **state)
{
	(void)state;
	struct db *w = conn("admin.db"), *adm = conn("admin.db");
	host_add(w, "A");
	struct ingest *in = writer(w);
	one(w, in, "A", report("r1", DAY(1), false, "strong"), DAY(1));
	exec(adm, "UPDATE host SET retired = 7, retired_reason = 'gone', retired_by = 'ops' WHERE id = 'A'");
	one(w, in, "A", report("r2", DAY(2), false, "strong"), DAY(2));
	q_eq(w, "SELECT retired IS NULL FROM host WHERE id = 'A'", "1");
	q_eq(w, "SELECT COUNT(*) FROM audit WHERE action = 'host.unretire' AND subject = 'A'", "1");

	exec(adm, "UPDATE host SET last_seen = 5 WHERE id = 'A'");
	one(w, in, "A", report("r0", DAY(0), false, "strong"), DAY(1) + 60);
	char want[32];
	snprintf(want, sizeof(want), "%lld", (long long)(DAY(1) + 60));
	q_eq(w, "SELECT last_seen FROM host WHERE id = 'A'", want);

	exec(adm, "DELETE FROM host_directive WHERE host_id = 'A'");
	one(w, in, "A", report("r5", DAY(5), false, NULL), DAY(5));
	snprintf(want, sizeof(want), "%lld", (long long)DAY(5));
	q_eq(w, HD("first_report"), want);
	q_eq(w, HD("last_identified"), "NULL");
	q_eq(w, "SELECT COUNT(*) FROM host_directive WHERE host_id = 'A'", "4");

	exec(adm, "INSERT INTO exemption (id, host_id, directive_id, reason, approver, created) VALUES"
		  " ('x1', 'A', 'dhs-bod-17-01', 'lab', 'ops', 1)");
	one(w, in, "A", report("r6", DAY(6), false, "strong"), DAY(6));
	snprintf(want, sizeof(want), "%lld", (long long)DAY(6));
	q_eq(w, HD("last_identified"), want);
	ingest_free(in);
	db_close(w);
	db_close(adm);
}

/* A document applied then rolled back (its commit failed, say), and a group that fails
 * part way (a document of a host the database does not have): the next document of the
 * host builds on what was committed only. */
static void test_rolled_back(void **state)
{
	(void)state;
	struct db *w = conn("rollback.db");
	host_add(w, "A");
	struct ingest *in = writer(w);
	struct excise_err err = { 0 };
	one(w, in, "A", report("r1", DAY(1), false, "strong"), DAY(1));

	/* applied, then rolled back instead of committed */
	struct ingest_doc d;
	char *body = report("r3", DAY(3), false, NULL);
	if (ingest_parse(cat, body, strlen(body), &d, &err) < 0)
		fail_msg("%s", err.msg);
	enum excise_submit_status st;
	exec(w, "BEGIN IMMEDIATE");
	if (ingest_apply(in, "A", &d, DAY(3), &st, &err) < 0)
		fail_msg("%s", err.msg);
	db_rollback(w);
	ingest_rolled_back(in);
	ingest_doc_done(&d);
	free(body);

	/* a group: A's document stored, then one of a host that is not there */
	struct item g[2] = { { "A", report("r4", DAY(4), false, NULL), DAY(4) },
			     { "ghost", report("g1", DAY(4), false, NULL), DAY(4) } };
	assert_true(group(w, in, g, 2) < 0);
	free(g[0].body);
	free(g[1].body);

	one(w, in, "A", report("r2", DAY(2), false, NULL), DAY(2));
	char want[32];
	snprintf(want, sizeof(want), "%lld", (long long)DAY(2));
	q_eq(w, HD("last_report"), want);
	q_eq(w, HD("removed"), want);
	q_eq(w, "SELECT last_seen FROM host WHERE id = 'A'", want);
	q_eq(w, "SELECT COUNT(*) FROM document WHERE host_id = 'A'", "2");
	q_eq(w, "SELECT COUNT(*) FROM status_change WHERE host_id = 'A' AND directive_id = 'dhs-bod-17-01'", "2");
	ingest_free(in);
	db_close(w);
}

/* Every row the apply writes, one text. */
static char *dump(struct db *db)
{
	static const char *const qs[] = {
		"SELECT host_id, doc_id, kind, received, created, complete, verdict, ref FROM document ORDER BY 1, 2",
		"SELECT host_id, doc_id, product_id, directives FROM finding ORDER BY 1, 2, 3",
		"SELECT * FROM host_directive ORDER BY host_id, directive_id",
		"SELECT * FROM status_change ORDER BY host_id, directive_id, at, doc_id, new_status",
		"SELECT id, last_seen, retired FROM host ORDER BY id",
		"SELECT at, action, subject, detail FROM audit ORDER BY 1, 3, 4",
	};
	size_t len = 0, cap = 1u << 16; /* grown by doubling: a realloc a cell copied it all under ASan */
	char *out = calloc(1, cap);
	assert_non_null(out);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		struct db_stmt *s;
		struct excise_err err = { 0 };
		if (db_prepare(db, qs[i], &s, &err) < 0)
			fail_msg("%s", err.msg);
		int r;
		while ((r = db_step(s, &err)) == 1)
			for (int c = 0; c < 16; c++) {
				const char *t = db_column_text(s, c);
				char cell[256];
				int n = snprintf(cell, sizeof(cell), "%s%c", t ? t : "NULL", c == 15 ? '\n' : '|');
				if (len + (size_t)n + 1 > cap) {
					cap = 2 * (len + (size_t)n + 1);
					out = realloc(out, cap);
					assert_non_null(out);
				}
				memcpy(out + len, cell, (size_t)n + 1);
				len += (size_t)n;
			}
		if (r < 0)
			fail_msg("%s", err.msg);
		db_finalize(s);
	}
	return out;
}

/* The cache's set of a host id (FNV-1a, as ingest.c's hcache_get). */
static uint32_t set_of(const char *id)
{
	uint32_t h = 2166136261u;
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h & (EXCISE_MAX_INGEST_CACHE - 1) & ~3u;
}

/* The same mixed sequence applied by a writer that keeps what it knows and by one that
 * forgets it before each document (ingest_rolled_back) ends in the same rows. */
static void test_same_as_forgetting(void **state)
{
	(void)state;
	enum { HOSTS = 300, CROWD = 7, DOCS = 2400, GROUP = 40 };
	static char ids[HOSTS + CROWD][16];
	for (int i = 0; i < HOSTS; i++)
		snprintf(ids[i], sizeof(ids[i]), "h%03d", i);
	/* CROWD hosts of one set: more than its 4 slots, so they push each other out */
	uint32_t want = set_of("crowd0");
	for (int i = 0, k = 0; i < CROWD; k++) {
		char id[16];
		snprintf(id, sizeof(id), "crowd%d", k);
		if (set_of(id) == want)
			memcpy(ids[HOSTS + i++], id, sizeof(id));
	}
	struct db *a = conn("cached.db"), *b = conn("forgetting.db");
	exec(a, "BEGIN");
	exec(b, "BEGIN");
	for (int i = 0; i < HOSTS + CROWD; i++) {
		host_add(a, ids[i]);
		host_add(b, ids[i]);
	}
	exec(a, "UPDATE host SET retired = 3, retired_reason = 'r', retired_by = 'o' WHERE id LIKE 'h_1%'");
	exec(b, "UPDATE host SET retired = 3, retired_reason = 'r', retired_by = 'o' WHERE id LIKE 'h_1%'");
	exec(a, "COMMIT");
	exec(b, "COMMIT");
	struct ingest *ia = writer(a), *ib = writer(b);
	uint64_t rng = 0x9e3779b97f4a7c15u;
	struct item *g = calloc(GROUP, sizeof(*g));
	assert_non_null(g);
	for (int i = 0; i < DOCS; i += GROUP) {
		for (int k = 0; k < GROUP; k++) {
			rng = rng * 6364136223846793005u + 1442695040888963407u;
			uint64_t x = rng >> 20;
			int h = (x % 3 == 0) ? HOSTS + (int)((x >> 8) % CROWD) : (int)((x >> 8) % HOSTS);
			int64_t t = DAY((x >> 16) % 20) + (int64_t)((x >> 24) % 1000);
			char id[40];
			snprintf(id, sizeof(id), "d%d-%d", i, k);
			int kind = (int)((x >> 32) % 10);
			g[k].host = ids[h];
			g[k].now = DAY(20) + (int64_t)((x >> 40) % 5000);
			g[k].body = kind < 3 ? report(id, t, false, NULL) :
				    kind < 6 ? report(id, t, false, (x >> 44) % 2 ? "strong" : "weak") :
				    kind < 7 ? report(id, t, true, NULL) :
				    kind < 8 ? plan(id, t) :
				    kind < 9 ? removal(id, t, false) : removal(id, t, true);
		}
		if (group(a, ia, g, GROUP) < 0)
			fail_msg("group %d failed", i / GROUP);
		for (int k = 0; k < GROUP; k++) {
			ingest_rolled_back(ib);
			if (group(b, ib, &g[k], 1) < 0)
				fail_msg("document %d failed", i + k);
			free(g[k].body);
		}
	}
	free(g);
	char *da = dump(a), *db = dump(b);
	assert_true(strlen(da) > 10000);
	if (strcmp(da, db)) {
		size_t k = 0;
		while (da[k] == db[k])
			k++;
		fail_msg("the cached writer's rows differ at byte %zu: ...%.200s... vs ...%.200s...", k,
			 da + (k > 100 ? k - 100 : 0), db + (k > 100 ? k - 100 : 0));
	}
	free(da);
	free(db);
	ingest_free(ia);
	ingest_free(ib);
	db_close(a);
	db_close(b);
}

static int setup(void **state)
{
	(void)state;
	struct excise_err err = { 0 };
	if (!mkdtemp(dir) || excise_catalog_load_embedded(&cat, &err) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	excise_catalog_free(cat);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_writer),
		cmocka_unit_test(test_admin_writes),
		cmocka_unit_test(test_rolled_back),
		cmocka_unit_test(test_same_as_forgetting),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
