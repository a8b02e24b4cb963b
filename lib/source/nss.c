/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source nss-certs: the certificates in the NSS databases of every Firefox
 * profile and of the users' ~/.pki/nssdb (Chromium on Linux): cert9.db.
 *
 * The database is read whole (through the root, at most
 * EXCISE_MAX_NSSDB_SIZE bytes) and SQLite opens that private copy in memory,
 * read-only (sqlite3_deserialize): the original is never locked or written
 * and no -journal/-wal file appears next to it. A cert9.db in WAL mode is
 * read without its -wal file (what was checkpointed). The schema is trusted
 * no further than lib/parse/sqlitedb.h allows: plain tables and indexes only
 * (no view, trigger, virtual table or generated column), defensive mode, no
 * schema functions, a deadline (EXCISE_MAX_SQLITE_SECONDS); a database refused
 * for its schema or stopped by the deadline makes the source incomplete.
 *
 * NSS keeps PKCS #11 attributes in columns named "a" + the attribute type in
 * hex, CK_ULONG values as 4 big-endian bytes (checked against what certutil
 * writes): rows with CKA_CLASS (a0) = CKO_CERTIFICATE hold the DER in
 * CKA_VALUE (a11) and the nickname in CKA_LABEL (a3); rows of class
 * CKO_NSS_TRUST carry CKA_CERT_SHA1_HASH and the trust of each purpose. Each
 * certificate is one CERT observation (lib/source/certobs.h) with attrs
 * nickname, browser ("firefox" or "nss"), profile, user and trust (certutil's
 * "SSL,email,object-signing" flags, e.g. "CT,C,"); state "trusted" when some
 * purpose trusts it as an anchor (C, T or P), else "present".
 *
 * The older Berkeley DB cert8.db (Firefox before 58, Thunderbird before 60,
 * an old ~/.pki/nssdb) is read when it is the profile's only database
 * (lib/parse/nssdbm.h, at most EXCISE_MAX_NSSDB_SIZE bytes); an entry over
 * 14 KiB is read from the file of cert8.dir/ its record names. Its trust flags
 * are mapped to the PKCS #11 trust NSS gives them (NSS's lg_MapTrust) and the
 * same rule decides "trusted" as for cert9.db (trust_letters). A damaged
 * cert8.db, record or DER makes the source incomplete, naming the file and the
 * byte offset: a root in it may not be seen. Next to a cert9.db it is the
 * stale pre-migration copy and is ignored. A corrupt cert9.db is an item error
 * naming the file.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/sha.h>
#include <sqlite3.h>

#include "core/limits.h"
#include "parse/nssdbm.h"
#include "parse/sqlitedb.h"
#include "source/certobs.h"
#include "source/profiles.h"
#include "source/source.h"

#define CKO_CERTIFICATE "x'00000001'"
#define CKO_NSS_TRUST "x'ce534353'"
#define CKT_NSS 0xce534350u
#define CKT_NSS_TRUSTED (CKT_NSS + 1)
#define CKT_NSS_TRUSTED_DELEGATOR (CKT_NSS + 2)
#define CKT_NSS_NOT_TRUSTED (CKT_NSS + 10)
#define CKT_NSS_VALID_DELEGATOR (CKT_NSS + 11)

/* One CKO_NSS_TRUST row: the certificate's SHA-1 and the trust per purpose. */
struct trust {
	unsigned char sha1[20];
	uint32_t server, client, email, code;
};

struct db {
	struct source_ctx *ctx;
	const struct profile *p;
	const char *path;
	struct sqlitedb db;
	sqlite3 *h;         /* db.h */
	struct trust *t;
	size_t nt;
};

struct nss {
	bool found;
};

static int trust_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

