/* SPDX-License-Identifier: Apache-2.0 */
/* nssdb: a certificate out of an NSS cert9.db, changed in memory (see nssdb.h). */
#include "remove/nssdb.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/macro.h"

#define CKO_CERTIFICATE "x'00000001'"
#define CKO_NSS_TRUST "x'ce534353'"

static int db_err(struct nssdb *d, int rc, const char *what, struct excise_err *err)
{
	int e = sqlitedb_error(&d->db, rc);
	return err_set(err, e, "'%s': %s: %s", d->path, what,
		       e == -EXCISE_E_LIMIT ? "past the time limit (EXCISE_MAX_SQLITE_SECONDS)" : sqlite3_errmsg(d->db.h));
}

int nssdb_open(const struct root *r, const char *path, struct nssdb *d, struct excise_err *err)
{
	*d = (struct nssdb){ .path = path };
	int fd = root_open_regular(r, path, true, &d->st);
	if (fd == -EXCISE_E_SPECIAL || fd == -EISDIR)
		return err_set(err, fd, "'%s' is a %s, not an NSS database: not read", path, root_type_name(d->st.st_mode));
	if (fd == -ELOOP)
		return err_set(err, fd, "'%s' is a symbolic link (or lies below one): not followed", path);
	if (fd < 0)
		return err_setc(err, fd, "'%s': open", path);
	char *data = NULL;
	size_t len = 0;
	int k = read_fd_all(fd, EXCISE_MAX_NSSDB_SIZE, &data, &len);
	close(fd);
	if (k == -EXCISE_E_TOOBIG)
		return err_set(err, k, "'%s': larger than %u bytes (EXCISE_MAX_NSSDB_SIZE): not read", path,
			       EXCISE_MAX_NSSDB_SIZE);
	if (k < 0)
		return err_setc(err, k, "'%s': read", path);
	struct stat st = d->st;
	k = nssdb_open_bytes(path, data, len, d, err);
	d->st = st;
	return k;
}

int nssdb_open_bytes(const char *path, char *data, size_t len, struct nssdb *d, struct excise_err *err)
{
	*d = (struct nssdb){ .path = path, .orig = data, .orig_len = len };
	unsigned char *copy = sqlite3_malloc64(len ? len : 1);
	if (!copy) {
		nssdb_close(d);
		return err_set(err, -ENOMEM, "out of memory");
	}
	if (len)
		memcpy(copy, data, len);
	int k = sqlitedb_open_mem_rw(path, copy, len, &d->db, err);
	if (k < 0) {
		nssdb_close(d);
		return k;
	}
	k = sqlitedb_check_schema(&d->db, path, err);
	sqlite3_stmt *s = NULL;
	if (k == 0 && sqlite3_prepare_v2(d->db.h, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'nssPublic'",
					 -1, &s, NULL) != SQLITE_OK)
		k = db_err(d, sqlite3_errcode(d->db.h), "cannot read the schema", err);
	if (k == 0) {
		int rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			k = err_set(err, -EXCISE_E_CORRUPT, "'%s': no nssPublic table: not an NSS database", path);
		else if (rc != SQLITE_ROW)
			k = db_err(d, rc, "cannot read the schema", err);
	}
	sqlite3_finalize(s);
	if (k < 0)
		nssdb_close(d);
	return k;
}

void nssdb_close(struct nssdb *d)
{
	sqlitedb_close(&d->db);
	free(d->orig);
	d->orig = NULL;
}

static int count_one(void *ud, const unsigned char *der, size_t len)
{
	(void)der, (void)len;
	++*(size_t *)ud;
	return 0;
}

int nssdb_n_certs(struct nssdb *d, size_t *n, struct excise_err *err)
{
	*n = 0;
	return nssdb_each_cert(d, count_one, n, err);
}

