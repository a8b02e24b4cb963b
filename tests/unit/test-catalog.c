/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the catalog loader, lint and directive coverage (lib/catalog/catalog.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/macro.h"
#include "excise/catalog.h"

#define HEAD "{\"schema\":\"excise.catalog/1\",\"id\":\"t\",\"version\":\"1\",\"serial\":1,\"issued\":\"2026-01-01\","
#define VENDOR "\"vendors\":[{\"id\":\"v\",\"name\":\"Vendor\"}],"
#define PRODUCTS                                                                                          \
	"\"products\":[{\"id\":\"p\",\"vendor\":\"v\",\"name\":\"P\",\"family\":\"endpoint\",\"platforms\":[\"linux\"],\"source\":\"https://e/p\"}," \
	"{\"id\":\"oem\",\"vendor\":\"v\",\"name\":\"Engine inside X\",\"family\":\"embedded\",\"platforms\":[\"any\"],\"branded\":false,\"source\":\"https://e/o\"}],"
/* One indicator: a catalog has at least one product and one indicator. */
#define ONE_INDICATOR \
	"[{\"id\":\"i0\",\"product\":\"p\",\"kind\":\"package\",\"field\":\"name\",\"value\":\"p0\",\"confidence\":\"weak\",\"source\":\"https://e/i\"}]"

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
	/* glibc's regcomp copies repetitions out: each of these would take seconds and
	 * gigabytes (the first was found by fuzz-catalog) */
	static const char *const costly[] = { "O=++++++++++++++++++++++++++++++AO", "((a{90}){90}){90}",
					      "(x{200}){200}", "[[:alpha:]]{9000}", "a{18446744073709551615}", "a{1,18446744073709551616}" };
	for (size_t i = 0; i < sizeof(costly) / sizeof(costly[0]); i++) {
		char doc[1024];
		snprintf(doc, sizeof(doc), HEAD VENDOR PRODUCTS "\"indicators\":[{\"id\":\"i\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"match\":\"regex\",\"value\":\"%s\",\"confidence\":\"weak\",\"source\":\"s\"}],\"directives\":[]}", costly[i]);
		expect_error(doc, "too costly to compile");
	}
	/* ordinary ones still pass */
	static const char *const fine[] = { "^kav[0-9]{2,4}(\\\\.exe)?$", "(^|,)O=(AO )?Kaspersky( Lab)?", "a+b*c?[x-z]{3}" };
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		char doc[1024];
		snprintf(doc, sizeof(doc), HEAD VENDOR PRODUCTS "\"indicators\":[{\"id\":\"i\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"match\":\"regex\",\"value\":\"%s\",\"confidence\":\"weak\",\"source\":\"s\"}],\"directives\":[]}", fine[i]);
		struct excise_catalog *c = NULL;
		struct excise_err err = { 0 };
		if (parse(doc, &c, &err) < 0)
			fail_msg("'%s' refused: %s", fine[i], err.msg);
		excise_catalog_free(c);
	}
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ",\"directives\":[{\"id\":\"d\",\"short_name\":\"D\",\"title\":\"T\",\"instrument\":\"statute\",\"issuer\":\"X\",\"issued\":\"2017-13-40\",\"vendors\":[\"v\"],\"scope\":\"branded_only\",\"source\":\"s\"}]}",
		     "/directives/0/issued (id 'd'): expected a date YYYY-MM-DD");
	expect_error(HEAD "\"vendors\":[{\"id\":\"v\",\"name\":\"A\"},{\"id\":\"v\",\"name\":\"B\"}],\"products\":[],\"indicators\":[],\"directives\":[]}",
		     "/vendors/1 (id 'v'): duplicate id 'v'");
	expect_error("{\"schema\":\"excise.catalog/1\",\n  \"id\": ", "line 2");
	expect_error("{\"schema\":\"excise.catalog/2\"}", "/schema: expected one of excise.catalog/1");
}