static uint32_t ulong_col(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_blob(s, i);
	if (!v || sqlite3_column_bytes(s, i) != 4)
		return 0;
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

static void db_error(struct db *d, const char *what)
{
	int e = sqlitedb_error(&d->db, sqlite3_errcode(d->h));
	if (e == -EXCISE_E_LIMIT)
		source_incomplete(d->ctx, e, "'%s': %s: past the time limit (EXCISE_MAX_SQLITE_SECONDS)", d->path,
				  what);
	else
		source_item_error(d->ctx, EXCISE_E_CORRUPT, "'%s': %s: %s", d->path, what, sqlite3_errmsg(d->h));
}

/* Only plain tables and indexes (parse/sqlitedb.h), and nssPublic among them. */
static bool schema_ok(struct db *d)
{
	struct excise_err err = { 0 };
	int r = sqlitedb_check_schema(&d->db, d->path, &err);
	if (r < 0) {
		/* a database NSS would read and this scan will not: what it trusts is unknown */
		source_incomplete(d->ctx, r, "%s", err.msg);
		return false;
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(d->h, "SELECT 1 FROM sqlite_schema WHERE name = 'nssPublic'", -1, &s, NULL) !=
	    SQLITE_OK) {
		db_error(d, "not a readable SQLite database");
		return false;
	}
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		source_item_error(d->ctx, EXCISE_E_CORRUPT, "'%s': no nssPublic table: not an NSS database",
				  d->path);
	else if (rc != SQLITE_ROW)
		db_error(d, "cannot read the schema");
	return rc == SQLITE_ROW;
}

/* Read every trust row (sorted by SHA-1). Returns < 0 only for -ENOMEM. */
static int read_trust(struct db *d)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(d->h, "SELECT ace5363b4, ace536358, ace536359, ace53635b, ace53635a "
			       "FROM nssPublic WHERE a0 = " CKO_NSS_TRUST, -1, &s, NULL) != SQLITE_OK) {
		db_error(d, "cannot read the trust rows");
		return 0;
	}
	size_t cap = 0;
	int rc;
	while (sqlitedb_arm(&d->db), (rc = sqlite3_step(s)) == SQLITE_ROW && d->nt < EXCISE_MAX_CERTS_PER_BUNDLE) {
		const void *h = sqlite3_column_blob(s, 0);
		if (!h || sqlite3_column_bytes(s, 0) != 20)
			continue;
		if (d->nt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct trust *t = realloc(d->t, nc * sizeof(*t));
			if (!t) {
				sqlite3_finalize(s);
				return -ENOMEM;
			}
			d->t = t;
			cap = nc;
		}
		struct trust *t = &d->t[d->nt++];
		memcpy(t->sha1, h, 20);
		t->server = ulong_col(s, 1);
		t->client = ulong_col(s, 2);
		t->email = ulong_col(s, 3);
		t->code = ulong_col(s, 4);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_error(d, "trust rows");
	sqlite3_finalize(s);
	if (d->nt > 1)
		qsort(d->t, d->nt, sizeof(*d->t), trust_cmp);
	return 0;
}

/* certutil's letters for one purpose. */
static void flags(char *out, uint32_t v, uint32_t client)
{
	size_t n = 0;
	if (v == CKT_NSS_TRUSTED_DELEGATOR)
		out[n++] = 'C';
	else if (v == CKT_NSS_TRUSTED)
		out[n++] = 'P';
	else if (v == CKT_NSS_VALID_DELEGATOR)
		out[n++] = 'c';
	else if (v == CKT_NSS_NOT_TRUSTED)
		out[n++] = 'p';
	if (client == CKT_NSS_TRUSTED_DELEGATOR)
		out[n++] = 'T';
	out[n] = 0;
}

/* The one rule of both formats: certutil's "SSL,email,object-signing" letters into
 * `out` (32 bytes), and whether some purpose trusts the certificate as an anchor. */
static bool trust_letters(const struct trust *t, char *out)
{
	char a[4], b[4], c[4];
	flags(a, t->server, t->client);
	flags(b, t->email, 0);
	flags(c, t->code, 0);
	snprintf(out, 32, "%s,%s,%s", a, b, c);
	return strpbrk(a, "CTP") || strpbrk(b, "CP") || strpbrk(c, "CP");
}

