/* SPDX-License-Identifier: Apache-2.0 */
/*
 * action-nss: remove-nss-cert (lib/remove/action.h), a certificate out of an NSS
 * database: a Firefox or Thunderbird profile's cert9.db, a user's ~/.pki/nssdb.
 * target: the certificate's sha256; path: the cert9.db; args[0]: its nickname,
 * for the sh script's certutil and for people.
 *
 * excise remove refuses while a program may have the database open (nssdb_busy:
 * the profile's lock files, a -journal or -wal, on the live host any process with
 * it open), finds the certificate again by its sha256 (gone: nothing to do), copies
 * the database's original bytes into the run directory (backups.jsonl, synced, as for
 * a trust bundle: restore puts them back byte for byte), deletes the certificate's
 * rows in memory (nssdb.h), checks the result, and puts it in place atomically with
 * the same owner and mode, unless the file changed since it was read. key4.db and
 * pkcs11.txt are not changed, so they are not copied.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/digest.h"
#include "core/err.h"
#include "remove/action.h"
#include "remove/nssdb.h"
#include "remove/plan_int.h"
#include "remove/remove_int.h"

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static enum excise_step_outcome refuse_or_fail(struct run *x, int r, struct excise_err *err)
{
	remove_say(x, "%s", err->msg);
	return r == -EXCISE_E_SPECIAL || r == -ELOOP || r == -EISDIR || r == -EXCISE_E_UNSUPPORTED ||
	       r == -EXCISE_E_CORRUPT ? EXCISE_STEP_REFUSED : EXCISE_STEP_FAILED;
}

static enum excise_step_outcome nss_apply(struct run *x, const struct excise_plan_step *s, int log_fd,
					  struct excise_err *err)
{
	(void)log_fd;
	const char *path = s->path;
	struct nssdb d;
	int r = nssdb_open(&x->root, path, &d, err);
	if (r == -ENOENT) {
		remove_say(x, "'%s' is not there", path);
		return EXCISE_STEP_ALREADY;
	}
	if (r < 0)
		return refuse_or_fail(x, r, err);
	size_t n = 0, all = 0, certs = 0, trusts = 0;
	char nick[256] = "";
	r = nssdb_count(&d, s->target, &n, nick, sizeof(nick), err);
	if (r == 0 && n == 0) {
		nssdb_close(&d);
		remove_say(x, "'%s' no longer holds certificate %.16s…", path, s->target);
		return EXCISE_STEP_ALREADY;
	}
	char why[1200];
	int busy = r == 0 ? nssdb_busy(&x->root, path, why, sizeof(why)) : 0;
	if (busy != 0) {
		nssdb_close(&d);
		remove_say(x, "%s", busy < 0 ? "out of memory" : why);
		return busy < 0 ? EXCISE_STEP_FAILED : EXCISE_STEP_REFUSED;
	}
	if (r == 0)
		r = nssdb_n_certs(&d, &all, err);
	if (r == 0)
		r = nssdb_delete(&d, s->target, &certs, &trusts, err);
	unsigned char *img = NULL;
	size_t len = 0;
	if (r == 0)
		r = nssdb_image(&d, &img, &len, err);
	if (r == 0)
		r = nssdb_check_image(path, img, len, s->target, all - certs, err);
	char after[65];
	if (r == 0 && sha256_hex(img, len, after) < 0)
		r = err_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = remove_save_backup(x, path, d.orig, d.orig_len, &d.st, after, err);
	/* the browser may have started since: check again, and that nothing wrote the file */
	struct stat now;
	if (r == 0 && (busy = nssdb_busy(&x->root, path, why, sizeof(why))) != 0) {
		sqlite3_free(img);
		nssdb_close(&d);
		remove_say(x, "%s", busy < 0 ? "out of memory" : why);
		return busy < 0 ? EXCISE_STEP_FAILED : EXCISE_STEP_REFUSED;
	}
	if (r == 0 && (root_lstat(&x->root, path, &now) < 0 || !same_file(&now, &d.st)))
		r = err_set(err, -EXCISE_E_CHANGED, "'%s' changed while the certificate was being removed: left as it is",
			    path);
	if (r == 0 && (r = root_replace_file(&x->root, path, img, len, &d.st, NULL)) < 0)
		r = err_setc(err, r, "'%s': rewrite", path);
	sqlite3_free(img);
	nssdb_close(&d);
	if (r < 0)
		return refuse_or_fail(x, r, err);
	remove_say(x, "certificate %.16s…%s%s%s deleted from '%s' (%zu certificate and %zu trust record%s; the "
		   "original database kept in the run directory)", s->target, nick[0] ? " (" : "", nick,
		   nick[0] ? ")" : "", path, certs, trusts, trusts == 1 ? "" : "s");
	return EXCISE_STEP_DONE;
}

static const char *nss_note(const struct excise_plan *p, const struct excise_plan_step *s, char *buf, size_t size)
{
	(void)p;
	snprintf(buf, size, "deleted from the NSS database by its sha256 (its certificate and trust records), the "
		 "database's original kept in the run directory, restorable with excise restore; refused while the "
		 "browser has the profile open%s%s%s", s->args && s->args[0] ? " (nickname '" : "",
		 s->args && s->args[0] ? s->args[0] : "", s->args && s->args[0] ? "')" : "");
	return buf;
}

/* The profile's folder: the cert9.db's path without its last component. */
static void sh_dir(FILE *out, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	char *dir = strndup(path, n);
	fputs("\td=\"$ROOT\"", out);
	emit_sq(out, dir ? dir : path);
	fputc('\n', out);
	free(dir);
}

static void nss_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	(void)p;
	if (!s->path || !s->args || !s->args[0] || !s->args[0][0]) {
		fputs("\tlog \"  no nickname for certutil: remove it in the browser's certificate manager\"\n\treturn 1\n",
		      out);
		return;
	}
	sh_dir(out, s->path);
	fputs("\tif [ -e \"$d/lock\" ] || [ -L \"$d/lock\" ]; then\n"
	      "\t\tlog \"  $d/lock is there: the browser is running with this profile; close it and run again\"\n"
	      "\t\treturn 1\n\tfi\n"
	      "\tcommand -v certutil >/dev/null 2>&1 || { log \"  certutil (NSS tools) is not installed\"; return 1; }\n", out);
	fprintf(out, "\tb=\"$Q/nss-step-%u\"\n\trun mkdir -p \"$b\" || return 1\n"
		"\tfor f in cert9.db key4.db pkcs11.txt; do\n"
		"\t\tif [ -f \"$d/$f\" ]; then run cp -p \"$d/$f\" \"$b/$f\" || return 1; fi\n\tdone\n", s->id);
	fputs("\trun certutil -D -d \"sql:$d\" -n ", out);
	emit_sq(out, s->args[0]);
	fputs(" || return 1\n", out);
}

const struct action_ops action_remove_nss_cert = {
	.name = "remove-nss-cert", .rank = 9,
	.note = nss_note, .apply = nss_apply, .sh = nss_sh,
};
