/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for lib/core/walk.c: the directory walker over hostile temporary trees. */
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/limits.h"
#include "core/root.h"
#include "core/walk.h"

struct seen {
	pthread_mutex_t mu;
	atomic_uint_fast64_t n;
	atomic_uint max_depth;
	char *paths[64];   /* the first few paths, for small trees */
	size_t n_paths;
	unsigned char types[64];
	size_t longest;
	int errors;
	int last_error;
	char *swap_root;   /* test_swap: the tree to rename under the walk */
	int swapped;
	int stop_after;    /* test_abort */
	atomic_uint dir_firsts; /* directories whose first entry found dir_data zero */
};

/* A word standing for the parent's path, never 0. */
static uintptr_t dir_tag(const struct walk_entry *e)
{
	uintptr_t h = 1469598103934665603u;
	for (size_t i = 0; i < e->dir_len; i++)
		h = (h ^ (unsigned char)e->path[i]) * 1099511628211u;
	return h | 1;
}

static int on_entry(void *ud, const struct walk_entry *e)
{
	struct seen *s = ud;
	uint64_t n = atomic_fetch_add(&s->n, 1) + 1;
	unsigned d = atomic_load(&s->max_depth);
	while (e->depth > d && !atomic_compare_exchange_weak(&s->max_depth, &d, e->depth))
		;
	assert_int_equal(strlen(e->path), e->path_len);
	assert_int_equal(strlen(e->name), e->name_len);
	assert_ptr_equal(e->name, e->path + e->path_len - e->name_len);
	/* dir_data is zero at a directory's first entry and keeps what was left in it. */
	if (*e->dir_data == 0) {
		*e->dir_data = dir_tag(e);
		atomic_fetch_add(&s->dir_firsts, 1);
	} else {
		assert_true(*e->dir_data == dir_tag(e));
	}
	pthread_mutex_lock(&s->mu);
	if (s->n_paths < ARRAY_SIZE(s->paths)) {
		s->types[s->n_paths] = e->type;
		s->paths[s->n_paths++] = strdup(e->path);
	}
	if (e->path_len > s->longest)
		s->longest = e->path_len;
	pthread_mutex_unlock(&s->mu);
	if (s->swap_root && !s->swapped && e->type == DT_DIR && strcmp(e->name, "d") == 0) {
		/* Replace /a by a look-alike while the walk is inside /a/b. */
		char from[4096], to[4096];
		snprintf(from, sizeof(from), "%s/a", s->swap_root);
		snprintf(to, sizeof(to), "%s/a_old", s->swap_root);
		assert_int_equal(rename(from, to), 0);
		assert_int_equal(mkdir(from, 0755), 0);
		snprintf(to, sizeof(to), "%s/a/b", s->swap_root);
		assert_int_equal(mkdir(to, 0755), 0);
		s->swapped = 1;
	}
	if (s->stop_after && n >= (uint64_t)s->stop_after)
		return -ECANCELED;
	return WALK_CONTINUE;
}

static void on_error(void *ud, int code, const char *path, const char *what)
{
	struct seen *s = ud;
	(void)path;
	(void)what;
	pthread_mutex_lock(&s->mu);
	s->errors++;
	s->last_error = code;
	pthread_mutex_unlock(&s->mu);
}

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
}

static void seen_done(struct seen *s)
{
	for (size_t i = 0; i < s->n_paths; i++)
		free(s->paths[i]);
	pthread_mutex_destroy(&s->mu);
}

static int seen_type(const struct seen *s, const char *path)
{
	for (size_t i = 0; i < s->n_paths; i++)
		if (strcmp(s->paths[i], path) == 0)
			return s->types[i];
	return -1;
}

/* Deep trees are slow to build and remove on disk filesystems: prefer tmpfs. */
static char *mktree(void)
{
	char tmpl[64];
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/excise-walk.XXXXXX", base);
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	assert_int_equal(chmod(d, 0755), 0);
	return strdup(d);
}

static void rmtree(char *d)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", d, d);
	assert_int_equal(system(cmd), 0);
	free(d);
}

