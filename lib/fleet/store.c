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
 * it has one), applies them in one transaction and commits. PostgreSQL: each
 * commit is synchronous (synchronous_commit on) and the writer then answers each
 * document. SQLite: see "the commit pipeline" below. When the group's transaction
 * fails, each of its documents is applied again alone, so that one bad document
 * fails alone (answered at once: nothing of it was stored) and the others are
 * stored. On SQLite the writer never checkpoints the WAL itself (a checkpoint would
 * stall its commits): a checkpointer thread with a connection of its own runs a
 * passive checkpoint every STORE_CHECKPOINT_MS, beside the writer; the writer itself
 * makes only the short last copy that lets the WAL start again, between two groups,
 * when the checkpointer asks (checkpointer_main). Secrets are shown once and only their SHA-256 is kept; host keys are
 * derived from the master key, the host id and the key epoch, so nothing secret
 * is stored per host.
 *
 * The commit pipeline (SQLite, unless opts.sync_normal): the writer's connection
 * runs synchronous=NORMAL, so its commit writes the group's WAL frames without
 * waiting for them to reach the disk; the writer hands the group's jobs (applied,
 * with their statuses) to the syncer thread and takes the next group at once. The
 * syncer takes every job handed to it so far, fdatasyncs the WAL once (through a
 * descriptor of its own, db_wal_sync) and only then answers them: no document is
 * answered before an fdatasync that started after its commit returned, so the
 * frames of every answered commit (and of every commit before it) are on disk,
 * and groups committed while a sync runs share the next one. Why this is as
 * durable as synchronous=FULL for everything answered:
 *  - a crash loses at most WAL frames written after the last sync, i.e. commits
 *    nobody was answered for yet; SQLite's recovery reads the WAL up to the last
 *    commit whose frames and checksums are whole, so an unsynced torn tail never
 *    hides a synced commit before it;
 *  - a checkpoint (any connection; the checkpointer's runs FULL, the writer's
 *    NORMAL, both sync at a checkpoint) syncs the WAL before copying pages into
 *    the database and syncs the database before it records them as copied;
 *  - the WAL starts again from its beginning only once every frame was copied
 *    and so synced into the database, and SQLite syncs the new WAL header before
 *    writing frames after it (also with NORMAL), so a restart never overwrites a
 *    frame that is only in the WAL;
 *  - a duplicate is answered only after a sync too, which covers the earlier
 *    commit it is a duplicate of.
 * Readers may see a commit before its sync (a report could count a document that
 * a crash then loses and its host submits again): never an answered one lost.
 * A failed fdatasync is not retried: Linux reports a write-back error once and
 * may drop the dirty pages it could not write, so a second fdatasync can succeed
 * with the frames lost. Every job waiting for that sync and every later one is
 * answered -EIO (not known to be stored: the agent sends it again), and the store
 * refuses every further document until it is opened again (SQLite's recovery then
 * reads what the disk really holds).
 */
#include "excise/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/macro.h"
#include "core/text.h"
#include "excise/fleet.h"
#include "fleet/db.h"
#include "fleet/docbody.h"
#include "fleet/ingest.h"
#include "fleet/ingest-pg.h"
#include "fleet/store_int.h"

#define SECRET_PREFIX "exs1_"
#define HOST_GET_SQL "SELECT machine_id, key_epoch FROM host WHERE id = $1" /* a host's machine id and key epoch */
#define STORE_CHECKPOINT_MS 200
#define STORE_WAL_HOLD_FRAMES 256   /* WAL pages a catching-up round may leave for the writer's last copy */
#define STORE_WAL_RESTART_FRAMES 32768 /* WAL pages (128 MiB of 4 KiB pages) past which the WAL starts again */
#define STORE_WAL_SIZE_LIMIT "167772160" /* bytes a WAL is truncated to when it starts again (above the restart size: never, in use) */
#define HOST_CACHE_BUCKETS 65536u
#define HOST_CACHE_MAX 1000000u   /* hosts cached (machine ids and keys); then the cache starts again */

struct job {
	struct job *next;
	char host_id[80];
	struct ingest_doc doc;
	int64_t now;
	excise_submit_done_fn done;
	void *ctx;
	enum excise_submit_status status;    /* applied and committed: the answer after the sync */
};

/* One writer thread: its queue, its connection, its group. SQLite has one; PostgreSQL
 * several, each host's documents always on the same one (by a hash of its id), so a
 * host's documents apply in arrival order and two writers never touch one host's rows. */
struct writer {
	struct excise_store *st;
	pthread_t th;
	bool started;
	pthread_cond_t cond;                 /* a job queued, or stop (under st->q_lock) */
	struct job *head, *tail;
	size_t queued;
	struct db *w;
	struct ingest *in;
	struct ingest_pg *pg;                /* PostgreSQL: the group applied set-based */
	struct job **jobs;                   /* the group, batch_max of them */
	struct ingest_item *items;
	enum excise_submit_status *status;
	uint64_t n_docs, n_groups, cpu_ns;   /* under st->q_lock */
};

struct hc_entry {
	struct hc_entry *next;
	char *id;
	char *machine_id;
	int64_t epoch;                       /* the key epoch `key` is of */
	int64_t key_ms;                      /* when it was read (CLOCK_MONOTONIC ms) */
	uint8_t key[EXCISE_HOST_KEY_BYTES];
};

struct excise_store {
	char *url;
	struct db_opts dbo;
	const struct excise_catalog *cat;
	uint8_t master[32];
	unsigned batch_max, batch_wait_ms, queue_max;
	bool read_only;                      /* opts.read_only: no writer, every write refused */

	pthread_mutex_t adm_lock;
	struct db *adm;
	struct db_stmt *host_get;
	struct db *rd;

	pthread_mutex_t hc_lock;
	struct hc_entry **hc;                /* HOST_CACHE_BUCKETS chains */
	size_t hc_n;
	int64_t key_cache_ms;                /* a cached key is used this long, then read again */

	pthread_mutex_t q_lock;
	size_t queued, queued_bytes;         /* of every writer: bounded together */
	bool stop;
	struct writer *wr;
	unsigned n_wr;
	struct db *ck;                       /* SQLite: the checkpointer's connection */
	pthread_t checkpointer;
	pthread_cond_t ck_cond;              /* wakes the checkpointer: to stop, the writer idle (under q_lock) */
	bool ck_started;
	bool ck_ready;                       /* SQLite: the checkpointer caught up, the writer runs the last copy */
	int64_t wal_restart;                 /* STORE_WAL_RESTART_FRAMES (store_test_wal_restart: fewer) */

	/* SQLite's commit pipeline (see the top): under q_lock but wal_fd, the syncer's */
	bool pipe;                           /* the writer commits unsynced; the syncer syncs, then answers */
	pthread_t syncer;
	bool sy_started, sy_stop;
	pthread_cond_t sy_cond;              /* wakes the syncer: jobs committed, stop, test hold released */
	struct job *sy_head, *sy_tail;       /* committed, waiting for the next sync */
	int sync_rc;                         /* < 0: a WAL sync failed, every write is refused */
	struct excise_err sync_err;          /* why */
	uint64_t n_syncs, sy_cpu_ns;
	int wal_fd;                          /* the syncer's descriptor of the WAL (-1: none yet) */
	int test_fd;                         /* store_test_sync_fd: synced in place of the WAL (-1: none) */
	bool test_hold;                      /* store_test_sync_hold */
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

/* ---- host cache: host id -> machine id (which never changes for an id) and host key ----
 *
 * An entry is made by every read of a host's row (host_read, under adm_lock) and by
 * enrollment. Its machine id is good for ever; its key for st->key_cache_ms, after
 * which excise_store_host_key_cached reads the key epoch again (another collector
 * sharing the database may have re-enrolled the host). Key epochs only grow: an entry
 * never goes back to an older one. Over HOST_CACHE_MAX entries the cache starts again. */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t hc_hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % HOST_CACHE_BUCKETS;
}

static void hc_clear(struct excise_store *st)
{
	st->hc_n = 0;
	for (size_t i = 0; st->hc && i < HOST_CACHE_BUCKETS; i++)
		while (st->hc[i]) {
			struct hc_entry *e = st->hc[i];
			st->hc[i] = e->next;
			free(e->id);
			free(e->machine_id);
			sodium_memzero(e->key, sizeof(e->key));
			free(e);
		}
}

/* The entry of `host_id` in chain `h` (under hc_lock), or NULL. */
static struct hc_entry *hc_find(struct excise_store *st, size_t h, const char *host_id)
{
	for (struct hc_entry *e = st->hc[h]; e; e = e->next)
		if (!strcmp(e->id, host_id))
			return e;
	return NULL;
}

