/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of lib/parse/plist.c: both forms, the getters, and every limit. The
 * well-formed binary plists are written by libplist itself (plist_to_bin). */
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
#include "parse/plist.h"

static plist_t parse_ok(const void *d, size_t n)
{
	struct excise_err err = { 0 };
	plist_t p = NULL;
	int r = pl_parse(d, n, "t.plist", &p, &err);
	if (r != 0)
		fail_msg("pl_parse: %d %s", r, err.msg);
	assert_non_null(p);
	return p;
}

static int parse_err(const void *d, size_t n, const char *want_msg)
{
	struct excise_err err = { 0 };
	plist_t p = NULL;
	int r = pl_parse(d, n, "t.plist", &p, &err);
	assert_true(r < 0);
	assert_null(p);
	if (!strstr(err.msg, want_msg))
		fail_msg("message '%s' lacks '%s'", err.msg, want_msg);
	assert_true(strncmp(err.msg, "'t.plist': ", 11) == 0);
	return r;
}

/* Binary form of `p` as libplist writes it. */
static char *to_bin(plist_t p, uint32_t *len)
{
	char *b = NULL;
	plist_to_bin(p, &b, len);
	assert_non_null(b);
	return b;
}

static plist_t sample(void)
{
	plist_t d = plist_new_dict();
	plist_dict_set_item(d, "Label", plist_new_string("com.kaspersky.kav"));
	plist_t a = plist_new_array();
	plist_array_append_item(a, plist_new_string("/Library/Application Support/Kaspersky Lab/KAV/Binaries/kav"));
	plist_array_append_item(a, plist_new_string("-d"));
	plist_dict_set_item(d, "ProgramArguments", a);
	plist_dict_set_item(d, "Disabled", plist_new_bool(1));
	plist_dict_set_item(d, "InstallDate", plist_new_date(1709288430 - 978307200, 0));
	plist_t s1 = plist_new_dict(), s2 = plist_new_dict();
	plist_dict_set_item(s2, "ComputerName", plist_new_string("mac-01"));
	plist_dict_set_item(s1, "System", s2);
	plist_dict_set_item(d, "System", s1);
	return d;
}

