/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fjson: the collector's fast reading of a submitted JSON document (fjson.h).
 *
 * Why not jansson here: the collector parses every submitted document on its request
 * threads, and jansson's json_loadb (which reads a character at a time through a
 * function pointer and a saved-text buffer) took 65 us of CPU for a 4.7 KB report and
 * 600 us for a 50 KB one: more than the whole CPU a report has at the goal rate
 * (10,000 reports/s on 2 cores). The rest of excise keeps jansson.
 *
 * Every other reader of a stored document (attestation checks, reports) uses jansson:
 * the collector must never store a body they refuse, nor read a value differently. So
 * the one pass over the bytes (walk) refuses what jansson (JSON_REJECT_DUPLICATES)
 * refuses, and fjson_parse refuses a member name given twice in any object, on the
 * tree: pairwise in small objects, sorted in large ones (no quadratic cost on a
 * 100,000-member object). What fjson refuses that jansson would take: arrays and
 * objects nested deeper than EXCISE_MAX_SUBMIT_DEPTH (jansson stops at 2048 values).
 *
 * The same pass builds the tree, as cJSON nodes (ingest reads it with cJSON's
 * accessors) in an arena of the struct fjson, so that freeing it is one free per
 * chunk. cJSON's own parser built it until 2026-12 (after this check, a second pass):
 * it took more CPU than the check, trying "null", "false" and "true" with strncmp
 * before every value and converting every number with strtod. A string is copied and
 * decoded (escapes to UTF-8) once; a number's node carries no value (the collector
 * reads none but the watched member's, with fjson_int from the text).
 *
 * Strings are scanned eight bytes at a time: a word with no quote, backslash, control
 * character or byte >= 0x80 is skipped whole.
 */
#include "fleet/fjson.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/limits.h"

static int fail(struct excise_err *err, size_t at, const char *what)
{
	return err_set(err, -EXCISE_E_CORRUPT, "document: byte %zu: %s", at, what);
}

/* ---- the strict pass ---- */

struct scan {
	const unsigned char *b, *end;
	struct excise_err *err;
	bool esc;                 /* the last string had an escape */
};

static const unsigned char *ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
		p++;
		/* an indentation: eight spaces at a time */
		while (end - p >= 8 && !memcmp(p, "        ", 8))
			p += 8;
	}
	return p;
}

static bool digit(unsigned c)
{
	return c - '0' < 10;
}

static int hexval(unsigned c)
{
	if (digit(c))
		return (int)(c - '0');
	c |= 0x20;
	return c - 'a' < 6 ? (int)(c - 'a' + 10) : -1;
}

/* The four hex digits at p (p + 4 <= end), or -1. */
static long hex4(const unsigned char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* The length of the UTF-8 sequence at p (a byte >= 0x80), 0 when it is not one jansson
 * takes: no overlong form, no surrogate, nothing past U+10FFFF. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
	if (!n || (size_t)(end - p) < n)
		return 0;
	uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

/* Bytes of the word that need a look inside a string: below 0x20, '"', '\\', >= 0x80.
 * The lowest flagged byte is always a true one (the borrows only run upwards). */
static uint64_t special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t q = w ^ (ones * '"'), s = w ^ (ones * '\\');
	return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((s - ones) & ~s) | w) & high;
}