/* Remember a host's machine id and its key of `epoch`, read now (unless the cache
 * holds a newer epoch). Out of memory, nothing is remembered: the cache is only a cache. */
static void hc_put(struct excise_store *st, const char *host_id, const char *machine_id, int64_t epoch,
		   const uint8_t key[EXCISE_HOST_KEY_BYTES])
{
	size_t h = hc_hash(host_id);
	pthread_mutex_lock(&st->hc_lock);
	struct hc_entry *e = hc_find(st, h, host_id);
	if (!e) {
		if (st->hc_n >= HOST_CACHE_MAX)
			hc_clear(st);
		e = calloc(1, sizeof(*e));
		if (!e || !(e->id = strdup(host_id)) || !(e->machine_id = strdup(machine_id))) {
			if (e)
				free(e->id);
			free(e);
			pthread_mutex_unlock(&st->hc_lock);
			return;
		}
		e->next = st->hc[h];
		st->hc[h] = e;
		st->hc_n++;
	}
	if (epoch >= e->epoch) {
		e->epoch = epoch;
		e->key_ms = mono_ms();
		memcpy(e->key, key, sizeof(e->key));
	}
	pthread_mutex_unlock(&st->hc_lock);
}

/* The host's row, read now: its machine id (a new string, when `mid` is not NULL) and
 * its current key; the cache updated. -EXCISE_E_ABSENT for an unknown host. */
static int host_read(struct excise_store *st, const char *host_id, char **mid, uint8_t key[EXCISE_HOST_KEY_BYTES],
		     struct excise_err *err)
{
	pthread_mutex_lock(&st->adm_lock);
	db_bind_text(st->host_get, 1, host_id);
	int r = db_step(st->host_get, err);
	if (r == 1) {
		const char *m = db_column_text(st->host_get, 0);
		int64_t epoch = db_column_int64(st->host_get, 1);
		derive_key(st, host_id, epoch, key);
		if (mid && !(*mid = strdup(m)))
			r = err_set(err, -ENOMEM, "store: out of memory");
		else
			hc_put(st, host_id, m, epoch, key); /* under adm_lock: no older read overtakes it */
	}
	db_reset(st->host_get);
	pthread_mutex_unlock(&st->adm_lock);
	if (r < 0)
		return r;
	if (r == 0)
		return err_set(err, -EXCISE_E_ABSENT, "host '%.80s': not enrolled", host_id);
	return 0;
}

