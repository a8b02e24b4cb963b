/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the ImagePath split (lib/parse/imagepath.c): the programs a service's
 * ImagePath may name, in the order Windows tries them, and the one reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/limits.h"
#include "parse/imagepath.h"

/* "cand1|cand2|...>fallback" */
static void expect(const char *value, bool quoted, const char *want)
{
	struct imagepath ip;
	imagepath_split(value, strlen(value), &ip);
	assert_int_equal(ip.quoted, quoted);
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < ip.n; i++)
		buf_addf(&b, "%s%.*s", i ? "|" : "", (int)ip.len[i], ip.start);
	buf_addf(&b, ">%.*s", (int)ip.fallback, ip.start);
	char *got = NULL;
	assert_int_equal(buf_take(&b, &got), 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_split(void **state)
{
	(void)state;
	expect("\"C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.9.0\\avp.exe\" -x", true,
	       "C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.9.0\\avp.exe>"
	       "C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.9.0\\avp.exe");
	expect("  \t\"C:\\a b\\c.exe ", true, "C:\\a b\\c.exe>C:\\a b\\c.exe"); /* no closing quote */
	expect("\"", true, ">");
	expect("system32\\DRIVERS\\klif.sys", false, "system32\\DRIVERS\\klif.sys>system32\\DRIVERS\\klif.sys");
	expect("%SystemRoot%\\system32\\svchost.exe -k NetworkService", false,
	       "%SystemRoot%\\system32\\svchost.exe|%SystemRoot%\\system32\\svchost.exe -k|"
	       "%SystemRoot%\\system32\\svchost.exe -k NetworkService>%SystemRoot%\\system32\\svchost.exe");
	expect("C:\\Program Files\\V\\svc.EXE run", false,
	       "C:\\Program|C:\\Program Files\\V\\svc.EXE|C:\\Program Files\\V\\svc.EXE run>"
	       "C:\\Program Files\\V\\svc.EXE");
	/* no program suffix: the whole value is reported */
	expect("\t/usr/bin/x y \t", false, "/usr/bin/x|/usr/bin/x y>/usr/bin/x y");
	expect("  ", false, ">");
	expect("", false, ">");
}

/* A value of many spaces is cut EXCISE_MAX_IMAGE_PATH_CUTS times, then taken whole. */
static void test_cuts(void **state)
{
	(void)state;
	char v[256] = "a";
	for (int i = 0; i < 40; i++)
		strcat(v, " b");
	struct imagepath ip;
	imagepath_split(v, strlen(v), &ip);
	assert_int_equal(ip.n, EXCISE_MAX_IMAGE_PATH_CUTS + 1);
	for (size_t i = 0; i + 1 < ip.n; i++)
		assert_int_equal(ip.len[i], 1 + 2 * i);
	assert_int_equal(ip.len[ip.n - 1], strlen(v));
	assert_int_equal(ip.fallback, strlen(v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_cuts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
