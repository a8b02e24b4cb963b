/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the indicator matcher (lib/catalog/match.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog/match.h"
#include "catalog/normalise.h"
#include "core/macro.h"
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

/* Human text (names, publishers, descriptions) is compared in normal form. */
static const char i18n[] =
	"{\"schema\":\"excise.catalog/1\",\"id\":\"t\",\"version\":\"1\",\"serial\":1,\"issued\":\"2026-01-01\","
	"\"vendors\":[{\"id\":\"v\",\"name\":\"Vendor\"}],"
	"\"products\":[{\"id\":\"p\",\"vendor\":\"v\",\"name\":\"P\",\"family\":\"endpoint\",\"platforms\":[\"linux\"],\"source\":\"https://e/p\"}],"
	"\"indicators\":["
	"{\"id\":\"pub-en\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"nocase\":true,\"value\":\"Kaspersky Lab\",\"confidence\":\"strong\",\"source\":\"https://e/1\"},"
	"{\"id\":\"pub-ru\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"nocase\":true,\"value\":\"Лаборатория Касперского\",\"confidence\":\"strong\",\"source\":\"https://e/2\"},"
	"{\"id\":\"pub-ao\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"nocase\":true,\"value\":\"АО «Лаборатория Касперского»\",\"confidence\":\"strong\",\"source\":\"https://e/3\"},"
	"{\"id\":\"pub-glob\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"match\":\"glob\",\"nocase\":true,\"value\":\"*Лаборатория Касперского\",\"confidence\":\"weak\",\"source\":\"https://e/4\"},"
	"{\"id\":\"pub-zao-re\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"match\":\"regex\",\"nocase\":true,\"value\":\"^ЗАО Лаборатория\",\"confidence\":\"weak\",\"source\":\"https://e/5\"},"
	"{\"id\":\"pub-cs\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"value\":\"Kaspersky Lab ZAO\",\"confidence\":\"strong\",\"source\":\"https://e/6\"},"
	"{\"id\":\"kis\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"name\",\"nocase\":true,\"value\":\"Kaspersky Internet Security\",\"confidence\":\"strong\",\"source\":\"https://e/7\"},"
	"{\"id\":\"kav-re\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"name\",\"match\":\"regex\",\"nocase\":true,\"value\":\"^Kaspersky Anti-Virus( [0-9]+(\\\\.[0-9]+)*)?$\",\"confidence\":\"strong\",\"source\":\"https://e/8\"},"
	"{\"id\":\"kav-glob\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"description\",\"match\":\"glob\",\"nocase\":true,\"value\":\"Kaspersky Anti-Virus [0-9]*\",\"confidence\":\"weak\",\"source\":\"https://e/9\"},"
	"{\"id\":\"gross\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"description\",\"nocase\":true,\"value\":\"Groß\",\"confidence\":\"weak\",\"source\":\"https://e/10\"},"
	"{\"id\":\"gross-cs\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"description\",\"value\":\"Straße\",\"confidence\":\"weak\",\"source\":\"https://e/11\"},"
	"{\"id\":\"ext\",\"vendor\":\"v\",\"kind\":\"extension\",\"field\":\"name\",\"match\":\"glob\",\"value\":\"*@kaspersky.com\",\"confidence\":\"strong\",\"source\":\"https://e/12\"},"
	"{\"id\":\"svc-kess\",\"product\":\"p\",\"kind\":\"service\",\"field\":\"name\",\"value\":\"kess\",\"confidence\":\"strong\",\"source\":\"https://e/13\"},"
	"{\"id\":\"svc-kics\",\"product\":\"p\",\"kind\":\"service\",\"field\":\"name\",\"value\":\"kics.service\",\"confidence\":\"strong\",\"source\":\"https://e/14\"},"
	"{\"id\":\"svc-glob\",\"product\":\"p\",\"kind\":\"service\",\"field\":\"name\",\"match\":\"glob\",\"value\":\"klnagent*\",\"confidence\":\"strong\",\"source\":\"https://e/15\"},"
	"{\"id\":\"svc-re\",\"product\":\"p\",\"kind\":\"service\",\"field\":\"name\",\"match\":\"regex\",\"value\":\"^kesl$\",\"confidence\":\"strong\",\"source\":\"https://e/16\"},"
	"{\"id\":\"kmod-kess\",\"product\":\"p\",\"kind\":\"kmod\",\"field\":\"name\",\"value\":\"kess\",\"confidence\":\"strong\",\"source\":\"https://e/17\"},"
	"{\"id\":\"file-dash\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"value\":\"kesl-control\",\"confidence\":\"strong\",\"source\":\"https://e/18\"},"
	"{\"id\":\"only-quotes\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"value\":\"«-»\",\"confidence\":\"weak\",\"source\":\"https://e/20\"},"
	"{\"id\":\"ru-name\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"name\",\"value\":\"Kaspersky Endpoint Security для Windows\",\"confidence\":\"strong\",\"source\":\"https://e/19\"},"
	/* composed in the catalog (ü, й), and one written decomposed (и + U+0306) */
	"{\"id\":\"de-name\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"name\",\"nocase\":true,\"value\":\"Kaspersky Endpoint Security für Windows\",\"confidence\":\"strong\",\"source\":\"https://e/21\"},"
	"{\"id\":\"de-glob\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"description\",\"match\":\"glob\",\"nocase\":true,\"value\":\"Netzwerkagent für *\",\"confidence\":\"weak\",\"source\":\"https://e/22\"},"
	"{\"id\":\"de-re\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"name\",\"match\":\"regex\",\"value\":\"^Kaspersky Security für [A-Za-z]+ [0-9]+$\",\"confidence\":\"strong\",\"source\":\"https://e/23\"},"
	"{\"id\":\"ru-short\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"name\",\"nocase\":true,\"value\":\"Касперский Total Security\",\"confidence\":\"strong\",\"source\":\"https://e/24\"},"
	"{\"id\":\"ru-decomposed\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"name\",\"value\":\"Мой Касперски\\u0438\\u0306\",\"confidence\":\"strong\",\"source\":\"https://e/25\"}"
	"],\"directives\":[]}";

static int setup_i18n(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct excise_err err;
	assert_non_null(f);
	assert_int_equal(excise_catalog_parse("i18n", i18n, strlen(i18n), &f->c, &err), 0);
	assert_int_equal(matcher_new(f->c, NULL, &f->m, &err), 0);
	*state = f;
	return 0;
}

#define PUB(s) hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_PUBLISHER, s)

static void test_quotes_every_form(void **state)
{
	struct fixture *f = *state;
	static const char *const quoted[] = {
		"\"Kaspersky Lab\"", "“Kaspersky Lab”", "„Kaspersky Lab“", "‟Kaspersky Lab”", "«Kaspersky Lab»",
		"‹Kaspersky Lab›", "‘Kaspersky Lab’", "‚Kaspersky Lab‘", "`Kaspersky Lab´", "'Kaspersky Lab'",
		"‛Kaspersky Lab'", "＂Kaspersky Lab＂", "« Kaspersky Lab »", "Kaspersky Lab",
	};
	for (size_t i = 0; i < ARRAY_SIZE(quoted); i++)
		if (strcmp(PUB(quoted[i]), "pub-en") != 0)
			fail_msg("'%s' gave '%s'", quoted[i], PUB(quoted[i]));
	/* the publisher list of the issue: each spelling relates as a list expects */
	assert_string_equal(PUB("АО «Лаборатория Касперского»"), "pub-ao,pub-glob");
	assert_string_equal(PUB("АО \"Лаборатория Касперского\""), "pub-ao,pub-glob");
	assert_string_equal(PUB("\"Лаборатория Касперского\""), "pub-ru,pub-glob");
	assert_string_equal(PUB("ЗАО Лаборатория Касперского"), "pub-glob,pub-zao-re");
	assert_string_equal(PUB("ЗАО «Лаборатория Касперского»"), "pub-glob,pub-zao-re");
	assert_string_equal(PUB("Лаборатория  Касперского"), "pub-ru,pub-glob");
	assert_string_equal(PUB("ЛАБОРАТОРИЯ КАСПЕРСКОГО"), "pub-ru,pub-glob");
	assert_string_equal(PUB("Лаборатория Касперского (тест)"), "");
}

static void test_spaces_and_punctuation(void **state)
{
	struct fixture *f = *state;
	static const char *const spaced[] = {
		"Kaspersky\xc2\xa0Lab",            /* NBSP */
		"Kaspersky\xe2\x80\x89Lab",        /* thin space U+2009 */
		"Kaspersky\xe2\x80\x80Lab",        /* U+2000 */
		"Kaspersky\xe2\x80\x8aLab",        /* U+200A */
		"Kaspersky\xe3\x80\x80Lab",        /* ideographic space U+3000 */
		"  Kaspersky \t\n Lab  ", "Kaspersky-Lab", "Kaspersky Lab.", "Kaspersky, Lab", "(Kaspersky Lab)",
		"Kaspersky_Lab", "Kaspersky\xe2\x80\x94Lab", /* em dash */
	};
	for (size_t i = 0; i < ARRAY_SIZE(spaced); i++)
		if (strcmp(PUB(spaced[i]), "pub-en") != 0)
			fail_msg("'%s' gave '%s'", spaced[i], PUB(spaced[i]));
	assert_string_equal(PUB("KasperskyLab"), "");
	/* an indicator that is nothing but quotes and punctuation matches nothing */
	assert_string_equal(PUB("«-»"), "");
	assert_string_equal(PUB("-"), "");
	assert_string_equal(PUB(""), "");
	/* case-sensitive: punctuation and width normalised, case not */
	assert_string_equal(PUB("Kaspersky Lab, ZAO"), "pub-cs");
	assert_string_equal(PUB("Ｋａｓｐｅｒｓｋｙ Ｌａｂ ＺＡＯ"), "pub-cs");
	assert_string_equal(PUB("KASPERSKY LAB ZAO"), "");
	/* file names are identifiers: compared as before */
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "kesl-control"), "file-dash");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "kesl control"), "");
	assert_string_equal(hits(f, EXCISE_OBS_FILE, EXCISE_F_NAME, "«kesl-control»"), "");
}

