/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store: the collector's storage (include/excise/store.h) over lib/fleet/db.h.
 *
 * Connections: `adm` (secrets, enrollment, host keys, host lookups, admin writes;
 * one thread at a time under adm_lock), the writer thread's own `w` (submitted
 * documents, lib/fleet/ingest.c), and `rd`, the read connection store_db_read()
 * lends to one reporting thread (lib/fleet/store_int.h).
 *
 * Submitting: the caller's thread parses the document (ingest_parse) and checks
 * it is about the host (the host's machine id, from a cache filled from `adm`),
 * then queues it; a full queue is -EXCISE_E_BUSY. The writer takes what is
 * queued, up to batch_max documents (waiting at most batch_wait_ms for more once
 * it has one), applies them in one transaction and commits (SQLite: WAL synced at
 * every commit with synchronous=FULL; PostgreSQL: synchronous_commit on), and only
 * then answers each. When the group's transaction fails, each of its documents is
 * applied again alone, so that one bad document fails alone and the others are
 * stored. Secrets are shown once and only their SHA-256 is kept; host keys are
 * derived from the master key, the host id and the key epoch, so nothing secret
 * is stored per host.
 */
#include "excise/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/macro.h"
#include "core/text.h"
#include "fleet/db.h"
#include "fleet/ingest.h"
#include "fleet/store_int.h"

#define SECRET_PREFIX "exs1_"
#define HOST_CACHE_BUCKETS 4096u

struct job {
	struct job *next;
	char host_id[80];
	struct ingest_doc doc;
	int64_t now;
	excise_submit_done_fn done;
	void *ctx;
};

struct hc_entry {
	struct hc_entry *next;
	char *id;
	char *machine_id;
};

struct excise_store {
	char *url;
	struct db_opts dbo;
	const struct excise_catalog *cat;
	uint8_t master[32];
	unsigned batch_max, batch_wait_ms, queue_max;

	pthread_mutex_t adm_lock;
	struct db *adm;
	struct db_stmt *host_get;
	struct db *rd;

	pthread_mutex_t hc_lock;
	struct hc_entry *hc[HOST_CACHE_BUCKETS];

	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct job *head, *tail;
	size_t queued;
	bool stop, started;
	pthread_t writer;
	struct db *w;
	struct ingest *in;
	struct job **jobs;                   /* the writer's group, batch_max of them */
	enum excise_submit_status *status;
};

/* ---- small helpers ---- */

static const char *begin_sql(struct db *db)
{
	return db_is_pg(db) ? "BEGIN" : "BEGIN IMMEDIATE";
}

static void random_hex(char *out, size_t bytes)
{
	uint8_t b[32];
	randombytes_buf(b, bytes);
	sodium_bin2hex(out, 2 * bytes + 1, b, bytes);
}

static void sha256_hex(const char *s, char out[65])
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	sodium_bin2hex(out, 65, h, sizeof(h));
}

static void derive_key(const struct excise_store *st, const char *host_id, int64_t epoch,
		       uint8_t key[EXCISE_HOST_KEY_BYTES])
{
	char ep[24];
	snprintf(ep, sizeof(ep), "%" PRId64, epoch);
	crypto_auth_hmacsha256_state s;
	crypto_auth_hmacsha256_init(&s, st->master, sizeof(st->master));
	crypto_auth_hmacsha256_update(&s, (const unsigned char *)"excise-host-key\n", 16);
	crypto_auth_hmacsha256_update(&s, (const unsigned char *)host_id, strlen(host_id));
	crypto_auth_hmacsha256_update(&s, (const unsigned char *)"\n", 1);
	crypto_auth_hmacsha256_update(&s, (const unsigned char *)ep, strlen(ep));
	crypto_auth_hmacsha256_final(&s, key);
	sodium_memzero(&s, sizeof(s));
}

/* A string from a request: valid UTF-8, no control characters, 1 (or 0 when
 * `empty_ok`) to EXCISE_MAX_SUBMIT_FIELD bytes. */
