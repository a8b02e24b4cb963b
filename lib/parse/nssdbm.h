/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nssdbm: the certificates of an NSS legacy database (cert8.db: Firefox before
 * 58, Thunderbird before 60, an old ~/.pki/nssdb), read from its bytes.
 *
 * The file is a Berkeley DB 1.85 hash table as NSS's dbm library writes it:
 * a header page (big-endian: magic 0x061561, version, byte order of the pages,
 * page size, bucket count, the spare pages of each split point), then bucket
 * pages, each the head of a chain of overflow pages. A page is an array of
 * 16-bit words in the header's byte order: the count n, then n words of
 * (key offset, data offset) pairs whose bytes run down from the page's end; a
 * pair whose second word is 0 links the next page of the chain (overflow
 * address: split point << 11 | page within it). A pair too big for a page (a
 * "big pair") starts a fresh page and runs over several: pages marked
 * PARTIAL_KEY (1) carry key bytes, FULL_KEY (2) ends the key or carries
 * data, FULL_KEY_DATA (3) ends the key and starts the data, or ends the data.
 * Every offset, page number and length is checked against the page and the
 * file; each page is visited once (a chain that loops or two chains sharing a
 * page are damage); a page past the end of the file is empty, as dbm reads it.
 *
 * A certificate record: key byte 0 = 1 (certDBEntryTypeCert); data = version
 * (7 or 8), type 1, flags, then the trust flags of SSL, e-mail and object
 * signing (16 bits each, big-endian), the DER's length and the nickname's
 * length with its NUL (16 bits each; a DER of 64 KiB and more is known by the
 * record's length), the DER, the nickname. A record of type 8
 * (certDBEntryTypeBlob) holds a reference to an entry larger than 14 KiB kept
 * in a file of the cert8.dir folder.
 *
 * Hand-written and bounds-checked (fuzz/fuzz-nssdbm.c).
 */
#ifndef EXCISE_PARSE_NSSDBM_H
#define EXCISE_PARSE_NSSDBM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "excise/error.h"

/* The trust flags of a purpose (NSS's CERTDB_*) */
#define NSSDBM_TERMINAL_RECORD 0x0001u
#define NSSDBM_TRUSTED 0x0002u
#define NSSDBM_VALID_CA 0x0008u
#define NSSDBM_TRUSTED_CA 0x0010u
#define NSSDBM_TRUSTED_CLIENT_CA 0x0080u
#define NSSDBM_MUST_VERIFY 0x0400u
#define NSSDBM_TRUSTED_UNKNOWN 0x0800u

/* A blob record (type 8): bytes 4-7 the entry's size (little-endian), from byte 8
 * the NUL-terminated name of its file in the .dir folder (base64 of a SHA-1) */
#define NSSDBM_BLOB_NAME_OFF 8u
#define NSSDBM_BLOB_NAME_MAX 30u

/* One key/data pair of the hash table. `key` and `data` point into the file's bytes
 * or into a buffer that lives until the callback returns. */
struct nssdbm_rec {
	const unsigned char *key, *data;
	size_t key_len, data_len;
	uint64_t offset;        /* byte offset in the file of the page the pair starts on */
};

/* One certificate record, decoded (pointers into the record). */
struct nssdbm_cert {
	const unsigned char *der;
	size_t der_len;
	const char *nick;        /* not NUL-terminated; NULL when it has none */
	size_t nick_len;
	uint16_t ssl, email, code;  /* trust flags per purpose */
};

/* Called for each pair; return < 0 to stop (returned by nssdbm_each). */
typedef int (*nssdbm_fn)(void *ud, const struct nssdbm_rec *rec);

/* Walk every pair of the hash file `buf` (`name` for messages). Returns 0, fn's
 * error, -ENOMEM, or -EXCISE_E_CORRUPT with `err` naming the file, the byte offset
 * and what is wrong (pairs before the damage have been passed to fn). */
NODISCARD int nssdbm_each(const void *buf, size_t len, const char *name, nssdbm_fn fn, void *ud,
			  struct excise_err *err);

/* The pair is a certificate record (key type 1). */
bool nssdbm_is_cert(const struct nssdbm_rec *rec);

/* The pair is a reference to an entry kept in a file of the .dir folder (type 8). */
bool nssdbm_is_blob(const struct nssdbm_rec *rec);

/* The file a blob record names: "<db without .db>.dir/<name>" (allocated into
 * *ret_path) and the entry's size. Returns 0, -ENOMEM, or -EXCISE_E_CORRUPT when the
 * record holds no valid name (base64 letters only: never a path). */
NODISCARD int nssdbm_blob_path(const struct nssdbm_rec *rec, const char *db_path, char **ret_path,
			       uint32_t *ret_size);

/* Decode a certificate record. Returns 0 or -EXCISE_E_CORRUPT with `err` naming the
 * file, the record's offset and the field. */
NODISCARD int nssdbm_cert(const struct nssdbm_rec *rec, const char *name, struct nssdbm_cert *ret,
			  struct excise_err *err);

#endif
