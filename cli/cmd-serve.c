/* SPDX-License-Identifier: Apache-2.0 */
/*
 * excise serve: run the collector (lib/serve/) until SIGTERM or SIGINT, reloading
 * its certificate on SIGHUP; or manage its enrollment secrets on the same database
 * (`excise serve secret create|list|revoke`). Signals are handled here, in one
 * sigwait loop: they are blocked before the server's threads start, so none of
 * those threads ever takes one.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define FIRST_SECRET_DAYS 30 /* the first start's secret is valid this long */

const char cmd_serve_help[] =
	"usage: excise serve [--config FILE] [--listen ADDR:PORT] [--db PATH|URL] [--state-dir DIR]\n"
	"                    [--tls-cert FILE --tls-key FILE | --plain-http] [--master-key FILE]\n"
	"                    [--pg-writers N]\n"
	"       excise serve secret create --org-unit AGENCY[/BUREAU[/SITE]] [--expires 30d] [--note TEXT]\n"
	"       excise serve secret list\n"
	"       excise serve secret revoke ID\n"
	"       excise serve host retire HOST --reason TEXT | host unretire HOST\n"
	"       excise serve exempt add HOST DIRECTIVE --reason TEXT --approver NAME [--expires 90d]\n"
	"       excise serve exempt revoke ID\n"
	"       excise serve exempt list [DIRECTIVE]\n"
	"       excise serve inventory import FILE.csv\n"
	"       excise serve directive start DIRECTIVE YYYY-MM-DD|none\n"
	"       excise serve filing add DIRECTIVE MILESTONE YYYY-MM-DD --reference TEXT [--org-unit PATH]\n"
	"       excise serve filing list [DIRECTIVE]\n"
	"       excise serve filing revoke ID --reason TEXT\n\n"
	"Runs the collector hosts enroll with and submit their reports, plans, removal\n"
	"summaries and attestations to (docs/collector.md), until SIGTERM or SIGINT (it stops\n"
	"accepting, answers what is in flight, closes the database). SIGHUP reads the\n"
	"certificate and key again and serves new connections with them.\n\n"
	"With no options it keeps everything in its state folder (/var/lib/excise/collector,\n"
	"or $EXCISE_STATE_DIR/collector): a SQLite database, a master key, a self-signed\n"
	"certificate, and on the first start an enrollment secret it prints once.\n\n"
	"  --config FILE        a JSON config file (docs/collector.md); the options below override it\n"
	"  --listen ADDR:PORT   where to listen (default 0.0.0.0:8443; port 0: any free port)\n"
	"  --db PATH|URL        a SQLite file, or a postgresql:// URL (default STATE/collector.db)\n"
	"  --state-dir DIR      the state folder\n"
	"  --tls-cert FILE, --tls-key FILE  the certificate and key to serve HTTPS with (PEM)\n"
	"  --plain-http         serve HTTP without TLS (behind a TLS proxy, or on loopback)\n"
	"  --master-key FILE    the 32-byte key host keys are derived from (default STATE/master.key)\n"
	"  --pg-writers N       PostgreSQL: writer threads, each with its connection (1 to 32, default 4;\n"
	"                       a host's documents always on one); SQLite has one writer\n"
	"  --org-unit PATH      secret create: the org unit a host enrolled with it joins;\n"
	"                       filing add: the unit the report covers, and those below (default: all)\n"
	"  --expires N[smhd]    secret create: how long it is valid (default 30d)\n"
	"  --note TEXT          secret create: a note shown by secret list\n"
	"  --reason TEXT        host retire, exempt add, filing revoke: why (kept in the audit trail)\n"
	"  --reference TEXT     filing add: what identifies the report filed (a DIBNet report number,\n"
	"                       a ticket)\n"
	"  --approver NAME      exempt add: who approved the exemption\n"
	"  --by NAME            who does it, for the audit trail (default: the login name)\n\n"
	"The admin verbs work on the database a running collector uses (the same options\n"
	"find it). HOST is a host id or a host name; the inventory CSV has the columns\n"
	"org_unit,hostname. A filing records that the organisation filed the report a\n"
	"milestone asks for (FAR 52.204-23 R1, R2) on that day: the milestone is met for the\n"
	"hosts of the unit identified on or before it (docs/fleet.md, \"Reports filed\").\n\n"
	"exit status: 0 stopped by a signal or done, 2 error\n";

enum {
	OPT_CONFIG = OPT_VERB, OPT_LISTEN, OPT_DB, OPT_STATE, OPT_CERT, OPT_KEY, OPT_PLAIN, OPT_MASTER,
	OPT_ORG, OPT_EXPIRES, OPT_NOTE, OPT_REASON, OPT_APPROVER, OPT_BY, OPT_PG_WRITERS, OPT_REFERENCE,
};

