/* SPDX-License-Identifier: Apache-2.0 */
/* reinstall: a purged package back from the operator's package file (see reinstall.h). */
#include "remove/reinstall.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "remove/pkgdb.h"
#include "remove/spawn.h"

#define DPKG_ADMIN "/var/lib/dpkg"
#define DPKG_INFO DPKG_ADMIN "/info"
#define TMP_SUFFIX ".excise-new"

static char **strv_push(char ***v, size_t *n, char *s)
{
	char **nv = s ? realloc(*v, (*n + 2) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(s);
		return NULL;
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	return *v = nv;
}

void reinstall_files_free(struct reinstall_file *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free(f[i].path);
		free(f[i].name);
		free(f[i].version);
	}
	free(f);
}

/* .deb: an ar archive whose first member is debian-binary; .rpm: the lead's magic. */
static int file_kind(const char *path, bool *dpkg, struct excise_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_setc(err, -errno, "package file '%s'", path);
	char head[24] = { 0 };
	struct stat st;
	ssize_t k = fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ? -1 : pread(fd, head, sizeof(head), 0);
	close(fd);
	if (k < 0)
		return err_set(err, -EXCISE_E_REFUSED, "package file '%s': not a regular file that can be read", path);
	if ((size_t)k >= 21 && memcmp(head, "!<arch>\ndebian-binary", 21) == 0)
		*dpkg = true;
	else if (k >= 4 && memcmp(head, "\xed\xab\xee\xdb", 4) == 0)
		*dpkg = false;
	else
		return err_set(err, -EXCISE_E_REFUSED, "package file '%s': neither a .deb nor an .rpm package", path);
	return 0;
}

/* Name and version as the host's dpkg-deb or rpm read them from the file. */
static int file_identity(struct reinstall_file *f, struct excise_err *err)
{
	const char *deb[] = { "dpkg-deb", "--showformat=${Package}\\n${Version}\\n", "--show", f->path, NULL };
	const char *rpm[] = { "rpm", "-qp", "--nosignature", "--qf", "%{NAME}\\n%{VERSION}-%{RELEASE}\\n", f->path, NULL };
	char *out = NULL;
	int k = spawn_capture(f->dpkg ? deb : rpm, -1, EXCISE_MAX_TOOL_OUTPUT, &out, err);
	if (k < 0)
		return k;
	char *nl = out ? strchr(out, '\n') : NULL, *nl2 = nl ? strchr(nl + 1, '\n') : NULL;
	if (k != 0 || !nl || !nl2 || nl2[1]) {
		free(out);
		return err_set(err, -EXCISE_E_REFUSED, "package file '%s': %s cannot read its name and version (exit %d)",
			       f->path, f->dpkg ? "dpkg-deb" : "rpm", k);
	}
	*nl = *nl2 = '\0';
	f->name = strdup(out);
	f->version = strdup(nl + 1);
	free(out);
	if (!f->name || !f->version)
		return err_set(err, -ENOMEM, "out of memory");
	if (!pkgdb_name_ok(f->name))
		return err_set(err, -EXCISE_E_REFUSED, "package file '%s': '%s' is no package name", f->path, f->name);
	return 0;
}

