/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector (lib/serve/): `excise serve` over HTTP/1.1 or HTTPS with
 * libmicrohttpd. Hosts enroll with a secret (POST /v1/enroll), then submit
 * signed documents (POST /v1/submit, include/excise/proto.h) that go into an
 * excise_store; GET /v1/health answers without authentication. The protocol,
 * its status codes and limits: docs/collector.md.
 *
 * The library never prints: what a front end shows comes back as values, and
 * each access or error line goes to the log callback, every string in it from
 * a request escaped (text_escape). Signals are the front end's business: it
 * calls excise_serve_reload on SIGHUP and excise_serve_stop on SIGTERM.
 */
#ifndef EXCISE_SERVE_H
#define EXCISE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/catalog.h"
#include "excise/error.h"
#include "excise/limits.h"
#include "excise/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EXCISE_SERVE_DEFAULT_PORT 8443u
#define EXCISE_SERVE_DEFAULT_ADDRESS "0.0.0.0"
#define EXCISE_SERVE_STATE_DIR "/var/lib/excise/collector"   /* EXCISE_STATE_DIR/collector when that is set */
#define EXCISE_SERVE_DEFAULT_ORG_UNIT "default"             /* the org unit of the first start's secret */
#define EXCISE_SERVE_DEFAULT_STALE_DAYS 7u

/* The limits of one collector; excise_serve_config_init sets the defaults (limits.h). */
struct excise_serve_limits {
	size_t body_bytes;             /* EXCISE_MAX_SERVE_BODY */
	size_t header_bytes;           /* EXCISE_MAX_SERVE_HEADERS */
	unsigned connections;          /* EXCISE_MAX_SERVE_CONNECTIONS */
	unsigned connections_per_address; /* EXCISE_MAX_SERVE_CONN_PER_ADDRESS; 0: no cap */
	unsigned idle_seconds;         /* EXCISE_MAX_SERVE_IDLE_SECONDS */
	unsigned request_seconds;      /* EXCISE_MAX_SERVE_REQUEST_SECONDS */
	unsigned host_per_minute;      /* EXCISE_MAX_SERVE_HOST_PER_MINUTE; 0: no limit */
	unsigned threads;              /* 0: one per core */
	unsigned queue_max;            /* the store's write queue (0: the store's default) */
	unsigned batch_max;            /* documents per group commit (0: the store's default) */
	unsigned batch_wait_ms;        /* (0: the store's default) */
	unsigned pg_writers;           /* PostgreSQL writer threads (0: EXCISE_STORE_PG_WRITERS; at most
	                                * EXCISE_STORE_MAX_WRITERS; SQLite has one) */
	unsigned rate_hosts;           /* hosts the rate counts in one minute, EXCISE_MAX_SERVE_RATE_HOSTS (one
	                                * beyond: 429 until the minute ends) */
};

/* Everything `excise serve` runs with: the config file's members, then the flags. */
struct excise_serve_config {
	char *address;                 /* "0.0.0.0", "::", "127.0.0.1" */
	unsigned port;                 /* 0: any free port (excise_serve_port says which) */
	bool plain_http;               /* no TLS, asked for explicitly */
	char *tls_cert, *tls_key;      /* PEM files; NULL: the state folder's generated pair */
	char *database;                /* SQLite path, sqlite:PATH or postgresql:// URL; NULL: STATE/collector.db */
	char *master_key_file;         /* NULL: STATE/master.key */
	char *state_dir;               /* NULL: EXCISE_SERVE_STATE_DIR or $EXCISE_STATE_DIR/collector */
	int64_t replay_window;         /* seconds (EXCISE_PROTO_REPLAY_WINDOW) */
	unsigned stale_days;           /* a host silent this long is stale (read by excise report) */
	bool sync_normal;              /* SQLite synchronous=NORMAL (docs/collector.md says what is lost) */
	struct excise_serve_limits limits;
};

EXCISE_API void excise_serve_config_init(struct excise_serve_config *c);
EXCISE_API void excise_serve_config_done(struct excise_serve_config *c);
/* Read a JSON config file over `c` (members absent keep their values). Strict: an
 * unknown member, a wrong type or a value out of range is -EXCISE_E_CORRUPT with the
 * file and the member named. */
