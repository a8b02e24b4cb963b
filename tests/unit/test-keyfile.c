/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the key-file parsers (lib/parse/keyfile.c): unit files and os-release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/limits.h"
#include "parse/keyfile.h"

#define MAX_SEEN 16

/* Entries seen, as "section|key|value". */
struct seen {
	size_t n;
	char *e[MAX_SEEN];
	int ret_after; /* when > 0: return `ret` after this many entries */
	int ret;
};

static int on_entry(void *ud, const char *section, const char *key, const char *value)
{
	struct seen *s = ud;
	assert_non_null(section);
	assert_non_null(key);
	assert_non_null(value);
	size_t i = s->n++;
	if (i < MAX_SEEN) {
		struct buf b;
		buf_init(&b, 0);
		buf_addf(&b, "%s|%s|%s", section, key, value);
		assert_int_equal(buf_take(&b, &s->e[i]), 0);
	}
	if (s->ret_after > 0 && s->n >= (size_t)s->ret_after)
		return s->ret;
	return 0;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < MAX_SEEN; i++)
		free(s->e[i]);
}

static int ini(const char *text, struct seen *s, struct excise_err *err)
{
	return keyfile_parse_ini(text, strlen(text), "t.service", on_entry, s, err);
}

static int env(const char *text, struct seen *s, struct excise_err *err)
{
	return keyfile_parse_env(text, strlen(text), "os-release", on_entry, s, err);
}

static void test_ini_basic(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	const char *t = "# comment\n"
			"; also a comment\n"
			"\n"
			"[Unit]\n"
			"Description = Kaspersky Endpoint Security \n"
			"After=network.target\r\n"
			"  [Service]  \n"
			"ExecStart=/opt/kaspersky/kesl/libexec/kesl \\\n"
			"# inside a continuation\n"
			"  --daemon \\\n"
			"  -x\n"
			"Environment=\n"
			"[Install]\n"
			"WantedBy=multi-user.target";
	assert_int_equal(ini(t, &s, &err), 5);
	assert_string_equal(s.e[0], "Unit|Description|Kaspersky Endpoint Security");
	assert_string_equal(s.e[1], "Unit|After|network.target");
	assert_string_equal(s.e[2], "Service|ExecStart|/opt/kaspersky/kesl/libexec/kesl    --daemon    -x");
	assert_string_equal(s.e[3], "Service|Environment|");
	assert_string_equal(s.e[4], "Install|WantedBy|multi-user.target");
	seen_free(&s);
}

static void test_ini_continuation_at_eof(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(ini("[A]\nK=v\\", &s, &err), 1);
	assert_string_equal(s.e[0], "A|K|v");
	seen_free(&s);
}

static void expect_ini_error(const char *t, int code, const char *fragment, size_t n_before)
{
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(ini(t, &s, &err), code);
	assert_int_equal(err.code, code);
	if (!strstr(err.msg, fragment))
		fail_msg("message '%s' lacks '%s'", err.msg, fragment);
	assert_non_null(strstr(err.msg, "'t.service'"));
	assert_int_equal(s.n, n_before);
	seen_free(&s);
}

static void test_ini_errors(void **state)
{
	(void)state;
	expect_ini_error("K=v\n", -EXCISE_E_CORRUPT, "line 1: assignment outside", 0);
	expect_ini_error("[A]\nK=v\nnothing here\n", -EXCISE_E_CORRUPT, "line 3: no '='", 1);
	expect_ini_error("[A]\n=v\n", -EXCISE_E_CORRUPT, "line 2: empty key", 0);
	expect_ini_error("[A\n", -EXCISE_E_CORRUPT, "line 1: malformed section", 0);
	expect_ini_error("[]\n", -EXCISE_E_CORRUPT, "line 1: malformed section", 0);
	expect_ini_error("[A]]\n", -EXCISE_E_CORRUPT, "line 1: malformed section", 0);
	/* A NUL byte is refused with its line. */
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	static const char nul[] = "[A]\nK=v\nL=a\0b\n";
	assert_int_equal(keyfile_parse_ini(nul, sizeof(nul) - 1, "t.service", on_entry, &s, &err),
			 -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "line 3: NUL byte"));
	assert_int_equal(s.n, 1);
	seen_free(&s);
}

