/* SPDX-License-Identifier: Apache-2.0 */
/* root: confined file access with openat2(RESOLVE_IN_ROOT). */
#include "core/root.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/limits.h"

int root_open(const char *path, struct root *ret, struct excise_err *reterr)
{
	if (!path || !*path)
		path = "/";
	_cleanup_free_ char *abs = realpath(path, NULL);
	if (!abs)
		return err_setc(reterr, neg_errno(), "root '%s'", path);
	_cleanup_close_ int fd = open(abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_setc(reterr, neg_errno(), "root '%s'", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_setc(reterr, neg_errno(), "root '%s'", path);
	struct stat slash;
	bool live = stat("/", &slash) == 0 && slash.st_dev == st.st_dev && slash.st_ino == st.st_ino;
	*ret = (struct root){ .fd = TAKE_FD(fd), .path = TAKE_PTR(abs), .live = live, .dev = st.st_dev };
	return 0;
}

/* The case-insensitive lookup cache: "dev:ino/folded-name" -> the real name, or NULL
 * (no entry matches). At most EXCISE_MAX_NOCASE_CACHE answers; then it starts again. */
struct root_nocase {
	pthread_mutex_t mu;
	struct hash h;
	char **keys, **vals;
	size_t n, cap;
};

static void nocase_clear(struct root_nocase *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->keys[i]);
		free(c->vals[i]);
	}
	free(c->keys);
	free(c->vals);
	hash_done(&c->h);
	hash_init(&c->h);
	c->keys = c->vals = NULL;
	c->n = c->cap = 0;
}

int root_cache_nocase(struct root *r)
{
	if (r->nocase)
		return 0;
	struct root_nocase *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->mu, NULL);
	hash_init(&c->h);
	r->nocase = c;
	return 0;
}

