/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the strict document reader (lib/core/doc.c): every type, limits,
 * required and unknown members, nested objects and arrays, and the error texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/doc.h"

struct item {
	const char *name;
	int64_t weight;
};

struct inner {
	bool live;
	unsigned port;
};

struct rec {
	const char *name;
	char *copy;
	char *path;
	bool flag;
	int64_t i64;
	uint64_t u64;
	int small;
	unsigned count;
	int color;
	const char **tags;
	char **owned_tags;
	json_t *extra;
	struct inner inner;
	struct item *items;
	size_t n_items;
	int checked;
	json_t *json;                /* the document read, owned */
	struct excise_err err;
};

static const char *const colors[] = { "none", "red", "green", "blue", NULL };

static int inner_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	struct inner *in = base;
	if (in->live && in->port == 0)
		return doc_fail(d, "a live inner needs a port");
	return 0;
}

static const struct doc_field inner_fields[] = {
	{ "live", DOC_BOOLEAN, doc_bool, offsetof(struct inner, live), DOC_REQUIRED },
	{ "port", DOC_INTEGER, doc_unsigned, offsetof(struct inner, port), 0, .min = 0, .max = 65535 },
	{ 0 },
};
static const struct doc_table inner_table = { inner_fields, DOC_UNKNOWN_REFUSE, NULL, inner_check };

static const struct doc_field item_fields[] = {
	{ "name", DOC_STRING, doc_string, offsetof(struct item, name), DOC_REQUIRED | DOC_NONEMPTY, .max = 8 },
	{ "weight", DOC_INTEGER, doc_int64, offsetof(struct item, weight), 0, .min = -5, .max = 5 },
	{ 0 },
};
static const struct doc_table item_table = { item_fields, DOC_UNKNOWN_IGNORE, "name", NULL };

static int rec_check(struct doc *d, json_t *obj, void *base)
{
	(void)d;
	(void)obj;
	((struct rec *)base)->checked++;
	return 0;
}

static const struct doc_field rec_fields[] = {
	{ "name", DOC_STRING, doc_string, offsetof(struct rec, name), DOC_REQUIRED | DOC_NONEMPTY, .max = 16 },
	{ "copy", DOC_STRING, doc_string_dup, offsetof(struct rec, copy), DOC_NULLABLE },
	{ "path", DOC_STRING, doc_bytes, offsetof(struct rec, path), DOC_HEX | DOC_NULLABLE, .max = 4 },
	{ "flag", DOC_BOOLEAN, doc_bool, offsetof(struct rec, flag), 0 },
	{ "i64", DOC_INTEGER, doc_int64, offsetof(struct rec, i64), 0 },
	{ "u64", DOC_INTEGER, doc_uint64, offsetof(struct rec, u64), 0 },
	{ "small", DOC_INTEGER, doc_int, offsetof(struct rec, small), 0 },
	{ "count", DOC_INTEGER, doc_unsigned, offsetof(struct rec, count), 0, .min = 1, .max = 10 },
	{ "color", DOC_STRING, doc_enum, offsetof(struct rec, color), 0, .min = 1, .values = colors },
	{ "tags", DOC_ARRAY, doc_strv, offsetof(struct rec, tags), DOC_NONEMPTY, .max = 3 },
	{ "owned_tags", DOC_ARRAY, doc_strv_dup, offsetof(struct rec, owned_tags), 0, .min = 1 },
	{ "extra", DOC_ANY, doc_json, offsetof(struct rec, extra), 0 },
	{ "inner", DOC_OBJECT, doc_object, offsetof(struct rec, inner), 0, .table = &inner_table },
	{ "items", DOC_ARRAY, doc_objects, offsetof(struct rec, items), 0, .max = 3, .table = &item_table,
	  .size = sizeof(struct item), .count = offsetof(struct rec, n_items) },
	{ 0 },
};
static const struct doc_table rec_table = { rec_fields, DOC_UNKNOWN_REFUSE, NULL, rec_check };

