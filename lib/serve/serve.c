/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve: the collector's HTTP side (include/excise/serve.h) on libmicrohttpd:
 * epoll with an internal pool of threads, one per core. A request is read in
 * three steps. Its head (route, header size, Content-Length, for a submit the
 * host and its key) is judged before any body byte is read, so an oversized
 * body or an unknown host is answered at once. Its body is gathered up to its
 * limit. Then it is answered: a submit, once its signature checks and its host
 * is within its rate, is queued on the store (excise_store_submit_async) and its
 * connection suspended, holding no thread, until the writer thread's callback
 * says the group commit is on disk and resumes it.
 *
 * The listening socket is the server's own. Every daemon serves it through
 * MHD_OPTION_LISTEN_SOCKET and is quiesced before it stops, so a certificate
 * reload starts a new daemon on the same socket before the old one stops
 * accepting: no connection is refused. The old one finishes its requests and
 * stops.
 */
#include "excise/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"
#include "core/macro.h"
#include "core/text.h"
#include "serve/request.h"

/* GnuTLS priorities: TLS 1.2 and 1.3 only */
#define SERVE_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* ---- requests per host per minute ---- */

struct rate {
	pthread_mutex_t mu;
	int64_t minute;
	struct hash h;      /* host id -> index into keys/counts */
	char **keys;
	unsigned *counts;
	size_t n, cap;
};

static void rate_clear(struct rate *r)
{
	hash_done(&r->h);
	hash_init(&r->h);
	for (size_t i = 0; i < r->n; i++)
		free(r->keys[i]);
	r->n = 0;
}

/* Count a request of `host`: 0 within the limit, else the seconds until the next minute
 * (a host not yet counted when `max_hosts` are: refused too). */
