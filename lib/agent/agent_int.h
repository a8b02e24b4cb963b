/* SPDX-License-Identifier: Apache-2.0 */
/* agent: what the agent's files share (include/excise/agent.h is the API). */
#ifndef EXCISE_AGENT_INT_H
#define EXCISE_AGENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "excise/agent.h"
#include "excise/proto.h"

/* ---- http.c: one POST to the collector ---- */

struct http_conn {
	const char *url;           /* the collector's base URL, as the operator gave it */
	const char *ca_file, *pin; /* struct excise_agent_tls */
};

enum http_class {
	HTTP_OK,          /* 200 */
	HTTP_DOWN,        /* no answer: connect, TLS handshake, timeout, a broken answer */
	HTTP_TLS,         /* the collector's certificate or pinned key refused */
	HTTP_AUTH,        /* 401 */
	HTTP_BUSY,        /* 429 */
	HTTP_FAILING,     /* 5xx, or a redirect (never followed) */
	HTTP_REFUSED,     /* another 4xx */
};

struct http_resp {
	long status;               /* 0: no HTTP answer */
	enum http_class cls;
	char *body;                /* NUL-terminated, at most EXCISE_MAX_AGENT_RESPONSE bytes; free() */
	size_t len;
	int64_t retry_after;       /* seconds (429, 503), -1 when not given */
	char message[384];         /* why, for people: curl's error or the collector's "error" */
	bool host_invalid;         /* 401 {"host_invalid":true} */
};

/* A libcurl handle kept across requests, so that they share a connection (keep-alive:
 * libcurl reuses an open one to the same host, port and TLS settings, and connects
 * anew when it was closed). Zero-initialised; http_client_done closes it. */
struct http_client {
	void *curl;                /* CURL *, made by the first request */
	unsigned long connects;    /* connections opened so far (CURLINFO_NUM_CONNECTS) */
};
void http_client_done(struct http_client *cl);

/* The API's connection (include/excise/agent.h) is a client. */
struct excise_agent_conn {
	struct http_client http;
};

/* POST `body` to the collector's `path` ("/v1/enroll", "/v1/submit"), signed with `key`
 * as `host_id` when `key` is not NULL, through the client `cl` (NULL: a connection of
 * its own). 0 with *resp filled (whatever the status), or < 0 when the request could
 * not even be made (a bad URL: -EXCISE_E_USAGE; out of memory). */
NODISCARD int http_post(const struct http_conn *c, struct http_client *cl, const char *path, const uint8_t *key,
			const char *host_id, const void *body, size_t len, struct http_resp *resp,
			struct excise_err *err);
void http_resp_done(struct http_resp *r);
/* What an answer means: r->cls, r->host_invalid and r->message from r->status and
 * r->body (untrusted); `over`: the body was cut at EXCISE_MAX_AGENT_RESPONSE. */
void http_classify(struct http_resp *r, bool over);
/* A Retry-After value (delay-seconds or an HTTP-date) as seconds from `now`, at most
 * EXCISE_AGENT_RETRY_AFTER_MAX; -1 when it is neither. */
int64_t http_retry_after(const char *value, int64_t now);
/* The collector's answer to a submit (200): delivered (stored or duplicate, with its kind
 * and id into res), or false when it says neither. */
bool http_submit_answer(const char *body, size_t len, struct excise_agent_result *res);
/* The collector's answer to enrolling (200): the host id (free()) and key, or < 0. */
NODISCARD int http_enroll_answer(const char *body, size_t len, char **ret_host_id,
				 uint8_t key[EXCISE_HOST_KEY_BYTES]);

/* ---- state.c: enrollments, and the agent's directories ---- */

struct enrollment {
	char *url, *machine_id, *host_id, *ca_file, *pin;
	uint8_t key[EXCISE_HOST_KEY_BYTES];
};

/* Open (creating with mode 0700 what is missing) the directory `path`; the fd or < 0. */
NODISCARD int agent_dir_open(const char *path, struct excise_err *err);
/* The file name of `machine_id`'s enrollment: "host-<sha256 hex>.json". */
void enrollment_file(const char *machine_id, char out[80]);
NODISCARD int enrollment_load(const struct excise_agent_opts *o, const char *machine_id, struct enrollment *ret,
			      struct excise_err *err);
