/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the indicator matcher (lib/catalog/match.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog/match.h"
#include "excise/catalog.h"

static const char doc[] =
	"{\"schema\":\"excise.catalog/1\",\"id\":\"t\",\"version\":\"1\",\"serial\":1,\"issued\":\"2026-01-01\","
	"\"vendors\":[{\"id\":\"v\",\"name\":\"Vendor\"}],"
	"\"products\":[{\"id\":\"p\",\"vendor\":\"v\",\"name\":\"P\",\"family\":\"endpoint\",\"platforms\":[\"linux\"],\"source\":\"https://e/p\"}],"
	"\"indicators\":["
	"{\"id\":\"exact\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"value\":\"kesl-control\",\"confidence\":\"strong\",\"source\":\"https://e/1\"},"
	"{\"id\":\"exact-nc\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"nocase\":true,\"value\":\"klif.sys\",\"confidence\":\"definitive\",\"source\":\"https://e/2\"},"
	"{\"id\":\"prefix\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"match\":\"glob\",\"value\":\"kesl_*.deb\",\"confidence\":\"strong\",\"source\":\"https://e/3\"},"
	"{\"id\":\"prefix-nc\",\"vendor\":\"v\",\"kind\":\"file\",\"field\":\"name\",\"match\":\"glob\",\"nocase\":true,\"value\":\"kaspersky*\",\"confidence\":\"weak\",\"source\":\"https://e/4\"},"
	"{\"id\":\"path\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"path\",\"match\":\"glob\",\"value\":\"/opt/kaspersky/kesl/*\",\"confidence\":\"definitive\",\"source\":\"https://e/5\"},"
	"{\"id\":\"suffix\",\"vendor\":\"v\",\"kind\":\"file\",\"field\":\"name\",\"match\":\"glob\",\"value\":\"*.kdc\",\"confidence\":\"weak\",\"source\":\"https://e/6\"},"
	"{\"id\":\"re\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"match\":\"regex\",\"nocase\":true,\"value\":\"(^|[^[:alpha:]])kaspersky([^[:alpha:]]|$)\",\"confidence\":\"strong\",\"source\":\"https://e/7\"},"
	"{\"id\":\"pkg\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"name\",\"value\":\"kesl\",\"confidence\":\"definitive\",\"source\":\"https://e/8\"},"
	"{\"id\":\"infix\",\"vendor\":\"v\",\"kind\":\"file\",\"field\":\"path\",\"match\":\"glob\",\"nocase\":true,\"value\":\"*/kaspersky lab/*\",\"confidence\":\"weak\",\"source\":\"https://e/10\"},"
	"{\"id\":\"win-path\",\"vendor\":\"v\",\"kind\":\"file\",\"field\":\"path\",\"match\":\"glob\",\"nocase\":true,\"value\":\"*?Program Files?Kaspersky Lab\",\"confidence\":\"weak\",\"source\":\"https://e/11\",\"platforms\":[\"windows\"]},"
	"{\"id\":\"mac-path\",\"vendor\":\"v\",\"kind\":\"file\",\"field\":\"path\",\"value\":\"/Library/Application Support/Kaspersky Lab\",\"confidence\":\"strong\",\"source\":\"https://e/12\",\"platforms\":[\"macos\",\"ios\"]},"
	"{\"id\":\"pkg2\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"name\",\"value\":\"kesl\",\"confidence\":\"strong\",\"source\":\"https://e/9\"}"
	"],\"directives\":[]}";

struct fixture {
	struct excise_catalog *c;
	struct matcher *m;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct excise_err err;
	assert_non_null(f);
	assert_int_equal(excise_catalog_parse("test", doc, strlen(doc), &f->c, &err), 0);
	assert_int_equal(matcher_new(f->c, NULL, &f->m, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	matcher_free(f->m);
	excise_catalog_free(f->c);
	free(f);
	return 0;
}

struct hits {
	char ids[512];
};

static int collect(void *ud, const struct excise_indicator *ind)
{
	struct hits *h = ud;
	size_t n = strlen(h->ids);
	snprintf(h->ids + n, sizeof(h->ids) - n, "%s%s", n ? "," : "", ind->id);
	return 0;
}

static const char *hits(struct fixture *f, enum excise_obs_kind k, enum excise_field fl, const char *s)
{
	static struct hits h;
	memset(&h, 0, sizeof(h));
	assert_int_equal(matcher_match(f->m, k, fl, s, strlen(s), collect, &h), 0);
	/* could() must never say no where match() says yes */
	if (h.ids[0])
		assert_true(matcher_could(f->m, k, fl, s, strlen(s)));
	return h.ids;
}

static void test_exact(void **state)
{
	struct fixture *f = *state;
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "kesl-control"), "exact");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "KESL-CONTROL"), "");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "kesl-control2"), "");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "KLIF.SYS"), "exact-nc");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "klif.sys"), "exact-nc");
	assert_false(matcher_could(f->m, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "kes", 3));
}

static void test_duplicate_values_all_reported(void **state)
{
	struct fixture *f = *state;
	const char *h = hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "kesl");
	assert_non_null(strstr(h, "pkg2"));
	assert_non_null(strstr(h, "pkg"));
}

