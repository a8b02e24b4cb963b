/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector's reading of a submitted document (ingest_parse over lib/fleet/fjson.c)
 * against the jansson reading it replaced (fuzz/ingest-ref.c: json_loadb with
 * JSON_REJECT_DUPLICATES, which every other reader of a stored document uses): over
 * the documents of tests/fuzz/ingest/ (reports, plans, removal summaries and
 * attestations excise made of the fixture roots, and the corpus's hostile ones) and
 * hand-written edge cases of every class fjson_check refuses (bad UTF-8, control
 * characters, escapes, \u0000, surrogates, number grammar and range, literals,
 * commas, what follows the document, nesting), duplicate members at several depths,
 * big numbers, escapes, non-ASCII names and Cyrillic publishers. Each is taken by
 * both or refused by both with the same code, and a taken one reads the same fields.
 * The one difference on purpose: nesting deeper than EXCISE_MAX_SUBMIT_DEPTH.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "excise/catalog.h"
#include "fleet/ingest.h"
#include "ingest-ref.h"

static struct excise_catalog *cat;

struct outcome {
	int r, ro;
	struct excise_err err, oerr;
	struct ingest_doc d, o;
};

/* Both readings of `doc`; the documents stay in `out` until outcome_done. */
static void run(const char *doc, size_t len, struct outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->r = ingest_parse(cat, doc, len, &out->d, &out->err);
	out->ro = ingest_ref_parse(cat, doc, len, &out->o, &out->oerr);
}

static void outcome_done(struct outcome *out)
{
	ingest_doc_done(&out->d);
	ingest_doc_done(&out->o);
}

/* Taken by both or refused by both (same code); taken: the same fields. Returns the code. */
static int same(const char *name, const char *doc, size_t len, struct outcome *out)
{
	/* the JSON layer alone first: a leniency must not hide behind a later refusal */
	int jr, fr;
	char jmsg[256], fmsg[256];
	ingest_ref_json(doc, len, &jr, jmsg, &fr, fmsg);
	bool deep = !jr && strstr(fmsg, "EXCISE_MAX_SUBMIT_DEPTH");   /* the difference on purpose */
	if (jr != fr && !deep)
		fail_msg("%s: JSON: fjson %d (%s), jansson %d (%s)", name, fr, fmsg, jr, jmsg);
	run(doc, len, out);
	if (deep) {
		if (out->r != -EXCISE_E_CORRUPT || !strstr(out->err.msg, "EXCISE_MAX_SUBMIT_DEPTH"))
			fail_msg("%s: deeper than EXCISE_MAX_SUBMIT_DEPTH yet %d (%s)", name, out->r, out->err.msg);
		return out->r;
	}
	if (out->r != out->ro)
		fail_msg("%s: ingest_parse %d (%s), jansson %d (%s)", name, out->r, out->r < 0 ? out->err.msg : "",
			 out->ro, out->ro < 0 ? out->oerr.msg : "");
	char why[512];
	if (out->r >= 0 && !ingest_ref_compare(&out->d, &out->o, why, sizeof(why)))
		fail_msg("%s: %s", name, why);
	return out->r;
}

static void accepted(const char *name, const char *doc, size_t len)
{
	struct outcome o;
	if (same(name, doc, len, &o) < 0)
		fail_msg("%s: refused by both: %s", name, o.err.msg);
	outcome_done(&o);
}

/* Refused by both as malformed; ingest_parse's message has `place` (a byte offset or a
 * pointer) and `what`. */
static void refused(const char *name, const char *doc, size_t len, const char *place, const char *what)
{
	struct outcome o;
	if (same(name, doc, len, &o) != -EXCISE_E_CORRUPT)
		fail_msg("%s: taken by both, or refused as %d", name, o.r);
	if (!strstr(o.err.msg, place) || !strstr(o.err.msg, what))
		fail_msg("%s: message \"%s\" lacks \"%s\" or \"%s\"", name, o.err.msg, place, what);
	outcome_done(&o);
}

/* ---- documents ---- */

/* A report whose host.os is '@' (never read by ingest: the strict pass alone decides) */
static const char report_tpl[] =
	"{\"schema\":\"excise.report/2\",\"report_id\":\"r-1\",\"host\":{\"machine_id\":\"m1\",\"os\":@},"
	"\"finished\":\"2026-11-22T09:14:03.512Z\",\"summary\":{\"verdict\":\"found\",\"sources_failed\":[]},"
	"\"sources\":[{\"name\":\"dpkg\",\"status\":\"ok\"}],"
	"\"findings\":[{\"product\":{\"id\":\"kesl\",\"name\":\"Kaspersky Endpoint Security\"},"
	"\"vendor\":{\"id\":\"kaspersky\"},\"version\":\"12\",\"state\":\"installed\",\"confidence\":\"definitive\","
	"\"directives\":[{\"id\":\"dhs-bod-17-01\"}],\"evidence\":[{\"source\":\"dpkg\"},{\"source\":\"files\"}]}]}";

/* A plan whose created_ns is '@' */
static const char plan_tpl[] = "{\"schema\":\"excise.plan/1\",\"report_id\":\"r-1\",\"host\":{\"machine_id\":\"m1\"},"
			       "\"created\":\"2026-11-22T09:14:03Z\",\"created_ns\":@,"
			       "\"steps\":[{\"product\":\"kesl\"},{\"product\":\"nope\"}]}";

/* `tpl` with its '@' replaced by `frag` (`n` bytes, may hold NULs): a new buffer, *len its size. */
static char *fill(const char *tpl, const char *frag, size_t n, size_t *len)
{
	const char *at = strchr(tpl, '@');
	size_t pre = (size_t)(at - tpl), post = strlen(at + 1);
	char *s = malloc(pre + n + post + 1);
	assert_non_null(s);
	memcpy(s, tpl, pre);
	memcpy(s + pre, frag, n);
	memcpy(s + pre + n, at + 1, post + 1);
	*len = pre + n + post;
	return s;
}

#define FRAG(s) s, sizeof(s) - 1

struct frag {
	const char *name, *frag;
	size_t n;
	const char *what;   /* NULL: taken */
};

static void check_frags(const char *tpl, const struct frag *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *doc = fill(tpl, f[i].frag, f[i].n, &len);
		if (f[i].what)
			refused(f[i].name, doc, len, "byte ", f[i].what);
		else
			accepted(f[i].name, doc, len);
		free(doc);
	}
}

