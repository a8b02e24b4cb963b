/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the /proc/modules parser (lib/parse/procmodules.c). Input:
 * the file's bytes, capped at 256 KiB, without a final NUL. Every name and state
 * handed back must lie inside the input (or be the constant "Live"), be a whole
 * field (non-empty, no space, no newline, no NUL in a name), and lines must come
 * in order.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "parse/procmodules.h"

#define FUZZ_MAX_INPUT (256u << 10)

struct seen {
	const char *data;
	size_t size, line;
	unsigned sum;
};

static bool inside(const struct seen *s, const char *p, size_t n)
{
	return p >= s->data && n <= s->size && (size_t)(p - s->data) <= s->size - n;
}

static bool field(const char *p, size_t n)
{
	return n > 0 && !memchr(p, ' ', n) && !memchr(p, '\n', n);
}

static int on_line(void *ud, const struct procmodules_line *l)
{
	struct seen *s = ud;
	if (l->line <= s->line)
		__builtin_trap();
	s->line = l->line;
	if (!l->name)
		return 0;
	if (!inside(s, l->name, l->name_len) || !field(l->name, l->name_len) || memchr(l->name, 0, l->name_len))
		__builtin_trap();
	if ((!inside(s, l->state, l->state_len) && strcmp(l->state, "Live") != 0) ||
	    !field(l->state, l->state_len))
		__builtin_trap();
	for (size_t i = 0; i < l->name_len; i++)
		s->sum += (unsigned char)l->name[i];
	for (size_t i = 0; i < l->state_len; i++)
		s->sum += (unsigned char)l->state[i];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct seen s = { .data = (const char *)data, .size = size };
	if (procmodules_parse((const char *)data, size, on_line, &s) != 0)
		__builtin_trap();
	return 0;
}
