/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the removal journal (lib/remove/journal.c): records, crash tails, limits. */
#include <fcntl.h>
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

#include "core/limits.h"
#include "remove/journal.h"

#define RUN_ID "0b6f1b0e-6a43-4d43-9b1e-0a4a3c1f5d2e"

struct fx {
	char dir[64];
	int fd;
	char run[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/excise-journal-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->fd = open(f->dir, O_RDONLY | O_DIRECTORY);
	snprintf(f->run, sizeof(f->run), "%s/%s", f->dir, RUN_ID);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	close(f->fd);
	int r = system(cmd);
	free(f);
	return r == 0 ? 0 : -1;
}

static void create(struct fx *f, struct journal *j, size_t steps)
{
	struct excise_err err = { 0 };
	assert_int_equal(journal_create(f->fd, f->dir, RUN_ID, "{\"plan\":1}\n", 11, "/srv/img",
					"/srv/img/var/lib/excise/quarantine", steps, j, &err), 0);
}

/* Records written are read back: outcomes, begun-but-not-ended, the plan, the start record. */
static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct journal j;
	struct excise_err err = { 0 };
	create(f, &j, 3);
	assert_int_equal(journal_begin(&j, 1, &err), 0);
	assert_int_equal(journal_end(&j, 1, EXCISE_STEP_DONE, "package kesl removed", &err), 0);
	assert_int_equal(journal_begin(&j, 2, &err), 0);
	journal_close(&j);

	struct journal_state st;
	char *plan;
	size_t plan_len;
	assert_int_equal(journal_open(f->run, &j, &plan, &plan_len, &st, &err), 0);
	assert_string_equal(plan, "{\"plan\":1}\n");
	assert_int_equal(plan_len, 11);
	assert_string_equal(st.run_id, RUN_ID);
	assert_string_equal(st.root, "/srv/img");
	assert_string_equal(st.quarantine, "/srv/img/var/lib/excise/quarantine");
	assert_int_equal(st.n_steps, 3);
	assert_int_equal(st.outcomes[0], EXCISE_STEP_DONE);
	assert_true(st.begun[1]);
	assert_int_equal(st.outcomes[1], EXCISE_STEP_PENDING);
	assert_false(st.begun[2]);
	/* appending after reopening goes on where it was */
	assert_int_equal(journal_end(&j, 2, EXCISE_STEP_FAILED, "exit status 1", &err), 0);
	journal_close(&j);
	journal_state_done(&st);
	free(plan);
	assert_int_equal(journal_open(f->run, &j, &plan, &plan_len, &st, &err), 0);
	assert_int_equal(st.outcomes[1], EXCISE_STEP_FAILED);
	assert_int_equal(st.n_records, 5);
	journal_close(&j);
	journal_state_done(&st);
	free(plan);
}

/* A record cut by a crash inside write(2) never was: it is ignored and cut off,
 * and the next record starts on a line of its own. */
static void test_torn_tail(void **state)
{
	struct fx *f = *state;
	struct journal j;
	struct excise_err err = { 0 };
	create(f, &j, 2);
	assert_int_equal(journal_begin(&j, 1, &err), 0);
	static const char torn[] = "{\"event\":\"end\",\"step\":1,\"outc";
	assert_int_equal(write(j.fd, torn, sizeof(torn) - 1), (ssize_t)(sizeof(torn) - 1));
	journal_close(&j);

	struct journal_state st;
	char *plan;
	size_t plan_len;
	assert_int_equal(journal_open(f->run, &j, &plan, &plan_len, &st, &err), 0);
	assert_true(st.begun[0]);
	assert_int_equal(st.outcomes[0], EXCISE_STEP_PENDING);
	assert_int_equal(journal_end(&j, 1, EXCISE_STEP_DONE, NULL, &err), 0);
	journal_close(&j);
	journal_state_done(&st);
	free(plan);
	assert_int_equal(journal_open(f->run, &j, &plan, &plan_len, &st, &err), 0);
	assert_int_equal(st.outcomes[0], EXCISE_STEP_DONE);
	journal_close(&j);
	journal_state_done(&st);
	free(plan);
}

/* A run directory is never reused, and a symlink is never followed to make one. */
static void test_create_refuses(void **state)
{
	struct fx *f = *state;
	struct journal j;
	struct excise_err err = { 0 };
	create(f, &j, 1);
	journal_close(&j);
	assert_int_equal(journal_create(f->fd, f->dir, RUN_ID, "{}", 2, "/", "/q", 1, &j, &err), -EEXIST);
	assert_non_null(strstr(err.msg, RUN_ID));
	assert_int_equal(journal_create(f->fd, f->dir, "not-a-uuid", "{}", 2, "/", "/q", 1, &j, &err),
			 -EXCISE_E_USAGE);
}

static int parse(const char *text, struct journal_state *st, struct excise_err *err)
{
	return journal_parse("j", text, strlen(text), st, err);
}

#define START "{\"event\":\"start\",\"schema\":\"excise.journal/1\",\"run_id\":\"" RUN_ID "\"," \
	      "\"root\":\"/\",\"quarantine\":\"/q\",\"steps\":2}\n"