static void check_sample(plist_t p)
{
	struct excise_err err = { 0 };
	const char *s = NULL;
	assert_int_equal(pl_dict_string(p, "Label", "t.plist", &s, &err), 0);
	assert_string_equal(s, "com.kaspersky.kav");
	const char **v = NULL;
	size_t n = 0;
	assert_int_equal(pl_dict_strings(p, "ProgramArguments", "t.plist", &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[1], "-d");
	free(v);
	bool b = false;
	assert_int_equal(pl_dict_bool(p, "Disabled", "t.plist", &b, &err), 0);
	assert_true(b);
	int64_t t = 0;
	assert_int_equal(pl_dict_date(p, "InstallDate", "t.plist", &t, &err), 0);
	assert_int_equal(t, 1709288430); /* 2024-03-01T10:20:30Z */
	const char *path[] = { "System", "System", "ComputerName" };
	assert_int_equal(pl_dict_path_string(p, path, 3, "t.plist", &s, &err), 0);
	assert_string_equal(s, "mac-01");
	/* absent keys */
	assert_int_equal(pl_dict_string(p, "Program", "t.plist", &s, &err), 1);
	assert_null(s);
	const char *missing[] = { "System", "Nope", "ComputerName" };
	assert_int_equal(pl_dict_path_string(p, missing, 3, "t.plist", &s, &err), 1);
	/* wrong types name the file and the key */
	assert_int_equal(pl_dict_string(p, "ProgramArguments", "t.plist", &s, &err), -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "'t.plist': key 'ProgramArguments': not a string");
	assert_int_equal(pl_dict_bool(p, "Label", "t.plist", &b, &err), -EXCISE_E_CORRUPT);
	assert_int_equal(pl_dict_strings(p, "Label", "t.plist", &v, &n, &err), -EXCISE_E_CORRUPT);
	assert_int_equal(pl_dict_date(p, "Label", "t.plist", &t, &err), -EXCISE_E_CORRUPT);
}

static void test_xml_and_binary(void **state)
{
	(void)state;
	plist_t d = sample();
	char *x = NULL;
	uint32_t xl = 0, bl = 0;
	plist_to_xml(d, &x, &xl);
	char *b = to_bin(d, &bl);
	plist_free(d);
	plist_t p = parse_ok(x, xl);
	check_sample(p);
	plist_free(p);
	p = parse_ok(b, bl);
	check_sample(p);
	plist_free(p);
	free(x);
	free(b);
}

static void test_string_and_array_limits(void **state)
{
	(void)state;
	struct excise_err err = { 0 };
	plist_t d = plist_new_dict();
	char *big = malloc(EXCISE_MAX_PLIST_STRING + 2);
	memset(big, 'a', EXCISE_MAX_PLIST_STRING + 1);
	big[EXCISE_MAX_PLIST_STRING + 1] = 0;
	plist_dict_set_item(d, "Over", plist_new_string(big));
	big[EXCISE_MAX_PLIST_STRING] = 0;
	plist_dict_set_item(d, "Max", plist_new_string(big));
	free(big);
	plist_t a = plist_new_array(), a2 = plist_new_array();
	for (unsigned i = 0; i < EXCISE_MAX_PLIST_ARRAY_ITEMS; i++) {
		plist_array_append_item(a, plist_new_string("x"));
		plist_array_append_item(a2, plist_new_string("x"));
	}
	plist_array_append_item(a2, plist_new_string("x"));
	plist_dict_set_item(d, "MaxItems", a);
	plist_dict_set_item(d, "OverItems", a2);
	plist_t mixed = plist_new_array();
	plist_array_append_item(mixed, plist_new_string("x"));
	plist_array_append_item(mixed, plist_new_uint(3));
	plist_dict_set_item(d, "Mixed", mixed);
	uint32_t bl = 0;
	char *b = to_bin(d, &bl);
	plist_free(d);
	plist_t p = parse_ok(b, bl);
	free(b);
	const char *s = NULL;
	assert_int_equal(pl_dict_string(p, "Max", "t.plist", &s, &err), 0);
	assert_int_equal(strlen(s), EXCISE_MAX_PLIST_STRING);
	assert_int_equal(pl_dict_string(p, "Over", "t.plist", &s, &err), -EXCISE_E_TOOBIG);
	assert_non_null(strstr(err.msg, "key 'Over': string longer than 65536 bytes"));
	const char **v = NULL;
	size_t n = 0;
	assert_int_equal(pl_dict_strings(p, "MaxItems", "t.plist", &v, &n, &err), 0);
	assert_int_equal(n, EXCISE_MAX_PLIST_ARRAY_ITEMS);
	free(v);
	assert_int_equal(pl_dict_strings(p, "OverItems", "t.plist", &v, &n, &err), -EXCISE_E_LIMIT);
	assert_non_null(strstr(err.msg, "key 'OverItems': more than 4096 items"));
	plist_t arr;
	uint32_t na;
	assert_int_equal(pl_dict_array(p, "OverItems", "t.plist", &arr, &na, &err), -EXCISE_E_LIMIT);
	assert_int_equal(pl_dict_strings(p, "Mixed", "t.plist", &v, &n, &err), -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "'t.plist': key 'Mixed': item 1 is not a string");
	plist_free(p);
}

/* A binary plist laid out by hand: objects, 1-byte refs, 2-byte offsets. */
static size_t bplist(uint8_t *out, const uint8_t *const *objs, const size_t *lens, size_t n,
		     uint64_t n_obj_field)
{
	size_t o = 0;
	uint16_t offs[512];
	memcpy(out, "bplist00", 8);
	o = 8;
	for (size_t i = 0; i < n; i++) {
		offs[i] = (uint16_t)o;
		memcpy(out + o, objs[i], lens[i]);
		o += lens[i];
	}
	size_t table = o;
	for (size_t i = 0; i < n; i++) {
		out[o++] = (uint8_t)(offs[i] >> 8);
		out[o++] = (uint8_t)offs[i];
	}
	memset(out + o, 0, 32);
	out[o + 6] = 2;
	out[o + 7] = 1;
	for (int i = 0; i < 8; i++) {
		out[o + 8 + i] = (uint8_t)(n_obj_field >> (56 - 8 * i));
		out[o + 24 + i] = (uint8_t)((uint64_t)table >> (56 - 8 * i));
	}
	return o + 32;
}

/* `levels` arrays, each holding the next (or, with `twice`, the next two times). */
static size_t chain(uint8_t *out, unsigned levels, bool twice)
{
	static uint8_t obj[512][3];
	const uint8_t *objs[512];
	size_t lens[512];
	for (unsigned i = 0; i < levels; i++) {
		bool last = i + 1 == levels;
		obj[i][0] = last ? 0xa0 : twice ? 0xa2 : 0xa1;
		obj[i][1] = obj[i][2] = (uint8_t)(i + 1);
		objs[i] = obj[i];
		lens[i] = last ? 1 : twice ? 3 : 2;
	}
	return bplist(out, objs, lens, levels, levels);
}

static void test_binary_graph_limits(void **state)
{
	(void)state;
	static uint8_t buf[8192];
	size_t n = chain(buf, EXCISE_MAX_PLIST_DEPTH, false);
	plist_t p = parse_ok(buf, n);
	plist_free(p);
	n = chain(buf, EXCISE_MAX_PLIST_DEPTH + 1, false);
	assert_int_equal(parse_err(buf, n, "more than 64 nested arrays or dictionaries"),
			 -EXCISE_E_LIMIT);
	/* 2^40 nodes once shared references are copied, as libplist 2.2 does */
	n = chain(buf, 40, true);
	assert_int_equal(parse_err(buf, n, "expands to more than 250000 objects"), -EXCISE_E_LIMIT);
	/* 2^16 nodes: fine */
	n = chain(buf, 16, true);
	p = parse_ok(buf, n);
	plist_free(p);
	const uint8_t a0[] = { 0xa1, 1 }, a1[] = { 0xa1, 0 };
	const uint8_t *cyc[] = { a0, a1 };
	size_t cl[] = { 2, 2 };
	n = bplist(buf, cyc, cl, 2, 2);
	assert_int_equal(parse_err(buf, n, "refers to itself"), -EXCISE_E_CORRUPT);
	n = bplist(buf, cyc, cl, 1, 1);
	assert_int_equal(parse_err(buf, n, "reference 1 past the 1 objects"), -EXCISE_E_CORRUPT);
	const uint8_t d0[] = { 0xd1, 1, 1 }, i1[] = { 0x10, 5 };
	const uint8_t *dk[] = { d0, i1 };
	size_t dl[] = { 3, 2 };
	n = bplist(buf, dk, dl, 2, 2);
	assert_int_equal(parse_err(buf, n, "key that is not a string"), -EXCISE_E_CORRUPT);
	const uint8_t s0[] = { 0x5f, 0x13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'a' };
	const uint8_t *ls[] = { s0 };
	size_t ll[] = { sizeof(s0) };
	n = bplist(buf, ls, ll, 1, 1);
	assert_int_equal(parse_err(buf, n, "runs past the object area"), -EXCISE_E_CORRUPT);
	n = bplist(buf, ls, ll, 1, 1u << 30);
	assert_int_equal(parse_err(buf, n, "1073741824 objects"), -EXCISE_E_LIMIT);
}

static void test_binary_trailer(void **state)
{
	(void)state;
	plist_t d = sample();
	uint32_t bl = 0;
	char *b = to_bin(d, &bl);
	plist_free(d);
	parse_err(b, bl - 7, "binary plist");
	parse_err(b, 20, "too short");
	/* offset table start past the trailer */
	b[bl - 1] = (char)0xff;
	parse_err(b, bl, "offset table outside the file");
	free(b);
	b = to_bin(d = sample(), &bl);
	plist_free(d);
	/* first offset pointing past the objects */
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t = t << 8 | (uint8_t)b[bl - 8 + i];
	memset(b + t, 0xff, (uint8_t)b[bl - 26]);
	parse_err(b, bl, "outside the object area");
	free(b);
}

static void test_xml_limits(void **state)
{
	(void)state;
	struct buf x;
	buf_init(&x, 0);
	buf_adds(&x, "<?xml version=\"1.0\"?><plist version=\"1.0\">");
	for (unsigned i = 0; i < EXCISE_MAX_PLIST_DEPTH - 1; i++)
		buf_adds(&x, i % 2 ? "<array >" : "<dict><key>k</key>");
	buf_adds(&x, "<array/>");
	for (unsigned i = EXCISE_MAX_PLIST_DEPTH - 1; i-- > 0;)
		buf_adds(&x, i % 2 ? "</array>" : "</dict>");
	buf_adds(&x, "</plist>");
	plist_t p = parse_ok(x.p, x.n);
	plist_free(p);
	buf_clear(&x);
	buf_adds(&x, "<plist>");
	for (unsigned i = 0; i < EXCISE_MAX_PLIST_DEPTH; i++)
		buf_adds(&x, "<array>");
	buf_adds(&x, "<array/>");
	assert_int_equal(parse_err(x.p, x.n, "more than 64 nested"), -EXCISE_E_LIMIT);
	buf_clear(&x);
	buf_adds(&x, "<plist><dict><key>Label</key><string>x</string>");
	assert_int_equal(parse_err(x.p, x.n, "not a valid XML property list"), -EXCISE_E_CORRUPT);
	buf_done(&x);
	char *big = calloc(1, EXCISE_MAX_PLIST_SIZE + 1);
	assert_int_equal(parse_err(big, EXCISE_MAX_PLIST_SIZE + 1, "larger than 4194304 bytes"),
			 -EXCISE_E_TOOBIG);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_and_binary),
		cmocka_unit_test(test_string_and_array_limits),
		cmocka_unit_test(test_binary_graph_limits),
		cmocka_unit_test(test_binary_trailer),
		cmocka_unit_test(test_xml_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
