/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the set-based group apply on PostgreSQL (lib/fleet/ingest-pg.c),
 * on the database tests/pg-harness.sh starts (EXCISE_TEST_PG_URL; skipped without
 * one): the same documents, in the same order, applied as groups by ingest_pg_apply
 * and one by one by ingest_apply, each on a fresh schema with the same hosts and the
 * same rows before; every table the apply writes must end the same, and every
 * document's status. Documents are real ones (tests/fuzz/ingest) and excise.report/2
 * documents made here by jansson.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "excise/catalog.h"
#include "fleet/db.h"
#include "fleet/ingest-pg.h"
#include "fleet/ingest.h"
#include "fleet/store_int.h"

static const char *pg_url;
static struct excise_catalog *cat;

static char *load(const char *name)
{
	const char *dir = getenv("EXCISE_TEST_DATA");
	char path[512];
	snprintf(path, sizeof(path), "%s/fuzz/ingest/%s", dir ? dir : "tests", name);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		fail_msg("%s: cannot open", path);
	char *buf = malloc(1u << 20);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1u << 20) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

/* An excise.report/2 trimmed to what the store reads (as tests/unit/test-store.c's):
 * `product` found at `confidence`, or none; the dpkg source failed or not. */
static char *report(const char *rid, int day, bool failed, const char *product, const char *confidence)
{
	char finished[40];
	snprintf(finished, sizeof(finished), "2026-11-%02dT10:00:00.000Z", day);
	json_t *fs = json_array();
	bool found = product && (!strcmp(confidence, "strong") || !strcmp(confidence, "definitive"));
	if (product)
		json_array_append_new(
			fs, json_pack("{s:{s:s,s:s,s:s,s:b,s:[]}, s:s, s:{s:s,s:s}, s:s, s:s, s:s,"
				      " s:[{s:s,s:s,s:s}], s:[{s:s,s:s,s:s,s:n,s:s,s:n,s:b,s:s,s:[]}]}",
				      "product", "id", product, "name", product, "family", "", "branded", 1, "platforms",
				      "kind", "product", "vendor", "id", "kaspersky", "name", "AO Kaspersky Lab",
				      "version", "12.0.0.6672", "state", "installed", "confidence", confidence,
				      "directives", "id", "dhs-bod-17-01", "short_name", "BOD 17-01", "title", "t",
				      "evidence", "source", "dpkg", "kind", "package", "path", "/var/lib/dpkg/status",
				      "path_hex", "version", "1", "state", "active", 1, "confidence", confidence,
				      "matches"));
	const char *verdict = found ? "found" : failed ? "incomplete" : "clean";
	json_t *o = json_pack(
		"{s:s, s:s, s:{s:s,s:s,s:s,s:s,s:s,s:s,s:b}, s:s, s:s, s:{s:s,s:s,s:s,s:s},"
		" s:[{s:s,s:s,s:i,s:i,s:i,s:[],s:o,s:f}], s:o,"
		" s:{s:s,s:i,s:{},s:{},s:o,s:i}}",
		"schema", "excise.report/2", "report_id", rid, "host", "hostname", "h", "os", "Debian", "os_id", "debian",
		"machine_id", "0123456789abcdef0123456789abcdef", "root", "/", "platform", "linux", "live", 1, "started",
		finished, "finished", finished, "catalog", "id", "excise-stock", "version", "1", "origin", "embedded",
		"sha256", "0000000000000000000000000000000000000000000000000000000000000000", "sources", "name", "dpkg",
		"status", failed ? "failed" : "ok", "observations", 10, "matched", product ? 1 : 0, "n_errors", 0,
		"errors", "error", failed ? json_string("stopped by a limit: x") : json_null(), "seconds", 0.1,
		"findings", fs, "summary", "verdict", verdict, "findings", product ? 1 : 0, "by_state", "by_confidence",
		"sources_failed", failed ? json_pack("[s]", "dpkg") : json_array(), "exit_code",
		found ? 1 : failed ? 2 : 0);
	assert_non_null(o);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(s);
	return s;
}

/* One document of a test's sequence: the host (A, B or C), its body, when received. */
struct step {
	const char *host;
	char *body;
	int64_t now;
};