static void test_width_and_case(void **state)
{
	struct fixture *f = *state;
	assert_string_equal(PUB("ｋａｓｐｅｒｓｋｙ ｌａｂ"), "pub-en");
	assert_string_equal(PUB("KASPERSKY LAB"), "pub-en");
	const char *n = "Kaspersky Internet Security";
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, n), "kis");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "KASPERSKY INTERNET SECURITY"), "kis");
	/* Turkish: the dotless ı and the dotted İ are letters of their own */
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "Kaspersky ınternet Security"), "");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "KASPERSKY İNTERNET SECURITY"), "");
	/* full case folding: ß is ss for nocase, itself otherwise */
	const char *d[][2] = { { "Groß", "gross" }, { "GROSS", "gross" }, { "gross", "gross" }, { "Gros", "" },
			       { "Straße", "gross-cs" }, { "Strasse", "" }, { "STRAẞE", "" } };
	for (size_t i = 0; i < ARRAY_SIZE(d); i++)
		if (strcmp(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_DESCRIPTION, d[i][0]), d[i][1]) != 0)
			fail_msg("'%s' should give '%s'", d[i][0], d[i][1]);
	/* NFKC composes: e + combining acute is é; a Cyrillic name in two forms */
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "Kaspersky Endpoint Security для Windows"),
			    "ru-name");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "«Kaspersky Endpoint Security для Windows»"),
			    "ru-name");
}