int reinstall_check(const struct root *r, const char *const *files, const struct reinstall_pkg *purged,
		    size_t n_purged, struct reinstall_file **ret, size_t *ret_n, char ***warnings,
		    struct excise_err *err)
{
	size_t n = 0, nw = 0;
	while (files && files[n])
		n++;
	*ret = NULL;
	*ret_n = 0;
	*warnings = NULL;
	if (n > EXCISE_MAX_REINSTALL_FILES)
		return err_set(err, -EXCISE_E_LIMIT, "--reinstall: %zu package files, more than %u", n,
			       EXCISE_MAX_REINSTALL_FILES);
	struct reinstall_file *f = calloc(n ? n : 1, sizeof(*f));
	if (!f)
		return err_set(err, -ENOMEM, "out of memory");
	int e = 0;
	for (size_t i = 0; e == 0 && i < n; i++) {
		f[i].path = realpath(files[i], NULL);
		if (!f[i].path) {
			e = err_setc(err, -errno, "package file '%s'", files[i]);
			break;
		}
		e = file_kind(f[i].path, &f[i].dpkg, err);
		if (e == 0 && !f[i].dpkg && !r->live)
			e = err_set(err, -EXCISE_E_REFUSED,
				    "package file '%s': an rpm is not reinstalled into an offline root (rpm resolves the "
				    "root's paths itself and no confined rpm is available): boot the image and run "
				    "rpm -i on it", files[i]);
		if (e == 0)
			e = file_identity(&f[i], err);
		for (size_t j = 0; e == 0 && j < n_purged && !f[i].pkg; j++)
			if (purged[j].dpkg == f[i].dpkg && strcmp(purged[j].name, f[i].name) == 0)
				f[i].pkg = &purged[j];
		for (size_t j = 0; e == 0 && j < i; j++)
			if (f[j].pkg == f[i].pkg && f[i].pkg)
				e = err_set(err, -EXCISE_E_REFUSED, "package file '%s': %s is given twice", files[i],
					    f[i].name);
		if (e == 0 && !f[i].pkg)
			e = err_set(err, -EXCISE_E_REFUSED, "package file '%s' holds %s package %s %s, which this run "
				    "did not %s", files[i], f[i].dpkg ? "the dpkg" : "the rpm", f[i].name, f[i].version,
				    f[i].dpkg ? "purge" : "erase");
		if (e == 0 && f[i].pkg->version && strcmp(f[i].pkg->version, f[i].version) != 0) {
			char *w = NULL;
			if (asprintf(&w, "warning: package file '%s' holds %s %s, not the version %s the run purged",
				     files[i], f[i].name, f[i].version, f[i].pkg->version) < 0 ||
			    !strv_push(warnings, &nw, w))
				e = err_set(err, -ENOMEM, "out of memory");
		}
	}
	if (e < 0) {
		reinstall_files_free(f, n);
		excise_strv_free(*warnings);
		*warnings = NULL;
		return e;
	}
	*ret = f;
	*ret_n = n;
	return 0;
}

/* ---------------------------------------------------------------- offline dpkg */

/* What goes into the image's database besides the files. */
struct deb {
	const struct root *r;
	const struct reinstall_file *f;
	int src_fd;             /* the unpacked tree (host temp dir) */
	char **conffiles;       /* absolute paths, from DEBIAN/conffiles */
	size_t n_conffiles;
	struct buf list;        /* info/PKG.list */
	struct buf md5;         /* info/PKG.md5sums */
	size_t entries;
	bool write;             /* false: the check pass (nothing is written) */
	struct excise_err *err;
};

static bool is_conffile(const struct deb *d, const char *path)
{
	for (size_t i = 0; i < d->n_conffiles; i++)
		if (strcmp(d->conffiles[i], path) == 0)
			return true;
	return false;
}

/* The directory holding `path` in the root (symlinks resolved inside it) and the last name. */
static int parent_of(const struct root *r, const char *path, char *name, size_t size)
{
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1] || strlen(slash + 1) >= size)
		return -EINVAL;
	snprintf(name, size, "%s", slash + 1);
	char *dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	int fd = root_openat(r, dir[0] ? dir : "/", O_PATH | O_DIRECTORY);
	free(dir);
	return fd;
}

/* Copy the regular file `sfd` to a temporary name in `pfd`, owned and moded as `st`,
 * then rename it over `name`; its md5 into hex. */
