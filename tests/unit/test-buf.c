/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the capped byte buffer (lib/core/buf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "excise/error.h"

static void test_init_empty(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_non_null(b.p);
	assert_string_equal(b.p, "");
	assert_int_equal(b.n, 0);
	assert_int_equal(b.err, 0);
	buf_done(&b);
}

static void test_empty_take(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 16);
	char *s = NULL;
	assert_int_equal(buf_take(&b, &s), 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	/* The caller owns it: it must be a real allocation, not the shared empty string. */
	free(s);
	/* The buffer is usable again after a take. */
	buf_adds(&b, "x");
	assert_string_equal(b.p, "x");
	buf_done(&b);
}

static void test_add_and_take(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	buf_add(&b, "abc", 3);
	buf_adds(&b, "def");
	buf_addc(&b, 'g');
	buf_add(&b, "ignored", 0);
	assert_int_equal(b.n, 7);
	assert_string_equal(b.p, "abcdefg");
	char *s = NULL;
	assert_int_equal(buf_take(&b, &s), 0);
	assert_string_equal(s, "abcdefg");
	free(s);
	/* After take the buffer is empty again and owns nothing. */
	assert_int_equal(b.n, 0);
	assert_string_equal(b.p, "");
	buf_done(&b);
}

static void test_binary_safe(void **state)
{
	(void)state;
	static const char bytes[] = { 'a', 0, 'b', (char)0xff, 0 };
	struct buf b;
	buf_init(&b, 0);
	buf_add(&b, bytes, sizeof(bytes));
	assert_int_equal(b.n, sizeof(bytes));
	assert_memory_equal(b.p, bytes, sizeof(bytes));
	assert_int_equal(b.p[b.n], 0); /* still NUL-terminated past the data */
	buf_done(&b);
}

static void test_addf(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	buf_addf(&b, "%s=%d", "n", 42);
	buf_addf(&b, ",%05.1f", 3.5);
	buf_addf(&b, "%s", "");
	assert_string_equal(b.p, "n=42,003.5");
	assert_int_equal(b.n, strlen("n=42,003.5"));
	buf_done(&b);
}

static void test_grow_large(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 10000; i++)
		buf_addf(&b, "%04d", i % 10000);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.n, 40000);
	assert_memory_equal(b.p, "000000010002", 12);
	assert_memory_equal(b.p + 39996, "9999", 4);
	buf_done(&b);
}

/* buf_reserve: appends within the room keep the same allocation; past the cap it is the sticky error */
static void test_reserve(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 10000);
	buf_reserve(&b, 8500);
	assert_int_equal(b.err, 0);
	assert_true(b.size >= 8501);
	assert_int_equal(b.n, 0);
	assert_string_equal(b.p, "");
	char *p = b.p;
	for (int i = 0; i < 85; i++)
		buf_add(&b, "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789", 100);
	assert_int_equal(b.err, 0);
	assert_ptr_equal(b.p, p);
	assert_int_equal(b.n, 8500);
	buf_reserve(&b, 1501);
	assert_int_equal(b.err, -EXCISE_E_TOOBIG);
	buf_done(&b);
}

static void test_cap_exact(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4);
	buf_adds(&b, "abcd"); /* exactly the cap: fine */
	assert_int_equal(b.err, 0);
	assert_string_equal(b.p, "abcd");
	char *s = NULL;
	assert_int_equal(buf_take(&b, &s), 0);
	assert_string_equal(s, "abcd");
	free(s);
	buf_done(&b);
}

static void test_cap_toobig_sticky(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4);
	buf_adds(&b, "abc");
	buf_adds(&b, "de"); /* 5 > cap */
	assert_int_equal(b.err, -EXCISE_E_TOOBIG);
	/* Nothing of the failed append was kept. */
	assert_int_equal(b.n, 3);
	assert_string_equal(b.p, "abc");
	/* Sticky: later appends, even ones that would fit, do nothing. */
	buf_addc(&b, 'x');
	buf_addf(&b, "%d", 1);
	buf_add(&b, "", 0);
	assert_int_equal(b.err, -EXCISE_E_TOOBIG);
	assert_string_equal(b.p, "abc");
	char *s = (char *)"untouched";
	assert_int_equal(buf_take(&b, &s), -EXCISE_E_TOOBIG);
	assert_string_equal(s, "untouched"); /* no string handed out on error */
	buf_done(&b);
}

static void test_cap_addf(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 8);
	buf_addf(&b, "%s", "123456789"); /* 9 > 8 */
	assert_int_equal(b.err, -EXCISE_E_TOOBIG);
	assert_int_equal(b.n, 0);
	assert_string_equal(b.p, "");
	char *s = NULL;
	assert_int_equal(buf_take(&b, &s), -EXCISE_E_TOOBIG);
	assert_null(s);
	buf_done(&b);
}

static void test_cap_huge_len(void **state)
{
	(void)state;
	/* A length near SIZE_MAX must be refused by the cap check, not wrap around. */
	struct buf b;
	buf_init(&b, 16);
	buf_adds(&b, "ab");
	buf_add(&b, "x", SIZE_MAX - 1);
	assert_int_equal(b.err, -EXCISE_E_TOOBIG);
	assert_string_equal(b.p, "ab");
	buf_done(&b);
}

static void test_clear(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4);
	buf_adds(&b, "abcdef");
	assert_int_equal(b.err, -EXCISE_E_TOOBIG);
	buf_clear(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.n, 0);
	buf_adds(&b, "ok");
	assert_string_equal(b.p, "ok");
	buf_clear(&b);
	assert_string_equal(b.p, "");
	buf_done(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_empty_take),
		cmocka_unit_test(test_add_and_take),
		cmocka_unit_test(test_binary_safe),
		cmocka_unit_test(test_addf),
		cmocka_unit_test(test_grow_large),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_cap_exact),
		cmocka_unit_test(test_cap_toobig_sticky),
		cmocka_unit_test(test_cap_addf),
		cmocka_unit_test(test_cap_huge_len),
		cmocka_unit_test(test_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
