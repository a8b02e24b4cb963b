/* SPDX-License-Identifier: Apache-2.0 */
/*
 * action-cert: the actions on trust stores (lib/remove/action.h): remove a
 * certificate (a file holding only it is moved; a bundle is rewritten without it,
 * its original bytes kept in the run directory) and regenerate the trust store
 * (offline, the generated bundles are rewritten and dangling hash links removed).
 * Each with its note, its step in excise remove and its sh form.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/limits.h"
#include "parse/pem.h"
#include "remove/action.h"
#include "remove/plan_int.h"
#include "remove/remove_int.h"
#include "remove/spawn.h"
#include "core/x509name.h"

#define BACKUPS_FILE "backups.jsonl"

/* Bundles that update-ca-certificates / update-ca-trust generate. */
static const char *const generated_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/ca-bundle.pem",
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}


struct cert_count {
	const char *const *targets;
	size_t n_targets;
	size_t matched;
	struct buf *keep;            /* when rewriting: the text without the matched blocks */
	const char *text;            /* the text walked, and how far keep has copied it */
	size_t copied;
};

static bool block_matches(const struct pem_block *b, const char *const *targets, size_t n)
{
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	X509 *c = bio ? (b->trusted ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)
				    : PEM_read_bio_X509(bio, NULL, NULL, NULL)) : NULL;
	BIO_free(bio);
	unsigned char md[32];
	bool hit = false;
	if (c && cert_sha256(c, md)) {
		char hex[65];
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		for (size_t i = 0; i < n && !hit; i++)
			hit = strcasecmp(hex, targets[i]) == 0;
	}
	X509_free(c);
	return hit;
}

static int count_cb(void *ud, const struct pem_block *b)
{
	struct cert_count *cc = ud;
	bool hit = block_matches(b, cc->targets, cc->n_targets);
	cc->matched += hit;
	/* only the matched block's own bytes go: comments, keys, CRLs and other text stay */
	if (hit && cc->keep) {
		buf_add(cc->keep, cc->text + cc->copied, b->offset - cc->copied);
		cc->copied = b->offset + b->len;
	}
	return 0;
}

static int count_certs(const char *data, size_t len, struct cert_count *cc)
{
	cc->text = data;
	cc->copied = 0;
	int r = pem_cert_blocks(data, len, EXCISE_MAX_CERTS_PER_BUNDLE, count_cb, cc, NULL);
	if (r == 0 && cc->keep)
		buf_add(cc->keep, data + cc->copied, len - cc->copied);
	return r;
}

/* How many times `data` holds the certificate `sha` (< 0 on a parse error); *alone
 * says whether nothing but white space is there besides. */
static int cert_in(const char *data, size_t len, const char *sha, bool *alone)
{
	const char *t[] = { sha };
	struct buf rest;
	buf_init(&rest, EXCISE_MAX_PEM_BUNDLE_SIZE);
	struct cert_count cc = { .targets = t, .n_targets = 1, .keep = &rest };
	int r = count_certs(data, len, &cc);
	*alone = r == 0 && !rest.err;
	for (size_t i = 0; *alone && i < rest.n; i++)
		*alone = strchr(" \t\r\n", rest.p[i]) != NULL;
	buf_done(&rest);
	return r < 0 ? r : (int)cc.matched;
}

static bool is_nssdb(const char *path)
{
	const char *b = strrchr(path, '/');
	return b && !strcmp(b + 1, "cert9.db");
}

/* Record a file's original bytes in the run directory before it is rewritten (a trust
 * bundle; an NSS database, action-nss.c): restore puts them back while the file still
 * has the sha256 `after_hex`. */