/* The string at p (a '"'): where it ends, or NULL. */
static const unsigned char *string(struct scan *sc, const unsigned char *p)
{
	const unsigned char *end = sc->end;
	p++;
	sc->esc = false;
	for (;;) {
		while (end - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			uint64_t m = special8(w);
			if (!m) {
				p += 8;
				continue;
			}
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			p += __builtin_ctzll(m) >> 3;
#endif
			break;
		}
		if (p >= end)
			return fail(sc->err, (size_t)(end - sc->b), "a string without its closing quote"), NULL;
		unsigned c = *p;
		if (c == '"')
			return p + 1;
		if (c < 0x20) {
			err_set(sc->err, -EXCISE_E_CORRUPT, "document: byte %zu: control character 0x%02x in a string",
				(size_t)(p - sc->b), c);
			return NULL;
		}
		if (c >= 0x80) {
			size_t n = utf8_len(p, end);
			if (!n)
				return fail(sc->err, (size_t)(p - sc->b), "not UTF-8"), NULL;
			p += n;
			continue;
		}
		if (c != '\\') {
			p++;
			continue;
		}
		size_t at = (size_t)(p - sc->b);
		sc->esc = true;
		if (end - p < 2)
			return fail(sc->err, at, "a string without its closing quote"), NULL;
		c = p[1];
		if (c != 'u') {
			if (!strchr("\"\\/bfnrt", (int)c) || !c)
				return fail(sc->err, at, "an escape other than \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"), NULL;
			p += 2;
			continue;
		}
		long u = end - p >= 6 ? hex4(p + 2) : -1;
		if (u < 0)
			return fail(sc->err, at, "\\u without four hex digits"), NULL;
		if (u == 0)
			return fail(sc->err, at, "\\u0000 (a NUL character) is not allowed"), NULL;
		if (u >= 0xDC00 && u <= 0xDFFF)
			return fail(sc->err, at, "a low surrogate escape without a high one before it"), NULL;
		p += 6;
		if (u >= 0xD800 && u <= 0xDBFF) {
			long l = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
			if (l < 0xDC00 || l > 0xDFFF)
				return fail(sc->err, at, "a high surrogate escape without a low one after it"), NULL;
			p += 6;
		}
	}
}

/* The character at *p of a string checked by string(): its UTF-8 bytes into u,
 * their count returned, *p past it (an escape decoded, else one byte as it is). */
static size_t unescape(const unsigned char **pp, unsigned char u[4])
{
	const unsigned char *p = *pp;
	size_t n = 1;
	if (*p != '\\')
		u[0] = *p++;
	else if (p[1] != 'u') {
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		u[0] = (unsigned char)to[strchr(from, p[1]) - from];
		p += 2;
	} else {
		uint32_t cp = (uint32_t)hex4(p + 2);
		p += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)hex4(p + 2) - 0xDC00);
			p += 6;
		}
		if (cp < 0x80)
			u[0] = (unsigned char)cp;
		else if (cp < 0x800) {
			u[0] = (unsigned char)(0xC0 | cp >> 6);
			u[1] = (unsigned char)(0x80 | (cp & 0x3F));
			n = 2;
		} else if (cp < 0x10000) {
			u[0] = (unsigned char)(0xE0 | cp >> 12);
			u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			u[2] = (unsigned char)(0x80 | (cp & 0x3F));
			n = 3;
		} else {
			u[0] = (unsigned char)(0xF0 | cp >> 18);
			u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
			u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			u[3] = (unsigned char)(0x80 | (cp & 0x3F));
			n = 4;
		}
	}
	*pp = p;
	return n;
}

/* The name between p and e (checked by string()) decoded equals `want`. */
static bool name_eq(const unsigned char *p, const unsigned char *e, const char *want)
{
	const unsigned char *w = (const unsigned char *)want;
	while (p < e) {
		unsigned char u[4];
		size_t n = unescape(&p, u);
		for (size_t i = 0; i < n; i++)
			if (*w++ != u[i])   /* u[i] is never 0: the end of want stops it */
				return false;
	}
	return !*w;
}

static locale_t c_locale;