static void test_directive_scope(void **state)
{
	(void)state;
	const char *s = HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ",\"directives\":["
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
		buf_adds(&b, "\",\"name\":\"V\"}],\"products\":[{\"id\":\"p\",\"vendor\":\"");
		for (unsigned i = 0; i < EXCISE_MAX_CATALOG_ID_LEN + extra; i++)
			buf_addc(&b, 'v');
		buf_adds(&b, "\",\"name\":\"P\",\"family\":\"endpoint\",\"platforms\":[\"linux\"],"
			 "\"source\":\"https://e/p\"}],\"indicators\":" ONE_INDICATOR ",\"directives\":[]}");
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

/* Calendars: holiday rules checked on reading, a directive naming one that is not there
 * refused, business days without a calendar and unsourced closures listed by lint. */
#define CAL_DIRECTIVE(cal)                                                                                  \
	"{\"id\":\"far\",\"short_name\":\"FAR\",\"title\":\"T\",\"instrument\":\"regulation_clause\",\"issuer\":\"X\"," \
	"\"issued\":\"2018-06-15\",\"vendors\":[\"v\"],\"scope\":\"in_whole_or_in_part\",\"source\":\"https://e\","  \
	"\"milestones\":[{\"id\":\"R1\",\"name\":\"r\",\"anchor\":\"discovery_event\",\"offset\":3,"             \
	"\"unit\":\"business_days\",\"action\":\"notify\"}]" cal "}"
#define CALENDAR(holiday, closures)                                                                         \
	"\"calendars\":[{\"id\":\"us\",\"name\":\"US\",\"observed\":\"in_lieu\",\"source\":\"https://e/c\","      \
	"\"holidays\":[{\"name\":\"New Year\",\"month\":1,\"day\":1}," holiday "]" closures "}],"

static void test_calendars(void **state)
{
	(void)state;
	const char *ok = HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		CALENDAR("{\"name\":\"Thanksgiving\",\"month\":11,\"weekday\":\"thursday\",\"nth\":\"fourth\",\"from\":1942}",
			 ",\"closures\":[{\"date\":\"2025-12-26\",\"name\":\"EO\",\"source\":\"https://e/eo\"}]")
		"\"directives\":[" CAL_DIRECTIVE(",\"calendar\":\"us\"") "]}";
	struct excise_catalog *c;
	struct excise_err err = { 0 };
	assert_int_equal(parse(ok, &c, &err), 0);
	const struct excise_calendar *cal = excise_catalog_find_calendar(c, "us");
	assert_non_null(cal);
	assert_ptr_equal(excise_catalog_directive(c, 0)->calendar, cal);
	assert_true(cal->in_lieu);
	assert_int_equal(cal->n_holidays, 2);
	assert_int_equal(cal->holidays[1].weekday, 4);
	assert_int_equal(cal->holidays[1].nth, 3);
	assert_int_equal(cal->holidays[1].from, 1942);
	assert_int_equal(cal->n_closures, 1);
	assert_string_equal(cal->closures[0].date, "2025-12-26");
	char **v = NULL;
	assert_int_equal(excise_catalog_lint(c, &v), 0);
	excise_strv_free(v);
	excise_catalog_free(c);

	/* reading refuses */
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR "," CALENDAR("{\"name\":\"Y\",\"month\":7,\"day\":4}", "")
		     "\"directives\":[" CAL_DIRECTIVE(",\"calendar\":\"uk\"") "]}",
		     "/directives/0/calendar (id 'far'): calendar 'uk' is not in the catalog");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		     CALENDAR("{\"name\":\"X\",\"month\":5,\"day\":1,\"weekday\":\"monday\",\"nth\":\"last\"}", "")
		     "\"directives\":[]}", "give 'day' for a fixed date, else 'weekday' and 'nth'");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		     CALENDAR("{\"name\":\"X\",\"month\":5,\"weekday\":\"monday\"}", "") "\"directives\":[]}",
		     "give 'day' for a fixed date, else 'weekday' and 'nth'");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		     CALENDAR("{\"name\":\"X\",\"month\":2,\"day\":30}", "") "\"directives\":[]}", "month 2 has no day 30");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		     CALENDAR("{\"name\":\"X\",\"month\":13,\"day\":1}", "") "\"directives\":[]}", "/calendars/0/holidays/1/month");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		     CALENDAR("{\"name\":\"X\",\"month\":6,\"weekday\":\"someday\",\"nth\":\"first\"}", "") "\"directives\":[]}",
		     "/calendars/0/holidays/1/weekday");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		     CALENDAR("{\"name\":\"X\",\"month\":6,\"day\":19,\"from\":2021,\"until\":2020}", "") "\"directives\":[]}",
		     "'until' 2020 is before 'from' 2021");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		     CALENDAR("{\"name\":\"X\",\"month\":6,\"day\":19}", ",\"closures\":[{\"date\":\"2025-02-30x\",\"name\":\"n\",\"source\":\"https://e\"}]")
		     "\"directives\":[]}", "/calendars/0/closures/0/date");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		     "\"calendars\":[{\"id\":\"us\",\"name\":\"US\",\"observed\":\"whenever\",\"source\":\"s\",\"holidays\":[]}],"
		     "\"directives\":[]}", "/calendars/0/observed");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		     "\"calendars\":[{\"id\":\"us\",\"name\":\"US\",\"observed\":\"as_listed\",\"source\":\"s\",\"holidays\":[]},"
		     "{\"id\":\"us\",\"name\":\"US\",\"observed\":\"as_listed\",\"source\":\"s\",\"holidays\":[]}],"
		     "\"directives\":[]}", "duplicate id 'us'");

	/* lint: business days counted without a calendar; a closure without a URL */
	const char *weak = HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ","
		"\"calendars\":[{\"id\":\"us\",\"name\":\"US\",\"observed\":\"as_listed\",\"source\":\"https://e\",\"holidays\":[],"
		"\"closures\":[{\"date\":\"2025-12-26\",\"name\":\"EO\",\"source\":\"an EO\"}]}],"
		"\"directives\":[" CAL_DIRECTIVE("") "]}";
	assert_int_equal(parse(weak, &c, &err), 0);
	assert_false(excise_catalog_find_calendar(c, "us")->in_lieu);
	assert_null(excise_catalog_directive(c, 0)->calendar);
	assert_int_equal(excise_catalog_lint(c, &v), 2);
	assert_non_null(strstr(v[0], "directive 'far': milestone 'R1' counts business days and the directive names no calendar"));
	assert_non_null(strstr(v[1], "calendar 'us': closure 2025-12-26: source 'an EO' is not a URL"));
	excise_strv_free(v);
	excise_catalog_free(c);
}