static void test_utf8_controls_escapes(void **state)
{
	(void)state;
	static const struct frag f[] = {
		{ "ascii", FRAG("\"Debian\""), NULL },
		{ "DEL is not a control character", FRAG("\"a\x7f\""), NULL },
		{ "Cyrillic", FRAG("\"\xd0\x9b\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x80\xd0\xb0\xd1\x82\xd0\xbe\xd1\x80\xd0\xb8\xd1\x8f\""), NULL },
		{ "U+FFFF, U+10FFFF", FRAG("\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\""), NULL },
		{ "two-byte overlong", FRAG("\"\xc0\xaf\""), "not UTF-8" },
		{ "C1 overlong", FRAG("\"\xc1\xbf\""), "not UTF-8" },
		{ "three-byte overlong", FRAG("\"\xe0\x80\xaf\""), "not UTF-8" },
		{ "four-byte overlong", FRAG("\"\xf0\x8f\xbf\xbf\""), "not UTF-8" },
		{ "encoded surrogate", FRAG("\"\xed\xa0\x80\""), "not UTF-8" },
		{ "past U+10FFFF", FRAG("\"\xf4\x90\x80\x80\""), "not UTF-8" },
		{ "F5 lead", FRAG("\"\xf5\x80\x80\x80\""), "not UTF-8" },
		{ "lone continuation", FRAG("\"a\x80z\""), "not UTF-8" },
		{ "cut sequence", FRAG("\"\xe2\x82\""), "not UTF-8" },
		{ "latin-1", FRAG("\"caf\xe9\""), "not UTF-8" },
		{ "raw tab", FRAG("\"a\tb\""), "control character 0x09" },
		{ "raw newline", FRAG("\"a\nb\""), "control character 0x0a" },
		{ "raw 0x01", FRAG("\"a\x01\""), "control character 0x01" },
		{ "raw 0x1f", FRAG("\"\x1f\""), "control character 0x1f" },
		{ "all short escapes", FRAG("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), NULL },
		{ "\\u escapes", FRAG("\"\\u0041\\u00e9\\u041a\\uFFFF\\ud83d\\ude00\\uDBFF\\uDFFF\""), NULL },
		{ "\\x", FRAG("\"\\x41\""), "an escape other than" },
		{ "\\'", FRAG("\"\\'\""), "an escape other than" },
		{ "\\U", FRAG("\"\\U0041\""), "an escape other than" },
		{ "\\u with a G", FRAG("\"\\u12G4\""), "four hex digits" },
		{ "\\u with three digits", FRAG("\"\\u123\""), "four hex digits" },
		{ "\\u0000", FRAG("\"a\\u0000b\""), "\\u0000" },
		{ "lone high surrogate", FRAG("\"\\uD800\""), "high surrogate" },
		{ "high surrogate then text", FRAG("\"\\uD800abcdef\""), "high surrogate" },
		{ "high surrogate then \\u0041", FRAG("\"\\uD800\\u0041\""), "high surrogate" },
		{ "two high surrogates", FRAG("\"\\uD800\\uD800\""), "high surrogate" },
		{ "lone low surrogate", FRAG("\"\\uDC00\""), "low surrogate" },
		{ "low then high", FRAG("\"\\uDC00\\uD800\""), "low surrogate" },
	};
	check_frags(report_tpl, f, sizeof(f) / sizeof(f[0]));
}

static void test_numbers_literals_structure(void **state)
{
	(void)state;
	static const struct frag f[] = {
		{ "0", FRAG("0"), NULL },
		{ "-0", FRAG("-0"), NULL },
		{ "int64 max", FRAG("9223372036854775807"), NULL },
		{ "int64 min", FRAG("-9223372036854775808"), NULL },
		{ "reals", FRAG("[0.5,-1.25e-3,1E+2,1e-400,2.4727e-5,1.7976931348623157e308,0e999999999]"), NULL },
		{ "a real of 400 digits before the point",
		  FRAG("1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		       "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		       "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		       "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.5"),
		  "too large for a double" },
		{ "a real of 80 digits", FRAG("0.00000000000000000000000000000000000000000000000000000000000000000000000000001"), NULL },
		{ "int64 max + 1", FRAG("9223372036854775808"), "64-bit range" },
		{ "int64 min - 1", FRAG("-9223372036854775809"), "64-bit range" },
		{ "20 digits", FRAG("12345678901234567890"), "64-bit range" },
		{ "1e400", FRAG("1e400"), "too large for a double" },
		{ "-1e400", FRAG("-1e400"), "too large for a double" },
		{ "just past DBL_MAX", FRAG("1.7976931348623159e308"), "too large for a double" },
		{ "a huge exponent", FRAG("1e99999999999999999999"), "too large for a double" },
		{ "leading zero", FRAG("01"), "leading zero" },
		{ "-01", FRAG("-01"), "leading zero" },
		{ "1.", FRAG("1."), "after the decimal point" },
		{ "1.e5", FRAG("1.e5"), "after the decimal point" },
		{ ".5", FRAG(".5"), "expected a value" },
		{ "+1", FRAG("+1"), "expected a value" },
		{ "1e", FRAG("1e"), "exponent" },
		{ "1e+", FRAG("1e+"), "exponent" },
		{ "-", FRAG("-"), "expected a digit" },
		{ "--1", FRAG("--1"), "expected a digit" },
		{ "0x10", FRAG("0x10"), "expected ',' or '}'" },
		{ "NaN", FRAG("NaN"), "expected a value" },
		{ "Infinity", FRAG("-Infinity"), "expected a digit" },
		{ "literals", FRAG("[true,false,null]"), NULL },
		{ "tru", FRAG("tru"), "expected a value" },
		{ "True", FRAG("True"), "expected a value" },
		{ "nulll", FRAG("nulll"), "expected ',' or '}'" },
		{ "falsey", FRAG("falsey"), "expected ',' or '}'" },
		{ "trailing comma in an array", FRAG("[1,]"), "a comma before ']'" },
		{ "trailing comma in an object", FRAG("{\"a\":1,}"), "a comma before '}'" },
		{ "leading comma", FRAG("[,1]"), "expected a value" },
		{ "two commas", FRAG("[1,,2]"), "expected a value" },
		{ "no comma", FRAG("[1 2]"), "expected ',' or ']'" },
		{ "no colon", FRAG("{\"a\" 1}"), "expected ':'" },
		{ "number as a name", FRAG("{1:2}"), "member name" },
		{ "no value", FRAG("{\"a\":}"), "expected a value" },
		{ "unclosed", FRAG("[1"), "expected ',' or ']'" },
		{ "mismatched", FRAG("[1}"), "expected ',' or ']'" },
		{ "form feed as whitespace", FRAG("\f1"), "expected a value" },
		{ "vertical tab as whitespace", FRAG("\v1"), "expected a value" },
		{ "JSON whitespace", FRAG(" \t\r\n[ 1 , { } , [ ] ]\n"), NULL },
		{ "a single quote string", FRAG("'a'"), "expected a value" },
	};
	check_frags(report_tpl, f, sizeof(f) / sizeof(f[0]));
}

/* What comes before and after the document itself. */
static void test_around(void **state)
{
	(void)state;
	size_t len = strlen(report_tpl);
	char *doc = fill(report_tpl, "1", 1, &len);
	char buf[4096];
	snprintf(buf, sizeof(buf), " \n\t\r%s\r\n\t ", doc);
	accepted("whitespace around", buf, strlen(buf));
	snprintf(buf, sizeof(buf), "\xef\xbb\xbf%s", doc);
	refused("a UTF-8 BOM", buf, strlen(buf), "byte 0", "'{' or '['");
	snprintf(buf, sizeof(buf), "%sx", doc);
	refused("a byte after", buf, strlen(buf), "byte ", "after the end");
	snprintf(buf, sizeof(buf), "%s{}", doc);
	refused("a second document", buf, strlen(buf), "byte ", "after the end");
	snprintf(buf, sizeof(buf), "%s]", doc);
	refused("a stray bracket", buf, strlen(buf), "byte ", "after the end");
	memcpy(buf, doc, len);
	buf[len] = '\0';
	buf[len + 1] = ' ';
	refused("a NUL after", buf, len + 2, "/", "NUL");
	refused("cut short", doc, len - 1, "byte ", "expected ',' or '}'");
	free(doc);
	refused("empty", "", 0, "byte 0", "'{' or '['");
	refused("blank", "  \n", 3, "byte 3", "'{' or '['");
	refused("a string at the top", "\"x\"", 3, "byte 0", "'{' or '['");
	refused("a number at the top", "1", 1, "byte 0", "'{' or '['");
	refused("an array at the top", "[]", 2, "/", "expected a JSON object");
	refused("an empty object", "{}", 2, "/schema", "required member missing");
	refused("schema a number", "{\"schema\":1}", 12, "/schema", "expected a string of at most");
	refused("schema null", "{\"schema\":null}", 15, "/schema", "expected a string of at most");
	/* a string member one byte over EXCISE_MAX_SUBMIT_FIELD, and one at it */
	static const char head[] = "{\"schema\":\"excise.report/2\",\"report_id\":\"r-1\",\"host\":{\"machine_id\":\"";
	size_t hl = strlen(head), n = EXCISE_MAX_SUBMIT_FIELD + 1;
	char *big = malloc(hl + n + 8);
	assert_non_null(big);
	memcpy(big, head, hl);
	memset(big + hl, 'm', n);
	memcpy(big + hl + n, "\"}}", 4);
	refused("machine_id over EXCISE_MAX_SUBMIT_FIELD", big, hl + n + 3, "/host/machine_id",
		"expected a string of at most");
	memcpy(big + hl + n - 1, "\"}}", 4);
	struct outcome o;
	if (same("machine_id at EXCISE_MAX_SUBMIT_FIELD", big, hl + n + 2, &o) < 0 &&
	    strstr(o.err.msg, "/host/machine_id"))
		fail_msg("machine_id at EXCISE_MAX_SUBMIT_FIELD refused: %s", o.err.msg);
	outcome_done(&o);
	free(big);
}

static void test_duplicates(void **state)
{
	(void)state;
	static const struct {
		const char *name, *frag, *place;
	} f[] = {
		{ "in host.os", "{\"a\":1,\"b\":2,\"a\":3}", "/host/os" },
		{ "deep in arrays", "[{\"x\":[{},{\"k\":1,\"k\":1}]}]", "/host/os/0/x/1" },
		{ "an escaped twin", "{\"machine_id\":1,\"machine\\u005fid\":2}", "/host/os" },
		{ "Cyrillic names", "{\"\xd0\x9a\":1,\"\\u041a\":2}", "/host/os" },
		{ "names with ~ and /", "{\"a/b~c\":{\"q\":1,\"q\":2}}", "/host/os/a~1b~0c" },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t len;
		char *doc = fill(report_tpl, f[i].frag, strlen(f[i].frag), &len);
		refused(f[i].name, doc, len, f[i].place, "twice");
		free(doc);
	}
	/* names that differ only in case, or are prefixes, are not twins */
	size_t len;
	char *doc = fill(report_tpl, FRAG("{\"a\":1,\"A\":2,\"ab\":3,\"a \":4,\"\\u00e9\":5,\"e\\u0301\":6}"), &len);
	accepted("near twins", doc, len);
	free(doc);
	/* the members ingest reads */
	static const char top[] = "{\"schema\":\"excise.report/2\",\"schema\":\"excise.plan/1\"}";
	refused("schema twice", top, strlen(top), "/", "\"schema\" twice");
	static const char mid[] = "{\"schema\":\"excise.report/2\",\"host\":{\"machine_id\":\"a\",\"machine_id\":\"b\"}}";
	refused("machine_id twice", mid, strlen(mid), "/host", "\"machine_id\" twice");
	static const char fin[] =
		"{\"schema\":\"excise.report/2\",\"report_id\":\"r\",\"host\":{},\"finished\":\"2026-11-22T09:14:03Z\","
		"\"summary\":{\"verdict\":\"found\"},\"sources\":[],\"findings\":[{\"product\":{\"id\":\"kesl\","
		"\"id\":\"x\"}}]}";
	refused("a finding's product id twice", fin, strlen(fin), "/findings/0/product", "\"id\" twice");

	/* a large object: sorted, not compared pairwise; with a twin at its end */
	size_t n = 100000, cap = n * 16 + 64, o = 0;
	char *big = malloc(cap);
	assert_non_null(big);
	o += (size_t)snprintf(big + o, cap - o, "{");
	for (size_t k = 0; k < n; k++)
		o += (size_t)snprintf(big + o, cap - o, "%s\"k%zu\":%zu", k ? "," : "", k, k);
	o += (size_t)snprintf(big + o, cap - o, "}");
	doc = fill(report_tpl, big, o, &len);
	accepted("100,000 members", doc, len);
	free(doc);
	o--;
	o += (size_t)snprintf(big + o, cap - o, ",\"k77777\":0}");
	doc = fill(report_tpl, big, o, &len);
	refused("100,000 members and a twin", doc, len, "/host/os", "\"k77777\" twice");
	free(doc);
	free(big);
}

/* `n` arrays nested as host.os (the document's object and host make two more levels). */
static char *nested(size_t n, size_t *len)
{
	char *frag = malloc(2 * n + 2);
	assert_non_null(frag);
	memset(frag, '[', n);
	frag[n] = '1';
	memset(frag + n + 1, ']', n);
	char *doc = fill(report_tpl, frag, 2 * n + 1, len);
	free(frag);
	return doc;
}

static void test_depth(void **state)
{
	(void)state;
	size_t len;
	char *doc = nested(EXCISE_MAX_SUBMIT_DEPTH - 2, &len);
	accepted("at EXCISE_MAX_SUBMIT_DEPTH", doc, len);
	free(doc);
	/* the one difference on purpose: jansson takes up to 2048 values deep */
	doc = nested(EXCISE_MAX_SUBMIT_DEPTH - 1, &len);
	struct outcome o;
	run(doc, len, &o);
	assert_int_equal(o.r, -EXCISE_E_CORRUPT);
	assert_non_null(strstr(o.err.msg, "nested deeper than 1000 (EXCISE_MAX_SUBMIT_DEPTH)"));
	assert_true(o.ro >= 0);
	outcome_done(&o);
	free(doc);
	doc = nested(3000, &len);
	run(doc, len, &o);
	assert_int_equal(o.r, -EXCISE_E_CORRUPT);
	assert_int_equal(o.ro, -EXCISE_E_CORRUPT);
	outcome_done(&o);
	free(doc);
	refused("an unterminated string", "{\"a", 3, "byte 3", "closing quote");
	refused("an unterminated escape", "{\"a\\", 4, "byte 3", "closing quote");
	refused("deep and unclosed", "[[[[[[[[", 8, "byte 8", "ends where a value");
}

/* The values read: created_ns as an exact integer, strings decoded, lengths after decoding. */
static void test_values(void **state)
{
	(void)state;
	static const struct frag f[] = {
		{ "created_ns past 2^53", FRAG("1796660349999999999"), NULL },
		{ "created_ns int64 max", FRAG("9223372036854775807"), NULL },
		{ "created_ns 0", FRAG("0"), NULL },
		{ "created_ns -5 (then created)", FRAG("-5"), NULL },
		{ "created_ns 1.5 (a real: then created)", FRAG("1.5"), NULL },
		{ "created_ns 1e18 (a real)", FRAG("1e18"), NULL },
		{ "created_ns -0", FRAG("-0"), NULL },
		{ "created_ns a string", FRAG("\"1796660349999999999\""), NULL },
		{ "created_ns null", FRAG("null"), NULL },
		{ "created_ns past int64", FRAG("9223372036854775808"), "64-bit range" },
		{ "created_ns 1e999", FRAG("1e999"), "too large" },
	};
	check_frags(plan_tpl, f, sizeof(f) / sizeof(f[0]));

	/* created_ns by an escaped name, and read exactly */
	static const char esc[] = "{\"schema\":\"excise.plan/1\",\"host\":{\"machine_id\":\"m1\"},\"created\":\"2026-11-22T09:14:03Z\","
				  "\"created\\u005fns\":1796660349999999999,\"steps\":[]}";
	struct outcome o;
	assert_int_equal(same("created_ns by an escaped name", esc, strlen(esc), &o), 0);
	assert_int_equal(o.d.created, 1796660349);
	outcome_done(&o);

	/* Cyrillic publisher and product names, raw and escaped; an escaped product id */
	static const char cyr[] =
		"{\"schema\":\"excise.report/2\",\"report_id\":\"r-2\",\"host\":{\"machine_id\":\"\\u043c1\"},"
		"\"finished\":\"2026-11-22T09:14:03Z\",\"summary\":{\"verdict\":\"found\"},\"sources\":[],"
		"\"findings\":[{\"product\":{\"id\":\"\\u006besl\",\"name\":\"\xd0\x9a\xd0\xb0\xd1\x81\xd0\xbf\xd0\xb5\xd1\x80"
		"\xd1\x81\xd0\xba\xd0\xb8\xd0\xb9 \\u0410\\u043d\\u0442\\u0438\\u0432\\u0438\\u0440\\u0443\\u0441\"},"
		"\"vendor\":{\"id\":\"\\u0410\\u041e \xd0\x9b\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x80\xd0\xb0\xd1\x82\xd0\xbe\xd1\x80\xd0\xb8\xd1\x8f "
		"\xd0\x9a\xd0\xb0\xd1\x81\xd0\xbf\xd0\xb5\xd1\x80\xd1\x81\xd0\xba\xd0\xbe\xd0\xb3\xd0\xbe\"},"
		"\"version\":\"\\ud83d\\ude00\",\"state\":\"installed\",\"confidence\":\"str\\u006fng\","
		"\"evidence\":[{\"source\":\"\xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb\"},{\"source\":\"a\\/b\"},{\"source\":\"a,b\"}]}]}";
	assert_int_equal(same("Cyrillic", cyr, strlen(cyr), &o), 0);
	assert_string_equal(o.d.findings[0].product_id, "kesl");
	assert_string_equal(o.d.findings[0].vendor_id, "\xd0\x90\xd0\x9e \xd0\x9b\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x80\xd0\xb0\xd1\x82\xd0\xbe\xd1\x80\xd0\xb8\xd1\x8f "
						      "\xd0\x9a\xd0\xb0\xd1\x81\xd0\xbf\xd0\xb5\xd1\x80\xd1\x81\xd0\xba\xd0\xbe\xd0\xb3\xd0\xbe");
	assert_string_equal(o.d.findings[0].version, "\xf0\x9f\x98\x80");
	assert_string_equal(o.d.findings[0].sources, "a/b,\xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb");
	bool covered = false;
	for (size_t j = 0; j < o.d.n_dirs; j++)
		covered |= o.d.dirs[j].covered;
	assert_true(covered);
	outcome_done(&o);

	/* EXCISE_MAX_SUBMIT_FIELD counts decoded bytes: 4096 escapes are 4096 bytes */
	for (int over = 0; over <= 1; over++) {
		size_t n = EXCISE_MAX_SUBMIT_FIELD + (size_t)over, len;
		char *frag = malloc(6 * n + 3);
		assert_non_null(frag);
		frag[0] = '"';
		for (size_t k = 0; k < n; k++)
			memcpy(frag + 1 + 6 * k, "\\u0041", 6);
		memcpy(frag + 1 + 6 * n, "\"", 2);
		static const char tpl[] = "{\"schema\":\"excise.removal/1\",\"run_id\":\"x\",\"host\":{\"machine_id\":@},"
					  "\"started\":\"2026-11-22T09:14:03Z\",\"status\":\"done\",\"products\":[\"kesl\"]}";
		char *doc = fill(tpl, frag, 6 * n + 2, &len);
		assert_int_equal(same("a long machine id", doc, len, &o), over ? -EXCISE_E_CORRUPT : 0);
		outcome_done(&o);
		free(doc);
		free(frag);
	}
}

/* Every document of tests/fuzz/ingest/: the fixture-made ones must be taken. */
static void test_corpus(void **state)
{
	(void)state;
	const char *data = getenv("EXCISE_TEST_DATA");
	assert_non_null(data);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/fuzz/ingest", data);
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0, taken = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		char *buf = malloc(EXCISE_MAX_SUBMIT_SIZE);
		assert_non_null(buf);
		size_t len = fread(buf, 1, EXCISE_MAX_SUBMIT_SIZE, f);
		fclose(f);
		struct outcome o;
		if (same(e->d_name, buf, len, &o) >= 0)
			taken++;
		else if (strstr(e->d_name, ".report.json") || strstr(e->d_name, ".plan.json") ||
			 strstr(e->d_name, ".removal.json") || !strcmp(e->d_name, "clean.att.json"))
			fail_msg("%s: refused: %s", e->d_name, o.err.msg);
		outcome_done(&o);
		free(buf);
		n++;
	}
	closedir(d);
	print_message("# %zu documents, %zu taken by both\n", n, taken);
	assert_true(taken >= 8);
}

int main(void)
{
	struct excise_err err = { 0 };
	if (excise_catalog_load_embedded(&cat, &err) < 0) {
		fprintf(stderr, "catalog: %s\n", err.msg);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_controls_escapes),
		cmocka_unit_test(test_numbers_literals_structure),
		cmocka_unit_test(test_around),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_corpus),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	excise_catalog_free(cat);
	return r;
}
