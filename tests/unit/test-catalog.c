/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the catalog loader, lint and directive coverage (lib/catalog/catalog.c). */
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
#include "excise/catalog.h"

#define HEAD "{\"schema\":\"excise.catalog/1\",\"id\":\"t\",\"version\":\"1\",\"serial\":1,\"issued\":\"2026-01-01\","
#define VENDOR "\"vendors\":[{\"id\":\"v\",\"name\":\"Vendor\"}],"
#define PRODUCTS                                                                                          \
	"\"products\":[{\"id\":\"p\",\"vendor\":\"v\",\"name\":\"P\",\"family\":\"endpoint\",\"platforms\":[\"linux\"],\"source\":\"https://e/p\"}," \
	"{\"id\":\"oem\",\"vendor\":\"v\",\"name\":\"Engine inside X\",\"family\":\"embedded\",\"platforms\":[\"any\"],\"branded\":false,\"source\":\"https://e/o\"}],"

static int parse(const char *s, struct excise_catalog **c, struct excise_err *err)
{
	return excise_catalog_parse("t.json", s, strlen(s), c, err);
}

static void expect_error(const char *s, const char *needle)
{
	struct excise_catalog *c = NULL;
	struct excise_err err = { 0 };
	int r = parse(s, &c, &err);
	assert_true(r < 0);
	assert_null(c);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_errors_name_the_entry(void **state)
{
	(void)state;
	expect_error(HEAD VENDOR "\"products\":[{\"id\":\"p\",\"vendor\":\"nobody\",\"name\":\"P\",\"family\":\"endpoint\",\"platforms\":[\"linux\"],\"source\":\"s\"}],\"indicators\":[],\"directives\":[]}",
		     "/products/0 (id 'p'): vendor 'nobody' is not in the catalog");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":[{\"id\":\"i\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"valeu\":\"x\",\"confidence\":\"weak\",\"source\":\"s\"}],\"directives\":[]}",
		     "/indicators/0 (id 'i'): unknown member 'valeu'");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":[{\"id\":\"i\",\"product\":\"p\",\"kind\":\"files\",\"field\":\"name\",\"value\":\"x\",\"confidence\":\"weak\",\"source\":\"s\"}],\"directives\":[]}",
		     "/indicators/0/kind (id 'i'): expected one of package|file|");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":[{\"id\":\"i\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"value\":\"x\",\"confidence\":\"sure\",\"source\":\"s\"}],\"directives\":[]}",
		     "/confidence (id 'i'): expected one of weak|strong|definitive");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":[{\"id\":\"i\",\"product\":\"p\",\"vendor\":\"v\",\"kind\":\"file\",\"field\":\"name\",\"value\":\"x\",\"confidence\":\"weak\",\"source\":\"s\"}],\"directives\":[]}",
		     "exactly one of 'product' and 'vendor'");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":[{\"id\":\"i\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"match\":\"regex\",\"value\":\"(\",\"confidence\":\"weak\",\"source\":\"s\"}],\"directives\":[]}",
		     "does not compile");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":[],\"directives\":[{\"id\":\"d\",\"short_name\":\"D\",\"title\":\"T\",\"instrument\":\"statute\",\"issuer\":\"X\",\"issued\":\"2017-13-40\",\"vendors\":[\"v\"],\"scope\":\"branded_only\",\"source\":\"s\"}]}",
		     "/directives/0/issued (id 'd'): expected a date YYYY-MM-DD");
	expect_error(HEAD "\"vendors\":[{\"id\":\"v\",\"name\":\"A\"},{\"id\":\"v\",\"name\":\"B\"}],\"products\":[],\"indicators\":[],\"directives\":[]}",
		     "/vendors/1 (id 'v'): duplicate id 'v'");
	expect_error("{\"schema\":\"excise.catalog/1\",\n  \"id\": ", "line 2");
	expect_error("{\"schema\":\"excise.catalog/2\"}", "/schema: expected one of excise.catalog/1");
}

static void test_directive_scope(void **state)
{
	(void)state;
	const char *s = HEAD VENDOR PRODUCTS "\"indicators\":[],\"directives\":["
		"{\"id\":\"bod\",\"short_name\":\"BOD\",\"title\":\"T\",\"instrument\":\"binding_operational_directive\",\"issuer\":\"DHS\",\"issued\":\"2017-09-13\",\"vendors\":[\"v\"],\"scope\":\"branded_only\",\"source\":\"https://e\","
		"\"milestones\":[{\"id\":\"M1\",\"name\":\"identify\",\"anchor\":\"issued_date\",\"offset\":30,\"unit\":\"calendar_days\",\"action\":\"identify\"}]},"
		"{\"id\":\"law\",\"short_name\":\"LAW\",\"title\":\"T\",\"instrument\":\"statute\",\"issuer\":\"Congress\",\"issued\":\"2017-12-12\",\"vendors\":[\"v\"],\"scope\":\"in_whole_or_in_part\",\"source\":\"https://e\"},"
		"{\"id\":\"ex\",\"short_name\":\"EX\",\"title\":\"T\",\"instrument\":\"statute\",\"issuer\":\"Congress\",\"issued\":\"2017-12-12\",\"vendors\":[\"v\"],\"scope\":\"in_whole_or_in_part\",\"excluded_products\":[\"p\"],\"source\":\"https://e\"}]}";
	struct excise_catalog *c;
	struct excise_err err;
	assert_int_equal(parse(s, &c, &err), 0);
	const struct excise_product *p = excise_catalog_find_product(c, "p");
	const struct excise_product *oem = excise_catalog_find_product(c, "oem");
	const struct excise_product *unid = excise_catalog_find_product(c, "v:unidentified");
	assert_non_null(unid);
	assert_string_equal(unid->name, "Vendor product (unidentified)");
	const struct excise_directive *bod = excise_catalog_directive(c, 0);
	const struct excise_directive *law = excise_catalog_directive(c, 1);
	const struct excise_directive *ex = excise_catalog_directive(c, 2);
	assert_true(excise_directive_covers(bod, p));
	assert_false(excise_directive_covers(bod, oem));   /* embedded code: not BOD 17-01 */
	assert_true(excise_directive_covers(law, oem));    /* "in whole or in part" */
	assert_false(excise_directive_covers(ex, p));
	assert_int_equal(bod->n_milestones, 1);
	assert_int_equal(bod->milestones[0].offset, 30);
	excise_catalog_free(c);
}

