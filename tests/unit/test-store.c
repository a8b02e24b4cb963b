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
#include <pthread.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "excise/catalog.h"
#include "excise/fleet.h"
#include "excise/limits.h"
#include "excise/store.h"
#include "fleet/db.h"
#include "fleet/docbody.h"
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


/* ---- helpers: enrollment and documents ---- */

static char *new_secret(struct fx *f, const char *ou, char **ret_id)
{
	char *secret = NULL, *id = NULL;
	if (excise_store_secret_create(f->st, ou, 2000000000, "test", 1700000000, &secret, &id, &f->err) < 0)
		fail_msg("secret: %s", f->err.msg);
	if (ret_id)
		*ret_id = id;
	else
		free(id);
	return secret;
}

static char *enroll(struct fx *f, const char *secret, const char *machine_id, const char *hostname,
		    uint8_t key[EXCISE_HOST_KEY_BYTES])
{
	struct excise_enroll_req q = { .secret = secret, .machine_id = machine_id, .hostname = hostname,
				       .platform = "linux", .os = "Debian GNU/Linux 12", .version = "0.1.0" };
	char *id = NULL;
	uint8_t k[EXCISE_HOST_KEY_BYTES];
	if (excise_store_enroll(f->st, &q, 1700000000, &id, key ? key : k, &f->err) < 0)
		fail_msg("enroll: %s", f->err.msg);
	return id;
}

/* An enrolled host with machine id `mid` (a secret of its own, org unit "agency/bureau/site"). */
static char *host(struct fx *f, const char *mid)
{
	char *secret = new_secret(f, "agency/bureau/site", NULL);
	char *id = enroll(f, secret, mid, mid, NULL);
	free(secret);
	return id;
}

static const char *const TIMES[] = { "2026-11-01T10:00:00.000Z", "2026-11-02T10:00:00.000Z",
				     "2026-11-03T10:00:00.000Z", "2026-11-04T10:00:00.000Z",
				     "2026-11-05T10:00:00.000Z" };
#define T(i) (1793527200 + 86400 * (i)) /* unix seconds of TIMES[i] */

/*
 * An excise.report/2 as `excise scan` writes it, trimmed to what the store reads:
 * schema, report_id, host, started, finished, catalog, one source ("dpkg", status
 * ok or failed), the findings (each given as product id and confidence: product and
 * vendor objects, state "installed", the report's own directives list naming
 * dhs-bod-17-01, one piece of dpkg evidence) and the summary with the verdict the
 * findings and the source make.
 */
static char *report(const char *mid, const char *rid, const char *finished, bool failed, const char *product,
		    const char *confidence)
{
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
		"machine_id", mid, "root", "/", "platform", "linux", "live", 1, "started", finished, "finished", finished,
		"catalog", "id", "excise-stock", "version", "1", "origin", "embedded", "sha256",
		"0000000000000000000000000000000000000000000000000000000000000000", "sources", "name", "dpkg", "status",
		failed ? "failed" : "ok", "observations", 10, "matched", product ? 1 : 0, "n_errors", 0, "errors",
		"error", failed ? json_string("stopped by a limit: x") : json_null(), "seconds", 0.1, "findings", fs,
		"summary", "verdict", verdict, "findings", product ? 1 : 0, "by_state", "by_confidence",
		"sources_failed", failed ? json_pack("[s]", "dpkg") : json_array(), "exit_code",
		found ? 1 : failed ? 2 : 0);
	assert_non_null(o);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(s);
	return s;
}

static int submit(struct fx *f, const char *host_id, const char *doc, struct excise_submit_result *res)
{
	struct excise_submit_result tmp;
	return excise_store_submit(f->st, host_id, doc, strlen(doc), 1800000000, res ? res : &tmp, &f->err);
}

static void submit_ok(struct fx *f, const char *host_id, char *doc)
{
	struct excise_submit_result res;
	if (submit(f, host_id, doc, &res) < 0)
		fail_msg("submit: %s", f->err.msg);
	assert_int_equal(res.status, EXCISE_SUBMIT_STORED);
	free(doc);
}

/* A fact of host_directive (NULL as -1). */
static int64_t fact(struct fx *f, const char *host_id, const char *dir, const char *col)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT COALESCE(%s, -1) FROM host_directive WHERE host_id = '%s' AND directive_id = '%s'",
		 col, host_id, dir);
	return q_int(f, sql);
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


static char *q_text(struct fx *f, const char *sql)
{
	struct db *db;
	struct db_stmt *s;
	struct excise_err err = { 0 };
	if (db_open(f->url, NULL, &db, &err) < 0 || db_prepare(db, sql, &s, &err) < 0)
		fail_msg("%s: %s", sql, err.msg);
	if (db_step(s, &err) != 1)
		fail_msg("%s: no row: %s", sql, err.msg);
	const char *v = db_column_text(s, 0);
	char *r = strdup(v ? v : "(null)");
	db_finalize(s);
	db_close(db);
	return r;
}

/* The body of the document `doc_id` as the store keeps it, read back through docbody_read
 * (NULL with f->err set when it cannot be). */
static char *stored_body(struct fx *f, const char *doc_id)
{
	struct db *db;
	struct db_stmt *s;
	struct excise_err err = { 0 };
	if (db_open(f->url, NULL, &db, &err) < 0 ||
	    db_prepare(db, "SELECT " DOCBODY_COLS " FROM document WHERE doc_id = $1", &s, &err) < 0)
		fail_msg("%s", err.msg);
	db_bind_text(s, 1, doc_id);
	if (db_step(s, &err) != 1)
		fail_msg("document %s: no row: %s", doc_id, err.msg);
	char *body = NULL;
	size_t len = 0;
	if (docbody_read(s, 0, doc_id, &body, &len, &f->err) >= 0)
		assert_int_equal(len, strlen(body));
	db_finalize(s);
	db_close(db);
	return body;
}

/* ---- secrets ---- */

static void test_secrets(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *id1, *id2;
	char *s1 = new_secret(f, "agency/bureau/site", &id1);
	char *s2 = new_secret(f, "agency", &id2);
	assert_int_equal(strncmp(s1, "exs1_", 5), 0);
	assert_int_equal(strlen(s1), 5 + 43); /* 32 bytes in base64url without padding */
	assert_string_not_equal(s1, s2);
	/* only the hash is stored */
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM enroll_secret WHERE secret_hash = '%s'", s1);
	assert_int_equal(q_int(f, sql), 0);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM org_unit"), 3); /* agency, agency/bureau, agency/bureau/site */
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM org_unit WHERE id = 'agency/bureau/site' AND parent_id = 'agency/bureau'"), 1);
	free(enroll(f, s1, "m1", "h1", NULL));
	struct excise_secret_info *v;
	size_t n;
	assert_int_equal(excise_store_secret_list(f->st, &v, &n, &f->err), 0);
	assert_int_equal(n, 2);
	size_t a = strcmp(v[0].id, id1) ? 1 : 0;
	assert_string_equal(v[a].id, id1);
	assert_string_equal(v[a].org_unit, "agency/bureau/site");
	assert_int_equal(v[a].hosts, 1);
	assert_int_equal(v[1 - a].hosts, 0);
	assert_int_equal(v[a].revoked, 0);
	assert_int_equal(v[a].expires, 2000000000);
	excise_secret_info_free(v, n);
	/* revoked: enrolling with it is refused, revoking twice says so */
	assert_int_equal(excise_store_secret_revoke(f->st, id1, 1700000100, &f->err), 0);
	assert_int_equal(excise_store_secret_revoke(f->st, id1, 1700000100, &f->err), -EXCISE_E_ABSENT);
	struct excise_enroll_req q = { .secret = s1, .machine_id = "m2", .hostname = "h2" };
	char *hid = NULL;
	uint8_t k[32];
	assert_int_equal(excise_store_enroll(f->st, &q, 1700000200, &hid, k, &f->err), -EXCISE_E_AUTH);
	/* expired: s2 expires at 2000000000 */
	q.secret = s2;
	assert_int_equal(excise_store_enroll(f->st, &q, 2000000000, &hid, k, &f->err), -EXCISE_E_AUTH);
	assert_int_equal(excise_store_enroll(f->st, &q, 1999999999, &hid, k, &f->err), 0);
	free(hid);
	/* unknown */
	q.secret = "exs1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	assert_int_equal(excise_store_enroll(f->st, &q, 1700000200, &hid, k, &f->err), -EXCISE_E_AUTH);
	/* org units: 1 to 3 levels, no empty level; expiry in the future */
	char *x, *xid;
	assert_int_equal(excise_store_secret_create(f->st, "a/b/c/d", 2000000000, NULL, 1700000000, &x, &xid, &f->err),
			 -EXCISE_E_USAGE);
	assert_int_equal(excise_store_secret_create(f->st, "a//c", 2000000000, NULL, 1700000000, &x, &xid, &f->err),
			 -EXCISE_E_USAGE);
	assert_int_equal(excise_store_secret_create(f->st, "", 2000000000, NULL, 1700000000, &x, &xid, &f->err),
			 -EXCISE_E_CORRUPT);
	assert_int_equal(excise_store_secret_create(f->st, "a", 1700000000, NULL, 1700000000, &x, &xid, &f->err),
			 -EXCISE_E_USAGE);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'secret.create'"), 2);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'secret.revoke'"), 1);
	free(s1);
	free(s2);
	free(id1);
	free(id2);
}

/* ---- hosts ---- */

