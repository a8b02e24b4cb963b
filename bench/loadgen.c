/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loadgen: a load client for the collector (`excise serve`), for the reliability
 * test (tests/e2e/fleet-reliability.sh) and the collector benchmark
 * (bench/collector.py). One process impersonates N hosts over libcurl's multi
 * interface (one thread, keep-alive connections, at most C requests in flight):
 *
 *   enroll   POST /v1/enroll once per host with the secret read from a file; the
 *            host ids and keys go to the keys file (one host a line:
 *            host_id machine_id hostname template base64-key)
 *   resume   read the keys file instead (no enrollment)
 *   submit   POST /v1/submit, signed with excise_proto_sign, of real excise.report/2
 *            documents (made by `excise scan --root` of fixture roots), each copy with
 *            its host's machine id and host name and a fresh report_id. Each host
 *            sends one template, picked by weight (--body FILE:WEIGHT), so a rare
 *            large report stays rare. Hosts take turns.
 *
 * Bounded in count (--count reports; 0 with --enroll: enroll only) and time
 * (--duration seconds, then at most --drain seconds for the requests in flight;
 * enrollment apart, at most --enroll-time seconds, default 600), and loopback
 * only: the URL must be http:// or https:// to 127.0.0.1. With --rate the reports start on a fixed
 * schedule and each latency counts from its scheduled start; without it every
 * connection sends its next report as soon as the last is answered.
 *
 * --retry resends a report that got no answer, a 429 or a 5xx with the same bytes
 * (as the agent's spool does) until acknowledged or out of time; --dup PCT resends
 * PCT % of acknowledged reports, which must come back "duplicate" (a second
 * "stored" is counted in double_stored). Every acknowledged report (200, stored or
 * duplicate, the answer naming its report_id) is written once to --acked:
 * "report_id host_id status" a line.
 *
 * It prints one JSON object: sent (requests), stored, duplicate, status_429,
 * errors (no answer, or any other status), double_stored, acked, seconds,
 * reports_per_s (acknowledged reports over the time from the first request to the
 * last answer), latency_ms p50/p95/p99/max over the 200s, by_status, bytes, and
 * the client's own CPU (user and system) over the phase: cpu_s, cpu_us_per_request.
 *
 * The client shares the machine with the collector it measures, so a request costs it
 * little: a report is the copy of its template in the slot's buffer with only the
 * report id, times, machine id and name written over (doctmpl_fill_at), signed
 * (excise_proto_sign: libcrypto's SHA-256); the collector's usual answer is compared,
 * not parsed. Over http:// the client speaks HTTP/1.1 itself (raw_*): each connection
 * is on the epoll set once, a request is one sendmsg of its head and body, its answer
 * one or two recv; libcurl's multi interface took about half the client's CPU. Over
 * https:// libcurl sends, with the slot's reused easy handle and header list. A reused connection that the collector closed before
 * answering (its idle timeout) is connected again and the request sent once more, as
 * libcurl does.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "excise/proto.h"

#include "doctmpl.h"

#define MAX_HOSTS 1000000u
#define MAX_COUNT 5000000u
#define MAX_CONC 1024u
#define MAX_DURATION 3600.0
#define MAX_TEMPLATES 32u
#define MAX_ATTEMPTS 200u
#define RESP_MAX 4096u

struct host {
	char id[96], mid[33], name[48];
	uint8_t key[EXCISE_HOST_KEY_BYTES];
	unsigned tmpl;
	bool enrolled;
};

struct job {
	uint32_t host;
	uint16_t attempts;
	bool kind_enroll, dup, acked;
	char rid[37];
};

struct slot {
	CURL *h;
	/* the request's header lines: the slot's own list, filled in place (libcurl only reads it) */
	struct curl_slist hdrs[4];
	char h_host[sizeof(EXCISE_PROTO_HOST_HEADER) + 2 + 96], h_sig[sizeof(EXCISE_PROTO_SIG_HEADER) + 2 + EXCISE_PROTO_SIG_MAX];
	const char *url;         /* the URL last set on h */
	char *body;
	size_t cap, len;
	int built;               /* the template `body` holds a copy of (-1: none) */
	size_t *offs;            /* where its values are (doctmpl_fill_at) */
	size_t vlen[DOCTMPL_NMARKS]; /* and their lengths */
	char resp[RESP_MAX + 1];
	size_t resp_len;
	size_t job;
	double t0;
	bool busy;
	/* raw HTTP (http:// only) */
	int fd;                  /* the connection, -1 when none */
	bool connecting, want_out, resent;
	unsigned served;         /* answers read on this connection */
	double since;            /* when the request (or the connect) began, for the time limits */
	char head[512];
	size_t head_len, sent;   /* the request's head; bytes of head and body sent */
	char in[2048];           /* the answer's head */
	size_t in_len, head_end; /* bytes in `in`; where its head ends (0: not yet) */
	long status;
	uint64_t clen, got;      /* the answer's Content-Length; body bytes read */
	bool has_clen, close_after;
};

struct retry {
	size_t job;
	double at;
};

struct stats {
	uint64_t sent, stored, duplicate, s429, errors, double_stored, acked, bytes, gave_up, neterr, mismatch;
	uint64_t by_status[600];
	double *lat;
	size_t nlat, caplat;
	double first, last;
	double cpu;          /* the process's CPU seconds, user and system, over the phase */
};

static struct {
	const char *url, *keys, *secret_file, *acked_path, *cacert, *prefix, *log_path;
	bool resume, retry, insecure;
	unsigned hosts, conc, dup_pct;
	uint64_t count;
	double duration, drain, rate, enroll_time;
} opt = { .conc = 16, .count = 1000, .duration = 30, .drain = 10, .enroll_time = 600, .prefix = "10adbe9c" };

static struct doctmpl tmpls[MAX_TEMPLATES];
static unsigned ntmpl, weight_sum;
static struct host *hosts;
static unsigned nhosts;
static struct job *jobs;
static size_t njobs, capjobs;
static struct retry *rq;
static size_t rq_head, rq_len, rq_cap;
static size_t *acked_jobs;
static size_t nacked, capacked;
static size_t max_nseg; /* pieces of the largest template */
static FILE *acked_out, *log_out;
static char url_enroll[256], url_submit[256];
static char *secret; /* the enrollment secret, read from its file */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("loadgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state; /* doctmpl_rnd: the choice of which report to resend; ids come from getrandom */

/* A fresh report id, as excise scan makes them, of 16 bytes of getrandom. */
static void rid_new(char out[37])
{
	static uint8_t pool[4096];
	static size_t left;
	if (left < 16) {
		size_t got = 0;
		while (got < sizeof(pool)) {
			ssize_t k = getrandom(pool + got, sizeof(pool) - got, 0);
			if (k < 0 && errno != EINTR)
				die("getrandom: %s", strerror(errno));
			got += k > 0 ? (size_t)k : 0;
		}
		left = sizeof(pool);
	}
	doctmpl_uuid4(pool + sizeof(pool) - left, out);
	left -= 16;
}

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- templates ---- */

static void tmpl_load(const char *arg)
{
	char why[512];
	if (ntmpl == MAX_TEMPLATES)
		die("more than %u --body", MAX_TEMPLATES);
	if (doctmpl_load(&tmpls[ntmpl], arg, why, sizeof(why)) < 0)
		die("%s", why);
	if (tmpls[ntmpl].nseg > max_nseg)
		max_nseg = tmpls[ntmpl].nseg;
	weight_sum += tmpls[ntmpl++].weight;
}

/* The body of job j into the slot's buffer: the host's template, its machine id and
 * name, the job's report id, the time now. When the buffer holds a copy of the same
 * template with values of the same lengths (report ids and times always are; machine
 * ids and names of hosts loadgen made too), only the values are written over. */
static void body_build(struct slot *sl, const struct job *j)
{
	const struct host *h = &hosts[j->host];
	const struct doctmpl *t = &tmpls[h->tmpl];
	static long long now_t = -1;
	static char now[32];
	long long tt = (long long)time(NULL);
	if (tt != now_t) {
		doctmpl_time(tt, now);
		now_t = tt;
	}
	const char *vals[DOCTMPL_NMARKS] = { [DOCTMPL_RID] = j->rid, [DOCTMPL_MID] = h->mid, [DOCTMPL_HOST] = h->name,
					     [DOCTMPL_STARTED] = now, [DOCTMPL_FINISHED] = now };
	size_t vlen[DOCTMPL_NMARKS];
	bool same = sl->built == (int)h->tmpl;
	for (unsigned m = 0; m < DOCTMPL_NMARKS; m++) {
		vlen[m] = strnlen(vals[m], 95);
		same = same && vlen[m] == sl->vlen[m];
	}
	if (same) {
		for (size_t i = 0; i + 1 < t->nseg; i++)
			memcpy(sl->body + sl->offs[i], vals[t->marks[i]], vlen[t->marks[i]]);
		return;
	}
	size_t need = doctmpl_need(t);
	if (sl->cap < need) {
		sl->body = xrealloc(sl->body, need);
		sl->cap = need;
	}
	sl->len = doctmpl_fill_at(t, sl->body, vals, sl->offs);
	sl->built = (int)h->tmpl;
	memcpy(sl->vlen, vlen, sizeof(vlen));
}

/* ---- hosts ---- */

static void hosts_make(void)
{
	hosts = calloc(opt.hosts, sizeof(*hosts));
	if (!hosts)
		die("out of memory");
	nhosts = opt.hosts;
	for (unsigned i = 0; i < nhosts; i++) {
		struct host *h = &hosts[i];
		snprintf(h->mid, sizeof(h->mid), "%.8s%024x", opt.prefix, i);
		snprintf(h->name, sizeof(h->name), "lg-%.8s-%06u", opt.prefix, i);
		/* the template by weight, by a fixed hash of the host's number */
		unsigned x = (unsigned)(doctmpl_mix((uint64_t)i) % weight_sum), k = 0;
		while (x >= tmpls[k].weight)
			x -= tmpls[k++].weight;
		h->tmpl = k;
	}
}

static void hosts_save(void)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp", opt.keys);
	FILE *f = fopen(tmp, "w");
	if (!f)
		die("%s: %s", tmp, strerror(errno));
	for (unsigned i = 0; i < nhosts; i++) {
		char k[EXCISE_PROTO_KEY_TEXT];
		excise_proto_key_encode(hosts[i].key, k);
		fprintf(f, "%s %s %s %s %s\n", hosts[i].id, hosts[i].mid, hosts[i].name, tmpls[hosts[i].tmpl].name, k);
	}
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, opt.keys))
		die("%s: %s", opt.keys, strerror(errno));
}