static const struct option serve_options[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "db", required_argument, NULL, OPT_DB },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "tls-cert", required_argument, NULL, OPT_CERT },
	{ "tls-key", required_argument, NULL, OPT_KEY },
	{ "plain-http", no_argument, NULL, OPT_PLAIN },
	{ "master-key", required_argument, NULL, OPT_MASTER },
	{ "org-unit", required_argument, NULL, OPT_ORG },
	{ "expires", required_argument, NULL, OPT_EXPIRES },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "approver", required_argument, NULL, OPT_APPROVER },
	{ "by", required_argument, NULL, OPT_BY },
	{ "pg-writers", required_argument, NULL, OPT_PG_WRITERS },
	{ "reference", required_argument, NULL, OPT_REFERENCE },
	{ 0 },
};

struct serve_args {
	const char *config, *listen, *db, *state, *cert, *key, *master, *org, *expires, *note, *reason, *approver, *by,
		*reference;
	unsigned pg_writers; /* 0: not given */
	bool plain;
};

static bool is_pg_url(const char *url)
{
	return url && (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11));
}

/* --pg-writers N: 1 to EXCISE_STORE_MAX_WRITERS, or 0 (said) */
static unsigned pg_writers_arg(struct cli_run *run, const char *v)
{
	char *end = NULL;
	errno = 0;
	unsigned long n = *v >= '0' && *v <= '9' ? strtoul(v, &end, 10) : 0;
	if (errno || !end || *end || n < 1 || n > EXCISE_STORE_MAX_WRITERS) {
		cli_usage_error(run, "--pg-writers '%s': expected a number of writer threads from 1 to %u "
				     "(EXCISE_STORE_MAX_WRITERS)", v, EXCISE_STORE_MAX_WRITERS);
		return 0;
	}
	return (unsigned)n;
}

static int set_str(char **dst, const char *v)
{
	char *d = strdup(v);
	if (!d) {
		cli_error("out of memory");
		return -1;
	}
	free(*dst);
	*dst = d;
	return 0;
}

