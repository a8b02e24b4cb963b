/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the agent's spool (lib/agent/spool.c): the backoff arithmetic, the
 * order of spooled documents, what is evicted when the spool is full, and the
 * metadata kept across tries; and what a document is (lib/agent/document.c). */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent_int.h"
#include "core/digest.h"

static void test_backoff(void **state)
{
	(void)state;
	/* full jitter: rnd scales [0, min(cap, base * 2^(n-1))] */
	assert_int_equal(excise_agent_backoff(1, 30, 3600, 0), 0);
	assert_int_equal(excise_agent_backoff(1, 30, 3600, UINT32_MAX), 30);
	assert_int_equal(excise_agent_backoff(2, 30, 3600, UINT32_MAX), 60);
	assert_int_equal(excise_agent_backoff(3, 30, 3600, UINT32_MAX), 120);
	assert_int_equal(excise_agent_backoff(7, 30, 3600, UINT32_MAX), 1920);
	assert_int_equal(excise_agent_backoff(8, 30, 3600, UINT32_MAX), 3600); /* 3840 capped */
	assert_int_equal(excise_agent_backoff(1000000, 30, 3600, UINT32_MAX), 3600);
	assert_int_equal(excise_agent_backoff(UINT_MAX, 30, 3600, UINT32_MAX), 3600);
	assert_int_equal(excise_agent_backoff(2, 30, 3600, UINT32_MAX / 2), 30);
	/* attempts 0 counts as the first; 0 base and cap are the defaults */
	assert_int_equal(excise_agent_backoff(0, 30, 3600, UINT32_MAX), 30);
	assert_int_equal(excise_agent_backoff(1, 0, 0, UINT32_MAX), EXCISE_AGENT_BACKOFF_BASE);
	assert_int_equal(excise_agent_backoff(100, 0, 0, UINT32_MAX), EXCISE_AGENT_BACKOFF_CAP);
	/* never above the ceiling, whatever rnd */
	for (unsigned n = 1; n < 20; n++)
		for (uint32_t r = 0; r < UINT32_MAX - 65537u * 4099u; r += 65537u * 4099u) {
			unsigned d = excise_agent_backoff(n, 30, 3600, r);
			unsigned ceil = n >= 8 ? 3600 : 30u << (n - 1);
			assert_true(d <= ceil);
		}
}

