/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config: what `excise serve` runs with (include/excise/serve.h): the defaults,
 * the strict JSON config file (core/doc tables), --listen's ADDR:PORT, and the
 * state folder of a first start (database, master key, certificate, the record
 * of the first enrollment secret).
 */
#include "excise/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/root.h"
#include "core/buf.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/macro.h"
#include "excise/output.h"

_Static_assert(sizeof(size_t) == sizeof(uint64_t), "body_bytes and header_bytes are read as uint64_t");

void excise_serve_config_init(struct excise_serve_config *c)
{
	*c = (struct excise_serve_config){
		.port = EXCISE_SERVE_DEFAULT_PORT,
		.replay_window = EXCISE_PROTO_REPLAY_WINDOW,
		.stale_days = EXCISE_SERVE_DEFAULT_STALE_DAYS,
		.limits = {
			.body_bytes = EXCISE_MAX_SERVE_BODY,
			.header_bytes = EXCISE_MAX_SERVE_HEADERS,
			.connections = EXCISE_MAX_SERVE_CONNECTIONS,
			.connections_per_address = EXCISE_MAX_SERVE_CONN_PER_ADDRESS,
			.idle_seconds = EXCISE_MAX_SERVE_IDLE_SECONDS,
			.request_seconds = EXCISE_MAX_SERVE_REQUEST_SECONDS,
			.host_per_minute = EXCISE_MAX_SERVE_HOST_PER_MINUTE,
			.rate_hosts = EXCISE_MAX_SERVE_RATE_HOSTS,
		},
	};
}

void excise_serve_config_done(struct excise_serve_config *c)
{
	free(c->address);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->database);
	free(c->master_key_file);
	free(c->state_dir);
	*c = (struct excise_serve_config){ 0 };
}

static int set_listen(struct excise_serve_config *c, const char *s, struct excise_err *err, const char *where)
{
	const char *colon = strrchr(s, ':');
	const char *port = colon ? colon + 1 : s;
	char addr[64] = "";
	if (colon) {
		const char *a = s;
		size_t n = (size_t)(colon - s);
		if (n >= 2 && a[0] == '[' && a[n - 1] == ']')
			a++, n -= 2;
		else if (memchr(a, ':', n))
			return err_set(err, -EXCISE_E_USAGE, "%s'%s': an IPv6 address goes in brackets: [::]:8443", where, s);
		if (n >= sizeof(addr))
			return err_set(err, -EXCISE_E_USAGE, "%s'%s': address too long", where, s);
		memcpy(addr, a, n);
		addr[n] = '\0';
	}
	unsigned long p = 0;
	size_t digits = strspn(port, "0123456789");
	if (digits == 0 || digits > 5 || port[digits] || (p = strtoul(port, NULL, 10)) > 65535)
		return err_set(err, -EXCISE_E_USAGE, "%s'%s': expected ADDRESS:PORT with a port of 0 to 65535", where, s);
	if (addr[0]) {
		char *d = strdup(addr);
		if (!d)
			return err_set(err, -ENOMEM, "out of memory");
		free(c->address);
		c->address = d;
	}
	c->port = (unsigned)p;
	return 0;
}

int excise_serve_config_listen(struct excise_serve_config *c, const char *s, struct excise_err *err)
{
	return set_listen(c, s, err, "--listen ");
}

/* ---- the config file ---- */

static int listen_handler(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	struct excise_serve_config *c = (struct excise_serve_config *)((char *)ret - offsetof(struct excise_serve_config, address));
	struct excise_err e = { 0 };
	if (set_listen(c, json_string_value(v), &e, "") < 0)
		return doc_failc(d, e.code == -ENOMEM ? -ENOMEM : d->code, "%s", e.msg);
	return 0;
}

static const char *const sync_modes[] = { "full", "normal", NULL };

static int sync_handler(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int i = -1;
	int r = doc_enum(d, f, v, &i);
	if (r == 0)
		*(bool *)ret = i == 1;
	return r;
}

struct tls_files {
	char *cert, *key;
};

static const struct doc_field tls_fields[] = {
	{ "cert", DOC_STRING, doc_string_dup, offsetof(struct tls_files, cert), DOC_REQUIRED | DOC_NONEMPTY, 1, PATH_MAX },
	{ "key", DOC_STRING, doc_string_dup, offsetof(struct tls_files, key), DOC_REQUIRED | DOC_NONEMPTY, 1, PATH_MAX },
	{ 0 },
};
static const struct doc_table tls_table = { .fields = tls_fields, .unknown = DOC_UNKNOWN_REFUSE };

#define LIMIT(key, member, handler, lo, hi)                                                              \
	{ key, DOC_INTEGER, handler, offsetof(struct excise_serve_limits, member), 0, lo, hi }