static void touch(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static int walk(const char *dir, struct seen *s, unsigned threads, unsigned flags, unsigned max_fds,
		unsigned max_depth, struct walk_stats *st)
{
	struct root r;
	struct excise_err err;
	assert_int_equal(root_open(dir, &r, &err), 0);
	struct walk_opts o = { .threads = threads, .flags = flags, .max_fds = max_fds,
			       .max_depth = max_depth, .entry = on_entry, .error = on_error,
			       .userdata = s };
	int ret = walk_run(&r, "/", &o, st);
	root_done(&r);
	return ret;
}

static void test_counts(void **state)
{
	(void)state;
	char *d = mktree();
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(fd, "a", 0755), 0);
	assert_int_equal(mkdirat(fd, "a/b", 0755), 0);
	assert_int_equal(mkdirat(fd, "empty", 0755), 0);
	touch(fd, "a/f1");
	touch(fd, "a/f2");
	touch(fd, "a/b/f3");
	touch(fd, "c");
	touch(fd, "kaspersky\nremnant");
	touch(fd, "kesl-control\xff");
	close(fd);
	for (unsigned threads = 1; threads <= 4; threads++) {
		struct seen s;
		seen_init(&s);
		struct walk_stats st;
		assert_int_equal(walk(d, &s, threads, 0, 0, 0, &st), 0);
		assert_int_equal(atomic_load(&s.n), 9);
		assert_int_equal(st.entries, 9);
		assert_int_equal(st.dirs, 4);
		assert_int_equal(atomic_load(&s.dir_firsts), 3); /* "/", "/a", "/a/b"; "/empty" has none */
		assert_int_equal(atomic_load(&s.max_depth), 3);
		assert_int_equal(seen_type(&s, "/a/b/f3"), DT_REG);
		assert_int_equal(seen_type(&s, "/a/b"), DT_DIR);
		assert_int_equal(seen_type(&s, "/kaspersky\nremnant"), DT_REG);
		assert_int_equal(seen_type(&s, "/kesl-control\xff"), DT_REG);
		assert_int_equal(s.errors, 0);
		seen_done(&s);
	}
	/* a start directory below the root */
	struct root r;
	struct excise_err err;
	assert_int_equal(root_open(d, &r, &err), 0);
	struct seen s;
	seen_init(&s);
	struct walk_opts o = { .entry = on_entry, .error = on_error, .userdata = &s };
	assert_int_equal(walk_run(&r, "/a/", &o, NULL), 0);
	assert_int_equal(atomic_load(&s.n), 4);
	assert_int_equal(seen_type(&s, "/a/b/f3"), DT_REG);
	seen_done(&s);
	assert_int_equal(walk_run(&r, "/nonexistent", &o, NULL), -ENOENT);
	assert_int_equal(walk_run(&r, "/c", &o, NULL), -ENOTDIR);
	root_done(&r);
	rmtree(d);
}

static void test_symlink_loops(void **state)
{
	(void)state;
	char *d = mktree();
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(fd, "dir", 0755), 0);
	assert_int_equal(symlinkat("b", fd, "a"), 0);
	assert_int_equal(symlinkat("a", fd, "b"), 0);
	assert_int_equal(symlinkat("..", fd, "dir/loop"), 0);
	assert_int_equal(symlinkat(".", fd, "self"), 0);
	assert_int_equal(symlinkat("/etc", fd, "etc"), 0);
	close(fd);
	struct seen s;
	seen_init(&s);
	assert_int_equal(walk(d, &s, 2, 0, 0, 0, NULL), 0);
	assert_int_equal(atomic_load(&s.n), 6);
	assert_int_equal(seen_type(&s, "/dir/loop"), DT_LNK);
	assert_int_equal(seen_type(&s, "/self"), DT_LNK);
	assert_int_equal(seen_type(&s, "/etc"), DT_LNK);
	assert_int_equal(atomic_load(&s.max_depth), 2);
	seen_done(&s);
	rmtree(d);
}

