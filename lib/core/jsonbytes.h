/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonbytes: raw bytes (paths, names read from a host) in the JSON documents
 * excise writes and reads back. Valid UTF-8 goes under KEY as a string; anything
 * else under KEY_hex as lower-case hex, so the exact bytes survive.
 */
#ifndef EXCISE_JSONBYTES_H
#define EXCISE_JSONBYTES_H

#include <jansson.h>
#include <stddef.h>

/* Set KEY (or KEY_hex) of object `o`. Returns 0 or -ENOMEM. */
int json_set_bytes(json_t *o, const char *key, const char *s, size_t len);

/* A malloc'd NUL-terminated copy of KEY (or KEY_hex); NULL when absent or malformed
 * (then *ret_len is untouched). */
char *json_get_bytes(json_t *o, const char *key, size_t *ret_len);

#endif
