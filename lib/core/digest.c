/* SPDX-License-Identifier: Apache-2.0 */
/* digest: SHA-256 helpers (see digest.h). */
#include "core/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <unistd.h>

static void to_hex(const unsigned char md[SHA256_DIGEST_LENGTH], char out[65])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = 0;
}

int sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	if (!SHA256(data, len, md))
		return -EIO;
	to_hex(md, out);
	return 0;
}

int sha256_fd_hex(int fd, char out[65], uint64_t *ret_size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	static _Thread_local unsigned char buf[1 << 16];
	uint64_t off = 0;
	int r = 0;
	for (;;) {
		ssize_t k = pread(fd, buf, sizeof(buf), (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (k == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)k) != 1) {
			r = -EIO;
			break;
		}
		off += (uint64_t)k;
	}
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned int n = 0;
	if (r == 0 && EVP_DigestFinal_ex(ctx, md, &n) != 1)
		r = -EIO;
	EVP_MD_CTX_free(ctx);
	if (r == 0) {
		to_hex(md, out);
		if (ret_size)
			*ret_size = off;
	}
	return r;
}
