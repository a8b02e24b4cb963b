/* SPDX-License-Identifier: Apache-2.0 */
/* doc: strict JSON documents read through field tables (see doc.h). */
#include "core/doc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/text.h"

void doc_init(struct doc *d, const char *label, const char *name, struct excise_err *err)
{
	*d = (struct doc){ .label = label, .name = name ? name : "-", .err = err, .code = -EXCISE_E_CORRUPT };
}

static int vfail(struct doc *d, int code, const char *fmt, va_list ap) PRINTF(3, 0);
static int vfail(struct doc *d, int code, const char *fmt, va_list ap)
{
	char what[EXCISE_ERR_MSG], line[32] = "";
	vsnprintf(what, sizeof(what), fmt, ap);
	if (d->line)
		snprintf(line, sizeof(line), "line %zu: ", d->line);
	d->fresh = true;
	return err_set(d->err, code, "%s '%s': %s%s%s%s%s%s%s", d->label, d->name, line, d->ptr,
		       d->id ? " (id '" : "", d->id ? d->id : "", d->id ? "')" : "", d->ptr_len || d->id ? ": " : "",
		       what);
}

int doc_fail(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfail(d, d->code, fmt, ap);
	va_end(ap);
	return r;
}

int doc_failc(struct doc *d, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfail(d, code, fmt, ap);
	va_end(ap);
	return r;
}

int doc_size(struct doc *d, size_t len, size_t max)
{
	if (len > max)
		return doc_failc(d, -EXCISE_E_TOOBIG, "%zu bytes; at most %zu are allowed", len, max);
	return 0;
}

int doc_load(struct doc *d, const void *bytes, size_t len, size_t max, json_t **ret)
{
	*ret = NULL;
	int r = doc_size(d, len, max);
	if (r < 0)
		return r;
	json_error_t je;
	json_t *o = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		if (d->line)
			return doc_fail(d, "not JSON: %s", je.text);
		return doc_fail(d, "line %d column %d: %s", je.line, je.column, je.text);
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return doc_fail(d, "expected a JSON object");
	}
	*ret = o;
	return 0;
}

/* ---- the pointer ---- */

static size_t push(struct doc *d, const char *seg, size_t n, bool escape)
{
	size_t mark = d->ptr_len, cap = sizeof(d->ptr) - 4; /* room for "..." */
	size_t k = d->ptr_len;
	if (k < cap)
		d->ptr[k++] = '/';
	for (size_t i = 0; i < n && k < cap; i++) {
		if (escape && (seg[i] == '~' || seg[i] == '/')) {
			if (k + 2 > cap)
				break;
			d->ptr[k++] = '~';
			d->ptr[k++] = seg[i] == '~' ? '0' : '1';
		} else {
			d->ptr[k++] = seg[i];
		}
	}
	if (k >= cap) {
		memcpy(d->ptr + cap, "...", 3);
		k = cap + 3;
	}
	d->ptr[k] = 0;
	d->ptr_len = k;
	return mark;
}

size_t doc_enter_key(struct doc *d, const char *key)
{
	return push(d, key, strlen(key), true);
}

size_t doc_enter_index(struct doc *d, size_t i)
{
	char n[24];
	int k = snprintf(n, sizeof(n), "%zu", i);
	return push(d, n, (size_t)k, false);
}

void doc_leave(struct doc *d, size_t mark)
{
	d->ptr_len = mark;
	d->ptr[mark] = 0;
}

int doc_each(struct doc *d, json_t *arr, int (*fn)(struct doc *d, size_t i, json_t *item, void *userdata),
	     void *userdata)
{
	for (size_t i = 0; i < json_array_size(arr); i++) {
		size_t mark = doc_enter_index(d, i);
		int r = fn(d, i, json_array_get(arr, i), userdata);
		if (r < 0)
			return r;
		doc_leave(d, mark);
	}
	return 0;
}