static unsigned rate_hit(struct rate *r, const char *host, int64_t now, unsigned per_minute, size_t max_hosts)
{
	if (per_minute == 0)
		return 0;
	unsigned wait = (unsigned)(60 - now % 60);
	pthread_mutex_lock(&r->mu);
	if (now / 60 != r->minute) {
		rate_clear(r);
		r->minute = now / 60;
	}
	unsigned ret = 0;
	size_t len = strlen(host);
	const struct hash_slot *s = hash_get(&r->h, host, len);
	if (s) {
		if (r->counts[s->value] >= per_minute)
			ret = wait;
		else
			r->counts[s->value]++;
	} else if (r->n >= max_hosts) {
		ret = wait;
	} else {
		if (r->n == r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 64;
			char **k = realloc(r->keys, cap * sizeof(*k));
			if (k)
				r->keys = k;
			unsigned *c = k ? realloc(r->counts, cap * sizeof(*c)) : NULL;
			if (c)
				r->counts = c;
			if (!k || !c) {
				pthread_mutex_unlock(&r->mu);
				return wait; /* out of memory: refuse for now rather than count nothing */
			}
			r->cap = cap;
		}
		char *key = strdup(host);
		struct hash_slot *slot = key ? hash_put(&r->h, key, len) : NULL;
		if (!slot) {
			free(key);
			ret = wait;
		} else {
			slot->value = (int)r->n;
			r->keys[r->n] = key;
			r->counts[r->n++] = 1;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return ret;
}

/* ---- the server ---- */

/* A connection that has not yet begun a request gets this long to send it when its
 * daemon drains (a client that connected as a reload or a stop began). */
#define SERVE_FRESH_GRACE_MS 3000
/* Bytes of a body allocated at once from its Content-Length; a larger one grows as it
 * arrives (a client that only claims a large body holds no more than this). */
#define SERVE_BODY_RESERVE (256u << 10)

struct serve_daemon {
	struct excise_serve *srv;
	struct MHD_Daemon *mhd;
	atomic_uint fresh;      /* connections accepted that have not begun a request */
	atomic_uint inflight;   /* requests begun, not yet completed */
	/* submits handed to the store whose callback has not returned yet (it resumes the
	 * connection: the daemon must outlive that call); none begins once `stopping` */
	atomic_uint waiting;
	atomic_bool draining;   /* quiesced: answers say Connection: close */
	pthread_mutex_t submit_mu; /* orders a submit's check of `stopping` and the drain's setting it */
	bool stopping;          /* draining, past the wait for requests in flight: no more submits */
};

struct excise_serve {
	struct excise_store *store;
	struct excise_serve_limits lim;
	int64_t replay_window;
	excise_serve_log_fn log;
	void *log_ctx;
	char *directives;       /* the JSON array of the catalog's directive ids */
	int fd;                 /* the listening socket, owned */
	bool ipv6;
	unsigned port;
	pthread_mutex_t mu;     /* cur, reloads and stop */
	struct serve_daemon *cur;
	pthread_t drains[8];    /* old daemons finishing after reloads */
	size_t n_drains;
	struct rate rate;
	atomic_uint_fast64_t requests, stored, duplicates, refused, busy;
};

enum req_phase { REQ_BODY, REQ_WAITING, REQ_ANSWERED };

struct req {
	struct serve_daemon *sd;
	struct MHD_Connection *conn;
	enum serve_route route;
	enum req_phase phase;
	bool body_in;           /* the whole body was read */
	struct buf body;
	size_t body_max;
	int64_t start_ms;
	char method[8];
	char *path;
	char host[EXCISE_MAX_SERVE_ID + 1];
	char sig[EXCISE_PROTO_SIG_MAX];
	uint8_t key[EXCISE_HOST_KEY_BYTES];
	bool key_cached;        /* key came from the store's cache: a mismatch reads it again */
	unsigned status;        /* of the answer sent */
	/* a refusal decided from the head, sent once the body is read: answering and
	 * closing while the client still sends makes its kernel reset the connection,
	 * and the answer is lost (the body is within its limit; it is not kept) */
	unsigned defer_status, defer_retry;
	bool defer_host_invalid;
	char defer_msg[160];
	size_t body_seen;
	char note[160];         /* why, for the log */
	/* the store's answer, from its writer thread */
	pthread_mutex_t mu;
	bool suspended, done;
	int rc;
	struct excise_submit_result res;
	struct excise_err err;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void serve_logf(struct excise_serve *s, const char *fmt, ...) PRINTF(2, 3);
static void serve_logf(struct excise_serve *s, const char *fmt, ...)
{
	if (!s->log)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->log(s->log_ctx, line);
}

/* `s` escaped for a log line (at most `max` bytes of it), into `b` (cleared first). */
static const char *esc(struct buf *b, const char *s, size_t max)
{
	buf_clear(b);
	if (!s)
		return "-";
	size_t n = strnlen(s, max);
	size_t plain = 0; /* printable ASCII but the backslash is as text_escape leaves it */
	while (plain < n && s[plain] >= 0x20 && s[plain] < 0x7f && s[plain] != '\\')
		plain++;
	if (plain == n && !s[n])
		return s;
	text_escape(b, s, n, TEXT_ESC_BACKSLASH);
	if (s[n])
		buf_adds(b, "...");
	return b->err ? "?" : b->p;
}

/* "error: WHAT: MESSAGE", the message escaped (a store's message may quote a request). */
static void log_error(struct excise_serve *s, const char *what, const char *host, const char *msg)
{
	if (!s->log)
		return;
	struct buf b1, b2;
	buf_init(&b1, 4096), buf_init(&b2, 4096);
	serve_logf(s, "error: %s%s%s: %s", what, host ? " " : "", host ? esc(&b1, host, EXCISE_MAX_SERVE_ID) : "",
		   esc(&b2, msg, EXCISE_ERR_MSG));
	buf_done(&b1), buf_done(&b2);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap) PRINTF(2, 0);
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct excise_serve *s = cls;
	if (!s->log)
		return;
	char raw[512];
	vsnprintf(raw, sizeof(raw), fmt, ap);
	size_t n = strlen(raw);
	while (n && (raw[n - 1] == '\n' || raw[n - 1] == '\r'))
		raw[--n] = '\0';
	struct buf b;
	buf_init(&b, 4096);
	serve_logf(s, "error: libmicrohttpd: %s", esc(&b, raw, sizeof(raw)));
	buf_done(&b);
}

/* ---- answers ---- */

/* Answer `len` bytes of JSON `text` (copied). */
static enum MHD_Result send_text(struct req *q, unsigned status, const char *text, size_t len, unsigned retry_after,
				 const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (retry_after) {
		char v[16];
		snprintf(v, sizeof(v), "%u", retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
	}
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (q->sd->draining || !q->body_in) /* draining, or answered before the body was read */
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	q->status = status;
	enum MHD_Result ret = MHD_queue_response(q->conn, status, r);
	MHD_destroy_response(r);
	q->phase = REQ_ANSWERED;
	return ret;
}

static enum MHD_Result send_json(struct req *q, unsigned status, json_t *o, unsigned retry_after,
				 const char *allow)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return MHD_NO;
	enum MHD_Result ret = send_text(q, status, text, strlen(text), retry_after, allow);
	free(text);
	return ret;
}

/* True when `s` is its own JSON string body: printable ASCII without '"' or '\\'. */
static bool json_plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* {"error": message} (sanitised to UTF-8), and "host_invalid": true when asked. */
static enum MHD_Result send_error(struct req *q, unsigned status, const char *msg, bool host_invalid,
				  unsigned retry_after, const char *allow)
{
	struct buf b;
	buf_init(&b, 2048);
	utf8_sanitize(&b, msg, strnlen(msg, 1024));
	json_t *o = json_object();
	if (o && !b.err)
		json_object_set_new(o, "error", json_string(b.p));
	if (o && host_invalid)
		json_object_set_new(o, "host_invalid", json_true());
	buf_done(&b);
	snprintf(q->note, sizeof(q->note), "%s", msg);
	atomic_fetch_add(&q->sd->srv->refused, 1);
	return send_json(q, status, o, retry_after, allow);
}

/* Refuse once the body is read (see struct req). */
static enum MHD_Result defer_error(struct req *q, unsigned status, const char *msg, bool host_invalid, unsigned retry)
{
	q->defer_status = status;
	q->defer_retry = retry;
	q->defer_host_invalid = host_invalid;
	snprintf(q->defer_msg, sizeof(q->defer_msg), "%s", msg);
	return MHD_YES;
}

/* ---- the head: before any body byte ---- */

struct head_scan {
	size_t total, max;
	unsigned n_host, n_sig;
};

static enum MHD_Result head_count(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct head_scan *h = cls;
	serve_header_add(&h->total, key ? strlen(key) : 0, value ? strlen(value) : 0, h->max);
	if (key && strcasecmp(key, EXCISE_PROTO_HOST_HEADER) == 0)
		h->n_host++;
	if (key && strcasecmp(key, EXCISE_PROTO_SIG_HEADER) == 0)
		h->n_sig++;
	return MHD_YES;
}

static enum MHD_Result on_head(struct req *q, const char *url, const char *method)
{
	struct excise_serve *s = q->sd->srv;
	const char *allow = NULL;
	int st = serve_route(method, url, &q->route, &allow);
	if (st == 404)
		return send_error(q, 404, "no such path", false, 0, NULL);
	if (st == 405)
		return send_error(q, 405, "method not allowed here", false, 0, allow);

	struct head_scan h = { .max = s->lim.header_bytes };
	MHD_get_connection_values(q->conn, MHD_HEADER_KIND, head_count, &h);
	if (h.total > h.max) {
		char m[96];
		snprintf(m, sizeof(m), "request headers over %zu bytes", h.max);
		return send_error(q, 431, m, false, 0, NULL);
	}

	q->body_max = q->route == SERVE_ROUTE_SUBMIT ? s->lim.body_bytes
		      : q->route == SERVE_ROUTE_ENROLL ? EXCISE_MAX_SERVE_ENROLL_BODY
						       : 0;
	const char *cl = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t len = 0;
	if (cl && !serve_content_length(cl, &len))
		return send_error(q, 400, "Content-Length: not a number", false, 0, NULL);
	if (cl && len > q->body_max) {
		char m[96];
		snprintf(m, sizeof(m), "body over %zu bytes", q->body_max);
		return send_error(q, 413, m, false, 0, NULL);
	}
	buf_init(&q->body, q->body_max);
	if (cl && len) /* room for the body at once (up to SERVE_BODY_RESERVE), not doubling as it arrives */
		buf_reserve(&q->body, len < SERVE_BODY_RESERVE ? (size_t)len : SERVE_BODY_RESERVE);

	if (q->route != SERVE_ROUTE_SUBMIT)
		return MHD_YES;
	if (h.n_host != 1 || h.n_sig != 1)
		return defer_error(q, 401, "a signed request needs one " EXCISE_PROTO_HOST_HEADER " and one "
				   EXCISE_PROTO_SIG_HEADER " header", false, 0);
	const char *host = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, EXCISE_PROTO_HOST_HEADER);
	const char *sig = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, EXCISE_PROTO_SIG_HEADER);
	if (!serve_host_id_ok(host))
		return defer_error(q, 401, EXCISE_PROTO_HOST_HEADER ": not a host id", true, 0);
	if (!sig || strlen(sig) >= sizeof(q->sig))
		return defer_error(q, 401, EXCISE_PROTO_SIG_HEADER ": malformed", false, 0);
	snprintf(q->host, sizeof(q->host), "%s", host);
	snprintf(q->sig, sizeof(q->sig), "%s", sig);
	struct excise_err err = { 0 };
	int r = excise_store_host_key_cached(s->store, q->host, q->key, &q->key_cached, &err);
	if (r == -EXCISE_E_ABSENT)
		return defer_error(q, 401, "unknown host: enroll again", true, 0);
	if (r < 0) {
		log_error(s, "host key of", q->host, err.msg);
		return defer_error(q, 503, "storage unavailable", false, 5);
	}
	return MHD_YES;
}

