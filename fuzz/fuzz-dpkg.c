/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the dpkg status parser. Input: the bytes of a
 * /var/lib/dpkg/status file (deb822 stanzas), capped at 1 MiB. Every emitted
 * package and every error message is read whole, so ASan sees any string that
 * is not NUL-terminated inside its buffer. The same bytes are also walked as a
 * package's file list (dpkg_list_dirs): every directory must be an absolute path
 * inside the input; and read for its paths (dpkg_list_paths): each one absolute, in
 * normal form, inside the input.
 */
#include <string.h>

#include "fuzz.h"
#include "parse/dpkg.h"

#define FUZZ_MAX_INPUT (1u << 20)

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static int on_pkg(void *ud, const struct dpkg_pkg *p)
{
	size_t *sum = ud;
	*sum += touch(p->package) + touch(p->version) + touch(p->architecture) + touch(p->status) +
		touch(p->want) + touch(p->eflag) + touch(p->state) + touch(p->maintainer) +
		touch(p->description) + touch(p->synopsis) + touch(p->source) +
		touch(p->installed_size) + touch(p->conffiles);
	if (!p->package[0] || (p->status && (!p->want || !p->eflag || !p->state)))
		__builtin_trap();
	return 0;
}

static int on_error(void *ud, int code, size_t line, const char *msg)
{
	size_t *sum = ud;
	if (code >= 0 || line == 0 || !msg[0])
		__builtin_trap();
	*sum += strlen(msg);
	return 0;
}

struct span {
	const char *p;
	size_t n;
};

static int on_dir(void *ud, const char *dir, size_t len)
{
	const struct span *in = ud;
	if (dir < in->p || dir + len > in->p + in->n || len == 0 || dir[0] != '/' || memchr(dir, '\n', len))
		__builtin_trap();
	return 0;
}

static int on_path(void *ud, const char *p, size_t len)
{
	const struct span *in = ud;
	if (p < in->p || p + len > in->p + in->n || len < 2 || p[0] != '/' || p[len - 1] == '/' ||
	    memchr(p, '\n', len) || memchr(p, 0, len) || memmem(p, len, "//", 2) || memmem(p, len, "/./", 3) ||
	    memmem(p, len, "/../", 4))
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	size_t sum = 0;
	struct excise_err err;
	int r = dpkg_status_parse("status", data, size, on_pkg, on_error, &sum, &err);
	if (r < 0 && !err.msg[0])
		__builtin_trap();
	/* The same input with no error callback must stop at the first bad stanza. */
	r = dpkg_status_parse("status", data, size, on_pkg, NULL, &sum, &err);
	if (r > 0)
		__builtin_trap();
	struct span in = { (const char *)data, size };
	if (dpkg_list_dirs((const char *)data, size, on_dir, &in) < 0)
		__builtin_trap();
	if (dpkg_list_paths((const char *)data, size, on_path, &in) < 0)
		__builtin_trap();
	return 0;
}
