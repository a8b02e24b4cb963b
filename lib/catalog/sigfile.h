/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sigfile: the text formats of minisign(1), parsed by hand. Internal; the public
 * entry points (excise_sig_keygen, excise_sig_sign_file, excise_sig_verify) are
 * in include/excise/catalog.h.
 *
 *   public key:  "untrusted comment: ..." / base64("Ed" || keynum[8] || pk[32])
 *   secret key:  "untrusted comment: ..." / base64("Ed" kdf[2] "B2" salt[32]
 *                opslimit[8] memlimit[8] keynum[8] sk[64] chk[32])
 *   signature:   "untrusted comment: ..." / base64("ED"|"Ed" || keynum[8] || sig[64])
 *                "trusted comment: ..."   / base64(global_sig[64])
 *
 * The key number is shown as minisign shows it: 16 uppercase hex digits of the
 * keynum read as a little-endian 64-bit integer.
 */
#ifndef EXCISE_SIGFILE_H
#define EXCISE_SIGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "excise/error.h"

#define SIG_KEYNUM_BYTES 8
#define SIG_PK_BYTES 32
#define SIG_SK_BYTES 64
#define SIG_SIG_BYTES 64

struct sig_pubkey {
	uint8_t keynum[SIG_KEYNUM_BYTES];
	uint8_t pk[SIG_PK_BYTES];
};

struct sig_seckey {
	uint8_t keynum[SIG_KEYNUM_BYTES];
	uint8_t sk[SIG_SK_BYTES];
};

struct sig_minisig {
	char alg[2];                    /* "ED" (prehashed, BLAKE2b-512) or "Ed" (legacy) */
	uint8_t keynum[SIG_KEYNUM_BYTES];
	uint8_t sig[SIG_SIG_BYTES];
	const char *trusted_comment;    /* points into the parsed text, not NUL-terminated */
	size_t trusted_comment_len;
	uint8_t global_sig[SIG_SIG_BYTES];
};

/* Parse texts in memory. `name` labels error messages ("public key 'x'"). */
int sig_parse_pubkey(const char *name, const char *text, size_t len, struct sig_pubkey *ret,
		     struct excise_err *err);
int sig_parse_seckey(const char *name, const char *text, size_t len, struct sig_seckey *ret,
		     struct excise_err *err);
int sig_parse_minisig(const char *name, const char *text, size_t len, struct sig_minisig *ret,
		      struct excise_err *err);

/* A trusted key given as a path to a public key file or as its base64 line. */
int sig_load_pubkey(const char *key, struct sig_pubkey *ret, struct excise_err *err);

/* 16 uppercase hex digits and a NUL into out[17]. */
void sig_key_id(const uint8_t keynum[SIG_KEYNUM_BYTES], char out[17]);

#endif