static void test_enroll_rotates_key(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *secret = new_secret(f, "agency/bureau", NULL);
	uint8_t k1[32], k2[32], k3[32], kk[32];
	char *id1 = enroll(f, secret, "machine-1", "one", k1);
	assert_int_equal(excise_store_host_key(f->st, id1, kk, &f->err), 0);
	assert_memory_equal(k1, kk, 32);
	char *id2 = enroll(f, secret, "machine-1", "one-renamed", k2);
	assert_string_equal(id1, id2);
	assert_memory_not_equal(k1, k2, 32);
	assert_int_equal(excise_store_host_key(f->st, id1, kk, &f->err), 0);
	assert_memory_equal(k2, kk, 32);
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT key_epoch FROM host WHERE id = '%s'", id1);
	assert_int_equal(q_int(f, sql), 2);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM host"), 1);
	/* another machine: another host, another key */
	char *id3 = enroll(f, secret, "machine-2", "two", k3);
	assert_string_not_equal(id1, id3);
	assert_memory_not_equal(k3, k2, 32);
	/* the key is the documented derivation: reopened with the same master key, the same */
	excise_store_close(f->st);
	f->st = NULL;
	open_store(f);
	assert_int_equal(excise_store_host_key(f->st, id1, kk, &f->err), 0);
	assert_memory_equal(k2, kk, 32);
	/* history kept across re-enrollment */
	submit_ok(f, id1, report("machine-1", "r-1", TIMES[0], false, NULL, NULL));
	free(enroll(f, secret, "machine-1", "one", k1));
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM document WHERE host_id = '%s'", id1);
	assert_int_equal(q_int(f, sql), 1);
	free(id1);
	free(id2);
	free(id3);
	free(secret);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The host key cache (excise_store_host_key_cached): an enrollment through this store
 * replaces the cached key at once, and a request signed with the old key fails; one
 * through a second store on the same database (another collector) is seen here once
 * the cached key is key_cache_ms old (1.5 s here), or at once by excise_store_host_key,
 * which reads the database and refreshes the cache. */
static void test_key_cache(void **state)
{
	struct fx *f = *state;
	struct excise_store_opts o = opts(f);
	o.key_cache_ms = 1500;
	if (excise_store_open(f->url, &o, &f->st, &f->err) < 0)
		fail_msg("open: %s", f->err.msg);
	struct excise_store *other = NULL;
	if (excise_store_open(f->url, &o, &other, &f->err) < 0)
		fail_msg("open a second store: %s", f->err.msg);
	char *secret = new_secret(f, "agency/bureau", NULL);
	uint8_t k1[32], k2[32], k3[32], k4[32], kk[32];
	bool cached = false;
	char *id = enroll(f, secret, "machine-1", "one", k1);
	assert_int_equal(excise_store_host_key_cached(f->st, id, kk, &cached, &f->err), 0);
	assert_true(cached); /* enrolled here: cached at once */
	assert_memory_equal(kk, k1, 32);

	/* enrolled again here: the new key at once, a request signed with the old one refused */
	int64_t t_put = mono_ms();
	free(enroll(f, secret, "machine-1", "one", k2));
	int64_t t_done = mono_ms(); /* the key was cached between t_put and t_done */
	assert_memory_not_equal(k1, k2, 32);
	assert_int_equal(excise_store_host_key_cached(f->st, id, kk, &cached, &f->err), 0);
	assert_true(cached);
	assert_memory_equal(kk, k2, 32);
	char sig[EXCISE_PROTO_SIG_MAX];
	assert_int_equal(excise_proto_sign(k1, id, "POST", "/v1/submit", 1700000000, "{}", 2, sig), 0);
	assert_int_equal(excise_proto_verify(kk, id, "POST", "/v1/submit", sig, "{}", 2, 1700000000, 300, &f->err),
			 -EXCISE_E_AUTH);

	/* enrolled again through the other store: here the cached key until it is 1.5 s old */
	struct excise_enroll_req q = { .secret = secret, .machine_id = "machine-1", .hostname = "one",
				       .platform = "linux", .os = "Debian GNU/Linux 12", .version = "0.1.0" };
	char *id2 = NULL;
	if (excise_store_enroll(other, &q, 1700000000, &id2, k3, &f->err) < 0)
		fail_msg("enroll through the second store: %s", f->err.msg);
	assert_string_equal(id, id2);
	free(id2);
	assert_int_equal(excise_store_host_key_cached(f->st, id, kk, &cached, &f->err), 0);
	if (mono_ms() - t_put < 1400) { /* (a machine too busy to get here in time proves nothing) */
		assert_true(cached);
		assert_memory_equal(kk, k2, 32);
	}
	while (mono_ms() - t_done <= 1500)
		usleep(50 * 1000);
	assert_int_equal(excise_store_host_key_cached(f->st, id, kk, &cached, &f->err), 0);
	assert_false(cached); /* 1.5 s old: read again, the other store's key */
	assert_memory_equal(kk, k3, 32);
	assert_int_equal(excise_store_host_key_cached(f->st, id, kk, &cached, &f->err), 0);
	assert_true(cached);
	assert_memory_equal(kk, k3, 32);

	/* once more through the other store: excise_store_host_key reads it at once, and the
	 * cache has it from then on */
	if (excise_store_enroll(other, &q, 1700000000, &id2, k4, &f->err) < 0)
		fail_msg("enroll through the second store: %s", f->err.msg);
	free(id2);
	assert_int_equal(excise_store_host_key(f->st, id, kk, &f->err), 0);
	assert_memory_equal(kk, k4, 32);
	assert_int_equal(excise_store_host_key_cached(f->st, id, kk, &cached, &f->err), 0);
	assert_true(cached);
	assert_memory_equal(kk, k4, 32);
	assert_int_equal(excise_store_host_key_cached(f->st, "nosuchhost", kk, &cached, &f->err), -EXCISE_E_ABSENT);
	/* the machine id of the same cache entry still checks documents */
	submit_ok(f, id, report("machine-1", "r-1", TIMES[0], false, NULL, NULL));
	char *doc = report("machine-2", "r-2", TIMES[0], false, NULL, NULL);
	assert_int_equal(submit(f, id, doc, NULL), -EXCISE_E_REFUSED);
	free(doc);
	excise_store_close(other);
	free(id);
	free(secret);
}

static void test_unknown_host(void **state)
{
	struct fx *f = *state;
	open_store(f);
	uint8_t k[32];
	assert_int_equal(excise_store_host_key(f->st, "nosuchhost", k, &f->err), -EXCISE_E_ABSENT);
	char *doc = report("m", "r-x", TIMES[0], false, NULL, NULL);
	assert_int_equal(submit(f, "nosuchhost", doc, NULL), -EXCISE_E_ABSENT);
	free(doc);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 0);
}

/* ---- documents ---- */

static void test_submit_stored_duplicate(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "m-dup");
	char *doc = report("m-dup", "1b4e28ba-2fa1-41d2-883f-0016d3cca427", TIMES[0], false, "kesl", "definitive");
	struct excise_submit_result res;
	assert_int_equal(submit(f, h, doc, &res), 0);
	assert_int_equal(res.status, EXCISE_SUBMIT_STORED);
	assert_string_equal(res.kind, "report");
	assert_string_equal(res.doc_id, "1b4e28ba-2fa1-41d2-883f-0016d3cca427");
	assert_int_equal(submit(f, h, doc, &res), 0);
	assert_int_equal(res.status, EXCISE_SUBMIT_DUPLICATE);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 1);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM finding"), 1);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM finding WHERE product_id = 'kesl' AND sources = 'dpkg'"
				  " AND confidence = 'definitive' AND n_artifacts = 1"),
			 1);
	/* covered by the collector's catalog: every Kaspersky directive */
	char *dirs = q_text(f, "SELECT directives FROM finding");
	assert_non_null(strstr(dirs, "dhs-bod-17-01"));
	assert_non_null(strstr(dirs, "far-52.204-23"));
	free(dirs);
	/* the body is stored byte for byte, compressed (schema version 3) */
	char *body = stored_body(f, "1b4e28ba-2fa1-41d2-883f-0016d3cca427");
	assert_string_equal(body, doc);
	free(body);
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM document WHERE body = '' AND body_codec = 'zstd' AND body_len = %zu", strlen(doc));
	assert_int_equal(q_int(f, sql), 1);
	assert_true(q_int(f, "SELECT LENGTH(body_z) FROM document") < (int64_t)strlen(doc));
	/* malformed: refused with the place, nothing stored */
	assert_int_equal(submit(f, h, "{\"schema\":\"excise.report/2\"", NULL), -EXCISE_E_CORRUPT);
	assert_int_equal(submit(f, h, "{\"schema\":\"excise.nope/1\",\"host\":{}}", NULL), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(f->err.msg, "/schema"));
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 1);
	free(doc);
	free(h);
}

static void test_submit_about_other_host(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *a = host(f, "machine-a");
	char *b = host(f, "machine-b");
	char *doc = report("machine-b", "r-other", TIMES[0], false, NULL, NULL);
	assert_int_equal(submit(f, a, doc, NULL), -EXCISE_E_REFUSED);
	assert_non_null(strstr(f->err.msg, "machine-b"));
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 0);
	assert_int_equal(submit(f, b, doc, NULL), 0);
	free(doc);
	free(a);
	free(b);
}

static void test_incomplete_never_clean(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "m-inc");
	submit_ok(f, h, report("m-inc", "r-inc", TIMES[1], true, NULL, NULL));
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "last_report"), T(1));
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "last_complete"), -1);
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "last_error"), T(1));
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "first_determined"), -1); /* error: not determined */
	assert_int_equal(q_int(f, "SELECT complete FROM document"), 0);
	/* a weak finding alone, complete: clean, not identified */
	submit_ok(f, h, report("m-inc", "r-weak", TIMES[2], false, "kesl", "weak"));
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "last_complete"), T(2));
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "last_complete_covered"), 0);
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "first_identified"), -1);
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "first_determined"), T(2));
	/* an incomplete report that found something: identified, still not complete */
	submit_ok(f, h, report("m-inc", "r-inc2", TIMES[3], true, "kesl", "strong"));
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "first_identified"), T(3));
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "last_complete"), T(2));
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "last_error"), T(3));
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "first_determined"), T(2));
	free(h);
}

static void test_facts_out_of_order(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "m-ooo");
	const char *d = "dhs-bod-17-01";
	/* the spool delivers: clean (day 3), found (day 1), found (day 2), clean (day 0) */
	submit_ok(f, h, report("m-ooo", "r3", TIMES[3], false, NULL, NULL));
	assert_int_equal(fact(f, h, d, "removed"), -1); /* never identified: clean from the start */
	submit_ok(f, h, report("m-ooo", "r1", TIMES[1], false, "kesl", "definitive"));
	assert_int_equal(fact(f, h, d, "first_identified"), T(1));
	assert_int_equal(fact(f, h, d, "removed"), T(3)); /* the later clean report removes it */
	assert_int_equal(fact(f, h, d, "first_determined"), T(1)); /* the earliest change out of never_reported */
	submit_ok(f, h, report("m-ooo", "r2", TIMES[2], false, "kes-windows", "strong"));
	assert_int_equal(fact(f, h, d, "last_identified"), T(2));
	assert_int_equal(fact(f, h, d, "removed"), T(3));
	char *p = q_text(f, "SELECT products FROM host_directive WHERE directive_id = 'dhs-bod-17-01'");
	assert_string_equal(p, "kes-windows"); /* the products of the latest identification */
	free(p);
	submit_ok(f, h, report("m-ooo", "r0", TIMES[0], false, NULL, NULL));
	/* nothing moved backwards */
	assert_int_equal(fact(f, h, d, "first_report"), T(0));
	assert_int_equal(fact(f, h, d, "last_report"), T(3));
	assert_int_equal(fact(f, h, d, "last_complete"), T(3));
	assert_int_equal(fact(f, h, d, "last_complete_covered"), 0);
	assert_int_equal(fact(f, h, d, "first_identified"), T(1));
	assert_int_equal(fact(f, h, d, "last_identified"), T(2));
	assert_int_equal(fact(f, h, d, "removed"), T(3));
	/* found again on day 4: no longer removed */
	submit_ok(f, h, report("m-ooo", "r4", TIMES[4], false, "kesl", "strong"));
	assert_int_equal(fact(f, h, d, "removed"), -1);
	assert_int_equal(fact(f, h, d, "last_complete_covered"), 1);
	/* the status changes follow the facts' phases, in the order they were learnt: clean (r3),
	 * removed (r1: identified, and removed by the later r3), identified again (r4) */
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM status_change WHERE directive_id = 'dhs-bod-17-01'"), 3);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM status_change WHERE directive_id = 'dhs-bod-17-01'"
				  " AND old_status = 'removed' AND new_status = 'identified' AND doc_id = 'r4'"),
			 1);
	/* first_determined is the earliest of those changes */
	assert_int_equal(fact(f, h, d, "first_determined"), T(1));
	assert_int_equal(q_int(f, "SELECT MIN(at) FROM status_change WHERE directive_id = 'dhs-bod-17-01'"
				  " AND new_status NOT IN ('error', 'never_reported')"),
			 T(1));
	free(h);
}

static void done_count(void *ctx, int rc, const struct excise_submit_result *res, const struct excise_err *err)
{
	(void)res;
	(void)err;
	if (rc == 0)
		__atomic_add_fetch((int *)ctx, 1, __ATOMIC_SEQ_CST);
}

static void test_busy_when_full(void **state)
{
	struct fx *f = *state;
	struct excise_store_opts o = opts(f);
	/* the writer waits up to 3 s for a group of 2 while holding 1: the queue stays full */
	o.queue_max = 1;
	o.batch_max = 2;
	o.batch_wait_ms = 3000;
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), 0);
	char *h = host(f, "m-busy");
	char *d1 = report("m-busy", "r-b1", TIMES[0], false, NULL, NULL);
	char *d2 = report("m-busy", "r-b2", TIMES[1], false, NULL, NULL);
	int done = 0;
	assert_int_equal(excise_store_submit_async(f->st, h, d1, strlen(d1), 1800000000, done_count, &done, &f->err), 0);
	assert_int_equal(excise_store_submit_async(f->st, h, d2, strlen(d2), 1800000000, done_count, &done, &f->err),
			 -EXCISE_E_BUSY);
	assert_int_equal(excise_store_submit(f->st, h, d2, strlen(d2), 1800000000, NULL, &f->err), -EXCISE_E_BUSY);
	/* closing commits what the writer holds, then answers it */
	excise_store_close(f->st);
	f->st = NULL;
	assert_int_equal(done, 1);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 1);
	free(d1);
	free(d2);
	free(h);
}