/* The host's machine id into `out` (a new string); -EXCISE_E_ABSENT for an unknown host. */
static int host_machine_id(struct excise_store *st, const char *host_id, char **out, struct excise_err *err)
{
	size_t h = hc_hash(host_id);
	pthread_mutex_lock(&st->hc_lock);
	struct hc_entry *e = hc_find(st, h, host_id);
	if (e) {
		*out = strdup(e->machine_id);
		pthread_mutex_unlock(&st->hc_lock);
		return *out ? 0 : err_set(err, -ENOMEM, "store: out of memory");
	}
	pthread_mutex_unlock(&st->hc_lock);
	uint8_t key[EXCISE_HOST_KEY_BYTES];
	int r = host_read(st, host_id, out, key, err);
	sodium_memzero(key, sizeof(key));
	return r;
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

/* Jobs applied and committed: answered now (synchronous commits), else handed to the
 * syncer, which answers them after its next sync. `chain` is linked by next. */
static void settle(struct writer *wr, struct job *chain, struct job *last)
{
	struct excise_store *st = wr->st;
	if (!chain)
		return;
	if (st->pipe) {
		pthread_mutex_lock(&st->q_lock);
		if (st->sy_tail)
			st->sy_tail->next = chain;
		else
			st->sy_head = chain;
		st->sy_tail = last;
		pthread_cond_signal(&st->sy_cond);
		pthread_mutex_unlock(&st->q_lock);
		return;
	}
	for (struct job *j = chain, *next; j; j = next) {
		next = j->next;
		answer(j, 0, j->status, NULL);
		job_free(j);
	}
}

/* Apply each job alone (after its group failed): one that fails is answered at once. */
static void apply_each(struct writer *wr, struct job **jobs, size_t n)
{
	struct job *chain = NULL, *last = NULL;
	for (size_t i = 0; i < n; i++) {
		struct excise_err err = { 0 };
		enum excise_submit_status status = EXCISE_SUBMIT_STORED;
		int r = db_exec(wr->w, begin_sql(wr->w), &err);
		if (r >= 0)
			r = ingest_apply(wr->in, jobs[i]->host_id, &jobs[i]->doc, jobs[i]->now, &status, &err);
		if (r >= 0)
			r = db_commit(wr->w, &err);
		if (r < 0) {
			db_rollback(wr->w);
			ingest_rolled_back(wr->in);
			answer(jobs[i], r, status, &err);
			job_free(jobs[i]);
			continue;
		}
		jobs[i]->status = status;
		jobs[i]->next = NULL;
		if (last)
			last->next = jobs[i];
		else
			chain = jobs[i];
		last = jobs[i];
	}
	settle(wr, chain, last);
}

static void apply_group(struct writer *wr, struct job **jobs, size_t n, enum excise_submit_status *status)
{
	struct excise_err err = { 0 };
	int r = db_exec(wr->w, begin_sql(wr->w), &err);
	for (size_t i = 0; i < n; i++)
		wr->items[i] = (struct ingest_item){ .host = jobs[i]->host_id, .doc = &jobs[i]->doc, .now = jobs[i]->now };
	if (r >= 0)
		r = wr->pg ? ingest_pg_apply(wr->pg, wr->in, wr->items, n, &err) :
			     ingest_apply_many(wr->in, wr->items, n, &err);
	for (size_t i = 0; r >= 0 && i < n; i++)
		status[i] = wr->items[i].status;
	if (r >= 0)
		r = db_commit(wr->w, &err);
	if (r < 0) {
		db_rollback(wr->w);
		ingest_rolled_back(wr->in);
		apply_each(wr, jobs, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		jobs[i]->status = status[i];
		jobs[i]->next = i + 1 < n ? jobs[i + 1] : NULL;
	}
	settle(wr, n ? jobs[0] : NULL, n ? jobs[n - 1] : NULL);
}

/* Jobs the writer took after a WAL sync failed: refused, not applied. */
static void refuse_group(struct job **jobs, size_t n, const struct excise_err *why)
{
	for (size_t i = 0; i < n; i++) {
		answer(jobs[i], -EIO, EXCISE_SUBMIT_STORED, why);
		job_free(jobs[i]);
	}
}

static int64_t checkpoint(struct db *db, bool *all);

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	struct excise_store *st = wr->st;
	pthread_setname_np(pthread_self(), "excise-writer");
	pthread_mutex_lock(&st->q_lock);
	for (;;) {
		while (!wr->head && !st->ck_ready && !st->stop)
			pthread_cond_wait(&wr->cond, &st->q_lock);
		if (st->ck_ready) {
			/* between two groups, on its own connection: every frame then in the
			 * database, its next transaction starts the WAL again (checkpointer_main) */
			pthread_mutex_unlock(&st->q_lock);
			bool all;
			checkpoint(wr->w, &all);
			pthread_mutex_lock(&st->q_lock);
			st->ck_ready = false;
			pthread_cond_broadcast(&st->ck_cond);
			continue;
		}
		if (!wr->head && st->stop)
			break;
		if (wr->queued < st->batch_max && st->batch_wait_ms && !st->stop) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += (long)st->batch_wait_ms * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			while (wr->queued < st->batch_max && !st->stop &&
			       pthread_cond_timedwait(&wr->cond, &st->q_lock, &until) == 0)
				;
		}
		size_t n = 0;
		while (wr->head && n < st->batch_max) {
			wr->jobs[n++] = wr->head;
			st->queued_bytes -= wr->head->doc.len;
			wr->head = wr->head->next;
			wr->queued--;
			st->queued--;
		}
		if (!wr->head)
			wr->tail = NULL;
		bool refuse = st->sync_rc < 0;
		struct excise_err why;
		if (refuse)
			why = st->sync_err;
		pthread_mutex_unlock(&st->q_lock);
		if (refuse)
			refuse_group(wr->jobs, n, &why);
		else
			apply_group(wr, wr->jobs, n, wr->status);
		struct timespec cpu;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
		pthread_mutex_lock(&st->q_lock);
		wr->n_docs += n;
		wr->n_groups++;
		wr->cpu_ns = (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec;
	}
	pthread_mutex_unlock(&st->q_lock);
	return NULL;
}

/*
 * SQLite's syncer (see "the commit pipeline" at the top): takes every job the writer
 * committed so far, syncs the WAL once, answers them; until the writers stopped and
 * nothing is left. After a failed sync it syncs no more (the pages it failed to write
 * may be gone from the page cache: a second fdatasync could succeed without them)
 * and answers every job -EIO.
 */
static void *syncer_main(void *arg)
{
	struct excise_store *st = arg;
	pthread_setname_np(pthread_self(), "excise-syncer");
	pthread_mutex_lock(&st->q_lock);
	for (;;) {
		while ((!st->sy_head || st->test_hold) && !st->sy_stop)
			pthread_cond_wait(&st->sy_cond, &st->q_lock);
		if (!st->sy_head)
			break;
		struct job *chain = st->sy_head;
		st->sy_head = st->sy_tail = NULL;
		int r = st->sync_rc;
		int test_fd = st->test_fd;
		struct excise_err err = { 0 };
		if (r < 0)
			err = st->sync_err;
		pthread_mutex_unlock(&st->q_lock);
		if (r >= 0 && test_fd >= 0)
			r = fdatasync(test_fd) < 0 ? err_setc(&err, -errno, "store: syncing the WAL (test descriptor)") : 0;
		else if (r >= 0)
			r = db_wal_sync(st->wr[0].w, &st->wal_fd, &err);
		struct timespec cpu;
		pthread_mutex_lock(&st->q_lock);
		if (r < 0 && st->sync_rc >= 0) {
			st->sync_rc = r;
			snprintf(st->sync_err.msg, sizeof(st->sync_err.msg),
				 "%.400s: not known to be stored, and no document is stored until the collector starts again",
				 err.msg);
			st->sync_err.code = -EIO;
		}
		if (r < 0)
			err = st->sync_err;
		else
			st->n_syncs++;
		pthread_mutex_unlock(&st->q_lock);
		for (struct job *j = chain, *next; j; j = next) {
			next = j->next;
			answer(j, r < 0 ? -EIO : 0, j->status, r < 0 ? &err : NULL);
			job_free(j);
		}
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
		pthread_mutex_lock(&st->q_lock);
		st->sy_cpu_ns = (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec;
	}
	pthread_mutex_unlock(&st->q_lock);
	return NULL;
}

/* The writers: one on SQLite (it allows one writer), o->pg_writers (or
 * EXCISE_STORE_PG_WRITERS) on PostgreSQL, each with its own connection and statements. */
static int writers_start(struct excise_store *st, const struct excise_store_opts *o, bool pg, struct excise_err *err)
{
	unsigned n = pg ? (o->pg_writers ? o->pg_writers : EXCISE_STORE_PG_WRITERS) : 1;
	if (n > EXCISE_STORE_MAX_WRITERS)
		return err_set(err, -EXCISE_E_USAGE, "store: %u writers, more than EXCISE_STORE_MAX_WRITERS (%u)", n,
			       EXCISE_STORE_MAX_WRITERS);
	if (!(st->wr = calloc(n, sizeof(*st->wr))))
		return err_set(err, -ENOMEM, "store: out of memory");
	int r = 0;
	for (unsigned i = 0; r >= 0 && i < n; i++) {
		struct writer *wr = &st->wr[i];
		wr->st = st;
		pthread_cond_init(&wr->cond, NULL);
		st->n_wr = i + 1;
		wr->jobs = calloc(st->batch_max, sizeof(*wr->jobs));
		wr->status = calloc(st->batch_max, sizeof(*wr->status));
		wr->items = calloc(st->batch_max, sizeof(*wr->items));
		if (!wr->jobs || !wr->status || !wr->items)
			r = err_set(err, -ENOMEM, "store: out of memory");
		if (r >= 0)
			r = db_open(st->url, &st->dbo, &wr->w, err);
		if (r >= 0 && !db_is_pg(wr->w))
			r = db_exec(wr->w, "PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=" STORE_WAL_SIZE_LIMIT, err);
		/* the commit pipeline: commits unsynced, the syncer syncs them before any answer */
		if (r >= 0 && !db_is_pg(wr->w) && !st->dbo.sync_normal) {
			r = db_exec(wr->w, "PRAGMA synchronous=NORMAL", err);
			st->pipe = r >= 0;
		}
		if (r >= 0)
			r = ingest_new(wr->w, st->cat, &wr->in, err);
		if (r >= 0 && db_is_pg(wr->w))
			r = ingest_pg_new(wr->w, st->cat, &wr->pg, err);
		if (r >= 0 && pthread_create(&wr->th, NULL, writer_main, wr) != 0)
			r = err_set(err, -EAGAIN, "store: a writer thread could not start");
		if (r >= 0)
			wr->started = true;
	}
	if (r >= 0 && st->pipe) {
		if (pthread_create(&st->syncer, NULL, syncer_main, st) != 0)
			r = err_set(err, -EAGAIN, "store: the syncer thread could not start");
		else
			st->sy_started = true;
	}
	return r;
}

/* Stop every writer after what it holds, free them. */
static void writers_stop(struct excise_store *st)
{
	pthread_mutex_lock(&st->q_lock);
	st->stop = true;
	for (unsigned i = 0; i < st->n_wr; i++)
		pthread_cond_broadcast(&st->wr[i].cond);
	pthread_mutex_unlock(&st->q_lock);
	for (unsigned i = 0; i < st->n_wr; i++)
		if (st->wr[i].started)
			pthread_join(st->wr[i].th, NULL);
	/* the writers handed it their last commits: it syncs and answers them, then ends */
	if (st->sy_started) {
		pthread_mutex_lock(&st->q_lock);
		st->sy_stop = true;
		pthread_cond_broadcast(&st->sy_cond);
		pthread_mutex_unlock(&st->q_lock);
		pthread_join(st->syncer, NULL);
		st->sy_started = false;
	}
	if (st->wal_fd >= 0)
		close(st->wal_fd);
	st->wal_fd = -1;
	for (unsigned i = 0; i < st->n_wr; i++) {
		struct writer *wr = &st->wr[i];
		ingest_free(wr->in);
		ingest_pg_free(wr->pg);
		db_close(wr->w);
		pthread_cond_destroy(&wr->cond);
		free(wr->jobs);
		free(wr->items);
		free(wr->status);
	}
	free(st->wr);
	st->wr = NULL;
	st->n_wr = 0;
}

/* A passive checkpoint on connection `db`: the WAL's frames then (-1: failed); *all:
 * every one of them is in the database (no reader kept some back). */
static int64_t checkpoint(struct db *db, bool *all)
{
	struct db_stmt *ck = NULL;
	int64_t frames = -1;
	*all = false;
	if (db_prepare(db, "PRAGMA wal_checkpoint(PASSIVE)", &ck, NULL) >= 0 && db_step(ck, NULL) == 1) {
		frames = db_column_int64(ck, 1);
		*all = db_column_int64(ck, 2) == frames;
	}
	db_finalize(ck);
	return frames;
}

/*
 * SQLite: passive checkpoints beside the writer, until the store closes. Under a
 * steady stream a passive checkpoint never reaches the WAL's end, so the WAL would
 * only grow, and each commit's sync would then also wait for the file's new blocks.
 * Past STORE_WAL_RESTART_FRAMES: the pages copied are synced to the database file
 * (beside the writer), then the checkpointer asks the writer (ck_ready) for one more
 * passive checkpoint, which the writer runs on its own connection between two
 * groups: it copies only what was committed meanwhile (and syncs the WAL before and
 * the database after, as every checkpoint), so every frame is in the database and
 * the writer's next transaction starts the WAL again from its beginning (SQLite does
 * so when no reader still reads the WAL). The writer waits for no other thread
 * there: when the checkpointer held it for that copy, the hold measured 4-36 ms
 * under load (waiting for the group under way 0-10 ms, the copy and its two syncs
 * the rest, then waking the writer); now the writer pauses for the copy only. The
 * restart size was raised from 32 to 128 MiB for 4 times fewer such pauses: readers
 * look frames up only past the last copy (every 200 ms), so a longer WAL costs its
 * disk space and a longer recovery after a crash only. Never in SQLite's busy
 * handler (whose sleeps grow to 100 ms) behind a RESTART checkpoint, as it once
 * did: the commits' tail. Busy or failing: the next round tries again, and closing
 * checkpoints.
 */
static void *checkpointer_main(void *arg)
{
	struct excise_store *st = arg;
	pthread_mutex_lock(&st->q_lock);
	while (!st->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += STORE_CHECKPOINT_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&st->ck_cond, &st->q_lock, &until);
		if (st->stop)
			break;
		int64_t restart = st->wal_restart;
		pthread_mutex_unlock(&st->q_lock);
		bool all;
		int64_t frames = checkpoint(st->ck, &all), prev = 0;
		/* catch up beside the writer: each round copies what the one before left, until
		 * a round finds little new (or a few rounds). A reader that keeps frames back (a
		 * report's long read): no last copy, the WAL could not start again */
		for (int k = 0; frames > restart && all && k < 4; k++) {
			if (db_sync_main(st->ck, NULL) < 0)
				break;
			prev = frames;
			frames = checkpoint(st->ck, &all);
			if (frames < prev || frames - prev < STORE_WAL_HOLD_FRAMES)
				break;
		}
		if (frames > restart && all && db_sync_main(st->ck, NULL) >= 0) {
			pthread_mutex_lock(&st->q_lock);
			st->ck_ready = true;
			for (unsigned i = 0; i < st->n_wr; i++)
				pthread_cond_signal(&st->wr[i].cond);
			while (st->ck_ready && !st->stop)
				pthread_cond_wait(&st->ck_cond, &st->q_lock);
			pthread_mutex_unlock(&st->q_lock);
		}
		pthread_mutex_lock(&st->q_lock);
	}
	pthread_mutex_unlock(&st->q_lock);
	return NULL;
}

/* ---- open, close ---- */

static void store_free(struct excise_store *st)
{
	/* the checkpointer first: it may be waiting for the writer's last copy (the writers
	 * then store what is queued, and closing checkpoints) */
	if (st->ck_started) {
		pthread_mutex_lock(&st->q_lock);
		st->stop = true;
		pthread_cond_broadcast(&st->ck_cond);
		pthread_mutex_unlock(&st->q_lock);
		pthread_join(st->checkpointer, NULL);
	}
	writers_stop(st);
	/* the read-only connection first: the last to close checkpoints and removes the -wal */
	db_close(st->rd);
	db_close(st->ck);
	db_finalize(st->host_get);
	db_close(st->adm);
	hc_clear(st);
	free(st->hc);
	pthread_mutex_destroy(&st->adm_lock);
	pthread_mutex_destroy(&st->hc_lock);
	pthread_mutex_destroy(&st->q_lock);
	pthread_cond_destroy(&st->ck_cond);
	pthread_cond_destroy(&st->sy_cond);
	free(st->url);
	sodium_memzero(st->master, sizeof(st->master));
	free(st);
}

/* opts.read_only: the admin connection read-only (SQLite: the file must exist; PostgreSQL:
 * a read-only session), the schema checked, never migrated; no writer, no checkpointer. */
static int store_open_read_only(struct excise_store *st, const char *url, struct excise_err *err)
{
	bool pg = !strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11);
	const char *path = !strncmp(url, "sqlite:", 7) ? url + 7 : url;
	if (!pg && access(path, F_OK) < 0)
		return err_setc(err, -errno, "database '%s'", path);
	st->read_only = true;
	st->dbo.read_only = true;
	int r = db_open(url, &st->dbo, &st->adm, err);
	if (r >= 0)
		r = schema_check(st->adm, pg ? "postgresql" : path, err);
	if (r >= 0)
		r = db_prepare(st->adm, HOST_GET_SQL, &st->host_get, err);
	return r;
}

