/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the hive wrapper (lib/parse/hive.c) and the certificate blob parser
 * (lib/parse/certblob.c): UTF-16LE decoding, %VAR% expansion, typed values read from
 * the seed hive tests/fuzz/hive/values (written by hivexregedit), property lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "excise/catalog.h"
#include "parse/certblob.h"
#include "parse/hive.h"

static char *dec(const char *bytes, size_t len, size_t max, int *r)
{
	char *s = NULL;
	*r = utf16le_to_utf8(bytes, len, max, &s);
	return s;
}

static void test_utf16(void **state)
{
	(void)state;
	int r;
	char *s = dec("\x10\x04\x1e\x04", 4, 100, &r); /* "АО" */
	assert_int_equal(r, 0);
	assert_string_equal(s, "АО");
	free(s);
	s = dec("\x3d\xd8\x00\xde", 4, 100, &r); /* U+1F600 as a surrogate pair */
	assert_string_equal(s, "\xf0\x9f\x98\x80");
	free(s);
	s = dec("\x3d\xd8\x41\x00\x00\xdc", 6, 100, &r); /* unpaired high, 'A', lone low */
	assert_string_equal(s, "\xef\xbf\xbd" "A" "\xef\xbf\xbd");
	free(s);
	s = dec("A\0B", 3, 100, &r); /* odd length: the last byte is ignored */
	assert_string_equal(s, "A");
	free(s);
	s = dec("A\0\0\0B\0", 6, 100, &r); /* stops at the NUL unit */
	assert_string_equal(s, "A");
	free(s);
	s = dec("A\0B\0C\0", 6, 2, &r); /* over the output limit */
	assert_int_equal(r, -EXCISE_E_TOOBIG);
	assert_null(s);
}

static void test_expand(void **state)
{
	(void)state;
	char *s = NULL;
	assert_int_equal(hive_expand("%SystemRoot%\\x;%windir%;%PROGRAMFILES(X86)%;%SystemDrive%\\a;%Foo%;50%", &s), 0);
	assert_string_equal(s, "\\Windows\\x;\\Windows;\\Program Files (x86);\\a;%Foo%;50%");
	free(s);
}

static struct hive *open_seed(const char *name)
{
	const char *dir = getenv("EXCISE_TEST_DATA");
	assert_non_null(dir);
	char path[4096];
	snprintf(path, sizeof(path), "%s/fuzz/hive/%s", dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char data[1 << 16];
	size_t n = fread(data, 1, sizeof(data), f);
	fclose(f);
	struct hive *h = NULL;
	struct excise_err err;
	int r = hive_open_mem(name, data, n, &h, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	return h;
}

static void test_values(void **state)
{
	(void)state;
	struct hive *h = open_seed("values");
	hive_node n = 0;
	/* key names match without regard to case */
	assert_int_equal(hive_lookup(h, hive_root(h),
				     "microsoft\\WINDOWS\\CurrentVersion\\uninstall\\{9a017278-f7f4-4df9-a482-0b97b70dd7ed}", &n), 0);
	char *s = NULL;
	assert_int_equal(hive_string(h, n, "Publisher", &s), 0);
	assert_string_equal(s, "АО Лаборатория Касперского");
	free(s);
	assert_int_equal(hive_string(h, n, "Emoji", &s), 0);
	assert_string_equal(s, "\xf0\x9f\x98\x80");
	free(s);
	assert_int_equal(hive_string(h, n, "OddLength", &s), 0);
	assert_string_equal(s, "A");
	free(s);
	assert_int_equal(hive_string(h, n, "NoNul", &s), 0);
	assert_string_equal(s, "AB");
	free(s);
	assert_int_equal(hive_string(h, n, "Expand", &s), 0);
	assert_string_equal(s, "\\Windows\\x");
	free(s);
	assert_int_equal(hive_string(h, n, "Dword", &s), -EXCISE_E_UNSUPPORTED);
	assert_int_equal(hive_string(h, n, "Missing", &s), -ENOENT);
	char **v = NULL;
	assert_int_equal(hive_multi(h, n, "Multi", &v), 0);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_null(v[2]);
	excise_strv_free(v);
	uint64_t x = 0;
	assert_int_equal(hive_u64(h, n, "Dword", &x), 0);
	assert_int_equal(x, 1);
	assert_int_equal(hive_u64(h, n, "Qword", &x), 0);
	assert_true(x == 0x0807060504030201ull);
	assert_int_equal(hive_u64(h, n, "ShortDword", &x), -EXCISE_E_CORRUPT);
	assert_int_equal(hive_lookup(h, hive_root(h), "KasperskyLab\\nope", &n), -ENOENT);
	hive_close(h);
}

static void test_open_bad(void **state)
{
	(void)state;
	static char zero[8192];
	struct hive *h = NULL;
	struct excise_err err;
	assert_int_equal(hive_open_mem("zero", zero, sizeof(zero), &h, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "'zero'"));
	assert_int_equal(hive_open_mem("big", zero, (size_t)EXCISE_MAX_HIVE_SIZE + 1, &h, &err),
			 -EXCISE_E_TOOBIG);
	assert_null(h);
}

static void test_certblob(void **state)
{
	(void)state;
	const unsigned char blob[] = { 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0xaa, 0xbb,
				       0x20, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0x30, 0x01, 0x00 };
	const unsigned char *der = NULL;
	size_t len = 0;
	assert_int_equal(certblob_find(blob, sizeof(blob), CERTBLOB_PROP_CERT, &der, &len), 0);
	assert_ptr_equal(der, blob + 26);
	assert_int_equal(len, 3);
	assert_int_equal(certblob_find(blob, 14, CERTBLOB_PROP_CERT, &der, &len), -ENOENT);
	assert_int_equal(certblob_find(blob, sizeof(blob) - 1, CERTBLOB_PROP_CERT, &der, &len),
			 -EXCISE_E_CORRUPT);
	/* EXCISE_MAX_CERTBLOB_PROPS: empty properties, one too many */
	size_t n = (size_t)(EXCISE_MAX_CERTBLOB_PROPS + 1) * 12;
	unsigned char *many = calloc(1, n);
	assert_int_equal(certblob_find(many, n, CERTBLOB_PROP_CERT, &der, &len), -EXCISE_E_LIMIT);
	assert_int_equal(certblob_find(many, n - 12, CERTBLOB_PROP_CERT, &der, &len), -ENOENT);
	free(many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf16),   cmocka_unit_test(test_expand),
		cmocka_unit_test(test_values),  cmocka_unit_test(test_open_bad),
		cmocka_unit_test(test_certblob),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