/* The config file, then the options over it, then the state folder's defaults. */
static int serve_config(const struct serve_args *a, struct excise_serve_config *c, bool serving)
{
	struct excise_err err = { 0 };
	if (a->config && excise_serve_config_read(c, a->config, &err) < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	if (a->listen && excise_serve_config_listen(c, a->listen, &err) < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	if ((a->db && set_str(&c->database, a->db)) || (a->state && set_str(&c->state_dir, a->state)) ||
	    (a->master && set_str(&c->master_key_file, a->master)))
		return EXIT_ERROR;
	if (a->pg_writers)
		c->limits.pg_writers = a->pg_writers;
	if (a->cert) {
		if (set_str(&c->tls_cert, a->cert) || set_str(&c->tls_key, a->key))
			return EXIT_ERROR;
		c->plain_http = false;
	}
	if (a->plain) {
		free(c->tls_cert), free(c->tls_key);
		c->tls_cert = c->tls_key = NULL;
		c->plain_http = true;
	}
	if (!serving)
		c->plain_http = true; /* the admin verbs make no certificate */
	bool made = false;
	if (excise_serve_prepare(c, &made, &err) < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	if (a->pg_writers && !is_pg_url(c->database)) {
		cli_error("--pg-writers: the database '%s' is SQLite, which has one writer (it applies to a "
			  "postgresql:// database)", c->database);
		return EXIT_ERROR;
	}
	if (made)
		excise_text_printf(stderr, "excise serve: made a self-signed certificate: %s (agents: excise enroll URL --ca cert.pem)\n",
				   c->tls_cert);
	return 0;
}

static int open_store(struct cli_run *run, const struct excise_serve_config *c, struct excise_store **st)
{
	struct excise_err err = { 0 };
	uint8_t key[32];
	if (excise_serve_master_key(c->master_key_file, key, &err) < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	struct excise_store_opts so = {
		.catalog = run->catalog,
		.master_key = key,
		.batch_max = c->limits.batch_max,
		.batch_wait_ms = c->limits.batch_wait_ms,
		.queue_max = c->limits.queue_max,
		.sync_normal = c->sync_normal,
		.pg_writers = c->limits.pg_writers,
	};
	int r = excise_store_open(c->database, &so, st, &err);
	explicit_bzero(key, sizeof(key));
	if (r < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	return 0;
}

/* ---- the server ---- */

/*
 * The log (stderr) is written in blocks, not a write(2) a line: a request thread appends
 * its line to `buf` under `mu` and goes on. The thread whose line fills the buffer past
 * EXCISE_SERVE_LOG_FLUSH_BYTES, or the log's own thread once the oldest line is
 * EXCISE_SERVE_LOG_FLUSH_MS old, swaps it with the spare under `mu` and writes the spare
 * holding `wmu`: blocks go out whole and in order, and appending never waits for a write.
 * An "error:" line, every line while buffering is off (the start, the stop) and the
 * main thread's own lines are written at once, after everything before them.
 */
#define SLOG_CAP (2 * EXCISE_SERVE_LOG_FLUSH_BYTES)
static char slog_blocks[2][SLOG_CAP];

static struct {
	pthread_mutex_t mu, wmu; /* wmu before mu */
	pthread_cond_t cv;       /* the log thread waits on it: a first line, or stop */
	char *buf, *spare;       /* SLOG_CAP bytes each */
	size_t len;
	struct timespec oldest;  /* CLOCK_MONOTONIC of buf's first line */
	bool buffered, stop;
	pthread_t tid;
	time_t ts_at;            /* the second ts is formatted for */
	char ts[32];
	size_t ts_len;
} slog = { .mu = PTHREAD_MUTEX_INITIALIZER, .wmu = PTHREAD_MUTEX_INITIALIZER, .buf = slog_blocks[0],
	    .spare = slog_blocks[1], .ts_at = -1 };

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w, n -= (size_t)w;
	}
}

/* Write what is buffered; `extra` (one whole line, may be NULL) right after it. */
static void slog_flush_with(const char *extra, size_t extra_n)
{
	pthread_mutex_lock(&slog.wmu);
	pthread_mutex_lock(&slog.mu);
	char *p = slog.buf;
	size_t n = slog.len;
	slog.buf = slog.spare, slog.spare = p, slog.len = 0;
	pthread_mutex_unlock(&slog.mu);
	write_all(p, n);
	if (extra)
		write_all(extra, extra_n);
	pthread_mutex_unlock(&slog.wmu);
}

static void slog_flush(void)
{
	slog_flush_with(NULL, 0);
}

/* `ts line\n`; `now`: written before this returns, with everything before it. */
static void slog_add(const char *line, bool now)
{
	size_t ln = strlen(line);
	pthread_mutex_lock(&slog.mu);
	time_t t = time(NULL);
	if (t != slog.ts_at) {
		struct tm tm;
		slog.ts_len = strftime(slog.ts, sizeof(slog.ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		slog.ts_at = t;
	}
	size_t n = slog.ts_len + 1 + ln + 1;
	if (n > SLOG_CAP) { /* never from serve_logf's 1 KiB lines; written alone, after the buffer */
		char *l = NULL;
		int k = asprintf(&l, "%s %s\n", slog.ts, line);
		pthread_mutex_unlock(&slog.mu);
		if (k > 0)
			slog_flush_with(l, (size_t)k);
		free(l);
		return;
	}
	while (slog.len + n > SLOG_CAP) { /* full: only when its writer is slow */
		pthread_mutex_unlock(&slog.mu);
		slog_flush();
		pthread_mutex_lock(&slog.mu);
	}
	bool first = slog.len == 0;
	char *o = slog.buf + slog.len;
	memcpy(o, slog.ts, slog.ts_len);
	o[slog.ts_len] = ' ';
	memcpy(o + slog.ts_len + 1, line, ln);
	o[n - 1] = '\n';
	slog.len += n;
	if (now || !slog.buffered || slog.len >= EXCISE_SERVE_LOG_FLUSH_BYTES) {
		pthread_mutex_unlock(&slog.mu);
		slog_flush();
		return;
	}
	if (first) {
		clock_gettime(CLOCK_MONOTONIC, &slog.oldest);
		pthread_cond_signal(&slog.cv);
	}
	pthread_mutex_unlock(&slog.mu);
}

static void *slog_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "excise-log");
	pthread_mutex_lock(&slog.mu);
	while (!slog.stop) {
		if (!slog.len) {
			pthread_cond_wait(&slog.cv, &slog.mu);
			continue;
		}
		struct timespec due = slog.oldest, now;
		due.tv_sec += EXCISE_SERVE_LOG_FLUSH_MS / 1000;
		due.tv_nsec += (long)(EXCISE_SERVE_LOG_FLUSH_MS % 1000) * 1000000L;
		if (due.tv_nsec >= 1000000000L)
			due.tv_sec++, due.tv_nsec -= 1000000000L;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec < due.tv_sec || (now.tv_sec == due.tv_sec && now.tv_nsec < due.tv_nsec)) {
			pthread_cond_timedwait(&slog.cv, &slog.mu, &due);
			continue;
		}
		pthread_mutex_unlock(&slog.mu);
		slog_flush();
		pthread_mutex_lock(&slog.mu);
	}
	pthread_mutex_unlock(&slog.mu);
	return NULL;
}

/* Buffer the lines from here on; false (and lines go on at once) when no thread starts. */
static bool slog_start(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int r = pthread_cond_init(&slog.cv, &ca);
	pthread_condattr_destroy(&ca);
	if (r)
		return false;
	if (pthread_create(&slog.tid, NULL, slog_main, NULL)) {
		pthread_cond_destroy(&slog.cv);
		return false;
	}
	pthread_mutex_lock(&slog.mu);
	slog.buffered = true;
	pthread_mutex_unlock(&slog.mu);
	return true;
}

/* Every line at once again, the buffer written: after the server's drain. */
static void slog_stop(void)
{
	pthread_mutex_lock(&slog.mu);
	slog.buffered = false;
	slog.stop = true;
	pthread_cond_signal(&slog.cv);
	pthread_mutex_unlock(&slog.mu);
	pthread_join(slog.tid, NULL);
	pthread_cond_destroy(&slog.cv);
	slog_flush();
}

/* The server's lines: an access line waits in the buffer, an error goes out at once. */
static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	slog_add(line, strncmp(line, "error:", 6) == 0);
}

/* The main thread's own lines (the start, SIGHUP, the stop): at once. */
static void log_now(const char *line)
{
	slog_add(line, true);
}

static void say_time(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	strftime(out, n, "%Y-%m-%d %H:%M UTC", gmtime_r(&tt, &tm));
}

static int run_server(struct cli_run *run, struct excise_serve_config *c)
{
	/* blocked before any thread starts (the store's writer and checkpointer, the
	 * server's pool), which inherit the mask: only the sigwait below takes these,
	 * and a SIGTERM can never end the process through another thread */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct excise_err err = { 0 };
	struct excise_store *st = NULL;
	char *cert = NULL, *key = NULL;
	if (!c->plain_http && excise_serve_pem_pair(c->tls_cert, c->tls_key, &cert, &key, &err) < 0) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	int rc = open_store(run, c, &st);
	if (rc)
		goto out;
	struct excise_store_stats ss;
	excise_store_stats(st, &ss);
	char sline[120];
	snprintf(sline, sizeof(sline), "store: %s, %u writer%s", excise_store_backend(st), ss.writers,
		 ss.writers == 1 ? "" : "s");
	log_now(sline);
	int64_t now = (int64_t)time(NULL);
	char *secret = NULL, *id = NULL;
	int first = excise_serve_first_secret(st, c->state_dir, now, (int64_t)FIRST_SECRET_DAYS * 86400, &secret, &id,
					      &err);
	if (first < 0) {
		cli_error("%s", err.msg);
		rc = EXIT_ERROR;
		goto out;
	}
	if (first) {
		char until[40];
		say_time(until, sizeof(until), now + (int64_t)FIRST_SECRET_DAYS * 86400);
		excise_text_printf(stdout,
				   "enrollment secret for org unit '%s' (id %s, valid until %s), shown this once:\n"
				   "  %s\n",
				   EXCISE_SERVE_DEFAULT_ORG_UNIT, id, until, secret);
		fflush(stdout);
		explicit_bzero(secret, strlen(secret));
		free(secret);
		free(id);
	} else {
		fputs("excise serve: enrollment secrets: excise serve secret create --org-unit AGENCY/BUREAU/SITE "
		      "(list: excise serve secret list)\n",
		      stderr);
	}

	struct excise_serve *srv = NULL;
	struct excise_serve_opts so = {
		.config = c, .store = st, .catalog = run->catalog, .cert_pem = cert, .key_pem = key,
		.log = log_line,
	};
	if (excise_serve_start(&so, &srv, &err) < 0) {
		cli_error("%s", err.msg);
		rc = EXIT_ERROR;
		goto out;
	}
	bool buffered = slog_start();
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (c->plain_http) {
				log_now("SIGHUP: plain HTTP, no certificate to reload");
				continue;
			}
			char *nc = NULL, *nk = NULL;
			struct excise_err e2 = { 0 };
			if (excise_serve_pem_pair(c->tls_cert, c->tls_key, &nc, &nk, &e2) < 0 ||
			    excise_serve_reload(srv, nc, nk, &e2) < 0) {
				char *m = excise_text_escape(e2.msg, 0);
				char line[700];
				snprintf(line, sizeof(line), "error: SIGHUP: certificate not reloaded, the old one goes on: %s",
					 m ? m : "?");
				free(m);
				log_now(line);
			}
			slog_flush(); /* "certificate reloaded" */
			if (nk)
				explicit_bzero(nk, strlen(nk));
			free(nc);
			free(nk);
			continue;
		}
		log_now(sig == SIGTERM ? "SIGTERM: stopping" : "SIGINT: stopping");
		break;
	}
	struct excise_serve_stats stats;
	excise_serve_stop_stats(srv, &stats); /* counted after the drain: what was in flight too */
	if (buffered)
		slog_stop(); /* the drain's lines written, and every line after at once */
	char line[200];
	snprintf(line, sizeof(line), "stopped: %" PRIu64 " requests, %" PRIu64 " stored, %" PRIu64 " duplicates, %" PRIu64
		 " refused, %" PRIu64 " busy", stats.requests, stats.stored, stats.duplicates, stats.refused, stats.busy);
	log_now(line);
