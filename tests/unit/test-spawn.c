/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spawn (lib/remove/spawn.c): the last line a tool printed, kept for the journal and
 * the error of a failed step. The tool is the host's sh printing in several writes
 * apart in time, so its output arrives in several reads: a line is kept whole whatever
 * reads it spans, never joined to the line before it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "remove/spawn.h"

/* Run `sh -c script` and return its exit status, the tail in `tail` (size bytes). */
static int run_sh(const char *script, char *tail, size_t size)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct excise_err err = { 0 };
	int r = spawn_run(argv, -1, tail, size, &err);
	if (r < 0)
		fail_msg("spawn_run: %s", err.msg);
	return r;
}

static void expect_tail(const char *script, size_t size, const char *want)
{
	char tail[256];
	memset(tail, 'X', sizeof(tail));
	assert_true(size <= sizeof(tail));
	assert_int_equal(run_sh(script, tail, size), 3);
	if (strcmp(tail, want) != 0)
		fail_msg("%s: kept '%s', want '%s'", script, tail, want);
}

static void test_tail_lines(void **state)
{
	(void)state;
	/* a line ended in one read, the next line in another: the next one alone */
	expect_tail("printf 'dpkg: error processing package kesl\\n'; sleep 0.3; "
		    "printf 'Errors were encountered while processing: kesl\\n'; exit 3",
		    256, "Errors were encountered while processing: kesl");
	/* the same on stderr, and without a final newline */
	expect_tail("printf 'first line\\n' >&2; sleep 0.3; printf 'last' >&2; exit 3", 256, "last");
	/* one line printed in two writes is one line */
	expect_tail("printf 'a\\nhalf '; sleep 0.3; printf 'and half\\n'; exit 3", 256, "half and half");
	/* blank lines printed after it, in reads of their own, do not replace it */
	expect_tail("printf 'the reason\\n'; sleep 0.3; printf '\\n\\n'; sleep 0.3; printf '\\n'; exit 3", 256,
		    "the reason");
	/* a line longer than the buffer: its beginning */
	expect_tail("printf 'short\\n'; sleep 0.3; printf '0123456789abcdef\\n'; exit 3", 8, "0123456");
	/* nothing printed: empty */
	expect_tail("exit 3", 256, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tail_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
