/* SPDX-License-Identifier: Apache-2.0 */
/* The few GNU extensions excise relies on, kept in one place. */
#ifndef EXCISE_MACRO_H
#define EXCISE_MACRO_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NODISCARD __attribute__((warn_unused_result))
#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#define UNUSED __attribute__((unused))

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Move ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                                         \
	__extension__({                                     \
		__typeof__(p) _tp = (p);                    \
		(p) = NULL;                                 \
		_tp;                                        \
	})
#define TAKE_FD(fd)                                         \
	__extension__({                                     \
		int _tf = (fd);                             \
		(fd) = -1;                                  \
		_tf;                                        \
	})

/* Arrays that grow by appending, whose capacity follows from their count: 4, then
 * doubled at each power of two. Before element n is appended, the array needs
 * array_cap(n) elements when array_full(n). Appending n elements costs O(n). */
static inline int array_full(size_t n)
{
	return n == 0 || (n >= 4 && (n & (n - 1)) == 0);
}

static inline size_t array_cap(size_t n)
{
	return n ? 2 * n : 4;
}

/* -errno of the last failed call, never 0. */
static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