struct fix {
	char dir[PATH_MAX];
	struct excise_agent_opts o;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/excise-agent-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	static char spool[PATH_MAX + 16];
	snprintf(spool, sizeof(spool), "%s/spool", f->dir);
	f->o.spool_dir = spool;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void add(struct spool *s, const struct excise_agent_opts *o, const char *kind, const char *machine,
		const char *body, bool keep, char *file, int want)
{
	struct spool_meta m = { .machine_id = (char *)machine, .name = (char *)body, .created = 1, .next_try = 1,
				.keep = keep };
	snprintf(m.kind, sizeof(m.kind), "%s", kind);
	assert_int_equal(sha256_hex(body, strlen(body), m.sha256), 0);
	struct excise_err err = { 0 };
	assert_int_equal(spool_add(s, o, &m, body, strlen(body), file, NULL, &err), want);
}

static void test_order(void **state)
{
	struct fix *f = *state;
	struct spool s;
	struct excise_err err = { 0 };
	assert_int_equal(spool_open(&f->o, &s, &err), 0);
	assert_int_equal(s.n, 0);
	char files[8][SPOOL_FILE_MAX];
	const char *bodies[8] = { "{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"d\":4}",
				  "{\"e\":5}", "{\"f\":6}", "{\"g\":7}", "{\"h\":8}" };
	for (int i = 0; i < 8; i++)
		add(&s, &f->o, i % 2 ? "plan" : "report", "m1", bodies[i], false, files[i], 0);
	/* added in a burst, each name sorts after the one before */
	for (int i = 1; i < 8; i++)
		assert_true(strcmp(files[i - 1], files[i]) < 0);
	/* the same document again: no second file */
	char again[SPOOL_FILE_MAX];
	add(&s, &f->o, "plan", "m1", bodies[3], false, again, 0);
	assert_string_equal(again, files[3]);
	spool_close(&s);
	/* read back in the order added, the metadata kept */
	assert_int_equal(spool_open(&f->o, &s, &err), 0);
	assert_int_equal(s.n, 8);
	for (int i = 0; i < 8; i++) {
		assert_string_equal(s.v[i].file, files[i]);
		assert_string_equal(s.v[i].meta.name, bodies[i]);
		assert_string_equal(s.v[i].meta.kind, i % 2 ? "plan" : "report");
		char *b;
		size_t len;
		assert_int_equal(spool_read_body(&s, &s.v[i], &b, &len, &err), 0);
		assert_int_equal(len, strlen(bodies[i]));
		assert_memory_equal(b, bodies[i], len);
		free(b);
	}
	/* a try recorded survives a reopen; a refused one moves to rejected/ */
	s.v[2].meta.attempts = 3;
	s.v[2].meta.next_try = 12345;
	assert_int_equal(spool_update(&s, &s.v[2], &err), 0);
	assert_int_equal(spool_reject(&s, &s.v[5], "HTTP 403: no", &err), 0);
	spool_close(&s);
	assert_int_equal(spool_open(&f->o, &s, &err), 0);
	assert_int_equal(s.n, 7);
	assert_int_equal(s.v[2].meta.attempts, 3);
	assert_int_equal(s.v[2].meta.next_try, 12345);
	assert_string_equal(s.v[5].file, files[6]);
	spool_close(&s);
	char path[PATH_MAX + 80];
	snprintf(path, sizeof(path), "%s/rejected/%s", f->o.spool_dir, files[5]);
	FILE *r = fopen(path, "r");
	assert_non_null(r);
	char line[4096];
	assert_non_null(fgets(line, sizeof(line), r));
	assert_non_null(strstr(line, "\"last_error\":\"HTTP 403: no\""));
	assert_non_null(fgets(line, sizeof(line), r));
	assert_string_equal(line, bodies[5]);
	fclose(r);
	/* a file that is not a spool file is left alone and not listed */
	snprintf(path, sizeof(path), "%s/00000000000000000001-0000000000000000.spool", f->o.spool_dir);
	r = fopen(path, "w");
	fputs("not json\n{}", r);
	fclose(r);
	assert_int_equal(spool_open(&f->o, &s, &err), 0);
	assert_int_equal(s.n, 7);
	spool_close(&s);
	assert_int_equal(access(path, F_OK), 0);
}

/* A spool in memory: kinds, machines, keep flags, sizes. */
static void fake(struct spool *s, struct spool_entry *v, size_t n, const char *const *kinds,
		 const char *const *machines, const bool *keep)
{
	*s = (struct spool){ .fd = -1, .lock_fd = -1, .v = v, .n = n };
	for (size_t i = 0; i < n; i++) {
		v[i] = (struct spool_entry){ .size = 100 };
		snprintf(v[i].meta.kind, sizeof(v[i].meta.kind), "%s", kinds[i]);
		v[i].meta.machine_id = (char *)machines[i];
		v[i].meta.keep = keep ? keep[i] : false;
	}
}

static void test_eviction(void **state)
{
	(void)state;
	struct spool s;
	struct spool_entry v[6];
	size_t out[6];
	const char *k1[] = { "report", "plan", "report", "attestation", "report", "removal" };
	const char *m1[] = { "A", "A", "B", "A", "A", "B" };
	fake(&s, v, 6, k1, m1, NULL);
	/* room: nothing evicted */
	assert_int_equal(spool_plan_eviction(&s, 10000, 10, "plan", "A", 100, out), 0);
	/* one file over: A's oldest report (superseded by A's report at 4) */
	assert_int_equal(spool_plan_eviction(&s, 10000, 6, "plan", "A", 100, out), 1);
	assert_int_equal(out[0], 0);
	/* two over: A's report 4 is A's newest and B's report 2 its newest: no room */
	assert_int_equal(spool_plan_eviction(&s, 10000, 5, "plan", "A", 100, out), -1);
	/* ... unless the new document is a report of B: then B's 2 goes too, oldest first */
	assert_int_equal(spool_plan_eviction(&s, 10000, 5, "report", "B", 100, out), 2);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 2);
	/* a new report of A supersedes 4 as well; plans, attestations, removals never go */
	assert_int_equal(spool_plan_eviction(&s, 10000, 5, "report", "A", 100, out), 2);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 4);
	assert_int_equal(spool_plan_eviction(&s, 10000, 4, "report", "A", 100, out), -1);
	/* bytes: 600 held and 100 more fit 650 only once 0 is gone */
	assert_int_equal(spool_plan_eviction(&s, 650, 100, "plan", "A", 100, out), 1);
	assert_int_equal(out[0], 0);
	/* a document larger than the whole bound */
	assert_int_equal(spool_plan_eviction(&s, 1000, 100, "plan", "A", 1001, out), -1);
	/* kept reports (an attestation's) are never evicted */
	const bool keep[] = { true, false, false, false, false, false };
	fake(&s, v, 6, k1, m1, keep);
	assert_int_equal(spool_plan_eviction(&s, 10000, 6, "plan", "A", 100, out), -1);
	/* ... and A's newest report goes for a newer one */
	assert_int_equal(spool_plan_eviction(&s, 10000, 6, "report", "A", 100, out), 1);
	assert_int_equal(out[0], 4);
}

static void test_document(void **state)
{
	(void)state;
	struct agent_doc d;
	struct excise_err err = { 0 };
	const char rep[] = "{\"schema\":\"excise.report/2\",\"report_id\":\"x\",\"host\":{\"machine_id\":\"m1\"}}";
	assert_int_equal(agent_doc_inspect("r", rep, strlen(rep), &d, &err), 0);
	assert_string_equal(d.kind, "report");
	assert_string_equal(d.machine_id, "m1");
	agent_doc_done(&d);
	const char rm[] = "{\"schema\":\"excise.removal/1\",\"host\":{\"machine_id\":\"m2\"}}";
	assert_int_equal(agent_doc_inspect("r", rm, strlen(rm), &d, &err), 0);
	assert_string_equal(d.kind, "removal");
	agent_doc_done(&d);
	const char none[] = "{\"schema\":\"excise.plan/1\",\"host\":{\"machine_id\":null}}";
	assert_int_equal(agent_doc_inspect("p", none, strlen(none), &d, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "machine_id"));
	const char other[] = "{\"schema\":\"excise.catalog/1\",\"host\":{\"machine_id\":\"m\"}}";
	assert_int_equal(agent_doc_inspect("c", other, strlen(other), &d, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "schema"));
	assert_int_equal(agent_doc_inspect("j", "[1", 2, &d, &err), -EXCISE_E_CORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_document),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