int doc_lines(struct doc *d, const char *bytes, size_t len, size_t max_lines,
	      int (*fn)(struct doc *d, json_t *obj, void *userdata), void *userdata, size_t *ret_lines)
{
	size_t line = 0;
	int r = 0;
	for (size_t off = 0; r >= 0 && off < len;) {
		const char *nl = memchr(bytes + off, '\n', len - off);
		if (!nl)
			break; /* torn last record: it never was */
		size_t n = (size_t)(nl - (bytes + off));
		d->line = ++line;
		if (max_lines && line > max_lines) {
			d->line = 0;
			r = doc_failc(d, -EXCISE_E_LIMIT, "more than %zu records", max_lines);
			break;
		}
		json_t *o = NULL;
		r = doc_load(d, bytes + off, n, SIZE_MAX, &o);
		if (r >= 0)
			r = fn(d, o, userdata);
		json_decref(o);
		off += n + 1;
	}
	if (ret_lines)
		*ret_lines = line;
	return r;
}

int doc_event(struct doc *d, json_t *obj, const char *const *events, int first, int *ret)
{
	const struct doc_field fields[] = {
		{ "event", DOC_STRING, doc_enum, 0, DOC_REQUIRED, .values = events },
		{ 0 },
	};
	const struct doc_table t = { fields, DOC_UNKNOWN_IGNORE, NULL, NULL };
	int r = doc_dispatch(d, obj, &t, ret);
	if (r >= 0 && (d->line == 1) != (*ret == first))
		r = doc_fail(d, d->line == 1 ? "expected a %s record first" : "a %s record after line 1", events[first]);
	return r;
}

/* ---- what a field expects ---- */