static void hosts_load(void)
{
	FILE *f = fopen(opt.keys, "r");
	if (!f)
		die("%s: %s", opt.keys, strerror(errno));
	char line[512];
	unsigned cap = 0;
	while (fgets(line, sizeof(line), f)) {
		if (nhosts == MAX_HOSTS)
			die("%s: more than %u hosts", opt.keys, MAX_HOSTS);
		if (nhosts == cap) {
			cap = cap ? cap * 2 : 1024;
			hosts = xrealloc(hosts, cap * sizeof(*hosts));
		}
		struct host *h = &hosts[nhosts];
		memset(h, 0, sizeof(*h));
		char tn[128], k[64];
		if (sscanf(line, "%95s %32s %47s %127s %63s", h->id, h->mid, h->name, tn, k) != 5)
			die("%s: line %u: not \"host_id machine_id hostname template key\"", opt.keys, nhosts + 1);
		struct excise_err err = { 0 };
		if (excise_proto_key_decode(k, h->key, &err) < 0)
			die("%s: line %u: bad key", opt.keys, nhosts + 1);
		unsigned t = 0;
		while (t < ntmpl && strcmp(tmpls[t].name, tn))
			t++;
		if (t == ntmpl)
			die("%s: line %u: template %s not given with --body", opt.keys, nhosts + 1, tn);
		h->tmpl = t;
		h->enrolled = true;
		nhosts++;
	}
	fclose(f);
	if (!nhosts)
		die("%s: no hosts", opt.keys);
}