out:
	excise_store_close(st);
	if (key)
		explicit_bzero(key, strlen(key));
	free(cert);
	free(key);
	return rc;
}

/* ---- secrets ---- */

/* N[smhd] in seconds, or -1. */
static int64_t duration(const char *s)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0 || v > 36500LL * 86400)
		return -1;
	int64_t unit = 86400;
	if (*end) {
		if (end[1])
			return -1;
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
	}
	if (v > 36500LL * 86400 / unit)
		return -1;
	return (int64_t)v * unit;
}

static int secret_verb(struct cli_run *run, struct excise_store *st, const struct serve_args *a, int argc,
		       char **argv)
{
	struct excise_err err = { 0 };
	const char *verb = argv[0];
	int64_t now = (int64_t)time(NULL);
	if (strcmp(verb, "create") == 0) {
		if (argc != 1 || !a->org) {
			cli_usage_error(run, "secret create takes --org-unit AGENCY[/BUREAU[/SITE]] and no other word");
			return EXIT_ERROR;
		}
		int64_t valid = a->expires ? duration(a->expires) : 30 * 86400;
		if (valid < 0) {
			cli_usage_error(run, "--expires '%s': expected N followed by s, m, h or d (at most 100 years)", a->expires);
			return EXIT_ERROR;
		}
		char *secret = NULL, *id = NULL;
		if (excise_store_secret_create(st, a->org, now + valid, a->note, now, &secret, &id, &err) < 0) {
			cli_error("%s", err.msg);
			return EXIT_ERROR;
		}
		char until[40];
		say_time(until, sizeof(until), now + valid);
		excise_text_printf(stdout, "id: %s\norg unit: %s\nexpires: %s\nsecret (shown this once): %s\n", id, a->org,
				   until, secret);
		explicit_bzero(secret, strlen(secret));
		free(secret);
		free(id);
		return 0;
	}
	if (strcmp(verb, "list") == 0) {
		if (argc != 1) {
			cli_usage_error(run, "secret list takes no other word");
			return EXIT_ERROR;
		}
		struct excise_secret_info *v = NULL;
		size_t n = 0;
		if (excise_store_secret_list(st, &v, &n, &err) < 0) {
			cli_error("%s", err.msg);
			return EXIT_ERROR;
		}
		printf("%-24s %-30s %-20s %-20s %-8s %6s  %s\n", "ID", "ORG UNIT", "CREATED", "EXPIRES", "STATE", "HOSTS",
		       "NOTE");
		for (size_t i = 0; i < n; i++) {
			char created[40], expires[40], hosts[24];
			say_time(created, sizeof(created), v[i].created);
			say_time(expires, sizeof(expires), v[i].expires);
			snprintf(hosts, sizeof(hosts), "%" PRIu64, v[i].hosts);
			const char *state = v[i].revoked ? "revoked" : v[i].expires <= now ? "expired" : "valid";
			char *id = excise_text_escape(v[i].id, 0), *ou = excise_text_escape(v[i].org_unit, 0),
			     *note = excise_text_escape(v[i].note ? v[i].note : "", 0);
			printf("%-24s %-30s %-20s %-20s %-8s %6s  %s\n", id ? id : "?", ou ? ou : "?", created, expires, state,
			       hosts, note ? note : "?");
			free(id), free(ou), free(note);
		}
		excise_secret_info_free(v, n);
		return 0;
	}
	if (strcmp(verb, "revoke") == 0) {
		if (argc != 2) {
			cli_usage_error(run, "secret revoke takes the ID of one secret");
			return EXIT_ERROR;
		}
		if (excise_store_secret_revoke(st, argv[1], now, &err) < 0) {
			cli_error("%s", err.msg);
			return EXIT_ERROR;
		}
		excise_text_printf(stdout, "revoked %s: hosts can no longer enroll with it\n", argv[1]);
		return 0;
	}
	cli_usage_error(run, "secret: expected create, list or revoke, not '%s'", verb);
	return EXIT_ERROR;
}