static void rec_done(struct rec *r)
{
	free(r->copy);
	free(r->path);
	free(r->tags);
	for (char **t = r->owned_tags; t && *t; t++)
		free(*t);
	free(r->owned_tags);
	free(r->items);
	json_decref(r->json);
}

/* Read `text` into *r; returns the result, the message in r->err. */
static int read_rec(const char *text, struct rec *r)
{
	struct doc d;
	*r = (struct rec){ 0 };
	doc_init(&d, "test", "t.json", &r->err);
	int e = doc_load(&d, text, strlen(text), 4096, &r->json);
	if (e < 0)
		return e;
	return doc_dispatch(&d, r->json, &rec_table, r);
}

/* The document must be refused with exactly `msg`. */
static void refused(const char *text, const char *msg)
{
	struct rec r;
	int e = read_rec(text, &r);
	if (e >= 0 || strcmp(r.err.msg, msg) != 0)
		fail_msg("%s\n  gave %d '%s'\n  want '%s'", text, e, r.err.msg, msg);
	assert_int_equal(r.err.code, e);
	rec_done(&r);
}

static void test_every_type(void **state)
{
	(void)state;
	struct rec r;
	int e = read_rec("{\"name\":\"n\",\"copy\":\"c\",\"path_hex\":\"61ff\",\"flag\":true,\"i64\":-9000000000,"
			 "\"u64\":9000000000,\"small\":-7,\"count\":10,\"color\":\"blue\",\"tags\":[\"a\",\"b\"],"
			 "\"owned_tags\":[\"x\"],\"extra\":[1,{}],\"inner\":{\"live\":true,\"port\":22},"
			 "\"items\":[{\"name\":\"i1\",\"weight\":-5},{\"name\":\"i2\",\"other\":1}]}", &r);
	assert_int_equal(e, 0);
	assert_string_equal(r.name, "n");
	assert_string_equal(r.copy, "c");
	assert_memory_equal(r.path, "a\xff", 3);
	assert_true(r.flag);
	assert_int_equal(r.i64, -9000000000LL);
	assert_int_equal(r.u64, 9000000000ULL);
	assert_int_equal(r.small, -7);
	assert_int_equal(r.count, 10);
	assert_int_equal(r.color, 3);
	assert_string_equal(r.tags[0], "a");
	assert_string_equal(r.tags[1], "b");
	assert_null(r.tags[2]);
	assert_string_equal(r.owned_tags[0], "x");
	assert_null(r.owned_tags[1]);
	assert_true(json_is_array(r.extra));
	assert_true(r.inner.live);
	assert_int_equal(r.inner.port, 22);
	assert_int_equal(r.n_items, 2);
	assert_string_equal(r.items[0].name, "i1");
	assert_int_equal(r.items[0].weight, -5);
	assert_string_equal(r.items[1].name, "i2");
	assert_int_equal(r.items[1].weight, 0);
	assert_int_equal(r.checked, 1);
	rec_done(&r);

	/* optional members absent, nullable ones null: left as they were */
	e = read_rec("{\"name\":\"n\",\"copy\":null,\"path\":\"abc\"}", &r);
	assert_int_equal(e, 0);
	assert_null(r.copy);
	assert_string_equal(r.path, "abc");
	assert_null(r.tags);
	assert_null(r.items);
	assert_int_equal(r.checked, 1);
	rec_done(&r);
}

