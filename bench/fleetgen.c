/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleetgen: fill a collector database with a fleet, through the storage API
 * (include/excise/store.h), for bench/collector.py's report timing. Every host is
 * enrolled with a secret of its org unit (agency "bench", BUREAUS bureaus of SITES
 * sites each) and sends REPORTS reports of the template it was given by weight
 * (--body FILE:WEIGHT: real excise.report documents made by `excise scan`, with
 * the host's machine id and name, a fresh report_id and the time of the report),
 * received at times spread over the last DAYS days. Submissions go through the
 * writer's group commit (excise_store_submit_async), waiting when it says busy.
 *
 *   fleetgen DB-URL --hosts N --body FILE[:WEIGHT]... [--reports R] [--days D]
 *            [--bureaus B] [--sites S] [--prefix HEX8] [--sync normal|full]
 *
 * Prints one JSON object: hosts, documents, stored, seconds for enrollment and for
 * the submissions, and for the submissions: documents a second, and CPU microseconds
 * a document of the whole process (getrusage: parsing in this thread, the writers,
 * the database library; not a PostgreSQL server's) and of the store's writer threads
 * alone (excise_store_stats). --sync full keeps the collector's own durability
 * (SQLite synchronous=FULL; the default here is NORMAL, sparing an fsync a commit).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "excise/catalog.h"
#include "excise/store.h"

#include "doctmpl.h"

#define MAX_HOSTS 2000000u
#define MAX_TEMPLATES 32u

static void die(const char *what, const struct excise_err *err)
{
	fprintf(stderr, "fleetgen: %s%s%s\n", what, err ? ": " : "", err ? err->msg : "");
	exit(2);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x243f6a8885a308d3u;

static void uuid4(char out[37])
{
	uint8_t b[16];
	for (int i = 0; i < 2; i++) {
		uint64_t r = doctmpl_rnd(&rng_state);
		memcpy(b + 8 * i, &r, 8);
	}
	doctmpl_uuid4(b, out);
}

/* The writer's completions: how many are in flight, how many failed. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint64_t inflight, stored, duplicates, failed;
static struct excise_err first_err;

static void on_done(void *ctx, int rc, const struct excise_submit_result *res, const struct excise_err *err)
{
	(void)ctx;
	pthread_mutex_lock(&mu);
	inflight--;
	if (rc < 0) {
		if (!failed++ && err)
			first_err = *err;
	} else if (res->status == EXCISE_SUBMIT_STORED) {
		stored++;
	} else {
		duplicates++;
	}
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static double cpu_self(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static unsigned long num(const char *name, const char *v, unsigned long lo, unsigned long hi)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi) {
		fprintf(stderr, "fleetgen: %s %s: a number from %lu to %lu\n", name, v, lo, hi);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	static struct doctmpl tmpls[MAX_TEMPLATES];
	unsigned ntmpl = 0, weight_sum = 0, nhosts = 0, reports = 1, days = 30, bureaus = 10, sites = 5;
	const char *url = NULL, *prefix = "f1ee7000";
	bool sync_full = false;
	char why[512];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-' && !url) {
			url = a;
			continue;
		}
		if (!v)
			die("usage: fleetgen DB-URL --hosts N --body FILE[:WEIGHT]... [--reports R] [--days D] "
			    "[--bureaus B] [--sites S] [--prefix HEX8]",
			    NULL);
		i++;
		if (!strcmp(a, "--hosts"))
			nhosts = (unsigned)num(a, v, 1, MAX_HOSTS);
		else if (!strcmp(a, "--reports"))
			reports = (unsigned)num(a, v, 1, 100);
		else if (!strcmp(a, "--days"))
			days = (unsigned)num(a, v, 1, 3650);
		else if (!strcmp(a, "--bureaus"))
			bureaus = (unsigned)num(a, v, 1, 1000);
		else if (!strcmp(a, "--sites"))
			sites = (unsigned)num(a, v, 1, 1000);
		else if (!strcmp(a, "--prefix") && strlen(v) == 8 && strspn(v, "0123456789abcdef") == 8)
			prefix = v;
		else if (!strcmp(a, "--sync") && (!strcmp(v, "normal") || !strcmp(v, "full")))
			sync_full = !strcmp(v, "full");
		else if (!strcmp(a, "--body")) {
			if (ntmpl == MAX_TEMPLATES || doctmpl_load(&tmpls[ntmpl], v, why, sizeof(why)) < 0)
				die(ntmpl == MAX_TEMPLATES ? "too many --body" : why, NULL);
			weight_sum += tmpls[ntmpl++].weight;
		} else
			die("unknown option (fleetgen DB-URL --hosts N --body FILE[:WEIGHT]...)", NULL);
	}
	if (!url || !nhosts || !ntmpl)
		die("usage: fleetgen DB-URL --hosts N --body FILE[:WEIGHT]...", NULL);

	struct excise_err err = { 0 };
	struct excise_catalog *cat = NULL;
	if (excise_catalog_load_embedded(&cat, &err) < 0)
		die("catalog", &err);
	uint8_t master[32];
	if (getrandom(master, sizeof(master), 0) != (ssize_t)sizeof(master))
		die("getrandom failed", NULL);
	/* the generator's own durability does not matter: NORMAL spares an fsync a commit */
	struct excise_store_opts so = { .catalog = cat, .master_key = master, .sync_normal = !sync_full };
	struct excise_store *st = NULL;
	if (excise_store_open(url, &so, &st, &err) < 0)
		die(url, &err);

	int64_t now = (int64_t)time(NULL);
	unsigned nunits = bureaus * sites;
	char **secrets = calloc(nunits, sizeof(*secrets));
	if (!secrets)
		die("out of memory", NULL);
	for (unsigned u = 0; u < nunits; u++) {
		char unit[96], *id = NULL;
		snprintf(unit, sizeof(unit), "bench/bureau-%02u/site-%02u", u / sites, u % sites);
		if (excise_store_secret_create(st, unit, now + 86400, "fleetgen", now, &secrets[u], &id, &err) < 0)
			die("secret", &err);
		free(id);
	}

	char **ids = calloc(nhosts, sizeof(*ids));
	unsigned *tmpl_of = calloc(nhosts, sizeof(*tmpl_of));
	if (!ids || !tmpl_of)
		die("out of memory", NULL);
	double t0 = mono();
	for (unsigned i = 0; i < nhosts; i++) {
		unsigned x = (unsigned)(doctmpl_mix((uint64_t)i) % weight_sum), k = 0;
		while (x >= tmpls[k].weight)
			x -= tmpls[k++].weight;
		tmpl_of[i] = k;
		char mid[33], name[48];
		snprintf(mid, sizeof(mid), "%.8s%024x", prefix, i);
		snprintf(name, sizeof(name), "fg-%.8s-%06u", prefix, i);
		struct excise_enroll_req req = { .secret = secrets[i % nunits], .machine_id = mid, .hostname = name,
						 .platform = tmpls[k].platform, .os = tmpls[k].os,
						 .version = "fleetgen" };
		uint8_t key[EXCISE_HOST_KEY_BYTES];
		if (excise_store_enroll(st, &req, now - (int64_t)days * 86400, &ids[i], key, &err) < 0)
			die("enroll", &err);
	}
	double t_enroll = mono() - t0;

	/* for a script that measures a database server's CPU over the submissions alone */
	fprintf(stderr, "fleetgen: submitting\n");
	struct excise_store_stats s0, s1;
	excise_store_stats(st, &s0);
	double c0 = cpu_self();
	t0 = mono();
	size_t cap = 0;
	for (unsigned i = 0; i < nhosts; i++)
		cap = doctmpl_need(&tmpls[tmpl_of[i]]) > cap ? doctmpl_need(&tmpls[tmpl_of[i]]) : cap;
	char *body = malloc(cap);
	if (!body)
		die("out of memory", NULL);
	uint64_t sent = 0;
	for (unsigned r = 0; r < reports; r++) {
		for (unsigned i = 0; i < nhosts; i++) {
			const struct doctmpl *t = &tmpls[tmpl_of[i]];
			/* report r of R falls in the r-th slice of the period, the last one ending now */
			int64_t span = (int64_t)days * 86400 / reports;
			int64_t at = now - (int64_t)days * 86400 + span * r + (int64_t)(doctmpl_rnd(&rng_state) % (uint64_t)span);
			char rid[37], mid[33], name[48], ts[32];
			uuid4(rid);
			snprintf(mid, sizeof(mid), "%.8s%024x", prefix, i);
			snprintf(name, sizeof(name), "fg-%.8s-%06u", prefix, i);
			doctmpl_time(at, ts);
			const char *vals[DOCTMPL_NMARKS] = { [DOCTMPL_RID] = rid, [DOCTMPL_MID] = mid,
							     [DOCTMPL_HOST] = name, [DOCTMPL_STARTED] = ts,
							     [DOCTMPL_FINISHED] = ts };
			size_t len = doctmpl_fill(t, body, vals);
			for (;;) {
				pthread_mutex_lock(&mu);
				inflight++;
				pthread_mutex_unlock(&mu);
				int e = excise_store_submit_async(st, ids[i], body, len, at, on_done, NULL, &err);
				if (e == 0)
					break;
				pthread_mutex_lock(&mu);
				inflight--;
				if (e != -EXCISE_E_BUSY) {
					pthread_mutex_unlock(&mu);
					die("submit", &err);
				}
				/* the writer's queue is full: wait for a group to commit */
				uint64_t was = inflight;
				while (inflight && inflight >= was)
					pthread_cond_wait(&cv, &mu);
				pthread_mutex_unlock(&mu);
			}
			sent++;
		}
	}
	pthread_mutex_lock(&mu);
	while (inflight)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	double t_submit = mono() - t0;
	/* the writers count a group's CPU just after answering it */
	for (int k = 0; k < 1000; k++) {
		excise_store_stats(st, &s1);
		if (s1.documents - s0.documents >= sent)
			break;
		usleep(1000);
	}
	double c_submit = cpu_self() - c0;
	fprintf(stderr, "fleetgen: submitted\n");
	excise_store_close(st);
	if (failed)
		die("a submission failed", &first_err);
	double nd = sent ? (double)sent : 1;
	printf("{\"hosts\": %u, \"documents\": %llu, \"stored\": %llu, \"duplicate\": %llu, \"enroll_seconds\": %.3f, "
	       "\"submit_seconds\": %.3f, \"submit_docs_per_s\": %.0f, \"process_cpu_us_per_doc\": %.1f, "
	       "\"writers\": %u, \"writer_cpu_us_per_doc\": %.1f, \"groups\": %llu}\n",
	       nhosts, (unsigned long long)sent, (unsigned long long)stored, (unsigned long long)duplicates, t_enroll,
	       t_submit, (double)sent / t_submit, c_submit * 1e6 / nd, s1.writers,
	       (double)(s1.writer_cpu_ns - s0.writer_cpu_ns) / 1e3 / nd, (unsigned long long)(s1.groups - s0.groups));
	for (unsigned i = 0; i < nhosts; i++)
		free(ids[i]);
	for (unsigned u = 0; u < nunits; u++)
		free(secrets[u]);
	free(ids);
	free(tmpl_of);
	free(secrets);
	free(body);
	excise_catalog_free(cat);
	return 0;
}