/* ---- the answer, once the body is in ---- */

static enum MHD_Result answer_health(struct req *q)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	return send_text(q, 200, ok, sizeof(ok) - 1, 0, NULL);
}

static enum MHD_Result answer_enroll(struct req *q)
{
	struct excise_serve *s = q->sd->srv;
	struct excise_err err = { 0 };
	struct serve_enroll e;
	if (serve_enroll_parse(q->body.p, q->body.n, &e, &err) < 0)
		return send_error(q, 400, err.msg, false, 0, NULL);
	struct excise_enroll_req er = {
		.secret = e.secret, .machine_id = e.machine_id, .hostname = e.hostname,
		.platform = e.platform, .os = e.os, .version = e.version,
	};
	char *host_id = NULL;
	uint8_t key[EXCISE_HOST_KEY_BYTES];
	int r = excise_store_enroll(s->store, &er, (int64_t)time(NULL), &host_id, key, &err);
	serve_enroll_done(&e);
	if (r == -EXCISE_E_AUTH)
		return send_error(q, 401, err.msg, false, 0, NULL);
	if (r == -EXCISE_E_BUSY)
		return send_error(q, 429, "busy: try again later", false, 1, NULL);
	if (r == -EXCISE_E_CORRUPT || r == -EXCISE_E_TOOBIG || r == -EXCISE_E_USAGE)
		return send_error(q, 400, err.msg, false, 0, NULL);
	if (r < 0) {
		log_error(s, "enroll", NULL, err.msg);
		return send_error(q, 503, "storage unavailable", false, 5, NULL);
	}
	char key_text[EXCISE_PROTO_KEY_TEXT];
	excise_proto_key_encode(key, key_text);
	json_error_t je;
	json_t *dirs = json_loads(s->directives, 0, &je);
	json_t *o = json_pack("{s:s, s:s, s:o}", "host_id", host_id, "host_key", key_text, "directives",
			      dirs ? dirs : json_array());
	snprintf(q->host, sizeof(q->host), "%s", host_id);
	free(host_id);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(key_text, sizeof(key_text));
	return send_json(q, 200, o, 0, NULL);
}