static void test_ini_line_limit(void **state)
{
	(void)state;
	size_t n = EXCISE_MAX_KEYFILE_LINE;
	/* "[A]\nK=" + value: exactly the limit passes, one more byte fails. */
	char *t = malloc(n + 16);
	if (!t) {
		fail_msg("out of memory");
		return;
	}
	memcpy(t, "[A]\nK=", 6);
	memset(t + 6, 'x', n - 2);
	t[6 + n - 2] = 0; /* line "K=" + n-2 bytes = n bytes */
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(ini(t, &s, &err), 1);
	seen_free(&s);
	memset(&s, 0, sizeof(s));
	memset(t + 6, 'x', n - 1);
	t[6 + n - 1] = 0;
	assert_int_equal(ini(t, &s, &err), -EXCISE_E_TOOBIG);
	assert_non_null(strstr(err.msg, "line 2: longer than"));
	seen_free(&s);
	/* The same through continuations of short lines. */
	memset(&s, 0, sizeof(s));
	size_t parts = n / 7 + 2; /* each line adds 7 bytes */
	char *c = malloc(parts * 8 + 16);
	if (!c) {
		free(t);
		fail_msg("out of memory");
		return;
	}
	size_t k = 0;
	memcpy(c, "[A]\nK=", 6);
	k = 6;
	for (size_t i = 0; i < parts; i++) {
		memcpy(c + k, "aaaaaa\\\n", 8);
		k += 8;
	}
	c[k] = 0;
	assert_int_equal(ini(c, &s, &err), -EXCISE_E_TOOBIG);
	seen_free(&s);
	free(c);
	free(t);
}