int remove_save_backup(struct run *x, const char *path, const char *data, size_t len, const struct stat *st,
		       const char *after_hex, struct excise_err *err)
{
	char name[64];
	snprintf(name, sizeof(name), "%s-%lld.orig", is_nssdb(path) ? "nssdb" : "bundle", (long long)(now_ns() / 1000));
	int fd = openat(x->j.dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_setc(err, -errno, "'%s/%s': create", x->j.dir, name);
	int r = write_fd_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return err_setc(err, r, "'%s/%s': write", x->j.dir, name);
	json_t *rec = json_pack("{s:s, s:s, s:s, s:I, s:I}", "path", path, "backup", name, "sha256_after", after_hex,
				"atime_ns", (json_int_t)st->st_atim.tv_sec * 1000000000 + st->st_atim.tv_nsec,
				"mtime_ns", (json_int_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec);
	char *line = rec ? json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(rec);
	if (!line)
		return err_set(err, -ENOMEM, "out of memory");
	fd = journal_open_log(&x->j, BACKUPS_FILE);
	size_t ll = strlen(line);
	line[ll] = '\n';
	r = fd < 0 ? fd : write_fd_all(fd, line, ll + 1);
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(line);
	/* the new names must be on disk before the bundle is rewritten */
	if (r == 0 && fsync(x->j.dir_fd) < 0)
		r = -errno;
	return r < 0 ? err_setc(err, r, "'%s/" BACKUPS_FILE "': write", x->j.dir) : 0;
}

/* Rewrite the bundle at `path` without the target certificates: the original
 * bytes go to the run directory first, the new file replaces it atomically with
 * the same owner and mode. Returns the number of certificates removed, or < 0. */
static int filter_bundle(struct run *x, const char *path, const char *const *targets, size_t n,
			 struct excise_err *err)
{
	char *data = NULL;
	size_t len = 0;
	/* never blocking, its type checked before a read: a FIFO or a device planted
	 * where a bundle should be is reported, never read */
	struct stat st = { 0 };
	int fd = root_open_regular(&x->root, path, true, &st);
	/* not there, or reached through a link: the file it leads to has its own name in
	 * the list (RHEL's tls/certs/ca-bundle.crt, Fedora's /etc/ssl/certs) */
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP || fd == -EXDEV)
		return 0;
	if (fd == -EXCISE_E_SPECIAL || fd == -EISDIR)
		return err_set(err, -EXCISE_E_REFUSED, "'%s' is a %s, not a certificate bundle: not read, left alone",
			       path, root_type_name(st.st_mode));
	if (fd < 0)
		return err_setc(err, fd, "'%s': open", path);
	int r = read_fd_all(fd, EXCISE_MAX_PEM_BUNDLE_SIZE, &data, &len);
	close(fd);
	if (r < 0)
		return err_setc(err, r, "'%s': read", path);
	struct buf keep;
	buf_init(&keep, EXCISE_MAX_PEM_BUNDLE_SIZE);
	struct cert_count cc = { .targets = targets, .n_targets = n, .keep = &keep };
	r = count_certs(data, len, &cc);
	if (r == 0 && keep.err)
		r = err_setc(err, keep.err, "'%s': rewriting the bundle", path);
	if (r == 0 && cc.matched == 0) {
		free(data);
		buf_done(&keep);
		return 0;
	}
	char after[65];
	(void)!sha256_hex(keep.p, keep.n, after);
	if (r == 0)
		r = remove_save_backup(x, path, data, len, &st, after, err);
	free(data);
	/* nothing may have written it since it was read: that write would be lost */
	struct stat now;
	if (r == 0 && (root_lstat(&x->root, path, &now) < 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev ||
		       now.st_size != st.st_size || now.st_mtim.tv_sec != st.st_mtim.tv_sec ||
		       now.st_mtim.tv_nsec != st.st_mtim.tv_nsec || now.st_ctim.tv_sec != st.st_ctim.tv_sec ||
		       now.st_ctim.tv_nsec != st.st_ctim.tv_nsec))
		r = err_set(err, -EXCISE_E_CHANGED, "'%s' changed while it was being rewritten: left as it is", path);
	if (r == 0) {
		r = root_replace_file(&x->root, path, keep.p, keep.n, &st, NULL);
		if (r < 0)
			r = err_setc(err, r, "'%s': rewrite", path);
	}
	buf_done(&keep);
	return r < 0 ? r : (int)cc.matched;
}

static bool is_generated_bundle(const char *path)
{
	for (size_t i = 0; i < sizeof(generated_bundles) / sizeof(generated_bundles[0]); i++)
		if (strcmp(path, generated_bundles[i]) == 0)
			return true;
	return false;
}

/* Whether the file at `path` holds the certificate `sha` and nothing else but white space. */
static bool cert_alone(struct run *x, const char *path, const char *sha)
{
	char *data = NULL;
	size_t len = 0;
	struct stat st;
	if (root_read_regular(&x->root, path, EXCISE_MAX_PEM_BUNDLE_SIZE, &data, &len, &st) < 0)
		return false;
	bool alone;
	int n = cert_in(data, len, sha, &alone);
	free(data);
	return n > 0 && alone;
}

static enum excise_step_outcome do_cert(struct run *x, const struct excise_plan_step *s, struct excise_err *err)
{
	struct stat st;
	int r = root_lstat(&x->root, s->path, &st);
	if (r == -ENOENT) {
		remove_say(x, "'%s' is not there", s->path);
		return EXCISE_STEP_ALREADY;
	}
	if (r < 0) {
		remove_say(x, "'%s': %s", s->path, excise_strerror(r));
		return EXCISE_STEP_FAILED;
	}
	if (S_ISLNK(st.st_mode)) {
		/* a link to a bundle (RHEL's tls/certs/ca-bundle.crt) follows it; a link to
		 * the vendor's certificate alone, or to nothing, goes */
		char *real = NULL;
		if (root_realpath(&x->root, s->path, &real) == 0 && (is_generated_bundle(real) || !cert_alone(x, real, s->target))) {
			remove_say(x, "'%s' is a link to '%s', which holds more than the certificate: left in place", s->path,
			    real);
			free(real);
			return EXCISE_STEP_DONE;
		}
		free(real);
		return remove_put(x, s->path, NULL, err);
	}
	if (!S_ISREG(st.st_mode)) {
		remove_say(x, "'%s' is not a certificate file", s->path);
		return EXCISE_STEP_REFUSED;
	}
	if (is_generated_bundle(s->path)) {
		remove_say(x, "certificate %.16s… leaves '%s' when the trust store is regenerated", s->target, s->path);
		return EXCISE_STEP_DONE;
	}
	char *data = NULL;
	size_t len = 0;
	r = root_read_regular(&x->root, s->path, EXCISE_MAX_PEM_BUNDLE_SIZE, &data, &len, &st);
	if (r == -EXCISE_E_SPECIAL || r == -EISDIR || r == -ELOOP) {
		remove_say(x, "'%s' is now a %s, not a certificate file: not read", s->path,
			   r == -ELOOP ? "symbolic link" : root_type_name(st.st_mode));
		return EXCISE_STEP_REFUSED;
	}
	if (r < 0) {
		remove_say(x, "'%s': %s", s->path, excise_strerror(r));
		return EXCISE_STEP_FAILED;
	}
	bool alone;
	r = cert_in(data, len, s->target, &alone);
	free(data);
	if (r <= 0) {
		remove_say(x, "'%s' no longer holds certificate %.16s…", s->path, s->target);
		return EXCISE_STEP_ALREADY;
	}
	/* a file of the certificate alone is moved whole; one that holds more is rewritten */
	if (alone)
		return remove_put(x, s->path, NULL, err);
	const char *t[] = { s->target };
	r = filter_bundle(x, s->path, t, 1, err);
	if (r < 0) {
		remove_say(x, "%s", err->msg);
		return EXCISE_STEP_FAILED;
	}
	remove_say(x, "certificate %.16s… cut out of '%s' (original kept in the run directory)", s->target, s->path);
	return EXCISE_STEP_DONE;
}

/* Symlinks in a certificate directory left pointing at a file this run quarantined. */
static int drop_dangling_links(struct run *x, const char *dir, struct excise_err *err)
{
	DIR *dh;
	struct stat dst;
	/* a directory that is a link (Fedora's /etc/ssl/certs) is not walked through */
	if (root_lstat(&x->root, dir, &dst) < 0 || !S_ISDIR(dst.st_mode) || root_opendir(&x->root, dir, &dh) < 0)
		return 0;
	struct dirent *de;
	int r = 0;
	char **v = NULL;
	size_t n = 0;
	while ((de = readdir(dh))) {
		if (!remove_entry_is(dh, de, S_IFLNK))
			continue;
		char *lp = path_join(dir, de->d_name);
		char *target = NULL;
		struct stat st;
		bool drop = false;
		if (lp && root_readlink(&x->root, lp, &target) == 0 && root_stat(&x->root, lp, &st) == -ENOENT) {
			char *abs = target[0] == '/' ? strdup(target) : path_join(dir, target);
			/* only links to what this run moved, or to names inside it */
			if (abs) {
				for (size_t k = 0; k < x->gone.n && !drop; k++) {
					const char *g = x->gone.keys[k];
					size_t gl = strlen(g);
					drop = strncmp(abs, g, gl) == 0 && (abs[gl] == 0 || abs[gl] == '/');
				}
			}
			free(abs);
		}
		free(target);
		if (drop) {
			char **w = realloc(v, (n + 1) * sizeof(*w));
			if (w) {
				v = w;
				v[n++] = lp;
				lp = NULL;
			}
		}
		free(lp);
	}
	closedir(dh);
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && remove_put(x, v[i], NULL, err) == EXCISE_STEP_FAILED)
			r = -EIO;
		free(v[i]);
	}
	free(v);
	return r;
}