/* ---- hosts, exemptions, inventory, directive start dates ---- */

static const char *who_am_i(const struct serve_args *a)
{
	if (a->by)
		return a->by;
	const char *u = getenv("SUDO_USER");
	if (!u || !*u)
		u = getenv("USER");
	if (!u || !*u)
		u = getenv("LOGNAME");
	return u && *u ? u : "admin";
}

/* YYYY-MM-DD as unix seconds at 00:00 UTC, or -1. */
static int64_t day_of(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end || strlen(s) != 10)
		return -1;
	time_t t = timegm(&tm);
	return t <= 0 ? -1 : (int64_t)t;
}

static int admin_fail(const struct excise_err *err)
{
	cli_error("%s", err->msg);
	return EXIT_ERROR;
}

static int read_file_whole(const char *path, char **ret, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		cli_error("'%s': %s", path, strerror(errno));
		return EXIT_ERROR;
	}
	size_t cap = 0, n = 0;
	char *b = NULL;
	for (;;) {
		if (n == cap) {
			if (cap > EXCISE_MAX_INVENTORY_SIZE) {
				cli_error("'%s': over %u bytes", path, EXCISE_MAX_INVENTORY_SIZE);
				free(b);
				fclose(f);
				return EXIT_ERROR;
			}
			cap = cap ? 2 * cap : 65536;
			char *nb = realloc(b, cap + 1);
			if (!nb) {
				cli_error("out of memory");
				free(b);
				fclose(f);
				return EXIT_ERROR;
			}
			b = nb;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		cli_error("reading '%s' failed", path);
		free(b);
		return EXIT_ERROR;
	}
	b[n] = '\0';
	*ret = b;
	*len = n;
	return 0;
}