/* ---- jobs and the retry queue ---- */

static size_t job_new(uint32_t host, bool enroll)
{
	if (njobs == capjobs) {
		capjobs = capjobs ? capjobs * 2 : 4096;
		jobs = xrealloc(jobs, capjobs * sizeof(*jobs));
	}
	struct job *j = &jobs[njobs];
	memset(j, 0, sizeof(*j));
	j->host = host;
	j->kind_enroll = enroll;
	if (!enroll)
		rid_new(j->rid);
	return njobs++;
}

static void rq_push(size_t job, double at)
{
	if (rq_len == rq_cap) {
		size_t nc = rq_cap ? rq_cap * 2 : 1024;
		struct retry *n = xrealloc(NULL, nc * sizeof(*n));
		for (size_t i = 0; i < rq_len; i++)
			n[i] = rq[(rq_head + i) % (rq_cap ? rq_cap : 1)];
		free(rq);
		rq = n, rq_cap = nc, rq_head = 0;
	}
	rq[(rq_head + rq_len) % rq_cap] = (struct retry){ job, at };
	rq_len++;
}

/* The oldest retry when its time has come (backoffs grow with attempts, so the
 * queue is nearly in time order; a later one waits behind an earlier one). */
static bool rq_pop(double now, size_t *job)
{
	if (!rq_len || rq[rq_head].at > now)
		return false;
	*job = rq[rq_head].job;
	rq_head = (rq_head + 1) % rq_cap;
	rq_len--;
	return true;
}

/* ---- requests ---- */

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct slot *sl = ud;
	size_t len = sz * n, room = RESP_MAX - sl->resp_len;
	memcpy(sl->resp + sl->resp_len, p, len < room ? len : room);
	sl->resp_len += len < room ? len : room;
	return len;
}

