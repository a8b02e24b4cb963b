/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the removal safety rules (lib/remove/safety.c): what may never be removed, and how it is reached. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/root.h"
#include "excise/error.h"
#include "remove/safety.h"

struct fixture {
	char dir[PATH_MAX];
	char mnt[PATH_MAX + 16];
	bool mounted;
	struct root r;
};

static void put_dir(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", dir, rel) < (int)sizeof(p));
	assert_int_equal(mkdir(p, 0755), 0);
}

static void put_file(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", dir, rel) < (int)sizeof(p));
	FILE *f = fopen(p, "we");
	assert_non_null(f);
	assert_true(fputs("x\n", f) >= 0);
	assert_int_equal(fclose(f), 0);
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
 *   opt/kaspersky/kesl/bin/kesl   a regular file
 *   opt/link-in -> kaspersky      a symlink to a directory inside the root
 *   opt/link-out -> /tmp          a symlink to a directory outside it
 *   opt/mnt/                      where the mount point test mounts a tmpfs
 *   usr/share/doc/
 */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/excise-test-safety.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	put_dir(fx->dir, "opt");
	put_dir(fx->dir, "opt/kaspersky");
	put_dir(fx->dir, "opt/kaspersky/kesl");
	put_dir(fx->dir, "opt/kaspersky/kesl/bin");
	put_file(fx->dir, "opt/kaspersky/kesl/bin/kesl");
	put_link(fx->dir, "opt/link-in", "kaspersky");
	put_link(fx->dir, "opt/link-out", "/tmp");
	put_dir(fx->dir, "opt/mnt");
	put_dir(fx->dir, "usr");
	put_dir(fx->dir, "usr/share");
	put_dir(fx->dir, "usr/share/doc");
	snprintf(fx->mnt, sizeof(fx->mnt), "%s/opt/mnt", fx->dir);
	struct excise_err err = { 0 };
	assert_int_equal(root_open(fx->dir, &fx->r, &err), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	root_done(&fx->r);
	if (fx->mounted)
		(void)umount2(fx->mnt, MNT_DETACH);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static const char *const must_protect[] = {
	"/", "/usr", "/etc", "/opt", "/var", "/home", "/home/alice", "/root", "/usr/lib", "/usr/lib/systemd/system",
	"/etc/systemd/system/multi-user.target.wants", "/var/lib", "/var/log", "/etc/ssl/certs", "/Windows",
	"/Windows/System32", "/WINDOWS/system32", "/Users/bob", "/Users/bob/AppData/Local",
	"/Users/bob/AppData/Local/Microsoft", "/Library", "/Library/Application Support",
	"/Library/Application Support/Apple", "/System/Library", "/Program Files (x86)/Common Files",
};

static const char *const must_not_protect[] = {
	"/opt/kaspersky", "/var/opt/kaspersky", "/etc/opt/kaspersky", "/lib/systemd/system/kesl.service",
	"/etc/systemd/system/multi-user.target.wants/kesl.service", "/Library/Application Support/Kaspersky Lab",
	"/Users/bob/AppData/Local/Kaspersky Lab", "/Program Files (x86)/Kaspersky Lab", "/ProgramData/Kaspersky Lab",
	"/usr/local/share/ca-certificates/kaspersky.crt",
};

/* System directories are protected (case-insensitively); a vendor's folder inside them is not. */
static void test_protected(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(must_protect) / sizeof(must_protect[0]); i++)
		if (!safety_protected(must_protect[i]))
			fail_msg("'%s' should be protected", must_protect[i]);
	for (size_t i = 0; i < sizeof(must_not_protect) / sizeof(must_not_protect[0]); i++)
		if (safety_protected(must_not_protect[i]))
			fail_msg("'%s' should not be protected", must_not_protect[i]);
}

/* Check `path`, expecting `want` and, for a refusal, a message containing `msg` and the path. */
static void check_is(struct fixture *fx, const char *path, int want, const char *msg)
{
	struct excise_err err = { 0 };
	int r = safety_check_path(&fx->r, path, &err);
	if (r != want)
		fail_msg("safety_check_path(%s) = %d (%s), want %d (%s); %s", path ? path : "(null)", r,
			 excise_strerror(r), want, excise_strerror(want), err.msg);
	if (msg) {
		if (!strstr(err.msg, msg))
			fail_msg("safety_check_path(%s): message '%s' lacks '%s'", path ? path : "(null)", err.msg,
				 msg);
		assert_int_equal(err.code, want);
		if (path)
			assert_non_null(strstr(err.msg, path));
	}
}

/* Only absolute paths in normal form are considered at all. */
static void test_normal_form(void **state)
{
	struct fixture *fx = *state;
	check_is(fx, "relative", -EXCISE_E_REFUSED, "normal form");
	check_is(fx, "", -EXCISE_E_REFUSED, "normal form");
	check_is(fx, NULL, -EXCISE_E_REFUSED, "normal form");
	check_is(fx, "/opt//x", -EXCISE_E_REFUSED, "normal form");
	check_is(fx, "/opt/./x", -EXCISE_E_REFUSED, "normal form");
	check_is(fx, "/opt/../etc", -EXCISE_E_REFUSED, "normal form");
	check_is(fx, "/opt/x/", -EXCISE_E_REFUSED, "normal form");
	check_is(fx, "/opt/kaspersky/.", -EXCISE_E_REFUSED, "normal form");
	check_is(fx, "/opt/kaspersky/..", -EXCISE_E_REFUSED, "normal form");
	check_is(fx, "//opt/kaspersky", -EXCISE_E_REFUSED, "normal form");
	/* a name that merely starts with dots is fine */
	check_is(fx, "/opt/kaspersky/..x", -ENOENT, NULL);
	check_is(fx, "/opt/kaspersky/.kesl", -ENOENT, NULL);
}

/* Protected paths are refused whether or not they exist in the root. */
static void test_check_protected(void **state)
{
	struct fixture *fx = *state;
	check_is(fx, "/", -EXCISE_E_REFUSED, "protected");
	check_is(fx, "/opt", -EXCISE_E_REFUSED, "protected");
	check_is(fx, "/usr", -EXCISE_E_REFUSED, "protected");
	check_is(fx, "/usr/share/doc", -EXCISE_E_REFUSED, "protected");
	check_is(fx, "/etc", -EXCISE_E_REFUSED, "protected");
	check_is(fx, "/Windows/System32", -EXCISE_E_REFUSED, "protected");
}

/* No parent component may be a symlink, whether it leads inside the root or out of it. */
static void test_symlinked_parent(void **state)
{
	struct fixture *fx = *state;
	check_is(fx, "/opt/link-in/kesl", -EXCISE_E_SYMLINK, "symlink");
	check_is(fx, "/opt/link-in/kesl/bin/kesl", -EXCISE_E_SYMLINK, "symlink");
	check_is(fx, "/opt/link-out/x", -EXCISE_E_SYMLINK, "symlink");
	check_is(fx, "/opt/link-out/excise-nonexistent/x", -EXCISE_E_SYMLINK, "symlink");
	/* the symlink itself is what would be removed: no parent is a symlink */
	check_is(fx, "/opt/link-in", 0, NULL);
	check_is(fx, "/opt/link-out", 0, NULL);
}

/* What is not there is nothing to do: -ENOENT, with no message needed. */
static void test_missing(void **state)
{
	struct fixture *fx = *state;
	check_is(fx, "/opt/kaspersky/missing", -ENOENT, NULL);
	check_is(fx, "/opt/nothere/x", -ENOENT, NULL);
	check_is(fx, "/var/opt/kaspersky", -ENOENT, NULL);
	/* a parent that is a regular file */
	check_is(fx, "/opt/kaspersky/kesl/bin/kesl/x", -ENOENT, NULL);
}

/* Ordinary files and directories of the vendor pass. */
static void test_allowed(void **state)
{
	struct fixture *fx = *state;
	check_is(fx, "/opt/kaspersky/kesl/bin/kesl", 0, NULL);
	check_is(fx, "/opt/kaspersky/kesl/bin", 0, NULL);
	check_is(fx, "/opt/kaspersky", 0, NULL);
	check_is(fx, "/opt/mnt", 0, NULL);
}

/* A mount point is never removed. Needs CAP_SYS_ADMIN: done in a private mount
 * namespace so nothing is left mounted on the host, skipped where not allowed. */
static void test_mount_point(void **state)
{
	struct fixture *fx = *state;
	if (unshare(CLONE_NEWNS) < 0) {
		print_message("# unshare(CLONE_NEWNS): %s: skipped\n", strerror(errno));
		skip();
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		print_message("# making / private: %s: skipped\n", strerror(errno));
		skip();
	}
	if (mount("excise-test", fx->mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0) {
		print_message("# mounting a tmpfs: %s: skipped\n", strerror(errno));
		skip();
	}
	fx->mounted = true;
	/* the root was opened in the old mount namespace, where nothing is mounted there */
	struct excise_err err = { 0 };
	root_done(&fx->r);
	assert_int_equal(root_open(fx->dir, &fx->r, &err), 0);
	check_is(fx, "/opt/mnt", -EXCISE_E_REFUSED, "mount point");
	/* what is inside the mount is an ordinary path again */
	put_dir(fx->dir, "opt/mnt/sub");
	check_is(fx, "/opt/mnt/sub", 0, NULL);
	char sub[PATH_MAX + 32];
	snprintf(sub, sizeof(sub), "%s/sub", fx->mnt);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(umount2(fx->mnt, 0), 0);
	fx->mounted = false;
	check_is(fx, "/opt/mnt", 0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protected),
		cmocka_unit_test_setup_teardown(test_normal_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_protected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mount_point, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