static void test_entry_limit(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	buf_adds(&b, "[S]\n");
	for (unsigned i = 0; i < EXCISE_MAX_KEYFILE_ENTRIES; i++)
		buf_addf(&b, "K%u=v\n", i);
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(ini(b.p, &s, &err), (int)EXCISE_MAX_KEYFILE_ENTRIES);
	seen_free(&s);
	buf_adds(&b, "Last=v\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(ini(b.p, &s, &err), -EXCISE_E_LIMIT);
	assert_non_null(strstr(err.msg, "more than"));
	assert_int_equal(s.n, EXCISE_MAX_KEYFILE_ENTRIES);
	seen_free(&s);

	/* Same for the env format. */
	buf_clear(&b);
	for (unsigned i = 0; i <= EXCISE_MAX_KEYFILE_ENTRIES; i++)
		buf_addf(&b, "K%u=v\n", i);
	memset(&s, 0, sizeof(s));
	assert_int_equal(env(b.p, &s, &err), -EXCISE_E_LIMIT);
	seen_free(&s);
	buf_done(&b);
}

static void test_file_size_limit(void **state)
{
	(void)state;
	size_t n = (size_t)EXCISE_MAX_TEXT_FILE_SIZE + 1;
	char *t = calloc(n, 1);
	if (!t) {
		fail_msg("out of memory");
		return;
	}
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(keyfile_parse_ini(t, n, "big", on_entry, &s, &err), -EXCISE_E_TOOBIG);
	assert_int_equal(keyfile_parse_env(t, n, "big", on_entry, &s, &err), -EXCISE_E_TOOBIG);
	assert_int_equal(s.n, 0);
	free(t);
}

static void test_callback_stop(void **state)
{
	(void)state;
	struct seen s = { .ret_after = 1, .ret = -ECANCELED };
	struct excise_err err = { 0 };
	assert_int_equal(ini("[A]\nK=1\nL=2\n", &s, &err), -ECANCELED);
	assert_int_equal(s.n, 1);
	seen_free(&s);
	struct seen s2 = { .ret_after = 2, .ret = 1 };
	assert_int_equal(env("A=1\nB=2\nC=3\n", &s2, &err), 2);
	assert_int_equal(s2.n, 2);
	seen_free(&s2);
}

static void test_env_os_release(void **state)
{
	(void)state;
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	const char *t = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
			"NAME='Debian GNU/Linux'\r\n"
			"VERSION_ID=\"12\"   # trailing comment\n"
			"  # indented comment\n"
			"ID=debian\n"
			"export HOME_URL=\"https://www.debian.org/\"\n"
			"ESC=\"a\\\"b\\\\c\\$d\\`e\\nf\"\n"
			"MIX=\"x\"'y'z\\ w\n"
			"MULTI=\"line1\nline2\"\n"
			"EMPTY=\n"
			"CONT=ab\\\ncd\n"
			"LAST=end";
	assert_int_equal(env(t, &s, &err), 11);
	assert_string_equal(s.e[0], "|PRETTY_NAME|Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(s.e[1], "|NAME|Debian GNU/Linux");
	assert_string_equal(s.e[2], "|VERSION_ID|12");
	assert_string_equal(s.e[3], "|ID|debian");
	assert_string_equal(s.e[4], "|HOME_URL|https://www.debian.org/");
	assert_string_equal(s.e[5], "|ESC|a\"b\\c$d`e\\nf");
	assert_string_equal(s.e[6], "|MIX|xyz w");
	assert_string_equal(s.e[7], "|MULTI|line1\nline2");
	assert_string_equal(s.e[8], "|EMPTY|");
	assert_string_equal(s.e[9], "|CONT|abcd");
	assert_string_equal(s.e[10], "|LAST|end");
	seen_free(&s);
}

static void expect_env_error(const char *t, int code, const char *fragment, size_t n_before)
{
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(env(t, &s, &err), code);
	if (!strstr(err.msg, fragment))
		fail_msg("message '%s' lacks '%s'", err.msg, fragment);
	assert_non_null(strstr(err.msg, "'os-release'"));
	assert_int_equal(s.n, n_before);
	seen_free(&s);
}

static void test_env_errors(void **state)
{
	(void)state;
	expect_env_error("A=1\nB=\"open\nstill open\n", -EXCISE_E_CORRUPT,
			 "line 2: unterminated double quote", 1);
	expect_env_error("A='x", -EXCISE_E_CORRUPT, "line 1: unterminated single quote", 0);
	expect_env_error("A=1\n\n9X=2\n", -EXCISE_E_CORRUPT, "line 3: expected a variable name", 1);
	expect_env_error("A =1\n", -EXCISE_E_CORRUPT, "line 1: expected '='", 0);
	expect_env_error("A=two words\n", -EXCISE_E_CORRUPT, "line 1: unexpected text", 0);
	expect_env_error("A=1\nB\n", -EXCISE_E_CORRUPT, "line 2: expected '='", 1);
	static const char nul[] = "A=1\nB=x\0y\n";
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(keyfile_parse_env(nul, sizeof(nul) - 1, "os-release", on_entry, &s, &err),
			 -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "line 2: NUL byte"));
	seen_free(&s);
}

static void test_env_value_limit(void **state)
{
	(void)state;
	size_t n = EXCISE_MAX_KEYFILE_LINE;
	char *t = malloc(n + 16);
	if (!t) {
		fail_msg("out of memory");
		return;
	}
	/* A quoted value of exactly the limit passes; one byte more fails. */
	memcpy(t, "V=\"", 3);
	memset(t + 3, 'y', n);
	memcpy(t + 3 + n, "\"", 2);
	struct seen s = { 0 };
	struct excise_err err = { 0 };
	assert_int_equal(env(t, &s, &err), 1);
	seen_free(&s);
	memset(&s, 0, sizeof(s));
	memset(t + 3, 'y', n + 1);
	memcpy(t + 4 + n, "\"", 2);
	assert_int_equal(env(t, &s, &err), -EXCISE_E_TOOBIG);
	assert_non_null(strstr(err.msg, "line 1: longer than"));
	seen_free(&s);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini_basic),
		cmocka_unit_test(test_ini_continuation_at_eof),
		cmocka_unit_test(test_ini_errors),
		cmocka_unit_test(test_ini_line_limit),
		cmocka_unit_test(test_entry_limit),
		cmocka_unit_test(test_file_size_limit),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_env_os_release),
		cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_env_value_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