/* The number at p ('-' or a digit): where it ends, or NULL. */
static const unsigned char *number(struct scan *sc, const unsigned char *p)
{
	const unsigned char *start = p, *end = sc->end;
	bool neg = *p == '-';
	if (neg)
		p++;
	if (p >= end || !digit(*p))
		return fail(sc->err, (size_t)(p - sc->b), "expected a digit"), NULL;
	uint64_t mag = 0;
	bool big = false;
	const unsigned char *int_start = p;
	if (*p == '0') {
		p++;
		if (p < end && digit(*p))
			return fail(sc->err, (size_t)(p - sc->b), "a number with a leading zero"), NULL;
	} else
		for (; p < end && digit(*p); p++) {
			unsigned dg = *p - '0';
			if (mag > (UINT64_MAX - dg) / 10)
				big = true;
			else
				mag = mag * 10 + dg;
		}
	size_t int_digits = (size_t)(p - int_start);
	bool real = false;
	long exp10 = 0;   /* the exponent, saturated */
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !digit(*p))
			return fail(sc->err, (size_t)(p - sc->b), "expected a digit after the decimal point"), NULL;
		while (p < end && digit(*p))
			p++;
		real = true;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		bool eneg = p < end && *p == '-';
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !digit(*p))
			return fail(sc->err, (size_t)(p - sc->b), "expected a digit in the exponent"), NULL;
		for (; p < end && digit(*p); p++)
			if (exp10 < 1000000)
				exp10 = exp10 * 10 + (*p - '0');
		if (eneg)
			exp10 = -exp10;
		real = true;
	}
	if (!real) {
		if (big || mag > (uint64_t)INT64_MAX + neg)
			return fail(sc->err, (size_t)(start - sc->b), "an integer outside the 64-bit range"), NULL;
	} else if ((long)int_digits + exp10 > 308) {
		/* below 10^(int_digits + exp10) <= 10^308 it cannot overflow; else jansson
		 * refuses a real that strtod takes to infinity. The text ends at a byte strtod
		 * stops at (s[len] is '\0'), in the C locale as jansson converts it */
		double v = strtod_l((const char *)start, NULL, c_locale);
		if (isinf(v))
			return fail(sc->err, (size_t)(start - sc->b), "a number too large for a double"), NULL;
	}
	return p;
}

static const unsigned char *literal(struct scan *sc, const unsigned char *p, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(sc->end - p) < n || memcmp(p, word, n))
		return fail(sc->err, (size_t)(p - sc->b), "expected a value"), NULL;
	return p + n;
}

/* ---- the tree, in an arena ---- */

