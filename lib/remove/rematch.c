/* SPDX-License-Identifier: Apache-2.0 */
/* rematch: evidence observed again on the target before anything rests on it (rematch.h). */
#include "remove/rematch.h"
#include "remove/nssdb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/limits.h"
#include "core/x509name.h"
#include "parse/nssdbm.h"
#include "parse/pem.h"

static int same_indicator(void *ud, const struct excise_indicator *ind)
{
	return ind == ud;
}

/* Whether `s` (may be NULL) matches the claimed indicator, as the field it is. */
static bool matches(const struct matcher *m, const struct rematch_claim *c, enum excise_field field, const char *s)
{
	return s && matcher_match(m, c->ind->kind, field, s, strlen(s), same_indicator, (void *)c->ind) == 1;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static bool src(const struct rematch_claim *c, const char *name)
{
	return c->source && !strcmp(c->source, name);
}

/* The name a source gives the file `base`: a module without .ko*, an rc link without S/K and its number. */
static void source_name(const struct rematch_claim *c, const char *base, char *out, size_t size)
{
	snprintf(out, size, "%s", base);
	if (src(c, "kmod")) {
		for (char *ko = strstr(out, ".ko"); ko; ko = strstr(ko + 1, ".ko"))
			if (!ko[3] || !strcmp(ko + 3, ".xz") || !strcmp(ko + 3, ".zst") || !strcmp(ko + 3, ".gz")) {
				*ko = 0;
				break;
			}
	} else if (src(c, "sysv") && (out[0] == 'S' || out[0] == 'K') && out[1] >= '0' && out[1] <= '9' &&
		   out[2] >= '0' && out[2] <= '9' && out[3]) {
		memmove(out, out + 3, strlen(out + 3) + 1);
	}
}

/* A unit, script or module file: its name (or a link's target's) matches a NAME indicator;
 * a link's text a TARGET one; any other field's value is among the file's bytes. */
static int rematch_file_of(const struct root *r, const struct matcher *m, const struct rematch_claim *c,
			   const struct stat *st, char *why, size_t size)
{
	char name[NAME_MAX + 1], tname[NAME_MAX + 1] = "";
	char *link = NULL;
	if (S_ISLNK(st->st_mode) && root_readlink(r, c->path, &link) < 0)
		link = NULL;
	source_name(c, base_name(c->path), name, sizeof(name));
	if (link)
		source_name(c, base_name(link), tname, sizeof(tname));
	enum excise_field f = c->ind->field;
	int ret = 0;
	if (f == EXCISE_F_NAME) {
		if (!matches(m, c, f, name) && !(link && matches(m, c, f, tname)))
			snprintf(why, size, "'%s' is %s%s%s%s, which indicator %s does not match", c->path, name,
				 link ? " (a link to " : "", link ? tname : "", link ? ")" : "", c->ind->id);
		ret = why[0] ? -EXCISE_E_CHANGED : 0;
	} else if (f == EXCISE_F_PATH) {
		if (!matches(m, c, f, c->path))
			snprintf(why, size, "path '%s' does not match indicator %s", c->path, c->ind->id);
		ret = why[0] ? -EXCISE_E_CHANGED : 0;
	} else if (f == EXCISE_F_TARGET && link) {
		if (!matches(m, c, f, link))
			snprintf(why, size, "'%s' links to '%s', which indicator %s does not match", c->path, link,
				 c->ind->id);
		ret = why[0] ? -EXCISE_E_CHANGED : 0;
	} else {
		char *data = NULL;
		size_t len = 0;
		int k = root_read_file(r, c->path, src(c, "kmod") ? EXCISE_MAX_KMOD_SIZE : EXCISE_MAX_TEXT_FILE_SIZE,
				       &data, &len);
		if (k == -ENOMEM)
			ret = k;
		else if (k < 0)
			snprintf(why, size, "'%s' cannot be read again: %s", c->path, strerror(k < -999 ? EIO : -k));
		else if (!c->value[0] || !memmem(data, len, c->value, strlen(c->value)))
			snprintf(why, size, "'%s' no longer holds '%s'", c->path, c->value);
		free(data);
		ret = ret ? ret : why[0] ? -EXCISE_E_CHANGED : 0;
	}
	free(link);
	return ret;
}

/* ---- certificates ---- */

struct cert_seek {
	const struct matcher *m;
	const struct rematch_claim *c;
	bool hash_seen;   /* a certificate with the claimed hash is there */
	bool held;        /* ... and it matches the indicator */
	char field[256];  /* what that certificate's field is, for the reason */
};

/* The certificate's string for an indicator's field; free() it. NULL: none. */
static char *cert_field(X509 *x, enum excise_field f, const char *path)
{
	const X509_NAME *subj = X509_get_subject_name(x);
	char *s = NULL;
	switch (f) {
	case EXCISE_F_NAME:
		(void)!x509_name_entry(subj, NID_commonName, &s);
		return s;
	case EXCISE_F_PUBLISHER:
		(void)!x509_name_entry(subj, NID_organizationName, &s);
		return s;
	case EXCISE_F_SUBJECT:
		return x509_dn(subj);
	case EXCISE_F_ISSUER:
		return x509_dn(X509_get_issuer_name(x));
	case EXCISE_F_PATH:
		return strdup(path);
	default:
		return NULL;
	}
}

static void cert_one(struct cert_seek *cs, X509 *x)
{
	unsigned char md[32];
	char hex[65];
	if (!x || !cert_sha256(x, md))
		return;
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (cs->c->sha256 && strcasecmp(hex, cs->c->sha256))
		return;
	cs->hash_seen = true;
	char *v = cert_field(x, cs->c->ind->field, cs->c->path);
	if (matches(cs->m, cs->c, cs->c->ind->field, v))
		cs->held = true;
	else if (!cs->field[0])
		snprintf(cs->field, sizeof(cs->field), "%s", v ? v : "(none)");
	free(v);
}

static int cert_block(void *ud, const struct pem_block *b)
{
	struct cert_seek *cs = ud;
	BIO *bio = b->len <= INT_MAX ? BIO_new_mem_buf(b->data, (int)b->len) : NULL;
	X509 *x = bio ? (b->trusted ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL) : PEM_read_bio_X509(bio, NULL, NULL, NULL))
		      : NULL;
	BIO_free(bio);
	cert_one(cs, x);
	X509_free(x);
	ERR_clear_error();
	return 0;
}