static void slot_init(struct slot *sl)
{
	sl->h = curl_easy_init();
	if (!sl->h)
		die("curl_easy_init failed");
	curl_easy_setopt(sl->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(sl->h, CURLOPT_PROXY, "");
	curl_easy_setopt(sl->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(sl->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(sl->h, CURLOPT_WRITEDATA, sl);
	curl_easy_setopt(sl->h, CURLOPT_PRIVATE, (void *)sl);
	curl_easy_setopt(sl->h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(sl->h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	sl->built = -1;
	sl->fd = -1;
	sl->offs = xrealloc(NULL, (max_nseg ? max_nseg : 1) * sizeof(*sl->offs));
	sl->hdrs[0] = (struct curl_slist){ (char *)"Content-Type: application/json", &sl->hdrs[1] };
	sl->hdrs[1] = (struct curl_slist){ (char *)"Expect:", NULL };
	sl->hdrs[2] = (struct curl_slist){ sl->h_host, &sl->hdrs[3] };
	sl->hdrs[3] = (struct curl_slist){ sl->h_sig, NULL };
	curl_easy_setopt(sl->h, CURLOPT_TIMEOUT_MS, 30000L);
	if (opt.cacert)
		curl_easy_setopt(sl->h, CURLOPT_CAINFO, opt.cacert);
	if (opt.insecure) { /* loopback only: the collector's own self-signed certificate */
		curl_easy_setopt(sl->h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(sl->h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static bool raw;                    /* the URL is http://: requests go through raw_* */
static struct sockaddr_in raw_addr; /* 127.0.0.1 and the URL's port */
static char raw_authority[32];      /* "127.0.0.1:PORT", the Host header */
static unsigned inflight;           /* requests begun, not yet done */
static struct stats *cur;           /* the phase's */
static void raw_start(struct slot *sl, double now);

static void slot_start(CURLM *m, struct slot *sl, size_t job, double t0)
{
	struct job *j = &jobs[job];
	struct host *h = &hosts[j->host];
	const char *url;
	if (j->kind_enroll) {
		json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "secret", secret, "machine_id", h->mid, "hostname",
				      h->name, "platform", tmpls[h->tmpl].platform, "os", tmpls[h->tmpl].os, "version",
				      "loadgen");
		char *s = json_dumps(b, JSON_COMPACT);
		json_decref(b);
		size_t n = strlen(s);
		if (sl->cap < n + 1)
			sl->body = xrealloc(sl->body, sl->cap = n + 1);
		memcpy(sl->body, s, n + 1);
		sl->len = n;
		sl->built = -1;
		free(s);
		sl->hdrs[1].next = NULL;
		url = url_enroll;
	} else {
		body_build(sl, j);
		char sig[EXCISE_PROTO_SIG_MAX];
		if (excise_proto_sign(h->key, h->id, "POST", "/v1/submit", (int64_t)time(NULL), sl->body, sl->len, sig) <
		    0)
			die("host %s: cannot sign", h->id);
		if (raw) {
			int n = snprintf(sl->head, sizeof(sl->head),
					 "POST /v1/submit HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
					 "%s: %s\r\n%s: %s\r\nContent-Length: %zu\r\n\r\n",
					 raw_authority, EXCISE_PROTO_HOST_HEADER, h->id, EXCISE_PROTO_SIG_HEADER, sig, sl->len);
			if (n < 0 || (size_t)n >= sizeof(sl->head))
				die("host %s: request head too long", h->id);
			sl->head_len = (size_t)n;
		} else {
			snprintf(sl->h_host, sizeof(sl->h_host), "%s: %s", EXCISE_PROTO_HOST_HEADER, h->id);
			snprintf(sl->h_sig, sizeof(sl->h_sig), "%s: %s", EXCISE_PROTO_SIG_HEADER, sig);
			sl->hdrs[1].next = &sl->hdrs[2];
		}
		url = url_submit;
	}
	sl->resp_len = 0;
	sl->job = job;
	sl->t0 = t0;
	sl->busy = true;
	if (j->attempts < UINT16_MAX)
		j->attempts++;
	inflight++;
	if (raw) {
		if (j->kind_enroll)
			sl->head_len = (size_t)snprintf(sl->head, sizeof(sl->head),
							"POST /v1/enroll HTTP/1.1\r\nHost: %s\r\n"
							"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
							raw_authority, sl->len);
		raw_start(sl, mono());
		return;
	}
	if (sl->url != url) /* libcurl copies a URL each time it is set */
		curl_easy_setopt(sl->h, CURLOPT_URL, sl->url = url);
	curl_easy_setopt(sl->h, CURLOPT_HTTPHEADER, sl->hdrs);
	curl_easy_setopt(sl->h, CURLOPT_POSTFIELDS, sl->body);
	curl_easy_setopt(sl->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sl->len);
	curl_multi_add_handle(m, sl->h);
}

static void lat_add(struct stats *s, double ms)
{
	if (s->nlat == s->caplat) {
		s->caplat = s->caplat ? s->caplat * 2 : 65536;
		s->lat = xrealloc(s->lat, s->caplat * sizeof(*s->lat));
	}
	s->lat[s->nlat++] = ms;
}

/* A report's 200: stored or duplicate. */
static void report_acked(struct slot *sl, struct job *j, struct stats *s, double ms, bool stored)
{
	lat_add(s, ms);
	if (stored)
		s->stored++;
	else
		s->duplicate++;
	if (stored && j->acked)
		s->double_stored++;
	if (!j->acked) {
		j->acked = true;
		s->acked++;
		if (nacked == capacked) {
			capacked = capacked ? 2 * capacked : 65536;
			acked_jobs = xrealloc(acked_jobs, capacked * sizeof(*acked_jobs));
		}
		acked_jobs[nacked++] = sl->job;
		if (acked_out)
			fprintf(acked_out, "%s %s %s\n", j->rid, hosts[j->host].id, stored ? "stored" : "duplicate");
	}
}

/* What an answer means for its job: true when it is done with (acknowledged, or
 * failed for good), false when it should be sent again. */
static bool slot_finish(struct slot *sl, const char *fail, long code, double now, struct stats *s)
{
	struct job *j = &jobs[sl->job];
	sl->busy = false;
	s->sent++;
	s->bytes += sl->len;
	if (!s->first || sl->t0 < s->first)
		s->first = sl->t0;
	s->last = now;
	double ms = (now - sl->t0) * 1000.0;
	if (log_out)
		fprintf(log_out, "%.6f %.3f %ld %s%s%s\n", sl->t0, ms, !fail ? code : -1L,
			j->kind_enroll ? "enroll" : j->rid, !fail ? "" : " ", !fail ? "" : fail);
	if (fail) {
		s->errors++;
		s->neterr++;
		return !opt.retry;
	}
	if (code >= 0 && code < 600)
		s->by_status[code]++;
	sl->resp[sl->resp_len] = 0;
	if (code == 429)
		s->s429++;
	if (code != 200) {
		if (code != 429)
			s->errors++;
		return !(opt.retry && (code == 429 || code >= 500));
	}
	bool done = true;
	if (!j->kind_enroll) { /* the collector's own answer, as it writes it: no parsing */
		char want[128];
		int n = snprintf(want, sizeof(want), "{\"status\":\"%s\",\"kind\":\"report\",\"id\":\"%s\"}",
				 j->acked ? "duplicate" : "stored", j->rid);
		if ((size_t)n == sl->resp_len && !memcmp(want, sl->resp, (size_t)n)) {
			report_acked(sl, j, s, ms, !j->acked);
			return done;
		}
	}
	json_t *r = json_loadb(sl->resp, sl->resp_len, 0, NULL);
	if (j->kind_enroll) {
		const char *id = json_string_value(json_object_get(r, "host_id"));
		const char *key = json_string_value(json_object_get(r, "host_key"));
		struct host *h = &hosts[j->host];
		struct excise_err err = { 0 };
		if (id && key && strlen(id) < sizeof(h->id) && !strpbrk(id, " \n") &&
		    excise_proto_key_decode(key, h->key, &err) == 0) {
			snprintf(h->id, sizeof(h->id), "%s", id);
			h->enrolled = true;
			s->stored++;
			s->acked++;
			lat_add(s, ms);
		} else {
			s->errors++;
			s->mismatch++;
		}
	} else {
		const char *st = json_string_value(json_object_get(r, "status"));
		const char *id = json_string_value(json_object_get(r, "id"));
		bool stored = st && !strcmp(st, "stored"), dup = st && !strcmp(st, "duplicate");
		if (!(stored || dup) || !id || strcmp(id, j->rid)) {
			s->errors++;
			s->mismatch++;
		} else {
			report_acked(sl, j, s, ms, stored);
		}
	}
	json_decref(r);
	return done;
}

/* How long a failed job waits before it is sent again: 20 ms doubling to 1 s, jittered. */
static double backoff(unsigned attempts)
{
	double b = 0.02 * (double)(1u << (attempts < 6 ? attempts : 6));
	if (b > 1.0)
		b = 1.0;
	return b / 2 + (double)(doctmpl_rnd(&rng_state) % 1000) / 1000.0 * b / 2;
}

/* ---- libcurl's sockets on one epoll set: a request costs O(1), not a poll of every connection ---- */

#define MAX_EVENTS 256

static int ep = -1;
static double timer_at; /* when libcurl wants curl_multi_socket_action(CURL_SOCKET_TIMEOUT) (0: never) */

static int on_socket(CURL *e, curl_socket_t fd, int what, void *up, void *sp)
{
	(void)e, (void)up, (void)sp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	struct epoll_event ev = { .events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u),
				  .data.fd = fd };
	if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0 && (errno != ENOENT || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0))
		die("epoll_ctl: %s", strerror(errno));
	return 0;
}

static int on_timer(CURLM *m, long ms, void *up)
{
	(void)m, (void)up;
	timer_at = ms < 0 ? 0 : mono() + (double)ms / 1000.0;
	return 0;
}

static long code_of(struct slot *sl, CURLcode cc)
{
	long code = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(sl->h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/* A request is done with: counted, and sent again later when it should be. */
static void slot_done(struct slot *sl, const char *fail, long code, double now)
{
	inflight--;
	size_t job = sl->job;
	if (!slot_finish(sl, fail, code, now, cur)) {
		if (jobs[job].attempts >= MAX_ATTEMPTS)
			cur->gave_up++;
		else
			rq_push(job, now + backoff(jobs[job].attempts));
	}
}

/* ---- HTTP/1.1 of its own over http:// (see the top) ---- */

static void raw_watch(struct slot *sl, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0u), .data.ptr = sl };
	if (epoll_ctl(ep, EPOLL_CTL_MOD, sl->fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
	sl->want_out = out;
}

static void raw_close(struct slot *sl)
{
	if (sl->fd >= 0)
		close(sl->fd); /* and off the epoll set */
	sl->fd = -1;
	sl->connecting = sl->want_out = false;
	sl->served = 0;
}

static void raw_send(struct slot *sl, double now);

/* The request failed: sent once more on a new connection when the collector closed a
 * reused one before any byte of the answer (as libcurl does), else done with. */
static void raw_fail(struct slot *sl, const char *why, bool may_resend, double now)
{
	bool again = may_resend && sl->served > 0 && !sl->resent && !sl->in_len;
	raw_close(sl);
	if (!again) {
		slot_done(sl, why, 0, now);
		return;
	}
	sl->resent = true;
	raw_start(sl, now);
}

static void raw_start(struct slot *sl, double now)
{
	sl->sent = sl->in_len = sl->head_end = 0;
	sl->got = sl->clen = 0;
	sl->status = 0;
	sl->has_clen = sl->close_after = false;
	sl->since = now;
	if (sl->fd >= 0) {
		raw_send(sl, now);
		return;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		slot_done(sl, "Couldn't create a socket", 0, now);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = sl };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
	sl->fd = fd;
	sl->want_out = true;
	if (connect(fd, (const struct sockaddr *)&raw_addr, sizeof(raw_addr)) == 0) {
		raw_send(sl, now);
	} else if (errno == EINPROGRESS) {
		sl->connecting = true; /* EPOLLOUT says when */
	} else {
		raw_close(sl);
		slot_done(sl, "Couldn't connect to server", 0, now);
	}
}

/* Head and body, in as few sendmsg as the socket takes. */
static void raw_send(struct slot *sl, double now)
{
	size_t total = sl->head_len + sl->len;
	while (sl->sent < total) {
		struct iovec iov[2];
		int n = 0;
		if (sl->sent < sl->head_len)
			iov[n++] = (struct iovec){ sl->head + sl->sent, sl->head_len - sl->sent };
		size_t bo = sl->sent > sl->head_len ? sl->sent - sl->head_len : 0;
		iov[n++] = (struct iovec){ sl->body + bo, sl->len - bo };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t k = sendmsg(sl->fd, &mh, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!sl->want_out)
				raw_watch(sl, true);
			return;
		}
		if (k < 0) {
			raw_fail(sl, "Failure when sending data to the peer", true, now);
			return;
		}
		sl->sent += (size_t)k;
	}
	if (sl->want_out)
		raw_watch(sl, false);
}

/* The answer's status line and headers (in[0..head_end)): false when malformed. */
static bool raw_head(struct slot *sl)
{
	const char *p = sl->in, *end = sl->in + sl->head_end;
	if (sl->head_end < 12 || memcmp(p, "HTTP/1.", 7) || p[8] != ' ')
		return false;
	char *e;
	sl->status = strtol(p + 9, &e, 10);
	if (e != p + 12 || sl->status < 100 || sl->status > 599)
		return false;
	sl->close_after = p[7] == '0'; /* HTTP/1.0 */
	for (p = memchr(p, '\n', (size_t)(end - p)); p && p + 1 < end; p = memchr(p, '\n', (size_t)(end - p))) {
		p++;
		const char *eol = memchr(p, '\r', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : 0;
		if (n > 15 && !strncasecmp(p, "content-length:", 15)) {
			sl->clen = strtoull(p + 15, &e, 10);
			if (e == p + 15 || e > eol)
				return false;
			sl->has_clen = true;
		} else if (n > 11 && !strncasecmp(p, "connection:", 11)) {
			for (const char *q = p + 11; q + 5 <= eol; q++)
				if (!strncasecmp(q, "close", 5))
					sl->close_after = true;
		}
	}
	return true;
}

static void raw_answered(struct slot *sl, double now)
{
	sl->served++;
	if (sl->close_after)
		raw_close(sl);
	slot_done(sl, NULL, sl->status, now);
}

static void raw_read(struct slot *sl, double now)
{
	char buf[16384];
	for (;;) {
		ssize_t k = recv(sl->fd, buf, sizeof(buf), 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (k < 0) {
			raw_fail(sl, "Failure when receiving data from the peer", true, now);
			return;
		}
		if (k == 0) {
			if (sl->head_end && !sl->has_clen) { /* the body ends with the connection */
				sl->close_after = true;
				raw_answered(sl, now);
			} else {
				raw_fail(sl, "Server returned nothing (no headers, no data)", true, now);
			}
			return;
		}
		size_t off = 0;
		if (!sl->head_end) {
			size_t old = sl->in_len, room = sizeof(sl->in) - old, take = (size_t)k < room ? (size_t)k : room;
			memcpy(sl->in + old, buf, take);
			sl->in_len += take;
			size_t from = old > 3 ? old - 3 : 0;
			const char *e = memmem(sl->in + from, sl->in_len - from, "\r\n\r\n", 4);
			if (!e) {
				if (sl->in_len == sizeof(sl->in)) {
					raw_fail(sl, "answer head too long", false, now);
					return;
				}
				continue;
			}
			sl->head_end = (size_t)(e + 4 - sl->in);
			if (!raw_head(sl)) {
				raw_fail(sl, "Weird server reply", false, now);
				return;
			}
			off = sl->head_end - old;
		}
		size_t n = (size_t)k - off;
		if (sl->has_clen && n > sl->clen - sl->got)
			n = (size_t)(sl->clen - sl->got); /* nothing more is asked for: the rest is dropped */
		size_t room = RESP_MAX - sl->resp_len;
		memcpy(sl->resp + sl->resp_len, buf + off, n < room ? n : room);
		sl->resp_len += n < room ? n : room;
		sl->got += n;
		if (sl->has_clen && sl->got == sl->clen) {
			raw_answered(sl, now);
			return;
		}
	}
}

static void raw_event(struct slot *sl, uint32_t events, double now)
{
	if (!sl->busy) { /* an idle connection: the collector closed it */
		raw_close(sl);
		return;
	}
	if (sl->connecting) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		int e = 0;
		socklen_t l = sizeof(e);
		if (getsockopt(sl->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e) {
			raw_close(sl);
			slot_done(sl, "Couldn't connect to server", 0, now);
			return;
		}
		sl->connecting = false;
		raw_send(sl, now);
		return;
	}
	if ((events & EPOLLOUT) && sl->sent < sl->head_len + sl->len) {
		raw_send(sl, now);
		if (sl->fd < 0 || !sl->busy)
			return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		raw_read(sl, now);
}

/* Requests past their time: 2 s to connect, 30 s in all (libcurl's limits on the other path). */
static void raw_timeouts(struct slot *slots, double now)
{
	for (unsigned i = 0; i < opt.conc; i++) {
		struct slot *sl = &slots[i];
		if (sl->busy && now - sl->since > (sl->connecting ? 2.0 : 30.0))
			raw_fail(sl, sl->connecting ? "Connection timed out" : "Operation timed out", false, now);
	}
}

/* Run one phase: enrollment of every host, or the submissions. */
static void drive(bool enroll, struct stats *s)
{
	CURLM *m = curl_multi_init();
	if (!m)
		die("curl_multi_init failed");
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)opt.conc);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)opt.conc);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	timer_at = 0;
	curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
	struct epoll_event evs[MAX_EVENTS];
	int nev = 0;
	struct slot *slots = calloc(opt.conc, sizeof(*slots));
	if (!slots)
		die("out of memory");
	for (unsigned i = 0; i < opt.conc; i++)
		slot_init(&slots[i]);
	cur = s;
	inflight = 0;
	double next_timeouts = 0;
	double cpu0 = cpu_now();
	/* enrollment is bounded apart: every host must be enrolled before the load, however
	 * slowly the collector enrolls (one transaction each) */
	double start = mono(), deadline = start + (enroll ? opt.enroll_time : opt.duration), hard = deadline + opt.drain;
	uint64_t issued = 0; /* new jobs started, for the schedule */
	uint64_t limit = enroll ? nhosts : opt.count;
	for (;;) {
		double now = mono();
		for (unsigned i = 0; i < opt.conc && now < deadline; i++) {
			struct slot *sl = &slots[i];
			if (sl->busy)
				continue;
			size_t job;
			double t0 = now;
			if (rq_pop(now, &job)) {
				/* a resend, timed from when it is sent again */
			} else if (!enroll && opt.dup_pct && nacked && issued < limit && doctmpl_rnd(&rng_state) % 100 < opt.dup_pct &&
				   (!opt.rate || now >= start + (double)issued / opt.rate)) {
				job = acked_jobs[doctmpl_rnd(&rng_state) % nacked];
				if (opt.rate)
					t0 = start + (double)issued / opt.rate;
				issued++;
			} else if (issued < limit && (!opt.rate || now >= start + (double)issued / opt.rate)) {
				if (opt.rate)
					t0 = start + (double)issued / opt.rate;
				job = enroll ? job_new((uint32_t)issued, true) : job_new((uint32_t)(issued % nhosts), false);
				issued++;
			} else {
				break;
			}
			slot_start(m, sl, job, t0);
		}
		if (!inflight && (now >= deadline || (issued >= limit && !rq_len)))
			break;
		if (now >= hard) {
			for (unsigned i = 0; i < opt.conc; i++)
				if (slots[i].busy) {
					if (raw)
						raw_close(&slots[i]);
					else
						curl_multi_remove_handle(m, slots[i].h);
					slots[i].busy = false;
					s->sent++;
					s->errors++;
					s->neterr++;
				}
			break;
		}
		int running;
		if (raw) {
			now = mono();
			for (int i = 0; i < nev; i++)
				raw_event(evs[i].data.ptr, evs[i].events, now);
			nev = 0;
			if (now >= next_timeouts) {
				raw_timeouts(slots, now);
				next_timeouts = now + 0.25;
			}
		}
		for (int i = 0; i < nev; i++) {
			uint32_t e = evs[i].events;
			int flags = ((e & EPOLLIN) ? CURL_CSELECT_IN : 0) | ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
				    ((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
			curl_multi_socket_action(m, evs[i].data.fd, flags, &running);
		}
		nev = 0;
		if (timer_at && mono() >= timer_at) {
			timer_at = 0;
			curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		CURLMsg *msg;
		int left;
		now = mono();
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct slot *sl = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
			CURLcode cc = msg->data.result;
			curl_multi_remove_handle(m, sl->h);
			slot_done(sl, cc == CURLE_OK ? NULL : curl_easy_strerror(cc), code_of(sl, cc), now);
		}
		/* sleep until an answer, the next scheduled start (when a connection is free for it),
		 * or a retry's time; with --rate at least 1 ms, the starts due by then made together
		 * (each still timed from its own schedule): never a busy loop that takes the CPU the
		 * collector on the same machine needs */
		double wake = now + 0.05;
		if (opt.rate && issued < limit && inflight < opt.conc)
			wake = start + (double)issued / opt.rate < wake ? start + (double)issued / opt.rate : wake;
		if (rq_len && rq[rq_head].at < wake)
			wake = rq[rq_head].at;
		int ms = (int)((wake - now) * 1000.0 + 0.999);
		if (opt.rate && ms < 1)
			ms = 1;
		if (timer_at && timer_at < wake)
			ms = (int)((timer_at - now) * 1000.0 + 0.999);
		if (inflight < opt.conc && ((issued < limit && !opt.rate) || (rq_len && rq[rq_head].at <= now)))
			ms = 0;
		nev = epoll_wait(ep, evs, MAX_EVENTS, ms > 0 ? ms : 0);
		if (nev < 0) {
			if (errno != EINTR)
				die("epoll_wait: %s", strerror(errno));
			nev = 0;
		}
	}
	s->gave_up += rq_len;
	rq_len = 0;
	s->cpu = cpu_now() - cpu0;
	for (unsigned i = 0; i < opt.conc; i++) {
		raw_close(&slots[i]);
		curl_easy_cleanup(slots[i].h);
		free(slots[i].body);
		free(slots[i].offs);
	}
	free(slots);
	curl_multi_cleanup(m);
	close(ep);
	ep = -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const struct stats *s, double p)
{
	if (!s->nlat)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)(s->nlat - 1) + 0.5);
	return s->lat[i];
}

static json_t *stats_json(struct stats *s)
{
	qsort(s->lat, s->nlat, sizeof(*s->lat), cmp_double);
	double secs = s->last > s->first ? s->last - s->first : 0;
	json_t *by = json_object();
	for (unsigned c = 0; c < 600; c++)
		if (s->by_status[c]) {
			char k[8];
			snprintf(k, sizeof(k), "%u", c);
			json_object_set_new(by, k, json_integer((json_int_t)s->by_status[c]));
		}
	if (s->neterr)
		json_object_set_new(by, "no_answer", json_integer((json_int_t)s->neterr));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:{s:f, s:f, s:f, s:f}, s:o, s:I, "
			 "s:f, s:f}",
			 "sent", (json_int_t)s->sent, "stored", (json_int_t)s->stored, "duplicate",
			 (json_int_t)s->duplicate, "status_429", (json_int_t)s->s429, "errors", (json_int_t)s->errors,
			 "bad_answer", (json_int_t)s->mismatch, "double_stored", (json_int_t)s->double_stored,
			 "acked", (json_int_t)s->acked, "gave_up", (json_int_t)s->gave_up, "seconds", secs,
			 "reports_per_s", secs > 0 ? (double)s->acked / secs : 0.0, "latency_ms", "p50", pct(s, 50),
			 "p95", pct(s, 95), "p99", pct(s, 99), "max", s->nlat ? s->lat[s->nlat - 1] : 0.0, "by_status",
			 by, "bytes", (json_int_t)s->bytes, "cpu_s", s->cpu, "cpu_us_per_request",
			 s->sent ? s->cpu * 1e6 / (double)s->sent : 0.0);
}

static void usage(void)
{
	fputs("usage: loadgen --url http://127.0.0.1:PORT --keys FILE --body FILE[:WEIGHT]...\n"
	      "               (--enroll SECRET_FILE --hosts N | --resume)\n"
	      "               [--count N] [--duration S] [--drain S] [--enroll-time S] [--concurrency C] [--rate R]\n"
	      "               [--retry] [--dup PCT] [--acked FILE] [--log FILE] [--prefix HEX8]\n"
	      "               [--cacert FILE | --insecure]\n",
	      stderr);
	exit(2);
}

static double num(const char *name, const char *v, double lo, double hi)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || d < lo || d > hi)
		die("%s %s: a number from %g to %g", name, v, lo, hi);
	return d;
}

/* The URL must name 127.0.0.1 and a port, nothing else: loadgen never loads another host. */
static void url_check(const char *u)
{
	const char *rest = !strncmp(u, "http://", 7) ? u + 7 : !strncmp(u, "https://", 8) ? u + 8 : NULL;
	if (!rest || strncmp(rest, "127.0.0.1:", 10))
		die("%s: only http(s)://127.0.0.1:PORT (loopback) is allowed", u);
	const char *port = rest + 10;
	size_t n = strspn(port, "0123456789");
	if (!n || n > 5 || (port[n] && strcmp(port + n, "/")))
		die("%s: only http(s)://127.0.0.1:PORT (loopback) is allowed", u);
	int len = (int)(port + n - u);
	raw = !strncmp(u, "http://", 7);
	raw_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)strtoul(port, NULL, 10)),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	snprintf(raw_authority, sizeof(raw_authority), "127.0.0.1:%.*s", (int)n, port);
	snprintf(url_enroll, sizeof(url_enroll), "%.*s/v1/enroll", len, u);
	snprintf(url_submit, sizeof(url_submit), "%.*s/v1/submit", len, u);
}

int main(int argc, char **argv)
{
	const char *bodies[MAX_TEMPLATES];
	unsigned nb = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && (v ? (i++, true) : (die("%s needs a value", name), false)))
		if (ARG("--url"))
			opt.url = v;
		else if (ARG("--keys"))
			opt.keys = v;
		else if (ARG("--body")) {
			if (nb == MAX_TEMPLATES)
				die("more than %u --body", MAX_TEMPLATES);
			bodies[nb++] = v;
		} else if (ARG("--enroll"))
			opt.secret_file = v;
		else if (ARG("--hosts"))
			opt.hosts = (unsigned)num(a, v, 1, MAX_HOSTS);
		else if (!strcmp(a, "--resume"))
			opt.resume = true;
		else if (ARG("--count"))
			opt.count = (uint64_t)num(a, v, 0, MAX_COUNT);
		else if (ARG("--duration"))
			opt.duration = num(a, v, 0.1, MAX_DURATION);
		else if (ARG("--enroll-time"))
			opt.enroll_time = num(a, v, 1, MAX_DURATION);
		else if (ARG("--drain"))
			opt.drain = num(a, v, 0, 120);
		else if (ARG("--concurrency"))
			opt.conc = (unsigned)num(a, v, 1, MAX_CONC);
		else if (ARG("--rate"))
			opt.rate = num(a, v, 1, 1e6);
		else if (!strcmp(a, "--retry"))
			opt.retry = true;
		else if (ARG("--dup"))
			opt.dup_pct = (unsigned)num(a, v, 0, 50);
		else if (ARG("--acked"))
			opt.acked_path = v;
		else if (ARG("--log"))
			opt.log_path = v;
		else if (ARG("--prefix")) {
			if (strlen(v) != 8 || strspn(v, "0123456789abcdef") != 8)
				die("--prefix: 8 lower-case hex digits");
			opt.prefix = v;
		} else if (ARG("--cacert"))
			opt.cacert = v;
		else if (!strcmp(a, "--insecure"))
			opt.insecure = true;
		else
			usage();
#undef ARG
	}
	if (!opt.url || !opt.keys || !nb || (!opt.resume == !opt.secret_file) || (opt.secret_file && !opt.hosts))
		usage();
	url_check(opt.url);
	for (unsigned i = 0; i < nb; i++)
		tmpl_load(bodies[i]);
	if (getrandom(&rng_state, sizeof(rng_state), 0) != (ssize_t)sizeof(rng_state))
		die("getrandom failed");
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		die("curl_global_init failed");
	if (opt.acked_path && !(acked_out = fopen(opt.acked_path, "w")))
		die("%s: %s", opt.acked_path, strerror(errno));
	if (acked_out) /* a line at a time: a test watches it grow */
		setvbuf(acked_out, NULL, _IOLBF, 0);
	if (opt.log_path && !(log_out = fopen(opt.log_path, "w")))
		die("%s: %s", opt.log_path, strerror(errno));

	json_t *out = json_object();
	if (opt.secret_file) {
		FILE *f = fopen(opt.secret_file, "r");
		char buf[512];
		if (!f || !fgets(buf, sizeof(buf), f))
			die("%s: cannot read the secret", opt.secret_file);
		fclose(f);
		buf[strcspn(buf, "\r\n")] = 0;
		secret = strdup(buf);
		hosts_make();
		struct stats es = { 0 };
		bool retry = opt.retry;
		opt.retry = true; /* every host must enroll: 429s and lost answers are sent again */
		drive(true, &es);
		opt.retry = retry;
		json_object_set_new(out, "enroll", stats_json(&es));
		free(es.lat);
		unsigned missing = 0;
		for (unsigned i = 0; i < nhosts; i++)
			missing += !hosts[i].enrolled;
		if (missing) {
			char *s = json_dumps(out, JSON_INDENT(2));
			puts(s);
			die("%u of %u hosts did not enroll", missing, nhosts);
		}
		hosts_save();
		njobs = 0;
	} else {
		hosts_load();
	}
	struct stats ss = { 0 };
	if (opt.count) /* --count 0: enroll only */
		drive(false, &ss);
	json_object_set_new(out, "hosts", json_integer(nhosts));
	json_object_set_new(out, "submit", stats_json(&ss));
	free(ss.lat);
	char *s = json_dumps(out, JSON_INDENT(2));
	puts(s);
	free(s);
	json_decref(out);
	if (acked_out && (fflush(acked_out) || fclose(acked_out)))
		die("%s: %s", opt.acked_path, strerror(errno));
	if (log_out)
		fclose(log_out);
	free(jobs);
	free(hosts);
	free(acked_jobs);
	free(rq);
	free(secret);
	curl_global_cleanup();
	return 0;
}