static int check_field(const char *what, const char *s, bool empty_ok, struct excise_err *err)
{
	if (!s)
		return empty_ok ? 0 : err_set(err, -EXCISE_E_CORRUPT, "%s: missing", what);
	size_t n = strlen(s);
	if ((!n && !empty_ok) || n > EXCISE_MAX_SUBMIT_FIELD)
		return err_set(err, -EXCISE_E_CORRUPT, "%s: expected 1 to %u bytes", what, EXCISE_MAX_SUBMIT_FIELD);
	if (!utf8_valid(s, n))
		return err_set(err, -EXCISE_E_CORRUPT, "%s: not valid UTF-8", what);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return err_set(err, -EXCISE_E_CORRUPT, "%s: a control character at byte %zu", what, i);
	return 0;
}

/* "agency/bureau/site": 1 to 3 components, each 1 to 64 bytes of valid UTF-8
 * without control characters, no space at either end. */
static int check_org_unit(const char *path, struct excise_err *err)
{
	int r = check_field("org unit", path, false, err);
	if (r < 0)
		return r;
	int levels = 0;
	for (const char *p = path;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n > 64 || p[0] == ' ' || p[n - 1] == ' ')
			return err_set(err, -EXCISE_E_USAGE,
				       "org unit '%s': each level must be 1 to 64 characters, no space at either end", path);
		if (++levels > 3)
			return err_set(err, -EXCISE_E_USAGE, "org unit '%s': at most 3 levels (agency/bureau/site)",
				       path);
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static int audit(struct db *db, int64_t now, const char *who, const char *action, const char *subject,
		 const char *detail, struct excise_err *err)
{
	const char *v[5];
	char at[24];
	snprintf(at, sizeof(at), "%" PRId64, now);
	v[0] = at, v[1] = who ? who : "", v[2] = action, v[3] = subject, v[4] = detail;
	int r = db_run(db, "INSERT INTO audit (at, actor, action, subject, detail) VALUES (CAST($1 AS BIGINT), $2, $3, $4, $5)",
		       5, v, err);
	return r < 0 ? r : 0;
}

/* The org unit rows of `path` and of each of its parents (an org unit's id is its path). */
static int org_unit_ensure(struct db *db, const char *path, struct excise_err *err)
{
	char buf[256 * 3];
	snprintf(buf, sizeof(buf), "%s", path);
	int r = 0;
	for (char *p = strchr(buf, '/');; p = strchr(p + 1, '/')) {
		if (p)
			*p = '\0';
		const char *parent = NULL;
		char *last = strrchr(buf, '/');
		char pbuf[sizeof(buf)];
		if (last) {
			snprintf(pbuf, sizeof(pbuf), "%.*s", (int)(last - buf), buf);
			parent = pbuf;
		}
		const char *v[3] = { buf, buf, parent };
		r = db_run(db, "INSERT INTO org_unit (id, path, parent_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
			   3, v, err);
		if (r < 0 || !p)
			break;
		*p = '/';
	}
	return r < 0 ? r : 0;
}

/* ---- host cache: host id -> machine id (which never changes for an id) ---- */

static size_t hc_hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % HOST_CACHE_BUCKETS;
}

static void hc_clear(struct excise_store *st)
{
	for (size_t i = 0; i < HOST_CACHE_BUCKETS; i++)
		while (st->hc[i]) {
			struct hc_entry *e = st->hc[i];
			st->hc[i] = e->next;
			free(e->id);
			free(e->machine_id);
			free(e);
		}
}

/* The host's machine id into `out` (a new string); -EXCISE_E_ABSENT for an unknown host. */
static int host_machine_id(struct excise_store *st, const char *host_id, char **out, struct excise_err *err)
{
	size_t h = hc_hash(host_id);
	pthread_mutex_lock(&st->hc_lock);
	for (struct hc_entry *e = st->hc[h]; e; e = e->next)
		if (!strcmp(e->id, host_id)) {
			*out = strdup(e->machine_id);
			pthread_mutex_unlock(&st->hc_lock);
			return *out ? 0 : err_set(err, -ENOMEM, "store: out of memory");
		}
	pthread_mutex_unlock(&st->hc_lock);

	pthread_mutex_lock(&st->adm_lock);
	db_bind_text(st->host_get, 1, host_id);
	int r = db_step(st->host_get, err);
	char *mid = r == 1 ? strdup(db_column_text(st->host_get, 0)) : NULL;
	db_reset(st->host_get);
	pthread_mutex_unlock(&st->adm_lock);
	if (r < 0)
		return r;
	if (r == 0)
		return err_set(err, -EXCISE_E_ABSENT, "host '%.80s': not enrolled", host_id);
	struct hc_entry *e = calloc(1, sizeof(*e));
	if (!mid || !e || !(e->id = strdup(host_id)) || !(e->machine_id = strdup(mid))) {
		free(mid);
		if (e)
			free(e->id);
		free(e);
		return err_set(err, -ENOMEM, "store: out of memory");
	}
	pthread_mutex_lock(&st->hc_lock);
	e->next = st->hc[h];
	st->hc[h] = e;
	pthread_mutex_unlock(&st->hc_lock);
	*out = mid;
	return 0;
}