static int emit_row(struct db *d, sqlite3_stmt *s, size_t index)
{
	const void *der = sqlite3_column_blob(s, 2);
	int len = sqlite3_column_bytes(s, 2);
	const char *label = (const char *)sqlite3_column_blob(s, 1);
	_cleanup_free_ char *nick = label ? strndup(label, (size_t)sqlite3_column_bytes(s, 1)) : NULL;
	char trust[32] = "";
	const char *state = "present";
	unsigned char md[SHA_DIGEST_LENGTH];
	const struct trust *t = NULL;
	if (der && len > 0 && d->nt) {
		SHA1(der, (size_t)len, md);
		t = bsearch(md, d->t, d->nt, sizeof(*d->t), trust_cmp);
	}
	if (t && trust_letters(t, trust))
		state = "trusted";
	struct excise_obs_attr at[5];
	size_t n = 0;
	if (nick && *nick)
		at[n++] = (struct excise_obs_attr){ "nickname", nick };
	at[n++] = (struct excise_obs_attr){ "browser", d->p->browser };
	at[n++] = (struct excise_obs_attr){ "profile", d->p->name };
	at[n++] = (struct excise_obs_attr){ "user", d->p->user };
	if (t)
		at[n++] = (struct excise_obs_attr){ "trust", trust };
	int r = der && len > 0 ? cert_emit_der(d->ctx, der, (size_t)len, d->path, state, at, n)
			       : -EXCISE_E_CORRUPT;
	if (r == -EXCISE_E_CORRUPT) {
		source_item_error(d->ctx, EXCISE_E_CORRUPT, "'%s': certificate %zu (nssPublic id %lld): not a DER "
				  "certificate", d->path, index, (long long)sqlite3_column_int64(s, 0));
		r = 0;
	}
	return r;
}

static int read_certs(struct db *d)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(d->h, "SELECT id, a3, a11 FROM nssPublic WHERE a0 = " CKO_CERTIFICATE,
			       -1, &s, NULL) != SQLITE_OK) {
		db_error(d, "cannot read the certificates");
		return 0;
	}
	size_t i = 0;
	int rc, r = 0;
	while (r >= 0 && (sqlitedb_arm(&d->db), (rc = sqlite3_step(s)) == SQLITE_ROW)) {
		if (i >= EXCISE_MAX_CERTS_PER_BUNDLE) {
			source_item_error(d->ctx, EXCISE_E_LIMIT,
					  "'%s': more than %u certificates, only the first %u read",
					  d->path, EXCISE_MAX_CERTS_PER_BUNDLE, EXCISE_MAX_CERTS_PER_BUNDLE);
			break;
		}
		r = emit_row(d, s, ++i);
	}
	if (r >= 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_error(d, "reading the certificates");
	sqlite3_finalize(s);
	return r;
}

/* Read one cert9.db held in `data`. Returns < 0 only for -ENOMEM. */
static int read_db(struct db *d, unsigned char *data, size_t len)
{
	struct excise_err err = { 0 };
	int r = sqlitedb_open_mem(d->path, data, len, &d->db, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		source_item_error(d->ctx, EXCISE_E_CORRUPT, "%s", err.msg);
		return 0;
	}
	d->h = d->db.h;
	if (schema_ok(d) && (r = read_trust(d)) >= 0)
		r = read_certs(d);
	sqlitedb_close(&d->db);
	free(d->t);
	return r;
}