/* The claimed file read again: 0, -ENOMEM, -ENOENT (gone), or a change when it cannot be
 * read (the reason in `why`). */
static int read_again(const struct root *r, const struct rematch_claim *c, size_t max, char **data, size_t *len,
		      char *why, size_t size)
{
	int k = root_read_file(r, c->path, max, data, len);
	if (k >= 0 || k == -ENOMEM || k == -ENOENT)
		return k < 0 ? k : 0;
	snprintf(why, size, "'%s' cannot be read again: %s", c->path, strerror(k < -999 ? EIO : -k));
	return -EXCISE_E_CHANGED;
}

static int rematch_cert(const struct root *r, const struct matcher *m, const struct rematch_claim *c, char *why,
			size_t size)
{
	char *data = NULL;
	size_t len = 0, n = 0;
	int k = read_again(r, c, EXCISE_MAX_PEM_BUNDLE_SIZE, &data, &len, why, size);
	if (k < 0)
		return k;
	struct cert_seek cs = { .m = m, .c = c };
	(void)pem_cert_blocks(data, len, EXCISE_MAX_CERTS_PER_BUNDLE, cert_block, &cs, &n);
	if (n == 0) { /* a DER file */
		const unsigned char *q = (const unsigned char *)data;
		X509 *x = len <= 0x7fffffff ? d2i_X509(NULL, &q, (long)len) : NULL;
		cert_one(&cs, x);
		X509_free(x);
		ERR_clear_error();
	}
	free(data);
	if (cs.held)
		return 0;
	/* Not there (any more): nothing to remove, which is no harm. Without a claimed
	 * hash (a bundle's evidence, once the bundle is made again) no certificate of the
	 * file matching the indicator means the same. */
	if (!c->sha256) {
		snprintf(why, size, "'%s' holds no certificate the indicator matches", c->path);
		return -ENOENT;
	}
	if (!cs.hash_seen) {
		snprintf(why, size, "'%s' holds no certificate with sha256 %s", c->path, c->sha256);
		return -ENOENT;
	}
	snprintf(why, size, "the certificate %s in '%s' is '%s', which indicator %s does not match", c->sha256,
		 c->path, cs.field, c->ind->id);
	return -EXCISE_E_CHANGED;
}

static int nss_cert(void *ud, const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	X509 *x = len <= 0x7fffffff ? d2i_X509(NULL, &q, (long)len) : NULL;
	cert_one(ud, x);
	X509_free(x);
	ERR_clear_error();
	return 0;
}

/* What the search of a database for the claimed certificate found: held (0), gone
 * (-ENOENT) or another certificate under the claimed hash (a change). */
static int cert_verdict(const struct cert_seek *cs, const struct rematch_claim *c, char *why, size_t size)
{
	if (cs->held)
		return 0;
	if (!c->sha256 || !cs->hash_seen) {
		snprintf(why, size, "'%s' holds no certificate %s%s", c->path, c->sha256 ? "with sha256 " :
			 "the indicator matches", c->sha256 ? c->sha256 : "");
		return -ENOENT;
	}
	snprintf(why, size, "the certificate %s in '%s' is '%s', which indicator %s does not match", c->sha256,
		 c->path, cs->field, c->ind->id);
	return -EXCISE_E_CHANGED;
}