int nssdb_check_image(const char *path, const unsigned char *img, size_t len, const char *hex, size_t others,
		      struct excise_err *err)
{
	struct nssdb d = { .path = path };
	unsigned char *copy = sqlite3_malloc64(len ? len : 1);
	if (!copy)
		return err_set(err, -ENOMEM, "out of memory");
	memcpy(copy, img, len);
	int r = sqlitedb_open_mem_rw(path, copy, len, &d.db, err);
	sqlite3_stmt *s = NULL;
	if (r == 0 && sqlite3_prepare_v2(d.db.h, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
		r = db_err(&d, sqlite3_errcode(d.db.h), "integrity check", err);
	if (r == 0) {
		int rc = sqlite3_step(s);
		const char *t = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
		if (!t || strcmp(t, "ok"))
			r = err_set(err, -EXCISE_E_CORRUPT, "'%s': the database without the certificate fails SQLite's "
				    "integrity check (%.200s): not put in place", path, t ? t : sqlite3_errmsg(d.db.h));
	}
	sqlite3_finalize(s);
	size_t n = 0, all = 0;
	if (r == 0)
		r = nssdb_count(&d, hex, &n, NULL, 0, err);
	if (r == 0)
		r = nssdb_n_certs(&d, &all, err);
	if (r == 0 && (n || all != others))
		r = err_set(err, -EXCISE_E_CORRUPT, "'%s': the database without the certificate would hold %zu certificates, "
			    "%zu of them it, not the %zu others: not put in place", path, all, n, others);
	sqlitedb_close(&d.db);
	return r;
}

int nssdb_each_cert(struct nssdb *d, int (*fn)(void *ud, const unsigned char *der, size_t len), void *ud,
		    struct excise_err *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(d->db.h, "SELECT a11 FROM nssPublic WHERE a0 = " CKO_CERTIFICATE, -1, &s, NULL) != SQLITE_OK)
		return db_err(d, sqlite3_errcode(d->db.h), "cannot read the certificates", err);
	int rc, r = 0;
	size_t n = 0;
	while (r == 0 && (sqlitedb_arm(&d->db), (rc = sqlite3_step(s)) == SQLITE_ROW)) {
		if (++n > EXCISE_MAX_CERTS_PER_BUNDLE) {
			r = err_set(err, -EXCISE_E_LIMIT, "'%s': more than %u certificates (EXCISE_MAX_CERTS_PER_BUNDLE)",
				    d->path, EXCISE_MAX_CERTS_PER_BUNDLE);
			break;
		}
		const unsigned char *der = sqlite3_column_blob(s, 0);
		int len = sqlite3_column_bytes(s, 0);
		if (der && len > 0)
			r = fn(ud, der, (size_t)len);
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = db_err(d, rc, "reading the certificates", err);
	sqlite3_finalize(s);
	return r;
}

static bool same_sha256(const unsigned char *der, size_t len, const char *hex)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(der, len, md);
	char h[2 * SHA256_DIGEST_LENGTH + 1];
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(h + 2 * i, 3, "%02x", md[i]);
	return strcasecmp(h, hex) == 0;
}

/* A certificate with that sha256: its row (by rowid: the table itself, not an index a
 * damaged file may have wrong) and its SHA-1 (what its trust row names). */
struct hit {
	sqlite3_int64 id;
	unsigned char sha1[SHA_DIGEST_LENGTH];
};

static int find(struct nssdb *d, const char *hex, struct hit **ret, size_t *n, char *nick, size_t nick_size,
		struct excise_err *err)
{
	*ret = NULL;
	*n = 0;
	if (nick_size)
		nick[0] = 0;
	if (strlen(hex) != 64)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': a certificate sha256 is 64 hex digits, not '%.80s'", d->path,
			       hex);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(d->db.h, "SELECT rowid, a11, a3 FROM nssPublic WHERE a0 = " CKO_CERTIFICATE, -1, &s,
			       NULL) != SQLITE_OK)
		return db_err(d, sqlite3_errcode(d->db.h), "cannot read the certificates", err);
	int rc, r = 0;
	size_t seen = 0;
	while (r == 0 && (sqlitedb_arm(&d->db), (rc = sqlite3_step(s)) == SQLITE_ROW)) {
		if (++seen > EXCISE_MAX_CERTS_PER_BUNDLE) {
			r = err_set(err, -EXCISE_E_LIMIT, "'%s': more than %u certificates (EXCISE_MAX_CERTS_PER_BUNDLE)",
				    d->path, EXCISE_MAX_CERTS_PER_BUNDLE);
			break;
		}
		const unsigned char *der = sqlite3_column_blob(s, 1);
		int len = sqlite3_column_bytes(s, 1);
		if (!der || len <= 0 || !same_sha256(der, (size_t)len, hex))
			continue;
		struct hit *v = realloc(*ret, (*n + 1) * sizeof(*v));
		if (!v) {
			r = err_set(err, -ENOMEM, "out of memory");
			break;
		}
		*ret = v;
		v[*n].id = sqlite3_column_int64(s, 0);
		SHA1(der, (size_t)len, v[*n].sha1);
		if (*n == 0 && nick_size) {
			const char *l = sqlite3_column_blob(s, 2);
			int ll = sqlite3_column_bytes(s, 2);
			/* NSS's explicit NULL (a5 00 5a), a control byte or one too long is no nickname */
			bool ok = l && ll > 0 && (size_t)ll < nick_size;
			for (int i = 0; ok && i < ll; i++)
				ok = (unsigned char)l[i] >= 0x20 && l[i] != 0x7f;
			if (ok)
				memcpy(nick, l, (size_t)ll);
			nick[ok ? ll : 0] = 0;
		}
		(*n)++;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = db_err(d, rc, "reading the certificates", err);
	sqlite3_finalize(s);
	if (r < 0) {
		free(*ret);
		*ret = NULL;
		*n = 0;
	}
	return r;
}