/* A write to a store opened read-only: refused before it starts. */
static int store_refuse_write(const struct excise_store *st, const char *what, struct excise_err *err)
{
	return st->read_only ? err_set(err, -EXCISE_E_REFUSED, "%s: the store was opened read-only", what) : 0;
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
	pthread_cond_init(&st->ck_cond, NULL);
	pthread_cond_init(&st->sy_cond, NULL);
	st->wal_fd = st->test_fd = -1;
	st->wal_restart = STORE_WAL_RESTART_FRAMES;
	st->cat = o->catalog;
	memcpy(st->master, o->master_key, sizeof(st->master));
	st->dbo.sync_normal = o->sync_normal;
	st->batch_max = o->batch_max ? o->batch_max : EXCISE_STORE_BATCH_MAX;
	st->batch_wait_ms = o->batch_wait_ms ? o->batch_wait_ms : EXCISE_STORE_BATCH_WAIT_MS;
	st->queue_max = o->queue_max ? o->queue_max : EXCISE_STORE_QUEUE_MAX;
	st->key_cache_ms = o->key_cache_ms ? (int64_t)o->key_cache_ms : (int64_t)EXCISE_STORE_KEY_CACHE_SECONDS * 1000;
	st->hc = calloc(HOST_CACHE_BUCKETS, sizeof(*st->hc));
	if (!st->hc) {
		store_free(st);
		return err_set(err, -ENOMEM, "store: out of memory");
	}
	if (o->read_only) {
		int r = store_open_read_only(st, url, err);
		if (r < 0) {
			store_free(st);
			return r;
		}
		*ret = st;
		return 0;
	}
	int r = db_open(url, &st->dbo, &st->adm, err);
	if (r >= 0)
		r = schema_migrate(st->adm, err);
	if (r >= 0)
		r = db_prepare(st->adm, HOST_GET_SQL, &st->host_get, err);
	if (r >= 0 && !db_is_pg(st->adm)) {
		r = db_open(url, &st->dbo, &st->ck, err);
		if (r >= 0 && pthread_create(&st->checkpointer, NULL, checkpointer_main, st) != 0)
			r = err_set(err, -EAGAIN, "store: the checkpointer thread could not start");
		if (r >= 0)
			st->ck_started = true;
	}
	if (r >= 0)
		r = writers_start(st, o, db_is_pg(st->adm), err);
	if (r < 0) {
		store_free(st);
		return r;
	}
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

/* The admin connection, locked, in a transaction. */
static int adm_begin(struct excise_store *st, struct excise_err *err)
{
	if (st->read_only)
		return store_refuse_write(st, "store", err);
	pthread_mutex_lock(&st->adm_lock);
	int r = db_exec(st->adm, begin_sql(st->adm), err);
	if (r < 0)
		pthread_mutex_unlock(&st->adm_lock);
	return r;
}

/* Commit when `r` >= 0, else roll back; unlock. */
static int adm_end(struct excise_store *st, int r, struct excise_err *err)
{
	if (r >= 0)
		r = db_commit(st->adm, err);
	if (r < 0)
		db_rollback(st->adm);
	pthread_mutex_unlock(&st->adm_lock);
	return r < 0 ? r : 0;
}

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
	if (sha256_hex(text, strlen(text), hash) < 0) {
		sodium_memzero(text, sizeof(text));
		return err_set(err, -EIO, "secret: its SHA-256 could not be computed");
	}
	random_hex(id, 8);
	char c[24], x[24];
	snprintf(c, sizeof(c), "%" PRId64, now);
	snprintf(x, sizeof(x), "%" PRId64, expires);
	const char *v[6] = { id, org_unit, hash, c, x, note };
	r = adm_begin(st, err);
	if (r >= 0) {
		r = org_unit_ensure(st->adm, org_unit, err);
		if (r >= 0)
			r = db_run(st->adm,
				   "INSERT INTO enroll_secret (id, org_unit_id, secret_hash, created, expires, revoked, note)"
				   " VALUES ($1, $2, $3, CAST($4 AS BIGINT), CAST($5 AS BIGINT), NULL, $6)",
				   6, v, err);
		if (r >= 0)
			r = audit(st->adm, now, NULL, "secret.create", id, org_unit, err);
		r = adm_end(st, r, err);
	}
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
	int r = adm_begin(st, err);
	if (r < 0)
		return r;
	r = db_run(st->adm,
		   "UPDATE enroll_secret SET revoked = CAST($2 AS BIGINT) WHERE id = $1 AND revoked IS NULL"
		   " RETURNING id",
		   2, v, err);
	if (r == 0)
		r = err_set(err, -EXCISE_E_ABSENT, "secret '%.40s': no such secret, or already revoked", id);
	if (r >= 0)
		r = audit(st->adm, now, NULL, "secret.revoke", id, NULL, err);
	return adm_end(st, r, err);
}

/* ---- hosts ---- */

static int enroll_once(struct excise_store *st, const struct excise_enroll_req *q, int64_t now, char *host_id,
		       int64_t *epoch, struct excise_err *err)
{
	char hash[65];
	if (sha256_hex(q->secret, strlen(q->secret), hash) < 0)
		return err_set(err, -EIO, "enroll: the secret's SHA-256 could not be computed");
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
	int r = store_refuse_write(st, "enroll", err);
	if (r >= 0)
		r = check_field("enroll: secret", q->secret, false, err);
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
	if (r >= 0) {
		/* this collector's cache has the new key at once (the old one is refused) */
		derive_key(st, id, epoch, ret_key);
		hc_put(st, id, req.machine_id, epoch, ret_key);
	}
	pthread_mutex_unlock(&st->adm_lock);
	if (r < 0)
		return r;
	if (!(*ret_host_id = strdup(id)))
		return err_set(err, -ENOMEM, "store: out of memory");
	return 0;
}

