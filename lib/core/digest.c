/* SPDX-License-Identifier: Apache-2.0 */
/* digest: SHA-256 helpers (see digest.h). */
#include "core/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <unistd.h>

#include "core/root.h"

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

static int digest_chunk(const void *data, size_t len, void *userdata)
{
	return EVP_DigestUpdate(userdata, data, len) == 1 ? 0 : -EIO;
}

int sha256_fd_hex(int fd, char out[65], uint64_t *ret_size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	uint64_t size = 0;
	int r = read_fd_chunks(fd, digest_chunk, ctx, &size);
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned int n = 0;
	if (r == 0 && EVP_DigestFinal_ex(ctx, md, &n) != 1)
		r = -EIO;
	EVP_MD_CTX_free(ctx);
	if (r == 0) {
		to_hex(md, out);
		if (ret_size)
			*ret_size = size;
	}
	return r;
}

struct bounded {
	EVP_MD_CTX *ctx;
	uint64_t left;
};

static int digest_bounded(const void *data, size_t len, void *userdata)
{
	struct bounded *b = userdata;
	size_t n = len < b->left ? len : (size_t)b->left;
	if (EVP_DigestUpdate(b->ctx, data, n) != 1)
		return -EIO;
	b->left -= n;
	return b->left ? 0 : -ECANCELED; /* enough: stop reading */
}

int sha256_fd_hex_max(int fd, uint64_t max, char out[65], uint64_t *ret_hashed)
{
	struct bounded b = { .ctx = EVP_MD_CTX_new(), .left = max };
	if (!b.ctx || EVP_DigestInit_ex(b.ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(b.ctx);
		return -ENOMEM;
	}
	uint64_t size = 0;
	int r = max ? read_fd_chunks(fd, digest_bounded, &b, &size) : 0;
	if (r == -ECANCELED)
		r = 0;
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned int n = 0;
	if (r == 0 && EVP_DigestFinal_ex(b.ctx, md, &n) != 1)
		r = -EIO;
	EVP_MD_CTX_free(b.ctx);
	if (r == 0) {
		to_hex(md, out);
		if (ret_hashed)
			*ret_hashed = max - b.left;
	}
	return r;
}