int nssdb_count(struct nssdb *d, const char *hex, size_t *n, char *nick, size_t nick_size, struct excise_err *err)
{
	struct hit *h = NULL;
	int r = find(d, hex, &h, n, nick, nick_size, err);
	free(h);
	return r;
}

static int exec(struct nssdb *d, const char *sql, struct excise_err *err)
{
	int rc = sqlite3_exec(d->db.h, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : db_err(d, rc, sql, err);
}

int nssdb_delete(struct nssdb *d, const char *hex, size_t *certs, size_t *trusts, struct excise_err *err)
{
	*certs = *trusts = 0;
	struct hit *h = NULL;
	size_t n = 0;
	int r = find(d, hex, &h, &n, NULL, 0, err);
	if (r < 0 || n == 0) {
		free(h);
		return r;
	}
	/* the pages the rows leave are zeroed: the certificate's bytes do not stay in the file */
	r = exec(d, "PRAGMA secure_delete = ON", err);
	if (r == 0)
		r = exec(d, "BEGIN IMMEDIATE", err);
	sqlite3_stmt *dc = NULL, *dt = NULL;
	/* a trust row names its certificate by SHA-1 (CKA_CERT_SHA1_HASH); one without that
	 * attribute by the certificate's issuer and serial number */
	if (r == 0 && (sqlite3_prepare_v2(d->db.h, "DELETE FROM nssPublic WHERE rowid = ?1 AND a0 = " CKO_CERTIFICATE, -1,
					  &dc, NULL) != SQLITE_OK ||
		       sqlite3_prepare_v2(d->db.h, "DELETE FROM nssPublic WHERE a0 = " CKO_NSS_TRUST " AND (ace5363b4 = ?1 "
					  "OR ((ace5363b4 IS NULL OR length(ace5363b4) <> 20) AND a81 = (SELECT a81 FROM "
					  "nssPublic WHERE rowid = ?2) AND a82 = (SELECT a82 FROM nssPublic WHERE rowid = ?2)))",
					  -1, &dt, NULL) != SQLITE_OK))
		r = db_err(d, sqlite3_errcode(d->db.h), "cannot prepare the deletion", err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		sqlite3_bind_blob(dt, 1, h[i].sha1, SHA_DIGEST_LENGTH, SQLITE_STATIC);
		sqlite3_bind_int64(dt, 2, h[i].id);
		sqlitedb_arm(&d->db);
		int rc = sqlite3_step(dt);
		if (rc != SQLITE_DONE)
			r = db_err(d, rc, "deleting the trust", err);
		*trusts += (size_t)sqlite3_changes(d->db.h);
		sqlite3_reset(dt);
		sqlite3_bind_int64(dc, 1, h[i].id);
		rc = r == 0 ? sqlite3_step(dc) : SQLITE_DONE;
		if (r == 0 && rc != SQLITE_DONE)
			r = db_err(d, rc, "deleting the certificate", err);
		*certs += r == 0 ? (size_t)sqlite3_changes(d->db.h) : 0;
		sqlite3_reset(dc);
	}
	sqlite3_finalize(dc);
	sqlite3_finalize(dt);
	free(h);
	if (r == 0)
		r = exec(d, "COMMIT", err);
	else
		(void)sqlite3_exec(d->db.h, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int nssdb_image(struct nssdb *d, unsigned char **ret, size_t *ret_len, struct excise_err *err)
{
	sqlite3_int64 n = 0;
	*ret = sqlite3_serialize(d->db.h, "main", &n, 0);
	*ret_len = n > 0 ? (size_t)n : 0;
	return *ret ? 0 : err_set(err, -ENOMEM, "'%s': out of memory serializing the database", d->path);
}

/* ---- is it in use? ---- */

static char *sibling(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) : 0;
	char *s = malloc(dl + strlen(name) + 2);
	if (s)
		sprintf(s, "%.*s/%s", (int)dl, path, name);
	return s;
}

static char *suffixed(const char *path, const char *suffix)
{
	char *s = malloc(strlen(path) + strlen(suffix) + 1);
	if (s)
		sprintf(s, "%s%s", path, suffix);
	return s;
}

/* Whether some process holds an fcntl lock on the regular file `name` in the root. */
static bool fcntl_locked(const struct root *r, const char *name)
{
	struct stat st;
	int fd = root_open_regular(r, name, true, &st);
	if (fd < 0)
		return false;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	bool held = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return held;
}

/* On the live host: the first process (not this one) with one of the files open. */
static long open_by(const struct stat *files, size_t n)
{
	DIR *proc = opendir("/proc");
	if (!proc)
		return 0;
	long found = 0;
	pid_t self = getpid();
	struct dirent *de;
	while (!found && (de = readdir(proc))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (pid <= 0 || *end || pid == self)
			continue;
		char fdp[64];
		snprintf(fdp, sizeof(fdp), "/proc/%ld/fd", pid);
		DIR *fds = opendir(fdp);
		if (!fds)
			continue; /* gone, or not ours to look at */
		struct dirent *fe;
		while (!found && (fe = readdir(fds))) {
			struct stat st;
			if (fe->d_name[0] == '.' || fstatat(dirfd(fds), fe->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
				continue;
			for (size_t i = 0; i < n && !found; i++)
				if (st.st_dev == files[i].st_dev && st.st_ino == files[i].st_ino)
					found = pid;
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

int nssdb_busy(const struct root *r, const char *path, char *why, size_t size)
{
	why[0] = 0;
	char *lock = sibling(path, "lock"), *parent = sibling(path, ".parentlock"), *wparent = sibling(path, "parent.lock");
	char *journal = suffixed(path, "-journal"), *wal = suffixed(path, "-wal"), *key4 = sibling(path, "key4.db");
	int busy = lock && parent && wparent && journal && wal && key4 ? 0 : -ENOMEM;
	struct stat st;
	if (busy == 0 && root_lstat(r, lock, &st) == 0) {
		char *target = NULL;
		(void)!root_readlink(r, lock, &target);
		snprintf(why, size, "'%s'%s%s%s is there: Firefox or Thunderbird is running with this profile; close it "
			 "and run again (a lock left by a browser that was killed goes when the browser is started and "
			 "closed again)", lock, target ? " (-> " : "", target ? target : "", target ? ")" : "");
		free(target);
		busy = 1;
	}
	for (const char *l = parent; busy == 0 && l; l = l == parent ? wparent : NULL)
		if (fcntl_locked(r, l)) {
			snprintf(why, size, "'%s' is locked: Firefox or Thunderbird is running with this profile; close it "
				 "and run again", l);
			busy = 1;
		}
	for (const char *j = journal; busy == 0 && j; j = j == journal ? wal : NULL)
		if (root_lstat(r, j, &st) == 0 && (st.st_size > 0 || !S_ISREG(st.st_mode))) {
			snprintf(why, size, "'%s' is there: a program is writing the database, or was stopped while it did; "
				 "close the browser (start and close it once after a crash) and run again", j);
			busy = 1;
		}
	if (busy == 0 && r->live) {
		struct stat files[2];
		size_t n = 0;
		if (root_stat(r, path, &files[n]) == 0)
			n++;
		if (root_stat(r, key4, &files[n]) == 0)
			n++;
		long pid = n ? open_by(files, n) : 0;
		if (pid) {
			char comm[64] = "", p[64];
			snprintf(p, sizeof(p), "/proc/%ld/comm", pid);
			int fd = open(p, O_RDONLY | O_CLOEXEC);
			ssize_t k = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
			if (fd >= 0)
				close(fd);
			comm[k > 0 ? k : 0] = 0;
			comm[strcspn(comm, "\n")] = 0;
			for (char *c = comm; *c; c++)
				if (!isprint((unsigned char)*c))
					*c = '?';
			snprintf(why, size, "process %ld (%s) has the database '%s' open: close that browser and run again",
				 pid, comm[0] ? comm : "?", path);
			busy = 1;
		}
	}
	free(lock);
	free(parent);
	free(wparent);
	free(journal);
	free(wal);
	free(key4);
	return busy;
}