/* ---- several submitting threads ---- */

#define THREADS 8
#define PER_THREAD 150

struct submitter {
	struct fx *f;
	char *host_id;
	char mid[32];
	int stored, dup, failed;
};

static void *submit_many(void *arg)
{
	struct submitter *s = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		char rid[64];
		snprintf(rid, sizeof(rid), "%s-r%d", s->mid, i);
		char *doc = report(s->mid, rid, TIMES[i % 5], false, i % 3 ? NULL : "kesl", "strong");
		struct excise_submit_result res;
		struct excise_err err;
		/* every third document twice: counted once */
		for (int k = 0; k < (i % 3 ? 1 : 2); k++) {
			int r;
			while ((r = excise_store_submit(s->f->st, s->host_id, doc, strlen(doc), 1800000000, &res, &err)) ==
			       -EXCISE_E_BUSY)
				usleep(1000);
			if (r < 0)
				s->failed++;
			else if (res.status == EXCISE_SUBMIT_STORED)
				s->stored++;
			else
				s->dup++;
		}
		free(doc);
	}
	return NULL;
}

static void test_concurrent_submitters(void **state)
{
	struct fx *f = *state;
	struct excise_store_opts o = opts(f);
	o.queue_max = 64;
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), 0);
	struct submitter s[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].f = f;
		snprintf(s[i].mid, sizeof(s[i].mid), "machine-%d", i);
		s[i].host_id = host(f, s[i].mid);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, submit_many, &s[i]), 0);
	int stored = 0, dup = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(s[i].failed, 0);
		stored += s[i].stored;
		dup += s[i].dup;
		free(s[i].host_id);
	}
	assert_int_equal(stored, THREADS * PER_THREAD);
	assert_int_equal(dup, THREADS * (PER_THREAD / 3));
	/* durable: what a closed and reopened store holds, through another connection */
	excise_store_close(f->st);
	f->st = NULL;
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), THREADS * PER_THREAD);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM finding"), THREADS * (PER_THREAD / 3));
	assert_int_equal(q_int(f, "SELECT COUNT(DISTINCT host_id) FROM host_directive"), THREADS);
}

/* ---- several writers (PostgreSQL): each host's documents in arrival order ---- */

#define ORDER_HOSTS 12
#define ORDER_DOCS 5

struct order_done {
	int stored, dup, failed;
};

static void done_order(void *ctx, int rc, const struct excise_submit_result *res, const struct excise_err *err)
{
	(void)err;
	struct order_done *o = ctx;
	if (rc < 0)
		__atomic_add_fetch(&o->failed, 1, __ATOMIC_SEQ_CST);
	else if (res->status == EXCISE_SUBMIT_STORED)
		__atomic_add_fetch(&o->stored, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_add_fetch(&o->dup, 1, __ATOMIC_SEQ_CST);
}

static void test_writers_order_per_host(void **state)
{
	struct fx *f = *state;
	struct excise_store_opts o = opts(f);
	o.pg_writers = 4;
	o.batch_max = 3; /* small groups: a host's documents spread over several commits */
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), 0);
	struct excise_store_stats s0;
	excise_store_stats(f->st, &s0);
	assert_int_equal(s0.writers, f->be->pg_url ? 4 : 1);
	assert_int_equal(s0.documents, 0);
	char *ids[ORDER_HOSTS];
	for (int i = 0; i < ORDER_HOSTS; i++) {
		char mid[32];
		snprintf(mid, sizeof(mid), "m-order-%d", i);
		ids[i] = host(f, mid);
	}
	/* every host: clean, found, clean, found, clean, queued at once, hosts interleaved; each
	 * host's second document twice. In order, the phases go clean, identified, removed,
	 * identified, removed; a document applied before the one it follows would record
	 * other changes (r1 before r0: no "clean" first) */
	struct order_done d = { 0 };
	int queued = 0;
	for (int k = 0; k < ORDER_DOCS; k++)
		for (int i = 0; i < ORDER_HOSTS; i++)
			for (int rep = 0; rep < (k == 1 ? 2 : 1); rep++) {
				char mid[32], rid[48];
				snprintf(mid, sizeof(mid), "m-order-%d", i);
				snprintf(rid, sizeof(rid), "m-order-%d-r%d", i, k);
				char *doc = report(mid, rid, TIMES[k], false, k % 2 ? "kesl" : NULL, "strong");
				int r;
				while ((r = excise_store_submit_async(f->st, ids[i], doc, strlen(doc), 1800000000 + k,
								      done_order, &d, &f->err)) == -EXCISE_E_BUSY)
					usleep(1000);
				assert_int_equal(r, 0);
				queued++;
				free(doc);
			}
	struct excise_store_stats s1;
	for (int w = 0; w < 30000; w++) {
		excise_store_stats(f->st, &s1);
		if (s1.documents == (uint64_t)queued)
			break;
		usleep(1000);
	}
	assert_int_equal(s1.documents, queued);
	assert_true(s1.groups >= (uint64_t)queued / 3);
	assert_true(s1.writer_cpu_ns > 0);
	excise_store_close(f->st);
	f->st = NULL;
	assert_int_equal(d.failed, 0);
	assert_int_equal(d.stored, ORDER_HOSTS * ORDER_DOCS);
	assert_int_equal(d.dup, ORDER_HOSTS);
	static const char *const want[ORDER_DOCS][2] = {
		{ NULL, "clean" }, { "clean", "identified" }, { "identified", "removed" },
		{ "removed", "identified" }, { "identified", "removed" },
	};
	for (int i = 0; i < ORDER_HOSTS; i++) {
		char sql[512];
		snprintf(sql, sizeof(sql),
			 "SELECT COUNT(*) FROM status_change WHERE host_id = '%s' AND directive_id = 'dhs-bod-17-01'", ids[i]);
		assert_int_equal(q_int(f, sql), ORDER_DOCS);
		for (int k = 0; k < ORDER_DOCS; k++) {
			snprintf(sql, sizeof(sql),
				 "SELECT COUNT(*) FROM status_change WHERE host_id = '%s' AND directive_id = 'dhs-bod-17-01'"
				 " AND %s%s%s AND new_status = '%s' AND doc_id = 'm-order-%d-r%d'",
				 ids[i], want[k][0] ? "old_status = '" : "old_status IS NULL", want[k][0] ? want[k][0] : "",
				 want[k][0] ? "'" : "", want[k][1], i, k);
			assert_int_equal(q_int(f, sql), 1);
		}
		assert_int_equal(fact(f, ids[i], "dhs-bod-17-01", "removed"), T(4));
		free(ids[i]);
	}
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), ORDER_HOSTS * ORDER_DOCS);
}

/* pg_writers above EXCISE_STORE_MAX_WRITERS is refused (PostgreSQL; SQLite has one writer). */
static void test_writers_limit(void **state)
{
	struct fx *f = *state;
	struct excise_store_opts o = opts(f);
	o.pg_writers = EXCISE_STORE_MAX_WRITERS + 1;
	int r = excise_store_open(f->url, &o, &f->st, &f->err);
	if (f->be->pg_url) {
		assert_int_equal(r, -EXCISE_E_USAGE);
		assert_non_null(strstr(f->err.msg, "EXCISE_STORE_MAX_WRITERS"));
		assert_null(f->st);
		o.pg_writers = EXCISE_STORE_MAX_WRITERS;
	}
	if (f->be->pg_url)
		assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), 0);
	else
		assert_int_equal(r, 0);
	struct excise_store_stats s;
	excise_store_stats(f->st, &s);
	assert_int_equal(s.writers, f->be->pg_url ? EXCISE_STORE_MAX_WRITERS : 1);
}

/* SQL metacharacters and HTML in every field a host or an operator gives: stored verbatim. */
static const char NASTY[] = "'; DROP TABLE host; -- <script>alert(\"x\")</script> & \\ %_ $1 \xc3\xa9";

static void test_metacharacters_verbatim(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *sid;
	char ou[128];
	snprintf(ou, sizeof(ou), "%s/b", NASTY);
	char *secret;
	assert_int_equal(excise_store_secret_create(f->st, ou, 2000000000, NASTY, 1700000000, &secret, &sid, &f->err), 0);
	struct excise_enroll_req q = { .secret = secret, .machine_id = NASTY, .hostname = NASTY, .platform = NASTY,
				       .os = NASTY, .version = NASTY };
	char *h;
	uint8_t k[32];
	assert_int_equal(excise_store_enroll(f->st, &q, 1700000000, &h, k, &f->err), 0);
	char *doc = report(NASTY, "r-nasty", TIMES[0], false, NASTY, "strong");
	submit_ok(f, h, doc);
	const char *const cols[] = { "SELECT hostname FROM host",        "SELECT machine_id FROM host",
				     "SELECT os FROM host",              "SELECT note FROM enroll_secret",
				     "SELECT product_id FROM finding",   "SELECT product_name FROM finding" };
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		char *v = q_text(f, cols[i]);
		assert_string_equal(v, NASTY);
		free(v);
	}
	char *v = q_text(f, "SELECT org_unit_id FROM host");
	assert_string_equal(v, ou);
	free(v);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM host"), 1);
	/* a product the catalog lacks: covered by the report's own list */
	v = q_text(f, "SELECT directives FROM finding");
	assert_string_equal(v, "dhs-bod-17-01");
	free(v);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM host_directive WHERE first_identified IS NOT NULL");
	assert_int_equal(q_int(f, sql), 1);
	/* the operator's fields */
	assert_int_equal(excise_store_host_retire(f->st, h, NASTY, NASTY, 1700000001, &f->err), 0);
	assert_int_equal(excise_store_exempt(f->st, h, "dhs-bod-17-01", NASTY, NASTY, 0, 1700000002, NULL, &f->err), 0);
	/* a CSV cell: quoted, its quotes doubled */
	char csv[256], *o = csv;
	o += sprintf(o, "agency,\"");
	for (const char *c = NASTY; *c; c++)
		o += sprintf(o, *c == '"' ? "\"\"" : "%c", *c);
	sprintf(o, "\"\n");
	size_t rows;
	assert_int_equal(excise_store_inventory_import(f->st, csv, strlen(csv), NASTY, 1700000003, &rows, NULL, &f->err), 0);
	const char *const ops[] = { "SELECT retired_reason FROM host", "SELECT retired_by FROM host",
				    "SELECT reason FROM exemption",    "SELECT approver FROM exemption",
				    "SELECT hostname FROM expected_host", "SELECT actor FROM audit WHERE action = 'inventory.import'" };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		v = q_text(f, ops[i]);
		assert_string_equal(v, NASTY);
		free(v);
	}
	free(secret);
	free(sid);
	free(h);
}


/* ---- administration ---- */