const char *doc_type_name(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static void one_of(struct buf *b, const struct doc_field *f)
{
	buf_adds(b, "one of ");
	for (size_t i = (size_t)f->min; f->values[i]; i++)
		buf_addf(b, "%s%s", i > (size_t)f->min ? "|" : "", f->values[i]);
}

static void describe(struct buf *b, const struct doc_field *f)
{
	switch (f->type) {
	case DOC_STRING:
		if (f->values) {
			one_of(b, f);
			break;
		}
		buf_adds(b, f->flags & DOC_ABSOLUTE ? "an absolute path" :
			 f->flags & DOC_NONEMPTY ? "a non-empty string" : "a string");
		if (f->min && f->min == f->max)
			buf_addf(b, " of %" PRId64 " bytes", f->max);
		else if (f->min && f->max)
			buf_addf(b, " of %" PRId64 " to %" PRId64 " bytes", f->min, f->max);
		else if (f->max)
			buf_addf(b, " of at most %" PRId64 " bytes", f->max);
		else if (f->min)
			buf_addf(b, " of at least %" PRId64 " bytes", f->min);
		if (f->flags & DOC_HEX)
			buf_addf(b, " (or %s_hex: lower-case hex)", f->name);
		break;
	case DOC_INTEGER:
		buf_adds(b, "an integer");
		if (f->min || f->max)
			buf_addf(b, " from %" PRId64 " to %" PRId64, f->min, f->max);
		break;
	case DOC_BOOLEAN:
		buf_adds(b, "true or false");
		break;
	case DOC_ARRAY: {
		bool strv = f->handler == doc_strv || f->handler == doc_strv_dup;
		buf_adds(b, "an array");
		if (f->min && f->max)
			buf_addf(b, " of %" PRId64 " to %" PRId64, f->min, f->max);
		else if (f->max)
			buf_addf(b, " of at most %" PRId64, f->max);
		else if (f->min)
			buf_addf(b, " of at least %" PRId64, f->min);
		else
			buf_adds(b, " of");
		buf_adds(b, f->table ? " objects" : !strv ? " items" :
			 f->flags & DOC_NONEMPTY ? " non-empty strings" : " strings");
		if (strv && f->values) {
			buf_adds(b, ", each ");
			one_of(b, &(struct doc_field){ .values = f->values });
		}
		break;
	}
	case DOC_OBJECT:
		buf_adds(b, "an object");
		break;
	case DOC_ANY:
		buf_adds(b, "a value");
		break;
	}
	if (f->flags & DOC_NULLABLE)
		buf_adds(b, " or null");
}

int doc_expected(struct doc *d, const struct doc_field *f)
{
	struct buf b;
	buf_init(&b, 4096);
	describe(&b, f);
	int r = b.err ? doc_failc(d, -ENOMEM, "out of memory") : doc_fail(d, "expected %s", b.p);
	buf_done(&b);
	return r;
}

static bool type_ok(enum doc_type t, json_t *v)
{
	switch (t) {
	case DOC_ANY: return true;
	case DOC_STRING: return json_is_string(v);
	case DOC_INTEGER: return json_is_integer(v);
	case DOC_BOOLEAN: return json_is_boolean(v);
	case DOC_ARRAY: return json_is_array(v);
	case DOC_OBJECT: return json_is_object(v);
	}
	return false;
}

/* ---- dispatch ---- */

/* In collect mode, a content error is noted (once) and reading goes on: true. */
static bool noted(struct doc *d, int r)
{
	if (!d->collect || !d->err || r != d->code)
		return false;
	if (!d->fresh)
		return true;
	char **v = realloc(d->problems, (d->n_problems + 2) * sizeof(char *));
	if (!v)
		return false;
	d->problems = v;
	if (!(v[d->n_problems] = strdup(d->err->msg)))
		return false;
	v[++d->n_problems] = NULL;
	d->fresh = false;
	return true;
}

static const struct doc_field *field_of(const struct doc_table *t, const char *key)
{
	for (const struct doc_field *f = t->fields; f->name; f++) {
		if (strcmp(f->name, key) == 0)
			return f;
		size_t n = strlen(f->name);
		if ((f->flags & DOC_HEX) && strncmp(key, f->name, n) == 0 && strcmp(key + n, "_hex") == 0)
			return f;
	}
	return NULL;
}

static int dispatch_one(struct doc *d, json_t *obj, const struct doc_field *f, void *base)
{
	const char *key = f->name;
	json_t *v = json_object_get(obj, key);
	char hk[128];
	if (!v && (f->flags & DOC_HEX) && snprintf(hk, sizeof(hk), "%s_hex", f->name) < (int)sizeof(hk) &&
	    (v = json_object_get(obj, hk)))
		key = hk;
	if (v && json_is_null(v) && (f->flags & DOC_NULLABLE))
		return 0;
	if (!v) {
		if (!(f->flags & DOC_REQUIRED))
			return 0;
		size_t mark = doc_enter_key(d, f->name);
		int r = doc_fail(d, "missing");
		doc_leave(d, mark);
		return r;
	}
	size_t mark = doc_enter_key(d, key);
	int r;
	if (!type_ok(f->type, v))
		r = doc_expected(d, f);
	else if (f->type == DOC_ARRAY && ((f->min && json_array_size(v) < (size_t)f->min) ||
					  (f->max && json_array_size(v) > (size_t)f->max)))
		r = doc_expected(d, f);
	else if (f->handler)
		r = f->handler(d, f, v, (char *)base + f->offset);
	else if (f->type == DOC_STRING) /* checked, not stored */
		r = doc_string(d, f, v, &(const char *){ NULL });
	else
		r = 0;
	if (r >= 0)
		doc_leave(d, mark);
	return r;
}

int doc_dispatch(struct doc *d, json_t *obj, const struct doc_table *t, void *base)
{
	if (!json_is_object(obj))
		return doc_fail(d, "expected an object, not %s", doc_type_name(obj));
	const char *saved_id = d->id;
	if (t->id_key && json_is_string(json_object_get(obj, t->id_key)))
		d->id = json_string_value(json_object_get(obj, t->id_key));
	int r = 0;
	bool failed = false, top = d->ptr_len == 0;
	if (t->unknown == DOC_UNKNOWN_REFUSE) {
		const char *key;
		json_t *v;
		json_object_foreach(obj, key, v) {
			if (!field_of(t, key)) {
				r = doc_fail(d, "unknown member '%.128s'", key);
				if (!noted(d, r))
					break;
				failed = true;
				r = 0;
			}
		}
	}
	for (const struct doc_field *f = t->fields; r >= 0 && f->name; f++) {
		size_t mark = d->ptr_len;
		const char *id = d->id;
		r = dispatch_one(d, obj, f, base);
		if (r < 0 && top && noted(d, r)) {
			doc_leave(d, mark);
			d->id = id;
			failed = true;
			r = 0;
		}
	}
	if (r >= 0 && failed)
		r = d->code;
	if (r >= 0 && t->check)
		r = t->check(d, obj, base);
	if (r >= 0)
		d->id = saved_id;
	return r;
}

/* ---- default handlers ---- */

/* The index of `v` in f->values (from f->min), or -1. */
static int value_index(const struct doc_field *f, json_t *v)
{
	const char *s = json_string_value(v);
	for (size_t i = (size_t)f->min; s && f->values[i]; i++)
		if (strcmp(f->values[i], s) == 0 && strlen(s) == json_string_length(v))
			return (int)i;
	return -1;
}

static int string_of(struct doc *d, const struct doc_field *f, json_t *v, const char **ret)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (strlen(s) != n)
		return doc_fail(d, "expected a string without NUL characters");
	if ((f->max && n > (uint64_t)f->max) || (!f->values && f->min && n < (uint64_t)f->min) ||
	    ((f->flags & DOC_NONEMPTY) && n == 0) || ((f->flags & DOC_ABSOLUTE) && s[0] != '/') ||
	    (f->values && value_index(f, v) < 0))
		return doc_expected(d, f);
	*ret = s;
	return 0;
}

