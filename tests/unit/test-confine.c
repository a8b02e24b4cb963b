/* SPDX-License-Identifier: Apache-2.0 */
/* confine: a tool run against an offline root can execute nothing but itself, sees none
 * of the host's files but its programs (read-only), and writes only into the image.
 * Deterministic: the host's own sh is the tool, and what it tries after its start is
 * what a maintainer script, trigger or scriptlet would try. */
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

#include "core/root.h"
#include "excise/error.h"
#include "remove/spawn.h"

struct fx {
	char dir[64];   /* the test's folder: the image is dir/img, the canary dir/canary */
	char img[96];
	struct root root;
};

static void copy_file(const char *from, const char *to, mode_t mode)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char b[65536];
	size_t n;
	while ((n = fread(b, 1, sizeof(b), in)) > 0)
		assert_int_equal(fwrite(b, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(to, mode), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/excise-confine.XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	snprintf(f->img, sizeof(f->img), "%s/img", f->dir);
	char p[160];
	mkdir(f->img, 0755);
	snprintf(p, sizeof(p), "%s/bin", f->img);
	mkdir(p, 0755);
	/* a program of the image: a real executable the image carries */
	snprintf(p, sizeof(p), "%s/bin/true", f->img);
	copy_file("/bin/true", p, 0755);
	struct excise_err err = { 0 };
	if (root_open(f->img, &f->root, &err) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	root_done(&f->root);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* sh -c SCRIPT confined on the image; its output. */
static char *run(struct fx *f, const char *script)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	char *out = NULL;
	struct excise_err err = { 0 };
	int r = spawn_capture_in(&f->root, argv, -1, 1 << 16, &out, &err);
	if (r == -EXCISE_E_REFUSED) {
		print_message("# confinement refused by this kernel: %s\n", err.msg);
		skip();
	}
	assert_true(r >= 0);
	assert_non_null(out);
	return out;
}

static void test_no_exec(void **state)
{
	struct fx *f = *state;
	char script[512];
	/* the host's programs, as dpkg runs a script's interpreter, and the image's own */
	snprintf(script, sizeof(script),
		 "/bin/true; echo host=$?; %s/bin/true; echo image=$?; echo reached", f->img);
	char *out = run(f, script);
	assert_non_null(strstr(out, "reached"));
	assert_null(strstr(out, "host=0"));
	assert_null(strstr(out, "image=0"));
	free(out);
}

static void test_writes_only_the_image(void **state)
{
	struct fx *f = *state;
	char script[512], canary[128], inside[160];
	snprintf(canary, sizeof(canary), "%s/canary", f->dir);
	snprintf(inside, sizeof(inside), "%s/written", f->img);
	snprintf(script, sizeof(script), "echo x >'%s'; echo x >/etc/excise-confine-canary; echo x >'%s'; "
		 "ls /root /home /var/lib 2>&1 | head -3; echo done", canary, inside);
	char *out = run(f, script);
	assert_non_null(strstr(out, "done"));
	struct stat st;
	assert_int_equal(lstat(canary, &st), -1);            /* beside the image: not reachable */
	assert_int_equal(lstat("/etc/excise-confine-canary", &st), -1);
	assert_int_equal(lstat(inside, &st), 0);             /* the image itself: writable */
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_only_the_image, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
