/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the terminal escaping and the CSV cells (lib/core/text.c: text_escape, csv_cell). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/text.h"

/* text_escape of `len` bytes of `s` with `flags` must give `want`. */
static void esc_is(const char *s, size_t len, unsigned flags, const char *want)
{
	struct buf b;
	buf_init(&b, 0);
	text_escape(&b, s, len, flags);
	assert_int_equal(b.err, 0);
	if (strcmp(b.p, want))
		fail_msg("escaped '%s', want '%s'", b.p, want);
	assert_true(utf8_valid(b.p, b.n));
	buf_done(&b);
}

#define ESC(s, flags, want) esc_is(s, sizeof(s) - 1, flags, want)

static void test_c0_del(void **state)
{
	(void)state;
	ESC("plain text, UTF-8 é ж 中", 0, "plain text, UTF-8 é ж 中");
	ESC("a\x1b]0;title\a\x1b[2Jb", 0, "a\\x1b]0;title\\x07\\x1b[2Jb");
	ESC("line\nnext\ttab\rcr", 0, "line\\nnext\\ttab\\rcr");
	ESC("nul\0end", 0, "nul\\x00end");
	ESC("del\x7f", 0, "del\\x7f");
	/* the format's newline kept where the caller says the text is lines */
	ESC("one\ntwo\x1b", TEXT_ESC_KEEP_NL, "one\ntwo\\x1b");
	ESC("a\tb", TEXT_ESC_KEEP_TAB, "a\tb");
}

static void test_c1_bidi(void **state)
{
	(void)state;
	/* C1 controls as UTF-8 (U+0080-U+009F); U+00A0 is no control */
	ESC("csi\xc2\x9b" "31m nel\xc2\x85 nbsp\xc2\xa0", 0, "csi\\u009b31m nel\\u0085 nbsp\xc2\xa0");
	ESC("\xc2\x80\xc2\x9f", 0, "\\u0080\\u009f");
	/* every bidirectional control, and the characters beside them left alone */
	ESC("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae", 0, "\\u202a\\u202b\\u202c\\u202d\\u202e");
	ESC("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", 0, "\\u2066\\u2067\\u2068\\u2069");
	ESC("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", 0, "\\u200e\\u200f\\u061c");
	ESC("\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa", 0, "\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
	ESC("evil\xe2\x80\xaegpj.exe", 0, "evil\\u202egpj.exe");
}

static void test_invalid_bytes(void **state)
{
	(void)state;
	/* a raw 0x9B is a CSI to terminals that take 8-bit controls: every byte not UTF-8 is \xNN */
	ESC("raw\x9b" "2J", 0, "raw\\x9b2J");
	ESC("\xff\xfe", 0, "\\xff\\xfe");
	ESC("cut \xe2\x80", 0, "cut \\xe2\\x80");
	ESC("overlong \xc0\xaf", 0, "overlong \\xc0\\xaf");
	ESC("surrogate \xed\xa0\x80", 0, "surrogate \\xed\\xa0\\x80");
}

static void test_backslash_json(void **state)
{
	(void)state;
	ESC("C:\\Windows\\x1b", 0, "C:\\Windows\\x1b");
	ESC("a\\x1b\x1b", TEXT_ESC_BACKSLASH, "a\\\\x1b\\x1b");
	/* in JSON text: escapes as JSON writes them */
	ESC("\"a\x7f\xc2\x9b\xe2\x80\xae\"\n", TEXT_ESC_JSON | TEXT_ESC_KEEP_NL, "\"a\\u007f\\u009b\\u202e\"\n");
	ESC("\xff", TEXT_ESC_JSON, "\\ufffd");
}

static void test_public(void **state)
{
	(void)state;
	char *s = excise_text_escape("x\x1b[31m\xe2\x80\xae", 0);
	assert_non_null(s);
	assert_string_equal(s, "x\\x1b[31m\\u202e");
	free(s);
	assert_null(excise_text_escape(NULL, 0));
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(excise_text_printf(f, "[%u/%zu] %s: %s%%\n", 3u, (size_t)7, "\x1b]0;t\a", "\xe2\x80\xae"), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, "[3/7] \\x1b]0;t\\x07: \\u202e%\n");
	free(out);
}

/* csv_cell of `s` must give `want`. */
static void cell_is(const char *s, const char *want)
{
	struct buf b;
	buf_init(&b, 0);
	csv_cell(&b, s);
	assert_int_equal(b.err, 0);
	if (strcmp(b.p, want))
		fail_msg("cell '%s', want '%s'", b.p, want);
	buf_done(&b);
}

static void test_csv(void **state)
{
	(void)state;
	cell_is(NULL, "");
	cell_is("", "");
	cell_is("plain", "plain");
	/* OWASP: a cell that starts with = + - @ tab or CR is text, not a formula */
	cell_is("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"");
	cell_is("=1+2", "'=1+2");
	cell_is("+1", "'+1");
	cell_is("-1", "'-1");
	cell_is("@SUM(A1)", "'@SUM(A1)");
	cell_is("\tx", "'\tx");
	cell_is("\rx", "'\\rx");
	/* only the first character counts */
	cell_is("a=b", "a=b");
	cell_is(" =b", " =b");
	/* RFC 4180: commas, quotes and newlines quoted, quotes doubled */
	cell_is("a,b", "\"a,b\"");
	cell_is("say \"hi\"", "\"say \"\"hi\"\"\"");
	cell_is("two\nlines", "\"two\nlines\"");
	/* escaped for the terminal; bytes not UTF-8 as U+FFFD, as in the JSON report */
	cell_is("\x1b[2J\xe2\x80\xae", "\\x1b[2J\\u202e");
	cell_is("bad\xff", "bad\xef\xbf\xbd");
	cell_is("-\x1b", "'-\\x1b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c0_del),
		cmocka_unit_test(test_c1_bidi),
		cmocka_unit_test(test_invalid_bytes),
		cmocka_unit_test(test_backslash_json),
		cmocka_unit_test(test_public),
		cmocka_unit_test(test_csv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