static void on_stored(void *ctx, int rc, const struct excise_submit_result *res, const struct excise_err *err)
{
	struct req *q = ctx;
	pthread_mutex_lock(&q->mu);
	q->rc = rc;
	if (res)
		q->res = *res;
	if (err)
		q->err = *err;
	q->done = true;
	bool resume = q->suspended;
	struct MHD_Connection *c = q->conn;
	struct serve_daemon *sd = q->sd; /* q may be gone once unlocked; sd lives until waiting is 0 */
	pthread_mutex_unlock(&q->mu);
	if (resume) /* suspended until now: q and c live until it is resumed */
		MHD_resume_connection(c);
	atomic_fetch_sub(&sd->waiting, 1);
}

static enum MHD_Result answer_stored(struct req *q)
{
	struct excise_serve *s = q->sd->srv;
	if (q->rc < 0) {
		log_error(s, "storing a document of", q->host, q->err.msg);
		return send_error(q, 503, "storage failed: try again later", false, 5, NULL);
	}
	bool dup = q->res.status == EXCISE_SUBMIT_DUPLICATE;
	atomic_fetch_add(dup ? &s->duplicates : &s->stored, 1);
	q->res.kind[sizeof(q->res.kind) - 1] = '\0';
	q->res.doc_id[sizeof(q->res.doc_id) - 1] = '\0';
	snprintf(q->note, sizeof(q->note), "%s", dup ? "duplicate" : "stored");
	if (json_plain(q->res.kind) && json_plain(q->res.doc_id)) { /* report ids, run ids, sha256:...: as they are */
		char text[64 + sizeof(q->res.kind) + sizeof(q->res.doc_id)];
		int n = snprintf(text, sizeof(text), "{\"status\":\"%s\",\"kind\":\"%s\",\"id\":\"%s\"}",
				 dup ? "duplicate" : "stored", q->res.kind, q->res.doc_id);
		return send_text(q, 200, text, (size_t)n, 0, NULL);
	}
	struct buf id;
	buf_init(&id, 1024);
	utf8_sanitize(&id, q->res.doc_id, strlen(q->res.doc_id));
	json_t *o = json_pack("{s:s, s:s, s:s}", "status", dup ? "duplicate" : "stored", "kind", q->res.kind, "id",
			      id.err ? "" : id.p);
	buf_done(&id);
	return send_json(q, 200, o, 0, NULL);
}