int excise_store_host_key(struct excise_store *st, const char *host_id, uint8_t ret_key[EXCISE_HOST_KEY_BYTES],
			  struct excise_err *err)
{
	if (!host_id || !*host_id || strlen(host_id) >= 80)
		return err_set(err, -EXCISE_E_ABSENT, "host: no such host");
	return host_read(st, host_id, NULL, ret_key, err);
}

int excise_store_host_key_cached(struct excise_store *st, const char *host_id,
				 uint8_t ret_key[EXCISE_HOST_KEY_BYTES], bool *ret_cached, struct excise_err *err)
{
	*ret_cached = false;
	if (!host_id || !*host_id || strlen(host_id) >= 80)
		return err_set(err, -EXCISE_E_ABSENT, "host: no such host");
	size_t h = hc_hash(host_id);
	pthread_mutex_lock(&st->hc_lock);
	const struct hc_entry *e = hc_find(st, h, host_id);
	if (e && mono_ms() - e->key_ms < st->key_cache_ms) {
		memcpy(ret_key, e->key, EXCISE_HOST_KEY_BYTES);
		*ret_cached = true;
	}
	pthread_mutex_unlock(&st->hc_lock);
	return *ret_cached ? 0 : host_read(st, host_id, NULL, ret_key, err);
}

/* ---- documents ---- */

int excise_store_submit_async(struct excise_store *st, const char *host_id, const void *body, size_t len,
			      int64_t now, excise_submit_done_fn done, void *ctx, struct excise_err *err)
{
	if (st->read_only)
		return store_refuse_write(st, "submit", err);
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
	/* compressed here, in the submitting thread: the writer, one thread, only stores it */
	if (r >= 0)
		r = docbody_pack(j->doc.body, j->doc.len, &j->doc.body_z, &j->doc.body_z_len, err);
	if (r < 0) {
		job_free(j);
		return r;
	}
	/* a host's documents always go to the same writer */
	struct writer *wr = &st->wr[hc_hash(host_id) % st->n_wr];
	pthread_mutex_lock(&st->q_lock);
	if (st->sync_rc < 0) {
		r = err_set(err, -EIO, "store: %s", st->sync_err.msg);
		pthread_mutex_unlock(&st->q_lock);
		job_free(j);
		return r;
	}
	if (st->queued >= st->queue_max || st->stop ||
	    (st->queued && st->queued_bytes + j->doc.len > EXCISE_STORE_QUEUE_BYTES)) {
		pthread_mutex_unlock(&st->q_lock);
		job_free(j);
		return err_set(err, -EXCISE_E_BUSY,
			       "store: the writer's queue is full (%u documents or %u bytes): try again later",
			       st->queue_max, EXCISE_STORE_QUEUE_BYTES);
	}
	st->queued_bytes += j->doc.len;
	if (wr->tail)
		wr->tail->next = j;
	else
		wr->head = j;
	wr->tail = j;
	wr->queued++;
	st->queued++;
	pthread_cond_signal(&wr->cond);
	pthread_mutex_unlock(&st->q_lock);
	return 0;
}

void excise_store_stats(struct excise_store *st, struct excise_store_stats *ret)
{
	pthread_mutex_lock(&st->q_lock);
	*ret = (struct excise_store_stats){ .writers = st->n_wr };
	for (unsigned i = 0; i < st->n_wr; i++) {
		ret->documents += st->wr[i].n_docs;
		ret->groups += st->wr[i].n_groups;
		ret->writer_cpu_ns += st->wr[i].cpu_ns;
	}
	ret->wal_syncs = st->n_syncs;
	ret->syncer_cpu_ns = st->sy_cpu_ns;
	pthread_mutex_unlock(&st->q_lock);
}

void store_test_sync_fd(struct excise_store *st, int fd)
{
	pthread_mutex_lock(&st->q_lock);
	st->test_fd = fd;
	pthread_mutex_unlock(&st->q_lock);
}

void store_test_wal_restart(struct excise_store *st, int64_t frames)
{
	pthread_mutex_lock(&st->q_lock);
	st->wal_restart = frames;
	pthread_mutex_unlock(&st->q_lock);
}