/* Decomposed text (a letter followed by its combining mark, as some installers and
 * file systems write it) matches a composed indicator and the other way round: NFKC
 * composes both sides, in exact, glob and regex indicators alike. */
#define U_DIAERESIS "\xcc\x88" /* U+0308 COMBINING DIAERESIS */
#define BREVE "\xcc\x86"       /* U+0306 COMBINING BREVE */
#define CYR_I "\xd0\xb8"       /* и */
#define CYR_SHORT_I "\xd0\xb9" /* й */
static void test_decomposed(void **state)
{
	struct fixture *f = *state;
	static const char *const name[][2] = {
		{ "Kaspersky Endpoint Security fu" U_DIAERESIS "r Windows", "de-name" },
		{ "KASPERSKY ENDPOINT SECURITY FU" U_DIAERESIS "R WINDOWS", "de-name" },
		{ "«Kaspersky Endpoint Security fu" U_DIAERESIS "r Windows»", "de-name" },
		{ "Kaspersky Endpoint Security f\xc3\xbcr Windows", "de-name" }, /* composed ü */
		{ "Kaspersky Endpoint Security fur Windows", "" },               /* the mark dropped */
		{ "Kaspersky Security fu" U_DIAERESIS "r Linux 11", "de-re" },
		{ "Kaspersky Security f\xc3\xbcr Linux 11", "de-re" },
		{ "Kaspersky Security fur Linux 11", "" },
		{ "Касперски" CYR_I BREVE " Total Security", "ru-short" },      /* и + breve */
		{ "КАСПЕРСКИ" "\xd0\x98" BREVE " TOTAL SECURITY", "ru-short" },  /* И + breve */
		{ "Касперски" CYR_SHORT_I " Total Security", "ru-short" },      /* й */
		{ "Касперски" CYR_I " Total Security", "" },                    /* и alone is another letter */
		{ "Мой Касперски" CYR_SHORT_I, "ru-decomposed" },               /* the catalog's is decomposed */
		{ "Мой Касперски" CYR_I BREVE, "ru-decomposed" },
		{ "Мой Касперски" CYR_I, "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(name); i++)
		if (strcmp(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, name[i][0]), name[i][1]) != 0)
			fail_msg("name '%s' gave '%s', not '%s'", name[i][0],
				 hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, name[i][0]), name[i][1]);
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_DESCRIPTION, "Netzwerkagent fu" U_DIAERESIS "r Linux"),
			    "de-glob");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_DESCRIPTION, "NETZWERKAGENT FU" U_DIAERESIS "R LINUX"),
			    "de-glob");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_DESCRIPTION, "Netzwerkagent fur Linux"), "");
}