/* ---- the writer ---- */

static void job_free(struct job *j)
{
	ingest_doc_done(&j->doc);
	free(j);
}

static void answer(struct job *j, int rc, enum excise_submit_status status, const struct excise_err *err)
{
	struct excise_submit_result res = { .status = status };
	snprintf(res.kind, sizeof(res.kind), "%s", j->doc.kind_name);
	snprintf(res.doc_id, sizeof(res.doc_id), "%s", j->doc.doc_id);
	j->done(j->ctx, rc, &res, err);
}

/* Apply each job alone (after its group failed). */
static void apply_each(struct excise_store *st, struct job **jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct excise_err err = { 0 };
		enum excise_submit_status status = EXCISE_SUBMIT_STORED;
		int r = db_exec(st->w, begin_sql(st->w), &err);
		if (r >= 0)
			r = ingest_apply(st->in, jobs[i]->host_id, &jobs[i]->doc, jobs[i]->now, &status, &err);
		if (r >= 0)
			r = db_commit(st->w, &err);
		if (r < 0)
			db_rollback(st->w);
		answer(jobs[i], r < 0 ? r : 0, status, r < 0 ? &err : NULL);
		job_free(jobs[i]);
	}
}

static void apply_group(struct excise_store *st, struct job **jobs, size_t n, enum excise_submit_status *status)
{
	struct excise_err err = { 0 };
	int r = db_exec(st->w, begin_sql(st->w), &err);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = ingest_apply(st->in, jobs[i]->host_id, &jobs[i]->doc, jobs[i]->now, &status[i], &err);
	if (r >= 0)
		r = db_commit(st->w, &err);
	if (r < 0) {
		db_rollback(st->w);
		apply_each(st, jobs, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		answer(jobs[i], 0, status[i], NULL);
		job_free(jobs[i]);
	}
}

static void *writer_main(void *arg)
{
	struct excise_store *st = arg;
	pthread_mutex_lock(&st->q_lock);
	for (;;) {
		while (!st->head && !st->stop)
			pthread_cond_wait(&st->q_cond, &st->q_lock);
		if (!st->head && st->stop)
			break;
		if (st->queued < st->batch_max && st->batch_wait_ms && !st->stop) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += (long)st->batch_wait_ms * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			while (st->queued < st->batch_max && !st->stop &&
			       pthread_cond_timedwait(&st->q_cond, &st->q_lock, &until) == 0)
				;
		}
		size_t n = 0;
		while (st->head && n < st->batch_max) {
			st->jobs[n++] = st->head;
			st->head = st->head->next;
			st->queued--;
		}
		if (!st->head)
			st->tail = NULL;
		pthread_mutex_unlock(&st->q_lock);
		apply_group(st, st->jobs, n, st->status);
		pthread_mutex_lock(&st->q_lock);
	}
	pthread_mutex_unlock(&st->q_lock);
	return NULL;
}

/* ---- open, close ---- */

static void store_free(struct excise_store *st)
{
	if (st->started) {
		pthread_mutex_lock(&st->q_lock);
		st->stop = true;
		pthread_cond_broadcast(&st->q_cond);
		pthread_mutex_unlock(&st->q_lock);
		pthread_join(st->writer, NULL);
	}
	ingest_free(st->in);
	db_close(st->w);
	db_finalize(st->host_get);
	db_close(st->adm);
	db_close(st->rd);
	hc_clear(st);
	pthread_mutex_destroy(&st->adm_lock);
	pthread_mutex_destroy(&st->hc_lock);
	pthread_mutex_destroy(&st->q_lock);
	pthread_cond_destroy(&st->q_cond);
	free(st->jobs);
	free(st->status);
	free(st->url);
	sodium_memzero(st->master, sizeof(st->master));
	free(st);
}