static void test_globs(void **state)
{
	struct fixture *f = *state;
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "kesl_12.1.0-1191_amd64.deb"), "prefix");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "kesl_12.1.0.rpm"), "");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "Kaspersky-Guide.pdf"), "prefix-nc");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "daily.kdc"), "suffix");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "daily.kdc.bak"), "");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_PATH, "/opt/kaspersky/kesl/bin/kesl"), "path");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_PATH, "/opt/kaspersky/kesl"), "");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_PATH, "/opt/kasperskyx/kesl/a"), "");
	/* infix: found by its inner literal, confirmed by fnmatch */
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_PATH, "/mnt/c/Program Files/Kaspersky Lab/x"), "infix");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_PATH, "/mnt/kaspersky lab"), "");
	assert_false(matcher_could(f->m, EXCISE_OBS_FILE, EXCISE_F_PATH, "/usr/share/doc", 14));
	assert_false(matcher_could(f->m, EXCISE_OBS_FILE, EXCISE_F_NAME, "README", 6));
}

static void test_regex(void **state)
{
	struct fixture *f = *state;
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_PUBLISHER, "AO Kaspersky Lab <a@b>"), "re");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_PUBLISHER, "KASPERSKY"), "re");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_PUBLISHER, "Kasperskyfan Inc"), "");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_PUBLISHER, "MicroWorld"), "");
}

static void test_lookalikes(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "kavsvc.exe", "avpm.exe", "AVKService.exe", "kesl",
					     "kes", "klif", "klif.sys.bak", "UltraAV", "" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, names[i]), "");
}

static void test_not_nul_terminated_and_embedded_nul(void **state)
{
	struct fixture *f = *state;
	char buf[] = "kesl-controlXYZ";
	struct hits h = { 0 };
	assert_int_equal(matcher_match(f->m, EXCISE_OBS_FILE, EXCISE_F_NAME, buf, 12, collect, &h), 0);
	assert_string_equal(h.ids, "exact");
	memset(&h, 0, sizeof(h));
	char nul[] = "kesl-control\0x";
	assert_int_equal(matcher_match(f->m, EXCISE_OBS_FILE, EXCISE_F_NAME, nul, 14, collect, &h), 0);
	assert_string_equal(h.ids, "");
}

static void test_could_is_superset(void **state)
{
	/* Random strings built from the catalog's alphabet: could() must never be false
	 * where match() finds an indicator. */
	struct fixture *f = *state;
	static const char *const parts[] = { "kesl", "-", "control", "_", ".deb", "KLIF", ".sys",
					     "kaspersky", "x", "/opt/kaspersky/kesl/", ".kdc",
					     "/Kaspersky Lab/", "/" };
	unsigned seed = 12345;
	for (int i = 0; i < 20000; i++) {
		char s[128] = "";
		int n = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 4;
		for (int k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			strncat(s, parts[(seed >> 16) % (sizeof(parts) / sizeof(parts[0]))],
				sizeof(s) - strlen(s) - 1);
		}
		(void)hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, s);
		(void)hits(f, EXCISE_OBS_FILE, EXCISE_F_PATH, s);
	}
}

/* Indicators with "platforms" are compiled only for those platforms; NULL compiles all. */
static void test_platforms(void **state)
{
	struct fixture *f = *state;
	struct excise_err err;
	const char *win = "/Program Files/Kaspersky Lab", *mac = "/Library/Application Support/Kaspersky Lab";
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_PATH, win), "win-path");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_PATH, mac), "mac-path");
	static const struct {
		const char *platform, *win, *mac;
	} want[] = {
		{ "linux", "", "" }, { "windows", "win-path", "" }, { "macos", "", "mac-path" },
		{ "ios", "", "mac-path" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct fixture g = { .c = f->c };
		assert_int_equal(matcher_new(f->c, want[i].platform, &g.m, &err), 0);
		assert_string_equal(hits(&g, EXCISE_OBS_FILE, EXCISE_F_PATH, win), want[i].win);
		assert_string_equal(hits(&g, EXCISE_OBS_FILE, EXCISE_F_PATH, mac), want[i].mac);
		/* indicators without platforms hold everywhere */
		assert_string_equal(hits(&g, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "kesl"), "pkg2,pkg");
		if (!want[i].win[0])
			assert_false(matcher_could(g.m, EXCISE_OBS_FILE, EXCISE_F_PATH, win, strlen(win)));
		matcher_free(g.m);
	}
	const struct excise_indicator *ind = NULL;
	for (size_t i = 0; i < excise_catalog_n_indicators(f->c); i++)
		if (strcmp(excise_catalog_indicator(f->c, i)->id, "mac-path") == 0)
			ind = excise_catalog_indicator(f->c, i);
	assert_non_null(ind);
	assert_true(excise_indicator_applies(ind, "macos"));
	assert_false(excise_indicator_applies(ind, "windows"));
	assert_true(excise_indicator_applies(ind, NULL));
}