static enum MHD_Result answer_submit(struct req *q)
{
	struct excise_serve *s = q->sd->srv;
	struct excise_err err = { 0 };
	int64_t now = (int64_t)time(NULL);
	if (excise_proto_verify(q->key, q->host, q->method, q->path, q->sig, q->body.p, q->body.n, now,
				s->replay_window, &err) < 0) {
		/* the host may have enrolled again through another collector on this database
		 * since its key was cached: once more with the key read now */
		uint8_t key[EXCISE_HOST_KEY_BYTES];
		struct excise_err e2 = { 0 };
		bool again = q->key_cached && excise_store_host_key(s->store, q->host, key, &e2) == 0 &&
			     sodium_memcmp(key, q->key, sizeof(key)) != 0;
		if (again)
			memcpy(q->key, key, sizeof(key));
		sodium_memzero(key, sizeof(key));
		if (!again || excise_proto_verify(q->key, q->host, q->method, q->path, q->sig, q->body.p, q->body.n, now,
						  s->replay_window, &err) < 0)
			return send_error(q, 401, err.msg, false, 0, NULL);
	}
	unsigned wait = rate_hit(&s->rate, q->host, now, s->lim.host_per_minute, s->lim.rate_hosts);
	if (wait)
		return send_error(q, 429, "too many requests from this host this minute", false, wait, NULL);
	/* counted before it is handed over, so that a stopping daemon waits for its callback;
	 * a daemon past its drain's wait takes no more (libmicrohttpd may not stop with a
	 * connection suspended, and the callback resumes it through the daemon) */
	struct serve_daemon *sd = q->sd;
	pthread_mutex_lock(&sd->submit_mu);
	bool stopping = sd->stopping;
	if (!stopping)
		atomic_fetch_add(&sd->waiting, 1);
	pthread_mutex_unlock(&sd->submit_mu);
	if (stopping)
		return send_error(q, 503, "the collector is stopping: try again", false, 1, NULL);
	int r = excise_store_submit_async(s->store, q->host, q->body.p, q->body.n, now, on_stored, q, &err);
	if (r < 0) /* refused: no callback comes */
		atomic_fetch_sub(&sd->waiting, 1);
	switch (r) {
	case 0:
		break;
	case -EXCISE_E_BUSY:
		atomic_fetch_add(&s->busy, 1);
		return send_error(q, 429, "busy: the write queue is full, try again later", false, 1, NULL);
	case -EXCISE_E_CORRUPT:
		return send_error(q, 400, err.msg, false, 0, NULL);
	case -EXCISE_E_TOOBIG:
	case -EXCISE_E_LIMIT:
		return send_error(q, 413, err.msg, false, 0, NULL);
	case -EXCISE_E_REFUSED:
		return send_error(q, 403, err.msg, false, 0, NULL);
	case -EXCISE_E_ABSENT:
		return send_error(q, 401, "unknown host: enroll again", true, 0, NULL);
	default:
		log_error(s, "submit of", q->host, err.msg);
		return send_error(q, 503, "storage unavailable", false, 5, NULL);
	}
	/* queued: wait for the commit without holding a thread, unless it came already */
	q->phase = REQ_WAITING;
	pthread_mutex_lock(&q->mu);
	bool done = q->done;
	if (!done) {
		q->suspended = true;
		MHD_suspend_connection(q->conn);
	}
	pthread_mutex_unlock(&q->mu);
	return done ? answer_stored(q) : MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version;
	struct serve_daemon *sd = cls;
	struct req *q = *con_cls;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		q->sd = sd;
		q->conn = conn;
		q->start_ms = now_ms();
		q->path = strndup(url ? url : "", 4096);
		snprintf(q->method, sizeof(q->method), "%s", method ? method : "?");
		pthread_mutex_init(&q->mu, NULL);
		buf_init(&q->body, 0);
		*con_cls = q;
		atomic_fetch_add(&sd->inflight, 1);
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		bool *used = ci ? ci->socket_context : NULL;
		if (used && !*used) {
			*used = true;
			atomic_fetch_sub(&sd->fresh, 1);
		}
		atomic_fetch_add(&sd->srv->requests, 1);
		if (!q->path)
			return MHD_NO;
		return on_head(q, q->path, q->method);
	}
	if (q->phase == REQ_ANSWERED) {
		*upload_size = 0; /* answered from its head: the rest is not read */
		return MHD_YES;
	}
	if (q->phase == REQ_WAITING) {
		pthread_mutex_lock(&q->mu);
		bool done = q->done;
		q->suspended = false;
		pthread_mutex_unlock(&q->mu);
		return done ? answer_stored(q) : MHD_YES;
	}
	if (*upload_size) {
		if (q->defer_status) { /* refused already: the body is counted, not kept */
			q->body_seen += *upload_size;
			*upload_size = 0;
			return q->body_seen > q->body_max ? MHD_NO : MHD_YES;
		}
		if (q->body.n + *upload_size > q->body_max) {
			snprintf(q->note, sizeof(q->note), "body over %zu bytes: connection closed", q->body_max);
			return MHD_NO; /* chunked past the limit: no answer can be queued mid-body */
		}
		if (now_ms() - q->start_ms > (int64_t)sd->srv->lim.request_seconds * 1000) {
			snprintf(q->note, sizeof(q->note), "body still arriving after %u s: connection closed",
				 sd->srv->lim.request_seconds);
			return MHD_NO;
		}
		buf_add(&q->body, upload, *upload_size);
		*upload_size = 0;
		return q->body.err ? MHD_NO : MHD_YES;
	}
	q->body_in = true;
	if (q->defer_status)
		return send_error(q, q->defer_status, q->defer_msg, q->defer_host_invalid, q->defer_retry, NULL);
	switch (q->route) {
	case SERVE_ROUTE_HEALTH:
		return answer_health(q);
	case SERVE_ROUTE_ENROLL:
		return answer_enroll(q);
	case SERVE_ROUTE_SUBMIT:
		return answer_submit(q);
	}
	return MHD_NO;
}