int doc_string(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	return string_of(d, f, v, (const char **)ret);
}

int doc_string_dup(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	const char *s = NULL;
	int r = string_of(d, f, v, &s);
	if (r < 0)
		return r;
	char *c = strdup(s);
	if (!c)
		return doc_failc(d, -ENOMEM, "out of memory");
	free(*(char **)ret);
	*(char **)ret = c;
	return 0;
}

int doc_bytes(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	bool hex = (f->flags & DOC_HEX) && d->ptr_len >= 4 && strcmp(d->ptr + d->ptr_len - 4, "_hex") == 0;
	if (!hex)
		return doc_string_dup(d, f, v, ret);
	char *c = NULL;
	size_t n = 0;
	int r = hex_decode(json_string_value(v), json_string_length(v), &c, &n);
	if (r == -ENOMEM)
		return doc_failc(d, r, "out of memory");
	if (r < 0 || strlen(c) != n) {
		free(c);
		return doc_fail(d, "expected lower-case hex of bytes other than 00");
	}
	if ((f->max && n > (uint64_t)f->max) || (f->min && n < (uint64_t)f->min) ||
	    ((f->flags & DOC_NONEMPTY) && n == 0) || ((f->flags & DOC_ABSOLUTE) && c[0] != '/')) {
		free(c);
		return doc_expected(d, f);
	}
	free(*(char **)ret);
	*(char **)ret = c;
	return 0;
}

int doc_bool(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)d;
	(void)f;
	*(bool *)ret = json_is_true(v);
	return 0;
}

static int integer_in(struct doc *d, const struct doc_field *f, json_t *v, int64_t lo, int64_t hi, int64_t *ret)
{
	int64_t x = json_integer_value(v);
	if (f->min || f->max) {
		lo = f->min > lo ? f->min : lo;
		hi = f->max < hi ? f->max : hi;
	}
	if (x < lo || x > hi) {
		if (f->min || f->max)
			return doc_expected(d, f);
		return doc_fail(d, "expected an integer from %" PRId64 " to %" PRId64, lo, hi);
	}
	*ret = x;
	return 0;
}