static struct db *fresh(void)
{
	struct db *db;
	struct excise_err err = { 0 };
	if (db_open(pg_url, NULL, &db, &err) < 0 || db_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", &err) < 0 ||
	    schema_migrate(db, &err) < 0 ||
	    db_exec(db,
		    "INSERT INTO org_unit (id, path, parent_id) VALUES ('ou', 'a', NULL);"
		    "INSERT INTO host (id, machine_id, org_unit_id, hostname, enrolled, key_epoch) VALUES"
		    " ('A', 'ma', 'ou', 'a', 1, 1), ('B', 'mb', 'ou', 'b', 1, 1), ('C', 'mc', 'ou', 'c', 1, 1);"
		    /* B was retired: a document brings it back, audited once */
		    "UPDATE host SET retired = 5, retired_reason = 'gone', retired_by = 'ops' WHERE id = 'B'",
		    &err) < 0)
		fail_msg("%s", err.msg);
	return db;
}

static void parse(const struct step *s, struct ingest_doc *d)
{
	struct excise_err err = { 0 };
	if (ingest_parse(cat, s->body, strlen(s->body), d, &err) < 0)
		fail_msg("parse: %s", err.msg);
}

/* Every row the apply may write, one text. */
static char *dump(struct db *db)
{
	static const char *const q[] = {
		"SELECT host_id, doc_id, kind, received, created, complete, verdict, md5(body), ref FROM document",
		"SELECT * FROM finding",
		"SELECT * FROM host_directive",
		"SELECT * FROM status_change",
		"SELECT id, last_seen, retired, retired_reason, retired_by FROM host",
		"SELECT * FROM audit",
	};
	size_t len = 0;
	char *out = NULL;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		char sql[512];
		snprintf(sql, sizeof(sql), "SELECT count(*), string_agg(x::text, E'\\n' ORDER BY x::text) FROM (%s) x",
			 q[i]);
		struct db_stmt *s;
		struct excise_err err = { 0 };
		if (db_prepare(db, sql, &s, &err) < 0 || db_step(s, &err) != 1)
			fail_msg("%s: %s", sql, err.msg);
		const char *t = db_column_text(s, 1);
		char head[64];
		int hn = snprintf(head, sizeof(head), "-- %s rows\n", db_column_text(s, 0));
		size_t tn = t ? strlen(t) : 0;
		out = realloc(out, len + (size_t)hn + tn + 2);
		assert_non_null(out);
		memcpy(out + len, head, (size_t)hn);
		len += (size_t)hn;
		memcpy(out + len, t ? t : "", tn);
		len += tn;
		out[len++] = '\n';
		out[len] = '\0';
		db_finalize(s);
	}
	return out;
}

/* Apply steps[0..n) in groups that end before each index of `cuts` (then at n), set-based;
 * the statuses to `st`. `pre` steps are applied one by one before, in their own transaction. */
static char *run(const struct step *pre, size_t npre, const struct step *steps, size_t n, const size_t *cuts,
		 size_t ncuts, bool grouped, enum excise_submit_status *st)
{
	struct db *db = fresh();
	struct excise_err err = { 0 };
	struct ingest *in;
	struct ingest_pg *g;
	if (ingest_new(db, cat, &in, &err) < 0 || ingest_pg_new(db, cat, &g, &err) < 0)
		fail_msg("%s", err.msg);
	struct ingest_doc *docs = calloc(npre + n, sizeof(*docs));
	struct ingest_item *items = calloc(n, sizeof(*items));
	assert_non_null(docs);
	assert_non_null(items);
	assert_int_equal(db_exec(db, "BEGIN", &err), 0);
	for (size_t i = 0; i < npre; i++) {
		enum excise_submit_status s;
		parse(&pre[i], &docs[n + i]);
		if (ingest_apply(in, pre[i].host, &docs[n + i], pre[i].now, &s, &err) < 0)
			fail_msg("%s", err.msg);
	}
	assert_int_equal(db_commit(db, &err), 0);
	for (size_t i = 0; i < n; i++) {
		parse(&steps[i], &docs[i]);
		items[i] = (struct ingest_item){ .host = steps[i].host, .doc = &docs[i], .now = steps[i].now };
	}
	size_t from = 0;
	for (size_t c = 0; c <= ncuts; c++) {
		size_t to = c < ncuts ? cuts[c] : n;
		assert_int_equal(db_exec(db, "BEGIN", &err), 0);
		int r = 0;
		if (grouped)
			r = ingest_pg_apply(g, in, items + from, to - from, &err);
		for (size_t i = from; !grouped && r >= 0 && i < to; i++)
			r = ingest_apply(in, items[i].host, items[i].doc, items[i].now, &items[i].status, &err);
		if (r < 0)
			fail_msg("apply: %s", err.msg);
		if (db_commit(db, &err) < 0)
			fail_msg("commit: %s", err.msg);
		from = to;
	}
	for (size_t i = 0; i < n; i++)
		st[i] = items[i].status;
	char *out = dump(db);
	for (size_t i = 0; i < npre + n; i++)
		ingest_doc_done(&docs[i]);
	free(docs);
	free(items);
	ingest_pg_free(g);
	ingest_free(in);
	db_close(db);
	return out;
}