/* A directory prefix rules out every path below it only when no indicator could match there. */
static void test_could_below(void **state)
{
	struct fixture *f = *state;
	struct excise_err err;
	struct fixture g = { .c = f->c };
	/* The fixture catalog has an inner-literal path glob: it can match under any prefix. */
	assert_int_equal(matcher_new(f->c, "linux", &g.m, &err), 0);
	assert_true(matcher_could_below(g.m, EXCISE_OBS_FILE, EXCISE_F_PATH, "/usr/", 5));
	matcher_free(g.m);

	static const char linux_only[] =
		"{\"schema\":\"excise.catalog/1\",\"id\":\"t\",\"version\":\"1\",\"serial\":1,"
		"\"issued\":\"2026-01-01\",\"vendors\":[{\"id\":\"v\",\"name\":\"V\"}],"
		"\"products\":[{\"id\":\"p\",\"vendor\":\"v\",\"name\":\"P\",\"family\":\"endpoint\","
		"\"platforms\":[\"linux\"],\"source\":\"https://e/p\"}],"
		"\"indicators\":["
		"{\"id\":\"g\",\"vendor\":\"v\",\"kind\":\"file\",\"field\":\"path\",\"match\":\"glob\","
		"\"value\":\"/opt/kaspersky/*\",\"confidence\":\"weak\",\"source\":\"https://e\"},"
		"{\"id\":\"e\",\"vendor\":\"v\",\"kind\":\"file\",\"field\":\"path\",\"nocase\":true,"
		"\"value\":\"/etc/Kaspersky/license.key\",\"confidence\":\"weak\",\"source\":\"https://e\"},"
		"{\"id\":\"n\",\"vendor\":\"v\",\"kind\":\"file\",\"field\":\"name\",\"match\":\"glob\","
		"\"value\":\"*.kdc\",\"confidence\":\"weak\",\"source\":\"https://e\"}"
		"],\"directives\":[]}";
	struct excise_catalog *c = NULL;
	assert_int_equal(excise_catalog_parse("t", linux_only, strlen(linux_only), &c, &err), 0);
	assert_int_equal(matcher_new(c, "linux", &g.m, &err), 0);
	static const struct {
		const char *prefix;
		bool could;
	} want[] = {
		{ "/", true }, { "/opt/", true }, { "/opt/kaspersky/", true }, { "/opt/kaspersky/kesl/", true },
		{ "/opt/kas", true }, { "/usr/", false }, { "/opt/other/", false }, { "/etc/", true },
		{ "/ETC/kaspersky/", true }, { "/etc/kaspersky/license.key/", false }, { "/etc/ssl/", false },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *p = want[i].prefix;
		if (matcher_could_below(g.m, EXCISE_OBS_FILE, EXCISE_F_PATH, p, strlen(p)) != want[i].could)
			fail_msg("could_below('%s') should be %d", p, want[i].could);
	}
	/* No path indicator of this kind at all. */
	assert_false(matcher_could_below(g.m, EXCISE_OBS_PROCESS, EXCISE_F_PATH, "/", 1));
	/* Name indicators are suffix globs: never ruled out by a prefix. */
	assert_true(matcher_could_below(g.m, EXCISE_OBS_FILE, EXCISE_F_NAME, "x", 1));
	matcher_free(g.m);
	excise_catalog_free(c);
}

/* Bad "platforms" values are refused with the indicator named. */
static void test_platforms_invalid(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{ "[\"beos\"]", "/platforms/0 (id 'x'): expected one of linux|windows|macos|android|ios|any" },
		{ "[]", "/platforms (id 'x'): expected an array of at least 1 non-empty strings" },
		{ "\"linux\"", "/platforms (id 'x'): expected an array of at least 1 non-empty strings" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char d[1024];
		snprintf(d, sizeof(d),
			 "{\"schema\":\"excise.catalog/1\",\"id\":\"t\",\"version\":\"1\",\"serial\":1,"
			 "\"issued\":\"2026-01-01\",\"vendors\":[{\"id\":\"v\",\"name\":\"V\"}],"
		"\"products\":[{\"id\":\"p\",\"vendor\":\"v\",\"name\":\"P\",\"family\":\"endpoint\","
		"\"platforms\":[\"linux\"],\"source\":\"https://e/p\"}],"
			 "\"indicators\":[{\"id\":\"x\",\"vendor\":\"v\",\"kind\":\"file\",\"field\":\"name\","
			 "\"value\":\"a\",\"confidence\":\"weak\",\"source\":\"https://e\",\"platforms\":%s}],"
			 "\"directives\":[]}", bad[i][0]);
		struct excise_catalog *c = NULL;
		struct excise_err err = { 0 };
		assert_true(excise_catalog_parse("test", d, strlen(d), &c, &err) < 0);
		assert_non_null(strstr(err.msg, bad[i][1]));
		assert_non_null(strstr(err.msg, "'x'"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_duplicate_values_all_reported),
		cmocka_unit_test(test_globs),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_lookalikes),
		cmocka_unit_test(test_not_nul_terminated_and_embedded_nul),
		cmocka_unit_test(test_could_is_superset),
		cmocka_unit_test(test_platforms),
		cmocka_unit_test(test_platforms_invalid),
		cmocka_unit_test(test_could_below),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
