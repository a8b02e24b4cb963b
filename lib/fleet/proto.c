/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto: the collector protocol's request signature (include/excise/proto.h).
 * The body's SHA-256 is OpenSSL's (libcrypto uses the CPU's SHA extensions where it
 * has them: a 8.5 KB body hashes about 4 times faster than with libsodium's portable
 * code), the digest fetched once and each thread's context reused, not made at every
 * request. The HMAC-SHA256 of the short canonical string is libsodium's
 * (crypto_auth_hmacsha256 with the 32-byte key, the same MAC as RFC 2104's): OpenSSL's
 * EVP_MAC context made, parameterised and freed at every request cost more than
 * hashing the body. Constant-time comparison, hex and base64 are libsodium's.
 */
#include "excise/proto.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

static bool plain_field(const char *s)
{
	return s && *s && !strchr(s, '\n');
}

static EVP_MD *proto_sha256;
static pthread_key_t proto_ctx_key; /* each thread's digest context, reused (freed when the thread ends) */
static pthread_once_t proto_once = PTHREAD_ONCE_INIT;

static void proto_ctx_free(void *c)
{
	EVP_MD_CTX_free(c);
}

static void proto_fetch(void)
{
	if (sodium_init() < 0 || pthread_key_create(&proto_ctx_key, proto_ctx_free) != 0)
		return;
	proto_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* SHA-256 of the body with the thread's own context: no context made and freed a request. */
static bool proto_digest(const void *body, size_t len, uint8_t digest[32])
{
	EVP_MD_CTX *c = pthread_getspecific(proto_ctx_key);
	if (!c) {
		if (!(c = EVP_MD_CTX_new()))
			return false;
		if (pthread_setspecific(proto_ctx_key, c) != 0) {
			EVP_MD_CTX_free(c);
			return false;
		}
	}
	unsigned n = 0;
	return EVP_DigestInit_ex2(c, proto_sha256, NULL) == 1 && EVP_DigestUpdate(c, body, len) == 1 &&
	       EVP_DigestFinal_ex(c, digest, &n) == 1 && n == 32;
}

_Static_assert(EXCISE_HOST_KEY_BYTES == crypto_auth_hmacsha256_KEYBYTES, "the MAC's key is a host key");

/* HMAC-SHA256 of the canonical string of one request. */
static int proto_mac(const uint8_t key[EXCISE_HOST_KEY_BYTES], const char *host_id, const char *method,
		     const char *path, const char *t, const void *body, size_t len, uint8_t mac[32])
{
	if (!plain_field(host_id) || !plain_field(method) || !plain_field(path) || !plain_field(t))
		return -EXCISE_E_USAGE;
	if (pthread_once(&proto_once, proto_fetch) != 0 || !proto_sha256)
		return -EXCISE_E_UNSUPPORTED;
	uint8_t digest[32];
	char hex[2 * sizeof(digest) + 1];
	if (!proto_digest(body ? body : (const void *)"", len, digest))
		return -EXCISE_E_UNSUPPORTED;
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));

	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, EXCISE_HOST_KEY_BYTES);
	const char *parts[] = { "excise-v1", method, path, host_id, t, hex };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (i)
			crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\n", 1);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]));
	}
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st)); /* the key's state */
	return 0;
}

int excise_proto_sign(const uint8_t key[EXCISE_HOST_KEY_BYTES], const char *host_id, const char *method,
		      const char *path, int64_t t, const void *body, size_t len, char *out)
{
	char ts[24];
	uint8_t mac[32];
	snprintf(ts, sizeof(ts), "%" PRId64, t);
	int e = proto_mac(key, host_id, method, path, ts, body, len, mac);
	if (e < 0)
		return e;
	char hex[65];
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, EXCISE_PROTO_SIG_MAX, "t=%s,v1=%s", ts, hex);
	return 0;
}

/* "t=<digits>,v1=<64 hex>": the time's digits (at most 19, no sign, no leading zero
 * unless "0") into `ts`, the MAC into `mac`. */
static bool parse_sig(const char *sig, char ts[24], uint8_t mac[32])
{
	if (strncmp(sig, "t=", 2))
		return false;
	const char *p = sig + 2, *q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	size_t n = (size_t)(q - p);
	if (n == 0 || n > 19 || (n > 1 && *p == '0') || strncmp(q, ",v1=", 4))
		return false;
	memcpy(ts, p, n);
	ts[n] = '\0';
	q += 4;
	if (strlen(q) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((q[i] >= '0' && q[i] <= '9') || (q[i] >= 'a' && q[i] <= 'f')))
			return false;
	size_t got = 0;
	return sodium_hex2bin(mac, 32, q, 64, NULL, &got, NULL) == 0 && got == 32;
}

int excise_proto_verify(const uint8_t key[EXCISE_HOST_KEY_BYTES], const char *host_id, const char *method,
			const char *path, const char *sig, const void *body, size_t len, int64_t now,
			int64_t window, struct excise_err *err)
{
	char ts[24];
	uint8_t want[32], got[32];
	if (!sig || strlen(sig) >= EXCISE_PROTO_SIG_MAX || !parse_sig(sig, ts, got))
		return err_set(err, -EXCISE_E_AUTH, "%s: not of the form t=<unix time>,v1=<64 hex digits>",
			       EXCISE_PROTO_SIG_HEADER);
	if (strlen(ts) == 19 && strcmp(ts, "9223372036854775807") > 0)
		return err_set(err, -EXCISE_E_AUTH, "%s: time out of range", EXCISE_PROTO_SIG_HEADER);
	int64_t t = 0;
	for (const char *p = ts; *p; p++)
		t = t * 10 + (*p - '0');
	if (window < 0)
		window = 0;
	if ((t > now && t - now > window) || (t < now && now - t > window))
		return err_set(err, -EXCISE_E_AUTH,
			       "%s: time %" PRId64 " is more than %" PRId64 " s from the collector's clock (%" PRId64 ")",
			       EXCISE_PROTO_SIG_HEADER, t, window, now);
	int e = proto_mac(key, host_id, method, path, ts, body, len, want);
	if (e < 0)
		return err_set(err, -EXCISE_E_AUTH, "%s", e == -EXCISE_E_USAGE
			       ? "request cannot be signed: host id, method or path malformed"
			       : "request signature: libcrypto's SHA-256 failed");
	if (sodium_memcmp(want, got, sizeof(want)) != 0)
		return err_set(err, -EXCISE_E_AUTH, "%s: signature does not match", EXCISE_PROTO_SIG_HEADER);
	return 0;
}

void excise_proto_key_encode(const uint8_t key[EXCISE_HOST_KEY_BYTES], char *out)
{
	sodium_bin2base64(out, EXCISE_PROTO_KEY_TEXT, key, EXCISE_HOST_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL);
}

int excise_proto_key_decode(const char *s, uint8_t key[EXCISE_HOST_KEY_BYTES], struct excise_err *err)
{
	size_t got = 0;
	const char *end = NULL;
	if (!s || strlen(s) != EXCISE_PROTO_KEY_TEXT - 1 ||
	    sodium_base642bin(key, EXCISE_HOST_KEY_BYTES, s, strlen(s), NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != EXCISE_HOST_KEY_BYTES || (end && *end))
		return err_set(err, -EXCISE_E_CORRUPT, "host key: not 32 bytes in base64");
	return 0;
}