static void same_both_ways(const struct step *pre, size_t npre, const struct step *steps, size_t n,
			   const size_t *cuts, size_t ncuts, char **ret, enum excise_submit_status *a)
{
	enum excise_submit_status b[64];
	assert_true(n <= 64);
	char *grouped = run(pre, npre, steps, n, cuts, ncuts, true, a);
	char *alone = run(pre, npre, steps, n, cuts, ncuts, false, b);
	if (strcmp(grouped, alone))
		fail_msg("grouped:\n%s\none by one:\n%s", grouped, alone);
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			fail_msg("document %zu: status %d grouped, %d one by one", i, a[i], b[i]);
	free(alone);
	*ret = grouped;
}

/* One group: a host three times in it (its facts folded in order, out of time order
 * too), the same report twice (stored once), a report already stored before, a
 * retired host back, findings, plan and removal. */
static void test_group_as_one_by_one(void **state)
{
	(void)state;
	if (!pg_url)
		skip();
	struct step pre[] = { { "C", report("c-0", 2, false, "kesl", "definitive"), 900 } };
	struct step s[] = {
		{ "A", load("linux.report.json"), 1000 },
		{ "B", report("b-2", 6, false, NULL, NULL), 1001 },
		{ "A", load("linux.plan.json"), 1003 },
		{ "A", load("linux.report.json"), 1002 },       /* the same report_id again */
		{ "B", report("b-1", 3, false, "kesl", "strong"), 999 }, /* earlier, found */
		{ "C", report("c-0", 2, false, "kesl", "definitive"), 1004 }, /* stored before */
		{ "A", load("linux.removal.json"), 1005 },
		{ "C", report("c-3", 8, true, NULL, NULL), 1006 },
		{ "A", load("clean.att.report.json"), 1007 },    /* the clean rescan */
		{ "B", report("b-2", 6, false, NULL, NULL), 1008 },  /* again */
		{ "C", report("c-4", 9, false, "klnagent", "weak"), 1009 },
		{ "B", report("b-4", 7, false, NULL, NULL), 1010 },
	};
	size_t n = sizeof(s) / sizeof(s[0]);
	char *out;
	enum excise_submit_status st[64];
	same_both_ways(pre, 1, s, n, NULL, 0, &out, st);
	/* and it is what the documents say: 12 documents and 1 before, 3 of them duplicates */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(st[i], i == 3 || i == 5 || i == 9 ? EXCISE_SUBMIT_DUPLICATE : EXCISE_SUBMIT_STORED);
	assert_non_null(strstr(out, "-- 10 rows\n(A,"));
	/* B back in the fleet, audited once, by its first document in the group */
	assert_non_null(strstr(out, "-- 1 rows\n(1001,ingest,host.unretire,B,\"retired host submitted report b-2"));
	assert_non_null(strstr(out, "(B,1010,,,)"));
	/* A's facts went through plan, removal and the clean rescan in order */
	assert_non_null(strstr(out, "(A,dhs-bod-17-01,removal_started,removed,"));
	free(out);
	for (size_t i = 0; i < n; i++)
		free(s[i].body);
	free(pre[0].body);
}

/* Attestations: a group holding one goes one by one; a group holding the report an
 * attestation waits for starts again one by one; both end as one by one does. */
