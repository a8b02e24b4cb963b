/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docbody: stored document bodies, compressed (lib/fleet/docbody.h). Each
 * submitting thread keeps one zstd compression context (a thread-specific value
 * freed when the thread ends): making one a document costs more than compressing.
 */
#include "fleet/docbody.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "core/limits.h"

static pthread_key_t cctx_key;
static pthread_once_t cctx_once = PTHREAD_ONCE_INIT;
static int cctx_key_rc;

static void cctx_free(void *c)
{
	ZSTD_freeCCtx(c);
}

static void cctx_key_make(void)
{
	cctx_key_rc = pthread_key_create(&cctx_key, cctx_free);
}

int docbody_pack(const void *body, size_t len, void **ret, size_t *ret_len, struct excise_err *err)
{
	pthread_once(&cctx_once, cctx_key_make);
	ZSTD_CCtx *c = cctx_key_rc == 0 ? pthread_getspecific(cctx_key) : NULL;
	bool own = false; /* no thread-specific value could be kept: this call's own context */
	if (!c) {
		/* the level, and a checksum of the bytes (a frame changed on disk decodes to an error,
		 * never to other bytes); the frame says its content size (zstd's default) */
		if (!(c = ZSTD_createCCtx()) || ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, DOCBODY_LEVEL)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1))) {
			ZSTD_freeCCtx(c);
			return err_set(err, -ENOMEM, "store: out of memory");
		}
		own = cctx_key_rc != 0 || pthread_setspecific(cctx_key, c) != 0;
	}
	size_t cap = ZSTD_compressBound(len);
	void *z = malloc(cap ? cap : 1);
	size_t n = z ? ZSTD_compress2(c, z, cap, body, len) : 0;
	if (own)
		ZSTD_freeCCtx(c);
	if (!z)
		return err_set(err, -ENOMEM, "store: out of memory");
	if (ZSTD_isError(n)) { /* cannot happen with a buffer of ZSTD_compressBound bytes, but said */
		free(z);
		return err_set(err, -EXCISE_E_LIMIT, "store: compressing a document: %s", ZSTD_getErrorName(n));
	}
	*ret = z;
	*ret_len = n;
	return 0;
}

int docbody_unpack(const char *doc_id, const char *codec, const void *z, size_t z_len, int64_t len, char **ret,
		   size_t *ret_len, struct excise_err *err)
{
	if (!codec || strcmp(codec, DOCBODY_CODEC))
		return err_set(err, -EXCISE_E_CORRUPT, "document %s: stored body in an unknown codec '%.32s'", doc_id,
			       codec ? codec : "(none)");
	if (len < 0 || (uint64_t)len > EXCISE_MAX_SUBMIT_SIZE)
		return err_set(err, -EXCISE_E_CORRUPT,
			       "document %s: stored body length %" PRId64 " is out of bounds (0 to %u bytes)", doc_id, len,
			       EXCISE_MAX_SUBMIT_SIZE);
	if (!z)
		return err_set(err, -EXCISE_E_CORRUPT, "document %s: stored body missing", doc_id);
	unsigned long long fsz = ZSTD_getFrameContentSize(z, z_len);
	if (fsz != (unsigned long long)len)
		return err_set(err, -EXCISE_E_CORRUPT,
			       "document %s: stored body corrupt (its frame does not say %" PRId64 " bytes)", doc_id, len);
	char *out = malloc((size_t)len + 1);
	if (!out)
		return err_set(err, -ENOMEM, "store: out of memory");
	/* the decoder writes at most `len` bytes: a frame that would make more is an error */
	size_t n = ZSTD_decompress(out, (size_t)len, z, z_len);
	if (ZSTD_isError(n) || n != (size_t)len) {
		free(out);
		return err_set(err, -EXCISE_E_CORRUPT, "document %s: stored body corrupt (%s)", doc_id,
			       ZSTD_isError(n) ? ZSTD_getErrorName(n) : "a different length");
	}
	out[len] = '\0';
	*ret = out;
	*ret_len = (size_t)len;
	return 0;
}

int docbody_read(struct db_stmt *s, int col, const char *doc_id, char **ret, size_t *ret_len,
		 struct excise_err *err)
{
	const char *codec = db_column_text(s, col + 2);
	if (!codec) {
		const char *t = db_column_text(s, col);
		if (!t)
			return err_set(err, -EXCISE_E_CORRUPT, "document %s: stored body missing", doc_id);
		size_t n = strlen(t);
		if (!(*ret = malloc(n + 1)))
			return err_set(err, -ENOMEM, "store: out of memory");
		memcpy(*ret, t, n + 1);
		*ret_len = n;
		return 0;
	}
	/* the codec's text is valid until the next column read of a PostgreSQL row only as long
	 * as the row: copy its few bytes before reading the blob */
	char cd[16];
	snprintf(cd, sizeof(cd), "%s", codec);
	const void *z;
	size_t z_len;
	int r = db_column_blob(s, col + 1, &z, &z_len);
	if (r < 0)
		return err_set(err, r, "document %s: stored body %s", doc_id,
			       r == -ENOMEM ? "could not be read: out of memory" : "not bytes");
	return docbody_unpack(doc_id, cd, z, z_len, db_column_int64(s, col + 3), ret, ret_len, err);
}