int excise_store_open(const char *url, const struct excise_store_opts *o, struct excise_store **ret,
		      struct excise_err *err)
{
	*ret = NULL;
	if (!o || !o->master_key || !o->catalog)
		return err_set(err, -EXCISE_E_USAGE, "store: a catalog and a master key are required");
	if (sodium_init() < 0)
		return err_set(err, -EXCISE_E_UNSUPPORTED, "store: libsodium did not start");
	struct excise_store *st = calloc(1, sizeof(*st));
	if (!st || !(st->url = strdup(url ? url : ""))) {
		free(st);
		return err_set(err, -ENOMEM, "store: out of memory");
	}
	pthread_mutex_init(&st->adm_lock, NULL);
	pthread_mutex_init(&st->hc_lock, NULL);
	pthread_mutex_init(&st->q_lock, NULL);
	pthread_cond_init(&st->q_cond, NULL);
	st->cat = o->catalog;
	memcpy(st->master, o->master_key, sizeof(st->master));
	st->dbo.sync_normal = o->sync_normal;
	st->batch_max = o->batch_max ? o->batch_max : EXCISE_STORE_BATCH_MAX;
	st->batch_wait_ms = o->batch_wait_ms ? o->batch_wait_ms : EXCISE_STORE_BATCH_WAIT_MS;
	st->queue_max = o->queue_max ? o->queue_max : EXCISE_STORE_QUEUE_MAX;
	st->jobs = calloc(st->batch_max, sizeof(*st->jobs));
	st->status = calloc(st->batch_max, sizeof(*st->status));
	if (!st->jobs || !st->status) {
		store_free(st);
		return err_set(err, -ENOMEM, "store: out of memory");
	}
	int r = db_open(url, &st->dbo, &st->adm, err);
	if (r >= 0)
		r = schema_migrate(st->adm, err);
	if (r >= 0)
		r = db_prepare(st->adm, "SELECT machine_id, key_epoch FROM host WHERE id = $1", &st->host_get, err);
	if (r >= 0)
		r = db_open(url, &st->dbo, &st->w, err);
	if (r >= 0)
		r = ingest_new(st->w, st->cat, &st->in, err);
	if (r >= 0 && pthread_create(&st->writer, NULL, writer_main, st) != 0)
		r = err_set(err, -EAGAIN, "store: the writer thread could not start");
	if (r < 0) {
		store_free(st);
		return r;
	}
	st->started = true;
	*ret = st;
	return 0;
}

void excise_store_close(struct excise_store *st)
{
	if (st)
		store_free(st);
}

const char *excise_store_backend(const struct excise_store *st)
{
	return db_backend(st->adm);
}

int store_db_open_read(struct excise_store *st, struct db **ret, struct excise_err *err)
{
	struct db_opts o = st->dbo;
	o.read_only = true;
	return db_open(st->url, &o, ret, err);
}

struct db *store_db_read(struct excise_store *st)
{
	if (!st->rd && store_db_open_read(st, &st->rd, NULL) < 0)
		st->rd = NULL;
	return st->rd;
}

const struct excise_catalog *store_catalog(const struct excise_store *st)
{
	return st->cat;
}

/* ---- secrets ---- */