static void test_fifo_socket(void **state)
{
	(void)state;
	char *d = mktree();
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkfifoat(fd, "fifo", 0644), 0);
	if (geteuid() == 0)
		assert_int_equal(mknodat(fd, "null", S_IFCHR | 0644, makedev(1, 3)), 0);
	else
		touch(fd, "null");
	close(fd);
	struct seen s;
	seen_init(&s);
	alarm(20); /* a walker that opened the FIFO would block forever */
	assert_int_equal(walk(d, &s, 2, 0, 0, 0, NULL), 0);
	alarm(0);
	assert_int_equal(seen_type(&s, "/fifo"), DT_FIFO);
	assert_int_equal(atomic_load(&s.n), 2);
	seen_done(&s);
	rmtree(d);
}

/* The unreadable directory is reported and the walk goes on; root drops to nobody in a child. */
static void test_unreadable(void **state)
{
	(void)state;
	char *d = mktree();
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(fd, "locked", 0755), 0);
	assert_int_equal(mkdirat(fd, "open", 0755), 0);
	touch(fd, "locked/secret");
	touch(fd, "open/x");
	touch(fd, "open/y");
	assert_int_equal(fchmodat(fd, "locked", 0, 0), 0);
	close(fd);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
				       setresuid(65534, 65534, 65534) < 0))
			_exit(77);
		struct seen s;
		seen_init(&s);
		int r = walk(d, &s, 2, 0, 0, 0, NULL);
		/* locked, open, open/x, open/y; one error for locked */
		int ok = r == 0 && atomic_load(&s.n) == 4 && s.errors == 1 && s.last_error == -EACCES;
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	rmtree(d);
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void make_chain(const char *d, unsigned n)
{
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		int nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(nfd >= 0);
		close(fd);
		fd = nfd;
	}
	touch(fd, "bottom");
	close(fd);
}

static void test_deep(void **state)
{
	(void)state;
	char *d = mktree();
	make_chain(d, 10000);
	struct seen s;
	seen_init(&s);
	struct walk_stats st;
	assert_int_equal(walk(d, &s, 2, 0, 16, 0, &st), 0);
	assert_int_equal(atomic_load(&s.n), 10001);
	assert_int_equal(atomic_load(&s.max_depth), 10001);
	assert_int_equal(s.longest, 2 * 10000 + strlen("/bottom"));
	assert_int_equal(s.errors, 0);
	seen_done(&s);
	/* a small depth limit: the directory below it is an error, the walk goes on */
	seen_init(&s);
	assert_int_equal(walk(d, &s, 2, 0, 0, 100, &st), 0);
	assert_int_equal(atomic_load(&s.n), 100 + 1);
	assert_int_equal(s.errors, 1);
	assert_int_equal(s.last_error, -EXCISE_E_LIMIT);
	seen_done(&s);
	rmtree(d);
}

/* EXCISE_MAX_WALK_DEPTH itself, exceeded by one level. */
static void test_depth_limit(void **state)
{
	(void)state;
	char *d = mktree();
	make_chain(d, EXCISE_MAX_WALK_DEPTH + 2);
	struct seen s;
	seen_init(&s);
	assert_int_equal(walk(d, &s, 2, 0, 0, 0, NULL), 0);
	assert_int_equal(atomic_load(&s.n), EXCISE_MAX_WALK_DEPTH + 1);
	assert_int_equal(s.errors, 1);
	assert_int_equal(s.last_error, -EXCISE_E_LIMIT);
	seen_done(&s);
	rmtree(d);
}

static void test_wide(void **state)
{
	(void)state;
	char *d = mktree();
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(fd, "w", 0755), 0);
	int wfd = openat(fd, "w", O_RDONLY | O_DIRECTORY);
	char name[32];
	for (unsigned i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "file-%06u", i);
		touch(wfd, name);
	}
	close(wfd);
	close(fd);
	struct seen s;
	seen_init(&s);
	struct walk_stats st;
	assert_int_equal(walk(d, &s, 2, 0, 0, 0, &st), 0);
	assert_int_equal(atomic_load(&s.n), 100001);
	assert_int_equal(st.entries, 100001);
	seen_done(&s);
	rmtree(d);
}

