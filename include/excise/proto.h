/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector protocol's request signature, shared by the agent that signs
 * (`excise submit`) and the collector that checks (`excise serve`).
 *
 * After enrolling, a host holds a host id and a 32-byte host key. Every request
 * it makes carries two headers:
 *
 *     X-Excise-Host: <host id>
 *     X-Excise-Signature: t=<unix seconds>,v1=<64 lowercase hex>
 *
 * v1 is HMAC-SHA256 under the host key of the canonical string
 *
 *     "excise-v1\n" METHOD "\n" PATH "\n" HOST-ID "\n" T "\n" hex(SHA-256(body))
 *
 * METHOD is upper case ("POST"), PATH the request path without query string
 * ("/v1/submit"), T the same decimal digits as in the header. The collector
 * refuses a signature whose t is more than its replay window from its clock,
 * compares in constant time, and refuses a document it already stored as new
 * (it answers "duplicate").
 */
#ifndef EXCISE_PROTO_H
#define EXCISE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "excise/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EXCISE_PROTO_HOST_HEADER "X-Excise-Host"
#define EXCISE_PROTO_SIG_HEADER "X-Excise-Signature"
#define EXCISE_HOST_KEY_BYTES 32u
#define EXCISE_PROTO_SIG_MAX 96u           /* bytes of a signature header value, NUL included */
#define EXCISE_PROTO_KEY_TEXT 45u          /* bytes of a host key in base64, NUL included */
#define EXCISE_PROTO_REPLAY_WINDOW 300     /* seconds a signature's time may differ from the collector's clock */

/* The signature header value for one request into `out` (EXCISE_PROTO_SIG_MAX bytes).
 * 0, or -EXCISE_E_USAGE (a method, path or host id with a newline or empty), or
 * -EXCISE_E_UNSUPPORTED (libcrypto has no SHA-256 or HMAC). */
EXCISE_API int excise_proto_sign(const uint8_t key[EXCISE_HOST_KEY_BYTES], const char *host_id, const char *method,
				 const char *path, int64_t t, const void *body, size_t len, char *out);

/* Check the signature header value `sig` of a request against `key`, with `now` and a
 * window in seconds (EXCISE_PROTO_REPLAY_WINDOW, or the collector's setting). 0, or
 * -EXCISE_E_AUTH with the reason in `err` (malformed header, time outside the window,
 * signature does not match). */
EXCISE_API int excise_proto_verify(const uint8_t key[EXCISE_HOST_KEY_BYTES], const char *host_id, const char *method,
				   const char *path, const char *sig, const void *body, size_t len, int64_t now,
				   int64_t window, struct excise_err *err);

/* A host key as base64 (standard alphabet, padded) into `out` (EXCISE_PROTO_KEY_TEXT bytes), and back.
 * Decoding gives 0, or -EXCISE_E_CORRUPT when `s` is not exactly 32 bytes in base64. */
EXCISE_API void excise_proto_key_encode(const uint8_t key[EXCISE_HOST_KEY_BYTES], char *out);
EXCISE_API int excise_proto_key_decode(const char *s, uint8_t key[EXCISE_HOST_KEY_BYTES], struct excise_err *err);

#ifdef __cplusplus
}
#endif
#endif