/* filing add|list|revoke: the organisation's filed reports (docs/fleet.md, "Reports filed") */
static int filing_verb(struct cli_run *run, struct excise_store *st, const struct serve_args *a, int argc,
		       char **argv)
{
	struct excise_err err = { 0 };
	int64_t now = (int64_t)time(NULL);
	const char *verb = argv[1], *who = who_am_i(a);
	if (strcmp(verb, "add") == 0 && argc == 5) {
		int64_t day = day_of(argv[4]);
		if (day < 0) {
			cli_usage_error(run, "filing add: '%s' is not YYYY-MM-DD (the day the report was filed)", argv[4]);
			return EXIT_ERROR;
		}
		if (!a->reference) {
			cli_usage_error(run, "filing add: --reference TEXT says what identifies the report (a DIBNet "
					     "report number, a ticket)");
			return EXIT_ERROR;
		}
		char *id = NULL;
		if (excise_store_filing_add(st, argv[2], argv[3], a->org, day, a->reference, who, now, &id, &err) < 0)
			return admin_fail(&err);
		excise_text_printf(stdout, "filing %s: %s %s filed on %s for %s\n", id ? id : "?", argv[2], argv[3],
				   argv[4], a->org ? a->org : "the whole organisation");
		free(id);
		return 0;
	}
	if (strcmp(verb, "revoke") == 0 && argc == 3) {
		if (!a->reason) {
			cli_usage_error(run, "filing revoke: --reason TEXT says why");
			return EXIT_ERROR;
		}
		if (excise_store_filing_revoke(st, argv[2], a->reason, who, now, &err) < 0)
			return admin_fail(&err);
		excise_text_printf(stdout, "filing %s revoked: it no longer counts\n", argv[2]);
		return 0;
	}
	if (strcmp(verb, "list") == 0 && argc <= 3) {
		struct excise_filing *v = NULL;
		size_t n = 0;
		if (excise_store_filing_list(st, argc == 3 ? argv[2] : NULL, &v, &n, &err) < 0)
			return admin_fail(&err);
		printf("%-16s %-16s %-4s %-10s %-24s %-20s %-10s %s\n", "ID", "DIRECTIVE", "MS", "FILED", "ORG UNIT",
		       "RECORDED BY", "STATE", "REFERENCE");
		for (size_t i = 0; i < n; i++) {
			char filed[40];
			say_time(filed, sizeof(filed), v[i].filed);
			filed[10] = 0; /* the day */
			/* every string as the database holds it, escaped for a terminal */
			char *id = excise_text_escape(v[i].id, 0), *dir = excise_text_escape(v[i].directive, 0),
			     *ms = excise_text_escape(v[i].milestone, 0),
			     *ou = excise_text_escape(v[i].org_unit ? v[i].org_unit : "(all)", 0),
			     *by = excise_text_escape(v[i].recorded_by, 0), *ref = excise_text_escape(v[i].reference, 0),
			     *why = v[i].revoked ? excise_text_escape(v[i].revoke_reason ? v[i].revoke_reason : "", 0) : NULL;
			printf("%-16s %-16s %-4s %-10s %-24s %-20s %-10s %s%s%s%s\n", id ? id : "?", dir ? dir : "?",
			       ms ? ms : "?", filed, ou ? ou : "?", by ? by : "?", v[i].revoked ? "revoked" : "in force",
			       ref ? ref : "?", why ? " (revoked: " : "", why ? why : "", why ? ")" : "");
			free(id), free(dir), free(ms), free(ou), free(by), free(ref), free(why);
		}
		excise_filing_free(v, n);
		return 0;
	}
	cli_usage_error(run, "filing %s: expected add DIRECTIVE MILESTONE YYYY-MM-DD, list [DIRECTIVE] or revoke ID "
			     "(excise serve --help)", verb);
	return EXIT_ERROR;
}