/* A Cyrillic or Greek letter standing in for a Latin one is not the vendor. */
static void test_decoys(void **state)
{
	struct fixture *f = *state;
	static const char *const decoys[] = {
		"K\xd0\xb0spersky Lab",      /* Cyrillic а */
		"Kaspersk\xd1\x83 Lab",      /* Cyrillic у */
		"\xce\x9a" "aspersky Lab",   /* Greek Κ */
		"Kaspersky L\xce\xb1" "b",   /* Greek α */
		"\xd0\x9a" "aspersky Lab",   /* Cyrillic К */
		"Kaspersky Lab\xe2\x80\x8b", /* a zero-width space is not white space */
	};
	for (size_t i = 0; i < ARRAY_SIZE(decoys); i++)
		if (strcmp(PUB(decoys[i]), "") != 0)
			fail_msg("decoy '%s' matched '%s'", decoys[i], PUB(decoys[i]));
	/* a Latin o in the Russian name is a decoy too; the genuine name matches */
	assert_string_equal(PUB("Лаб" "o" "ратория Касперского"), "");
	assert_string_equal(PUB("Лаборатория Касперского"), "pub-ru,pub-glob");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "K\xd0\xb0spersky Anti-Virus"), "");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, "Kaspersky Anti-Virus"), "kav-re");
}

static void test_invalid_utf8(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"K\xc1\xa1spersky Lab",     /* overlong a */
		"Kaspersky\xc2Lab",         /* truncated sequence */
		"\xabKaspersky Lab\xbb",     /* Latin-1 guillemets */
		"Kaspersky\xa0Lab",         /* Latin-1 NBSP */
		"\xed\xa0\x80Kaspersky Lab", /* a surrogate */
		"\xff\xfe",
		"Лаборатория Касперского\xff",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (strcmp(PUB(bad[i]), "") != 0)
			fail_msg("invalid '%s' matched '%s'", bad[i], PUB(bad[i]));
	/* the ASCII rules still apply around the bad bytes */
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_DESCRIPTION, "\"GROSS\""), "gross");
	assert_string_equal(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_DESCRIPTION, "\"GROSS\"\xff"), "");
}

