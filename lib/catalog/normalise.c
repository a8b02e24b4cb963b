/* SPDX-License-Identifier: Apache-2.0 */
/*
 * normalise: human text in the form the matcher compares (see normalise.h).
 * Unicode comes from utf8proc (NFKC, case folding, general categories); the
 * only table here is the list of quotation marks.
 */
#include "catalog/normalise.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static bool is_quote(int32_t c)
{
	switch (c) {
	case 0x22: case 0x27: case 0x60:          /* " ' ` */
	case 0xB4:                                /* ´ (NFKC would make it a space and a combining accent) */
	case 0xAB: case 0xBB:                     /* « » */
	case 0x2018: case 0x2019: case 0x201A: case 0x201B:
	case 0x201C: case 0x201D: case 0x201E: case 0x201F:
	case 0x2039: case 0x203A:                 /* ‹ › */
	case 0xFF02: case 0xFF07: case 0xFF40:    /* fullwidth " ' ` */
		return true;
	default:
		return false;
	}
}

static bool is_punct(int32_t c)
{
	utf8proc_category_t k = utf8proc_category(c);
	return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_SO;
}

static bool is_space(int32_t c)
{
	utf8proc_category_t k = utf8proc_category(c);
	return c == ' ' || (k >= UTF8PROC_CATEGORY_ZS && k <= UTF8PROC_CATEGORY_CC);
}

static bool ascii_punct(unsigned char c)
{
	return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
	       (c >= 0x7B && c <= 0x7E);
}

static bool glob_meta(int32_t c)
{
	return c == '*' || c == '?' || c == '[' || c == '\\';
}

/* Copy a glob's bracket expression or escape starting at s[i] (a '[' or '\')
 * verbatim, ASCII folded with `fold`; returns the index after it. An unclosed
 * '[' is copied to the end. */
static size_t glob_copy(const unsigned char *s, size_t len, size_t i, bool fold, char *out, size_t *o)
{
	size_t end = i + 1;
	if (s[i] == '\\') {
		end = i + 2 <= len ? i + 2 : len;
	} else {
		if (end < len && (s[end] == '!' || s[end] == '^'))
			end++;
		if (end < len && s[end] == ']')
			end++;
		while (end < len && s[end] != ']')
			end++;
		if (end < len)
			end++;
	}
	for (; i < end; i++)
		out[(*o)++] = (char)(fold && s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	return end;
}

/* The ASCII rules over bytes; a byte >= 0x80 is kept as a letter. out holds len + 1. */
static size_t ascii_pass(const unsigned char *s, size_t len, unsigned flags, char *out)
{
	bool fold = flags & NORMALISE_FOLD, punct = flags & NORMALISE_PUNCT, glob = flags & NORMALISE_GLOB;
	size_t o = 0;
	bool pending = false;
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		if (c == '"' || c == '\'' || c == '`') {
			i++;
			continue;
		}
		if (glob && glob_meta(c)) {
			if (pending)
				out[o++] = ' ';
			pending = false;
			if (c == '*' || c == '?')
				out[o++] = (char)s[i++];
			else
				i = glob_copy(s, len, i, fold, out, &o);
			continue;
		}
		if (c <= 0x20 || c == 0x7F || (punct && ascii_punct(c))) {
			pending = o > 0;
			i++;
			continue;
		}
		if (pending)
			out[o++] = ' ';
		pending = false;
		out[o++] = (char)(fold && c >= 'A' && c <= 'Z' ? c + 32 : c);
		i++;
	}
	out[o] = 0;
	return o;
}

/* Step 1 and 2 over valid UTF-8: quotes dropped, punctuation made spaces.
 * Returns the length written to out (at most len), or -1 for invalid UTF-8. */
static ssize_t pre_pass(const unsigned char *s, size_t len, unsigned flags, char *out)
{
	bool punct = flags & NORMALISE_PUNCT, glob = flags & NORMALISE_GLOB;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0)
			return -1;
		if (glob && glob_meta(c)) {
			if (c == '*' || c == '?')
				out[o++] = (char)s[i++];
			else
				i = glob_copy(s, len, i, false, out, &o);
			continue;
		}
		if (is_quote(c)) {
			i += (size_t)n;
			continue;
		}
		if (punct && is_punct(c)) {
			out[o++] = ' ';
			i += (size_t)n;
			continue;
		}
		memcpy(out + o, s + i, (size_t)n);
		o += (size_t)n;
		i += (size_t)n;
	}
	return (ssize_t)o;
}