/* A legacy purpose's flags as the PKCS #11 trust NSS maps them to (its lg_MapTrust). */
static uint32_t legacy_trust(unsigned f)
{
	if (f & NSSDBM_TRUSTED_CA)
		return CKT_NSS_TRUSTED_DELEGATOR;
	if (f & NSSDBM_TRUSTED)
		return CKT_NSS_TRUSTED;
	if (f & (NSSDBM_MUST_VERIFY | NSSDBM_TRUSTED_UNKNOWN))
		return 0;
	if (f & NSSDBM_VALID_CA)
		return CKT_NSS_VALID_DELEGATOR;
	if (f & NSSDBM_TERMINAL_RECORD)
		return CKT_NSS_NOT_TRUSTED;
	return 0;
}

struct db8 {
	struct source_ctx *ctx;
	const struct profile *p;
	const char *path;
	size_t n;
	bool damaged;            /* an incomplete read was reported */
};

static void db8_damaged(struct db8 *d, const char *msg)
{
	source_incomplete(d->ctx, EXCISE_E_CORRUPT, "%s (a certificate in it may not be seen)", msg);
	d->damaged = true;
}

static int emit8(struct db8 *d, const struct nssdbm_rec *rec)
{
	struct nssdbm_cert c;
	struct excise_err err = { 0 };
	if (nssdbm_cert(rec, d->path, &c, &err) < 0) {
		db8_damaged(d, err.msg);
		return 0;
	}
	struct trust t = { .server = legacy_trust(c.ssl), .email = legacy_trust(c.email),
			   .code = legacy_trust(c.code),
			   .client = c.ssl & NSSDBM_TRUSTED_CLIENT_CA ? CKT_NSS_TRUSTED_DELEGATOR : 0 };
	char trust[32];
	const char *state = trust_letters(&t, trust) ? "trusted" : "present";
	_cleanup_free_ char *nick = c.nick ? strndup(c.nick, c.nick_len) : NULL;
	if (c.nick && !nick)
		return -ENOMEM;
	struct excise_obs_attr at[5];
	size_t n = 0;
	if (nick && *nick)
		at[n++] = (struct excise_obs_attr){ "nickname", nick };
	at[n++] = (struct excise_obs_attr){ "browser", d->p->browser };
	at[n++] = (struct excise_obs_attr){ "profile", d->p->name };
	at[n++] = (struct excise_obs_attr){ "user", d->p->user };
	at[n++] = (struct excise_obs_attr){ "trust", trust };
	int r = cert_emit_der(d->ctx, c.der, c.der_len, d->path, state, at, n);
	if (r == -EXCISE_E_CORRUPT) {
		char msg[512];
		snprintf(msg, sizeof(msg), "'%s': offset %" PRIu64 ": a certificate record whose %zu bytes are not "
			 "one DER certificate", d->path, rec->offset, c.der_len);
		db8_damaged(d, msg);
		r = 0;
	}
	return r;
}

/* An entry too large for the table (over 14 KiB) kept in a file of the .dir folder
 * beside it (nssdbm_blob_path), read through the root. */
static int blob8(struct db8 *d, const struct nssdbm_rec *rec)
{
	char msg[512];
	_cleanup_free_ char *path = NULL;
	uint32_t size = 0;
	int r = nssdbm_blob_path(rec, d->path, &path, &size);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		snprintf(msg, sizeof(msg), "'%s': offset %" PRIu64 ": a reference to an entry kept outside the "
			 "database with no valid file name", d->path, rec->offset);
		db8_damaged(d, msg);
		return 0;
	}
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	r = root_read_file(source_root(d->ctx), path, EXCISE_MAX_NSSDB_SIZE, &data, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || len != size) {
		snprintf(msg, sizeof(msg), "'%s': offset %" PRIu64 ": the entry kept in '%s' %s", d->path,
			 rec->offset, path, r == -EXCISE_E_TOOBIG ? "is larger than EXCISE_MAX_NSSDB_SIZE" :
			 r < 0 ? "cannot be read" : "is not of the size the database gives");
		db8_damaged(d, msg);
		return 0;
	}
	struct nssdbm_rec full = { .key = rec->key, .key_len = rec->key_len, .data = (unsigned char *)data,
				   .data_len = len, .offset = rec->offset };
	return emit8(d, &full);
}