static void test_glob_and_regex_normalised(void **state)
{
	struct fixture *f = *state;
	const char *desc[][2] = {
		{ "Kaspersky Anti-Virus 2012", "kav-glob" },
		{ "KASPERSKY ANTI-VIRUS 6.0", "kav-glob" },
		{ "Kaspersky Anti\xe2\x80\x91Virus 2012", "kav-glob" }, /* non-breaking hyphen */
		{ "«Kaspersky Anti Virus 7»", "kav-glob" },
		{ "Kaspersky Anti-Virus", "" },
		{ "Kaspersky Anti-Virus Pro", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(desc); i++)
		if (strcmp(hits(f, EXCISE_OBS_FILE, EXCISE_F_DESCRIPTION, desc[i][0]), desc[i][1]) != 0)
			fail_msg("'%s' should give '%s'", desc[i][0], desc[i][1]);
	/* a regex sees quotes removed, spaces collapsed, NFKC and folding, punctuation kept */
	const char *name[][2] = {
		{ "Kaspersky Anti-Virus 6.0.4", "kav-re" },
		{ "«Kaspersky Anti-Virus 6.0»", "kav-re" },
		{ "  Kaspersky\xc2\xa0 Anti-Virus  ", "kav-re" },
		{ "ＫＡＳＰＥＲＳＫＹ Anti-Virus ２０１２", "kav-re" },
		{ "Kaspersky Anti Virus 6.0", "" },
		{ "Kaspersky Anti-Virus 6.0 Beta", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(name); i++)
		if (strcmp(hits(f, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, name[i][0]), name[i][1]) != 0)
			fail_msg("'%s' should give '%s'", name[i][0], name[i][1]);
	/* a nocase regex with Cyrillic letters folds them */
	assert_string_equal(PUB("зао лаборатория"), "pub-zao-re");
	assert_string_equal(PUB("ЗAO Лаборатория"), ""); /* Latin A and O */
	/* an extension id glob: punctuation is one space on both sides */
	assert_string_equal(hits(f, EXCISE_OBS_EXTENSION, EXCISE_F_NAME, "urladvisor@kaspersky.com"), "ext");
	assert_string_equal(hits(f, EXCISE_OBS_EXTENSION, EXCISE_F_NAME, "x@notkaspersky.com"), "");
}

/* A service name indicator holds with or without ".service", on services only. */
static void test_service_suffix(void **state)
{
	struct fixture *f = *state;
	const char *svc[][2] = {
		{ "kess", "svc-kess" }, { "kess.service", "svc-kess" }, { "kics", "svc-kics" },
		{ "kics.service", "svc-kics" }, { "kesl.service", "svc-re" }, { "kesl", "svc-re" },
		{ "klnagent.service", "svc-glob" }, { "klnagent", "svc-glob" }, { "kess.socket", "" },
		{ "kess.service.service", "" }, { ".service", "" }, { "kess.Service", "" }, { "", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(svc); i++)
		if (strcmp(hits(f, EXCISE_OBS_SERVICE, EXCISE_F_NAME, svc[i][0]), svc[i][1]) != 0)
			fail_msg("unit '%s' should give '%s', not '%s'", svc[i][0], svc[i][1],
				 hits(f, EXCISE_OBS_SERVICE, EXCISE_F_NAME, svc[i][0]));
	assert_string_equal(hits(f, EXCISE_OBS_KMOD, EXCISE_F_NAME, "kess.service"), "");
	assert_string_equal(hits(f, EXCISE_OBS_KMOD, EXCISE_F_NAME, "kess"), "kmod-kess");
}

/* The normal forms themselves, and the ASCII fast path agreeing with utf8proc's. */
static void test_normal_forms(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		unsigned flags;
		const char *out;
	} want[] = {
		{ "  «АО  Лаборатория Касперского»  ", NORMALISE_PUNCT | NORMALISE_FOLD, "ао лаборатория касперского" },
		{ "Kaspersky Lab, ZAO", NORMALISE_PUNCT, "Kaspersky Lab ZAO" },
		{ "Kaspersky Lab, ZAO", 0, "Kaspersky Lab, ZAO" },
		{ "Kaspersky's \"Lab\"", NORMALISE_PUNCT | NORMALISE_FOLD, "kasperskys lab" },
		{ "Ｋａｓｐｅｒｓｋｙ™", NORMALISE_PUNCT, "Kaspersky" }, /* ™ is a symbol before NFKC spells it TM */
		{ "Kaspersky®\xc2\xa0Lab", NORMALISE_PUNCT, "Kaspersky Lab" },
		{ "Straße", NORMALISE_FOLD, "strasse" },
		{ "*«Kaspersky Lab»*", NORMALISE_PUNCT | NORMALISE_GLOB, "*Kaspersky Lab*" },
		{ "Kaspersky-[0-9]*.?", NORMALISE_PUNCT | NORMALISE_GLOB | NORMALISE_FOLD, "kaspersky [0-9]* ?" },
		{ "A\\*B", NORMALISE_PUNCT | NORMALISE_GLOB, "A\\*B" },
		{ "[!A-Z]x", NORMALISE_PUNCT | NORMALISE_GLOB | NORMALISE_FOLD, "[!a-z]x" },
		{ "", NORMALISE_PUNCT, "" },
		{ " \"'` ", NORMALISE_PUNCT, "" },
		{ "\xff" "A-B", NORMALISE_PUNCT | NORMALISE_FOLD, "\xff" "a b" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char stack[8], *out = NULL;
		ssize_t n = normalise(want[i].in, strlen(want[i].in), want[i].flags, stack, sizeof(stack), &out);
		assert_true(n >= 0);
		if (strcmp(out, want[i].out) != 0 || (size_t)n != strlen(out))
			fail_msg("'%s' (%u): '%s', not '%s'", want[i].in, want[i].flags, out, want[i].out);
		if (out != stack)
			free(out);
	}
	/* Every ASCII byte, alone and between letters, through both paths: a
	 * trailing é sends the string the Unicode way and is removed afterwards. */
	for (unsigned fl = 0; fl < 8; fl++) {
		for (int c = 1; c < 128; c++) {
			char in[16], uin[32];
			snprintf(in, sizeof(in), "a%c b%c", c, c);
			snprintf(uin, sizeof(uin), "%s \xc3\xa9", in);
			char s1[64], s2[64], *o1 = NULL, *o2 = NULL;
			ssize_t n1 = normalise(in, strlen(in), fl, s1, sizeof(s1), &o1);
			ssize_t n2 = normalise(uin, strlen(uin), fl, s2, sizeof(s2), &o2);
			assert_true(n1 >= 0 && n2 >= 2);
			/* the Unicode form ends in " é" */
			assert_memory_equal(o2 + n2 - 2, "\xc3\xa9", 2);
			size_t k = (size_t)n2 - 2;
			if (k && o2[k - 1] == ' ')
				k--;
			if ((size_t)n1 != k || memcmp(o1, o2, k) != 0)
				fail_msg("byte 0x%02x flags %u: ascii '%s', unicode '%s'", c, fl, o1, o2);
			if (o1 != s1)
				free(o1);
			if (o2 != s2)
				free(o2);
		}
	}
	char *re = NULL;
	assert_int_equal(normalise_regex("^\\W*ЗАО Straße\\S", true, &re), 0);
	assert_string_equal(re, "^\\W*зао Strasse\\S");
	free(re);
	assert_int_equal(normalise_regex("^\\W*ЗАО Straße\\S", false, &re), 0);
	assert_string_equal(re, "^\\W*ЗАО Straße\\S");
	free(re);
	assert_int_equal(normalise_regex("bad\xff", true, &re), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_values_all_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_globs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookalikes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_nul_terminated_and_embedded_nul, setup, teardown),
		cmocka_unit_test_setup_teardown(test_could_is_superset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platforms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platforms_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_could_below, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quotes_every_form, setup_i18n, teardown),
		cmocka_unit_test_setup_teardown(test_spaces_and_punctuation, setup_i18n, teardown),
		cmocka_unit_test_setup_teardown(test_width_and_case, setup_i18n, teardown),
		cmocka_unit_test_setup_teardown(test_decomposed, setup_i18n, teardown),
		cmocka_unit_test_setup_teardown(test_decoys, setup_i18n, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8, setup_i18n, teardown),
		cmocka_unit_test_setup_teardown(test_glob_and_regex_normalised, setup_i18n, teardown),
		cmocka_unit_test_setup_teardown(test_service_suffix, setup_i18n, teardown),
		cmocka_unit_test_setup_teardown(test_normal_forms, setup_i18n, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
