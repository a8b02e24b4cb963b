/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent side of the collector protocol (include/excise/proto.h, docs/agent.md):
 * enrolling a machine with a collector, submitting documents signed with the host
 * key, and the spool that keeps what could not be delivered until it is.
 *
 *   state directory  /var/lib/excise/agent/ (opts.state_dir): one enrollment per
 *                    machine id, host-<sha256 of the machine id>.json, mode 0600
 *   spool directory  /var/lib/excise/spool/ (opts.spool_dir): one file per undelivered
 *                    document, <20-digit ns>-<16 hex>.spool, the oldest first by name;
 *                    rejected/ keeps what the collector refused, with the reason
 *
 * A machine is the live host or an offline root (its machine id as the scan reads
 * it), so one analyst can enroll and submit for every image scanned. Connections
 * are TLS verified (the system CAs, a CA file, or a pinned public key; plain http
 * only to a loopback address), no redirect is followed, every transfer has a deadline.
 */
#ifndef EXCISE_AGENT_H
#define EXCISE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/error.h"
#include "excise/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EXCISE_AGENT_STATE_DIR "/var/lib/excise/agent"
#define EXCISE_AGENT_SPOOL_DIR "/var/lib/excise/spool"
#define EXCISE_AGENT_BACKOFF_BASE 30        /* seconds: the first retry is due within this */
#define EXCISE_AGENT_BACKOFF_CAP 3600       /* seconds: no retry waits longer (Retry-After aside) */
#define EXCISE_AGENT_RETRY_AFTER_MAX 86400  /* seconds of a collector's Retry-After honoured at most */
#define EXCISE_AGENT_CONNECT_TIMEOUT 10     /* seconds to connect (TLS handshake included) */
#define EXCISE_AGENT_TIMEOUT 60             /* seconds for a whole request */
#define EXCISE_AGENT_SPOOL_FILES 1000u      /* documents the spool holds at most (default) */
#define EXCISE_AGENT_SPOOL_BYTES (512ull << 20) /* bytes the spool holds at most (default) */

struct excise_agent_opts {
	const char *state_dir;     /* NULL: EXCISE_AGENT_STATE_DIR */
	const char *spool_dir;     /* NULL: EXCISE_AGENT_SPOOL_DIR */
	uint64_t spool_max_bytes;  /* 0: EXCISE_AGENT_SPOOL_BYTES */
	unsigned spool_max_files;  /* 0: EXCISE_AGENT_SPOOL_FILES */
	unsigned backoff_base;     /* seconds; 0: EXCISE_AGENT_BACKOFF_BASE */
	unsigned backoff_cap;      /* seconds; 0: EXCISE_AGENT_BACKOFF_CAP */
};

/* How the collector's certificate is checked: neither given, the system CAs. */
struct excise_agent_tls {
	const char *ca_file;       /* PEM CA file: only these CAs are trusted */
	const char *pin;           /* "sha256//BASE64" of the collector's public key (CURLOPT_PINNEDPUBLICKEY):
				    * the key must match; with no ca_file the chain is not checked */
};

/* Enroll the machine `host` (its machine_id, hostname, platform, os) with the
 * collector at `url` with the enrollment `secret`, and keep the host id, the host key
 * (never shown), the URL and `tls` in the state directory for later submissions.
 * Enrolling again rotates the key. *ret_host_id (free()) may be NULL.
 * -EXCISE_E_AUTH when the collector refuses the secret, -EXCISE_E_REFUSED for another
 * answer, -EXCISE_E_IO (the message saying why) when it cannot be reached. */
EXCISE_API int excise_agent_enroll(const struct excise_agent_opts *o, const char *url,
				   const struct excise_agent_tls *tls, const char *secret,
				   const struct excise_host *host, char **ret_host_id, struct excise_err *err);

enum excise_agent_outcome {
	EXCISE_AGENT_STORED,       /* delivered: the collector stored it */
	EXCISE_AGENT_DUPLICATE,    /* delivered: the collector had it already */
	EXCISE_AGENT_SPOOLED,      /* not delivered now (unreachable, busy, failing, TLS, auth): in the spool */
	EXCISE_AGENT_REJECTED,     /* refused by the collector (a 4xx): kept in the spool's rejected/ */
	EXCISE_AGENT_DEFERRED,     /* flush: not due yet (its next try is in the future), or its collector is down */
};