static int on_rec8(void *ud, const struct nssdbm_rec *rec)
{
	struct db8 *d = ud;
	if (!nssdbm_is_cert(rec))
		return 0;
	if (d->n >= EXCISE_MAX_CERTS_PER_BUNDLE) {
		source_item_error(d->ctx, EXCISE_E_LIMIT, "'%s': more than %u certificates, only the first %u read",
				  d->path, EXCISE_MAX_CERTS_PER_BUNDLE, EXCISE_MAX_CERTS_PER_BUNDLE);
		return -EXCISE_E_LIMIT;
	}
	d->n++;
	return nssdbm_is_blob(rec) ? blob8(d, rec) : emit8(d, rec);
}

/* Read one cert8.db (Berkeley DB hash, lib/parse/nssdbm.h). Returns < 0 only for -ENOMEM. */
static int read_db8(struct source_ctx *ctx, const struct profile *p, const char *c8)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = root_read_file(source_root(ctx), c8, EXCISE_MAX_NSSDB_SIZE, &data, &len);
	if (r == -EXCISE_E_TOOBIG) {
		source_item_error(ctx, EXCISE_E_TOOBIG, "'%s': larger than %u bytes (EXCISE_MAX_NSSDB_SIZE), not read",
				  c8, EXCISE_MAX_NSSDB_SIZE);
		return 0;
	}
	if (r < 0) {
		if (r != -ENOMEM)
			source_incomplete(ctx, r, "'%s': cannot read", c8);
		return r == -ENOMEM ? r : 0;
	}
	struct db8 d = { .ctx = ctx, .p = p, .path = c8 };
	struct excise_err err = { 0 };
	r = nssdbm_each(data, len, c8, on_rec8, &d, &err);
	if (r == -ENOMEM)
		return r;
	if (r == -EXCISE_E_CORRUPT)
		db8_damaged(&d, err.msg);
	return 0;
}

static int on_profile(struct source_ctx *ctx, const struct profile *p, void *ud)
{
	struct nss *n = ud;
	const struct root *root = source_root(ctx);
	_cleanup_free_ char *c9 = path_join(p->dir, "cert9.db");
	_cleanup_free_ char *c8 = path_join(p->dir, "cert8.db");
	if (!c9 || !c8)
		return -ENOMEM;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = root_read_file(root, c9, EXCISE_MAX_NSSDB_SIZE, &data, &len);
	if (r == -ENOENT) {
		struct stat st;
		if (root_stat(root, c8, &st) != 0)
			return 0;
		n->found = true;
		return read_db8(ctx, p, c8);
	}
	n->found = true;
	if (r == -EXCISE_E_TOOBIG) {
		source_item_error(ctx, EXCISE_E_TOOBIG, "'%s': larger than %u bytes (EXCISE_MAX_NSSDB_SIZE), not read",
				  c9, EXCISE_MAX_NSSDB_SIZE);
		return 0;
	}
	if (r < 0) {
		if (r != -ENOMEM)
			source_item_error(ctx, r, "'%s': cannot read", c9);
		return r == -ENOMEM ? r : 0;
	}
	struct db d = { .ctx = ctx, .p = p, .path = c9 };
	return read_db(&d, (unsigned char *)data, len);
}

static int run(struct source_ctx *ctx)
{
	struct nss n = { 0 };
	bool any = false;
	int r = profiles_foreach(ctx, PROFILE_FIREFOX | PROFILE_NSSDB, on_profile, &n, &any);
	if (r < 0)
		return source_fail(ctx, r, "NSS databases: %s", excise_strerror(r));
	return n.found ? 0 : -EXCISE_E_ABSENT;
}

const struct source source_nss = {
	.name = "nss-certs",
	.platform = "any",
	.flags = SOURCE_ALL_USERS,
	.description = "certificates in Firefox profiles' and users' NSS databases (cert9.db, cert8.db)",
	.run = run,
};