/* A certificate of an NSS database (source nss-certs): the same test, over the database's
 * certificates (nssdb.h: read through the root, opened in memory). */
static int rematch_nss_cert(const struct root *r, const struct matcher *m, const struct rematch_claim *c, char *why,
			    size_t size)
{
	struct nssdb d;
	struct excise_err err = { 0 };
	int k = nssdb_open(r, c->path, &d, &err);
	if (k == -ENOMEM || k == -ENOENT)
		return k;
	if (k < 0) {
		snprintf(why, size, "%s", err.msg);
		return -EXCISE_E_CHANGED;
	}
	struct cert_seek cs = { .m = m, .c = c };
	k = nssdb_each_cert(&d, nss_cert, &cs, &err);
	nssdb_close(&d);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		snprintf(why, size, "%s", err.msg);
		return -EXCISE_E_CHANGED;
	}
	return cert_verdict(&cs, c, why, size);
}

/* A certificate of a legacy cert8.db (lib/parse/nssdbm.h): the same test over its
 * certificate records, an entry kept in the .dir folder read from there. A damaged
 * database is a change. */
struct seek8 {
	const struct root *r;
	const char *path;
	struct cert_seek *cs;
};

static int rec8(void *ud, const struct nssdbm_rec *rec)
{
	struct seek8 *s = ud;
	if (!nssdbm_is_cert(rec))
		return 0;
	struct nssdbm_cert c;
	struct excise_err err = { 0 };
	if (!nssdbm_is_blob(rec)) {
		if (nssdbm_cert(rec, s->path, &c, &err) == 0)
			(void)nss_cert(s->cs, c.der, c.der_len);
		return 0;
	}
	char *path = NULL, *data = NULL;
	uint32_t size = 0;
	size_t len = 0;
	int k = nssdbm_blob_path(rec, s->path, &path, &size);
	if (k == 0)
		k = root_read_file(s->r, path, EXCISE_MAX_NSSDB_SIZE, &data, &len);
	free(path);
	if (k == -ENOMEM)
		return k;
	struct nssdbm_rec full = { .key = rec->key, .key_len = rec->key_len, .data = (unsigned char *)data,
				   .data_len = len, .offset = rec->offset };
	if (k == 0 && len == size && nssdbm_cert(&full, s->path, &c, &err) == 0)
		(void)nss_cert(s->cs, c.der, c.der_len);
	free(data);
	return 0;
}

static int rematch_nss8_cert(const struct root *r, const struct matcher *m, const struct rematch_claim *c,
			     char *why, size_t size)
{
	char *data = NULL;
	size_t len = 0;
	int k = read_again(r, c, EXCISE_MAX_NSSDB_SIZE, &data, &len, why, size);
	if (k < 0)
		return k;
	struct cert_seek cs = { .m = m, .c = c };
	struct seek8 s = { .r = r, .path = c->path, .cs = &cs };
	struct excise_err err = { 0 };
	k = nssdbm_each(data, len, c->path, rec8, &s, &err);
	free(data);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		snprintf(why, size, "%s", err.msg);
		return -EXCISE_E_CHANGED;
	}
	return cert_verdict(&cs, c, why, size);
}

/* ---- processes ---- */