/* A catalog with no products, or no indicators, is refused: it could find nothing. */
static void test_empty_catalog(void **state)
{
	(void)state;
	expect_error(HEAD VENDOR "\"products\":[],\"indicators\":" ONE_INDICATOR ",\"directives\":[]}",
		     "/products: expected an array of at least 1 objects");
	expect_error(HEAD VENDOR PRODUCTS "\"indicators\":[],\"directives\":[]}",
		     "/indicators: expected an array of at least 1 objects");
}

static int lint_text(const char *text, char ***problems, struct excise_err *err)
{
	char path[] = "/tmp/excise-test-lint.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct excise_catalog *c = NULL;
	int r = excise_catalog_lint_file(path, &c, problems, err);
	unlink(path);
	if (r == 0)
		excise_catalog_free(c);
	else
		assert_null(c);
	return r;
}

/* catalog lint reads on after a problem: every one is listed, in document order. */
static void test_lint_every_problem(void **state)
{
	(void)state;
	const char *s = HEAD "\"surprise\":1," VENDOR
		"\"products\":[{\"id\":\"p\",\"vendor\":\"v\",\"name\":\"P\",\"family\":\"endpoint\",\"platforms\":[\"linux\"],\"source\":\"https://e/p\"},"
		"{\"id\":\"q\",\"vendor\":\"nobody\",\"name\":\"Q\",\"family\":\"endpoint\",\"platforms\":[\"linux\"],\"source\":\"https://e/q\"}],"
		"\"indicators\":["
		"{\"id\":\"a\",\"product\":\"p\",\"kind\":\"files\",\"field\":\"name\",\"value\":\"x\",\"confidence\":\"weak\",\"source\":\"https://e\"},"
		"{\"id\":\"b\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"value\":\"x\",\"confidence\":\"weak\",\"source\":\"https://e\"},"
		"{\"id\":\"c\",\"product\":\"p\",\"kind\":\"file\",\"field\":\"name\",\"valeu\":\"x\",\"confidence\":\"sure\",\"source\":\"https://e\"},"
		"{\"id\":\"d\",\"product\":\"v:unidentified\",\"kind\":\"file\",\"field\":\"name\",\"value\":\"y\",\"confidence\":\"weak\",\"source\":\"https://e\"}"
		"],\"directives\":{}}";
	char **v = NULL;
	struct excise_err err = { 0 };
	assert_int_equal(lint_text(s, &v, &err), -EXCISE_E_CATALOG);
	assert_non_null(v);
	static const char *const want[] = {
		": unknown member 'surprise'",
		"/products/1 (id 'q'): vendor 'nobody' is not in the catalog",
		"/indicators/0/kind (id 'a'): expected one of",
		"/indicators/2 (id 'c'): unknown member 'valeu'",
		"/indicators/2/value (id 'c'): missing",
		"/directives: expected an array",
	};
	size_t n = 0;
	while (v[n])
		n++;
	assert_int_equal(n, ARRAY_SIZE(want));
	for (size_t i = 0; i < n; i++)
		if (!strstr(v[i], want[i]))
			fail_msg("problem %zu '%s' lacks '%s'", i, v[i], want[i]);
	assert_string_equal(err.msg, v[n - 1]);
	excise_strv_free(v);

	/* a clean catalog: no problems; bytes that are not JSON: the one error, no list */
	v = NULL;
	assert_int_equal(lint_text(HEAD VENDOR PRODUCTS "\"indicators\":" ONE_INDICATOR ",\"directives\":[]}", &v, &err), 0);
	assert_null(v);
	assert_int_equal(lint_text("{\"schema\":", &v, &err), -EXCISE_E_CATALOG);
	assert_null(v);
}