static void test_types_refused(void **state)
{
	(void)state;
	refused("{\"name\":1}", "test 't.json': /name: expected a non-empty string of at most 16 bytes");
	refused("{\"name\":\"n\",\"flag\":\"yes\"}", "test 't.json': /flag: expected true or false");
	refused("{\"name\":\"n\",\"flag\":null}", "test 't.json': /flag: expected true or false");
	refused("{\"name\":\"n\",\"i64\":1.5}", "test 't.json': /i64: expected an integer");
	refused("{\"name\":\"n\",\"copy\":[]}", "test 't.json': /copy: expected a string or null");
	refused("{\"name\":\"n\",\"tags\":{}}", "test 't.json': /tags: expected an array of at most 3 non-empty strings");
	refused("{\"name\":\"n\",\"inner\":[]}", "test 't.json': /inner: expected an object");
	refused("{\"name\":\"n\",\"items\":{}}", "test 't.json': /items: expected an array of at most 3 objects");
	refused("{\"name\":\"n\",\"color\":\"none\"}", "test 't.json': /color: expected one of red|green|blue");
	refused("{\"name\":\"n\",\"color\":\"pink\"}", "test 't.json': /color: expected one of red|green|blue");
	refused("{\"name\":\"n\\u0000x\"}", "test 't.json': line 1 column 18: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"n\\u0000x\"'");
	/* a document built in memory may hold NUL characters: the handlers refuse them */
	struct doc d;
	struct excise_err err = { 0 };
	struct rec r = { 0 };
	json_t *j = json_pack("{s:s#}", "name", "n\0x", (size_t)3);
	doc_init(&d, "test", "mem", &err);
	assert_int_equal(doc_dispatch(&d, j, &rec_table, &r), -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "test 'mem': /name: expected a string without NUL characters");
	json_decref(j);
}

static void test_limits(void **state)
{
	(void)state;
	refused("{\"name\":\"0123456789abcdefg\"}", "test 't.json': /name: expected a non-empty string of at most 16 bytes");
	refused("{\"name\":\"\"}", "test 't.json': /name: expected a non-empty string of at most 16 bytes");
	refused("{\"name\":\"n\",\"path\":\"abcde\"}",
		"test 't.json': /path: expected a string of at most 4 bytes (or path_hex: lower-case hex) or null");
	refused("{\"name\":\"n\",\"path_hex\":\"6162636465\"}",
		"test 't.json': /path_hex: expected a string of at most 4 bytes (or path_hex: lower-case hex) or null");
	refused("{\"name\":\"n\",\"path_hex\":\"6\"}", "test 't.json': /path_hex: expected lower-case hex of bytes other than 00");
	refused("{\"name\":\"n\",\"path_hex\":\"6100\"}", "test 't.json': /path_hex: expected lower-case hex of bytes other than 00");
	refused("{\"name\":\"n\",\"path_hex\":\"6A\"}", "test 't.json': /path_hex: expected lower-case hex of bytes other than 00");
	refused("{\"name\":\"n\",\"count\":0}", "test 't.json': /count: expected an integer from 1 to 10");
	refused("{\"name\":\"n\",\"count\":11}", "test 't.json': /count: expected an integer from 1 to 10");
	refused("{\"name\":\"n\",\"small\":2147483648}", "test 't.json': /small: expected an integer from -2147483648 to 2147483647");
	refused("{\"name\":\"n\",\"u64\":-1}", "test 't.json': /u64: expected an integer from 0 to 9223372036854775807");
	refused("{\"name\":\"n\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}",
		"test 't.json': /tags: expected an array of at most 3 non-empty strings");
	refused("{\"name\":\"n\",\"tags\":[\"a\",\"\"]}", "test 't.json': /tags/1: expected a non-empty string");
	refused("{\"name\":\"n\",\"owned_tags\":[]}", "test 't.json': /owned_tags: expected an array of at least 1 strings");
	refused("{\"name\":\"n\",\"owned_tags\":[\"a\",2]}", "test 't.json': /owned_tags/1: expected a string");
	refused("{\"name\":\"n\",\"items\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"},{\"name\":\"d\"}]}",
		"test 't.json': /items: expected an array of at most 3 objects");

	/* the size of the whole document */
	struct doc d;
	struct excise_err err = { 0 };
	json_t *j = NULL;
	doc_init(&d, "test", "t.json", &err);
	assert_int_equal(doc_load(&d, "{\"name\":\"n\"}", 12, 11, &j), -EXCISE_E_TOOBIG);
	assert_null(j);
	assert_string_equal(err.msg, "test 't.json': 12 bytes; at most 11 are allowed");
}