/* A tiny fd cache forces parents to be evicted and reopened. */
static void test_reopen(void **state)
{
	(void)state;
	char *d = mktree();
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	char name[64];
	for (unsigned i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "x%u", i);
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		for (unsigned j = 0; j < 5; j++) {
			snprintf(name, sizeof(name), "x%u/y%u", i, j);
			assert_int_equal(mkdirat(fd, name, 0755), 0);
			snprintf(name, sizeof(name), "x%u/y%u/z", i, j);
			assert_int_equal(mkdirat(fd, name, 0755), 0);
			snprintf(name, sizeof(name), "x%u/y%u/z/f", i, j);
			touch(fd, name);
		}
	}
	close(fd);
	for (unsigned threads = 1; threads <= 3; threads++) {
		struct seen s;
		seen_init(&s);
		struct walk_stats st;
		assert_int_equal(walk(d, &s, threads, 0, 1, 0, &st), 0);
		assert_int_equal(atomic_load(&s.n), 20 + 20 * 5 * 3);
		assert_int_equal(s.errors, 0);
		assert_true(st.reopened > 0);
		seen_done(&s);
	}
	rmtree(d);
}

/* A directory swapped for a look-alike under the walk is detected, not followed. */
static void test_swap(void **state)
{
	(void)state;
	char *d = mktree();
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(fd, "a", 0755), 0);
	assert_int_equal(mkdirat(fd, "a/b", 0755), 0);
	char name[64];
	for (unsigned i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "a/b/c%u", i);
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		snprintf(name, sizeof(name), "a/b/c%u/d", i);
		assert_int_equal(mkdirat(fd, name, 0755), 0);
	}
	close(fd);
	struct seen s;
	seen_init(&s);
	s.swap_root = d;
	assert_int_equal(walk(d, &s, 1, 0, 1, 0, NULL), 0);
	assert_int_equal(s.swapped, 1);
	assert_int_equal(s.errors, 9);
	assert_int_equal(s.last_error, -ESTALE);
	seen_done(&s);
	rmtree(d);
}

static void test_abort(void **state)
{
	(void)state;
	char *d = mktree();
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	char name[64];
	for (unsigned i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "x%u", i);
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		snprintf(name, sizeof(name), "x%u/y", i);
		assert_int_equal(mkdirat(fd, name, 0755), 0);
	}
	close(fd);
	struct seen s;
	seen_init(&s);
	s.stop_after = 60;
	assert_int_equal(walk(d, &s, 2, 0, 0, 0, NULL), -ECANCELED);
	assert_true(atomic_load(&s.n) < 100);
	seen_done(&s);
	rmtree(d);
}

/* Another filesystem inside the tree is not entered unless WALK_XDEV. */
static void test_xdev(void **state)
{
	(void)state;
	char *d = mktree();
	char mnt[4200];
	snprintf(mnt, sizeof(mnt), "%s/mnt", d);
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (geteuid() != 0 || mount("excise-test", mnt, "tmpfs", 0, "size=1m") < 0) {
		rmtree(d);
		skip();
	}
	int fd = open(mnt, O_RDONLY | O_DIRECTORY);
	touch(fd, "inside");
	close(fd);
	struct seen s;
	seen_init(&s);
	struct walk_stats st;
	int r1 = walk(d, &s, 2, 0, 0, 0, &st);
	uint64_t n1 = atomic_load(&s.n), other1 = st.other_fs;
	seen_done(&s);
	seen_init(&s);
	int r2 = walk(d, &s, 2, WALK_XDEV, 0, 0, &st);
	uint64_t n2 = atomic_load(&s.n);
	int inside = seen_type(&s, "/mnt/inside");
	seen_done(&s);
	assert_int_equal(umount(mnt), 0);
	rmtree(d);
	assert_int_equal(r1, 0);
	assert_int_equal(n1, 1);
	assert_int_equal(other1, 1);
	assert_int_equal(r2, 0);
	assert_int_equal(n2, 2);
	assert_int_equal(inside, DT_REG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_symlink_loops),
		cmocka_unit_test(test_fifo_socket),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_wide),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_xdev),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