struct fjson_chunk {
	struct fjson_chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

/* The largest chunk of the thread's last document, kept for its next one (a fresh
 * chunk costs a page fault per page touched): freed when the thread ends. */
static pthread_key_t spare_key;
enum { SPARE_MAX = 1 << 20 };

/* n bytes aligned to `align` (a power of two), or NULL (j->oom). */
static void *arena_alloc(struct fjson *j, size_t n, size_t align)
{
	struct fjson_chunk *c = j->chunks;
	if (c) {
		size_t at = (c->used + align - 1) & ~(align - 1);
		if (at <= c->cap && c->cap - at >= n) {
			c->used = at + n;
			return c->data + at;
		}
	} else if ((c = pthread_getspecific(spare_key)) && c->cap >= n) {
		pthread_setspecific(spare_key, NULL);
		c->next = NULL;
		c->used = n;
		j->chunks = c;
		return c->data;
	} else
		c = NULL;
	size_t cap = c ? 2 * c->cap : 0;
	if (cap < n)
		cap = n;
	if (cap < 16384)
		cap = 16384;
	struct fjson_chunk *nc = malloc(sizeof(*nc) + cap);
	if (!nc) {
		j->oom = true;
		return NULL;
	}
	nc->next = c;
	nc->used = n;
	nc->cap = cap;
	j->chunks = nc;
	return nc->data;
}

static cJSON *node(struct fjson *j, int type)
{
	cJSON *x = arena_alloc(j, sizeof(*x), alignof(cJSON));
	if (x) {
		memset(x, 0, sizeof(*x));
		x->type = type;
	}
	return x;
}

/* The string between p and e (checked by string(); `esc` when it has an escape),
 * decoded, NUL-terminated (never longer than as written: an escape is at least as
 * long as the UTF-8 it stands for). */
static char *text(struct fjson *j, const unsigned char *p, const unsigned char *e, bool esc)
{
	size_t n = (size_t)(e - p);
	unsigned char *out = arena_alloc(j, n + 1, 1), *o = out;
	if (!out)
		return NULL;
	if (!esc) {
		memcpy(out, p, n);
		out[n] = '\0';
		return (char *)out;
	}
	while (p < e) {
		const unsigned char *bs = memchr(p, '\\', (size_t)(e - p));
		if (!bs)
			bs = e;
		memcpy(o, p, (size_t)(bs - p));
		o += bs - p;
		p = bs;
		if (p < e)
			o += unescape(&p, o);
	}
	*o = '\0';
	return (char *)out;
}

/* x into the array or object `parent` (NULL: x is the root), named `name` in an
 * object; cJSON's lists: next and prev, the first child's prev its last. */
static void attach(struct fjson *j, cJSON *parent, cJSON *x, char *name)
{
	x->string = name;
	if (!parent) {
		j->root = x;
		return;
	}
	cJSON *first = parent->child;
	if (!first) {
		parent->child = x;
	} else {
		first->prev->next = x;
		x->prev = first->prev;
	}
	parent->child->prev = x;
}

/* ---- the one pass: checked, and the tree built when j is not NULL ---- */

/* A member's name at p and its ':' (p at the name's quote): where the value starts
 * (whitespace skipped), or NULL; with j, *ret the name decoded. */
static const unsigned char *member_name(struct scan *sc, const unsigned char *p, bool top, const char *member,
					size_t *member_at, struct fjson *j, char **ret)
{
	if (p >= sc->end || *p != '"')
		return fail(sc->err, (size_t)(p - sc->b), "expected a member name (a string)"), NULL;
	const unsigned char *name = p + 1;
	if (!(p = string(sc, p)))
		return NULL;
	/* the watched member: as written, or decoded when it has escapes */
	size_t n = (size_t)(p - 1 - name);
	bool match = top && member &&
		     ((n == strlen(member) && !memcmp(name, member, n)) || (sc->esc && name_eq(name, p - 1, member)));
	if (j && !(*ret = text(j, name, p - 1, sc->esc)))
		return NULL;
	p = ws(p, sc->end);
	if (p >= sc->end || *p != ':')
		return fail(sc->err, (size_t)(p - sc->b), "expected ':' after a member name"), NULL;
	p = ws(p + 1, sc->end);
	if (match)
		*member_at = (size_t)(p - sc->b);
	return p;
}

static int walk(const char *s, size_t len, const char *member, size_t *member_at, struct fjson *j,
		struct excise_err *err)
{
	struct scan sc = { (const unsigned char *)s, (const unsigned char *)s + len, err, false };
	const unsigned char *p = ws(sc.b, sc.end);
	uint64_t is_obj[(EXCISE_MAX_SUBMIT_DEPTH + 63) / 64] = { 0 };
	cJSON *parent[EXCISE_MAX_SUBMIT_DEPTH]; /* with j: the open arrays and objects */
	char *name = NULL;                      /* with j: the next value's member name */
	size_t depth = 0;
	*member_at = SIZE_MAX;
	if (p >= sc.end || (*p != '{' && *p != '['))
		return fail(err, (size_t)(p - sc.b), "expected '{' or '['");
#define OOM() (j && j->oom ? err_set(err, -ENOMEM, "document: out of memory") : -EXCISE_E_CORRUPT)
	for (;;) {
		/* a value */
		if (p >= sc.end)
			return fail(err, len, "the document ends where a value should be");
		const unsigned char *v = p;
		int type = cJSON_Invalid;
		switch (*p) {
		case '{':
		case '[': {
			bool obj = *p == '{';
			if (depth == EXCISE_MAX_SUBMIT_DEPTH)
				return err_set(err, -EXCISE_E_CORRUPT,
					       "document: byte %zu: arrays and objects nested deeper than %u "
					       "(EXCISE_MAX_SUBMIT_DEPTH)",
					       (size_t)(p - sc.b), EXCISE_MAX_SUBMIT_DEPTH);
			if (obj)
				is_obj[depth / 64] |= 1ull << (depth % 64);
			else
				is_obj[depth / 64] &= ~(1ull << (depth % 64));
			if (j) {
				cJSON *x = node(j, obj ? cJSON_Object : cJSON_Array);
				if (!x)
					return OOM();
				attach(j, depth ? parent[depth - 1] : NULL, x, name);
				parent[depth] = x;
				name = NULL; /* an array's values have none; an object's come with each */
			}
			depth++;
			p = ws(p + 1, sc.end);
			if (p < sc.end && *p == (obj ? '}' : ']')) {
				p++;
				depth--;
				break;
			}
			if (obj && !(p = member_name(&sc, p, depth == 1, member, member_at, j, &name)))
				return OOM();
			continue;
		}
		case '"':
			p = string(&sc, p);
			type = cJSON_String;
			break;
		case 't':
			p = literal(&sc, p, "true");
			type = cJSON_True;
			break;
		case 'f':
			p = literal(&sc, p, "false");
			type = cJSON_False;
			break;
		case 'n':
			p = literal(&sc, p, "null");
			type = cJSON_NULL;
			break;
		default:
			if (*p == '-' || digit(*p))
				p = number(&sc, p);
			else
				return fail(err, (size_t)(p - sc.b), "expected a value");
			type = cJSON_Number;
		}
		if (!p)
			return -EXCISE_E_CORRUPT;
		if (j && *v != '{' && *v != '[') { /* a scalar (an empty array or object is built) */
			cJSON *x = node(j, type);
			if (!x || (type == cJSON_String && !(x->valuestring = text(j, v + 1, p - 1, sc.esc))))
				return OOM();
			if (type == cJSON_True)
				x->valueint = 1; /* as cJSON sets it */
			attach(j, parent[depth - 1], x, name);
		}
		/* after a value: the ends of arrays and objects, then a comma */
		for (;;) {
			p = ws(p, sc.end);
			if (!depth) {
				if (p != sc.end)
					return fail(err, (size_t)(p - sc.b), "more after the end of the document");
				return 0;
			}
			bool obj = is_obj[(depth - 1) / 64] >> ((depth - 1) % 64) & 1;
			char close = obj ? '}' : ']';
			if (p < sc.end && *p == ',') {
				p = ws(p + 1, sc.end);
				if (p < sc.end && *p == close)
					return fail(err, (size_t)(p - sc.b), obj ? "a comma before '}'" : "a comma before ']'");
				if (obj && !(p = member_name(&sc, p, depth == 1, member, member_at, j, &name)))
					return OOM();
				if (!obj)
					name = NULL;
				break;
			}
			if (p < sc.end && *p == close) {
				p++;
				depth--;
				continue;
			}
			return fail(err, (size_t)(p - sc.b), obj ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
#undef OOM
}

int fjson_check(const char *s, size_t len, const char *member, size_t *member_at, struct excise_err *err)
{
	return walk(s, len, member, member_at, NULL, err);
}

bool fjson_int(const char *s, size_t at, int64_t *ret)
{
	const char *p = s + at + (s[at] == '-');
	if (!digit((unsigned char)*p))
		return false;
	while (digit((unsigned char)*p))
		p++;
	if (*p == '.' || *p == 'e' || *p == 'E')
		return false;
	*ret = strtoll(s + at, NULL, 10);   /* in range: fjson_check */
	return true;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (pthread_key_create(&spare_key, free))
		c_locale = (locale_t)0;   /* reported as out of memory */
}

/* The JSON pointer of path[n] (path[0] the root), cut to fit `size`. */
static void pointer(const cJSON *const *path, size_t n, char *out, size_t size)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 1; i <= n && o + 1 < size; i++) {
		out[o++] = '/';
		if (cJSON_IsObject(path[i - 1])) {
			for (const char *k = path[i]->string; *k && o + 2 < size; k++) {
				if (*k == '~' || *k == '/') {
					out[o++] = '~';
					out[o++] = *k == '~' ? '0' : '1';
				} else
					out[o++] = *k;
			}
		} else {
			size_t k = 0;
			for (const cJSON *x = path[i - 1]->child; x && x != path[i]; x = x->next)
				k++;
			o += (size_t)snprintf(out + o, size - o, "%zu", k);
		}
		if (o >= size)
			o = size - 1;
		out[o] = '\0';
	}
	if (!out[0])
		snprintf(out, size, "/");
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* A member name of `o` given twice: *dup is its name, or NULL. -ENOMEM on no memory. */
static int object_dup(const cJSON *o, const char **dup)
{
	enum { SMALL = 16 };
	const char *name[SMALL];
	unsigned head[SMALL];
	size_t n = 0;
	*dup = NULL;
	const cJSON *x = o->child;
	for (; x && n < SMALL; x = x->next, n++) {
		name[n] = x->string;
		head[n] = (unsigned char)name[n][0] ? (unsigned char)name[n][0] | (unsigned char)name[n][1] << 8 : 0;
	}
	if (!x) {
		/* pairwise, the first two bytes compared before the names */
		for (size_t i = 1; i < n; i++)
			for (size_t k = 0; k < i; k++)
				if (head[i] == head[k] && !strcmp(name[i], name[k])) {
					*dup = name[i];
					return 0;
				}
		return 0;
	}
	for (; x; x = x->next)
		n++;
	const cJSON **v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (x = o->child; x; x = x->next)
		v[n++] = x;
	qsort(v, n, sizeof(*v), cmp_name);
	for (size_t i = 1; i < n && !*dup; i++)
		if (!strcmp(v[i - 1]->string, v[i]->string))
			*dup = v[i]->string;
	free(v);
	return 0;
}

static int check_dups(const cJSON *root, struct excise_err *err)
{
	const cJSON *path[EXCISE_MAX_SUBMIT_DEPTH + 1];
	size_t n = 0;
	const cJSON *x = path[0] = root;
	for (;;) {
		int type = x->type & 0xFF;
		if (type == cJSON_Object) {
			const char *dup;
			if (object_dup(x, &dup) < 0)
				return err_set(err, -ENOMEM, "document: out of memory");
			if (dup) {
				char ptr[256];
				pointer(path, n, ptr, sizeof(ptr));
				return err_set(err, -EXCISE_E_CORRUPT, "document: %s: the member \"%.80s\" twice", ptr,
					       dup);
			}
		}
		if ((type == cJSON_Object || type == cJSON_Array) && x->child) {
			x = path[++n] = x->child;
			continue;
		}
		while (n && !x->next)
			x = path[--n];
		if (!n)
			return 0;
		x = path[n] = x->next;
	}
}

int fjson_parse(struct fjson *j, const char *s, size_t len, const char *member, struct excise_err *err)
{
	memset(j, 0, sizeof(*j));
	pthread_once(&once, init);
	if (!c_locale)
		return err_set(err, -ENOMEM, "document: out of memory");
	int r = walk(s, len, member, &j->member_at, j, err);
	if (r >= 0)
		r = check_dups(j->root, err);
	if (r < 0)
		fjson_done(j);
	return r;
}

void fjson_done(struct fjson *j)
{
	struct fjson_chunk *keep = NULL;
	for (struct fjson_chunk *c = j->chunks, *next; c; c = next) {
		next = c->next;
		if (!keep && c->cap <= SPARE_MAX)
			keep = c;    /* the newest, the largest */
		else
			free(c);
	}
	if (keep) {
		struct fjson_chunk *old = pthread_getspecific(spare_key);
		if (old && old->cap >= keep->cap)
			free(keep);
		else if (pthread_setspecific(spare_key, keep))
			free(keep);
		else
			free(old);
	}
	memset(j, 0, sizeof(*j));
}