static int admin_verb(struct cli_run *run, struct excise_store *st, const struct serve_args *a, int argc, char **argv)
{
	struct excise_err err = { 0 };
	int64_t now = (int64_t)time(NULL);
	const char *noun = argv[0], *verb = argv[1], *who = who_am_i(a);
	if (strcmp(noun, "host") == 0 && strcmp(verb, "retire") == 0 && argc == 3) {
		if (!a->reason) {
			cli_usage_error(run, "host retire: --reason TEXT says why");
			return EXIT_ERROR;
		}
		if (excise_store_host_retire(st, argv[2], a->reason, who, now, &err) < 0)
			return admin_fail(&err);
		excise_text_printf(stdout, "retired %s: it no longer counts (it comes back if it reports again)\n", argv[2]);
		return 0;
	}
	if (strcmp(noun, "host") == 0 && strcmp(verb, "unretire") == 0 && argc == 3) {
		if (excise_store_host_unretire(st, argv[2], who, now, &err) < 0)
			return admin_fail(&err);
		excise_text_printf(stdout, "%s counts again\n", argv[2]);
		return 0;
	}
	if (strcmp(noun, "exempt") == 0 && strcmp(verb, "add") == 0 && argc == 4) {
		if (!a->reason || !a->approver) {
			cli_usage_error(run, "exempt add: --reason TEXT and --approver NAME");
			return EXIT_ERROR;
		}
		int64_t valid = a->expires ? duration(a->expires) : 0;
		if (valid < 0) {
			cli_usage_error(run, "--expires '%s': expected N followed by s, m, h or d", a->expires);
			return EXIT_ERROR;
		}
		char *id = NULL;
		if (excise_store_exempt(st, argv[2], argv[3], a->reason, a->approver, valid ? now + valid : 0, now, &id,
					&err) < 0)
			return admin_fail(&err);
		excise_text_printf(stdout, "exemption %s: %s from %s\n", id ? id : "?", argv[2], argv[3]);
		free(id);
		return 0;
	}
	if (strcmp(noun, "exempt") == 0 && strcmp(verb, "list") == 0 && argc <= 3) {
		struct excise_exemption *v = NULL;
		size_t n = 0;
		if (excise_store_exempt_list(st, argc == 3 ? argv[2] : NULL, &v, &n, &err) < 0)
			return admin_fail(&err);
		printf("%-16s %-16s %-24s %-20s %-10s %-10s %-20s %s\n", "ID", "HOST", "HOSTNAME", "DIRECTIVE", "CREATED",
		       "EXPIRES", "APPROVER", "STATE (REASON)");
		for (size_t i = 0; i < n; i++) {
			char created[40], expires[40] = "never";
			say_time(created, sizeof(created), v[i].created);
			created[10] = 0; /* the day */
			if (v[i].expires) {
				say_time(expires, sizeof(expires), v[i].expires);
				expires[10] = 0;
			}
			const char *state = v[i].revoked && v[i].revoked <= now ? "revoked"
					    : v[i].expires && v[i].expires <= now ? "expired"
										   : "in force";
			/* every string as the database holds it, escaped for a terminal */
			char *id = excise_text_escape(v[i].id, 0), *host = excise_text_escape(v[i].host_id, 0),
			     *name = excise_text_escape(v[i].hostname ? v[i].hostname : "-", 0),
			     *dir = excise_text_escape(v[i].directive, 0), *by = excise_text_escape(v[i].approver, 0),
			     *why = excise_text_escape(v[i].reason, 0);
			printf("%-16s %-16s %-24s %-20s %-10s %-10s %-20s %s (%s)\n", id ? id : "?", host ? host : "?",
			       name ? name : "?", dir ? dir : "?", created, expires, by ? by : "?", state, why ? why : "?");
			free(id), free(host), free(name), free(dir), free(by), free(why);
		}
		excise_exemption_free(v, n);
		return 0;
	}
	if (strcmp(noun, "exempt") == 0 && strcmp(verb, "revoke") == 0 && argc == 3) {
		if (excise_store_exempt_revoke(st, argv[2], who, now, &err) < 0)
			return admin_fail(&err);
		excise_text_printf(stdout, "exemption %s revoked\n", argv[2]);
		return 0;
	}
	if (strcmp(noun, "inventory") == 0 && strcmp(verb, "import") == 0 && argc == 3) {
		char *csv = NULL, **problems = NULL;
		size_t len = 0, rows = 0;
		if (read_file_whole(argv[2], &csv, &len))
			return EXIT_ERROR;
		int r = excise_store_inventory_import(st, csv, len, who, now, &rows, &problems, &err);
		free(csv);
		for (char **p = problems; p && *p; p++)
			excise_text_printf(stderr, "excise: %s: %s\n", argv[2], *p);
		excise_strv_free(problems);
		if (r < 0)
			return admin_fail(&err);
		printf("imported %zu expected host%s\n", rows, rows == 1 ? "" : "s");
		return 0;
	}
	if (strcmp(noun, "directive") == 0 && strcmp(verb, "start") == 0 && argc == 4) {
		int64_t day = strcmp(argv[3], "none") == 0 ? 0 : day_of(argv[3]);
		if (day < 0) {
			cli_usage_error(run, "directive start: '%s' is not YYYY-MM-DD or none", argv[3]);
			return EXIT_ERROR;
		}
		if (excise_store_directive_start(st, argv[2], day, who, now, &err) < 0)
			return admin_fail(&err);
		if (day)
			excise_text_printf(stdout, "%s starts on %s for this organisation\n", argv[2], argv[3]);
		else
			excise_text_printf(stdout, "%s: the catalog's dates apply again\n", argv[2]);
		return 0;
	}
	if (strcmp(noun, "filing") == 0)
		return filing_verb(run, st, a, argc, argv);
	cli_usage_error(run, "%s %s: not an admin verb, or not its arguments (excise serve --help)", noun, verb);
	return EXIT_ERROR;
}