/* A product's removal recipes: read into excise_product_removal, refused when malformed, linted. */
#define RM_PRODUCT(platforms, removal)                                                                     \
	"\"products\":[{\"id\":\"p\",\"vendor\":\"v\",\"name\":\"P\",\"family\":\"endpoint\",\"platforms\":[" \
	platforms "],\"source\":\"https://e/p\",\"removal\":" removal "}],\"indicators\":" ONE_INDICATOR ",\"directives\":[]}"
/* A whole catalog whose product has `removal`; one with a linux recipe of `members`; one whose
 * recipe for `platform` has only the uninstall entries `entries`. */
#define RM(platforms, removal) HEAD VENDOR RM_PRODUCT(platforms, removal)
#define RM_LINUX(members) RM("\"linux\"", "{\"linux\":{" members "}}")
#define RM_UNINSTALL(platforms, platform, entries) \
	RM(platforms, "{\"" platform "\":{\"uninstall\":[" entries "],\"source\":\"https://e\"}}")

static void test_removal(void **state)
{
	(void)state;
	const char *s = HEAD VENDOR RM_PRODUCT("\"linux\",\"windows\"",
		"{\"windows\":{\"uninstall\":[{\"kind\":\"msi\",\"properties\":[{\"name\":\"UNLOCK_PW\",\"value\":\"password-utf16le-hex\"}]},"
		"{\"kind\":\"vendor-remover\",\"name\":\"vclean\",\"file\":\"vclean.exe\",\"args\":[\"/q\"],\"fallback\":true,\"source\":\"https://e/t\"}],"
		"\"services\":[\"VSvc\"],\"drivers\":[\"vflt\"],\"leftovers\":[\"/ProgramData/V\"],\"reboot\":true,\"source\":\"https://e/w\"},"
		"\"linux\":{\"uninstall\":[{\"kind\":\"dpkg\",\"packages\":[\"vpkg\"]}],\"source\":\"https://e/l\"}}");
	struct excise_catalog *c;
	struct excise_err err = { 0 };
	if (parse(s, &c, &err) < 0)
		fail_msg("%s", err.msg);
	const struct excise_product *p = excise_catalog_find_product(c, "p");
	assert_null(excise_product_removal(p, "macos"));
	const struct excise_removal *w = excise_product_removal(p, "windows");
	assert_non_null(w);
	assert_string_equal(w->platform, "windows");
	assert_int_equal(w->n_uninstall, 2);
	assert_int_equal(w->uninstall[0].kind, EXCISE_UNINSTALL_MSI);
	assert_int_equal(w->uninstall[0].n_properties, 1);
	assert_string_equal(w->uninstall[0].properties[0].name, "UNLOCK_PW");
	assert_int_equal(w->uninstall[0].properties[0].value, EXCISE_MSI_PASSWORD_UTF16_HEX);
	assert_string_equal(excise_msi_value_name(w->uninstall[0].properties[0].value), "password-utf16le-hex");
	const struct excise_uninstall *t = &w->uninstall[1];
	assert_string_equal(excise_uninstall_kind_name(t->kind), "vendor-remover");
	assert_string_equal(t->name, "vclean");
	assert_string_equal(t->file, "vclean.exe");
	assert_string_equal(t->args[0], "/q");
	assert_null(t->args[1]);
	assert_true(t->fallback);
	assert_string_equal(w->services[0], "VSvc");
	assert_string_equal(w->drivers[0], "vflt");
	assert_string_equal(w->leftovers[0], "/ProgramData/V");
	assert_true(w->reboot);
	const struct excise_removal *l = excise_product_removal(p, "linux");
	assert_string_equal(l->uninstall[0].packages[0], "vpkg");
	assert_false(l->reboot);
	char **v = NULL;
	assert_int_equal(excise_catalog_lint(c, &v), 0);
	excise_strv_free(v);
	excise_catalog_free(c);

	/* the stock catalog carries the facts that were C code */
	assert_int_equal(excise_catalog_load_embedded(&c, &err), 0);
	w = excise_product_removal(excise_catalog_find_product(c, "klnagent"), "windows");
	assert_non_null(w);
	assert_string_equal(w->uninstall[0].properties[0].name, "KLUNINSTPASSWD");
	assert_int_equal(w->uninstall[0].properties[0].value, EXCISE_MSI_PASSWORD_UTF16_HEX);
	w = excise_product_removal(excise_catalog_find_product(c, "kes-windows"), "windows");
	assert_string_equal(w->uninstall[1].file, "kavremvr.exe");
	excise_catalog_free(c);

	/* every refusal, with the JSON pointer of its place */
	static const struct {
		const char *doc, *msg;
	} bad[] = {
		{ RM("\"linux\"", "[]"), "/products/0/removal (id 'p'): expected an object" },
		{ RM("\"linux\"", "{\"android\":{\"source\":\"https://e\"}}"),
		  "/products/0/removal (id 'p'): unknown member 'android'" },
		{ RM("\"linux\"", "{\"windows\":{\"source\":\"https://e\"}}"),
		  "/products/0/removal/windows (id 'p'): platform 'windows' is not among the product's platforms" },
		{ RM("\"linux\"", "{\"linux\":\"dpkg\"}"), "/products/0/removal/linux (id 'p'): expected an object" },
		{ RM("\"linux\"", "{\"linux\":{}}"), "/products/0/removal/linux/source (id 'p'): missing" },
		{ RM_LINUX("\"source\":\"\""), "/removal/linux/source (id 'p'): expected a non-empty string" },
		{ RM_LINUX("\"source\":\"https://e\",\"reboots\":true"), "/removal/linux (id 'p'): unknown member 'reboots'" },
		{ RM_LINUX("\"source\":\"https://e\",\"reboot\":\"yes\""), "/removal/linux/reboot (id 'p'): expected true or false" },
		{ RM_LINUX("\"source\":\"https://e\",\"services\":\"vsvc\""),
		  "/removal/linux/services (id 'p'): expected an array of at most 64 non-empty strings" },
		{ RM_LINUX("\"source\":\"https://e\",\"drivers\":[\"\"]"), "/removal/linux/drivers/0 (id 'p'): expected a non-empty string" },
		{ RM_LINUX("\"source\":\"https://e\",\"leftovers\":[\"/var/opt/../x\"]"),
		  "/removal/linux/leftovers/0 (id 'p'): expected an absolute path in normal form (root-relative, '/' as "
		  "separator), not '/var/opt/../x'" },
		{ RM_LINUX("\"source\":\"https://e\",\"leftovers\":[\"/opt/v\",\"var/v\"]"),
		  "/removal/linux/leftovers/1 (id 'p'): expected an absolute path in normal form" },
		{ RM_LINUX("\"source\":\"https://e\",\"uninstall\":{}"),
		  "/removal/linux/uninstall (id 'p'): expected an array of at most 64 objects" },
		{ RM_UNINSTALL("\"linux\"", "linux", "\"dpkg\""), "/removal/linux/uninstall/0 (id 'p'): expected an object, not a string" },
		{ RM_UNINSTALL("\"linux\"", "linux", "{}"), "/removal/linux/uninstall/0/kind (id 'p'): missing" },
		{ RM_UNINSTALL("\"linux\"", "linux", "{\"kind\":\"apt\"}"),
		  "/products/0/removal/linux/uninstall/0/kind (id 'p'): expected one of "
		  "dpkg|rpm|msi|bundled|vendor-remover|uninstall-string" },
		{ RM_UNINSTALL("\"linux\"", "linux", "{\"kind\":\"dpkg\",\"file\":\"x\"}"),
		  "/removal/linux/uninstall/0 (id 'p'): unknown member 'file'" },
		{ RM_UNINSTALL("\"linux\"", "linux", "{\"kind\":\"rpm\",\"packages\":[7]}"),
		  "/removal/linux/uninstall/0/packages/0 (id 'p'): expected a non-empty string" },
		{ RM_UNINSTALL("\"linux\"", "linux", "{\"kind\":\"dpkg\",\"source\":\"\"}"),
		  "/removal/linux/uninstall/0/source (id 'p'): expected a non-empty string" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"uninstall-string\",\"fallback\":true}"),
		  "/removal/windows/uninstall/0/fallback (id 'p'): the first uninstall cannot be a fallback" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"msi\"},{\"kind\":\"uninstall-string\",\"fallback\":1}"),
		  "/removal/windows/uninstall/1/fallback (id 'p'): expected true or false" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"msi\",\"properties\":{}}"),
		  "/removal/windows/uninstall/0/properties (id 'p'): expected an array of at most 16 objects" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"msi\",\"properties\":[\"PW\"]}"),
		  "/removal/windows/uninstall/0/properties/0 (id 'p'): expected an object, not a string" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"msi\",\"properties\":[{\"value\":\"user\"}]}"),
		  "/removal/windows/uninstall/0/properties/0/name (id 'p'): missing" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"msi\",\"properties\":[{\"name\":\"P-W\",\"value\":\"user\"}]}"),
		  "/removal/windows/uninstall/0/properties/0/name (id 'p'): expected an MSI property name ([A-Za-z0-9_]+)" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"msi\",\"properties\":[{\"name\":\"P\"}]}"),
		  "/removal/windows/uninstall/0/properties/0/value (id 'p'): missing" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"msi\",\"properties\":[{\"name\":\"P\",\"value\":\"secret\"}]}"),
		  "/removal/windows/uninstall/0/properties/0/value (id 'p'): expected one of user|password|password-utf16le-hex" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"msi\",\"properties\":[{\"name\":\"P\",\"value\":\"user\",\"default\":\"x\"}]}"),
		  "/removal/windows/uninstall/0/properties/0 (id 'p'): unknown member 'default'" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"vendor-remover\",\"file\":\"t.exe\"}"),
		  "/removal/windows/uninstall/0/name (id 'p'): missing" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"vendor-remover\",\"name\":\"t\"}"),
		  "/removal/windows/uninstall/0/file (id 'p'): missing" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"vendor-remover\",\"name\":\"t\",\"file\":\"C:\\\\t.exe\"}"),
		  "/removal/windows/uninstall/0/file (id 'p'): expected a file name, not a path" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"vendor-remover\",\"name\":\"t\",\"file\":\"t.exe\",\"args\":\"/q\"}"),
		  "/removal/windows/uninstall/0/args (id 'p'): expected an array of at most 64 non-empty strings" },
		{ RM_UNINSTALL("\"windows\"", "windows", "{\"kind\":\"uninstall-string\",\"packages\":[\"x\"]}"),
		  "/removal/windows/uninstall/0 (id 'p'): unknown member 'packages'" },
		{ RM_UNINSTALL("\"macos\"", "macos", "{\"kind\":\"bundled\"}"), "/removal/macos/uninstall/0/paths (id 'p'): missing" },
		{ RM_UNINSTALL("\"macos\"", "macos", "{\"kind\":\"bundled\",\"paths\":[]}"),
		  "/removal/macos/uninstall/0/paths (id 'p'): expected an array of 1 to 64 non-empty strings" },
		{ RM_UNINSTALL("\"macos\"", "macos", "{\"kind\":\"bundled\",\"paths\":[\"/Applications/V.app/\"]}"),
		  "/removal/macos/uninstall/0/paths/0 (id 'p'): expected an absolute path in normal form" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_error(bad[i].doc, bad[i].msg);

	/* the limits: EXCISE_MAX_REMOVAL_ITEMS entries a list, EXCISE_MAX_PLAN_ARGS properties an MSI */
	static const struct {
		const char *platform, *head, *item, *tail, *msg;
		unsigned max;
	} lists[] = {
		{ "linux", "{\"source\":\"https://e\",\"leftovers\":[", "\"/opt/v\"", "]}",
		  "/removal/linux/leftovers (id 'p'): expected an array of at most 64 non-empty strings", EXCISE_MAX_REMOVAL_ITEMS },
		{ "linux", "{\"source\":\"https://e\",\"uninstall\":[", "{\"kind\":\"dpkg\"}", "]}",
		  "/removal/linux/uninstall (id 'p'): expected an array of at most 64 objects", EXCISE_MAX_REMOVAL_ITEMS },
		{ "windows", "{\"source\":\"https://e\",\"uninstall\":[{\"kind\":\"msi\",\"properties\":[",
		  "{\"name\":\"P\",\"value\":\"user\"}", "]}]}",
		  "/removal/windows/uninstall/0/properties (id 'p'): expected an array of at most 16 objects", EXCISE_MAX_PLAN_ARGS },
	};
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		for (unsigned n = lists[i].max; n <= lists[i].max + 1; n++) {
			struct buf b;
			buf_init(&b, 0);
			buf_addf(&b, "%s%s\"%s\"],\"source\":\"https://e/p\",\"removal\":{\"%s\":%s", HEAD VENDOR,
				 "\"products\":[{\"id\":\"p\",\"vendor\":\"v\",\"name\":\"P\",\"family\":\"endpoint\",\"platforms\":[",
				 lists[i].platform, lists[i].platform, lists[i].head);
			for (unsigned k = 0; k < n; k++)
				buf_addf(&b, "%s%s", k ? "," : "", lists[i].item);
			buf_addf(&b, "%s}}],\"indicators\":" ONE_INDICATOR ",\"directives\":[]}", lists[i].tail);
			assert_false(b.err);
			if (n > lists[i].max) {
				expect_error(b.p, lists[i].msg);
			} else {
				assert_int_equal(parse(b.p, &c, &err), 0);
				excise_catalog_free(c);
			}
			buf_done(&b);
		}

	/* lint: a source that is no URL, an uninstall of another platform, a recipe that says nothing */
	s = HEAD VENDOR RM_PRODUCT("\"linux\",\"macos\"",
		"{\"linux\":{\"uninstall\":[{\"kind\":\"msi\"}],\"source\":\"somewhere\"},\"macos\":{\"source\":\"https://e\"}}");
	assert_int_equal(parse(s, &c, &err), 0);
	assert_int_equal(excise_catalog_lint(c, &v), 3);
	assert_non_null(strstr(v[0], "removal.linux: source 'somewhere' is not a URL"));
	assert_non_null(strstr(v[1], "removal.linux.uninstall[0]: msi is Windows only"));
	assert_non_null(strstr(v[2], "removal.macos says nothing"));
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
		cmocka_unit_test(test_calendars),
		cmocka_unit_test(test_empty_catalog),
		cmocka_unit_test(test_lint_every_problem),
		cmocka_unit_test(test_removal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