static const struct doc_field limit_fields[] = {
	LIMIT("body_bytes", body_bytes, doc_uint64, 1024, EXCISE_MAX_SERVE_BODY_CEILING),
	LIMIT("header_bytes", header_bytes, doc_uint64, 1024, EXCISE_MAX_SERVE_CONN_MEMORY / 2),
	LIMIT("connections", connections, doc_unsigned, 1, 1000000),
	LIMIT("connections_per_address", connections_per_address, doc_unsigned, 0, 1000000),
	LIMIT("idle_seconds", idle_seconds, doc_unsigned, 1, 3600),
	LIMIT("request_seconds", request_seconds, doc_unsigned, 1, 3600),
	LIMIT("requests_per_host_per_minute", host_per_minute, doc_unsigned, 0, 1000000),
	LIMIT("threads", threads, doc_unsigned, 0, EXCISE_MAX_SERVE_THREADS),
	LIMIT("queue", queue_max, doc_unsigned, 0, 10000000),
	LIMIT("batch", batch_max, doc_unsigned, 0, 100000),
	LIMIT("batch_wait_ms", batch_wait_ms, doc_unsigned, 0, 10000),
	LIMIT("pg_writers", pg_writers, doc_unsigned, 0, EXCISE_STORE_MAX_WRITERS),
	LIMIT("rate_hosts", rate_hosts, doc_unsigned, 1, EXCISE_MAX_SERVE_RATE_HOSTS),
	{ 0 },
};
static const struct doc_table limit_table = { .fields = limit_fields, .unknown = DOC_UNKNOWN_REFUSE };

static int tls_handler(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)f;
	struct excise_serve_config *c = (struct excise_serve_config *)((char *)ret - offsetof(struct excise_serve_config, tls_cert));
	struct tls_files t = { 0 };
	int r = doc_dispatch(d, v, &tls_table, &t);
	if (r < 0) {
		free(t.cert);
		free(t.key);
		return r;
	}
	free(c->tls_cert);
	free(c->tls_key);
	c->tls_cert = t.cert;
	c->tls_key = t.key;
	return 0;
}

#define PATHF(key, member) \
	{ key, DOC_STRING, doc_string_dup, offsetof(struct excise_serve_config, member), DOC_NONEMPTY, 1, PATH_MAX }

static const struct doc_field config_fields[] = {
	{ "listen", DOC_STRING, listen_handler, offsetof(struct excise_serve_config, address), DOC_NONEMPTY, 1, 80 },
	{ "plain_http", DOC_BOOLEAN, doc_bool, offsetof(struct excise_serve_config, plain_http), 0 },
	{ "tls", DOC_OBJECT, tls_handler, offsetof(struct excise_serve_config, tls_cert), 0 },
	PATHF("database", database),
	PATHF("master_key_file", master_key_file),
	PATHF("state_dir", state_dir),
	{ "replay_window_seconds", DOC_INTEGER, doc_int64, offsetof(struct excise_serve_config, replay_window), 0, 1,
	  86400 },
	{ "stale_days", DOC_INTEGER, doc_unsigned, offsetof(struct excise_serve_config, stale_days), 0, 1, 3650 },
	{ "sqlite_sync", DOC_STRING, sync_handler, offsetof(struct excise_serve_config, sync_normal), 0,
	  .values = sync_modes },
	{ "limits", DOC_OBJECT, doc_object, offsetof(struct excise_serve_config, limits), 0, .table = &limit_table },
	{ 0 },
};
static const struct doc_table config_table = { .fields = config_fields, .unknown = DOC_UNKNOWN_REFUSE };

int excise_serve_config_read(struct excise_serve_config *c, const char *path, struct excise_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int r = read_host_file("config", path, EXCISE_MAX_SERVE_CONFIG, &text, &len, err);
	if (r < 0)
		return r;
	struct doc d;
	doc_init(&d, "config", path, err);
	json_t *o = NULL;
	r = doc_load(&d, text, len, EXCISE_MAX_SERVE_CONFIG, &o);
	if (r == 0)
		r = doc_dispatch(&d, o, &config_table, c);
	json_decref(o);
	free(text);
	if (r == 0 && c->tls_cert && c->plain_http)
		r = err_set(err, -EXCISE_E_CORRUPT, "config '%s': /plain_http: true with a /tls pair: choose one", path);
	return r;
}

/* ---- the state folder ---- */

static int mkdirs(const char *path, struct excise_err *err)
{
	char *p = strdup(path);
	if (!p)
		return err_set(err, -ENOMEM, "out of memory");
	for (char *s = p + 1;; s++) {
		bool end = *s == '\0';
		if (*s == '/' || end) {
			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				int e = -errno;
				free(p);
				return err_setc(err, e, "making the folder '%s'", path);
			}
			if (end)
				break;
			*s = '/';
		}
	}
	free(p);
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, -ENOTDIR, "'%s': not a folder", path);
	return 0;
}