static const char *const terminations[] = {
	[MHD_REQUEST_TERMINATED_COMPLETED_OK] = "completed",
	[MHD_REQUEST_TERMINATED_WITH_ERROR] = "error",
	[MHD_REQUEST_TERMINATED_TIMEOUT_REACHED] = "timeout",
	[MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN] = "shutdown",
	[MHD_REQUEST_TERMINATED_READ_ERROR] = "read error",
	[MHD_REQUEST_TERMINATED_CLIENT_ABORT] = "client abort",
};

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct serve_daemon *sd = cls;
	struct req *q = *con_cls;
	if (!q)
		return;
	*con_cls = NULL;
	struct excise_serve *s = sd->srv;
	if (s->log) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		char ip[INET6_ADDRSTRLEN] = "-";
		if (ci && ci->client_addr) {
			const struct sockaddr *sa = ci->client_addr;
			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip, sizeof(ip));
			else if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip,
					  sizeof(ip));
		}
		struct buf b1, b2, b3, b4;
		buf_init(&b1, 8192), buf_init(&b2, 8192), buf_init(&b3, 8192), buf_init(&b4, 8192);
		const char *how = (unsigned)toe < ARRAY_SIZE(terminations) && terminations[toe] ? terminations[toe] : "?";
		serve_logf(s, "%s \"%s %s\" %u %zu %" PRId64 "ms host=%s %s%s%s", ip, esc(&b1, q->method, 8),
			   esc(&b2, q->path, 256), q->status, q->body.n, now_ms() - q->start_ms,
			   q->host[0] ? esc(&b3, q->host, sizeof(q->host)) : "-", how, q->note[0] ? ": " : "",
			   q->note[0] ? esc(&b4, q->note, sizeof(q->note)) : "");
		buf_done(&b1), buf_done(&b2), buf_done(&b3), buf_done(&b4);
	}
	buf_done(&q->body);
	free(q->path);
	pthread_mutex_destroy(&q->mu);
	explicit_bzero(q->key, sizeof(q->key));
	free(q);
	atomic_fetch_sub(&sd->inflight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	(void)conn;
	struct serve_daemon *sd = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		bool *used = calloc(1, sizeof(*used));
		*socket_context = used;
		if (used)
			atomic_fetch_add(&sd->fresh, 1);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		bool *used = *socket_context;
		if (used && !*used)
			atomic_fetch_sub(&sd->fresh, 1);
		free(used);
		*socket_context = NULL;
	}
}

