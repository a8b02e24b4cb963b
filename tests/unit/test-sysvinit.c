/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the init-script scan (lib/parse/sysvinit.c): the LSB header's
 * descriptions and the DAEMON= line, as the sysv source reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/sysvinit.h"

static void expect(const char *text, size_t len, const char *description, const char *daemon)
{
	struct sysvinit_info si = { 0 };
	assert_int_equal(sysvinit_scan(text, len, &si), 0);
	if (description)
		assert_string_equal(si.description, description);
	else
		assert_null(si.description);
	if (daemon)
		assert_string_equal(si.daemon, daemon);
	else
		assert_null(si.daemon);
	sysvinit_info_done(&si);
}

#define EXPECT(text, d, t) expect(text, strlen(text), d, t)

static void test_lsb(void **state)
{
	(void)state;
	EXPECT("#!/bin/sh\n### BEGIN INIT INFO\n# Provides:          klnagent64\n"
	       "# Short-Description: Kaspersky Network Agent\n"
	       "# Description:       Kaspersky Security Center Network Agent daemon\n### END INIT INFO\n"
	       "DAEMON=\"/opt/kaspersky/klnagent64/sbin/klnagent\"\nPIDFILE=/var/run/klnagent.pid\n",
	       "Kaspersky Network Agent", "/opt/kaspersky/klnagent64/sbin/klnagent");
	/* Description alone; key case, tabs, CRLF and trailing blanks */
	EXPECT("# Description: the long one\n", "the long one", NULL);
	EXPECT("#\tshort-DESCRIPTION:\t x y \t\r\n# Description: no\n", "x y", NULL);
	/* the first non-empty one wins; an empty value is no value */
	EXPECT("# Short-Description:   \n# Short-Description: second\n# Short-Description: third\n", "second", NULL);
	EXPECT("# Description: long\n# Short-Description: short\n", "short", NULL);
	/* not a header line: no '#' first, or another key */
	EXPECT(" # Short-Description: indented\n# Short-Descriptions x\n", NULL, NULL);
	EXPECT("", NULL, NULL);
}

static void test_daemon(void **state)
{
	(void)state;
	EXPECT("  \tDAEMON='/usr/sbin/a b'  # comment\nDAEMON=/second\n", NULL, "/usr/sbin/a b");
	/* an empty value, a line that is no assignment, a command substitution kept as text */
	EXPECT("DAEMON=\nDAEMON=\"unterminated\nDAEMON=/third\n", NULL, "/third");
	EXPECT("DAEMON=$(evil)\n", NULL, "$(evil)");
	EXPECT("DAEMONS=/x\nMY_DAEMON=/y\nexport DAEMON=/z\n", NULL, NULL);
	/* the last line without a newline, and bytes that are not text after it */
	EXPECT("# Short-Description: s\nDAEMON=/usr/sbin/last", "s", "/usr/sbin/last");
	static const char nul[] = "# Short-Description: a\0b\nDAEMON=/d\n";
	expect(nul, sizeof(nul) - 1, "a", "/d");
	/* a value that a NUL ends: cut there, then trimmed; nothing before the NUL is no value
	 * (found by fuzz-sysvinit: an empty description) */
	static const char nul_first[] = "#\tshort-description:\t  \0\0CRLF\n# Description: long\n";
	expect(nul_first, sizeof(nul_first) - 1, "long", NULL);
	static const char nul_blank[] = "# Short-Description: kept  \0 after the NUL\n";
	expect(nul_blank, sizeof(nul_blank) - 1, "kept", NULL);
}

/* A script of blanks only, without a NUL after it: nothing read past its end (ASan). */
static void test_bounds(void **state)
{
	(void)state;
	char *blanks = malloc(9);
	memcpy(blanks, "  \t  \t  ", 8);
	blanks[8] = 'D'; /* past the length given: must not be read as part of a line */
	expect(blanks, 8, NULL, NULL);
	memcpy(blanks, "DAEMON=x", 8);
	expect(blanks, 8, NULL, "x");
	free(blanks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lsb),
		cmocka_unit_test(test_daemon),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