static int put_file(int pfd, const char *name, int sfd, const struct stat *st, char hex[33])
{
	char tmp[NAME_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s" TMP_SUFFIX, name);
	(void)unlinkat(pfd, tmp, 0); /* one a crash left */
	int fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int e = md && EVP_DigestInit_ex(md, EVP_md5(), NULL) ? 0 : -ENOMEM;
	char buf[65536];
	for (off_t off = 0; e == 0;) {
		ssize_t k = pread(sfd, buf, sizeof(buf), off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			e = k < 0 ? -errno : 0;
			break;
		}
		off += k;
		e = write_fd_all(fd, buf, (size_t)k);
		if (e == 0 && !EVP_DigestUpdate(md, buf, (size_t)k))
			e = -ENOMEM;
	}
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	if (e == 0 && !EVP_DigestFinal_ex(md, dig, &dlen))
		e = -ENOMEM;
	EVP_MD_CTX_free(md);
	for (unsigned i = 0; e == 0 && i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", dig[i]);
	struct timespec tv[2] = { st->st_atim, st->st_mtim };
	if (e == 0 && (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0 ||
		       futimens(fd, tv) < 0 || fsync(fd) < 0))
		e = -errno;
	close(fd);
	if (e == 0 && renameat(pfd, tmp, pfd, name) < 0)
		e = -errno;
	if (e < 0)
		(void)unlinkat(pfd, tmp, 0);
	return e;
}

static int put_link(int pfd, const char *name, const char *target, const struct stat *st)
{
	char tmp[NAME_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s" TMP_SUFFIX, name);
	(void)unlinkat(pfd, tmp, 0);
	int e = symlinkat(target, pfd, tmp) < 0 ? -errno : 0;
	if (e == 0 && (fchownat(pfd, tmp, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		       renameat(pfd, tmp, pfd, name) < 0))
		e = -errno;
	if (e < 0)
		(void)unlinkat(pfd, tmp, 0);
	return e;
}

/* A directory of the package: an existing one (or a link to one inside the root) is
 * kept as it is; a new one gets the package's owner and mode. */
static int put_dir(int pfd, const char *name, const struct stat *st)
{
	if (mkdirat(pfd, name, 0700) < 0)
		return errno == EEXIST ? 0 : -errno;
	if (fchownat(pfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(pfd, name, st->st_mode & 07777, 0) < 0)
		return -errno;
	return 0;
}

/* Check (first pass) or create (second) one entry at `path` in the root. */
static int deb_entry(struct deb *d, int sdir, const char *sname, const char *path)
{
	const char *file = d->f->path;
	struct stat st, cur;
	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_setc(d->err, -errno, "package file '%s': %s", file, path);
	bool conf = S_ISREG(st.st_mode) && is_conffile(d, path);
	char dest[PATH_MAX];
	if ((size_t)snprintf(dest, sizeof(dest), "%s%s", path, conf ? ".dpkg-new" : "") >= sizeof(dest))
		return err_set(d->err, -EXCISE_E_LIMIT, "package file '%s': %s: path too long", file, path);
	if (!d->write) {
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
			return err_set(d->err, -EXCISE_E_REFUSED, "package file '%s': %s is neither a file, a link "
				       "nor a directory; not reinstalled", file, path);
		int e = root_lstat(d->r, dest, &cur);
		if (e == -ENOENT)
			return 0;
		if (e < 0)
			return err_setc(d->err, e, "package file '%s': %s in the root", file, dest);
		if (S_ISDIR(st.st_mode) && (S_ISDIR(cur.st_mode) || (S_ISLNK(cur.st_mode) &&
		    root_stat(d->r, dest, &cur) == 0 && S_ISDIR(cur.st_mode))))
			return 0;
		return err_set(d->err, -EXCISE_E_REFUSED, "package file '%s': %s exists in the root already; "
			       "nothing is overwritten, nothing reinstalled", file, dest);
	}
	char name[NAME_MAX + 1];
	int pfd = parent_of(d->r, dest, name, sizeof(name) - strlen(TMP_SUFFIX));
	if (pfd < 0)
		return err_setc(d->err, pfd, "package file '%s': the directory of %s in the root", file, dest);
	int e = 0;
	if (S_ISDIR(st.st_mode)) {
		e = put_dir(pfd, name, &st);
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t k = readlinkat(sdir, sname, target, sizeof(target) - 1);
		if (k < 0)
			e = -errno;
		else
			target[k] = '\0', e = put_link(pfd, name, target, &st);
	} else {
		char hex[33];
		int sfd = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		e = sfd < 0 ? -errno : put_file(pfd, name, sfd, &st, hex);
		if (sfd >= 0)
			close(sfd);
		if (e == 0)
			buf_addf(&d->md5, "%s  %s\n", hex, path + 1);
	}
	close(pfd);
	if (e < 0)
		return err_setc(d->err, e, "package file '%s': creating %s in the root", file, dest);
	buf_addf(&d->list, "%s\n", path);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each entry of the unpacked directory `sdir` (the package's `prefix`), sorted, parents first. */
static int deb_walk(struct deb *d, int sdir, const char *prefix, unsigned depth)
{
	if (depth > EXCISE_MAX_REINSTALL_DEPTH)
		return err_set(d->err, -EXCISE_E_LIMIT, "package file '%s': deeper than %u directories", d->f->path,
			       EXCISE_MAX_REINSTALL_DEPTH);
	int dfd = dup(sdir);
	DIR *dh = dfd < 0 ? NULL : fdopendir(dfd);
	if (!dh) {
		if (dfd >= 0)
			close(dfd);
		return err_setc(d->err, -errno, "package file '%s': reading %s", d->f->path, prefix);
	}
	rewinddir(dh);
	char **names = NULL;
	size_t n = 0, nn = 0;
	int e = 0;
	struct dirent *de;
	while (e == 0 && (de = readdir(dh))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || (depth == 0 && !strcmp(de->d_name, "DEBIAN")))
			continue;
		if (++d->entries > EXCISE_MAX_REINSTALL_ENTRIES)
			e = err_set(d->err, -EXCISE_E_LIMIT, "package file '%s': more than %u entries", d->f->path,
				    EXCISE_MAX_REINSTALL_ENTRIES);
		else if (!strv_push(&names, &nn, strdup(de->d_name)))
			e = err_set(d->err, -ENOMEM, "out of memory");
	}
	closedir(dh);
	n = nn;
	if (names)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; e == 0 && i < n; i++) {
		char *path = NULL;
		if (asprintf(&path, "%s/%s", prefix, names[i]) < 0) {
			e = err_set(d->err, -ENOMEM, "out of memory");
			break;
		}
		e = deb_entry(d, sdir, names[i], path);
		struct stat st;
		if (e == 0 && fstatat(sdir, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
			int sub = openat(sdir, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			e = sub < 0 ? err_setc(d->err, -errno, "package file '%s': %s", d->f->path, path)
				    : deb_walk(d, sub, path, depth + 1);
			if (sub >= 0)
				close(sub);
		}
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return e;
}

/* A small file of the package's control area (DEBIAN/NAME), or -ENOENT. */
static int control_file(int src_fd, const char *name, char **ret, size_t *len)
{
	char p[64];
	snprintf(p, sizeof(p), "DEBIAN/%s", name);
	int fd = openat(src_fd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int e = read_fd_all(fd, EXCISE_MAX_REINSTALL_CONTROL_SIZE, ret, len);
	close(fd);
	return e;
}

/* Write `data` as `name` in the image's dpkg info directory (temporary name, rename). */
static int put_info(const struct deb *d, const char *name, const char *data, size_t len, mode_t mode)
{
	int pfd = root_openat(d->r, DPKG_INFO, O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return err_setc(d->err, pfd, "'%s' in the root", DPKG_INFO);
	char tmp[NAME_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s" TMP_SUFFIX, name);
	(void)unlinkat(pfd, tmp, 0);
	int fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int e = fd < 0 ? -errno : write_fd_all(fd, data, len);
	if (e == 0 && (fchmod(fd, mode) < 0 || fsync(fd) < 0))
		e = -errno;
	if (fd >= 0)
		close(fd);
	if (e == 0 && renameat(pfd, tmp, pfd, name) < 0)
		e = -errno;
	if (e < 0 && fd >= 0)
		(void)unlinkat(pfd, tmp, 0);
	close(pfd);
	return e < 0 ? err_setc(d->err, e, "writing '%s/%s' in the root", DPKG_INFO, name) : 0;
}

/* The value of field `name` in a control paragraph, or NULL (*len its length). */
static const char *control_field(const char *text, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1;
			v += strspn(v, " \t");
			*len = strcspn(v, "\n");
			while (*len && (v[*len - 1] == ' ' || v[*len - 1] == '\t'))
				(*len)--;
			return v;
		}
	}
	return NULL;
}

/* The status paragraph: the control's fields, Status after Package, the conffiles as
 * dpkg --unpack records new ones. */
static int status_entry(const struct deb *d, const char *control, struct buf *out)
{
	size_t len = strlen(control);
	while (len && control[len - 1] == '\n')
		len--;
	for (size_t i = 0; i < len; i++)
		if (control[i] == '\n' && (i + 1 >= len || control[i + 1] == '\n' || control[i + 1] == '\r'))
			return err_set(d->err, -EXCISE_E_CORRUPT, "package file '%s': its control has an empty line",
				       d->f->path);
	for (const char *l = control; l < control + len;) {
		size_t n = strcspn(l, "\n");
		if (n > (size_t)(control + len - l))
			n = (size_t)(control + len - l);
		bool status = strncasecmp(l, "Status:", 7) == 0 || strncasecmp(l, "Conffiles:", 10) == 0;
		if (!status) {
			buf_add(out, l, n);
			buf_addc(out, '\n');
		}
		if (strncasecmp(l, "Package:", 8) == 0)
			buf_adds(out, "Status: install ok unpacked\n");
		l += n + 1;
		/* a Status or Conffiles field of the control goes with its continuation lines */
		while (status && l < control + len && (*l == ' ' || *l == '\t'))
			l += strcspn(l, "\n") + 1;
	}
	if (d->n_conffiles) {
		buf_adds(out, "Conffiles:\n");
		for (size_t i = 0; i < d->n_conffiles; i++)
			buf_addf(out, " %s newconffile\n", d->conffiles[i]);
	}
	return out->err ? err_set(d->err, out->err, "package file '%s': its status entry", d->f->path) : 0;
}

/* The image's status with the new paragraph; a paragraph of the same package (and
 * architecture) that says it is not installed is dropped. */
static int status_merge(const char *old, size_t old_len, const char *pkg, const char *arch, const char *entry,
			struct buf *out)
{
	for (size_t off = 0; off < old_len;) {
		const char *p = old + off;
		const char *end = strstr(p, "\n\n");
		size_t n = end ? (size_t)(end - p) + 1 : old_len - off;
		off += n;
		while (off < old_len && old[off] == '\n')
			off++;
		char *para = strndup(p, n);
		if (!para)
			return -ENOMEM;
		size_t l1 = 0, l2 = 0;
		const char *name = control_field(para, "Package", &l1), *a = control_field(para, "Architecture", &l2);
		bool same = name && l1 == strlen(pkg) && !strncmp(name, pkg, l1) &&
			    (!a || !arch || (l2 == strlen(arch) && !strncmp(a, arch, l2)));
		free(para);
		if (same)
			continue;
		buf_add(out, p, n);
		if (n && p[n - 1] != '\n')
			buf_addc(out, '\n');
		buf_addc(out, '\n');
	}
	buf_adds(out, entry);
	buf_addc(out, '\n');
	return out->err;
}

/* No other dpkg works on the database now: dpkg's own lock, as dpkg takes it. */
static int dpkg_lock(const struct root *r, struct excise_err *err)
{
	int fd = root_openat(r, DPKG_ADMIN "/lock", O_RDWR | O_CREAT | O_NOFOLLOW);
	if (fd < 0)
		return err_setc(err, fd, "'%s/lock' in the root", DPKG_ADMIN);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int e = -errno;
		close(fd);
		return err_setc(err, e, "the root's dpkg database is locked ('%s/lock')", DPKG_ADMIN);
	}
	return fd;
}

/* dpkg's updates journal holds records newer than the status file: they would win over
 * what is written here. Empty, as `excise remove --resume` leaves it, or refused. */
static int dpkg_updates_empty(const struct root *r, struct excise_err *err)
{
	DIR *dh = NULL;
	int e = root_opendir(r, DPKG_ADMIN "/updates", &dh);
	if (e == -ENOENT)
		return 0;
	if (e < 0)
		return err_setc(err, e, "'%s/updates' in the root", DPKG_ADMIN);
	struct dirent *de;
	while (e == 0 && (de = readdir(dh)))
		if (de->d_name[0] && strspn(de->d_name, "0123456789") == strlen(de->d_name))
			e = err_set(err, -EXCISE_E_REFUSED, "the root's dpkg updates journal is not empty ('%s/updates/%s'): "
				    "an interrupted dpkg run; finish the removal (excise remove --resume) first",
				    DPKG_ADMIN, de->d_name);
	closedir(dh);
	return e;
}

static int deb_conffiles(struct deb *d)
{
	char *text = NULL;
	size_t len = 0;
	int e = control_file(d->src_fd, "conffiles", &text, &len);
	if (e == -ENOENT)
		return 0;
	if (e < 0)
		return err_setc(d->err, e, "package file '%s': DEBIAN/conffiles", d->f->path);
	size_t nn = 0;
	for (char *l = text, *save = NULL; (l = strtok_r(l, "\n", &save)); l = NULL) {
		if (l[0] != '/') /* "remove-on-upgrade /path" and the like: not a conffile it ships */
			continue;
		if (!strv_push(&d->conffiles, &nn, strdup(l))) {
			e = err_set(d->err, -ENOMEM, "out of memory");
			break;
		}
	}
	d->n_conffiles = nn;
	free(text);
	return e;
}

/* The control scripts and files dpkg keeps in info/ (all but control, conffiles and
 * md5sums, which are written from what was unpacked). */
static int deb_info_files(struct deb *d, const char *base)
{
	static const char *const names[] = { "preinst", "postinst", "prerm", "postrm", "config", "templates",
					     "triggers", "shlibs", "symbols" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *text = NULL, p[64], info[NAME_MAX + 32];
		size_t len = 0;
		struct stat st;
		snprintf(p, sizeof(p), "DEBIAN/%s", names[i]);
		int e = control_file(d->src_fd, names[i], &text, &len);
		if (e == -ENOENT)
			continue;
		if (e == 0 && fstatat(d->src_fd, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
			e = -errno;
		if (e < 0) {
			free(text);
			return err_setc(d->err, e, "package file '%s': %s", d->f->path, p);
		}
		snprintf(info, sizeof(info), "%s.%s", base, names[i]);
		e = put_info(d, info, text, len, st.st_mode & 0777);
		free(text);
		if (e < 0)
			return e;
	}
	return 0;
}

/* A directory of our own outside the root for dpkg-deb to unpack into. */
static int private_dir(const struct root *r, char *out, size_t size, struct excise_err *err)
{
	const char *t = getenv("TMPDIR");
	snprintf(out, size, "%s/excise-reinstall-XXXXXX", t && t[0] == '/' ? t : "/tmp");
	if (!mkdtemp(out))
		return err_setc(err, -errno, "a private directory '%s'", out);
	char *real = realpath(out, NULL);
	size_t rl = strlen(r->path);
	bool inside = !real || (strncmp(real, r->path, rl) == 0 && (real[rl] == '/' || rl == 1));
	free(real);
	if (inside) {
		rmdir(out);
		return err_set(err, -EXCISE_E_REFUSED, "the private directory '%s' would be inside the root '%s'; set "
			       "TMPDIR to a directory outside it", out, r->path);
	}
	return 0;
}

static int deb_offline(const struct root *r, int log_fd, const struct reinstall_file *f, struct excise_err *err)
{
	char tmp[PATH_MAX];
	int e = private_dir(r, tmp, sizeof(tmp), err);
	if (e < 0)
		return e;
	const char *argv[] = { "dpkg-deb", "--raw-extract", f->path, tmp, NULL };
	int k = spawn_run(argv, log_fd, NULL, 0, err);
	struct deb d = { .r = r, .f = f, .src_fd = -1, .err = err };
	buf_init(&d.list, EXCISE_MAX_DPKG_LIST_SIZE);
	buf_init(&d.md5, EXCISE_MAX_DPKG_LIST_SIZE);
	buf_adds(&d.list, "/.\n");
	char *control = NULL, *status = NULL;
	size_t clen = 0, slen = 0;
	struct buf entry, merged;
	buf_init(&entry, EXCISE_MAX_REINSTALL_CONTROL_SIZE * 2);
	buf_init(&merged, EXCISE_MAX_DPKG_STATUS_SIZE);
	int lock = -1;
	e = k < 0 ? k : k != 0 ? err_set(err, -EIO, "package file '%s': dpkg-deb --raw-extract: exit status %d",
					 f->path, k) : 0;
	if (e == 0 && (d.src_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		e = err_setc(err, -errno, "'%s'", tmp);
	if (e == 0 && (e = control_file(d.src_fd, "control", &control, &clen)) < 0)
		e = err_setc(err, e, "package file '%s': DEBIAN/control", f->path);
	size_t al = 0, ml = 0;
	const char *arch = control ? control_field(control, "Architecture", &al) : NULL;
	const char *ma = control ? control_field(control, "Multi-Arch", &ml) : NULL;
	char archs[64] = "", base[NAME_MAX + 1];
	if (arch && al < sizeof(archs))
		memcpy(archs, arch, al), archs[al] = '\0';
	bool same = ma && ml == 4 && !strncmp(ma, "same", 4) && archs[0];
	snprintf(base, sizeof(base) - 16, "%s%s%s", f->name, same ? ":" : "", same ? archs : "");
	if (e == 0)
		e = deb_conffiles(&d);
	if (e == 0 && (lock = dpkg_lock(r, err)) < 0)
		e = lock;
	if (e == 0)
		e = dpkg_updates_empty(r, err);
	struct pkg_info now = { 0 };
	if (e == 0 && (e = pkgdb_query(r, PKGDB_DPKG, f->name, log_fd, &now, err)) == 0 && now.present)
		e = err_set(err, -EXCISE_E_REFUSED, "package file '%s': %s is in the root's dpkg database already "
			    "(version %s); not reinstalled", f->path, f->name, now.version ? now.version : "?");
	pkg_info_done(&now);
	if (e == 0 && (e = root_read_file(r, DPKG_ADMIN "/status", EXCISE_MAX_DPKG_STATUS_SIZE, &status, &slen)) < 0)
		e = err_setc(err, e, "'%s/status' in the root", DPKG_ADMIN);
	/* the check pass: nothing is written when anything is in the way */
	if (e == 0)
		e = deb_walk(&d, d.src_fd, "", 0);
	if (e == 0) {
		d.write = true;
		d.entries = 0;
		e = deb_walk(&d, d.src_fd, "", 0);
	}
	/* then the database: the info files, and last the status that makes it the package's */
	char info[NAME_MAX + 32];
	if (e == 0 && (d.list.err || d.md5.err))
		e = err_set(err, d.list.err ? d.list.err : d.md5.err, "package file '%s': its file list", f->path);
	if (e == 0)
		e = deb_info_files(&d, base);
	if (e == 0 && d.n_conffiles) {
		char *cf = NULL;
		size_t cl = 0;
		e = control_file(d.src_fd, "conffiles", &cf, &cl);
		snprintf(info, sizeof(info), "%s.conffiles", base);
		e = e < 0 ? err_setc(err, e, "package file '%s': DEBIAN/conffiles", f->path)
			  : put_info(&d, info, cf, cl, 0644);
		free(cf);
	}
	if (e == 0) {
		snprintf(info, sizeof(info), "%s.md5sums", base);
		e = put_info(&d, info, d.md5.p, d.md5.n, 0644);
	}
	if (e == 0) {
		snprintf(info, sizeof(info), "%s.list", base);
		e = put_info(&d, info, d.list.p, d.list.n, 0644);
	}
	if (e == 0)
		e = status_entry(&d, control, &entry);
	if (e == 0 && (e = status_merge(status, slen, f->name, same ? archs : NULL, entry.p, &merged)) < 0)
		e = err_set(err, e, "the root's dpkg status with %s", f->name);
	struct stat sst;
	if (e == 0 && (e = root_stat(r, DPKG_ADMIN "/status", &sst)) < 0)
		e = err_setc(err, e, "'%s/status' in the root", DPKG_ADMIN);
	if (e == 0 && (e = root_replace_file(r, DPKG_ADMIN "/status", merged.p, merged.n, &sst, NULL)) < 0)
		e = err_setc(err, e, "writing '%s/status' in the root", DPKG_ADMIN);
	if (lock >= 0)
		close(lock);
	if (d.src_fd >= 0)
		close(d.src_fd);
	const char *rm[] = { "rm", "-rf", "--", tmp, NULL };
	struct excise_err ignored = { 0 };
	if (spawn_run(rm, log_fd, NULL, 0, &ignored) != 0)
		(void)rmdir(tmp); /* best effort: what dpkg-deb left is in the log's temp dir name */
	excise_strv_free(d.conffiles);
	buf_done(&d.list);
	buf_done(&d.md5);
	buf_done(&entry);
	buf_done(&merged);
	free(control);
	free(status);
	return e;
}

/* ---------------------------------------------------------------- both */

static int apply_one(const struct root *r, int log_fd, const struct reinstall_file *f, char **line,
		     struct excise_err *err)
{
	int e;
	if (r->live) {
		/* the operator's own host and file: the host's package manager, scripts and all */
		const char *deb[] = { "dpkg", "-i", f->path, NULL }, *rpm[] = { "rpm", "-i", f->path, NULL };
		int k = spawn_run(f->dpkg ? deb : rpm, log_fd, NULL, 0, err);
		e = k < 0 ? k : k != 0 ? err_set(err, -EIO, "package file '%s': %s -i: exit status %d", f->path,
						 f->dpkg ? "dpkg" : "rpm", k) : 0;
	} else {
		e = deb_offline(r, log_fd, f, err);
	}
	/* done when the package manager's database says so, not because a command ended */
	struct pkg_info now = { 0 };
	if (e == 0 && (e = pkgdb_query(r, f->dpkg ? PKGDB_DPKG : PKGDB_RPM, f->name, log_fd, &now, err)) == 0 &&
	    (!now.present || !now.version || strcmp(now.version, f->version) != 0))
		e = err_set(err, -EIO, "package file '%s': %s %s is not in the root's package database afterwards",
			    f->path, f->name, f->version);
	pkg_info_done(&now);
	if (e == 0 && asprintf(line, "%s %s %s from %s: %s", f->dpkg ? "dpkg" : "rpm", f->name, f->version, f->path,
			       r->live ? "installed" : "unpacked, not configured: its configure step (maintainer "
			       "scripts) runs on the image itself, dpkg --configure -a at its next boot") < 0)
		e = err_set(err, -ENOMEM, "out of memory");
	return e;
}

int reinstall_apply(const struct root *r, int log_fd, const struct reinstall_file *f, size_t n, char ***done,
		    struct excise_err *err)
{
	size_t nd = 0;
	for (size_t i = 0; i < n; i++) {
		char *line = NULL;
		int e = apply_one(r, log_fd, &f[i], &line, err);
		if (e < 0)
			return e;
		if (!strv_push(done, &nd, line))
			return err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}