static void test_retire_comes_back(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "m-ret");
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT COALESCE(retired, -1) FROM host WHERE id = '%s'", h);
	/* by name */
	assert_int_equal(excise_store_host_retire(f->st, "m-ret", "decommissioned", "alice", 1700000500, &f->err), 0);
	assert_int_equal(q_int(f, sql), 1700000500);
	char *v = q_text(f, "SELECT retired_by FROM host");
	assert_string_equal(v, "alice");
	free(v);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'host.retire' AND actor = 'alice'"), 1);
	/* it reports again: back, audited */
	submit_ok(f, h, report("m-ret", "r-back", TIMES[0], false, NULL, NULL));
	assert_int_equal(q_int(f, sql), -1);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'host.unretire' AND actor = 'ingest'"), 1);
	/* by id; unretire; refusals */
	assert_int_equal(excise_store_host_retire(f->st, h, "lost", "bob", 1700000600, &f->err), 0);
	assert_int_equal(excise_store_host_unretire(f->st, h, "bob", 1700000700, &f->err), 0);
	assert_int_equal(q_int(f, sql), -1);
	assert_int_equal(excise_store_host_unretire(f->st, h, "bob", 1700000700, &f->err), -EXCISE_E_USAGE);
	assert_int_equal(excise_store_host_retire(f->st, "nobody", "x", "bob", 1700000600, &f->err), -EXCISE_E_ABSENT);
	assert_int_equal(excise_store_host_retire(f->st, h, "", "bob", 1700000600, &f->err), -EXCISE_E_CORRUPT);
	/* two hosts of one name: the id is needed */
	char *secret = new_secret(f, "agency", NULL);
	free(enroll(f, secret, "m-twin-1", "twin", NULL));
	free(enroll(f, secret, "m-twin-2", "twin", NULL));
	assert_int_equal(excise_store_host_retire(f->st, "twin", "x", "bob", 1700000600, &f->err), -EXCISE_E_USAGE);
	assert_non_null(strstr(f->err.msg, "host id"));
	free(secret);
	free(h);
}

static void test_exemption(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "m-ex");
	char *id = NULL;
	assert_int_equal(excise_store_exempt(f->st, "m-ex", "dhs-bod-17-01", "air-gapped lab, removal in Q3", "CISO",
					     1900000000, 1700000000, &id, &f->err),
			 0);
	assert_non_null(id);
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT expires FROM exemption WHERE id = '%s' AND host_id = '%s' AND revoked IS NULL"
				   " AND approver = 'CISO'", id, h);
	assert_int_equal(q_int(f, sql), 1900000000);
	assert_int_equal(excise_store_exempt(f->st, h, "no-such-directive", "r", "a", 0, 1700000000, NULL, &f->err),
			 -EXCISE_E_USAGE);
	assert_int_equal(excise_store_exempt(f->st, h, "dhs-bod-17-01", "r", "a", 1600000000, 1700000000, NULL, &f->err),
			 -EXCISE_E_USAGE);
	assert_int_equal(excise_store_exempt_revoke(f->st, id, "CISO", 1700000100, &f->err), 0);
	assert_int_equal(excise_store_exempt_revoke(f->st, id, "CISO", 1700000100, &f->err), -EXCISE_E_ABSENT);
	snprintf(sql, sizeof(sql), "SELECT revoked FROM exemption WHERE id = '%s'", id);
	assert_int_equal(q_int(f, sql), 1700000100);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM audit WHERE action LIKE 'exemption.%'"), 2);
	/* without expiry */
	assert_int_equal(excise_store_exempt(f->st, h, "far-52.204-23", "r", "a", 0, 1700000000, NULL, &f->err), 0);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM exemption WHERE expires IS NULL"), 1);
	/* directive start dates */
	assert_int_equal(excise_store_directive_start(f->st, "dhs-bod-17-01", 1700000000, "alice", 1700000000, &f->err), 0);
	assert_int_equal(excise_store_directive_start(f->st, "dhs-bod-17-01", 1710000000, "alice", 1700000000, &f->err), 0);
	assert_int_equal(q_int(f, "SELECT start FROM directive_start WHERE directive_id = 'dhs-bod-17-01'"), 1710000000);
	assert_int_equal(excise_store_directive_start(f->st, "dhs-bod-17-01", 0, "alice", 1700000000, &f->err), 0);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM directive_start"), 0);
	assert_int_equal(excise_store_directive_start(f->st, "nope", 1, "alice", 1700000000, &f->err), -EXCISE_E_USAGE);
	free(id);
	free(h);
}

static void test_inventory_import(void **state)
{
	struct fx *f = *state;
	open_store(f);
	const char good[] = "org_unit,hostname\r\n"
			    "agency/bureau/site,web-01\r\n"
			    "\"agency/bureau/site\",\"db-01\"\r\n"
			    "agency,\"name, with comma\"\n"
			    "\n"
			    "agency,web-01\n";
	size_t rows = 0;
	char **problems = NULL;
	assert_int_equal(excise_store_inventory_import(f->st, good, strlen(good), "alice", 1700000000, &rows, &problems,
						       &f->err),
			 0);
	assert_null(problems);
	assert_int_equal(rows, 4);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM expected_host WHERE hostname = 'name, with comma'"), 1);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM org_unit"), 3);
	/* again: nothing new */
	assert_int_equal(excise_store_inventory_import(f->st, good, strlen(good), "alice", 1700000000, &rows, &problems,
						       &f->err),
			 0);
	assert_int_equal(rows, 0);
	/* bad rows: each named by its line, nothing imported */
	const char bad[] = "agency,new-01\n"          /* 1: fine */
			   "agency\n"                 /* 2: one field */
			   "a/b/c/d,x\n"              /* 3: four levels */
			   "agency,\n"                /* 4: no name */
			   "agency,new-01\n"          /* 5: the same as line 1 */
			   "agency,\"unclosed\n";     /* 6: a quote not closed */
	assert_int_equal(excise_store_inventory_import(f->st, bad, strlen(bad), "alice", 1700000000, &rows, &problems,
						       &f->err),
			 -EXCISE_E_CORRUPT);
	assert_non_null(problems);
	const char *want[] = { "line 2: ", "line 3: ", "line 4: ", "line 6: ", "line 5: " };
	size_t n = 0;
	while (problems[n])
		n++;
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(strncmp(problems[i], want[i], strlen(want[i])), 0);
	assert_non_null(strstr(problems[4], "line 1"));
	excise_strv_free(problems);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM expected_host WHERE hostname = 'new-01'"), 0);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'inventory.import'"), 2);
}


/* ---- reading only (excise report) ---- */

static struct excise_store_opts ro_opts(struct fx *f)
{
	struct excise_store_opts o = opts(f);
	o.read_only = true;
	return o;
}

/* A list of dhs-bod-17-01 from store `st`: its rows as "name=state[ matches]" sorted, into out. */
static void list_of(struct fx *f, struct excise_store *st, char *out, size_t size)
{
	struct excise_fleet_query q = { .directive = "dhs-bod-17-01", .state = -1, .now = T(3) };
	struct excise_fleet_list *l = NULL;
	if (excise_fleet_hosts(st, f->cat, &q, &l, &f->err) < 0)
		fail_msg("list: %s", f->err.msg);
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; i < l->n; i++)
		n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s %s=%s%s", i ? ", " : "", l->rows[i].org_unit,
				      l->rows[i].hostname, excise_fleet_state_name(l->rows[i].state),
				      l->rows[i].host_id ? "" : l->rows[i].expected_matches ? " (ambiguous)" : " (expected)");
	assert_true(n < size);
	assert_int_equal(l->totals.rows, l->n);
	excise_fleet_list_free(l);
}

static void test_read_only(void **state)
{
	struct fx *f = *state;
	struct excise_store_opts o = ro_opts(f);
	if (!f->be->pg_url) {
		/* a missing file: an error naming it, nothing created */
		assert_true(excise_store_open(f->url, &o, &f->st, &f->err) < 0);
		assert_null(f->st);
		assert_non_null(strstr(f->err.msg, f->url));
		assert_int_equal(access(f->url, F_OK), -1);
	}
	open_store(f);
	char *h = host(f, "m-ro-1");
	submit_ok(f, h, report("m-ro-1", "r-1", TIMES[0], false, "kesl", "definitive"));
	excise_store_close(f->st);
	f->st = NULL;
	char want[512];
	{
		struct excise_store *rw = NULL;
		struct excise_store_opts w = opts(f);
		assert_int_equal(excise_store_open(f->url, &w, &rw, &f->err), 0);
		list_of(f, rw, want, sizeof(want));
		excise_store_close(rw);
	}
	assert_string_equal(want, "agency/bureau/site m-ro-1=identified");
	/* SQLite: the file read-only in a read-only folder, no -wal or -shm beside it */
	char wal[600], shm[600];
	snprintf(wal, sizeof(wal), "%s-wal", f->url);
	snprintf(shm, sizeof(shm), "%s-shm", f->url);
	struct stat before, after;
	if (!f->be->pg_url) {
		assert_int_equal(access(wal, F_OK), -1);
		assert_int_equal(chmod(f->url, 0444), 0);
		assert_int_equal(chmod(f->dir, 0555), 0);
		assert_int_equal(stat(f->url, &before), 0);
	}
	o = ro_opts(f);
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), 0);
	char got[512];
	list_of(f, f->st, got, sizeof(got));
	assert_string_equal(got, want);
	/* every write refused, and said so */
	char *secret = NULL, *sid = NULL;
	assert_int_equal(excise_store_secret_create(f->st, "agency", 2000000000, "x", 1700000000, &secret, &sid, &f->err),
			 -EXCISE_E_REFUSED);
	assert_non_null(strstr(f->err.msg, "read-only"));
	assert_int_equal(excise_store_host_retire(f->st, h, "gone", "alice", 1700000000, &f->err), -EXCISE_E_REFUSED);
	struct excise_submit_result res;
	char *doc = report("m-ro-1", "r-2", TIMES[1], false, NULL, NULL);
	assert_int_equal(excise_store_submit(f->st, h, doc, strlen(doc), 1800000000, &res, &f->err), -EXCISE_E_REFUSED);
	free(doc);
	struct excise_enroll_req q = { .secret = "exs1_x", .machine_id = "m-ro-2", .hostname = "n" };
	char *nid = NULL;
	uint8_t key[EXCISE_HOST_KEY_BYTES];
	assert_int_equal(excise_store_enroll(f->st, &q, 1700000000, &nid, key, &f->err), -EXCISE_E_REFUSED);
	excise_store_close(f->st);
	f->st = NULL;
	if (!f->be->pg_url) {
		assert_int_equal(stat(f->url, &after), 0);
		assert_int_equal(after.st_size, before.st_size);
		assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
		assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
		assert_int_equal(access(wal, F_OK), -1);
		assert_int_equal(access(shm, F_OK), -1);
		/* as a user who may not write there (root may): the same list, in a child */
		if (geteuid() == 0) {
			pid_t pid = fork();
			assert_true(pid >= 0);
			if (pid == 0) {
				struct excise_store *st = NULL;
				char g[512];
				int ok = setgid(65534) == 0 && setuid(65534) == 0 && access(f->dir, W_OK) < 0 &&
					 excise_store_open(f->url, &o, &st, &f->err) == 0;
				if (ok) {
					list_of(f, st, g, sizeof(g));
					ok = !strcmp(g, want);
				}
				excise_store_close(st);
				_exit(ok ? 0 : 1);
			}
			int status = 0;
			assert_int_equal(waitpid(pid, &status, 0), pid);
			assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			assert_int_equal(access(wal, F_OK), -1);
			assert_int_equal(access(shm, F_OK), -1);
		}
		assert_int_equal(chmod(f->dir, 0700), 0);
		assert_int_equal(chmod(f->url, 0600), 0);
	}
	free(h);
}

/* A database of schema version 4: the store's own, its version-5 change (the filings) undone. */
static void to_version_4(struct fx *f)
{
	q_exec(f, "DROP INDEX filing_directive; DROP TABLE filing; DELETE FROM schema_version WHERE version > 4");
}

/* A database of schema version 2: the store's own, its version-5, -4 and -3 changes undone (each
 * body back in its text column, as version 2 stored it). */
