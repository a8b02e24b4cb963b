/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of output files that appear only whole (lib/core/output.c) and of the
 * target check (lib/remove/target.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "excise/excise.h"

struct fixture {
	char dir[PATH_MAX];
	char path[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/excise-test-output.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/out.json", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		char p[PATH_MAX + 256];
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
			if (unlink(p) < 0)
				rmdir(p);
		}
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The names in the directory, sorted, joined with spaces. */
static char *names(const char *dir)
{
	static char out[4096];
	struct dirent **v;
	int n = scandir(dir, &v, NULL, alphasort);
	assert_true(n >= 0);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") && strcmp(v[i]->d_name, ".."))
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", out[0] ? " " : "", v[i]->d_name);
		free(v[i]);
	}
	free(v);
	return out;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void test_commit_appears_whole(void **state)
{
	struct fixture *f = *state;
	struct excise_output *o;
	struct excise_err err = { 0 };
	FILE *w;
	assert_int_equal(excise_output_open(f->path, 0640, &o, &w, &err), 0);
	fputs("{\"half\":", w);
	fflush(w);
	/* until the commit, the name does not exist: only a temporary file beside it */
	assert_int_equal(access(f->path, F_OK), -1);
	assert_string_not_equal(excise_output_tmp_path(o), f->path);
	assert_int_equal(access(excise_output_tmp_path(o), F_OK), 0);
	fputs("1}\n", w);
	assert_int_equal(excise_output_commit(o, &err), 0);
	assert_string_equal(slurp(f->path), "{\"half\":1}\n");
	assert_string_equal(names(f->dir), "out.json");
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0077 & ~0640, 0);
}

static void test_abort_leaves_the_old_file(void **state)
{
	struct fixture *f = *state;
	struct excise_err err = { 0 };
	assert_int_equal(excise_output_write(f->path, 0600, "old\n", 4, &err), 0);
	struct excise_output *o;
	FILE *w;
	assert_int_equal(excise_output_open(f->path, 0666, &o, &w, &err), 0);
	fputs("new and incomplete", w);
	excise_output_abort(o);
	assert_string_equal(slurp(f->path), "old\n");
	assert_string_equal(names(f->dir), "out.json");
	excise_output_abort(NULL);
}

static void test_existing_mode_kept(void **state)
{
	struct fixture *f = *state;
	struct excise_err err = { 0 };
	assert_int_equal(excise_output_write(f->path, 0666, "a", 1, &err), 0);
	assert_int_equal(chmod(f->path, 0604), 0);
	assert_int_equal(excise_output_write(f->path, 0666, "bb", 2, &err), 0);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_string_equal(slurp(f->path), "bb");
}

static void test_symlink_replaces_its_target(void **state)
{
	struct fixture *f = *state;
	struct excise_err err = { 0 };
	char link[PATH_MAX + 16];
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(excise_output_write(f->path, 0666, "x", 1, &err), 0);
	assert_int_equal(symlink("out.json", link), 0);
	assert_int_equal(excise_output_write(link, 0666, "through", 7, &err), 0);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_string_equal(slurp(f->path), "through");
}

/* excise_output_open_at: a link (or a FIFO) planted at the name is replaced, never
 * followed or written; the file appears whole. */
static void test_at_replaces_a_planted_link(void **state)
{
	struct fixture *f = *state;
	struct excise_err err = { 0 };
	char link[PATH_MAX + 16], fifo[PATH_MAX + 16];
	snprintf(link, sizeof(link), "%s/att.json", f->dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	assert_int_equal(excise_output_write(f->path, 0666, "canary", 6, &err), 0);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	int dfd = open(f->dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	const char *names_[] = { "att.json", "fifo" };
	for (size_t i = 0; i < 2; i++) {
		struct excise_output *o = NULL;
		FILE *out = NULL;
		assert_int_equal(excise_output_open_at(dfd, f->dir, names_[i], 0666, &o, &out, &err), 0);
		fputs("new", out);
		assert_int_equal(excise_output_commit(o, &err), 0);
	}
	close(dfd);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_string_equal(slurp(link), "new");
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_string_equal(slurp(f->path), "canary");
	assert_int_equal(excise_output_open_at(AT_FDCWD, ".", "a/b", 0666, &(struct excise_output *){ NULL },
					       &(FILE *){ NULL }, &err), -EXCISE_E_USAGE);
}

static void test_device_written_in_place(void **state)
{
	(void)state;
	struct excise_err err = { 0 };
	assert_int_equal(excise_output_write("/dev/null", 0666, "x", 1, &err), 0);
	struct stat st;
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

static void test_errors_name_the_file(void **state)
{
	struct fixture *f = *state;
	struct excise_err err = { 0 };
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/missing/out.json", f->dir);
	assert_true(excise_output_write(p, 0666, "x", 1, &err) < 0);
	assert_non_null(strstr(err.msg, p));
	assert_int_equal(excise_output_write("", 0666, "x", 1, &err), -EXCISE_E_USAGE);
	assert_string_equal(names(f->dir), "");
}

static void test_target_check(void **state)
{
	struct fixture *f = *state;
	struct excise_err err = { 0 };
	char a[PATH_MAX + 8], b[PATH_MAX + 8], l[PATH_MAX + 8];
	snprintf(a, sizeof(a), "%s/a", f->dir);
	snprintf(b, sizeof(b), "%s/b", f->dir);
	snprintf(l, sizeof(l), "%s/l", f->dir);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	assert_int_equal(symlink("a", l), 0);
	assert_int_equal(excise_target_check(NULL, a, "plan", &err), 0);
	assert_int_equal(excise_target_check(a, a, "plan", &err), 0);
	assert_int_equal(excise_target_check(l, a, "plan", &err), 0);
	assert_int_equal(excise_target_check("", a, "plan", &err), -EXCISE_E_USAGE);
	assert_string_equal(err.msg, "--root: empty path");
	assert_int_equal(excise_target_check(b, a, "plan", &err), -EXCISE_E_REFUSED);
	assert_non_null(strstr(err.msg, a));
	assert_non_null(strstr(err.msg, b));
	assert_int_equal(excise_target_check(b, l, "run", &err), -EXCISE_E_REFUSED);
	assert_non_null(strstr(err.msg, "the run's root"));
	char missing[PATH_MAX + 16];
	snprintf(missing, sizeof(missing), "%s/nope", f->dir);
	assert_int_equal(excise_target_check(missing, a, "plan", &err), -ENOENT);
	assert_non_null(strstr(err.msg, missing));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_appears_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_leaves_the_old_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_mode_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_replaces_its_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_written_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_at_replaces_a_planted_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_check, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