int excise_store_secret_create(struct excise_store *st, const char *org_unit, int64_t expires, const char *note,
			       int64_t now, char **ret_secret, char **ret_id, struct excise_err *err)
{
	*ret_secret = *ret_id = NULL;
	int r = check_org_unit(org_unit, err);
	if (r >= 0)
		r = check_field("note", note, true, err);
	if (r >= 0 && expires <= now)
		r = err_set(err, -EXCISE_E_USAGE, "secret: the expiry is not in the future");
	if (r < 0)
		return r;
	uint8_t raw[32];
	randombytes_buf(raw, sizeof(raw));
	char text[sizeof(SECRET_PREFIX) + 64], hash[65], id[17];
	memcpy(text, SECRET_PREFIX, sizeof(SECRET_PREFIX));
	sodium_bin2base64(text + strlen(SECRET_PREFIX), sizeof(text) - strlen(SECRET_PREFIX), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	sha256_hex(text, hash);
	random_hex(id, 8);
	char c[24], x[24];
	snprintf(c, sizeof(c), "%" PRId64, now);
	snprintf(x, sizeof(x), "%" PRId64, expires);
	pthread_mutex_lock(&st->adm_lock);
	r = db_exec(st->adm, begin_sql(st->adm), err);
	if (r >= 0)
		r = org_unit_ensure(st->adm, org_unit, err);
	const char *v[6] = { id, org_unit, hash, c, x, note };
	if (r >= 0)
		r = db_run(st->adm,
			   "INSERT INTO enroll_secret (id, org_unit_id, secret_hash, created, expires, revoked, note)"
			   " VALUES ($1, $2, $3, CAST($4 AS BIGINT), CAST($5 AS BIGINT), NULL, $6)",
			   6, v, err);
	if (r >= 0)
		r = audit(st->adm, now, NULL, "secret.create", id, org_unit, err);
	if (r >= 0)
		r = db_commit(st->adm, err);
	if (r < 0)
		db_rollback(st->adm);
	pthread_mutex_unlock(&st->adm_lock);
	if (r < 0) {
		sodium_memzero(text, sizeof(text));
		return r;
	}
	*ret_secret = strdup(text);
	*ret_id = strdup(id);
	sodium_memzero(text, sizeof(text));
	if (!*ret_secret || !*ret_id) {
		free(*ret_secret);
		free(*ret_id);
		*ret_secret = *ret_id = NULL;
		return err_set(err, -ENOMEM, "store: out of memory");
	}
	return 0;
}

void excise_secret_info_free(struct excise_secret_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].org_unit);
		free(v[i].note);
	}
	free(v);
}

int excise_store_secret_list(struct excise_store *st, struct excise_secret_info **ret, size_t *n,
			     struct excise_err *err)
{
	*ret = NULL;
	*n = 0;
	struct db_stmt *s;
	pthread_mutex_lock(&st->adm_lock);
	int r = db_prepare(st->adm,
			   "SELECT s.id, s.org_unit_id, s.created, s.expires, s.revoked, s.note,"
			   " (SELECT COUNT(*) FROM host h WHERE h.secret_id = s.id)"
			   " FROM enroll_secret s ORDER BY s.created, s.id",
			   &s, err);
	struct excise_secret_info *v = NULL;
	size_t k = 0;
	while (r >= 0 && (r = db_step(s, err)) == 1) {
		struct excise_secret_info *nv = realloc(v, (k + 1) * sizeof(*v));
		if (!nv) {
			r = err_set(err, -ENOMEM, "store: out of memory");
			break;
		}
		v = nv;
		struct excise_secret_info *e = &v[k++];
		memset(e, 0, sizeof(*e));
		const char *note = db_column_text(s, 5);
		e->id = strdup(db_column_text(s, 0));
		e->org_unit = strdup(db_column_text(s, 1));
		e->note = note ? strdup(note) : NULL;
		e->created = db_column_int64(s, 2);
		e->expires = db_column_int64(s, 3);
		e->revoked = db_column_int64(s, 4);
		e->hosts = (uint64_t)db_column_int64(s, 6);
		if (!e->id || !e->org_unit || (note && !e->note))
			r = err_set(err, -ENOMEM, "store: out of memory");
	}
	if (r >= 0 || s)
		db_finalize(s);
	pthread_mutex_unlock(&st->adm_lock);
	if (r < 0) {
		excise_secret_info_free(v, k);
		return r;
	}
	*ret = v;
	*n = k;
	return 0;
}

int excise_store_secret_revoke(struct excise_store *st, const char *id, int64_t now, struct excise_err *err)
{
	char t[24];
	snprintf(t, sizeof(t), "%" PRId64, now);
	const char *v[2] = { id, t };
	pthread_mutex_lock(&st->adm_lock);
	int r = db_exec(st->adm, begin_sql(st->adm), err);
	if (r >= 0)
		r = db_run(st->adm,
			   "UPDATE enroll_secret SET revoked = CAST($2 AS BIGINT) WHERE id = $1 AND revoked IS NULL"
			   " RETURNING id",
			   2, v, err);
	if (r == 0)
		r = err_set(err, -EXCISE_E_ABSENT, "secret '%.40s': no such secret, or already revoked", id);
	if (r >= 0)
		r = audit(st->adm, now, NULL, "secret.revoke", id, NULL, err);
	if (r >= 0)
		r = db_commit(st->adm, err);
	if (r < 0)
		db_rollback(st->adm);
	pthread_mutex_unlock(&st->adm_lock);
	return r < 0 ? r : 0;
}