NODISCARD int enrollment_save(const struct excise_agent_opts *o, const struct enrollment *e, int64_t now,
			      struct excise_err *err);
void enrollment_done(struct enrollment *e);

/* ---- document.c: what a document is ---- */

struct agent_doc {
	char kind[16];             /* report, plan, removal, attestation */
	char *machine_id;
};
/* The kind and machine of an excise document; -EXCISE_E_CORRUPT naming `name` otherwise. */
NODISCARD int agent_doc_inspect(const char *name, const void *body, size_t len, struct agent_doc *ret,
				struct excise_err *err);
void agent_doc_done(struct agent_doc *d);

/* ---- spool.c ---- */

struct spool_meta {
	char kind[16];
	char *machine_id;
	char *url;                 /* the collector it goes to (NULL: the enrollment's) */
	char *name;                /* what it was called when submitted, for messages */
	char *last_error;
	char sha256[65];           /* of the document */
	int64_t created, next_try; /* unix seconds */
	unsigned attempts;
	bool keep;                 /* never evicted */
};

struct spool_entry {
	char file[64];             /* name in the spool directory */
	struct spool_meta meta;
	uint64_t size;             /* bytes of the file */
};

struct spool {
	int fd;                    /* the spool directory */
	int lock_fd;               /* .lock, held (flock) while the spool is open */
	char *dir;
	struct spool_entry *v;     /* sorted by file name: the oldest first */
	size_t n;
};

/* Open and lock the spool, reading every entry's metadata (a file that cannot be
 * read is left where it is and not listed). */
NODISCARD int spool_open(const struct excise_agent_opts *o, struct spool *ret, struct excise_err *err);
void spool_close(struct spool *s);

/* Add a document, evicting superseded reports when the bounds require it (each
 * evicted file named in `evicted`, a NULL-terminated vector the caller frees, may be
 * NULL). -EXCISE_E_BUSY when it cannot fit. ret_file: SPOOL_FILE_MAX bytes. */
#define SPOOL_FILE_MAX 64
NODISCARD int spool_add(struct spool *s, const struct excise_agent_opts *o, const struct spool_meta *m,
			const void *body, size_t len, char *ret_file, char ***evicted, struct excise_err *err);
/* A document the collector refused, straight into rejected/ with the reason (m->last_error). */
NODISCARD int spool_add_rejected(struct spool *s, const struct spool_meta *m, const void *body, size_t len,
				 char *ret_file, struct excise_err *err);
/* The document of an entry (its body after the metadata line). */
NODISCARD int spool_read_body(struct spool *s, const struct spool_entry *e, char **ret, size_t *ret_len,
			      struct excise_err *err);
/* Rewrite the entry's metadata (attempts, next try, last error), atomically. */
NODISCARD int spool_update(struct spool *s, struct spool_entry *e, struct excise_err *err);
/* Delivered: remove it. */
NODISCARD int spool_remove(struct spool *s, struct spool_entry *e, struct excise_err *err);
/* Refused: move it to rejected/ with the reason in its metadata. */
NODISCARD int spool_reject(struct spool *s, struct spool_entry *e, const char *reason, struct excise_err *err);

/* A spool file's metadata line (len bytes, no newline), `label` naming it in errors. */
NODISCARD int spool_meta_parse(const char *label, const char *line, size_t len, struct spool_meta *m,
			       struct excise_err *err);

/* Which entries to evict to make room for a new document of `new_len` bytes, kind
 * `kind`, machine `machine_id`, given the bounds: indexes into s->v, oldest first,
 * into `out` (s->n slots); the count, or -1 when even evicting every evictable one
 * leaves no room. Exposed for the unit tests. */
long spool_plan_eviction(const struct spool *s, uint64_t max_bytes, unsigned max_files, const char *kind,
			 const char *machine_id, uint64_t new_len, size_t *out);

void spool_meta_done(struct spool_meta *m);

/* The clock (unix seconds) and random numbers the agent uses. */
int64_t agent_now(void);
uint32_t agent_random(void);

#endif
