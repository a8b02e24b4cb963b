/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the directory lister (lib/core/dirlist.c): filters, order, the
 * limit, and the error policy. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
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

#include "core/dirlist.h"
#include "core/limits.h"

struct fixture {
	char dir[PATH_MAX];
	struct root r;
};

static void touch(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", dir, rel) < (int)sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/*
 * ROOT/
 *   d/ b.plist a.plist c.txt .hidden.plist .plist 10 9 sub/
 *   file
 */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	assert_true(snprintf(fx->dir, sizeof(fx->dir), "%s/excise-test-dirlist.XXXXXX", tmp) < (int)sizeof(fx->dir));
	assert_non_null(mkdtemp(fx->dir));
	char d[PATH_MAX];
	assert_true(snprintf(d, sizeof(d), "%s/d", fx->dir) < (int)sizeof(d));
	assert_int_equal(mkdir(d, 0755), 0);
	static const char *const names[] = { "b.plist", "a.plist", "c.txt", ".hidden.plist", ".plist", "10", "9" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		touch(d, names[i]);
	assert_true(snprintf(d, sizeof(d), "%s/d/sub", fx->dir) < (int)sizeof(d));
	assert_int_equal(mkdir(d, 0755), 0);
	touch(fx->dir, "file");
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

/* What a listing saw: the names joined by ',', the paths checked, the errors. */
struct seen {
	char names[4096];
	char errors[4096];
	int n_errors, last_code;
	int stop_at;      /* the call number that returns -EIO, 0: none */
	int calls;
};

static int on_entry(void *userdata, const char *path, const char *name)
{
	struct seen *s = userdata;
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "/d/%s", name);
	if (strcmp(path, want) != 0 && strncmp(path, "/big/", 5) != 0)
		fail_msg("path '%s' for name '%s'", path, name);
	if (strlen(s->names) < 200)
		snprintf(s->names + strlen(s->names), sizeof(s->names) - strlen(s->names), "%s%s", s->names[0] ? "," : "",
			 name);
	if (++s->calls == s->stop_at)
		return -EIO;
	return 1; /* a non-negative return goes on */
}

static void on_error(void *userdata, int code, const char *msg)
{
	struct seen *s = userdata;
	s->n_errors++;
	s->last_code = code;
	snprintf(s->errors, sizeof(s->errors), "%s", msg);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_number(const void *a, const void *b)
{
	long x = strtol(*(char *const *)a, NULL, 10), y = strtol(*(char *const *)b, NULL, 10);
	return (x > y) - (x < y);
}

static bool digits(const char *name)
{
	return strspn(name, "0123456789") == strlen(name);
}

static void test_suffix_and_order(void **state)
{
	struct fixture *fx = *state;
	struct seen s = { 0 };
	/* the suffix alone is no match (".plist"), dotfiles are left out */
	struct dirlist o = { .suffix = ".plist", .compar = by_name, .error = on_error };
	assert_int_equal(dirlist_each(&fx->r, "/d", &o, on_entry, &s), 0);
	assert_string_equal(s.names, "a.plist,b.plist");
	assert_int_equal(s.n_errors, 0);
	/* dotfiles asked for */
	s = (struct seen){ 0 };
	o.dotfiles = true;
	assert_int_equal(dirlist_each(&fx->r, "/d", &o, on_entry, &s), 0);
	assert_string_equal(s.names, ".hidden.plist,a.plist,b.plist");
	/* a match function and another order; every name otherwise, "." and ".." never */
	s = (struct seen){ 0 };
	o = (struct dirlist){ .match = digits, .compar = by_number };
	assert_int_equal(dirlist_each(&fx->r, "/d", &o, on_entry, &s), 0);
	assert_string_equal(s.names, "9,10");
	s = (struct seen){ 0 };
	o = (struct dirlist){ .compar = by_name, .dotfiles = true };
	assert_int_equal(dirlist_each(&fx->r, "/d", &o, on_entry, &s), 0);
	assert_string_equal(s.names, ".hidden.plist,.plist,10,9,a.plist,b.plist,c.txt,sub");
}

/* More names than `max`: the first ones are listed and the limit is reported once. */
static void test_limit(void **state)
{
	struct fixture *fx = *state;
	struct seen s = { 0 };
	struct dirlist o = { .suffix = ".plist", .max = 1, .what = "property lists", .error = on_error };
	assert_int_equal(dirlist_each(&fx->r, "/d", &o, on_entry, &s), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.n_errors, 1);
	assert_int_equal(s.last_code, -EXCISE_E_LIMIT);
	assert_string_equal(s.errors, "'/d': more than 1 property lists, only the first 1 read");
}

/* Without a max, EXCISE_MAX_DIR_ENTRIES names are listed. */
static void test_default_limit(void **state)
{
	struct fixture *fx = *state;
	char big[PATH_MAX];
	assert_true(snprintf(big, sizeof(big), "%s/big", fx->dir) < (int)sizeof(big));
	assert_int_equal(mkdir(big, 0755), 0);
	for (unsigned i = 0; i <= EXCISE_MAX_DIR_ENTRIES; i++) {
		char n[32];
		snprintf(n, sizeof(n), "%u", i);
		touch(big, n);
	}
	struct seen s = { 0 };
	struct dirlist o = { .error = on_error };
	assert_int_equal(dirlist_each(&fx->r, "/big", &o, on_entry, &s), 0);
	assert_int_equal(s.calls, EXCISE_MAX_DIR_ENTRIES);
	assert_int_equal(s.n_errors, 1);
	char want[128];
	snprintf(want, sizeof(want), "'/big': more than %u entries, only the first %u read", EXCISE_MAX_DIR_ENTRIES,
		 EXCISE_MAX_DIR_ENTRIES);
	assert_string_equal(s.errors, want);
	nftw(big, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A directory that cannot be opened is returned, not reported; fn's error stops the listing. */
static void test_errors(void **state)
{
	struct fixture *fx = *state;
	struct seen s = { 0 };
	struct dirlist o = { .compar = by_name, .error = on_error };
	assert_int_equal(dirlist_each(&fx->r, "/missing", &o, on_entry, &s), -ENOENT);
	assert_int_equal(dirlist_each(&fx->r, "/file", &o, on_entry, &s), -ENOTDIR);
	assert_int_equal(s.calls, 0);
	assert_int_equal(s.n_errors, 0);
	s.stop_at = 2;
	assert_int_equal(dirlist_each(&fx->r, "/d", &o, on_entry, &s), -EIO);
	assert_int_equal(s.calls, 2);
	assert_string_equal(s.names, "10,9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suffix_and_order),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_default_limit),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