EXCISE_API int excise_serve_config_read(struct excise_serve_config *c, const char *path, struct excise_err *err);
/* "ADDR:PORT", "[V6]:PORT", ":PORT" or "PORT" into c->address and c->port. */
EXCISE_API int excise_serve_config_listen(struct excise_serve_config *c, const char *s, struct excise_err *err);
/* Fill what is left NULL from the state folder (made 0700 when absent): the
 * database, the master key file (32 random bytes, 0600, made when absent) and,
 * unless plain HTTP, the certificate and key (a self-signed EC P-256 pair for the
 * host name, localhost and 127.0.0.1, made when absent; the key 0600). *made_cert
 * (may be NULL) says whether the pair was made now. */
EXCISE_API int excise_serve_prepare(struct excise_serve_config *c, bool *made_cert, struct excise_err *err);
/* The 32 bytes of a master key file (exactly 32 bytes; not readable by others). */
EXCISE_API int excise_serve_master_key(const char *path, uint8_t key[32], struct excise_err *err);

/* A certificate and its key, read and checked to belong together; PEM text the caller frees. */
EXCISE_API int excise_serve_pem_pair(const char *cert_file, const char *key_file, char **ret_cert, char **ret_key,
				     struct excise_err *err);
/* A self-signed EC P-256 certificate (SAN: `hostname`, localhost, 127.0.0.1; 825 days)
 * written to `cert_file` and its key to `key_file` (0600), each whole or not at all. */
EXCISE_API int excise_serve_cert_generate(const char *cert_file, const char *key_file, const char *hostname,
					  struct excise_err *err);

/* The first start's enrollment secret: when the state folder has no record of one,
 * a secret for EXCISE_SERVE_DEFAULT_ORG_UNIT valid `valid_s` seconds is created and
 * its record written (its id, never the secret): 1, with the secret and its id to
 * show once. Later: 0 and nothing. */
EXCISE_API int excise_serve_first_secret(struct excise_store *st, const char *state_dir, int64_t now, int64_t valid_s,
					 char **ret_secret, char **ret_id, struct excise_err *err);

/* ---- the server ---- */

struct excise_serve;

/* One line of the access or error log, every string from a request escaped, no newline. */
/* `excise serve` writes these lines in blocks, to spare a write(2) a request: a line
 * waits in a buffer until the buffer holds LOG_FLUSH_BYTES or its oldest line is
 * LOG_FLUSH_MS old; error lines, startup lines and the stop flush it at once. */
#define EXCISE_SERVE_LOG_FLUSH_BYTES 65536u
#define EXCISE_SERVE_LOG_FLUSH_MS 200u
typedef void (*excise_serve_log_fn)(void *ctx, const char *line);

struct excise_serve_opts {
	const struct excise_serve_config *config;  /* address, port, limits, replay window; read at start */
	struct excise_store *store;                /* borrowed; outlives the server */
	const struct excise_catalog *catalog;      /* the directives an enrollment answers with; borrowed */
	const char *cert_pem, *key_pem;            /* NULL unless HTTPS (config->plain_http false) */
	excise_serve_log_fn log;                   /* may be NULL */
	void *log_ctx;
};

/* Start listening and serving from threads of the library's own. */
EXCISE_API int excise_serve_start(const struct excise_serve_opts *o, struct excise_serve **ret, struct excise_err *err);
/* The port it listens on (the one picked, for port 0). */
EXCISE_API unsigned excise_serve_port(const struct excise_serve *s);
/* New certificate and key: a new server on the same socket takes the new connections
 * (none is refused), the old one finishes what it holds (at most
 * EXCISE_MAX_SERVE_DRAIN_SECONDS), then stops. On failure the old one goes on. */
EXCISE_API int excise_serve_reload(struct excise_serve *s, const char *cert_pem, const char *key_pem,
				   struct excise_err *err);
/* Stop accepting, finish the requests in flight (their documents committed and
 * answered; at most EXCISE_MAX_SERVE_DRAIN_SECONDS), stop, free. The store stays
 * open: the caller closes it after. NULL is fine. */
EXCISE_API void excise_serve_stop(struct excise_serve *s);

struct excise_serve_stats {
	uint64_t requests, stored, duplicates, refused, busy;
};
EXCISE_API void excise_serve_stats(const struct excise_serve *s, struct excise_serve_stats *ret);
/* excise_serve_stop, and the counts once what was in flight is done (ret may be NULL). */
EXCISE_API void excise_serve_stop_stats(struct excise_serve *s, struct excise_serve_stats *ret);

#ifdef __cplusplus
}
#endif
#endif