/* Malformed records are errors naming the line. */
static void test_parse_errors(void **state)
{
	(void)state;
	struct journal_state st;
	struct excise_err err = { 0 };
	assert_int_equal(parse("", &st, &err), -EXCISE_E_CORRUPT);
	assert_int_equal(parse("{\"event\":\"begin\",\"step\":1}\n", &st, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "line 1"));
	assert_int_equal(parse(START "{\"event\":\"end\",\"step\":1,\"outcome\":\"done\"}\n", &st, &err),
			 -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "line 2: step 1 ends without a begin"));
	assert_int_equal(parse(START "{\"event\":\"begin\",\"step\":3}\n", &st, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "line 2"));
	assert_int_equal(parse(START "{\"event\":\"begin\",\"step\":1}\n"
				     "{\"event\":\"end\",\"step\":1,\"outcome\":\"pending\"}\n", &st, &err),
			 -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "line 3"));
	assert_int_equal(parse(START "[1]\n", &st, &err), -EXCISE_E_CORRUPT);
	assert_int_equal(parse(START "{\"event\":\"begin\",\"step\":1,\"step\":1}\n", &st, &err), -EXCISE_E_CORRUPT);
	assert_int_equal(parse(START "{\"event\":\"party\"}\n", &st, &err), -EXCISE_E_CORRUPT);
	assert_int_equal(parse("{\"event\":\"start\",\"schema\":\"excise.journal/2\",\"run_id\":\"" RUN_ID
			       "\",\"root\":\"/\",\"quarantine\":\"/q\",\"steps\":2}\n", &st, &err),
			 -EXCISE_E_CORRUPT);
	assert_int_equal(parse("{\"event\":\"start\",\"schema\":\"excise.journal/1\",\"run_id\":\"" RUN_ID
			       "\",\"root\":\"rel\",\"quarantine\":\"/q\",\"steps\":2}\n", &st, &err),
			 -EXCISE_E_CORRUPT);
}

/* "moved": what each step put into quarantine, written and read back; an older end
 * record without it is 0; a count out of range is refused. */
static void test_moved(void **state)
{
	struct fx *f = *state;
	struct journal j;
	struct excise_err err = { 0 };
	create(f, &j, 3);
	assert_int_equal(journal_begin(&j, 1, &err), 0);
	assert_int_equal(journal_end_moved(&j, 1, EXCISE_STEP_DONE, "moved", 4, &err), 0);
	assert_int_equal(journal_begin(&j, 2, &err), 0);
	assert_int_equal(journal_end(&j, 2, EXCISE_STEP_ALREADY, "gone", &err), 0);
	journal_close(&j);
	struct journal_state st;
	char *plan;
	size_t plan_len;
	assert_int_equal(journal_open(f->run, &j, &plan, &plan_len, &st, &err), 0);
	assert_int_equal(st.moved[0], 4);
	assert_int_equal(st.moved[1], 0);
	assert_int_equal(st.moved[2], 0);
	journal_close(&j);
	journal_state_done(&st);
	free(plan);
	assert_int_equal(parse(START "{\"event\":\"begin\",\"step\":1}\n"
				     "{\"event\":\"end\",\"step\":1,\"outcome\":\"done\",\"moved\":-1}\n", &st, &err),
			 -EXCISE_E_LIMIT);
	assert_non_null(strstr(err.msg, "line 3"));
}

/* Every limit, at it and past it. */
static void test_limits(void **state)
{
	(void)state;
	struct journal_state st;
	struct excise_err err = { 0 };
	char line[512];
	snprintf(line, sizeof(line), "{\"event\":\"start\",\"schema\":\"excise.journal/1\",\"run_id\":\"" RUN_ID
		 "\",\"root\":\"/\",\"quarantine\":\"/q\",\"steps\":%u}\n", EXCISE_MAX_JOURNAL_STEPS);
	assert_int_equal(parse(line, &st, &err), 0);
	assert_int_equal(st.n_steps, EXCISE_MAX_JOURNAL_STEPS);
	journal_state_done(&st);
	snprintf(line, sizeof(line), "{\"event\":\"start\",\"schema\":\"excise.journal/1\",\"run_id\":\"" RUN_ID
		 "\",\"root\":\"/\",\"quarantine\":\"/q\",\"steps\":%u}\n", EXCISE_MAX_JOURNAL_STEPS + 1);
	assert_int_equal(parse(line, &st, &err), -EXCISE_E_LIMIT);

	/* records: the start and then restore records up to the limit */
	static const char rec[] = "{\"event\":\"restore\"}\n";
	size_t rl = sizeof(rec) - 1, sl = strlen(START);
	size_t n = EXCISE_MAX_JOURNAL_RECORDS;
	char *big = malloc(sl + rl * n + 1);
	memcpy(big, START, sl);
	for (size_t i = 0; i < n - 1; i++)
		memcpy(big + sl + i * rl, rec, rl);
	size_t len = sl + rl * (n - 1);
	assert_int_equal(journal_parse("j", big, len, &st, &err), 0);
	assert_int_equal(st.n_records, EXCISE_MAX_JOURNAL_RECORDS);
	journal_state_done(&st);
	memcpy(big + len, rec, rl);
	assert_int_equal(journal_parse("j", big, len + rl, &st, &err), -EXCISE_E_LIMIT);
	free(big);

	/* size: checked before anything is read */
	assert_int_equal(journal_parse("j", START, (size_t)EXCISE_MAX_JOURNAL_SIZE + 1, &st, &err), -EXCISE_E_TOOBIG);
	assert_non_null(strstr(err.msg, "journal 'j'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_refuses, setup, teardown),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test_setup_teardown(test_moved, setup, teardown),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