static void to_version_2(struct fx *f)
{
	to_version_4(f);
	struct db *db;
	struct db_stmt *s, *u;
	struct excise_err err = { 0 };
	if (db_open(f->url, NULL, &db, &err) < 0 ||
	    db_prepare(db, "SELECT host_id, doc_id, " DOCBODY_COLS " FROM document", &s, &err) < 0 ||
	    db_prepare(db, "UPDATE document SET body = $3 WHERE host_id = $1 AND doc_id = $2", &u, &err) < 0)
		fail_msg("%s", err.msg);
	char *rows[64][3];
	size_t n = 0;
	while (db_step(s, &err) == 1) {
		assert_true(n < 64);
		rows[n][0] = strdup(db_column_text(s, 0));
		rows[n][1] = strdup(db_column_text(s, 1));
		size_t len;
		if (docbody_read(s, 2, rows[n][1], &rows[n][2], &len, &err) < 0)
			fail_msg("%s", err.msg);
		n++;
	}
	db_finalize(s);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++)
			db_bind_text(u, k + 1, rows[i][k]);
		if (db_step(u, &err) < 0)
			fail_msg("%s", err.msg);
		db_reset(u);
		for (int k = 0; k < 3; k++)
			free(rows[i][k]);
	}
	db_finalize(u);
	if (db_exec(db, "ALTER TABLE host_directive DROP COLUMN first_determined;"
			" CREATE INDEX status_change_host ON status_change(host_id, directive_id, at, new_status);"
			" DROP INDEX document_unchecked;"
			" ALTER TABLE document DROP COLUMN body_z; ALTER TABLE document DROP COLUMN body_codec;"
			" ALTER TABLE document DROP COLUMN body_len; DELETE FROM schema_version WHERE version > 2",
		    &err) < 0)
		fail_msg("%s", err.msg);
	db_close(db);
}

/* A database of schema version 1: the store's own, its version-4, -3 and -2 changes undone. */
static void to_version_1(struct fx *f)
{
	to_version_2(f);
	q_exec(f, "DROP INDEX status_change_host; DROP INDEX document_latest;"
		  " CREATE INDEX document_host_kind ON document(host_id, kind, created);"
		  " DELETE FROM schema_version WHERE version > 1");
}

static void test_migrate_v1(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *a = host(f, "m-v1-a"), *b = host(f, "m-v1-b");
	submit_ok(f, a, report("m-v1-a", "r-1", TIMES[0], false, "kesl", "definitive"));
	submit_ok(f, b, report("m-v1-b", "r-2", TIMES[0], false, NULL, NULL));
	submit_ok(f, b, report("m-v1-b", "r-3", TIMES[1], false, NULL, NULL));
	char want[512];
	list_of(f, f->st, want, sizeof(want));
	excise_store_close(f->st);
	f->st = NULL;
	to_version_1(f);
	int64_t docs = q_int(f, "SELECT COUNT(*) FROM document"), changes = q_int(f, "SELECT COUNT(*) FROM status_change");
	/* read-only: refused, saying what to do, nothing changed */
	struct excise_store_opts o = ro_opts(f);
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), -EXCISE_E_CORRUPT);
	assert_null(f->st);
	assert_non_null(strstr(f->err.msg, "schema version 1"));
	assert_non_null(strstr(f->err.msg, "excise serve"));
	assert_int_equal(q_int(f, "SELECT MAX(version) FROM schema_version"), 1);
	/* opened for writing: migrated, the data as it was */
	open_store(f);
	assert_int_equal(q_int(f, "SELECT MAX(version) FROM schema_version"), SCHEMA_VERSION);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), docs);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM status_change"), changes);
	assert_int_equal(docs, 3);
	/* version 4: each host's first determination, from its status changes */
	assert_int_equal(fact(f, a, "dhs-bod-17-01", "first_determined"), T(0));
	assert_int_equal(fact(f, b, "dhs-bod-17-01", "first_determined"), T(0));
	excise_store_close(f->st);
	f->st = NULL;
	o = ro_opts(f);
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), 0);
	char got[512];
	list_of(f, f->st, got, sizeof(got));
	assert_string_equal(got, want);
	assert_string_equal(got, "agency/bureau/site m-v1-a=identified, agency/bureau/site m-v1-b=clean");
	free(a);
	free(b);
}

/* A version-4 database (no filings) migrated to version 5: the filing table made, the data as
 * it was, a filing recorded and read after. */
static void test_migrate_v4(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *a = host(f, "m-v4-a");
	submit_ok(f, a, report("m-v4-a", "r-1", TIMES[0], false, "kesl", "definitive"));
	char want[512];
	list_of(f, f->st, want, sizeof(want));
	excise_store_close(f->st);
	f->st = NULL;
	to_version_4(f);
	int64_t docs = q_int(f, "SELECT COUNT(*) FROM document");
	struct excise_store_opts o = ro_opts(f);
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(f->err.msg, "schema version 4"));
	open_store(f);
	assert_int_equal(q_int(f, "SELECT MAX(version) FROM schema_version"), 5);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM filing"), 0);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), docs);
	assert_int_equal(excise_store_filing_add(f->st, "far-52.204-23", "R1", NULL, T(1), "DIBNet 1", "alice", T(2),
						 NULL, &f->err),
			 0);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM filing WHERE org_unit_id IS NULL AND revoked IS NULL"), 1);
	char got[512];
	list_of(f, f->st, got, sizeof(got));
	assert_string_equal(got, want);
	free(a);
}

/* FAR R1 for each host of the list of far-52.204-23 at `now`, "name=status" in order. */
static void far_r1_of(struct fx *f, int64_t now, char *out, size_t size, size_t *ret_n_filings)
{
	struct excise_fleet_query q = { .directive = "far-52.204-23", .state = -1, .now = now };
	struct excise_fleet_list *l = NULL;
	if (excise_fleet_hosts(f->st, f->cat, &q, &l, &f->err) < 0)
		fail_msg("list: %s", f->err.msg);
	size_t n = 0, counted[EXCISE_MS_STATUS_MAX_] = { 0 };
	out[0] = 0;
	for (size_t i = 0; i < l->n; i++) {
		assert_string_equal(l->rows[i].ms[0].id, "R1");
		counted[l->rows[i].ms[0].status]++;
		n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s=%s", i ? ", " : "", l->rows[i].hostname,
				      excise_ms_status_name(l->rows[i].ms[0].status));
	}
	assert_true(n < size);
	/* the totals are those of the rows */
	for (int k = 0; k < EXCISE_MS_STATUS_MAX_; k++)
		assert_int_equal(l->totals.ms[0][k], counted[k]);
	*ret_n_filings = l->n_filings;
	excise_fleet_list_free(l);
}

/* The organisation's filings (excise_store_filing_*): recorded, refused, listed, revoked, and
 * read by the list of FAR 52.204-23 as R1 met for the hosts of the unit they cover. */
static void test_filings(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *a = host(f, "m-fi-a");
	char *sec = new_secret(f, "agency/other", NULL);
	char *b = enroll(f, sec, "m-fi-b", "m-fi-b", NULL);
	free(sec);
	submit_ok(f, a, report("m-fi-a", "r-1", TIMES[0], false, "kesl", "definitive"));
	submit_ok(f, b, report("m-fi-b", "r-2", TIMES[0], false, "kesl", "definitive"));
	assert_int_equal(fact(f, a, "far-52.204-23", "first_identified"), T(0));
	/* refused: not a directive, not its milestone, not one the organisation files, in the future,
	 * an org unit nothing names, no reference */
	const char *far = "far-52.204-23";
	assert_int_equal(excise_store_filing_add(f->st, "nope", "R1", NULL, T(1), "x", "alice", T(2), NULL, &f->err),
			 -EXCISE_E_USAGE);
	assert_int_equal(excise_store_filing_add(f->st, far, "M1", NULL, T(1), "x", "alice", T(2), NULL, &f->err),
			 -EXCISE_E_USAGE);
	assert_int_equal(excise_store_filing_add(f->st, "dhs-bod-17-01", "M4", NULL, T(1), "x", "alice", T(2), NULL,
						 &f->err),
			 -EXCISE_E_USAGE);
	assert_non_null(strstr(f->err.msg, "not a report the organisation files"));
	assert_int_equal(excise_store_filing_add(f->st, "bis-icts-2021-002", "B1", NULL, T(1), "x", "alice", T(2), NULL,
						 &f->err),
			 -EXCISE_E_USAGE);
	assert_int_equal(excise_store_filing_add(f->st, far, "R1", NULL, T(3), "x", "alice", T(2), NULL, &f->err),
			 -EXCISE_E_USAGE);
	assert_int_equal(excise_store_filing_add(f->st, far, "R1", "agency/nowhere", T(1), "x", "alice", T(2), NULL,
						 &f->err),
			 -EXCISE_E_USAGE);
	assert_non_null(strstr(f->err.msg, "agency/nowhere"));
	assert_true(excise_store_filing_add(f->st, far, "R1", NULL, T(1), "", "alice", T(2), NULL, &f->err) < 0);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM filing"), 0);
	/* none: R1 (due Wednesday 2026-11-04, three business days after Sunday's finding) pending, then overdue */
	char got[256];
	size_t nf = 0;
	far_r1_of(f, T(3), got, sizeof(got), &nf);
	assert_string_equal(got, "m-fi-a=pending, m-fi-b=pending");
	far_r1_of(f, T(4), got, sizeof(got), &nf);
	assert_string_equal(got, "m-fi-a=overdue, m-fi-b=overdue");
	/* filed for agency/bureau on 2026-11-02 (a metacharacter in the reference, stored verbatim):
	 * a's unit is below it, b's a sibling */
	char *id = NULL;
	assert_int_equal(excise_store_filing_add(f->st, far, "R1", "agency/bureau", T(1), "DIBNet 'x'; --<b>", "alice",
						 T(2), &id, &f->err),
			 0);
	assert_non_null(id);
	far_r1_of(f, T(4), got, sizeof(got), &nf);
	assert_string_equal(got, "m-fi-a=met, m-fi-b=overdue");
	assert_int_equal(nf, 1);
	struct excise_filing *v = NULL;
	size_t n = 0;
	assert_int_equal(excise_store_filing_list(f->st, NULL, &v, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, id);
	assert_string_equal(v[0].directive, far);
	assert_string_equal(v[0].milestone, "R1");
	assert_string_equal(v[0].org_unit, "agency/bureau");
	assert_string_equal(v[0].reference, "DIBNet 'x'; --<b>");
	assert_string_equal(v[0].recorded_by, "alice");
	assert_int_equal(v[0].filed, T(1) - T(1) % 86400);
	assert_int_equal(v[0].recorded, T(2));
	assert_int_equal(v[0].revoked, 0);
	excise_filing_free(v, n);
	assert_int_equal(excise_store_filing_list(f->st, "dhs-bod-17-01", &v, &n, &f->err), 0);
	assert_int_equal(n, 0);
	excise_filing_free(v, n);
	/* revoked, with a reason: it no longer counts; revoking again is refused */
	assert_int_equal(excise_store_filing_revoke(f->st, id, "", "alice", T(3), &f->err) < 0, 1);
	assert_int_equal(excise_store_filing_revoke(f->st, id, "wrong contract", "bob", T(3), &f->err), 0);
	assert_int_equal(excise_store_filing_revoke(f->st, id, "again", "bob", T(3), &f->err), -EXCISE_E_ABSENT);
	far_r1_of(f, T(4), got, sizeof(got), &nf);
	assert_string_equal(got, "m-fi-a=overdue, m-fi-b=overdue");
	assert_int_equal(excise_store_filing_list(f->st, far, &v, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].revoked, T(3));
	assert_string_equal(v[0].revoked_by, "bob");
	assert_string_equal(v[0].revoke_reason, "wrong contract");
	excise_filing_free(v, n);
	/* the whole organisation, filed on the due day: both met; a host identified after it stays out */
	assert_int_equal(excise_store_filing_add(f->st, far, "R1", NULL, T(3), "DIBNet 2", "alice", T(3), NULL, &f->err),
			 0);
	char *c = host(f, "m-fi-c");
	submit_ok(f, c, report("m-fi-c", "r-3", TIMES[4], false, "kesl", "definitive"));
	far_r1_of(f, T(4), got, sizeof(got), &nf);
	assert_string_equal(got, "m-fi-a=met, m-fi-c=pending, m-fi-b=met");
	assert_int_equal(nf, 2);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'filing.add'"), 2);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'filing.revoke' AND actor = 'bob'"
				  " AND detail = 'wrong contract'"), 1);
	free(id);
	free(a);
	free(b);
	free(c);
}