/* Step 4 in place over utf8proc's output: spaces collapsed and trimmed. */
static size_t post_pass(unsigned char *s, size_t len, unsigned flags)
{
	bool punct = flags & NORMALISE_PUNCT, glob = flags & NORMALISE_GLOB;
	size_t o = 0;
	bool pending = false;
	for (size_t i = 0; i < len;) {
		int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0) { /* utf8proc writes valid UTF-8; keep the byte if it ever did not */
			c = -1;
			n = 1;
		}
		if (glob && glob_meta(c)) {
			if (pending)
				s[o++] = ' ';
			pending = false;
			if (c == '*' || c == '?')
				s[o++] = s[i++];
			else
				i = glob_copy(s, len, i, false, (char *)s, &o);
			continue;
		}
		if (c >= 0 && is_quote(c)) {
			i += (size_t)n;
			continue;
		}
		if (c >= 0 && (is_space(c) || (punct && is_punct(c)))) {
			pending = o > 0;
			i += (size_t)n;
			continue;
		}
		if (pending)
			s[o++] = ' ';
		pending = false;
		memmove(s + o, s + i, (size_t)n);
		o += (size_t)n;
		i += (size_t)n;
	}
	s[o] = 0;
	return o;
}

ssize_t normalise(const char *s, size_t len, unsigned flags, char *stack, size_t size, char **ret)
{
	const unsigned char *u = (const unsigned char *)s;
	bool ascii = true;
	for (size_t i = 0; i < len && ascii; i++)
		ascii = u[i] < 0x80;
	char *out = NULL;
	if (!ascii) {
		char *pre = malloc(len + 1);
		if (!pre)
			return -ENOMEM;
		ssize_t pl = pre_pass(u, len, flags, pre);
		if (pl >= 0) {
			utf8proc_uint8_t *m = NULL;
			int opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
				  ((flags & NORMALISE_FOLD) ? UTF8PROC_CASEFOLD : 0);
			utf8proc_ssize_t ml = utf8proc_map((const utf8proc_uint8_t *)pre, pl, &m, opt);
			free(pre);
			if (ml == UTF8PROC_ERROR_NOMEM)
				return -ENOMEM;
			if (ml >= 0) {
				*ret = (char *)m;
				return (ssize_t)post_pass(m, (size_t)ml, flags);
			}
			free(m);
		} else {
			free(pre);
		}
		/* invalid UTF-8: the ASCII rules over the bytes */
	}
	out = len < size ? stack : malloc(len + 1);
	if (!out)
		return -ENOMEM;
	*ret = out;
	return (ssize_t)ascii_pass(u, len, flags, out);
}

/* ASCII capitals are parked in the supplementary private use area while
 * utf8proc folds the rest, then put back. */
#define PARK 0xF0000

static utf8proc_int32_t park_ascii_upper(utf8proc_int32_t c, void *ud)
{
	(void)ud;
	return c >= 'A' && c <= 'Z' ? PARK + c : c;
}

int normalise_regex(const char *re, bool fold, char **ret)
{
	*ret = NULL;
	size_t len = strlen(re);
	const unsigned char *u = (const unsigned char *)re;
	for (size_t i = 0; i < len;) {
		int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(u + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0 || (c >= PARK + 'A' && c <= PARK + 'Z'))
			return -EINVAL;
		i += (size_t)n;
	}
	utf8proc_uint8_t *m = NULL;
	int opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | (fold ? UTF8PROC_CASEFOLD : 0);
	utf8proc_ssize_t ml = utf8proc_map_custom(u, (utf8proc_ssize_t)len, &m, opt,
						  fold ? park_ascii_upper : NULL, NULL);
	if (ml < 0)
		return ml == UTF8PROC_ERROR_NOMEM ? -ENOMEM : -EINVAL;
	/* put the parked capitals back (4 bytes each in UTF-8, 1 byte back) */
	size_t o = 0;
	for (size_t i = 0; i < (size_t)ml;) {
		int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(m + i, ml - (utf8proc_ssize_t)i, &c);
		if (n <= 0)
			n = 1, c = -1;
		if (c >= PARK + 'A' && c <= PARK + 'Z')
			m[o++] = (utf8proc_uint8_t)(c - PARK);
		else
			memmove(m + o, m + i, (size_t)n), o += (size_t)n;
		i += (size_t)n;
	}
	m[o] = 0;
	*ret = (char *)m;
	return 0;
}
