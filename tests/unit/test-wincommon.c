/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the MSI packed-code transform (lib/source/wincommon.c, win_msi_unpack). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "source/wincommon.h"

static void test_unpack(void **state)
{
	(void)state;
	/* packed codes as Installer\Products spells them, with the {GUID} they stand for
	 * (the first three groups reversed, the last sixteen digits swapped in pairs) */
	static const char *const pairs[][2] = {
		{ "872710A94F7F9FD44A28B0797BD07DDE", "{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}" },
		{ "ADEB42927D0EFAD42A42052D0E1BF2B5", "{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B}" },
		{ "90401109110000000000000000F01FEC", "{90110409-0011-0000-0000-0000000FF1CE}" },
		{ "d008fe9caa4506f4ba69a5936655f035", "{C9EF800D-54AA-4F60-AB96-5A3966550F53}" },
		{ "0123456789ABCDEF0123456789ABCDEF", "{76543210-BA98-FEDC-1032-547698BADCFE}" },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char out[39];
		assert_int_equal(win_msi_unpack(pairs[i][0], out), 0);
		assert_string_equal(out, pairs[i][1]);
	}
	static const char *const bad[] = {
		"", "872710A94F7F9FD44A28B0797BD07DD", "872710A94F7F9FD44A28B0797BD07DDE0",
		"872710A94F7F9FD44A28B0797BD07DDG", "{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}",
		"872710A9-4F7F-9FD4-4A28-B0797BD07DDE", "872710A94F7F9FD44A28B0797BD07DD ",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[39];
		assert_int_equal(win_msi_unpack(bad[i], out), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unpack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