static int in_state(const char *dir, const char *name, char **ret, struct excise_err *err)
{
	if (*ret)
		return 0;
	if (asprintf(ret, "%s/%s", dir, name) < 0) {
		*ret = NULL;
		return err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int excise_serve_master_key(const char *path, uint8_t key[32], struct excise_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_setc(err, -errno, "master key '%s'", path);
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		r = err_set(err, -EXCISE_E_SPECIAL, "master key '%s': not a regular file", path);
	else if (st.st_mode & 077)
		r = err_set(err, -EXCISE_E_REFUSED, "master key '%s': readable by others (mode %03o): chmod 600 it",
			    path, (unsigned)(st.st_mode & 0777));
	else if (st.st_size != 32)
		r = err_set(err, -EXCISE_E_CORRUPT, "master key '%s': %lld bytes, expected 32", path,
			    (long long)st.st_size);
	else if (read(fd, key, 32) != 32)
		r = err_setc(err, -EIO, "reading master key '%s'", path);
	close(fd);
	return r;
}

int excise_serve_prepare(struct excise_serve_config *c, bool *made_cert, struct excise_err *err)
{
	if (made_cert)
		*made_cert = false;
	if (!c->state_dir) {
		const char *env = getenv("EXCISE_STATE_DIR");
		int n = env && *env ? asprintf(&c->state_dir, "%s/collector", env)
				    : asprintf(&c->state_dir, "%s", EXCISE_SERVE_STATE_DIR);
		if (n < 0) {
			c->state_dir = NULL;
			return err_set(err, -ENOMEM, "out of memory");
		}
	}
	if (!c->address && !(c->address = strdup(EXCISE_SERVE_DEFAULT_ADDRESS)))
		return err_set(err, -ENOMEM, "out of memory");
	if (!c->tls_cert != !c->tls_key)
		return err_set(err, -EXCISE_E_USAGE, "a TLS certificate needs its key, and a key its certificate");
	if (c->plain_http && c->tls_cert)
		return err_set(err, -EXCISE_E_USAGE, "plain HTTP and a TLS pair: choose one");
	int r = mkdirs(c->state_dir, err);
	if (r == 0)
		r = in_state(c->state_dir, "collector.db", &c->database, err);
	if (r == 0)
		r = in_state(c->state_dir, "master.key", &c->master_key_file, err);
	if (r < 0)
		return r;
	if (access(c->master_key_file, F_OK) < 0 && errno == ENOENT) {
		if (sodium_init() < 0)
			return err_set(err, -EXCISE_E_UNSUPPORTED, "libsodium did not start");
		uint8_t key[32];
		randombytes_buf(key, sizeof(key));
		r = excise_output_write(c->master_key_file, 0600, key, sizeof(key), err);
		sodium_memzero(key, sizeof(key));
		if (r < 0)
			return r;
	}
	if (c->plain_http || c->tls_cert)
		return 0;
	if ((r = in_state(c->state_dir, "cert.pem", &c->tls_cert, err)) < 0 ||
	    (r = in_state(c->state_dir, "key.pem", &c->tls_key, err)) < 0)
		return r;
	bool have_cert = access(c->tls_cert, F_OK) == 0, have_key = access(c->tls_key, F_OK) == 0;
	if (have_cert && have_key)
		return 0;
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	r = excise_serve_cert_generate(c->tls_cert, c->tls_key, host, err);
	if (r == 0 && made_cert)
		*made_cert = true;
	return r;
}

int excise_serve_first_secret(struct excise_store *st, const char *state_dir, int64_t now, int64_t valid_s,
			      char **ret_secret, char **ret_id, struct excise_err *err)
{
	*ret_secret = *ret_id = NULL;
	char *mark = NULL;
	if (asprintf(&mark, "%s/first-secret", state_dir) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	if (access(mark, F_OK) == 0 || errno != ENOENT) {
		free(mark);
		return 0;
	}
	char *secret = NULL, *id = NULL;
	int r = excise_store_secret_create(st, EXCISE_SERVE_DEFAULT_ORG_UNIT, now + valid_s,
					   "made by the collector's first start", now, &secret, &id, err);
	if (r == 0) {
		/* the record names the secret's id, never the secret: it is shown once */
		char line[256];
		int n = snprintf(line, sizeof(line), "%s\n", id);
		r = excise_output_write(mark, 0600, line, (size_t)n, err);
	}
	free(mark);
	if (r < 0) {
		if (secret)
			sodium_memzero(secret, strlen(secret));
		free(secret);
		free(id);
		return r;
	}
	*ret_secret = secret;
	*ret_id = id;
	return 1;
}