static enum excise_step_outcome do_regen(struct run *x, int log_fd, struct excise_err *err)
{
	if (x->root.live) {
		int r;
		if (spawn_have("update-ca-certificates")) {
			const char *argv[] = { "update-ca-certificates", "--fresh", NULL };
			r = remove_tool(x, log_fd, argv, err);
		} else {
			const char *argv[] = { "update-ca-trust", "extract", NULL };
			r = remove_tool(x, log_fd, argv, err);
		}
		if (r != 0)
			return EXCISE_STEP_FAILED;
	}
	/* Offline, and after the tool as a check: no generated bundle keeps a removed certificate. */
	const char **t = calloc(x->p->n_steps + 1, sizeof(*t));
	if (!t) {
		remove_say(x, "out of memory");
		return EXCISE_STEP_FAILED;
	}
	size_t n = 0;
	for (size_t i = 0; i < x->p->n_steps; i++)
		if (x->p->steps[i].action == EXCISE_PLAN_REMOVE_CERT)
			t[n++] = x->p->steps[i].target;
	size_t cut = 0;
	for (size_t i = 0; i < sizeof(generated_bundles) / sizeof(generated_bundles[0]); i++) {
		int r = filter_bundle(x, generated_bundles[i], t, n, err);
		if (r < 0) {
			free(t);
			remove_say(x, "%s", err->msg);
			return EXCISE_STEP_FAILED;
		}
		cut += (size_t)r;
	}
	free(t);
	if (drop_dangling_links(x, "/etc/ssl/certs", err) < 0) {
		remove_say(x, "%s", err->msg);
		return EXCISE_STEP_FAILED;
	}
	if (x->root.live && cut) {
		remove_say(x, "the regenerated bundles still held %zu removed certificate%s: cut out", cut, cut == 1 ? "" : "s");
		return EXCISE_STEP_DONE;
	}
	remove_say(x, x->root.live ? "trust store regenerated" : "generated bundles rewritten without the removed "
		"certificates (%zu cut)", cut);
	return EXCISE_STEP_DONE;
}
/* ---- remove-cert ---- */