/* Expected hosts matched to the enrolled ones of their org unit (docs/fleet.md). */
static void test_inventory_match(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *sec = new_secret(f, "agency/bureau", NULL);
	const char *names[] = { "web01.example.gov", "DB02", "app.one.example", "app.two.example", "Mail.Example.Gov" };
	char *ids[5];
	for (int i = 0; i < 5; i++) {
		char mid[32];
		snprintf(mid, sizeof(mid), "m-inv-%d", i);
		ids[i] = enroll(f, sec, mid, names[i], NULL);
	}
	free(sec);
	const char csv[] = "agency/bureau,WEB01\n"              /* a short name, another case: web01.example.gov */
			   "agency/bureau,db02.example.gov\n"   /* an FQDN whose first label is DB02 */
			   "agency/bureau,app\n"                /* two hosts' first label: ambiguous */
			   "agency/bureau,mail.example.gov\n"   /* the same name, another case */
			   "agency/bureau,web01.other.gov\n"    /* another domain: not web01.example.gov */
			   "agency/bureau,nothere\n"            /* no such host */
			   "agency/other,web01\n";              /* another org unit: not matched */
	size_t rows = 0;
	assert_int_equal(excise_store_inventory_import(f->st, csv, strlen(csv), "alice", 1700000000, &rows, NULL, &f->err),
			 0);
	assert_int_equal(rows, 7);
	char got[1024];
	list_of(f, f->st, got, sizeof(got));
	assert_string_equal(got, "agency/bureau DB02=never_reported, agency/bureau Mail.Example.Gov=never_reported, "
				 "agency/bureau app=never_reported (ambiguous), "
				 "agency/bureau app.one.example=never_reported, agency/bureau app.two.example=never_reported, "
				 "agency/bureau nothere=never_reported (expected), "
				 "agency/bureau web01.example.gov=never_reported, "
				 "agency/bureau web01.other.gov=never_reported (expected), "
				 "agency/other web01=never_reported (expected)");
	/* the ambiguous row says how many hosts it matches; the totals count it as not determined */
	struct excise_fleet_query q = { .directive = "dhs-bod-17-01", .state = -1, .now = T(3) };
	struct excise_fleet_list *l = NULL;
	assert_int_equal(excise_fleet_hosts(f->st, f->cat, &q, &l, &f->err), 0);
	size_t amb = 0;
	for (size_t i = 0; i < l->n; i++)
		if (!l->rows[i].host_id && !strcmp(l->rows[i].hostname, "app"))
			amb = l->rows[i].expected_matches;
	assert_int_equal(amb, 2);
	assert_int_equal(l->totals.not_determined, 9);
	excise_fleet_list_free(l);
	for (int i = 0; i < 5; i++)
		free(ids[i]);
}

static void test_prune(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "m-prune");
	/* received at 1800000000 (submit's now): 3 reports, the latest complete one is r-p1 */
	submit_ok(f, h, report("m-prune", "r-p0", TIMES[0], false, "kesl", "strong"));
	submit_ok(f, h, report("m-prune", "r-p1", TIMES[1], false, "kesl", "strong"));
	submit_ok(f, h, report("m-prune", "r-p2", TIMES[2], true, NULL, NULL));
	uint64_t n = 99;
	assert_int_equal(excise_store_prune(f->st, 30, "alice", 1800000000 + 29 * 86400, &n, &f->err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(excise_store_prune(f->st, 30, "alice", 1800000000 + 31 * 86400, &n, &f->err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document WHERE doc_id = 'r-p1'"), 1);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 1);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM finding"), 1);
	/* the facts stay */
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "first_identified"), T(0));
	assert_int_equal(excise_store_prune(f->st, 0, "alice", 1800000000, &n, &f->err), -EXCISE_E_USAGE);
	free(h);
}


/* ---- real documents: tests/fuzz/ingest/, made by tools/make-ingest-corpus with the real
 * excise from the e2e fixture roots (its head comment says what each is) ---- */

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

static int64_t doc_time(const char *name, const char *key)
{
	char *b = load(name);
	json_t *o = json_loads(b, 0, NULL);
	free(b);
	assert_non_null(o);
	const char *s = json_string_value(json_object_get(o, key));
	assert_non_null(s);
	struct tm tm = { 0 };
	assert_int_equal(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				&tm.tm_min, &tm.tm_sec),
			 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	json_decref(o);
	return (int64_t)timegm(&tm);
}

static void test_real_documents(void **state)
{
	struct fx *f = *state;
	open_store(f);
	/* fixture-linux's machine id */
	char *h = host(f, "0123456789abcdef0123456789abcdef");
	const char *d = "dhs-bod-17-01";
	submit_ok(f, h, load("linux.report.json"));
	int64_t t_found = doc_time("linux.report.json", "finished");
	assert_int_equal(fact(f, h, d, "first_identified"), t_found);
	char *p = q_text(f, "SELECT products FROM host_directive WHERE directive_id = 'dhs-bod-17-01'");
	assert_string_equal(p, "kesl,klnagent");
	free(p);
	/* the weak traces are a finding, not an identification */
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM finding"), 3);
	/* the attestation before the report it names (a spool sends in any order): waits */
	submit_ok(f, h, load("clean.att.json"));
	assert_int_equal(fact(f, h, d, "verified"), -1);
	char *v = q_text(f, "SELECT verdict FROM document WHERE kind = 'attestation'");
	assert_string_equal(v, "unchecked");
	free(v);
	submit_ok(f, h, load("linux.plan.json"));
	assert_true(fact(f, h, d, "plan_recorded") >= t_found);
	submit_ok(f, h, load("linux.removal.json"));
	int64_t t_rm = doc_time("linux.removal.json", "started");
	assert_int_equal(fact(f, h, d, "removal_started"), t_rm);
	/* the clean rescan: removed; and the attestation checks against it: verified */
	submit_ok(f, h, load("clean.att.report.json"));
	int64_t t_clean = doc_time("clean.att.report.json", "finished");
	assert_true(t_clean > t_rm && t_rm > t_found);
	assert_int_equal(fact(f, h, d, "removed"), t_clean);
	assert_int_equal(fact(f, h, d, "last_complete_covered"), 0);
	assert_true(fact(f, h, d, "verified") >= t_clean);
	v = q_text(f, "SELECT verdict FROM document WHERE kind = 'attestation'");
	assert_string_equal(v, "clean");
	free(v);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM status_change WHERE directive_id = 'dhs-bod-17-01'"), 5);
	/* documents about other machines: refused */
	char *doc = load("rpm.report.json");
	assert_int_equal(submit(f, h, doc, NULL), -EXCISE_E_REFUSED);
	free(doc);
	doc = load("kes-windows.report.json");
	assert_int_equal(submit(f, h, doc, NULL), -EXCISE_E_REFUSED);
	free(doc);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 5);
	free(h);
}


/* The attestation's verdict (only one in these tests). */
static void att_verdict_is(struct fx *f, const char *want)
{
	char *v = q_text(f, "SELECT verdict FROM document WHERE kind = 'attestation'");
	assert_string_equal(v, want);
	free(v);
}

/* An attestation stored before its report is checked when the report arrives, though the
 * writer skips that query while it knows of no unchecked attestation: stored before the
 * store was closed (reopened, it knows of one), or through a second store on the same
 * database (another collector) while this store's writer knew of none. */
static void test_attest_waits_reopen(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "0123456789abcdef0123456789abcdef");
	submit_ok(f, h, load("clean.att.json"));
	att_verdict_is(f, "unchecked");
	excise_store_close(f->st);
	f->st = NULL;
	open_store(f);
	submit_ok(f, h, load("linux.report.json")); /* another report: it still waits */
	att_verdict_is(f, "unchecked");
	submit_ok(f, h, load("clean.att.report.json"));
	att_verdict_is(f, "clean");
	assert_true(fact(f, h, "dhs-bod-17-01", "verified") > 0);
	/* checked: the next report finds nothing waiting (and changes nothing) */
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document WHERE verdict = 'unchecked'"), 0);
	free(h);
}

static void test_attest_waits_other_store(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "0123456789abcdef0123456789abcdef");
	submit_ok(f, h, load("linux.report.json")); /* this store's writer: no attestation waits */
	struct excise_store *mine = f->st, *other = NULL;
	struct excise_store_opts o = opts(f);
	if (excise_store_open(f->url, &o, &other, &f->err) < 0)
		fail_msg("open a second store: %s", f->err.msg);
	f->st = other;
	submit_ok(f, h, load("clean.att.json"));
	f->st = mine;
	att_verdict_is(f, "unchecked");
	submit_ok(f, h, load("clean.att.report.json"));
	att_verdict_is(f, "clean");
	assert_true(fact(f, h, "dhs-bod-17-01", "verified") > 0);
	excise_store_close(other);
	free(h);
}

/* A version-2 database (bodies as text) migrated to version 3 with its data: the old rows
 * read as they were (an attestation stored before waits for its report and is checked
 * against it after), the new ones are stored compressed. */
static void test_migrate_v2(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "0123456789abcdef0123456789abcdef");
	char *att = load("clean.att.json"), *rep = load("linux.report.json");
	submit_ok(f, h, strdup(rep));
	submit_ok(f, h, strdup(att));
	excise_store_close(f->st);
	f->st = NULL;
	to_version_2(f);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document WHERE body = ''"), 0);
	open_store(f);
	assert_int_equal(q_int(f, "SELECT MAX(version) FROM schema_version"), SCHEMA_VERSION);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document WHERE body_codec IS NULL AND body_z IS NULL"), 2);
	char *v = q_text(f, "SELECT doc_id FROM document WHERE kind = 'attestation'");
	char *b = stored_body(f, v);
	assert_non_null(b);
	assert_string_equal(b, att);
	free(b);
	free(v);
	v = q_text(f, "SELECT verdict FROM document WHERE kind = 'attestation'");
	assert_string_equal(v, "unchecked");
	free(v);
	/* the report the old attestation names: stored compressed, and the attestation read
	 * from its text column and checked */
	char *clean = load("clean.att.report.json");
	submit_ok(f, h, strdup(clean));
	v = q_text(f, "SELECT verdict FROM document WHERE kind = 'attestation'");
	assert_string_equal(v, "clean");
	free(v);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document WHERE body_codec = 'zstd' AND body = ''"), 1);
	v = q_text(f, "SELECT doc_id FROM document WHERE body_codec = 'zstd'");
	b = stored_body(f, v);
	assert_non_null(b);
	assert_string_equal(b, clean);
	free(b);
	free(v);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 3);
	free(clean);
	free(att);
	free(rep);
	free(h);
}

/* Set the stored report `rid`'s compressed body to `n` bytes of `z`, its length and codec. */
static void set_body(struct fx *f, const char *rid, const void *z, size_t n, int64_t len, const char *codec)
{
	struct db *db;
	struct db_stmt *s;
	struct excise_err err = { 0 };
	if (db_open(f->url, NULL, &db, &err) < 0 ||
	    db_prepare(db, "UPDATE document SET body_z = $2, body_len = $3, body_codec = $4 WHERE doc_id = $1", &s,
		       &err) < 0)
		fail_msg("%s", err.msg);
	db_bind_text(s, 1, rid);
	db_bind_blob_static(s, 2, z, n);
	db_bind_int64(s, 3, len);
	db_bind_text(s, 4, codec);
	if (db_step(s, &err) < 0)
		fail_msg("%s", err.msg);
	db_finalize(s);
	db_close(db);
}