static int rematch_process(const struct root *r, const struct matcher *m, const struct rematch_claim *c, char *why,
			   size_t size)
{
	if (!r->live) {
		snprintf(why, size, "a process (pid %lld) on a root that is not the live host", (long long)c->pid);
		return -EXCISE_E_CHANGED;
	}
	if (c->pid <= 0 || c->pid > INT_MAX) {
		snprintf(why, size, "no process id (pid %lld)", (long long)c->pid);
		return -EXCISE_E_CHANGED;
	}
	char dir[32], exe[PATH_MAX + 1], comm[64] = "", cmd[4096] = "";
	snprintf(dir, sizeof(dir), "/proc/%lld", (long long)c->pid);
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(why, size, "process %lld is not running", (long long)c->pid);
		return -ENOENT;
	}
	ssize_t k = readlinkat(dfd, "exe", exe, sizeof(exe) - 1);
	exe[k > 0 ? k : 0] = 0;
	static const char deleted[] = " (deleted)";
	size_t el = strlen(exe), dl = sizeof(deleted) - 1;
	if (el > dl && !strcmp(exe + el - dl, deleted))
		exe[el - dl] = 0;
	int fd = openat(dfd, "comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
	comm[n > 0 ? n : 0] = 0;
	comm[strcspn(comm, "\n")] = 0;
	if (fd >= 0)
		close(fd);
	fd = openat(dfd, "cmdline", O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, cmd, sizeof(cmd) - 1) : -1;
	if (fd >= 0)
		close(fd);
	close(dfd);
	size_t cl = n > 0 ? (size_t)n : 0;
	while (cl && !cmd[cl - 1])
		cl--;
	for (size_t i = 0; i < cl; i++)
		cmd[i] = cmd[i] ? cmd[i] : ' ';
	cmd[cl] = 0;
	if (!c->path || strcmp(exe, c->path)) {
		snprintf(why, size, "process %lld runs '%s', not '%s'", (long long)c->pid, exe[0] ? exe : "?",
			 c->path ? c->path : "?");
		return -EXCISE_E_CHANGED;
	}
	enum excise_field f = c->ind->field;
	const char *now = f == EXCISE_F_PATH ? exe : f == EXCISE_F_TARGET ? cmd : f == EXCISE_F_NAME ?
			  (exe[0] ? base_name(exe) : comm) : NULL;
	if (!matches(m, c, f, now)) {
		snprintf(why, size, "process %lld's %s is '%s', which indicator %s does not match", (long long)c->pid,
			 excise_field_name(f), now ? now : "", c->ind->id);
		return -EXCISE_E_CHANGED;
	}
	return 0;
}

/* ---- all ---- */

int rematch_claim(const struct root *r, const struct matcher *m, const struct rematch_claim *c, char *why,
		  size_t size)
{
	why[0] = 0;
	const struct excise_indicator *ind = c->ind;
	if (c->kind != ind->kind || !matches(m, c, ind->field, c->value ? c->value : "")) {
		snprintf(why, size, "%s '%s' does not match indicator %s", excise_obs_kind_name(c->kind),
			 c->value ? c->value : "", ind->id);
		return -EXCISE_E_CHANGED;
	}
	if (c->kind == EXCISE_OBS_PACKAGE) {
		if (c->package && ind->field == EXCISE_F_NAME && !matches(m, c, EXCISE_F_NAME, c->package)) {
			snprintf(why, size, "the package acted on is %s, which indicator %s does not match", c->package,
				 ind->id);
			return -EXCISE_E_CHANGED;
		}
		return 0;
	}
	if (c->kind == EXCISE_OBS_PROCESS && src(c, "proc"))
		return c->pid ? rematch_process(r, m, c, why, size) : 0;
	bool observed = (c->kind == EXCISE_OBS_FILE && c->path && c->path[0] == '/') ||
			((src(c, "systemd") || src(c, "sysv") || src(c, "kmod") || src(c, "truststore") ||
			  (src(c, "nss-certs") && c->kind == EXCISE_OBS_CERT)) && c->path);
	if (!observed)
		return 0;
	struct stat st;
	int k = root_lstat(r, c->path, &st);
	if (k == -ENOENT) {
		snprintf(why, size, "'%s' is no longer there", c->path);
		return k;
	}
	if (k < 0) {
		snprintf(why, size, "'%s' cannot be observed again: %s", c->path, strerror(k < -999 ? EIO : -k));
		return -EXCISE_E_CHANGED;
	}
	if (c->kind == EXCISE_OBS_CERT) {
		const char *base = strrchr(c->path, '/');
		if (!src(c, "nss-certs"))
			return rematch_cert(r, m, c, why, size);
		return base && !strcmp(base, "/cert8.db") ? rematch_nss8_cert(r, m, c, why, size)
							  : rematch_nss_cert(r, m, c, why, size);
	}
	if (c->kind == EXCISE_OBS_FILE) {
		const char *now = ind->field == EXCISE_F_NAME ? base_name(c->path) : ind->field == EXCISE_F_PATH ? c->path
														     : NULL;
		if (now && !matches(m, c, ind->field, now)) {
			snprintf(why, size, "'%s' is not what indicator %s names", c->path, ind->id);
			return -EXCISE_E_CHANGED;
		}
		return 0;
	}
	return rematch_file_of(r, m, c, &st, why, size);
}

const struct excise_indicator *rematch_indicator(const struct excise_catalog *c, const char *id)
{
	for (size_t i = 0; id && i < excise_catalog_n_indicators(c); i++) {
		const struct excise_indicator *ind = excise_catalog_indicator(c, i);
		if (!strcmp(ind->id, id))
			return ind;
	}
	return NULL;
}

enum excise_obs_kind rematch_kind(const char *name)
{
	for (int k = 0; name && k < _EXCISE_OBS_KIND_MAX; k++)
		if (!strcmp(excise_obs_kind_name((enum excise_obs_kind)k), name))
			return (enum excise_obs_kind)k;
	return _EXCISE_OBS_KIND_MAX;
}
