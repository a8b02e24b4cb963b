/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nssdb: one certificate out of an NSS database (cert9.db of a Firefox or
 * Thunderbird profile, a user's ~/.pki/nssdb), for the remove-nss-cert step and
 * for the evidence of source nss-certs observed again (rematch.c).
 *
 * The database is changed by excise itself with libsqlite3, never by a program
 * run on the image: its bytes are read through the root (at most
 * EXCISE_MAX_NSSDB_SIZE, the file opened without following a link in any
 * component), opened in memory with the defences of parse/sqlitedb.h, changed
 * there, and the new bytes put in place by root_replace_file (temporary name
 * beside it, same owner and mode, fsync, rename). NSS keeps each PKCS #11 object
 * as one row of nssPublic: the certificate (CKA_CLASS a0 = CKO_CERTIFICATE, its
 * DER in CKA_VALUE a11) and its trust (a0 = CKO_NSS_TRUST, the certificate's SHA-1
 * in CKA_CERT_SHA1_HASH ace5363b4, else its issuer a81 and serial a82). Removing
 * the certificate deletes exactly those rows, what `certutil -D` deletes, chosen
 * by the certificate's sha256 rather than by a nickname another certificate may
 * share. The freed pages are zeroed (secure_delete).
 */
#ifndef EXCISE_NSSDB_H
#define EXCISE_NSSDB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "core/root.h"
#include "excise/error.h"
#include "parse/sqlitedb.h"

struct nssdb {
	struct sqlitedb db;
	const char *path;  /* borrowed: the database's path in the root, for messages */
	struct stat st;    /* the file as it was read */
	char *orig;        /* its bytes as read (for the run directory's copy) */
	size_t orig_len;
};

/* Read the database at `path` in `r` and open it (writable in memory, nothing on disk
 * changes). -ENOENT when it is not there; -EXCISE_E_SPECIAL, -ELOOP, -EISDIR for a
 * file of another type or a link; -EXCISE_E_TOOBIG; -EXCISE_E_CORRUPT for a file
 * that is no NSS database or whose schema is refused; -EXCISE_E_UNSUPPORTED for WAL. */
int nssdb_open(const struct root *r, const char *path, struct nssdb *db, struct excise_err *err);

/* The same over `len` bytes at `data` (malloc'd; the nssdb owns them from the call on,
 * also on failure): what nssdb_open does once it has read the file (fuzz/fuzz-nssdb.c). */
int nssdb_open_bytes(const char *path, char *data, size_t len, struct nssdb *db, struct excise_err *err);

/* Call `fn` with the DER of each certificate (stops at fn's nonzero return, which it
 * returns). < 0 with `err` set when the database cannot be read. */
int nssdb_each_cert(struct nssdb *db, int (*fn)(void *ud, const unsigned char *der, size_t len), void *ud,
		    struct excise_err *err);

/* The certificates whose sha256 is `sha256_hex` (any case), into *n, with the first
 * one's nickname (CKA_LABEL) into nick (empty when none). */
int nssdb_count(struct nssdb *db, const char *sha256_hex, size_t *n, char *nick, size_t nick_size,
		struct excise_err *err);

/* Delete the certificates whose sha256 is `sha256_hex` and their trust rows, in one
 * transaction; the numbers of rows into *certs and *trusts. */
int nssdb_delete(struct nssdb *db, const char *sha256_hex, size_t *certs, size_t *trusts, struct excise_err *err);

/* The database's bytes as they are now (sqlite3_serialize); sqlite3_free() them. */
int nssdb_image(struct nssdb *db, unsigned char **ret, size_t *ret_len, struct excise_err *err);

/* The new bytes checked before they are put in place: an NSS database SQLite finds
 * sound (PRAGMA integrity_check), with no certificate of sha256 `sha256_hex` left and
 * `others` certificates (what the original held besides). */
int nssdb_check_image(const char *path, const unsigned char *img, size_t len, const char *sha256_hex, size_t others,
		      struct excise_err *err);

/* How many certificates the database holds. */
int nssdb_n_certs(struct nssdb *db, size_t *n, struct excise_err *err);

void nssdb_close(struct nssdb *db);

/*
 * Whether a program may have the database open now, so that a change would be lost
 * or would corrupt what it writes: why[] says so and 1 is returned. Checked: the
 * profile's lock files (Firefox and Thunderbird: `lock`, a symbolic link present
 * while it runs; `.parentlock` and `parent.lock` with an fcntl lock held), the
 * database's `-journal` and `-wal` files (a transaction in progress, or a crash),
 * and, on the live host, every process's open files (/proc/PID/fd: Chromium holds
 * ~/.pki/nssdb open and leaves no lock file). 0: none; < 0: -ENOMEM.
 */
int nssdb_busy(const struct root *r, const char *path, char *why, size_t size);

#endif
