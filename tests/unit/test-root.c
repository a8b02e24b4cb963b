/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of confined file access (lib/core/root.c): nothing leaves the root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/limits.h"
#include "core/root.h"
#include "excise/error.h"

#define INSIDE "inside the root\n"

struct fixture {
	char dir[PATH_MAX];
	struct root r;
};

static void put_file(const char *dir, const char *rel, const char *data, size_t len)
{
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", dir, rel) < (int)sizeof(p));
	FILE *f = fopen(p, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void put_dir(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", dir, rel) < (int)sizeof(p));
	assert_int_equal(mkdir(p, 0755), 0);
}

static void put_link(const char *dir, const char *rel, const char *target)
{
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", dir, rel) < (int)sizeof(p));
	assert_int_equal(symlink(target, p), 0);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/*
 * ROOT/
 *   etc/passwd            INSIDE
 *   dir/file              "file in dir"
 *   dir/up2 -> ../../../etc/passwd
 *   dir/esc -> ../../../../../../../../etc
 *   link-abs -> /etc/passwd
 *   up -> ../../..
 *   linkdir -> dir
 *   hundred               100 bytes
 *   fifo                  a named pipe
 *   marker                only here, to recognise a listing of ROOT
 */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	assert_true(snprintf(fx->dir, sizeof(fx->dir), "%s/excise-test-root.XXXXXX", tmp) <
		    (int)sizeof(fx->dir));
	assert_non_null(mkdtemp(fx->dir));
	put_dir(fx->dir, "etc");
	put_file(fx->dir, "etc/passwd", INSIDE, strlen(INSIDE));
	put_dir(fx->dir, "dir");
	put_file(fx->dir, "dir/file", "file in dir", 11);
	put_link(fx->dir, "dir/up2", "../../../etc/passwd");
	put_link(fx->dir, "dir/esc", "../../../../../../../../etc");
	put_link(fx->dir, "link-abs", "/etc/passwd");
	put_link(fx->dir, "up", "../../..");
	put_link(fx->dir, "linkdir", "dir");
	char hundred[100];
	memset(hundred, 'h', sizeof(hundred));
	put_file(fx->dir, "hundred", hundred, sizeof(hundred));
	put_file(fx->dir, "marker", "", 0);
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/fifo", fx->dir) < (int)sizeof(p));
	assert_int_equal(mkfifo(p, 0644), 0);
	struct excise_err err = { 0 };
	assert_int_equal(root_open(fx->dir, &fx->r, &err), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	root_done(&fx->r);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* Read `path` inside the fixture root and compare with `want`. */
static void read_is(struct fixture *fx, const char *path, const char *want)
{
	char *data = NULL;
	size_t len = 0;
	int r = root_read_file(&fx->r, path, 1 << 20, &data, &len);
	if (r < 0)
		fail_msg("root_read_file(%s): %s", path, excise_strerror(r));
	assert_int_equal(len, strlen(want));
	assert_string_equal(data, want);
	free(data);
}

static void test_open_root(void **state)
{
	struct fixture *fx = *state;
	assert_true(fx->r.fd >= 0);
	assert_non_null(fx->r.path);
	assert_int_equal(fx->r.path[0], '/');
	assert_false(fx->r.live);

	struct root live;
	struct excise_err err = { 0 };
	assert_int_equal(root_open(NULL, &live, &err), 0);
	assert_true(live.live);
	assert_string_equal(live.path, "/");
	root_done(&live);
}

static void test_open_missing_root(void **state)
{
	struct fixture *fx = *state;
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/no-such-dir", fx->dir) < (int)sizeof(p));
	struct root r;
	struct excise_err err = { 0 };
	assert_int_equal(root_open(p, &r, &err), -ENOENT);
	assert_int_equal(err.code, -ENOENT);
	assert_non_null(strstr(err.msg, "no-such-dir"));
}

static void test_plain_read(void **state)
{
	struct fixture *fx = *state;
	read_is(fx, "/etc/passwd", INSIDE);
	read_is(fx, "etc/passwd", INSIDE);
	read_is(fx, "/dir/file", "file in dir");
	read_is(fx, "//dir//file", "file in dir");
}

static void test_absolute_symlink_stays_inside(void **state)
{
	struct fixture *fx = *state;
	/* link-abs -> /etc/passwd must mean ROOT/etc/passwd, not the host's. */
	read_is(fx, "/link-abs", INSIDE);
	struct stat a, b;
	assert_int_equal(root_stat(&fx->r, "/link-abs", &a), 0);
	assert_int_equal(root_stat(&fx->r, "/etc/passwd", &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	struct stat host;
	if (stat("/etc/passwd", &host) == 0)
		assert_false(host.st_ino == a.st_ino && host.st_dev == a.st_dev);
}

static void test_dotdot_stays_at_root(void **state)
{
	struct fixture *fx = *state;
	read_is(fx, "/../../../etc/passwd", INSIDE);
	read_is(fx, "/dir/../../../../etc/passwd", INSIDE);
	read_is(fx, "/dir/up2", INSIDE);
	read_is(fx, "/dir/esc/passwd", INSIDE);
	read_is(fx, "/up/etc/passwd", INSIDE);
	read_is(fx, "/up/up/up/dir/file", "file in dir");

	/* A directory reached through "../../.." is the root itself. */
	DIR *d = NULL;
	assert_int_equal(root_opendir(&fx->r, "/up", &d), 0);
	bool marker = false;
	for (struct dirent *de; (de = readdir(d));)
		marker |= strcmp(de->d_name, "marker") == 0;
	closedir(d);
	assert_true(marker);

	struct stat up, root;
	assert_int_equal(root_stat(&fx->r, "/up", &up), 0);
	assert_int_equal(fstat(fx->r.fd, &root), 0);
	assert_true(up.st_ino == root.st_ino && up.st_dev == root.st_dev);
}

static void test_opendir(void **state)
{
	struct fixture *fx = *state;
	DIR *d = NULL;
	assert_int_equal(root_opendir(&fx->r, "/linkdir", &d), 0);
	bool file = false;
	for (struct dirent *de; (de = readdir(d));)
		file |= strcmp(de->d_name, "file") == 0;
	closedir(d);
	assert_true(file);

	d = NULL;
	assert_int_equal(root_opendir(&fx->r, "/", &d), 0);
	closedir(d);
	assert_int_equal(root_opendir(&fx->r, "/hundred", &d), -ENOTDIR);
	assert_int_equal(root_opendir(&fx->r, "/nonexistent", &d), -ENOENT);
}

static void test_lstat(void **state)
{
	struct fixture *fx = *state;
	struct stat st;
	assert_int_equal(root_lstat(&fx->r, "/link-abs", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(root_lstat(&fx->r, "/up", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* Symlinks in the parent are followed inside the root. */
	assert_int_equal(root_lstat(&fx->r, "/linkdir/file", &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 11);
	assert_int_equal(root_lstat(&fx->r, "/up/up/etc/passwd", &st), 0);
	assert_int_equal(st.st_size, strlen(INSIDE));
	assert_int_equal(root_lstat(&fx->r, "/dir/esc", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(root_lstat(&fx->r, "/fifo", &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	/* The root itself. */
	assert_int_equal(root_lstat(&fx->r, "/", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(root_lstat(&fx->r, "/nope", &st), -ENOENT);
	/* stat follows the last symlink, lstat does not. */
	assert_int_equal(root_stat(&fx->r, "/linkdir", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

static void test_readlink(void **state)
{
	struct fixture *fx = *state;
	char *t = NULL;
	assert_int_equal(root_readlink(&fx->r, "/link-abs", &t), 0);
	assert_string_equal(t, "/etc/passwd"); /* the raw target, as stored */
	free(t);
	t = NULL;
	assert_int_equal(root_readlink(&fx->r, "/up/up/up", &t), 0);
	assert_string_equal(t, "../../..");
	free(t);
	t = NULL;
	assert_int_equal(root_readlink(&fx->r, "/linkdir/up2", &t), 0);
	assert_string_equal(t, "../../../etc/passwd");
	free(t);
	t = NULL;
	assert_int_equal(root_readlink(&fx->r, "/hundred", &t), -EINVAL);
	assert_null(t);
	assert_int_equal(root_readlink(&fx->r, "/nope", &t), -ENOENT);
	assert_null(t);
}

static void test_nofollow(void **state)
{
	struct fixture *fx = *state;
	int fd = root_openat_nofollow(&fx->r, "/dir/file", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	/* A symlinked component anywhere is refused. */
	assert_int_equal(root_openat_nofollow(&fx->r, "/linkdir/file", O_RDONLY), -ELOOP);
	assert_int_equal(root_openat_nofollow(&fx->r, "/link-abs", O_RDONLY), -ELOOP);
	assert_int_equal(root_openat_nofollow(&fx->r, "/up/etc/passwd", O_RDONLY), -ELOOP);
	assert_int_equal(root_openat_nofollow(&fx->r, "/dir/up2", O_RDONLY), -ELOOP);
	/* O_NOFOLLOW with root_openat: only the last component. */
	assert_int_equal(root_openat(&fx->r, "/link-abs", O_RDONLY | O_NOFOLLOW), -ELOOP);
	fd = root_openat(&fx->r, "/linkdir/file", O_RDONLY | O_NOFOLLOW);
	assert_true(fd >= 0);
	close(fd);
}

static void test_read_limit(void **state)
{
	struct fixture *fx = *state;
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(root_read_file(&fx->r, "/hundred", 99, &data, &len), -EXCISE_E_TOOBIG);
	assert_null(data);
	assert_int_equal(root_read_file(&fx->r, "/hundred", 100, &data, &len), 0);
	assert_int_equal(len, 100);
	assert_int_equal(data[100], 0);
	free(data);
	data = NULL;
	/* Through a symlink the limit applies to the target. */
	assert_int_equal(root_read_file(&fx->r, "/dir/up2", 3, &data, &len), -EXCISE_E_TOOBIG);
	assert_null(data);
	/* An empty file is fine and NUL-terminated. */
	assert_int_equal(root_read_file(&fx->r, "/marker", 0, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
}

static void test_read_limit_unsized(void **state)
{
	(void)state;
	/* /proc files report size 0: the limit must still hold while reading. */
	struct root live;
	struct excise_err err = { 0 };
	assert_int_equal(root_open("/", &live, &err), 0);
	char *data = NULL;
	size_t len = 0;
	int r = root_read_file(&live, "/proc/self/maps", 16, &data, &len);
	if (r == -ENOENT) {
		root_done(&live);
		skip();
	}
	assert_int_equal(r, -EXCISE_E_TOOBIG);
	assert_null(data);
	assert_int_equal(root_read_file(&live, "/proc/self/maps", 1 << 24, &data, &len), 0);
	assert_true(len > 16);
	assert_int_equal(strlen(data), len);
	free(data);
	root_done(&live);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "# root_read_file blocked on a FIFO\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static void test_read_fifo_dir(void **state)
{
	struct fixture *fx = *state;
	char *data = NULL;
	size_t len = 0;
	signal(SIGALRM, on_alarm);
	alarm(10);
	assert_int_equal(root_read_file(&fx->r, "/fifo", 1024, &data, &len), -EXCISE_E_SPECIAL); /* never opened: O_PATH and fstat first */
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	assert_null(data);
	assert_int_equal(root_read_file(&fx->r, "/dir", 1024, &data, &len), -EISDIR);
	assert_int_equal(root_read_file(&fx->r, "/up", 1024, &data, &len), -EISDIR);
	assert_int_equal(root_read_file(&fx->r, "/", 1024, &data, &len), -EISDIR);
	assert_int_equal(root_read_file(&fx->r, "/nonexistent", 1024, &data, &len), -ENOENT);
	assert_null(data);
}

static void join_is(const char *dir, const char *name, const char *want)
{
	char *p = path_join(dir, name);
	assert_non_null(p);
	assert_string_equal(p, want);
	free(p);
}

static void test_path_join(void **state)
{
	(void)state;
	join_is("/", "x", "/x");
	join_is("/", "/x", "/x");
	join_is("/a", "b", "/a/b");
	join_is("/a/", "b", "/a/b");
	join_is("/a//", "//b", "/a/b");
	join_is("/a/b", "c/d", "/a/b/c/d");
	join_is("", "x", "/x");
}

static void resolves_to(const struct root *r, const char *path, const char *want)
{
	char *got = NULL;
	assert_int_equal(root_resolve_nocase(r, path, &got), 0);
	assert_string_equal(got, want);
	free(got);
}

/* A scan's cache of case-insensitive answers: a folder listed once per name, the answer
 * kept (even when the folder changes: a scan reads a root that does not), and at most
 * EXCISE_MAX_NOCASE_CACHE answers before the cache starts again. */
static void test_resolve_nocase_cache(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(root_cache_nocase(&fx->r), 0);
	put_dir(fx->dir, "Users");
	char *got = NULL;
	assert_int_equal(root_resolve_nocase(&fx->r, "/USERS/Alice", &got), -ENOENT);
	put_dir(fx->dir, "Users/alice");
	/* remembered: no second listing */
	assert_int_equal(root_resolve_nocase(&fx->r, "/USERS/Alice", &got), -ENOENT);
	char p[64];
	for (unsigned i = 0; i < EXCISE_MAX_NOCASE_CACHE; i++) {
		snprintf(p, sizeof(p), "/Users/Missing%u", i);
		assert_int_equal(root_resolve_nocase(&fx->r, p, &got), -ENOENT);
	}
	/* past the limit the cache started again: the folder is listed anew */
	resolves_to(&fx->r, "/USERS/Alice", "/Users/alice");
}

static void test_resolve_nocase(void **state)
{
	struct fixture *fx = *state;
	put_dir(fx->dir, "Windows");
	put_dir(fx->dir, "Windows/System32");
	put_dir(fx->dir, "Windows/System32/config");
	put_file(fx->dir, "Windows/System32/config/SOFTWARE", "x", 1);
	put_file(fx->dir, "Windows/System32/config/software", "y", 1);
	put_file(fx->dir, "Windows/System32/config/SyStEm", "z", 1);
	resolves_to(&fx->r, "/windows/system32/CONFIG/SYSTEM", "/Windows/System32/config/SyStEm");
	/* An exact name wins over other spellings. */
	resolves_to(&fx->r, "/WINDOWS/System32/config/software", "/Windows/System32/config/software");
	/* Otherwise the first in byte order, whatever the directory order. */
	resolves_to(&fx->r, "/windows/system32/config/Software", "/Windows/System32/config/SOFTWARE");
	resolves_to(&fx->r, "/", "/");
	resolves_to(&fx->r, "//DIR//FILE", "/dir/file");
	char *got = NULL;
	assert_int_equal(root_resolve_nocase(&fx->r, "/windows/missing", &got), -ENOENT);
	assert_int_equal(root_resolve_nocase(&fx->r, "/dir/../etc", &got), -EINVAL);
	assert_int_equal(root_resolve_nocase(&fx->r, "relative", &got), -EINVAL);
	/* Symlinked components are resolved inside the root: "/UP" leads back to the root. */
	resolves_to(&fx->r, "/UP/marker", "/up/marker");
	assert_int_equal(root_resolve_nocase(&fx->r, "/dir/ESC/passwd", &got), 0);
	assert_string_equal(got, "/dir/esc/passwd");
	free(got);
	_cleanup_close_ int fd = root_openat(&fx->r, "/dir/esc/passwd", O_RDONLY);
	assert_true(fd >= 0);
	char buf[64] = { 0 };
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	assert_string_equal(buf, INSIDE);
}

/* root_realpath: every link resolved as the root sees it, never the host's path. */
static void test_realpath(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "/", "/" },
		{ "/dir/file", "/dir/file" },
		{ "/linkdir/file", "/dir/file" },
		{ "/link-abs", "/etc/passwd" },
		{ "/dir/up2", "/etc/passwd" },
		{ "/up/etc", "/etc" },
		{ "/dir/esc", "/etc" },
		{ "/linkdir", "/dir" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = NULL;
		assert_int_equal(root_realpath(&fx->r, cases[i].in, &got), 0);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
	char *got = (char *)"unset";
	assert_int_equal(root_realpath(&fx->r, "/linkdir/missing", &got), -ENOENT);
	assert_null(got);
}

struct chunks {
	size_t calls, bytes, fail_at;
	unsigned char first, last;
};

static int on_chunk(const void *data, size_t len, void *userdata)
{
	struct chunks *c = userdata;
	const unsigned char *p = data;
	assert_true(len > 0 && len <= 65536);
	if (c->bytes == 0)
		c->first = p[0];
	c->last = p[len - 1];
	c->bytes += len;
	return ++c->calls == c->fail_at ? -EXCISE_E_CORRUPT : 0;
}

/* write_fd_all writes every byte; read_fd_chunks reads them back from the start,
 * in chunks, without moving the file offset, and stops at the callback's error. */
static void test_write_and_chunks(void **state)
{
	struct fixture *fx = *state;
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/chunks", fx->dir) < (int)sizeof(p));
	int fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	size_t n = 200000;
	unsigned char *data = malloc(n);
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7);
	assert_int_equal(write_fd_all(fd, data, n), 0);
	off_t at = lseek(fd, 0, SEEK_CUR);
	assert_int_equal(at, (off_t)n);
	struct chunks c = { 0 };
	uint64_t size = 0;
	assert_int_equal(read_fd_chunks(fd, on_chunk, &c, &size), 0);
	assert_int_equal(size, n);
	assert_int_equal(c.bytes, n);
	assert_int_equal(c.calls, 4); /* 64 KiB at a time */
	assert_int_equal(c.first, data[0]);
	assert_int_equal(c.last, data[n - 1]);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), at);
	c = (struct chunks){ .fail_at = 2 };
	assert_int_equal(read_fd_chunks(fd, on_chunk, &c, NULL), -EXCISE_E_CORRUPT);
	assert_int_equal(c.calls, 2);
	/* a descriptor that cannot be read or written is -errno */
	int wfd = open(p, O_WRONLY | O_CLOEXEC);
	assert_true(wfd >= 0);
	assert_int_equal(read_fd_chunks(wfd, on_chunk, &c, NULL), -EBADF);
	close(wfd);
	int rfd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(rfd >= 0);
	assert_int_equal(write_fd_all(rfd, "x", 1), -EBADF);
	close(rfd);
	close(fd);
	unlink(p);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_root),
		cmocka_unit_test(test_open_missing_root),
		cmocka_unit_test(test_plain_read),
		cmocka_unit_test(test_absolute_symlink_stays_inside),
		cmocka_unit_test(test_dotdot_stays_at_root),
		cmocka_unit_test(test_opendir),
		cmocka_unit_test(test_lstat),
		cmocka_unit_test(test_readlink),
		cmocka_unit_test(test_nofollow),
		cmocka_unit_test(test_read_limit),
		cmocka_unit_test(test_read_limit_unsized),
		cmocka_unit_test(test_read_fifo_dir),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_resolve_nocase),
		cmocka_unit_test(test_realpath),
		cmocka_unit_test(test_write_and_chunks),
		cmocka_unit_test(test_resolve_nocase_cache), /* last: it turns the cache on */
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