struct excise_agent_result {
	enum excise_agent_outcome outcome;
	char kind[16];             /* "report", "plan", "removal", "attestation" */
	char id[80];               /* the collector's id of the document, when delivered */
	char spool_name[64];       /* the spool file, when spooled or rejected */
	char message[512];         /* why it was spooled or rejected (the collector's message) */
	bool reenroll;             /* 401 host_invalid: the collector does not know this host (or the machine
				    * has no enrollment here): enroll again */
	bool auth;                 /* 401: the collector refused the host's signature (its key, the clock) */
	bool tls;                  /* the collector's certificate or key was refused */
	unsigned attempts;         /* of this document so far (flush) */
	int64_t next_try;          /* unix seconds, when spooled */
};

/* Flags of excise_agent_submit. */
enum {
	EXCISE_AGENT_KEEP = 1u << 0,       /* never evicted (the report an attestation names) */
	EXCISE_AGENT_SPOOL_ONLY = 1u << 1, /* do not try now: spool it (the collector is known down) */
};

/* A connection to the collector kept open across the requests of one command
 * (keep-alive: one libcurl handle, whose connection is used again for the same
 * collector and opened anew when it was closed). Every excise_agent_submit and
 * excise_agent_flush given the same one shares it; NULL to either: a connection of its
 * own, closed when it returns. */
struct excise_agent_conn;
EXCISE_API struct excise_agent_conn *excise_agent_conn_new(void); /* NULL: out of memory */
EXCISE_API void excise_agent_conn_free(struct excise_agent_conn *c); /* NULL is fine */
/* Connections it opened so far. */
EXCISE_API unsigned long excise_agent_conn_connections(const struct excise_agent_conn *c);

/* Submit one document (an excise.report/1 or /2, excise.plan/1, excise.removal/1 or
 * excise.attestation/1, by its schema) for the machine it names (host.machine_id),
 * with that machine's enrollment, to `url` (NULL: the enrollment's). Delivered,
 * spooled or rejected as ret->outcome says; < 0 (nothing sent, nothing kept) when
 * the document is not one of those, names no machine, the machine is not enrolled
 * (-EXCISE_E_ABSENT), or it could not be spooled (-EXCISE_E_BUSY: the spool is full
 * of documents that may not be evicted). `name` labels messages. `conn` (may be NULL):
 * the connection it goes over (excise_agent_conn_new). */
EXCISE_API int excise_agent_submit(const struct excise_agent_opts *o, struct excise_agent_conn *conn,
				   const char *url, const char *name, const void *body, size_t len, unsigned flags,
				   struct excise_agent_result *ret, struct excise_err *err);

/* Called by the flush for each spooled document it considered. */
typedef void (*excise_agent_flush_fn)(void *userdata, const char *spool_name, const struct excise_agent_result *r);

struct excise_agent_flush_result {
	size_t delivered, rejected, failed, deferred, remaining;
	bool reenroll, tls, auth;
	unsigned long connections; /* connections opened by this flush (the documents of a collector share one:
				    * keep-alive; none when the connection it was given was still open) */
};

/* Send the spool's due documents, oldest first, over one connection a collector kept
 * open across them (keep-alive; `conn`, or one of its own when NULL); a collector that cannot be reached,
 * is busy (429) or failing (5xx) is not tried again in this flush (its later documents
 * are deferred). A failed document's next try is backed off (excise_agent_backoff),
 * or set by the collector's Retry-After. 0, or < 0 when the spool cannot be read. */
EXCISE_API int excise_agent_flush(const struct excise_agent_opts *o, struct excise_agent_conn *conn,
				  excise_agent_flush_fn fn, void *userdata, struct excise_agent_flush_result *ret,
				  struct excise_err *err);

/* The delay before the try after `attempts` failed ones (1, 2, ...): exponential
 * backoff with full jitter, `rnd` scaled into [0, min(cap, base * 2^(attempts-1))]
 * seconds (rnd uniform over 0..UINT32_MAX). */
EXCISE_API unsigned excise_agent_backoff(unsigned attempts, unsigned base, unsigned cap, uint32_t rnd);

EXCISE_API const char *excise_agent_outcome_name(enum excise_agent_outcome o);

#ifdef __cplusplus
}
#endif
#endif