static void test_embedded_catalog_is_clean(void **state)
{
	(void)state;
	struct excise_catalog *c;
	struct excise_err err;
	if (excise_catalog_load_embedded(&c, &err) < 0)
		fail_msg("%s", err.msg);
	assert_non_null(excise_catalog_find_vendor(c, "kaspersky"));
	assert_non_null(excise_catalog_find_product(c, "kesl"));
	assert_true(excise_catalog_n_indicators(c) > 50);
	assert_true(excise_catalog_n_directives(c) >= 4);
	char **problems = NULL;
	int n = excise_catalog_lint(c, &problems);
	for (int i = 0; i < n; i++)
		print_message("lint: %s\n", problems[i]);
	assert_int_equal(n, 0);
	excise_strv_free(problems);
	excise_catalog_free(c);
}

static void test_limits(void **state)
{
	(void)state;
	struct excise_catalog *c = NULL;
	struct excise_err err;
	/* size */
	size_t big = EXCISE_MAX_CATALOG_SIZE + 1;
	char *s = malloc(big);
	assert_non_null(s);
	memset(s, ' ', big);
	assert_int_equal(excise_catalog_parse("big", s, big, &c, &err), -EXCISE_E_TOOBIG);
	assert_non_null(strstr(err.msg, "at most"));
	free(s);
	/* one value over EXCISE_MAX_PATTERN_LEN */
	struct buf b;
	buf_init(&b, 0);
	buf_adds(&b, HEAD VENDOR PRODUCTS "\"indicators\":[{\"id\":\"i\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"confidence\":\"weak\",\"source\":\"s\",\"value\":\"");
	for (unsigned i = 0; i <= EXCISE_MAX_PATTERN_LEN; i++)
		buf_addc(&b, 'a');
	buf_adds(&b, "\"}],\"directives\":[]}");
	assert_int_equal(parse(b.p, &c, &err), -EXCISE_E_CATALOG);
	assert_non_null(strstr(err.msg, "/value (id 'i'): expected a non-empty string of at most 1024 bytes"));
	buf_done(&b);
	/* entry count */
	buf_init(&b, 0);
	buf_adds(&b, HEAD VENDOR PRODUCTS "\"indicators\":[");
	for (unsigned i = 0; i <= EXCISE_MAX_CATALOG_ENTRIES; i++)
		buf_addf(&b, "%s{}", i ? "," : "");
	buf_adds(&b, "],\"directives\":[]}");
	assert_int_equal(b.err, 0);
	assert_int_equal(parse(b.p, &c, &err), -EXCISE_E_CATALOG);
	assert_non_null(strstr(err.msg, "entries"));
	buf_done(&b);
	/* an id of EXCISE_MAX_CATALOG_ID_LEN bytes, and one more */
	for (unsigned extra = 0; extra < 2; extra++) {
		buf_init(&b, 0);
		buf_adds(&b, HEAD "\"vendors\":[{\"id\":\"");
		for (unsigned i = 0; i < EXCISE_MAX_CATALOG_ID_LEN + extra; i++)
			buf_addc(&b, 'v');
		buf_adds(&b, "\",\"name\":\"V\"}],\"products\":[],\"indicators\":[],\"directives\":[]}");
		assert_int_equal(parse(b.p, &c, &err), extra ? -EXCISE_E_CATALOG : 0);
		if (extra)
			assert_non_null(strstr(err.msg, "/vendors/0/id"));
		c = excise_catalog_free(c);
		buf_done(&b);
	}
}

static void test_lint(void **state)
{
	(void)state;
	const char *s = HEAD VENDOR PRODUCTS "\"indicators\":["
		"{\"id\":\"a\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"value\":\"x*\",\"confidence\":\"weak\",\"source\":\"https://e\"},"
		"{\"id\":\"b\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"match\":\"glob\",\"value\":\"*x*\",\"confidence\":\"strong\",\"source\":\"https://e\"},"
		"{\"id\":\"c\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"path\",\"value\":\"opt/x\",\"confidence\":\"strong\",\"source\":\"somewhere\"}"
		"],\"directives\":[]}";
	struct excise_catalog *c;
	struct excise_err err;
	assert_int_equal(parse(s, &c, &err), 0);
	char **v = NULL;
	int n = excise_catalog_lint(c, &v);
	assert_int_equal(n, 4);
	assert_non_null(strstr(v[0], "indicator 'a'"));
	assert_non_null(strstr(v[1], "indicator 'b'"));
	assert_non_null(strstr(v[2], "indicator 'c'"));
	excise_strv_free(v);
	excise_catalog_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_name_the_entry),
		cmocka_unit_test(test_directive_scope),
		cmocka_unit_test(test_embedded_catalog_is_clean),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_lint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
