/* SPDX-License-Identifier: Apache-2.0 */
/* certblob: serialized certificate-store properties (see certblob.h). */
#include "core/limits.h"
#include "excise/error.h"
#include "parse/certblob.h"

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int certblob_each(const void *blob, size_t len, certblob_fn fn, void *ud)
{
	const unsigned char *p = blob;
	size_t off = 0, n = 0;
	while (off < len) {
		if (++n > EXCISE_MAX_CERTBLOB_PROPS)
			return -EXCISE_E_LIMIT;
		if (len - off < 12)
			return -EXCISE_E_CORRUPT;
		uint32_t id = le32(p + off), plen = le32(p + off + 8);
		off += 12;
		if (plen > len - off)
			return -EXCISE_E_CORRUPT;
		int r = fn(ud, id, p + off, plen);
		if (r < 0)
			return r;
		off += plen;
	}
	return 0;
}

struct find {
	uint32_t id;
	const unsigned char *data;
	size_t len;
};

static int find_one(void *ud, uint32_t propid, const unsigned char *data, size_t len)
{
	struct find *f = ud;
	if (propid != f->id)
		return 0;
	f->data = data;
	f->len = len;
	return -EEXIST; /* stop: found */
}

int certblob_find(const void *blob, size_t len, uint32_t propid, const unsigned char **ret,
		  size_t *ret_len)
{
	struct find f = { .id = propid };
	int r = certblob_each(blob, len, find_one, &f);
	if (r == -EEXIST) {
		*ret = f.data;
		*ret_len = f.len;
		return 0;
	}
	return r < 0 ? r : -ENOENT;
}
