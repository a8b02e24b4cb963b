/* SPDX-License-Identifier: Apache-2.0 */
/* jsonbytes: exact bytes in JSON (see jsonbytes.h). */
#include "core/jsonbytes.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/text.h"

int json_set_bytes(json_t *o, const char *key, const char *s, size_t len)
{
	if (utf8_valid(s, len))
		return json_object_set_new(o, key, json_stringn(s, len)) < 0 ? -ENOMEM : 0;
	struct buf b;
	buf_init(&b, SIZE_MAX);
	hex_append(&b, s, len);
	char k[64];
	snprintf(k, sizeof(k), "%s_hex", key);
	int r = b.err || json_object_set_new(o, k, json_stringn(b.p, b.n)) < 0 ? -ENOMEM : 0;
	buf_done(&b);
	return r;
}

char *json_get_bytes(json_t *o, const char *key, size_t *ret_len)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v)) {
		size_t len = json_string_length(v);
		char *p = malloc(len + 1);
		if (!p)
			return NULL;
		memcpy(p, json_string_value(v), len);
		p[len] = 0;
		if (ret_len)
			*ret_len = len;
		return p;
	}
	char k[64];
	snprintf(k, sizeof(k), "%s_hex", key);
	v = json_object_get(o, k);
	char *p = NULL;
	if (!json_is_string(v) || hex_decode(json_string_value(v), json_string_length(v), &p, ret_len) < 0)
		return NULL;
	return p;
}