/* ---- hosts ---- */

static int enroll_once(struct excise_store *st, const struct excise_enroll_req *q, int64_t now, char *host_id,
		       int64_t *epoch, struct excise_err *err)
{
	char hash[65];
	sha256_hex(q->secret, hash);
	struct db *db = st->adm;
	struct db_stmt *s;
	int r = db_exec(db, begin_sql(db), err);
	if (r < 0)
		return r;
	r = db_prepare(db, "SELECT id, org_unit_id, expires, revoked FROM enroll_secret WHERE secret_hash = $1", &s,
		       err);
	char sid[40] = "", ou[256 * 3] = "";
	if (r >= 0) {
		db_bind_text(s, 1, hash);
		r = db_step(s, err);
		if (r == 1 && db_column_null(s, 3) && db_column_int64(s, 2) > now) {
			snprintf(sid, sizeof(sid), "%s", db_column_text(s, 0));
			snprintf(ou, sizeof(ou), "%s", db_column_text(s, 1));
		} else if (r >= 0)
			r = err_set(err, -EXCISE_E_AUTH, "enroll: unknown, expired or revoked secret");
		db_finalize(s);
	}
	char t[24];
	snprintf(t, sizeof(t), "%" PRId64, now);
	if (r >= 0)
		r = db_prepare(db, "SELECT id, key_epoch, retired FROM host WHERE machine_id = $1", &s, err);
	bool found = false, was_retired = false;
	if (r >= 0) {
		db_bind_text(s, 1, q->machine_id);
		r = db_step(s, err);
		if (r == 1) {
			found = true;
			snprintf(host_id, 80, "%s", db_column_text(s, 0));
			*epoch = db_column_int64(s, 1) + 1;
			was_retired = !db_column_null(s, 2);
		}
		db_finalize(s);
	}
	if (r >= 0 && found) {
		char ep[24];
		snprintf(ep, sizeof(ep), "%" PRId64, *epoch);
		const char *v[9] = { host_id, ou, q->hostname, q->platform, q->os, q->version, ep, sid, t };
		r = db_run(db,
			   "UPDATE host SET org_unit_id = $2, hostname = $3, platform = $4, os = $5, version = $6,"
			   " key_epoch = CAST($7 AS BIGINT), secret_id = $8, retired = NULL, retired_reason = NULL,"
			   " retired_by = NULL, last_seen = CAST($9 AS BIGINT) WHERE id = $1",
			   9, v, err);
		if (r >= 0)
			r = audit(db, now, "enroll", "host.reenroll", host_id, "key rotated", err);
		if (r >= 0 && was_retired)
			r = audit(db, now, "enroll", "host.unretire", host_id, "retired host enrolled again", err);
	} else if (r >= 0) {
		random_hex(host_id, 16);
		*epoch = 1;
		const char *v[9] = { host_id, q->machine_id, ou, q->hostname, q->platform, q->os, q->version, t, sid };
		r = db_run(db,
			   "INSERT INTO host (id, machine_id, org_unit_id, hostname, platform, os, version, enrolled,"
			   " key_epoch, last_seen, secret_id) VALUES ($1, $2, $3, $4, $5, $6, $7, CAST($8 AS BIGINT), 1,"
			   " CAST($8 AS BIGINT), $9)",
			   9, v, err);
		if (r >= 0)
			r = audit(db, now, "enroll", "host.enroll", host_id, ou, err);
	}
	if (r >= 0)
		r = db_commit(db, err);
	if (r < 0)
		db_rollback(db);
	return r < 0 ? r : 0;
}