static void test_required_and_unknown(void **state)
{
	(void)state;
	refused("{}", "test 't.json': /name: missing");
	refused("{\"name\":null}", "test 't.json': /name: expected a non-empty string of at most 16 bytes");
	refused("{\"name\":\"n\",\"nmae\":1}", "test 't.json': unknown member 'nmae'");
	refused("{\"name\":\"n\",\"inner\":{\"live\":false,\"porrt\":1}}", "test 't.json': /inner: unknown member 'porrt'");
	refused("{\"name\":\"n\",\"inner\":{\"port\":1}}", "test 't.json': /inner/live: missing");
	/* a KEY_hex member is known only for a DOC_HEX field */
	refused("{\"name\":\"n\",\"flag_hex\":\"00\"}", "test 't.json': unknown member 'flag_hex'");
	/* ignored members of an ignoring table are not read at all */
	struct rec r;
	assert_int_equal(read_rec("{\"name\":\"n\",\"items\":[{\"name\":\"a\",\"weight\":1,\"w\":{\"x\":[]}}]}", &r), 0);
	assert_int_equal(r.items[0].weight, 1);
	rec_done(&r);
}

static void test_nested_pointers(void **state)
{
	(void)state;
	refused("{\"name\":\"n\",\"inner\":{\"live\":true,\"port\":65536}}",
		"test 't.json': /inner/port: expected an integer from 0 to 65535");
	/* the table's check runs with the pointer at its object */
	refused("{\"name\":\"n\",\"inner\":{\"live\":true}}", "test 't.json': /inner: a live inner needs a port");
	/* an item names itself by its id_key member */
	refused("{\"name\":\"n\",\"items\":[{\"name\":\"a\"},{\"name\":\"b\",\"weight\":6}]}",
		"test 't.json': /items/1/weight (id 'b'): expected an integer from -5 to 5");
	refused("{\"name\":\"n\",\"items\":[{\"name\":\"a\"},7]}", "test 't.json': /items/1: expected an object, not an integer");
	refused("{\"name\":\"n\",\"items\":[{\"name\":\"a\"},{}]}", "test 't.json': /items/1/name: missing");
	/* a half-read array counts every element begun, so the caller can free it */
	struct rec r;
	assert_true(read_rec("{\"name\":\"n\",\"items\":[{\"name\":\"a\"},{\"name\":\"\"},{\"name\":\"c\"}]}", &r) < 0);
	assert_int_equal(r.n_items, 2);
	assert_string_equal(r.err.msg, "test 't.json': /items/1/name (id ''): expected a non-empty string of at most 8 bytes");
	rec_done(&r);
}

/* Pointer segments escape '~' and '/' (RFC 6901); a line number comes first. */
static void test_pointer_text(void **state)
{
	(void)state;
	struct doc d;
	struct excise_err err = { 0 };
	doc_init(&d, "journal", "j.jsonl", &err);
	d.line = 7;
	size_t m0 = doc_enter_key(&d, "a/b~c");
	size_t m1 = doc_enter_index(&d, 12);
	assert_string_equal(d.ptr, "/a~1b~0c/12");
	assert_int_equal(doc_fail(&d, "odd %d", 3), -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "journal 'j.jsonl': line 7: /a~1b~0c/12: odd 3");
	doc_leave(&d, m1);
	assert_string_equal(d.ptr, "/a~1b~0c");
	doc_leave(&d, m0);
	assert_string_equal(d.ptr, "");
	assert_int_equal(doc_failc(&d, -EXCISE_E_LIMIT, "too many"), -EXCISE_E_LIMIT);
	assert_string_equal(err.msg, "journal 'j.jsonl': line 7: too many");
	/* a very long pointer is cut, never overflowed */
	char key[400];
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = 0;
	doc_enter_key(&d, key);
	assert_true(strlen(d.ptr) < sizeof(d.ptr));
	assert_string_equal(d.ptr + strlen(d.ptr) - 3, "...");
}