int doc_int64(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	return integer_in(d, f, v, INT64_MIN, INT64_MAX, (int64_t *)ret);
}

int doc_uint64(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int64_t x = 0;
	int r = integer_in(d, f, v, 0, INT64_MAX, &x);
	if (r >= 0)
		*(uint64_t *)ret = (uint64_t)x;
	return r;
}

int doc_int(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int64_t x = 0;
	int r = integer_in(d, f, v, INT_MIN, INT_MAX, &x);
	if (r >= 0)
		*(int *)ret = (int)x;
	return r;
}

int doc_unsigned(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int64_t x = 0;
	int r = integer_in(d, f, v, 0, UINT_MAX, &x);
	if (r >= 0)
		*(unsigned *)ret = (unsigned)x;
	return r;
}

int doc_enum(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int i = value_index(f, v);
	if (i < 0)
		return doc_expected(d, f);
	*(int *)ret = i;
	return 0;
}

int doc_string_enum(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int i = value_index(f, v);
	if (i < 0)
		return doc_expected(d, f);
	*(const char **)ret = f->values[i];
	return 0;
}

static int strv_of(struct doc *d, const struct doc_field *f, json_t *v, bool dup, void *ret)
{
	size_t n = json_array_size(v);
	char **a = calloc(n + 1, sizeof(*a));
	if (!a)
		return doc_failc(d, -ENOMEM, "out of memory");
	int r = 0;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		json_t *s = json_array_get(v, i);
		size_t mark = doc_enter_index(d, i);
		const char *str = json_string_value(s);
		if (!str || strlen(str) != json_string_length(s) || ((f->flags & DOC_NONEMPTY) && !*str))
			r = doc_fail(d, "expected a %sstring", f->flags & DOC_NONEMPTY ? "non-empty " : "");
		else if (f->values && value_index(&(struct doc_field){ .values = f->values }, s) < 0)
			r = doc_expected(d, &(struct doc_field){ .type = DOC_STRING, .values = f->values });
		else if (!(a[i] = dup ? strdup(str) : (char *)str))
			r = doc_failc(d, -ENOMEM, "out of memory");
		if (r >= 0)
			doc_leave(d, mark);
	}
	if (r < 0) {
		for (size_t i = 0; dup && i < n; i++)
			free(a[i]);
		free(a);
		return r;
	}
	*(char ***)ret = a;
	return 0;
}

int doc_strv(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	return strv_of(d, f, v, false, ret);
}

int doc_strv_dup(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	return strv_of(d, f, v, true, ret);
}

int doc_json(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	(void)d;
	(void)f;
	*(json_t **)ret = v;
	return 0;
}

int doc_object(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	return doc_dispatch(d, v, f->table, ret);
}

int doc_objects(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	size_t n = json_array_size(v);
	size_t *count = (size_t *)((char *)ret - f->offset + f->count);
	if (*(void **)ret)
		return doc_fail(d, "read twice"); /* a table naming one array twice */
	char *a = calloc(n ? n : 1, f->size);
	if (!a)
		return doc_failc(d, -ENOMEM, "out of memory");
	*(void **)ret = a;
	*count = 0;
	bool failed = false;
	for (size_t i = 0; i < n; i++) {
		const char *id = d->id;
		size_t mark = doc_enter_index(d, i);
		*count = i + 1;
		int r = doc_dispatch(d, json_array_get(v, i), f->table, a + i * f->size);
		if (r < 0 && !noted(d, r))
			return r;
		failed |= r < 0;
		doc_leave(d, mark);
		d->id = id;
	}
	return failed ? d->code : 0;
}
