/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector's storage (lib/fleet/store*.c): one interface, two backends.
 * A path (or "sqlite:PATH") opens a SQLite database; a "postgresql://" or
 * "postgres://" URL opens PostgreSQL through libpq. Both hold the same schema,
 * brought to the current version by migrations when the store is opened.
 *
 * Writes of submitted documents go through a writer thread that commits in groups
 * (SQLite: one per store; PostgreSQL: pg_writers, a host's documents always on one); excise_store_submit returns only once its document's
 * transaction is on disk (SQLite: WAL, synchronous=FULL; PostgreSQL:
 * synchronous_commit on), so a collector may answer 200 when it returns.
 * Every other call is safe from any thread.
 */
#ifndef EXCISE_STORE_H
#define EXCISE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/catalog.h"
#include "excise/error.h"
#include "excise/limits.h"
#include "excise/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct excise_store;

#define EXCISE_STORE_BATCH_MAX 256u     /* documents per group commit, by default */
#define EXCISE_STORE_BATCH_WAIT_MS 0u   /* ms the writer waits for more documents once it has one, by default (0: it takes what queued while it committed the group before) */
#define EXCISE_STORE_QUEUE_MAX 4096u    /* documents queued for the writer, by default */
#define EXCISE_STORE_QUEUE_BYTES (256u << 20) /* bytes of documents queued for the writer: then busy too */
#define EXCISE_STORE_PG_WRITERS 4u      /* writer threads on PostgreSQL, by default (SQLite: always 1) */
#define EXCISE_STORE_MAX_WRITERS 32u    /* writer threads at most */
#define EXCISE_STORE_KEY_CACHE_SECONDS 30u /* a host key read from the database is used from memory this long, by default */

struct excise_store_opts {
	const struct excise_catalog *catalog; /* directives and products; borrowed, outlives the store */
	const uint8_t *master_key;    /* 32 bytes host keys are derived from (HMAC-SHA256(master, host id, epoch)); required */
	unsigned batch_max;           /* documents per group commit (0: EXCISE_STORE_BATCH_MAX) */
	unsigned batch_wait_ms;       /* longest a document waits for its group to fill (0: EXCISE_STORE_BATCH_WAIT_MS) */
	unsigned queue_max;           /* documents waiting for the writer before submit says busy (0: EXCISE_STORE_QUEUE_MAX) */
	bool sync_normal;             /* SQLite synchronous=NORMAL: faster, the last commits may be lost on power loss */
	unsigned pg_writers;          /* PostgreSQL: writer threads, each with its connection and group commit; a host's
				       * documents always on the same one (0: EXCISE_STORE_PG_WRITERS; at most
				       * EXCISE_STORE_MAX_WRITERS) */
	unsigned key_cache_ms;        /* ms excise_store_host_key_cached uses a host key before reading its epoch again
	                               * (0: EXCISE_STORE_KEY_CACHE_SECONDS s) */
	bool read_only;               /* for reading only (excise report): SQLite opened read-only (a missing file is
				       * an error, nothing is created beside it), PostgreSQL a read-only session; no
				       * writer thread, no migration (a database of another schema version is refused:
				       * an older one needs `excise serve` started once); every write fails,
				       * -EXCISE_E_REFUSED */
};

/* Open (creating a SQLite file and its folder's database files if need be) and migrate.
 * -EXCISE_E_CORRUPT for a database of a newer schema than this build knows (read_only:
 * of any other schema version). */
EXCISE_API int excise_store_open(const char *url, const struct excise_store_opts *o, struct excise_store **ret,
				 struct excise_err *err);
/* Stop the writer after committing what it holds, close, free. NULL is fine. */
EXCISE_API void excise_store_close(struct excise_store *st);
EXCISE_API const char *excise_store_backend(const struct excise_store *st); /* "sqlite" or "postgresql" */

/* ---- enrollment secrets, scoped to an org unit ("agency/bureau/site", 1 to 3 levels) ---- */

struct excise_secret_info {
	char *id;             /* short public id, for listing and revoking */
	char *org_unit;       /* "agency/bureau/site" */
	int64_t created, expires, revoked; /* unix seconds; revoked 0 when not */
	char *note;
	uint64_t hosts;       /* hosts enrolled with it */
};

/* A new secret for `org_unit` valid until `expires`: its text (shown once; only its hash
 * is stored) and its id. */
EXCISE_API int excise_store_secret_create(struct excise_store *st, const char *org_unit, int64_t expires,
					  const char *note, int64_t now, char **ret_secret, char **ret_id,
					  struct excise_err *err);
EXCISE_API int excise_store_secret_list(struct excise_store *st, struct excise_secret_info **ret, size_t *n,
					struct excise_err *err);
EXCISE_API void excise_secret_info_free(struct excise_secret_info *v, size_t n);
EXCISE_API int excise_store_secret_revoke(struct excise_store *st, const char *id, int64_t now,
					  struct excise_err *err);

/* ---- hosts ---- */

struct excise_enroll_req {
	const char *secret;
	const char *machine_id;   /* the host's stable identity (machine-id, MachineGuid, hardware UUID) */
	const char *hostname;
	const char *platform;     /* linux, windows, macos */
	const char *os;           /* free text, "Debian GNU/Linux 12" */
	const char *version;      /* excise's version */
};

/* Enroll: a new host in the secret's org unit, or the host already enrolled with that
 * machine id (it keeps its id and history; its key is rotated). -EXCISE_E_AUTH for an
 * unknown, expired or revoked secret. */
EXCISE_API int excise_store_enroll(struct excise_store *st, const struct excise_enroll_req *req, int64_t now,
				   char **ret_host_id, uint8_t ret_key[EXCISE_HOST_KEY_BYTES], struct excise_err *err);

/* The current key of `host_id`, read from the database; -EXCISE_E_ABSENT for an unknown host. */
EXCISE_API int excise_store_host_key(struct excise_store *st, const char *host_id,
				     uint8_t ret_key[EXCISE_HOST_KEY_BYTES], struct excise_err *err);

/* The key of `host_id` from the store's memory when it was read (or made by an
 * enrollment through this store) less than key_cache_ms ago (*ret_cached true), else
 * as excise_store_host_key. An enrollment through this store replaces the key at once;
 * one through another store on the same database (another collector) is seen once the
 * cached key is key_cache_ms old. A signature that does not match a cached key should
 * be checked once more with excise_store_host_key's: the host may have enrolled again
 * through another collector. */
EXCISE_API int excise_store_host_key_cached(struct excise_store *st, const char *host_id,
					    uint8_t ret_key[EXCISE_HOST_KEY_BYTES], bool *ret_cached,
					    struct excise_err *err);

/* ---- documents ---- */

enum excise_submit_status { EXCISE_SUBMIT_STORED, EXCISE_SUBMIT_DUPLICATE };

struct excise_submit_result {
	enum excise_submit_status status;
	char kind[16];            /* "report", "plan", "removal", "attestation" */
	char doc_id[80];          /* report_id, attestation_id, run id, or "sha256:<hex>" of the bytes */
};

/* Store one document a host submitted (an excise.report/1 or /2, excise.plan/1,
 * excise.removal/1 or excise.attestation/1 as JSON bytes), durably, once: the same
 * document again is EXCISE_SUBMIT_DUPLICATE and changes nothing. The document must be
 * about the submitting host (its machine id). -EXCISE_E_CORRUPT (malformed, with the
 * place), -EXCISE_E_TOOBIG, -EXCISE_E_REFUSED (about another host), -EXCISE_E_ABSENT
 * (unknown host), -EXCISE_E_BUSY (the writer's queue is full: answer 429). */
EXCISE_API int excise_store_submit(struct excise_store *st, const char *host_id, const void *body, size_t len,
				   int64_t now, struct excise_submit_result *ret, struct excise_err *err);

/* As excise_store_submit, without waiting: 0 when queued, and `done` is called exactly
 * once, from the writer thread, after the document's group is committed (rc 0) or has
 * failed (rc < 0, `err` says why). A document refused before queueing (malformed, about
 * another host, busy) returns its error here and `done` is not called. `body` is not
 * kept past this call. */
typedef void (*excise_submit_done_fn)(void *ctx, int rc, const struct excise_submit_result *res,
				      const struct excise_err *err);
EXCISE_API int excise_store_submit_async(struct excise_store *st, const char *host_id, const void *body, size_t len,
					 int64_t now, excise_submit_done_fn done, void *ctx, struct excise_err *err);

/* What the store's writer threads have done since it opened: for benchmarks and
 * monitoring. Safe from any thread. */
struct excise_store_stats {
	unsigned writers;         /* writer threads (SQLite 1; PostgreSQL EXCISE_STORE_PG_WRITERS by default) */
	uint64_t documents;       /* documents applied (stored, duplicate or failed) */
	uint64_t groups;          /* group transactions committed or failed */
	uint64_t writer_cpu_ns;   /* CPU time the writer threads used (CLOCK_THREAD_CPUTIME_ID), added up */
	uint64_t wal_syncs;       /* SQLite: the syncer's fdatasyncs of the WAL (each answers every commit before it) */
	uint64_t syncer_cpu_ns;   /* SQLite: CPU time the syncer thread used (syncing, answering) */
};
EXCISE_API void excise_store_stats(struct excise_store *st, struct excise_store_stats *ret);

/* ---- administration: every call below writes a row of `audit` (at, actor `who`,
 * action, subject, detail) in the same transaction as its change ---- */

/* Retire a host (decommissioned: it stops counting in reports) or bring it back.
 * `host` is a host id or a host name; a name several hosts share is -EXCISE_E_USAGE
 * (give the id), an unknown one -EXCISE_E_ABSENT. A retired host that submits a
 * document again comes back by itself (audited as "host.unretire" by "ingest"). */
EXCISE_API int excise_store_host_retire(struct excise_store *st, const char *host, const char *reason,
					const char *who, int64_t now, struct excise_err *err);
EXCISE_API int excise_store_host_unretire(struct excise_store *st, const char *host, const char *who, int64_t now,
					  struct excise_err *err);

/* Exempt a host (id or name, as above) from directive `directive_id` (one of the
 * catalog's, else -EXCISE_E_USAGE) with a reason and its approver, until `expires`
 * (unix seconds; 0: no expiry). *ret_id (may be NULL; free()) names it for revoking. */
EXCISE_API int excise_store_exempt(struct excise_store *st, const char *host, const char *directive_id,
				   const char *reason, const char *approver, int64_t expires, int64_t now,
				   char **ret_id, struct excise_err *err);
EXCISE_API int excise_store_exempt_revoke(struct excise_store *st, const char *id, const char *who, int64_t now,
					  struct excise_err *err);

/* One exemption as stored (times unix seconds, 0 for never). */
struct excise_exemption {
	char *id, *host_id, *hostname, *directive, *reason, *approver;
	int64_t created, expires, revoked;
};
/* Every exemption (of `directive_id`, or of all directives when NULL), revoked and expired
 * ones too, by directive, creation time and id. */
EXCISE_API int excise_store_exempt_list(struct excise_store *st, const char *directive_id,
					struct excise_exemption **ret, size_t *n, struct excise_err *err);
EXCISE_API void excise_exemption_free(struct excise_exemption *v, size_t n);

/* Import an expected inventory: CSV (RFC 4180, UTF-8, fields optionally in double
 * quotes, rows ended by LF or CRLF) of two columns, org unit path and host name,
 * with an optional header row `org_unit,hostname`. At most EXCISE_MAX_INVENTORY_SIZE
 * bytes and EXCISE_MAX_INVENTORY_ROWS rows. All or nothing: a bad row (wrong number
 * of fields, an invalid org unit, an empty or too long name, a duplicate) makes it
 * -EXCISE_E_CORRUPT with nothing imported, and *ret_problems (NULL-terminated,
 * excise_strv_free) says "line N: ..." for each (the first
 * EXCISE_MAX_INVENTORY_PROBLEMS, then how many more). Rows add to the inventory
 * (one already there is kept). *ret_rows counts the rows imported. */
EXCISE_API int excise_store_inventory_import(struct excise_store *st, const char *csv, size_t len, const char *who,
					     int64_t now, size_t *ret_rows, char ***ret_problems,
					     struct excise_err *err);

/* The organisation's own start date (unix seconds) of directive `directive_id`
 * (one of the catalog's); 0 removes it (the catalog's dates apply again). */
EXCISE_API int excise_store_directive_start(struct excise_store *st, const char *directive_id, int64_t start,
					    const char *who, int64_t now, struct excise_err *err);

/* The organisation filed the report a milestone of a directive asks for (FAR 52.204-23
 * R1 and R2: docs/fleet.md, "Reports filed"). Times are unix seconds, 0 for never. */
struct excise_filing {
	char *id;
	char *directive, *milestone;  /* the catalog's ids ("far-52.204-23", "R1") */
	char *org_unit;               /* the unit it covers and those below it; NULL: the whole organisation */
	char *reference;              /* what identifies it: the DIBNet report number, a ticket */
	char *recorded_by;
	int64_t filed;                /* 00:00 UTC of the day it was filed */
	int64_t recorded;             /* when it was recorded */
	int64_t revoked;              /* when it was revoked (recorded in error), 0: it stands */
	char *revoked_by, *revoke_reason;
};

/* Record a filing of milestone `milestone_id` of directive `directive_id` (a milestone
 * that takes filings: excise_fleet_takes_filing, else -EXCISE_E_USAGE), filed on
 * the day of `filed` (not after the day of `now`), covering org unit `org_unit` (one
 * already known: a secret's or an inventory's; NULL: the whole organisation), with its
 * `reference`, recorded by `who`. *ret_id (may be NULL; free()) names it for revoking. */
EXCISE_API int excise_store_filing_add(struct excise_store *st, const char *directive_id, const char *milestone_id,
				       const char *org_unit, int64_t filed, const char *reference, const char *who,
				       int64_t now, char **ret_id, struct excise_err *err);
/* Revoke a filing recorded in error, saying why: it no longer counts from `now`. */
EXCISE_API int excise_store_filing_revoke(struct excise_store *st, const char *id, const char *reason,
					  const char *who, int64_t now, struct excise_err *err);
/* Every filing (of `directive_id`, or of all directives when NULL), revoked ones too, by
 * directive, milestone, filing day and id. */
EXCISE_API int excise_store_filing_list(struct excise_store *st, const char *directive_id,
					struct excise_filing **ret, size_t *n, struct excise_err *err);
EXCISE_API void excise_filing_free(struct excise_filing *v, size_t n);

/* Retention: delete the documents (and their findings) received more than `days`
 * days before `now`, except each host's latest complete report (the facts of
 * host_directive, status changes, hosts and the audit are kept).
 * *ret_docs (may be NULL) counts the documents deleted. */
EXCISE_API int excise_store_prune(struct excise_store *st, unsigned days, const char *who, int64_t now,
				  uint64_t *ret_docs, struct excise_err *err);

/*
 * excise.removal/1, the summary of one removal run that `excise submit RUN_DIR` sends:
 *   {"schema":"excise.removal/1", "run_id":"...", "host":{"machine_id":..., "hostname":...},
 *    "root":"/" or the offline root, "started":"RFC 3339", "finished":"RFC 3339" or null,
 *    "status":"done"|"failed"|"partial"|"running", "steps":{"total":n,"done":n,"failed":n,"skipped":n},
 *    "products":["product id", ...]}
 */

#ifdef __cplusplus
}
#endif
#endif