static void test_load_errors(void **state)
{
	(void)state;
	refused("[1]", "test 't.json': expected a JSON object");
	refused("{\"name\":\"a\",\"name\":\"b\"}",
		"test 't.json': line 1 column 18: duplicate object key near '\"name\"'");
	refused("{\"name\":", "test 't.json': line 1 column 8: unexpected token near end of file");
	struct doc d;
	struct excise_err err = { 0 };
	json_t *j = NULL;
	doc_init(&d, "manifest", "m", &err);
	d.line = 3;
	assert_int_equal(doc_load(&d, "{", 1, 10, &j), -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "manifest 'm': line 3: not JSON: string or '}' expected near end of file");
}

/* doc_each walks an array with the pointer at each item. */
static int each_item(struct doc *d, size_t i, json_t *item, void *userdata)
{
	size_t *seen = userdata;
	if (!json_is_string(item))
		return doc_fail(d, "item %zu is not a string", i);
	(*seen)++;
	return 0;
}

static void test_each(void **state)
{
	(void)state;
	struct doc d;
	struct excise_err err = { 0 };
	doc_init(&d, "test", "t", &err);
	json_t *a = json_pack("[s, s, i]", "x", "y", 3);
	size_t seen = 0;
	size_t m = doc_enter_key(&d, "list");
	assert_int_equal(doc_each(&d, a, each_item, &seen), -EXCISE_E_CORRUPT);
	assert_int_equal(seen, 2);
	assert_string_equal(err.msg, "test 't': /list/2: item 2 is not a string");
	doc_leave(&d, m);
	json_decref(a);
}

/* Present-and-null members, absolute paths, exact lengths, checked-only members, string choices. */
struct line {
	char *note;
	const char *root;
	const char *id;
	const char *kind;
	int n;
};

static const char *const kinds[] = { "begin", "end", NULL };
static const char *const schemas[] = { "test/1", NULL };