int cmd_serve(struct cli_run *run, int argc, char **argv)
{
	struct serve_args a = { 0 };
	int c;
	while ((c = cli_getopt(run, argc, argv, "", serve_options)) != -1) {
		switch (c) {
		case OPT_CONFIG: a.config = optarg; break;
		case OPT_LISTEN: a.listen = optarg; break;
		case OPT_DB: a.db = optarg; break;
		case OPT_STATE: a.state = optarg; break;
		case OPT_CERT: a.cert = optarg; break;
		case OPT_KEY: a.key = optarg; break;
		case OPT_PLAIN: a.plain = true; break;
		case OPT_MASTER: a.master = optarg; break;
		case OPT_ORG: a.org = optarg; break;
		case OPT_EXPIRES: a.expires = optarg; break;
		case OPT_NOTE: a.note = optarg; break;
		case OPT_REASON: a.reason = optarg; break;
		case OPT_APPROVER: a.approver = optarg; break;
		case OPT_BY: a.by = optarg; break;
		case OPT_REFERENCE: a.reference = optarg; break;
		case OPT_PG_WRITERS:
			if (!(a.pg_writers = pg_writers_arg(run, optarg)))
				return EXIT_ERROR;
			break;
		default: return run->exit;
		}
	}
	if (!a.cert != !a.key) {
		cli_usage_error(run, "--tls-cert and --tls-key go together");
		return EXIT_ERROR;
	}
	if (a.cert && a.plain) {
		cli_usage_error(run, "--plain-http or a certificate, not both");
		return EXIT_ERROR;
	}
	int words = argc - optind;
	bool serving = words == 0;
	static const char *const nouns[] = { "secret", "host", "exempt", "inventory", "directive", "filing", NULL };
	if (!serving && cli_choice(run, "the admin verb", argv[optind], nouns) < 0)
		return EXIT_ERROR;
	if (!serving && words < 2) {
		cli_usage_error(run, "%s: expected a verb after it (excise serve --help)", argv[optind]);
		return EXIT_ERROR;
	}
	const char *pair = serving ? "" : argv[optind + 1];
	bool secret_create = !serving && strcmp(argv[optind], "secret") == 0 && strcmp(pair, "create") == 0;
	bool exempt_add = !serving && strcmp(argv[optind], "exempt") == 0 && strcmp(pair, "add") == 0;
	bool retire = !serving && strcmp(argv[optind], "host") == 0 && strcmp(pair, "retire") == 0;
	bool filing_add = !serving && strcmp(argv[optind], "filing") == 0 && strcmp(pair, "add") == 0;
	bool filing_revoke = !serving && strcmp(argv[optind], "filing") == 0 && strcmp(pair, "revoke") == 0;
	if ((a.org && !secret_create && !filing_add) || (a.note && !secret_create) || (a.reference && !filing_add)) {
		cli_usage_error(run, "--org-unit goes with secret create and filing add, --note with secret create, "
				     "--reference with filing add");
		return EXIT_ERROR;
	}
	if ((a.expires && !secret_create && !exempt_add) || (a.approver && !exempt_add) ||
	    (a.reason && !exempt_add && !retire && !filing_revoke) || (a.by && serving)) {
		cli_usage_error(run, "--expires, --approver, --reason and --by go with the admin verbs that take them "
				     "(excise serve --help)");
		return EXIT_ERROR;
	}
	int rc = cli_load_catalog(run);
	if (rc)
		return rc;
	struct excise_serve_config cfg;
	excise_serve_config_init(&cfg);
	rc = serve_config(&a, &cfg, serving);
	if (rc == 0 && serving) {
		rc = run_server(run, &cfg);
	} else if (rc == 0) {
		struct excise_store *st = NULL;
		rc = open_store(run, &cfg, &st);
		if (rc == 0)
			rc = strcmp(argv[optind], "secret") == 0 ? secret_verb(run, st, &a, words - 1, argv + optind + 1)
							      : admin_verb(run, st, &a, words, argv + optind);
		excise_store_close(st);
	}
	excise_serve_config_done(&cfg);
	return rc;
}
