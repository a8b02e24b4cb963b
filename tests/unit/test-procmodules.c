/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the /proc/modules parser (lib/parse/procmodules.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "parse/procmodules.h"

/* What the parser said, one "line:name:state" or "line:malformed" a line. */
static int on_line(void *ud, const struct procmodules_line *l)
{
	struct buf *b = ud;
	if (l->name)
		buf_addf(b, "%zu:%.*s:%.*s\n", l->line, (int)l->name_len, l->name, (int)l->state_len, l->state);
	else
		buf_addf(b, "%zu:malformed\n", l->line);
	return !strncmp(l->name ? l->name : "", "stop", 4) ? -42 : 0;
}

static void expect(const char *text, size_t len, int ret, const char *want)
{
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(procmodules_parse(text, len, on_line, &b), ret);
	char *got = NULL;
	assert_int_equal(buf_take(&b, &got), 0);
	assert_string_equal(got ? got : "", want);
	free(got);
}

#define EXPECT(text, want) expect(text, strlen(text), 0, want)

static void test_lines(void **state)
{
	(void)state;
	EXPECT("kvm_intel 385024 0 - Live 0x0000000000000000\n"
	       "kvm 1142784 1 kvm_intel, Live 0x0000000000000000\n"
	       "klif 1294336 2 - Loading 0xffffffffc0a00000 (OE)\n",
	       "1:kvm_intel:Live\n2:kvm:Live\n3:klif:Loading\n");
	/* fewer than five fields: "Live"; several spaces; an empty line skipped; a line of
	 * spaces malformed; the last line without a newline */
	EXPECT("old 1234 0\n\n   \n  a   1  0  -  Unloading  0x0\nlast 1 0 - Live 0x0",
	       "1:old:Live\n3:malformed\n4:a:Unloading\n5:last:Live\n");
	EXPECT("", "");
	/* a tab is not a separator (the kernel writes spaces) */
	EXPECT("a\tb 1 0 - Live\n", "1:a\tb:Live\n");
}

static void test_nul_and_stop(void **state)
{
	(void)state;
	static const char nul[] = "bad\0name 1 0 - Live 0x0\nok 1 0 - L\0ve 0x0\n";
	expect(nul, sizeof(nul) - 1, 0, "1:malformed\n2:ok:L\n");
	/* the callback's error ends the parse */
	expect("a\nstop\nb\n", 9, -42, "1:a:Live\n2:stop:Live\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_nul_and_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