static const struct doc_field line_fields[] = {
	{ "schema", DOC_STRING, NULL, 0, DOC_REQUIRED, .values = schemas },
	{ "note", DOC_STRING, doc_bytes, offsetof(struct line, note), DOC_REQUIRED | DOC_NULLABLE | DOC_HEX },
	{ "root", DOC_STRING, doc_string, offsetof(struct line, root), DOC_ABSOLUTE },
	{ "id", DOC_STRING, doc_string, offsetof(struct line, id), 0, .min = 4, .max = 4 },
	{ "kind", DOC_STRING, doc_string_enum, offsetof(struct line, kind), DOC_REQUIRED, .values = kinds },
	{ 0 },
};
static const struct doc_table line_table = { line_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

struct lines {
	char kinds[256];
	int null_notes;
};

static int on_line(struct doc *d, json_t *obj, void *userdata)
{
	struct lines *l = userdata;
	struct line x = { 0 };
	int r = doc_dispatch(d, obj, &line_table, &x);
	if (r >= 0) {
		snprintf(l->kinds + strlen(l->kinds), sizeof(l->kinds) - strlen(l->kinds), "%zu:%s%s ", d->line, x.kind,
			 x.kind == kinds[0] || x.kind == kinds[1] ? "" : "(not the table's)");
		l->null_notes += !x.note;
	}
	free(x.note);
	return r;
}

/* Read JSON Lines text; returns the result, the message in err. */
static int read_lines(const char *text, size_t max_lines, struct lines *l, size_t *n, struct excise_err *err)
{
	struct doc d;
	doc_init(&d, "lines", "l.jsonl", err);
	*l = (struct lines){ 0 };
	*err = (struct excise_err){ 0 };
	return doc_lines(&d, text, strlen(text), max_lines, on_line, l, n);
}

#define L1 "{\"schema\":\"test/1\",\"note\":null,\"kind\":\"begin\",\"root\":\"/r\",\"id\":\"abcd\"}\n"
#define L2 "{\"schema\":\"test/1\",\"note_hex\":\"6869\",\"kind\":\"end\",\"other\":[]}\n"

static void test_lines(void **state)
{
	(void)state;
	struct lines l;
	struct excise_err err;
	size_t n = 0;
	/* the torn last line never was */
	assert_int_equal(read_lines(L1 L2 "{\"schema\":\"te", 0, &l, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l.kinds, "1:begin 2:end ");
	assert_int_equal(l.null_notes, 1);
	assert_int_equal(read_lines("", 0, &l, &n, &err), 0);
	assert_int_equal(n, 0);
	/* the line limit */
	assert_int_equal(read_lines(L1 L2 L1, 2, &l, &n, &err), -EXCISE_E_LIMIT);
	assert_string_equal(err.msg, "lines 'l.jsonl': more than 2 records");
	assert_int_equal(n, 3);
	/* errors name the line */
	assert_int_equal(read_lines(L1 "[]\n", 0, &l, &n, &err), -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "lines 'l.jsonl': line 2: expected a JSON object");
	assert_int_equal(read_lines(L1 "{\n", 0, &l, &n, &err), -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "lines 'l.jsonl': line 2: not JSON: string or '}' expected near end of file");
	/* present and null is fine; absent is not */
	assert_int_equal(read_lines("{\"schema\":\"test/1\",\"kind\":\"end\"}\n", 0, &l, &n, &err), -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "lines 'l.jsonl': line 1: /note: missing");
	assert_int_equal(read_lines("{\"schema\":\"test/2\",\"note\":null,\"kind\":\"end\"}\n", 0, &l, &n, &err),
			 -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "lines 'l.jsonl': line 1: /schema: expected one of test/1");
	assert_int_equal(read_lines("{\"schema\":\"test/1\",\"note\":null,\"kind\":\"middle\"}\n", 0, &l, &n, &err),
			 -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "lines 'l.jsonl': line 1: /kind: expected one of begin|end");
	assert_int_equal(read_lines("{\"schema\":\"test/1\",\"note\":null,\"kind\":\"end\",\"root\":\"r\"}\n", 0, &l, &n,
				    &err), -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "lines 'l.jsonl': line 1: /root: expected an absolute path");
	assert_int_equal(read_lines("{\"schema\":\"test/1\",\"note\":null,\"kind\":\"end\",\"id\":\"abc\"}\n", 0, &l, &n,
				    &err), -EXCISE_E_CORRUPT);
	assert_string_equal(err.msg, "lines 'l.jsonl': line 1: /id: expected a string of 4 bytes");
}

static const char *const events[] = { "start", "step", NULL };

static int on_event(struct doc *d, json_t *obj, void *userdata)
{
	int ev = -1;
	int r = doc_event(d, obj, events, 0, &ev);
	if (r >= 0)
		(*(int *)userdata) += ev;
	return r;
}

/* The event of a JSON Lines record: one of a list, the first kind on line 1 only. */
static void test_events(void **state)
{
	(void)state;
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "{\"event\":\"start\"}\n{\"event\":\"step\"}\n{\"event\":\"step\"}\n", NULL },
		{ "{\"event\":\"step\"}\n", "lines 'e': line 1: expected a start record first" },
		{ "{\"event\":\"start\"}\n{\"event\":\"start\"}\n", "lines 'e': line 2: a start record after line 1" },
		{ "{\"event\":\"start\"}\n{\"event\":\"stop\"}\n", "lines 'e': line 2: /event: expected one of start|step" },
		{ "{\"event\":\"start\"}\n{\"step\":1}\n", "lines 'e': line 2: /event: missing" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct doc d;
		struct excise_err err = { 0 };
		doc_init(&d, "lines", "e", &err);
		int steps = 0;
		int r = doc_lines(&d, cases[i].text, strlen(cases[i].text), 0, on_event, &steps, NULL);
		if (!cases[i].msg) {
			assert_int_equal(r, 0);
			assert_int_equal(steps, 2);
		} else {
			assert_int_equal(r, -EXCISE_E_CORRUPT);
			assert_string_equal(err.msg, cases[i].msg);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_types_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_required_and_unknown),
		cmocka_unit_test(test_nested_pointers),
		cmocka_unit_test(test_pointer_text),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_each),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
