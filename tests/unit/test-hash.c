/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the hash map and the owned string set (lib/core/hash.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/hash.h"

/* Keys are byte strings: NUL bytes inside them count (the evidence key joins fields with NUL). */
static void test_strset_embedded_nul(void **state)
{
	(void)state;
	struct strset s;
	strset_init(&s);
	static const char a[] = "ind\0/path\0value", b[] = "ind\0/path\0other";
	assert_int_equal(strset_add(&s, a, sizeof(a) - 1), 1);
	assert_int_equal(strset_add(&s, a, sizeof(a) - 1), 0);
	assert_int_equal(strset_add(&s, b, sizeof(b) - 1), 1);
	assert_true(strset_has(&s, a, sizeof(a) - 1));
	assert_true(strset_has(&s, b, sizeof(b) - 1));
	assert_false(strset_has(&s, a, 3)); /* "ind" alone was never added */
	assert_int_equal(strset_add(&s, a, 3), 1);
	assert_int_equal(s.n, 3);
	strset_done(&s);
}

/* Many keys: the table grows and keeps every one. */
static void test_strset_grows(void **state)
{
	(void)state;
	struct strset s;
	strset_init(&s);
	char k[32];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(k, sizeof(k), "/path/%d", i);
		assert_int_equal(strset_add(&s, k, (size_t)n), 1);
	}
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(k, sizeof(k), "/path/%d", i);
		assert_true(strset_has(&s, k, (size_t)n));
		assert_int_equal(strset_add(&s, k, (size_t)n), 0);
	}
	assert_false(strset_has(&s, "/path/5000", 10));
	strset_done(&s);
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strset_embedded_nul),
		cmocka_unit_test(test_strset_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