void store_test_sync_hold(struct excise_store *st, bool hold)
{
	pthread_mutex_lock(&st->q_lock);
	st->test_hold = hold;
	pthread_cond_broadcast(&st->sy_cond);
	pthread_mutex_unlock(&st->q_lock);
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

/* ---- administration ---- */

/* A host by id, else by name (one only) into out[80]. */
static int resolve_host(struct db *db, const char *host, char out[80], struct excise_err *err)
{
	if (!host || !*host || strlen(host) > EXCISE_MAX_SUBMIT_FIELD)
		return err_set(err, -EXCISE_E_USAGE, "host: give a host id or a host name");
	struct db_stmt *s;
	int r = db_prepare(db, "SELECT id FROM host WHERE id = $1 UNION ALL SELECT id FROM host WHERE hostname = $1"
			       " AND id <> $1 LIMIT 3",
			   &s, err);
	if (r < 0)
		return r;
	db_bind_text(s, 1, host);
	int n = 0;
	while ((r = db_step(s, err)) == 1) {
		if (n == 0)
			snprintf(out, 80, "%s", db_column_text(s, 0));
		else if (!strcmp(out, host))
			break; /* the id matched first: it wins */
		n++;
	}
	db_finalize(s);
	if (r < 0)
		return r;
	if (n == 0)
		return err_set(err, -EXCISE_E_ABSENT, "host '%.200s': no host has this id or name", host);
	if (n > 1 && strcmp(out, host))
		return err_set(err, -EXCISE_E_USAGE, "host '%.200s': several hosts have this name: give the host id",
			       host);
	return 0;
}

static bool known_directive(const struct excise_store *st, const char *id)
{
	for (size_t i = 0; id && i < excise_catalog_n_directives(st->cat); i++)
		if (!strcmp(excise_catalog_directive(st->cat, i)->id, id))
			return true;
	return false;
}

int excise_store_host_retire(struct excise_store *st, const char *host, const char *reason, const char *who,
			     int64_t now, struct excise_err *err)
{
	int r = check_field("retire: reason", reason, false, err);
	if (r >= 0)
		r = check_field("retire: who", who, false, err);
	if (r < 0 || (r = adm_begin(st, err)) < 0)
		return r;
	char id[80], t[24];
	snprintf(t, sizeof(t), "%" PRId64, now);
	r = resolve_host(st->adm, host, id, err);
	const char *v[4] = { id, t, reason, who };
	if (r >= 0)
		r = db_run(st->adm,
			   "UPDATE host SET retired = CAST($2 AS BIGINT), retired_reason = $3, retired_by = $4 WHERE id = $1",
			   4, v, err);
	if (r >= 0)
		r = audit(st->adm, now, who, "host.retire", id, reason, err);
	return adm_end(st, r, err);
}

int excise_store_host_unretire(struct excise_store *st, const char *host, const char *who, int64_t now,
			       struct excise_err *err)
{
	int r = check_field("unretire: who", who, false, err);
	if (r < 0 || (r = adm_begin(st, err)) < 0)
		return r;
	char id[80];
	r = resolve_host(st->adm, host, id, err);
	const char *v[1] = { id };
	if (r >= 0)
		r = db_run(st->adm,
			   "UPDATE host SET retired = NULL, retired_reason = NULL, retired_by = NULL"
			   " WHERE id = $1 AND retired IS NOT NULL RETURNING id",
			   1, v, err);
	if (r == 0)
		r = err_set(err, -EXCISE_E_USAGE, "host '%.200s': not retired", host);
	if (r >= 0)
		r = audit(st->adm, now, who, "host.unretire", id, NULL, err);
	return adm_end(st, r, err);
}

int excise_store_exempt(struct excise_store *st, const char *host, const char *directive_id, const char *reason,
			const char *approver, int64_t expires, int64_t now, char **ret_id, struct excise_err *err)
{
	if (ret_id)
		*ret_id = NULL;
	if (!known_directive(st, directive_id))
		return err_set(err, -EXCISE_E_USAGE, "exemption: '%.80s' is no directive of the catalog",
			       directive_id ? directive_id : "");
	int r = check_field("exemption: reason", reason, false, err);
	if (r >= 0)
		r = check_field("exemption: approver", approver, false, err);
	if (r >= 0 && expires && expires <= now)
		r = err_set(err, -EXCISE_E_USAGE, "exemption: the expiry is not in the future");
	if (r < 0 || (r = adm_begin(st, err)) < 0)
		return r;
	char hid[80], id[17], t[24], x[24];
	random_hex(id, 8);
	snprintf(t, sizeof(t), "%" PRId64, now);
	snprintf(x, sizeof(x), "%" PRId64, expires);
	r = resolve_host(st->adm, host, hid, err);
	const char *v[7] = { id, hid, directive_id, reason, approver, t, expires ? x : NULL };
	if (r >= 0)
		r = db_run(st->adm,
			   "INSERT INTO exemption (id, host_id, directive_id, reason, approver, created, expires, revoked)"
			   " VALUES ($1, $2, $3, $4, $5, CAST($6 AS BIGINT), CAST($7 AS BIGINT), NULL)",
			   7, v, err);
	char detail[EXCISE_MAX_SUBMIT_FIELD + 128];
	snprintf(detail, sizeof(detail), "exemption %s from %s until %s: %s", id, directive_id, expires ? x : "revoked",
		 reason);
	if (r >= 0)
		r = audit(st->adm, now, approver, "exemption.add", hid, detail, err);
	r = adm_end(st, r, err);
	if (r >= 0 && ret_id && !(*ret_id = strdup(id)))
		r = err_set(err, -ENOMEM, "store: out of memory");
	return r;
}

int excise_store_exempt_revoke(struct excise_store *st, const char *id, const char *who, int64_t now,
			       struct excise_err *err)
{
	int r = check_field("revoke: who", who, false, err);
	if (r < 0 || (r = adm_begin(st, err)) < 0)
		return r;
	char t[24];
	snprintf(t, sizeof(t), "%" PRId64, now);
	const char *v[2] = { id, t };
	r = db_run(st->adm,
		   "UPDATE exemption SET revoked = CAST($2 AS BIGINT) WHERE id = $1 AND revoked IS NULL RETURNING id", 2,
		   v, err);
	if (r == 0)
		r = err_set(err, -EXCISE_E_ABSENT, "exemption '%.40s': no such exemption, or already revoked",
			    id ? id : "");
	if (r >= 0)
		r = audit(st->adm, now, who, "exemption.revoke", id, NULL, err);
	return adm_end(st, r, err);
}

int excise_store_directive_start(struct excise_store *st, const char *directive_id, int64_t start, const char *who,
				 int64_t now, struct excise_err *err)
{
	if (!known_directive(st, directive_id))
		return err_set(err, -EXCISE_E_USAGE, "directive '%.80s': not in the catalog",
			       directive_id ? directive_id : "");
	int r = check_field("directive start: who", who, false, err);
	if (r >= 0 && start < 0)
		r = err_set(err, -EXCISE_E_USAGE, "directive start: a date before 1970");
	if (r < 0 || (r = adm_begin(st, err)) < 0)
		return r;
	char s[24], t[24];
	snprintf(s, sizeof(s), "%" PRId64, start);
	snprintf(t, sizeof(t), "%" PRId64, now);
	const char *v[4] = { directive_id, s, who, t };
	if (start)
		r = db_run(st->adm,
			   "INSERT INTO directive_start (directive_id, start, set_by, set_at) VALUES ($1, CAST($2 AS BIGINT),"
			   " $3, CAST($4 AS BIGINT)) ON CONFLICT (directive_id) DO UPDATE SET start = excluded.start,"
			   " set_by = excluded.set_by, set_at = excluded.set_at",
			   4, v, err);
	else
		r = db_run(st->adm, "DELETE FROM directive_start WHERE directive_id = $1", 1, v, err);
	if (r >= 0)
		r = audit(st->adm, now, who, start ? "directive.start" : "directive.start.clear", directive_id,
			  start ? s : NULL, err);
	return adm_end(st, r, err);
}

/* ---- filings of the organisation's reports (docs/fleet.md, "Reports filed") ---- */

static const struct excise_directive *directive_of(const struct excise_store *st, const char *id)
{
	for (size_t i = 0; id && i < excise_catalog_n_directives(st->cat); i++)
		if (!strcmp(excise_catalog_directive(st->cat, i)->id, id))
			return excise_catalog_directive(st->cat, i);
	return NULL;
}

int excise_store_filing_add(struct excise_store *st, const char *directive_id, const char *milestone_id,
			    const char *org_unit, int64_t filed, const char *reference, const char *who, int64_t now,
			    char **ret_id, struct excise_err *err)
{
	if (ret_id)
		*ret_id = NULL;
	const struct excise_directive *d = directive_of(st, directive_id);
	if (!d)
		return err_set(err, -EXCISE_E_USAGE, "filing: '%.80s' is no directive of the catalog",
			       directive_id ? directive_id : "");
	size_t m = 0;
	while (m < d->n_milestones && (!milestone_id || strcmp(d->milestones[m].id, milestone_id)))
		m++;
	if (m == d->n_milestones)
		return err_set(err, -EXCISE_E_USAGE, "filing: '%.40s' is no milestone of %s", milestone_id ? milestone_id : "",
			       d->id);
	if (!excise_fleet_takes_filing(d, m))
		return err_set(err, -EXCISE_E_USAGE,
			       "filing: milestone %s of %s (%s) is not a report the organisation files (its status comes "
			       "from the hosts' documents or a fixed date)",
			       d->milestones[m].id, d->id, d->milestones[m].action);
	int r = check_field("filing: reference", reference, false, err);
	if (r >= 0)
		r = check_field("filing: who", who, false, err);
	if (r >= 0 && org_unit)
		r = check_org_unit(org_unit, err);
	if (r >= 0 && (filed < 0 || filed >= (now / 86400 + 1) * 86400))
		r = err_set(err, -EXCISE_E_USAGE, "filing: the day it was filed is after today (or before 1970)");
	if (r < 0 || (r = adm_begin(st, err)) < 0)
		return r;
	char id[17], fd[24], t[24];
	random_hex(id, 8);
	snprintf(fd, sizeof(fd), "%" PRId64, filed - filed % 86400);
	snprintf(t, sizeof(t), "%" PRId64, now);
	if (org_unit) {
		/* a unit nothing names covers nothing: a typing error, refused */
		const char *ov[1] = { org_unit };
		r = db_run(st->adm, "SELECT id FROM org_unit WHERE id = $1", 1, ov, err);
		if (r == 0)
			r = err_set(err, -EXCISE_E_USAGE,
				    "filing: org unit '%.200s' is unknown (no secret or inventory names it)", org_unit);
	}
	const char *v[8] = { id, d->id, d->milestones[m].id, org_unit, fd, reference, who, t };
	if (r >= 0)
		r = db_run(st->adm,
			   "INSERT INTO filing (id, directive_id, milestone_id, org_unit_id, filed, reference, recorded_by,"
			   " recorded, revoked, revoked_by, revoke_reason) VALUES ($1, $2, $3, $4, CAST($5 AS BIGINT), $6, $7,"
			   " CAST($8 AS BIGINT), NULL, NULL, NULL)",
			   8, v, err);
	char detail[2 * EXCISE_MAX_SUBMIT_FIELD + 256];
	snprintf(detail, sizeof(detail), "%s %s filed %s for %s: %s", d->id, d->milestones[m].id, fd,
		 org_unit ? org_unit : "the whole organisation", reference);
	if (r >= 0)
		r = audit(st->adm, now, who, "filing.add", id, detail, err);
	r = adm_end(st, r, err);
	if (r >= 0 && ret_id && !(*ret_id = strdup(id)))
		r = err_set(err, -ENOMEM, "store: out of memory");
	return r;
}

int excise_store_filing_revoke(struct excise_store *st, const char *id, const char *reason, const char *who,
			       int64_t now, struct excise_err *err)
{
	int r = check_field("filing revoke: reason", reason, false, err);
	if (r >= 0)
		r = check_field("filing revoke: who", who, false, err);
	if (r < 0 || (r = adm_begin(st, err)) < 0)
		return r;
	char t[24];
	snprintf(t, sizeof(t), "%" PRId64, now);
	const char *v[4] = { id, t, who, reason };
	r = db_run(st->adm,
		   "UPDATE filing SET revoked = CAST($2 AS BIGINT), revoked_by = $3, revoke_reason = $4"
		   " WHERE id = $1 AND revoked IS NULL RETURNING id",
		   4, v, err);
	if (r == 0)
		r = err_set(err, -EXCISE_E_ABSENT, "filing '%.40s': no such filing, or already revoked", id ? id : "");
	if (r >= 0)
		r = audit(st->adm, now, who, "filing.revoke", id, reason, err);
	return adm_end(st, r, err);
}

void excise_exemption_free(struct excise_exemption *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].host_id);
		free(v[i].hostname);
		free(v[i].directive);
		free(v[i].reason);
		free(v[i].approver);
	}
	free(v);
}