/* ---- daemons ---- */

static unsigned pool_size(const struct excise_serve_limits *l)
{
	if (l->threads)
		return l->threads;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > (long)EXCISE_MAX_SERVE_THREADS ? EXCISE_MAX_SERVE_THREADS : (unsigned)n;
}

static int daemon_start(struct excise_serve *s, const char *cert, const char *key, struct serve_daemon **ret,
			struct excise_err *err)
{
	struct serve_daemon *sd = calloc(1, sizeof(*sd));
	if (!sd)
		return err_set(err, -ENOMEM, "out of memory");
	sd->srv = s;
	pthread_mutex_init(&sd->submit_mu, NULL);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (s->ipv6)
		flags |= MHD_USE_IPv6;
	if (cert)
		flags |= MHD_USE_TLS;
	unsigned threads = pool_size(&s->lim);
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)SERVE_TLS_PRIORITIES },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem none[] = { { MHD_OPTION_END, 0, NULL } };
	/* a pool only of two or more: libmicrohttpd takes 0 or 1 as "no pool" but logs a
	 * warning for either; one thread is the daemon's own polling thread */
	struct MHD_OptionItem pool[] = {
		{ threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	sd->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, sd,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s, /* first, so that every message goes to it */
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->fd,
		MHD_OPTION_ARRAY, pool,
		MHD_OPTION_CONNECTION_LIMIT, s->lim.connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->lim.connections_per_address,
		MHD_OPTION_CONNECTION_TIMEOUT, s->lim.idle_seconds,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)EXCISE_MAX_SERVE_CONN_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, sd,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, sd,
		MHD_OPTION_ARRAY, cert ? tls : none,
		MHD_OPTION_END);
	if (!sd->mhd) {
		pthread_mutex_destroy(&sd->submit_mu);
		free(sd);
		return err_set(err, -EXCISE_E_UNSUPPORTED,
			       cert ? "the HTTPS server did not start (the certificate or key refused by GnuTLS?)"
				    : "the HTTP server did not start");
	}
	*ret = sd;
	return 0;
}

/* Stop `sd` from accepting, let it finish its requests (and a connection just
 * accepted send its first), stop it. Its answers meanwhile close their connections. */
static void daemon_drain(struct serve_daemon *sd)
{
	if (!sd)
		return;
	sd->draining = true;
	MHD_quiesce_daemon(sd->mhd); /* the socket stays open: it is the server's */
	int64_t start = now_ms(), until = start + (int64_t)EXCISE_MAX_SERVE_DRAIN_SECONDS * 1000;
	for (;;) {
		int64_t t = now_ms();
		bool busy = atomic_load(&sd->inflight) ||
			    (atomic_load(&sd->fresh) && t - start < SERVE_FRESH_GRACE_MS);
		if (!busy || t >= until)
			break;
		usleep(10000);
	}
	/* no submit begins from here on (a keep-alive client may still send one); each
	 * handed over has its callback come exactly once, resuming its connection:
	 * libmicrohttpd may not stop with one suspended, and the callback's resume must
	 * return before the daemon goes */
	pthread_mutex_lock(&sd->submit_mu);
	sd->stopping = true;
	pthread_mutex_unlock(&sd->submit_mu);
	while (atomic_load(&sd->waiting))
		usleep(10000);
	MHD_stop_daemon(sd->mhd);
	pthread_mutex_destroy(&sd->submit_mu);
	free(sd);
}

static void *drain_thread(void *p)
{
	daemon_drain(p);
	return NULL;
}

static int listen_socket(struct excise_serve *s, const char *address, unsigned port, struct excise_err *err)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		sl = sizeof(*v4);
	} else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*v6);
		s->ipv6 = true;
	} else {
		return err_set(err, -EXCISE_E_USAGE, "listen address '%s': not an IPv4 or IPv6 address", address);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_setc(err, -errno, "socket");
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, SOMAXCONN) < 0) {
		int e = -errno;
		close(fd);
		return err_setc(err, e, "listening on %s port %u", address, port);
	}
	struct sockaddr_storage got;
	socklen_t gl = sizeof(got);
	if (getsockname(fd, (struct sockaddr *)&got, &gl) == 0)
		s->port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
							  : ((struct sockaddr_in *)&got)->sin_port);
	s->fd = fd;
	return 0;
}