static void test_attestation_groups(void **state)
{
	(void)state;
	if (!pg_url)
		skip();
	struct step s[] = {
		{ "A", load("linux.report.json"), 1000 },
		{ "A", load("clean.att.json"), 1001 },          /* before its report */
		{ "B", report("b-1", 3, false, "kesl", "strong"), 1002 },
		{ "A", load("linux.plan.json"), 1003 },
		{ "A", load("linux.removal.json"), 1004 },
		{ "A", load("clean.att.report.json"), 1005 },   /* the report it waits for */
		{ "B", report("b-2", 6, false, NULL, NULL), 1006 },
	};
	size_t n = sizeof(s) / sizeof(s[0]), cuts[] = { 3 };
	char *out;
	enum excise_submit_status st[64];
	same_both_ways(NULL, 0, s, n, cuts, 1, &out, st);
	assert_non_null(strstr(out, ",clean,"));   /* the attestation checked */
	free(out);
	for (size_t i = 0; i < n; i++)
		free(s[i].body);
}

/* The writer's connection lost between two groups (its backend terminated): the next
 * group's BEGIN (sent with its first statement) fails with it, then the connection is
 * made again with the writer's own settings (plan_cache_mode, db_session) and its
 * statements prepared again, and a group is stored. */
static void test_reconnect_keeps_settings(void **state)
{
	(void)state;
	if (!pg_url)
		skip();
	struct db *db = fresh(), *other;
	struct excise_err err = { 0 };
	struct ingest *in;
	struct ingest_pg *g;
	if (ingest_new(db, cat, &in, &err) < 0 || ingest_pg_new(db, cat, &g, &err) < 0 ||
	    db_open(pg_url, NULL, &other, &err) < 0)
		fail_msg("%s", err.msg);
	struct db_stmt *show;
	assert_int_equal(db_prepare(db, "SHOW plan_cache_mode", &show, &err), 0);
	assert_int_equal(db_step(show, &err), 1);
	assert_string_equal(db_column_text(show, 0), "force_generic_plan");
	db_reset(show);
	assert_int_equal(db_run(other, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE"
				       " pid <> pg_backend_pid() AND datname = current_database()",
				0, NULL, &err),
			 1);
	struct step s[] = { { "A", report("a-1", 3, false, "kesl", "strong"), 1000 },
			    { "C", report("c-1", 4, false, NULL, NULL), 1001 } };
	struct ingest_doc docs[2];
	struct ingest_item items[2];
	for (size_t i = 0; i < 2; i++) {
		parse(&s[i], &docs[i]);
		items[i] = (struct ingest_item){ .host = s[i].host, .doc = &docs[i], .now = s[i].now };
	}
	int tries = 0, r;
	for (;;) {
		r = db_exec(db, "BEGIN", &err);
		if (r >= 0)
			r = ingest_pg_apply(g, in, items, 2, &err);
		if (r >= 0)
			r = db_commit(db, &err);
		if (r >= 0 || ++tries == 3)
			break;
		db_rollback(db);
	}
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(tries, 1); /* the first try saw the connection lost */
	assert_int_equal(items[0].status, EXCISE_SUBMIT_STORED);
	assert_int_equal(items[1].status, EXCISE_SUBMIT_STORED);
	assert_int_equal(db_step(show, &err), 1);
	assert_string_equal(db_column_text(show, 0), "force_generic_plan");
	db_reset(show);
	assert_int_equal(db_run(other, "SELECT 1 FROM document", 0, NULL, &err), 2);
	assert_int_equal(db_run(other, "SELECT 1 FROM finding WHERE doc_id = 'a-1'", 0, NULL, &err), 1);
	db_finalize(show);
	for (size_t i = 0; i < 2; i++) {
		ingest_doc_done(&docs[i]);
		free(s[i].body);
	}
	ingest_pg_free(g);
	ingest_free(in);
	db_close(other);
	db_close(db);
}

int main(void)
{
	const char *u = getenv("EXCISE_TEST_PG_URL");
	pg_url = u && *u ? u : NULL;
	struct excise_err err = { 0 };
	if (excise_catalog_load_embedded(&cat, &err) < 0) {
		fprintf(stderr, "catalog: %s\n", err.msg);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_as_one_by_one),
		cmocka_unit_test(test_attestation_groups),
		cmocka_unit_test(test_reconnect_keeps_settings),
	};
	int r = cmocka_run_group_tests_name("ingest-pg", tests, NULL, NULL);
	excise_catalog_free(cat);
	return r;
}