static size_t nocase_key(char *key, size_t size, const struct stat *st, const char *name, size_t nlen)
{
	int k = snprintf(key, size, "%llx:%llx/", (unsigned long long)st->st_dev, (unsigned long long)st->st_ino);
	size_t n = (size_t)k;
	for (size_t i = 0; i < nlen && n + 1 < size; i++) {
		unsigned char ch = (unsigned char)name[i];
		key[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	key[n] = 0;
	return n;
}

/* 1 and the answer (*found: the name, or "" for none) when cached, else 0. */
static int nocase_get(struct root_nocase *c, const char *key, size_t klen, char *found)
{
	pthread_mutex_lock(&c->mu);
	const struct hash_slot *s = hash_get(&c->h, key, klen);
	int hit = s != NULL;
	if (s)
		strcpy(found, c->vals[s->value] ? c->vals[s->value] : "");
	pthread_mutex_unlock(&c->mu);
	return hit;
}

static void nocase_put(struct root_nocase *c, const char *key, size_t klen, const char *found)
{
	char *k = strndup(key, klen), *v = found ? strdup(found) : NULL;
	pthread_mutex_lock(&c->mu);
	if (c->n >= EXCISE_MAX_NOCASE_CACHE)
		nocase_clear(c);
	bool room = k && (!found || v) && c->n < c->cap;
	if (k && (!found || v) && !room) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **nk = realloc(c->keys, cap * sizeof(*nk));
		if (nk)
			c->keys = nk;
		char **nv = nk ? realloc(c->vals, cap * sizeof(*nv)) : NULL;
		if (nv) {
			c->vals = nv;
			c->cap = cap;
			room = true;
		}
	}
	struct hash_slot *s = room ? hash_put(&c->h, k, klen) : NULL;
	if (s && s->value < 0) {
		s->value = (int)c->n;
		c->keys[c->n] = k;
		c->vals[c->n++] = v;
		k = v = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	free(k); /* not cached (OOM, or there already): only a lost saving */
	free(v);
}

void root_done(struct root *r)
{
	if (r->nocase) {
		nocase_clear(r->nocase);
		hash_done(&r->nocase->h);
		pthread_mutex_destroy(&r->nocase->mu);
		free(r->nocase);
	}
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	*r = (struct root){ .fd = -1 };
}

static int openat2_in(const struct root *r, const char *path, int flags, unsigned long long resolve)
{
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
	};
	if (flags & O_CREAT)
		how.mode = 0600;
	long fd;
	do
		fd = syscall(SYS_openat2, r->fd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd < 0 ? neg_errno() : (int)fd;
}

int root_openat(const struct root *r, const char *path, int flags)
{
	return openat2_in(r, path, flags, 0);
}

int root_openat_nofollow(const struct root *r, const char *path, int flags)
{
	return openat2_in(r, path, flags, RESOLVE_NO_SYMLINKS);
}

static int open_file(const struct root *r, const char *path, int flags, unsigned long long resolve,
		     struct stat *ret_st)
{
	/* O_PATH opens nothing: no driver's open runs, no FIFO waits for a writer. */
	int pfd = openat2_in(r, path, O_PATH | (flags & O_NOFOLLOW), resolve);
	if (pfd < 0)
		return pfd;
	struct stat st;
	int e = fstat(pfd, &st) < 0 ? neg_errno() : S_ISDIR(st.st_mode) ? -EISDIR
		: S_ISLNK(st.st_mode) ? -ELOOP : !S_ISREG(st.st_mode) ? -EXCISE_E_SPECIAL : 0;
	int fd = -1;
	if (e == 0) {
		/* The same inode reopened for reading: a path swapped meanwhile is not followed. */
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
		fd = open(proc, (flags & ~(O_NOFOLLOW | O_PATH | O_CREAT | O_TRUNC)) | O_CLOEXEC |
			  O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			e = neg_errno();
	}
	close(pfd);
	if (ret_st && (e == 0 || e == -EISDIR || e == -ELOOP || e == -EXCISE_E_SPECIAL))
		*ret_st = st; /* what it is, also when refused */
	return e < 0 ? e : fd;
}

int root_open_file(const struct root *r, const char *path, int flags, struct stat *ret_st)
{
	return open_file(r, path, flags, 0, ret_st);
}

int root_open_file_nofollow(const struct root *r, const char *path, int flags, struct stat *ret_st)
{
	return open_file(r, path, flags | O_NOFOLLOW, RESOLVE_NO_SYMLINKS, ret_st);
}

int root_realpath(const struct root *r, const char *path, char **ret)
{
	*ret = NULL;
	int fd = openat2_in(r, path, O_PATH, 0);
	if (fd < 0)
		return fd;
	/* the kernel's names of the root and of what the path leads to */
	char proc[64], top[PATH_MAX], host[PATH_MAX];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r->fd);
	ssize_t t = readlink(proc, top, sizeof(top) - 1);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t k = t < 0 ? -1 : readlink(proc, host, sizeof(host) - 1);
	int e = k < 0 ? neg_errno() : 0;
	close(fd);
	if (e < 0)
		return e;
	top[t] = 0;
	host[k] = 0;
	size_t n = strcmp(top, "/") ? (size_t)t : 0;
	if (strncmp(host, top, n) || (host[n] && host[n] != '/'))
		return -EXCISE_E_ESCAPE;
	char *s = strdup(host[n] ? host + n : "/");
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int read_host_file(const char *what, const char *path, size_t max, char **ret_data, size_t *ret_len,
		   struct excise_err *err)
{
	*ret_data = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_setc(err, neg_errno(), "%s '%s'", what, path);
	struct stat st;
	int r = fstat(fd, &st) < 0 ? neg_errno() : 0;
	if (r == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		r = -EXCISE_E_SPECIAL;
	size_t len = 0;
	if (r == 0)
		r = read_fd_all(fd, max, ret_data, &len);
	close(fd);
	if (r == -EXCISE_E_TOOBIG)
		return err_set(err, r, "%s '%s': over %zu bytes", what, path, max);
	if (r < 0)
		return err_setc(err, r, "%s '%s'", what, path);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int read_fd_all(int fd, size_t max, char **ret_data, size_t *ret_len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EXCISE_E_TOOBIG;
	/* Files in /proc and /sys report size 0 or 4096: read until EOF, bounded. */
	size_t size = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	size_t n = 0;
	char *p = malloc(size + 1);
	if (!p)
		return -ENOMEM;
	for (;;) {
		if (n == size) {
			if (size > max) {
				free(p);
				return -EXCISE_E_TOOBIG;
			}
			size_t nsize = size * 2 > max + 1 ? max + 1 : size * 2;
			char *q = realloc(p, nsize + 1);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			size = nsize;
		}
		ssize_t k = read(fd, p + n, size - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			int e = neg_errno();
			free(p);
			return e;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > max) {
		free(p);
		return -EXCISE_E_TOOBIG;
	}
	p[n] = 0;
	*ret_data = p;
	if (ret_len)
		*ret_len = n;
	return 0;
}

int read_fd_chunks(int fd, int (*fn)(const void *data, size_t len, void *userdata), void *userdata,
		   uint64_t *ret_size)
{
	static _Thread_local unsigned char buf[1 << 16];
	uint64_t off = 0;
	for (;;) {
		ssize_t k = pread(fd, buf, sizeof(buf), (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return neg_errno();
		if (k == 0)
			break;
		off += (uint64_t)k;
		int r = fn(buf, (size_t)k, userdata);
		if (r < 0)
			return r;
	}
	if (ret_size)
		*ret_size = off;
	return 0;
}

int root_read_file(const struct root *r, const char *path, size_t max, char **ret_data, size_t *ret_len)
{
	_cleanup_close_ int fd = root_open_file(r, path, O_RDONLY, NULL);
	if (fd < 0)
		return fd;
	return read_fd_all(fd, max, ret_data, ret_len);
}

int root_opendir(const struct root *r, const char *path, DIR **ret)
{
	int fd = root_openat(r, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = neg_errno();
		close(fd);
		return e;
	}
	*ret = d;
	return 0;
}

/* Split `path` into an opened parent directory and the last component. */
static int open_parent(const struct root *r, const char *path, const char **ret_name)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	const char *slash = memrchr(path, '/', len);
	const char *name = slash ? slash + 1 : path;
	size_t nlen = len - (size_t)(name - path);
	if (nlen == 0 || nlen >= NAME_MAX + 1 || (nlen == 1 && name[0] == '.') ||
	    (nlen == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	if (name[nlen] != 0)
		return -EINVAL; /* trailing slashes: caller should pass a clean path */
	_cleanup_free_ char *dir = strndup(path, slash ? (size_t)(slash - path) + 1 : 0);
	if (!dir)
		return -ENOMEM;
	*ret_name = name;
	return root_openat(r, dir[0] ? dir : "/", O_PATH | O_DIRECTORY);
}

int root_lstat(const struct root *r, const char *path, struct stat *ret)
{
	const char *name;
	_cleanup_close_ int dfd = open_parent(r, path, &name);
	if (dfd == -EINVAL) {
		/* the root itself */
		return fstat(r->fd, ret) < 0 ? neg_errno() : 0;
	}
	if (dfd < 0)
		return dfd;
	return fstatat(dfd, name, ret, AT_SYMLINK_NOFOLLOW) < 0 ? neg_errno() : 0;
}

int root_stat(const struct root *r, const char *path, struct stat *ret)
{
	_cleanup_close_ int fd = root_openat(r, path, O_PATH);
	if (fd < 0)
		return fd;
	return fstat(fd, ret) < 0 ? neg_errno() : 0;
}

int root_readlink(const struct root *r, const char *path, char **ret)
{
	const char *name;
	_cleanup_close_ int dfd = open_parent(r, path, &name);
	if (dfd < 0)
		return dfd;
	char buf[PATH_MAX + 1];
	ssize_t k = readlinkat(dfd, name, buf, sizeof(buf) - 1);
	if (k < 0)
		return neg_errno();
	buf[k] = 0;
	char *s = strdup(buf);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* The extended attributes of `name` in `dfd` (an SELinux label, IMA, ACLs...) onto
 * `to`, within the quarantine's xattr limits. */
static int copy_xattrs(int dfd, const char *name, int to)
{
	int from = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (from < 0)
		return errno == ENOENT ? 0 : -errno;
	char *names = malloc(EXCISE_MAX_QUARANTINE_XATTR_LIST), *val = malloc(EXCISE_MAX_QUARANTINE_XATTR_SIZE);
	ssize_t n = names && val ? flistxattr(from, names, EXCISE_MAX_QUARANTINE_XATTR_LIST) : -1;
	int e = !names || !val ? -ENOMEM : n < 0 && errno != ENOTSUP ? -errno : 0;
	for (ssize_t i = 0; e == 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		ssize_t k = fgetxattr(from, names + i, val, EXCISE_MAX_QUARANTINE_XATTR_SIZE);
		if (k < 0 || fsetxattr(to, names + i, val, (size_t)k, 0) < 0)
			e = -errno;
	}
	free(names);
	free(val);
	close(from);
	return e;
}

int root_replace_file(const struct root *r, const char *path, const void *data, size_t len,
		      const struct stat *like, const struct timespec times[2])
{
	const char *slash = strrchr(path, '/');
	if (path[0] != '/' || !slash || !slash[1])
		return -EINVAL;
	char *dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	/* a name of our own: nothing that is already there is removed or written over */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char *tmp = NULL;
	if (!dir || asprintf(&tmp, ".%s.excise-%d-%lld", slash + 1, (int)getpid(),
			     (long long)now.tv_sec * 1000000000 + now.tv_nsec) < 0) {
		free(dir);
		return -ENOMEM;
	}
	int e = 0;
	int dfd = root_openat_nofollow(r, dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		e = dfd;
	int t = -1;
	if (e == 0) {
		t = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, like->st_mode & 07777);
		if (t < 0)
			e = -errno;
	}
	if (e == 0)
		e = write_fd_all(t, data, len);
	if (e == 0 && (fchown(t, like->st_uid, like->st_gid) < 0 || fchmod(t, like->st_mode & 07777) < 0))
		e = -errno;
	if (e == 0)
		e = copy_xattrs(dfd, slash + 1, t);
	if (e == 0 && ((times && futimens(t, times) < 0) || fsync(t) < 0))
		e = -errno;
	if (t >= 0)
		close(t);
	if (e == 0 && renameat(dfd, tmp, dfd, slash + 1) < 0)
		e = -errno;
	if (e == 0 && fsync(dfd) < 0)
		e = -errno; /* renamed, but not known to be on disk */
	else if (e < 0 && t >= 0)
		(void)unlinkat(dfd, tmp, 0);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	free(tmp);
	return e;
}

char *path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	while (dl > 0 && dir[dl - 1] == '/')
		dl--;
	while (*name == '/') {
		name++;
		nl--;
	}
	char *p = malloc(dl + nl + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	return p;
}

static bool ascii_caseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return false;
	}
	return true;
}

static int list_nocase(int dfd, const char *name, size_t nlen, char *found);

/* The entry of directory `dfd` named `name` up to ASCII case; exact first. The
 * answer of a listing is remembered when the root has a cache. */
static int find_nocase(const struct root *r, int dfd, const char *name, size_t nlen, char *found)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		memcpy(found, name, nlen + 1);
		return 0;
	}
	char key[NAME_MAX + 64];
	size_t klen = 0;
	if (r->nocase && fstat(dfd, &st) == 0) {
		klen = nocase_key(key, sizeof(key), &st, name, nlen);
		if (nocase_get(r->nocase, key, klen, found))
			return found[0] ? 0 : -ENOENT;
	}
	int e = list_nocase(dfd, name, nlen, found);
	if (klen && (e == 0 || e == -ENOENT))
		nocase_put(r->nocase, key, klen, e == 0 ? found : NULL);
	return e;
}

static int list_nocase(int dfd, const char *name, size_t nlen, char *found)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = neg_errno();
		close(fd);
		return e;
	}
	int r = -ENOENT;
	for (struct dirent *de; (de = readdir(d));) {
		if (strlen(de->d_name) != nlen || !ascii_caseeq(de->d_name, name, nlen))
			continue;
		if (r < 0 || strcmp(de->d_name, found) < 0)
			memcpy(found, de->d_name, nlen + 1);
		r = 0;
	}
	closedir(d);
	return r;
}

int root_resolve_nocase(const struct root *r, const char *path, char **ret)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	size_t plen = strlen(path);
	if (plen > PATH_MAX)
		return -ENAMETOOLONG;
	_cleanup_free_ char *out = malloc(plen + 2);
	if (!out)
		return -ENOMEM;
	size_t n = 0;
	_cleanup_close_ int dfd = fcntl(r->fd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return neg_errno();
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t cl = strcspn(p, "/");
		if (cl == 0)
			break;
		if (cl > NAME_MAX || (cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		char want[NAME_MAX + 1], found[NAME_MAX + 1];
		memcpy(want, p, cl);
		want[cl] = 0;
		int e = find_nocase(r, dfd, want, cl, found);
		if (e < 0)
			return e;
		out[n++] = '/';
		memcpy(out + n, found, cl);
		n += cl;
		out[n] = 0;
		p += cl;
		if (*p) {
			/* Open the next level through the root, so a symlink stays inside it. */
			int nfd = root_openat(r, out, O_PATH | O_DIRECTORY);
			if (nfd < 0)
				return nfd;
			close(dfd);
			dfd = nfd;
		}
	}
	if (n == 0) {
		out[n++] = '/';
		out[n] = 0;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

int root_mkdir_p(const struct root *r, const char *path, mode_t mode)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	int fd = root_openat_nofollow(r, "/", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchrnul(p, '/');
		size_t len = (size_t)(e - p);
		char name[NAME_MAX + 1];
		if (len > NAME_MAX || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
			close(fd);
			return -EINVAL;
		}
		memcpy(name, p, len);
		name[len] = 0;
		if (mkdirat(fd, name, mode) < 0 && errno != EEXIST) {
			int e2 = neg_errno();
			close(fd);
			return e2;
		}
		/* an existing symlink is refused, not followed */
		int nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e2 = nfd < 0 ? (errno == ELOOP ? -EXCISE_E_SYMLINK : neg_errno()) : 0;
		close(fd);
		if (nfd < 0)
			return e2;
		fd = nfd;
		p = e;
	}
	return fd;
}

int write_fd_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

const char *root_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "regular file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symbolic link";
	case S_IFIFO: return "FIFO";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	default: return "special file";
	}
}

int root_open_regular(const struct root *r, const char *path, bool nofollow_all, struct stat *ret_st)
{
	return open_file(r, path, O_RDONLY | O_NOFOLLOW, nofollow_all ? RESOLVE_NO_SYMLINKS : 0, ret_st);
}

int root_read_regular(const struct root *r, const char *path, size_t max, char **ret_data, size_t *ret_len,
		      struct stat *ret_st)
{
	int fd = root_open_regular(r, path, false, ret_st);
	if (fd < 0)
		return fd;
	int e = read_fd_all(fd, max, ret_data, ret_len);
	close(fd);
	return e;
}