static enum excise_step_outcome cert_apply(struct run *x, const struct excise_plan_step *s, int log_fd,
					   struct excise_err *err)
{
	(void)log_fd;
	return do_cert(x, s, err);
}

static void cert_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	(void)p;
	if (s->path && is_generated_bundle(s->path)) {
		fputs("\tlog \"  in a generated bundle: it leaves when the trust store is regenerated\"\n", out);
	} else {
		fputs("\tquarantine \"$ROOT\"", out);
		emit_sq(out, s->path ? s->path : s->target);
		fputs(" l || return 1\n", out);
	}
}

const struct action_ops action_remove_cert = {
	.name = "remove-cert", .rank = 9,
	.apply = cert_apply, .sh = cert_sh,
};

/* ---- regenerate-trust ---- */

static const char *regen_note(const struct excise_plan *p, const struct excise_plan_step *s, char *buf, size_t size)
{
	(void)s, (void)buf, (void)size;
	return p->live ? "update-ca-certificates --fresh (or update-ca-trust extract)" :
			 "offline root: the generated bundles are rewritten without the removed certificates";
}

static enum excise_step_outcome regen_apply(struct run *x, const struct excise_plan_step *s, int log_fd,
					    struct excise_err *err)
{
	(void)s;
	return do_regen(x, log_fd, err);
}

static void regen_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	(void)s;
	if (p->live)
		fputs("\tif command -v update-ca-certificates >/dev/null 2>&1; then\n"
		      "\t\trun update-ca-certificates --fresh || return 1\n"
		      "\telse\n\t\trun update-ca-trust extract || return 1\n\tfi\n", out);
	else
		fputs("\tlog \"  offline root: regenerate inside the image (chroot \\\"$ROOT\\\" "
		      "update-ca-certificates --fresh) or use excise remove, which rewrites the bundles\"\n", out);
}

const struct action_ops action_regen_trust = {
	.name = "regenerate-trust", .rank = 10,
	.note = regen_note, .apply = regen_apply, .sh = regen_sh,
};