static char *directive_ids(const struct excise_catalog *c)
{
	json_t *a = json_array();
	size_t n = c ? excise_catalog_n_directives(c) : 0;
	for (size_t i = 0; a && i < n; i++) {
		const struct excise_directive *d = excise_catalog_directive(c, i);
		if (d && d->id)
			json_array_append_new(a, json_string(d->id));
	}
	char *t = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return t;
}

int excise_serve_start(const struct excise_serve_opts *o, struct excise_serve **ret, struct excise_err *err)
{
	*ret = NULL;
	const struct excise_serve_config *c = o->config;
	if (!c || !o->store || (!c->plain_http && (!o->cert_pem || !o->key_pem)))
		return err_set(err, -EXCISE_E_USAGE, "serve: a config, a store and, unless plain HTTP, a certificate and key");
	struct excise_serve *s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(err, -ENOMEM, "out of memory");
	s->store = o->store;
	s->lim = c->limits;
	s->replay_window = c->replay_window;
	s->log = o->log;
	s->log_ctx = o->log_ctx;
	s->fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->rate.mu, NULL);
	hash_init(&s->rate.h);
	s->directives = directive_ids(o->catalog);
	int r = s->directives ? 0 : err_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = listen_socket(s, c->address ? c->address : EXCISE_SERVE_DEFAULT_ADDRESS, c->port, err);
	if (r == 0)
		r = daemon_start(s, c->plain_http ? NULL : o->cert_pem, c->plain_http ? NULL : o->key_pem, &s->cur, err);
	if (r < 0) {
		excise_serve_stop(s);
		return r;
	}
	serve_logf(s, "listening on %s port %u (%s, %u threads)", c->address ? c->address : EXCISE_SERVE_DEFAULT_ADDRESS,
		   s->port, c->plain_http ? "plain HTTP" : "HTTPS", pool_size(&s->lim));
	*ret = s;
	return 0;
}

unsigned excise_serve_port(const struct excise_serve *s)
{
	return s->port;
}

int excise_serve_reload(struct excise_serve *s, const char *cert_pem, const char *key_pem, struct excise_err *err)
{
	if (!cert_pem || !key_pem)
		return err_set(err, -EXCISE_E_USAGE, "reload: a certificate and a key");
	pthread_mutex_lock(&s->mu);
	if (s->n_drains == ARRAY_SIZE(s->drains)) { /* reloads in a burst: wait for the oldest */
		pthread_join(s->drains[0], NULL);
		memmove(s->drains, s->drains + 1, (--s->n_drains) * sizeof(s->drains[0]));
	}
	struct serve_daemon *old = s->cur, *fresh = NULL;
	/* the new daemon accepts on the socket before the old one stops accepting */
	int r = daemon_start(s, cert_pem, key_pem, &fresh, err);
	if (r == 0) {
		s->cur = fresh;
		if (pthread_create(&s->drains[s->n_drains], NULL, drain_thread, old) == 0)
			s->n_drains++;
		else
			daemon_drain(old);
		serve_logf(s, "certificate reloaded");
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

void excise_serve_stop(struct excise_serve *s)
{
	excise_serve_stop_stats(s, NULL);
}

void excise_serve_stop_stats(struct excise_serve *s, struct excise_serve_stats *ret)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	daemon_drain(s->cur);
	s->cur = NULL;
	for (size_t i = 0; i < s->n_drains; i++)
		pthread_join(s->drains[i], NULL);
	s->n_drains = 0;
	pthread_mutex_unlock(&s->mu);
	if (ret) /* the requests drained counted too */
		excise_serve_stats(s, ret);
	if (s->fd >= 0)
		close(s->fd);
	rate_clear(&s->rate);
	hash_done(&s->rate.h);
	free(s->rate.keys);
	free(s->rate.counts);
	pthread_mutex_destroy(&s->rate.mu);
	pthread_mutex_destroy(&s->mu);
	free(s->directives);
	free(s);
}

void excise_serve_stats(const struct excise_serve *s, struct excise_serve_stats *ret)
{
	*ret = (struct excise_serve_stats){
		.requests = atomic_load(&s->requests),
		.stored = atomic_load(&s->stored),
		.duplicates = atomic_load(&s->duplicates),
		.refused = atomic_load(&s->refused),
		.busy = atomic_load(&s->busy),
	};
}