int excise_store_enroll(struct excise_store *st, const struct excise_enroll_req *q, int64_t now, char **ret_host_id,
			uint8_t ret_key[EXCISE_HOST_KEY_BYTES], struct excise_err *err)
{
	*ret_host_id = NULL;
	int r = check_field("enroll: secret", q->secret, false, err);
	if (r >= 0)
		r = check_field("enroll: machine_id", q->machine_id, false, err);
	if (r >= 0)
		r = check_field("enroll: hostname", q->hostname, true, err);
	if (r >= 0)
		r = check_field("enroll: platform", q->platform, true, err);
	if (r >= 0)
		r = check_field("enroll: os", q->os, true, err);
	if (r >= 0)
		r = check_field("enroll: version", q->version, true, err);
	if (r < 0)
		return r;
	struct excise_enroll_req req = *q;
	if (!req.hostname)
		req.hostname = "";
	char id[80];
	int64_t epoch = 0;
	pthread_mutex_lock(&st->adm_lock);
	r = enroll_once(st, &req, now, id, &epoch, err);
	/* another collector enrolled the same machine at the same moment: once more */
	if (r == -EEXIST || r == -EXCISE_E_BUSY)
		r = enroll_once(st, &req, now, id, &epoch, err);
	pthread_mutex_unlock(&st->adm_lock);
	if (r < 0)
		return r;
	if (!(*ret_host_id = strdup(id)))
		return err_set(err, -ENOMEM, "store: out of memory");
	derive_key(st, id, epoch, ret_key);
	return 0;
}

int excise_store_host_key(struct excise_store *st, const char *host_id, uint8_t ret_key[EXCISE_HOST_KEY_BYTES],
			  struct excise_err *err)
{
	if (!host_id || !*host_id || strlen(host_id) >= 80)
		return err_set(err, -EXCISE_E_ABSENT, "host: no such host");
	pthread_mutex_lock(&st->adm_lock);
	db_bind_text(st->host_get, 1, host_id);
	int r = db_step(st->host_get, err);
	int64_t epoch = r == 1 ? db_column_int64(st->host_get, 1) : 0;
	db_reset(st->host_get);
	pthread_mutex_unlock(&st->adm_lock);
	if (r < 0)
		return r;
	if (r == 0)
		return err_set(err, -EXCISE_E_ABSENT, "host '%.80s': not enrolled", host_id);
	derive_key(st, host_id, epoch, ret_key);
	return 0;
}

/* ---- documents ---- */

int excise_store_submit_async(struct excise_store *st, const char *host_id, const void *body, size_t len,
			      int64_t now, excise_submit_done_fn done, void *ctx, struct excise_err *err)
{
	if (!host_id || !*host_id || strlen(host_id) >= sizeof(((struct job *)0)->host_id))
		return err_set(err, -EXCISE_E_ABSENT, "host: no such host");
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return err_set(err, -ENOMEM, "store: out of memory");
	snprintf(j->host_id, sizeof(j->host_id), "%s", host_id);
	j->now = now;
	j->done = done;
	j->ctx = ctx;
	int r = ingest_parse(st->cat, body, len, &j->doc, err);
	char *mid = NULL;
	if (r >= 0)
		r = host_machine_id(st, host_id, &mid, err);
	if (r >= 0 && (!j->doc.machine_id || strcmp(j->doc.machine_id, mid)))
		r = err_set(err, -EXCISE_E_REFUSED,
			    "document %s: about machine id '%.80s', not host %.80s's: refused", j->doc.doc_id,
			    j->doc.machine_id ? j->doc.machine_id : "(none)", host_id);
	free(mid);
	if (r < 0) {
		job_free(j);
		return r;
	}
	pthread_mutex_lock(&st->q_lock);
	if (st->queued >= st->queue_max || st->stop) {
		pthread_mutex_unlock(&st->q_lock);
		job_free(j);
		return err_set(err, -EXCISE_E_BUSY, "store: the writer's queue is full (%u documents): try again later",
			       st->queue_max);
	}
	if (st->tail)
		st->tail->next = j;
	else
		st->head = j;
	st->tail = j;
	st->queued++;
	pthread_cond_signal(&st->q_cond);
	pthread_mutex_unlock(&st->q_lock);
	return 0;
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int rc;
	struct excise_submit_result res;
	struct excise_err err;
};

static void wake(void *ctx, int rc, const struct excise_submit_result *res, const struct excise_err *err)
{
	struct waiter *w = ctx;
	pthread_mutex_lock(&w->lock);
	w->rc = rc;
	w->res = *res;
	if (err)
		w->err = *err;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int excise_store_submit(struct excise_store *st, const char *host_id, const void *body, size_t len, int64_t now,
			struct excise_submit_result *ret, struct excise_err *err)
{
	struct waiter w = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	int r = excise_store_submit_async(st, host_id, body, len, now, wake, &w, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	if (ret)
		*ret = w.res;
	if (w.rc < 0 && err)
		*err = w.err;
	return w.rc;
}
