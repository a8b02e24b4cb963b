/* SPDX-License-Identifier: Apache-2.0 */
/* text: UTF-8 validation, hex, case folding, UUIDs. */
#include "core/text.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Length of the valid UTF-8 sequence at s[i..], or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t len)
{
	unsigned char c = s[i];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t min, cp;
	if ((c & 0xE0) == 0xC0) {
		n = 2, min = 0x80, cp = c & 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3, min = 0x800, cp = c & 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4, min = 0x10000, cp = c & 0x07;
	} else {
		return 0;
	}
	if (len - i < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[i + k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i + k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(u, i, len);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

void utf8_sanitize(struct buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = 0;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(u, i, len);
		if (n) {
			i += n;
			continue;
		}
		buf_add(b, s + start, i - start);
		buf_add(b, "\xEF\xBF\xBD", 3);
		start = ++i;
	}
	buf_add(b, s + start, len - start);
}

void hex_append(struct buf *b, const void *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *u = p;
	for (size_t i = 0; i < len; i++) {
		char two[2] = { digits[u[i] >> 4], digits[u[i] & 15] };
		buf_add(b, two, 2);
	}
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int hex_decode(const char *h, size_t hlen, char **ret, size_t *ret_len)
{
	if (hlen % 2)
		return -EINVAL;
	size_t len = hlen / 2;
	char *p = malloc(len + 1);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);
		if (a < 0 || b < 0) {
			free(p);
			return -EINVAL;
		}
		p[i] = (char)(a * 16 + b);
	}
	p[len] = 0;
	*ret = p;
	if (ret_len)
		*ret_len = len;
	return 0;
}

void ascii_lower(char *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
}

char *strip(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

int uuid_v4(char out[37])
{
	unsigned char r[16];
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t k = getrandom(r + got, sizeof(r) - got, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)k;
	}
	r[6] = (r[6] & 0x0F) | 0x40;
	r[8] = (r[8] & 0x3F) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
		 r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
		 r[15]);
	return 0;
}

char *strdup_or_null(const char *s, int *err)
{
	if (!s)
		return NULL;
	char *p = strdup(s);
	if (!p)
		*err = -ENOMEM;
	return p;
}

void time_rfc3339(int64_t ns, char out[32])
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char date[24];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03dZ", date, (int)((ns / 1000000) % 1000));
}

/* A code point a terminal acts on instead of showing: C1 controls and the bidirectional controls. */
static bool cp_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void text_escape(struct buf *b, const char *s, size_t len, unsigned flags)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = 0; /* bytes since `start` are appended as they are */
	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];
		size_t n = utf8_seq(u, i, len);
		bool keep = n > 1 || (n == 1 && c >= 0x20 && c != 0x7f && (c != '\\' || !(flags & TEXT_ESC_BACKSLASH))) ||
			    (c == '\n' && (flags & TEXT_ESC_KEEP_NL)) || (c == '\t' && (flags & TEXT_ESC_KEEP_TAB));
		uint32_t cp = 0;
		if (n > 1) {
			cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
			for (size_t k = 1; k < n; k++)
				cp = (cp << 6) | (u[i + k] & 0x3f);
			keep = !cp_hidden(cp);
		}
		if (keep) {
			i += n;
			continue;
		}
		buf_add(b, s + start, i - start);
		if (flags & TEXT_ESC_JSON)
			buf_addf(b, "\\u%04x", n > 1 ? (unsigned)cp : n == 1 ? c : 0xfffdu);
		else if (n > 1)
			buf_addf(b, "\\u%04x", (unsigned)cp);
		else if (c == '\\')
			buf_adds(b, "\\\\");
		else if (n == 1 && (c == '\n' || c == '\t' || c == '\r'))
			buf_adds(b, c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r");
		else
			buf_addf(b, "\\x%02x", c);
		i += n ? n : 1;
		start = i;
	}
	buf_add(b, s + start, len - start);
}

bool text_char_unsafe(const char *s, size_t len, size_t *n, uint32_t *cp, bool *valid)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k = utf8_seq(u, 0, len);
	*valid = k != 0;
	*n = k ? k : 1;
	*cp = u[0];
	if (k > 1) {
		*cp = u[0] & (k == 2 ? 0x1f : k == 3 ? 0x0f : 0x07);
		for (size_t i = 1; i < k; i++)
			*cp = (*cp << 6) | (u[i] & 0x3f);
		return cp_hidden(*cp);
	}
	return !k || u[0] < 0x20 || u[0] == 0x7f;
}

char *excise_text_escape(const char *s, unsigned flags)
{
	if (!s)
		return NULL;
	struct buf b;
	buf_init(&b, 0);
	text_escape(&b, s, strlen(s), flags);
	char *out;
	return buf_take(&b, &out) < 0 ? NULL : out;
}

int text_vprintf(FILE *out, const char *fmt, va_list ap)
{
	for (const char *f = fmt; *f; f++) {
		if (f[0] == '%' && f[1] == 's') {
			const char *a = va_arg(ap, const char *);
			struct buf b;
			buf_init(&b, 0);
			text_escape(&b, a ? a : "(null)", a ? strlen(a) : 6, 0);
			fputs(b.err ? "?" : b.p, out);
			buf_done(&b);
			f++;
		} else if (f[0] == '%' && f[1] == 'u') {
			fprintf(out, "%u", va_arg(ap, unsigned));
			f++;
		} else if (f[0] == '%' && f[1] == 'z' && f[2] == 'u') {
			fprintf(out, "%zu", va_arg(ap, size_t));
			f += 2;
		} else if (f[0] == '%' && f[1] == '%') {
			fputc('%', out);
			f++;
		} else {
			fputc(*f, out);
		}
	}
	return ferror(out) ? -EIO : 0;
}

int text_printf(FILE *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = text_vprintf(out, fmt, ap);
	va_end(ap);
	return r;
}

int excise_text_printf(FILE *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = text_vprintf(out, fmt, ap);
	va_end(ap);
	return r;
}

void csv_cell(struct buf *b, const char *s)
{
	struct buf e;
	buf_init(&e, 0);
	if (s && s[0] && strchr("=+-@\t\r", s[0]))
		buf_addc(&e, '\'');
	/* bytes that are not UTF-8 become U+FFFD, as in the JSON report (path_hex has them) */
	struct buf u;
	buf_init(&u, 0);
	utf8_sanitize(&u, s ? s : "", s ? strlen(s) : 0);
	text_escape(&e, u.p, u.n, TEXT_ESC_KEEP_NL | TEXT_ESC_KEEP_TAB);
	if (u.err)
		e.err = u.err;
	buf_done(&u);
	if (e.err) {
		if (!b->err)
			b->err = e.err;
	} else if (strpbrk(e.p, ",\"\r\n")) {
		buf_addc(b, '"');
		for (const char *p = e.p; *p; p++) {
			if (*p == '"')
				buf_addc(b, '"');
			buf_addc(b, *p);
		}
		buf_addc(b, '"');
	} else {
		buf_add(b, e.p, e.n);
	}
	buf_done(&e);
}