/* A stored body that does not decode (changed bytes, cut short, another length or codec):
 * the attestation that needs it fails with an error naming the report, nothing is
 * stored, and the store goes on; once the body is right again the attestation is checked. */
static void test_corrupt_body(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "0123456789abcdef0123456789abcdef");
	char *clean = load("clean.att.report.json"), *att = load("clean.att.json");
	submit_ok(f, h, strdup(clean));
	char *rid = q_text(f, "SELECT doc_id FROM document");
	void *z;
	size_t zn;
	assert_int_equal(docbody_pack(clean, strlen(clean), &z, &zn, &f->err), 0);
	int64_t len = (int64_t)strlen(clean);
	unsigned char *bad = malloc(zn);
	assert_non_null(bad);
	struct {
		size_t n;       /* bytes of the frame kept */
		size_t flip;    /* a byte changed (0: none) */
		int64_t len;
		const char *codec;
		const char *says;
	} cases[] = {
		{ zn, zn / 2, len, "zstd", "corrupt" },            /* a byte changed: the checksum */
		{ zn / 2, 0, len, "zstd", "corrupt" },             /* cut short */
		{ zn, 0, len + 1, "zstd", "corrupt" },             /* another length */
		{ zn, 0, -5, "zstd", "out of bounds" },
		{ zn, 0, (int64_t)EXCISE_MAX_SUBMIT_SIZE + 1, "zstd", "out of bounds" },
		{ zn, 0, len, "lz4", "unknown codec 'lz4'" },
		{ 3, 0, len, "zstd", "corrupt" },                  /* not even a frame header */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, z, zn);
		if (cases[i].flip)
			bad[cases[i].flip] ^= 0x5a;
		set_body(f, rid, bad, cases[i].n, cases[i].len, cases[i].codec);
		struct excise_submit_result res;
		assert_int_equal(submit(f, h, att, &res), -EXCISE_E_CORRUPT);
		assert_non_null(strstr(f->err.msg, rid));
		if (!strstr(f->err.msg, cases[i].says))
			fail_msg("case %zu: %s", i, f->err.msg);
		assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 1);
		/* the reader says the same */
		char *b = stored_body(f, rid);
		assert_null(b);
		assert_non_null(strstr(f->err.msg, rid));
	}
	/* the store goes on: another host's report is stored */
	char *other = host(f, "m-other");
	submit_ok(f, other, report("m-other", "r-other", TIMES[0], false, NULL, NULL));
	/* the body right again: the attestation is stored and checked clean */
	set_body(f, rid, z, zn, len, "zstd");
	submit_ok(f, h, strdup(att));
	char *v = q_text(f, "SELECT verdict FROM document WHERE kind = 'attestation'");
	assert_string_equal(v, "clean");
	free(v);
	free(other);
	free(bad);
	free(z);
	free(rid);
	free(att);
	free(clean);
	free(h);
}

/* ---- a group that fails: its good documents are stored, the bad one fails alone ---- */

struct outcome {
	pthread_mutex_t lock;
	int n, ok, failed;
	char msg[EXCISE_ERR_MSG];
};

static void done_outcome(void *ctx, int rc, const struct excise_submit_result *res, const struct excise_err *err)
{
	(void)res;
	struct outcome *o = ctx;
	pthread_mutex_lock(&o->lock);
	o->n++;
	if (rc == 0)
		o->ok++;
	else {
		o->failed++;
		snprintf(o->msg, sizeof(o->msg), "%s", err ? err->msg : "");
	}
	pthread_mutex_unlock(&o->lock);
}

static void test_failed_group(void **state)
{
	struct fx *f = *state;
	struct excise_store_opts o = opts(f);
	/* one group of three: the writer waits for it */
	o.batch_max = 3;
	o.batch_wait_ms = 5000;
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), 0);
	char *h = host(f, "m-grp");
	/* the database refuses one document (a trigger of the test's own) */
	if (f->be->pg_url)
		q_exec(f, "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.doc_id = 'r-bad' THEN"
			  " RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;"
			  " CREATE TRIGGER refuse BEFORE INSERT ON document FOR EACH ROW EXECUTE FUNCTION refuse()");
	else
		q_exec(f, "CREATE TRIGGER refuse BEFORE INSERT ON document WHEN NEW.doc_id = 'r-bad'"
			  " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
	struct outcome out = { .lock = PTHREAD_MUTEX_INITIALIZER };
	const char *ids[] = { "r-good1", "r-bad", "r-good2" };
	for (int i = 0; i < 3; i++) {
		char *doc = report("m-grp", ids[i], TIMES[i], false, "kesl", "strong");
		assert_int_equal(excise_store_submit_async(f->st, h, doc, strlen(doc), 1800000000, done_outcome, &out,
							   &f->err),
				 0);
		free(doc);
	}
	excise_store_close(f->st);
	f->st = NULL;
	assert_int_equal(out.n, 3);
	assert_int_equal(out.ok, 2);
	assert_int_equal(out.failed, 1);
	assert_non_null(strstr(out.msg, "refused by the test"));
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 2);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document WHERE doc_id = 'r-bad'"), 0);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM finding"), 2);
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "last_identified"), T(2));
	free(h);
}


/* The same when the database refuses a row of the group's last writes (a finding: on
 * PostgreSQL it goes in the pipeline with the commit, after the group's reads): the
 * group rolls back, each document is applied alone, the bad one fails alone. */
static void test_failed_group_late(void **state)
{
	struct fx *f = *state;
	struct excise_store_opts o = opts(f);
	o.batch_max = 3;
	o.batch_wait_ms = 5000;
	assert_int_equal(excise_store_open(f->url, &o, &f->st, &f->err), 0);
	char *h = host(f, "m-late");
	if (f->be->pg_url)
		q_exec(f, "CREATE FUNCTION refuse_finding() RETURNS trigger AS $$ BEGIN IF NEW.doc_id = 'r-bad' THEN"
			  " RAISE EXCEPTION 'finding refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;"
			  " CREATE TRIGGER refuse_finding BEFORE INSERT ON finding FOR EACH ROW"
			  " EXECUTE FUNCTION refuse_finding()");
	else
		q_exec(f, "CREATE TRIGGER refuse_finding BEFORE INSERT ON finding WHEN NEW.doc_id = 'r-bad'"
			  " BEGIN SELECT RAISE(ABORT, 'finding refused by the test'); END");
	struct outcome out = { .lock = PTHREAD_MUTEX_INITIALIZER };
	const char *ids[] = { "r-good1", "r-bad", "r-good2" };
	for (int i = 0; i < 3; i++) {
		char *doc = report("m-late", ids[i], TIMES[i], false, "kesl", "strong");
		assert_int_equal(excise_store_submit_async(f->st, h, doc, strlen(doc), 1800000000, done_outcome, &out,
							   &f->err),
				 0);
		free(doc);
	}
	excise_store_close(f->st);
	f->st = NULL;
	assert_int_equal(out.n, 3);
	assert_int_equal(out.ok, 2);
	assert_int_equal(out.failed, 1);
	assert_non_null(strstr(out.msg, "finding refused by the test"));
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 2);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document WHERE doc_id = 'r-bad'"), 0);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM finding"), 2);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document WHERE doc_id IN ('r-good1', 'r-good2')"), 2);
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "first_identified"), T(0));
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "last_identified"), T(2));
	free(h);
}


/* ---- PostgreSQL: the store's connections lost (their backends terminated, as when the
 * server restarts): what was under way fails, then it connects again by itself ---- */

static void test_connection_lost(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "m-lost");
	submit_ok(f, h, report("m-lost", "r-l0", TIMES[0], false, NULL, NULL));
	if (!f->be->pg_url) {
		/* SQLite has no connection to lose: the case is PostgreSQL's */
		free(h);
		return;
	}
	assert_true(q_int(f, "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE"
			     " pid <> pg_backend_pid() AND datname = current_database()") >= 2);
	char *doc = report("m-lost", "r-l1", TIMES[1], false, "kesl", "strong");
	struct excise_submit_result res;
	int tries = 0, r;
	while ((r = submit(f, h, doc, &res)) < 0 && ++tries < 3)
		;
	assert_int_equal(r, 0);
	assert_true(tries <= 1);
	assert_int_equal(res.status, EXCISE_SUBMIT_STORED);
	uint8_t k[32];
	assert_true(excise_store_host_key(f->st, h, k, &f->err) == 0 || excise_store_host_key(f->st, h, k, &f->err) == 0);
	assert_int_equal(submit(f, h, doc, &res), 0);
	assert_int_equal(res.status, EXCISE_SUBMIT_DUPLICATE);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), 2);
	assert_int_equal(fact(f, h, "dhs-bod-17-01", "first_identified"), T(1));
	free(doc);
	free(h);
}



/* ---- SQLite's commit pipeline: the writer commits unsynced, the syncer fdatasyncs the
 * WAL and only then answers (store.c "the commit pipeline") ---- */

struct synced {
	pthread_mutex_t lock;
	struct excise_store *st;
	int n, ok, failed;
	uint64_t syncs_min;        /* the fewest WAL syncs the store had counted at an answer */
	char msg[EXCISE_ERR_MSG];
};

static void done_synced(void *ctx, int rc, const struct excise_submit_result *res, const struct excise_err *err)
{
	struct synced *o = ctx;
	struct excise_store_stats ss;
	excise_store_stats(o->st, &ss);
	pthread_mutex_lock(&o->lock);
	o->n++;
	if (rc == 0 && res->status == EXCISE_SUBMIT_STORED)
		o->ok++;
	else if (rc < 0) {
		o->failed++;
		snprintf(o->msg, sizeof(o->msg), "%s", err ? err->msg : "");
	}
	if (o->n == 1 || ss.wal_syncs < o->syncs_min)
		o->syncs_min = ss.wal_syncs;
	pthread_mutex_unlock(&o->lock);
}

static int synced_n(struct synced *o)
{
	pthread_mutex_lock(&o->lock);
	int n = o->n;
	pthread_mutex_unlock(&o->lock);
	return n;
}

/* Up to 10 s for `want` answers, or for the query to give `want`. */
static void wait_answers(struct synced *o, int want)
{
	for (int i = 0; i < 1000 && synced_n(o) < want; i++)
		usleep(10000);
	assert_int_equal(synced_n(o), want);
}

static void wait_rows(struct fx *f, const char *sql, int64_t want)
{
	for (int i = 0; i < 1000 && q_int(f, sql) != want; i++)
		usleep(10000);
	assert_int_equal(q_int(f, sql), want);
}

static void submit_async_ok(struct fx *f, const char *h, const char *mid, const char *rid, int day, struct synced *o)
{
	char *doc = report(mid, rid, TIMES[day % 5], false, NULL, NULL);
	if (excise_store_submit_async(f->st, h, doc, strlen(doc), 1800000000, done_synced, o, &f->err) < 0)
		fail_msg("submit %s: %s", rid, f->err.msg);
	free(doc);
}

/* A committed document (another connection reads it) is answered only after a WAL sync
 * that started after its commit: held syncer, no answer; released, the answer, after one
 * more sync. PostgreSQL commits synchronously: no syncer, no WAL sync counted. */
static void test_sync_before_answer(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "m-sync");
	submit_ok(f, h, report("m-sync", "r-s0", TIMES[0], false, NULL, NULL));
	struct excise_store_stats ss;
	excise_store_stats(f->st, &ss);
	if (f->be->pg_url) {
		assert_int_equal(ss.wal_syncs, 0);
		free(h);
		return;
	}
	assert_true(ss.wal_syncs >= 1);
	uint64_t before = ss.wal_syncs;
	store_test_sync_hold(f->st, true);
	struct synced o = { .lock = PTHREAD_MUTEX_INITIALIZER, .st = f->st };
	submit_async_ok(f, h, "m-sync", "r-s1", 1, &o);
	submit_async_ok(f, h, "m-sync", "r-s2", 2, &o);
	wait_rows(f, "SELECT COUNT(*) FROM document WHERE doc_id IN ('r-s1', 'r-s2')", 2);
	usleep(200000);
	assert_int_equal(synced_n(&o), 0);
	excise_store_stats(f->st, &ss);
	assert_int_equal(ss.wal_syncs, before);
	assert_int_equal(ss.documents, 3);
	store_test_sync_hold(f->st, false);
	wait_answers(&o, 2);
	assert_int_equal(o.ok, 2);
	assert_true(o.syncs_min > before);
	free(h);
}

