/* SPDX-License-Identifier: Apache-2.0 */
/* digest: SHA-256 as 64 lower-case hex digits (OpenSSL), of bytes or of an open file. */
#ifndef EXCISE_DIGEST_H
#define EXCISE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

/* out[65]: hex and a NUL. Returns 0 or -EIO. */
NODISCARD int sha256_hex(const void *data, size_t len, char out[65]);

/* Hash what is left to read of `fd` (from its start: pread, the offset is not moved);
 * *ret_size gets the bytes read. Returns 0 or -errno. */
NODISCARD int sha256_fd_hex(int fd, char out[65], uint64_t *ret_size);

/* The same over at most the first `max` bytes of `fd` (a partial hash of a file
 * larger than a limit: EXCISE_MAX_HASH_BYTES); *ret_hashed gets the bytes hashed. */
NODISCARD int sha256_fd_hex_max(int fd, uint64_t max, char out[65], uint64_t *ret_hashed);

#endif