int excise_store_exempt_list(struct excise_store *st, const char *directive_id, struct excise_exemption **ret,
			     size_t *n, struct excise_err *err)
{
	*ret = NULL;
	*n = 0;
	pthread_mutex_lock(&st->adm_lock);
	struct db_stmt *s = NULL;
	int r = db_prepare(st->adm,
			   directive_id ? "SELECT e.id, e.host_id, h.hostname, e.directive_id, e.reason, e.approver, e.created,"
					  " e.expires, e.revoked FROM exemption e LEFT JOIN host h ON h.id = e.host_id"
					  " WHERE e.directive_id = $1 ORDER BY e.directive_id, e.created, e.id"
					: "SELECT e.id, e.host_id, h.hostname, e.directive_id, e.reason, e.approver, e.created,"
					  " e.expires, e.revoked FROM exemption e LEFT JOIN host h ON h.id = e.host_id"
					  " ORDER BY e.directive_id, e.created, e.id",
			   &s, err);
	if (r >= 0 && directive_id)
		db_bind_text(s, 1, directive_id);
	struct excise_exemption *v = NULL;
	size_t k = 0;
	while (r >= 0 && (r = db_step(s, err)) == 1) {
		struct excise_exemption *nv = realloc(v, (k + 1) * sizeof(*v));
		if (!nv) {
			r = err_set(err, -ENOMEM, "store: out of memory");
			break;
		}
		v = nv;
		struct excise_exemption *e = &v[k++];
		int e2 = 0;
		*e = (struct excise_exemption){ 0 };
		e->id = strdup_or_null(db_column_text(s, 0), &e2);
		e->host_id = strdup_or_null(db_column_text(s, 1), &e2);
		e->hostname = strdup_or_null(db_column_text(s, 2), &e2);
		e->directive = strdup_or_null(db_column_text(s, 3), &e2);
		e->reason = strdup_or_null(db_column_text(s, 4), &e2);
		e->approver = strdup_or_null(db_column_text(s, 5), &e2);
		e->created = db_column_int64(s, 6);
		e->expires = db_column_int64(s, 7);
		e->revoked = db_column_int64(s, 8);
		if (e2 < 0) {
			r = err_set(err, -ENOMEM, "store: out of memory");
			break;
		}
	}
	db_finalize(s);
	pthread_mutex_unlock(&st->adm_lock);
	if (r < 0) {
		excise_exemption_free(v, k);
		return r;
	}
	*ret = v;
	*n = k;
	return 0;
}

void excise_filing_free(struct excise_filing *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].directive);
		free(v[i].milestone);
		free(v[i].org_unit);
		free(v[i].reference);
		free(v[i].recorded_by);
		free(v[i].revoked_by);
		free(v[i].revoke_reason);
	}
	free(v);
}

int store_filings_read(struct db *db, const char *directive_id, struct excise_filing **ret, size_t *n,
		       struct excise_err *err)
{
	*ret = NULL;
	*n = 0;
	struct db_stmt *s = NULL;
	int r = db_prepare(db,
			   directive_id ? "SELECT id, directive_id, milestone_id, org_unit_id, filed, reference, recorded_by,"
					  " recorded, revoked, revoked_by, revoke_reason FROM filing WHERE directive_id = $1"
					  " ORDER BY directive_id, milestone_id, filed, id"
					: "SELECT id, directive_id, milestone_id, org_unit_id, filed, reference, recorded_by,"
					  " recorded, revoked, revoked_by, revoke_reason FROM filing"
					  " ORDER BY directive_id, milestone_id, filed, id",
			   &s, err);
	if (r < 0)
		return r;
	if (directive_id)
		db_bind_text(s, 1, directive_id);
	struct excise_filing *v = NULL;
	size_t k = 0;
	while ((r = db_step(s, err)) == 1) {
		struct excise_filing *nv = realloc(v, (k + 1) * sizeof(*v));
		if (!nv) {
			r = err_set(err, -ENOMEM, "store: out of memory");
			break;
		}
		v = nv;
		struct excise_filing *e = &v[k++];
		int e2 = 0;
		*e = (struct excise_filing){ 0 };
		e->id = strdup_or_null(db_column_text(s, 0), &e2);
		e->directive = strdup_or_null(db_column_text(s, 1), &e2);
		e->milestone = strdup_or_null(db_column_text(s, 2), &e2);
		e->org_unit = strdup_or_null(db_column_text(s, 3), &e2);
		e->filed = db_column_int64(s, 4);
		e->reference = strdup_or_null(db_column_text(s, 5), &e2);
		e->recorded_by = strdup_or_null(db_column_text(s, 6), &e2);
		e->recorded = db_column_int64(s, 7);
		e->revoked = db_column_int64(s, 8);
		e->revoked_by = strdup_or_null(db_column_text(s, 9), &e2);
		e->revoke_reason = strdup_or_null(db_column_text(s, 10), &e2);
		if (e2 < 0) {
			r = err_set(err, -ENOMEM, "store: out of memory");
			break;
		}
	}
	db_finalize(s);
	if (r < 0) {
		excise_filing_free(v, k);
		return r;
	}
	*ret = v;
	*n = k;
	return 0;
}

int excise_store_filing_list(struct excise_store *st, const char *directive_id, struct excise_filing **ret,
			     size_t *n, struct excise_err *err)
{
	pthread_mutex_lock(&st->adm_lock);
	int r = store_filings_read(st->adm, directive_id, ret, n, err);
	pthread_mutex_unlock(&st->adm_lock);
	return r;
}

int excise_store_prune(struct excise_store *st, unsigned days, const char *who, int64_t now, uint64_t *ret_docs,
		       struct excise_err *err)
{
	if (ret_docs)
		*ret_docs = 0;
	if (!days)
		return err_set(err, -EXCISE_E_USAGE, "retention: keep at least 1 day");
	int r = check_field("retention: who", who, false, err);
	if (r < 0 || (r = adm_begin(st, err)) < 0)
		return r;
	char cut[24];
	snprintf(cut, sizeof(cut), "%" PRId64, now - (int64_t)days * 86400);
	const char *v[1] = { cut };
#define LATEST(t)                                                                                              \
	"COALESCE((SELECT d.doc_id FROM document d WHERE d.host_id = " t ".host_id AND d.kind = 'report'"      \
	" AND d.complete = 1 ORDER BY d.created DESC, d.doc_id DESC LIMIT 1), '')"
	r = db_run(st->adm, "DELETE FROM finding WHERE received < CAST($1 AS BIGINT) AND doc_id <> " LATEST("finding"), 1,
		   v, err);
	int n = 0;
	if (r >= 0)
		r = n = db_run(st->adm,
			       "DELETE FROM document WHERE received < CAST($1 AS BIGINT) AND doc_id <> " LATEST("document")
			       " RETURNING 1",
			       1, v, err);
#undef LATEST
	char detail[96];
	snprintf(detail, sizeof(detail), "%d documents received before %s deleted (%u days kept)", n, cut, days);
	if (r >= 0)
		r = audit(st->adm, now, who, "retention.prune", NULL, detail, err);
	r = adm_end(st, r, err);
	if (r >= 0 && ret_docs)
		*ret_docs = (uint64_t)n;
	return r;
}

/* ---- expected inventory ---- */

struct inv_row {
	char *ou, *name;
	size_t line;
};

struct inv {
	struct inv_row *v;
	size_t n, cap;
	char **problems;
	size_t n_problems, n_more;
};

static int PRINTF(3, 4) inv_problem(struct inv *iv, size_t line, const char *fmt, ...)
{
	if (iv->n_problems >= EXCISE_MAX_INVENTORY_PROBLEMS) {
		iv->n_more++;
		return 0;
	}
	char msg[EXCISE_ERR_MSG], *s;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char **nv = realloc(iv->problems, (iv->n_problems + 2) * sizeof(*nv));
	if (!nv || asprintf(&s, "line %zu: %s", line, msg) < 0) {
		if (nv)
			iv->problems = nv;
		return -ENOMEM;
	}
	iv->problems = nv;
	iv->problems[iv->n_problems++] = s;
	iv->problems[iv->n_problems] = NULL;
	return 0;
}

