/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modinfo: the .modinfo of a kernel module file (author, description, version,
 * license...) and its signer, read with libkmod. Only plain ELF modules are
 * handed over: libkmod would inflate a compressed one (.ko.xz, .ko.zst, .ko.gz)
 * whole into memory, which a hostile file turns into a memory bomb, so those are
 * refused with -EXCISE_E_UNSUPPORTED before libkmod sees them. The file comes as
 * an fd opened inside the scanned root and is handed to libkmod as
 * /proc/self/fd/N, so no path of the root is ever resolved outside it.
 */
#ifndef EXCISE_PARSE_MODINFO_H
#define EXCISE_PARSE_MODINFO_H

#include <stddef.h>

#include "core/macro.h"

/* One key and value; both borrowed for the call. Return < 0 to stop with that value. */
typedef int (*modinfo_fn)(void *userdata, const char *key, const char *value);

/*
 * Read the module in `fd` (a regular file of at most EXCISE_MAX_KMOD_SIZE bytes,
 * else -EXCISE_E_TOOBIG; -EINVAL for anything else). Calls `fn` for each key,
 * at most EXCISE_MAX_MODINFO_KEYS of them. Returns 0, -EXCISE_E_UNSUPPORTED for
 * a file that does not start as ELF, -EXCISE_E_CORRUPT when libkmod cannot read
 * it as a module, -EXCISE_E_LIMIT for a .modinfo of more than EXCISE_MAX_MODINFO_STRINGS
 * strings (not handed to libkmod), -ENOMEM, or fn's value.
 */
NODISCARD int modinfo_read_fd(int fd, modinfo_fn fn, void *userdata);

#endif