/* A failed WAL sync (fdatasync of a pipe: EINVAL, for real) answers every job waiting
 * for it with an error, and the store refuses every document after it, until opened
 * again. */
static void test_sync_failure(void **state)
{
	struct fx *f = *state;
	if (f->be->pg_url)
		return; /* PostgreSQL commits synchronously: no syncer */
	open_store(f);
	char *h = host(f, "m-fail");
	submit_ok(f, h, report("m-fail", "r-f0", TIMES[0], false, NULL, NULL));
	int p[2];
	assert_int_equal(pipe(p), 0);
	store_test_sync_hold(f->st, true);
	struct synced o = { .lock = PTHREAD_MUTEX_INITIALIZER, .st = f->st };
	submit_async_ok(f, h, "m-fail", "r-f1", 1, &o);
	submit_async_ok(f, h, "m-fail", "r-f2", 2, &o);
	wait_rows(f, "SELECT COUNT(*) FROM document WHERE doc_id IN ('r-f1', 'r-f2')", 2);
	store_test_sync_fd(f->st, p[0]);
	store_test_sync_hold(f->st, false);
	wait_answers(&o, 2);
	assert_int_equal(o.ok, 0);
	assert_int_equal(o.failed, 2);
	assert_non_null(strstr(o.msg, "syncing the WAL"));
	assert_non_null(strstr(o.msg, "not known to be stored"));
	/* the real WAL again: still refused, a failed sync is never retried */
	store_test_sync_fd(f->st, -1);
	char *doc = report("m-fail", "r-f3", TIMES[3], false, NULL, NULL);
	assert_int_equal(submit(f, h, doc, NULL), -EIO);
	assert_non_null(strstr(f->err.msg, "no document is stored until"));
	struct excise_store_stats ss;
	excise_store_stats(f->st, &ss);
	assert_int_equal(ss.wal_syncs, o.syncs_min);
	excise_store_close(f->st);
	f->st = NULL;
	close(p[0]);
	close(p[1]);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document WHERE doc_id = 'r-f3'"), 0);
	/* opened again: stored again */
	open_store(f);
	submit_ok(f, h, doc);
	free(h);
}

/* Closing the store answers every queued document, each after a sync of its commit,
 * even with the syncer held (closing overrides the hold). */
static void test_sync_drain_on_close(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "m-drain");
	bool sqlite = !f->be->pg_url;
	if (sqlite)
		store_test_sync_hold(f->st, true);
	struct synced o = { .lock = PTHREAD_MUTEX_INITIALIZER, .st = f->st };
	enum { N = 60 };
	for (int i = 0; i < N; i++) {
		char rid[32];
		snprintf(rid, sizeof(rid), "r-d%d", i);
		submit_async_ok(f, h, "m-drain", rid, i, &o);
	}
	excise_store_close(f->st);
	f->st = NULL;
	assert_int_equal(o.n, N);
	assert_int_equal(o.ok, N);
	if (sqlite)
		assert_true(o.syncs_min >= 1);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), N);
	free(h);
}

/* The frames in the store's WAL now (a passive checkpoint's "log" column). */
static int64_t wal_frames(struct fx *f)
{
	struct db *db;
	struct db_stmt *s;
	struct excise_err err = { 0 };
	if (db_open(f->url, NULL, &db, &err) < 0 || db_prepare(db, "PRAGMA wal_checkpoint(PASSIVE)", &s, &err) < 0)
		fail_msg("%s", err.msg);
	if (db_step(s, &err) != 1)
		fail_msg("wal_checkpoint: no row: %s", err.msg);
	int64_t v = db_column_int64(s, 1);
	db_finalize(s);
	db_close(db);
	return v;
}

/* The WAL starts again instead of growing (the checkpointer catches up, the writer makes
 * the last copy between two groups): past a restart size of 64 pages, N commits of
 * several pages each end in a WAL of a few frames; every document stored. */
static void test_wal_restarts(void **state)
{
	struct fx *f = *state;
	if (f->be->pg_url)
		return; /* SQLite's WAL */
	open_store(f);
	store_test_wal_restart(f->st, 64);
	char *h = host(f, "m-wal");
	enum { N = 400 };
	for (int i = 0; i < N; i++) {
		char rid[32];
		snprintf(rid, sizeof(rid), "r-w%d", i);
		submit_ok(f, h, report("m-wal", rid, TIMES[i % 5], false, i % 2 ? "kesl" : NULL, "strong"));
	}
	/* a commit after the checkpointer's next rounds starts the WAL again (up to 10 s) */
	int extra = 0;
	int64_t frames;
	do {
		usleep(100000);
		char rid[32];
		snprintf(rid, sizeof(rid), "r-x%d", extra++);
		submit_ok(f, h, report("m-wal", rid, TIMES[0], false, NULL, NULL));
	} while ((frames = wal_frames(f)) >= N && extra < 100);
	assert_true(frames < N);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM document"), N + extra);
	free(h);
}

/* ---- the named limits ---- */

static void test_limits(void **state)
{
	struct fx *f = *state;
	open_store(f);
	char *h = host(f, "m-lim");
	/* EXCISE_MAX_SUBMIT_SIZE: one byte over is refused before it is parsed */
	size_t big = EXCISE_MAX_SUBMIT_SIZE + 1;
	char *b = malloc(big);
	assert_non_null(b);
	memset(b, ' ', big);
	b[0] = '{';
	b[big - 1] = '}';
	assert_int_equal(excise_store_submit(f->st, h, b, big, 1800000000, NULL, &f->err), -EXCISE_E_TOOBIG);
	assert_non_null(strstr(f->err.msg, "EXCISE_MAX_SUBMIT_SIZE"));
	free(b);
	/* EXCISE_MAX_SUBMIT_FINDINGS: a report with one finding more */
	char *doc = report("m-lim", "r-lim", TIMES[0], false, "kesl", "strong");
	json_t *o = json_loads(doc, 0, NULL);
	free(doc);
	json_t *fs = json_object_get(o, "findings"), *one = json_array_get(fs, 0);
	for (unsigned i = 1; i <= EXCISE_MAX_SUBMIT_FINDINGS; i++)
		json_array_append(fs, one);
	doc = json_dumps(o, JSON_COMPACT);
	assert_int_equal(submit(f, h, doc, NULL), -EXCISE_E_LIMIT);
	assert_non_null(strstr(f->err.msg, "/findings"));
	free(doc);
	/* exactly the limit is stored */
	json_array_remove(fs, 0);
	doc = json_dumps(o, JSON_COMPACT);
	assert_int_equal(submit(f, h, doc, NULL), 0);
	free(doc);
	json_decref(o);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM finding WHERE doc_id = 'r-lim'");
	assert_int_equal(q_int(f, sql), EXCISE_MAX_SUBMIT_FINDINGS);
	/* EXCISE_MAX_SUBMIT_FIELD: a version one byte too long, at its place */
	char *v = malloc(EXCISE_MAX_SUBMIT_FIELD + 2);
	memset(v, 'v', EXCISE_MAX_SUBMIT_FIELD + 1);
	v[EXCISE_MAX_SUBMIT_FIELD + 1] = '\0';
	doc = report("m-lim", "r-lim2", TIMES[0], false, "kesl", "strong");
	o = json_loads(doc, 0, NULL);
	free(doc);
	json_object_set_new(json_array_get(json_object_get(o, "findings"), 0), "version", json_string(v));
	doc = json_dumps(o, JSON_COMPACT);
	assert_int_equal(submit(f, h, doc, NULL), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(f->err.msg, "/findings/0/version"));
	free(doc);
	json_decref(o);
	/* enroll fields too */
	char *secret = new_secret(f, "agency", NULL);
	struct excise_enroll_req q = { .secret = secret, .machine_id = "m-lim-2", .hostname = v };
	char *id;
	uint8_t k[32];
	assert_int_equal(excise_store_enroll(f->st, &q, 1700000000, &id, k, &f->err), -EXCISE_E_CORRUPT);
	free(secret);
	free(v);
	/* EXCISE_MAX_INVENTORY_SIZE, refused before reading; EXCISE_MAX_INVENTORY_ROWS, one row more */
	size_t rows;
	char **problems = NULL;
	assert_int_equal(excise_store_inventory_import(f->st, "", EXCISE_MAX_INVENTORY_SIZE + 1u, "t", 1700000000, &rows,
						       &problems, &f->err),
			 -EXCISE_E_TOOBIG);
	size_t cap = (size_t)(EXCISE_MAX_INVENTORY_ROWS + 1) * 16, n = 0;
	char *csv = malloc(cap);
	for (unsigned i = 0; i <= EXCISE_MAX_INVENTORY_ROWS; i++)
		n += (size_t)snprintf(csv + n, cap - n, "a,h%u\n", i);
	assert_int_equal(excise_store_inventory_import(f->st, csv, n, "t", 1700000000, &rows, &problems, &f->err),
			 -EXCISE_E_CORRUPT);
	assert_non_null(problems);
	char want[64];
	snprintf(want, sizeof(want), "line %u: more than EXCISE_MAX_INVENTORY_ROWS", EXCISE_MAX_INVENTORY_ROWS + 1);
	assert_int_equal(strncmp(problems[0], want, strlen(want)), 0);
	excise_strv_free(problems);
	assert_int_equal(q_int(f, "SELECT COUNT(*) FROM expected_host"), 0);
	free(csv);
	free(h);
}

/* ---- the cases, run on each backend ---- */

#define CASES(X)                                                                                               \
	X(test_migrate_fresh_and_reopen)                                                                       \
	X(test_migrate_newer_refused)                                                                          \
	X(test_open_refusals)                                                                                  \
	X(test_secrets)                                                                                        \
	X(test_enroll_rotates_key)                                                                             \
	X(test_key_cache)                                                                                      \
	X(test_unknown_host)                                                                                   \
	X(test_submit_stored_duplicate)                                                                        \
	X(test_submit_about_other_host)                                                                        \
	X(test_incomplete_never_clean)                                                                         \
	X(test_facts_out_of_order)                                                                             \
	X(test_busy_when_full)                                                                                 \
	X(test_concurrent_submitters)                                                                          \
	X(test_writers_order_per_host)                                                                         \
	X(test_writers_limit)                                                                                  \
	X(test_metacharacters_verbatim)                                                                        \
	X(test_retire_comes_back)                                                                              \
	X(test_exemption)                                                                                      \
	X(test_inventory_import)                                                                               \
	X(test_inventory_match)                                                                                \
	X(test_read_only)                                                                                      \
	X(test_migrate_v1)                                                                                     \
	X(test_prune)                                                                                          \
	X(test_real_documents)                                                                                 \
	X(test_attest_waits_reopen)                                                                            \
	X(test_attest_waits_other_store)                                                                       \
	X(test_migrate_v2)                                                                                     \
	X(test_corrupt_body)                                                                                   \
	X(test_failed_group)                                                                                   \
	X(test_connection_lost)                                                                                \
	X(test_limits)                                                                                        \
	X(test_migrate_v4)                                                                                    \
	X(test_filings)                                                                                       \
	X(test_failed_group_late)                                                                             \
	X(test_sync_before_answer)                                                                            \
	X(test_sync_failure)                                                                                  \
	X(test_sync_drain_on_close)                                                                           \
	X(test_wal_restarts)

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