/* One row's fields (already unquoted). */
static int inv_row(struct inv *iv, size_t line, char **f, size_t nf, bool first)
{
	if (nf == 1 && !*f[0])
		return 0; /* an empty line */
	if (first && nf == 2 && !strcasecmp(f[0], "org_unit") && !strcasecmp(f[1], "hostname"))
		return 0;
	if (nf != 2)
		return inv_problem(iv, line, "expected 2 fields (org unit, host name), found %zu", nf);
	struct excise_err e = { 0 };
	if (check_org_unit(f[0], &e) < 0)
		return inv_problem(iv, line, "%s", e.msg);
	if (check_field("host name", f[1], false, &e) < 0 || strlen(f[1]) > 255)
		return inv_problem(iv, line, "%s", e.msg[0] ? e.msg : "host name: more than 255 bytes");
	if (iv->n == iv->cap) {
		size_t cap = iv->cap ? 2 * iv->cap : 64;
		struct inv_row *nv = realloc(iv->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		iv->v = nv;
		iv->cap = cap;
	}
	struct inv_row *r = &iv->v[iv->n];
	if (!(r->ou = strdup(f[0])) || !(r->name = strdup(f[1]))) {
		free(r->ou);
		return -ENOMEM;
	}
	r->line = line;
	iv->n++;
	return 0;
}

static int inv_cmp(const void *a, const void *b)
{
	const struct inv_row *x = a, *y = b;
	int c = strcmp(x->ou, y->ou);
	if (!c)
		c = strcmp(x->name, y->name);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* RFC 4180 into rows; a quoted field may hold commas, doubled quotes and newlines. */
static int inv_parse(struct inv *iv, const char *csv, size_t len)
{
	struct buf field;
	buf_init(&field, EXCISE_MAX_SUBMIT_FIELD + 1);
	char *f[8];
	size_t nf = 0, line = 1, row_line = 1, rows = 0;
	bool quoted = false, was_quoted = false, bad = false;
	int r = 0;
	for (size_t i = 0; r >= 0 && i <= len; i++) {
		char c = i < len ? csv[i] : '\n';
		bool at_end = i == len;
		if (quoted) {
			if (at_end) {
				r = inv_problem(iv, row_line, "a quoted field is not closed");
				break;
			}
			if (c == '"' && i + 1 < len && csv[i + 1] == '"') {
				buf_addc(&field, '"');
				i++;
			} else if (c == '"')
				quoted = false;
			else {
				if (c == '\n')
					line++;
				buf_addc(&field, c);
			}
			continue;
		}
		if (c == '"' && field.n == 0 && !was_quoted) {
			quoted = was_quoted = true;
			continue;
		}
		if (c == ',' || c == '\n') {
			if (at_end && nf == 0 && field.n == 0 && !was_quoted)
				break; /* the file ended with a newline */
			if (c == '\n' && field.n && field.p[field.n - 1] == '\r')
				field.p[--field.n] = '\0';
			if (field.err)
				bad = true;
			if (nf < ARRAY_SIZE(f) && !(f[nf] = strdup(field.p)))
				r = -ENOMEM;
			nf++;
			buf_clear(&field);
			was_quoted = false;
			if (c == '\n' && r >= 0) {
				if (++rows > EXCISE_MAX_INVENTORY_ROWS) {
					r = inv_problem(iv, row_line, "more than EXCISE_MAX_INVENTORY_ROWS (%u) rows",
							EXCISE_MAX_INVENTORY_ROWS);
					iv->n_more = 0;
					break;
				}
				if (bad)
					r = inv_problem(iv, row_line, "a field longer than %u bytes", EXCISE_MAX_SUBMIT_FIELD);
				else if (nf > ARRAY_SIZE(f))
					r = inv_problem(iv, row_line, "expected 2 fields (org unit, host name), found %zu", nf);
				else
					r = inv_row(iv, row_line, f, nf, rows == 1);
				for (size_t k = 0; k < nf && k < ARRAY_SIZE(f); k++)
					free(f[k]);
				nf = 0;
				bad = false;
				row_line = ++line;
			}
			continue;
		}
		if (was_quoted && c != '\r') {
			r = inv_problem(iv, row_line, "text after a closing quote");
			/* skip to the end of the line */
			while (i + 1 < len && csv[i + 1] != '\n')
				i++;
			for (size_t k = 0; k < nf && k < ARRAY_SIZE(f); k++)
				free(f[k]);
			nf = 0;
			buf_clear(&field);
			was_quoted = false;
			i++;
			rows++;
			row_line = ++line;
			continue;
		}
		buf_addc(&field, c);
	}
	for (size_t k = 0; k < nf && k < ARRAY_SIZE(f); k++)
		free(f[k]);
	buf_done(&field);
	return r;
}

int excise_store_inventory_import(struct excise_store *st, const char *csv, size_t len, const char *who,
				  int64_t now, size_t *ret_rows, char ***ret_problems, struct excise_err *err)
{
	if (ret_rows)
		*ret_rows = 0;
	if (ret_problems)
		*ret_problems = NULL;
	if (len > EXCISE_MAX_INVENTORY_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "inventory: %zu bytes, more than EXCISE_MAX_INVENTORY_SIZE (%u)", len,
			       EXCISE_MAX_INVENTORY_SIZE);
	int r = check_field("inventory: who", who, false, err);
	if (r < 0)
		return r;
	if (!utf8_valid(csv, len) || memchr(csv, '\0', len))
		return err_set(err, -EXCISE_E_CORRUPT, "inventory: not UTF-8 text");
	struct inv iv = { 0 };
	r = inv_parse(&iv, csv, len);
	if (r >= 0 && iv.n > 1) {
		qsort(iv.v, iv.n, sizeof(*iv.v), inv_cmp);
		for (size_t i = 1; r >= 0 && i < iv.n; i++)
			if (!strcmp(iv.v[i].ou, iv.v[i - 1].ou) && !strcmp(iv.v[i].name, iv.v[i - 1].name))
				r = inv_problem(&iv, iv.v[i].line, "the same org unit and host name as line %zu",
						iv.v[i - 1].line);
	}
	if (r >= 0 && iv.n_more) {
		char *s;
		if (asprintf(&s, "and %zu more bad rows", iv.n_more) < 0)
			r = -ENOMEM;
		else {
			iv.problems[iv.n_problems++] = s; /* room was left for the NULL */
			char **nv = realloc(iv.problems, (iv.n_problems + 1) * sizeof(*nv));
			if (nv)
				iv.problems = nv;
			iv.problems[iv.n_problems] = NULL;
		}
	}
	if (r >= 0 && iv.n_problems)
		r = err_set(err, -EXCISE_E_CORRUPT, "inventory: %zu bad rows, nothing imported (%s)",
			    iv.n_problems + iv.n_more - (iv.n_more ? 1 : 0), iv.problems[0]);
	else if (r == -ENOMEM)
		r = err_set(err, r, "inventory: out of memory");
	size_t imported = 0;
	if (r >= 0 && (r = adm_begin(st, err)) >= 0) {
		struct db_stmt *s = NULL;
		char t[24];
		snprintf(t, sizeof(t), "%" PRId64, now);
		r = db_prepare(st->adm,
			       "INSERT INTO expected_host (org_unit_id, hostname, imported) VALUES ($1, $2, $3)"
			       " ON CONFLICT (org_unit_id, hostname) DO NOTHING RETURNING 1",
			       &s, err);
		for (size_t i = 0; r >= 0 && i < iv.n; i++) {
			if (i == 0 || strcmp(iv.v[i].ou, iv.v[i - 1].ou))
				r = org_unit_ensure(st->adm, iv.v[i].ou, err);
			if (r < 0)
				break;
			db_bind_text(s, 1, iv.v[i].ou);
			db_bind_text(s, 2, iv.v[i].name);
			db_bind_int64(s, 3, now);
			int k;
			while ((k = db_step(s, err)) == 1)
				imported++;
			db_reset(s);
			r = k;
		}
		db_finalize(s);
		char detail[96];
		snprintf(detail, sizeof(detail), "%zu rows, %zu new", iv.n, imported);
		if (r >= 0)
			r = audit(st->adm, now, who, "inventory.import", NULL, detail, err);
		r = adm_end(st, r, err);
	}
	for (size_t i = 0; i < iv.n; i++) {
		free(iv.v[i].ou);
		free(iv.v[i].name);
	}
	free(iv.v);
	if (ret_problems && iv.problems)
		*ret_problems = iv.problems;
	else
		excise_strv_free(iv.problems);
	if (r >= 0 && ret_rows)
		*ret_rows = imported;
	return r < 0 ? r : 0;
}
