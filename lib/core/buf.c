/* SPDX-License-Identifier: Apache-2.0 */
/* buf: growable, capped, sticky-error byte buffer. */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "excise/error.h"

static char empty[1];

void buf_init(struct buf *b, size_t cap)
{
	*b = (struct buf){ .p = empty, .cap = cap ? cap : (size_t)-1 / 2 };
}

void buf_done(struct buf *b)
{
	if (b->size)
		free(b->p);
	buf_init(b, b->cap);
}

void buf_clear(struct buf *b)
{
	b->n = 0;
	b->p[0] = 0;
	b->err = 0;
	if (!b->size)
		empty[0] = 0;
}

static int grow(struct buf *b, size_t extra)
{
	if (b->err)
		return b->err;
	if (extra > b->cap || b->n > b->cap - extra)
		return b->err = -EXCISE_E_TOOBIG;
	size_t need = b->n + extra + 1;
	if (need <= b->size)
		return 0;
	size_t sz = b->size ? b->size : 64;
	while (sz < need)
		sz = sz > ((size_t)-1) / 4 ? need : sz * 2;
	char *p = b->size ? realloc(b->p, sz) : malloc(sz);
	if (!p)
		return b->err = -ENOMEM;
	if (!b->size)
		p[0] = 0;
	b->p = p;
	b->size = sz;
	return 0;
}

void buf_reserve(struct buf *b, size_t len)
{
	(void)grow(b, len);
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	if (grow(b, len) < 0)
		return;
	if (len)
		memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = 0;
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int k = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (k < 0) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	if (grow(b, (size_t)k) < 0)
		return;
	vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
	b->n += (size_t)k;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

int buf_take(struct buf *b, char **ret)
{
	if (b->err) {
		int e = b->err;
		buf_done(b);
		return e;
	}
	char *p = b->size ? b->p : strdup("");
	if (!p)
		return -ENOMEM;
	buf_init(b, b->cap);
	*ret = p;
	return 0;
}
