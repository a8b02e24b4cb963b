/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the quarantine store (lib/remove/quarantine.c): put, restore, crashes, safety, the manifest. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/limits.h"
#include "core/root.h"
#include "excise/error.h"
#include "excise/plan.h"
#include "remove/quarantine.h"

#define RUN_ID "5f0c2a9e-3b1d-4c8e-9a7f-2d6b8e1c4a30"
#define STORE "var/lib/excise/quarantine/" RUN_ID
#define MANIFEST STORE "/manifest.jsonl"

struct fx {
	char dir[64];
	int fd;              /* the root directory: every rel path below is relative to it */
	struct root r;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct excise_err err = { 0 };
	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/excise-quarantine-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->fd < 0 || root_open(f->dir, &f->r, &err) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	root_done(&f->r);
	close(f->fd);
	int r = system(cmd);
	free(f);
	return r == 0 ? 0 : -1;
}

/* ---- helpers: files under the root, named relative to it ---- */

static void make_dir(struct fx *f, const char *rel, mode_t mode)
{
	assert_int_equal(mkdirat(f->fd, rel, 0700), 0);
	assert_int_equal(fchmodat(f->fd, rel, mode, 0), 0);
}

static void make_file(struct fx *f, const char *rel, const void *data, size_t len, mode_t mode)
{
	int fd = openat(f->fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write_fd_all(fd, data, len), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void make_text(struct fx *f, const char *rel, const char *text)
{
	make_file(f, rel, text, strlen(text), 0644);
}

/* The whole file (not following a final symlink), NUL-terminated; free() it. */
static char *slurp(struct fx *f, const char *rel, size_t *ret_len)
{
	int fd = openat(f->fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	char *p = NULL;
	size_t len = 0;
	assert_int_equal(read_fd_all(fd, 1u << 20, &p, &len), 0);
	close(fd);
	if (ret_len)
		*ret_len = len;
	return p;
}

static void assert_text(struct fx *f, const char *rel, const char *text)
{
	char *p = slurp(f, rel, NULL);
	assert_string_equal(p, text);
	free(p);
}

static bool lexists(struct fx *f, const char *rel)
{
	struct stat st;
	return fstatat(f->fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static struct stat lstat_at(struct fx *f, const char *rel)
{
	struct stat st;
	assert_int_equal(fstatat(f->fd, rel, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st;
}

static void assert_link(struct fx *f, const char *rel, const char *target)
{
	char buf[256];
	ssize_t k = readlinkat(f->fd, rel, buf, sizeof(buf) - 1);
	assert_true(k >= 0);
	buf[k] = 0;
	assert_string_equal(buf, target);
}

static size_t count_dir(struct fx *f, const char *rel)
{
	int fd = openat(f->fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	DIR *d = fdopendir(fd);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static struct quarantine *qopen(struct fx *f)
{
	struct quarantine *q = NULL;
	struct excise_err err = { 0 };
	assert_int_equal(quarantine_open(&f->r, NULL, RUN_ID, -1, &q, &err), 0);
	assert_non_null(q);
	return q;
}

static struct quarantine *qload(struct fx *f)
{
	struct quarantine *q = NULL;
	struct excise_err err = { 0 };
	assert_int_equal(quarantine_load(&f->r, NULL, RUN_ID, -1, &q, &err), 0);
	assert_non_null(q);
	return q;
}

static int qput_expect(struct quarantine *q, const char *path, const struct excise_plan_object *expect,
		       enum quarantine_state *st, struct excise_err *err)
{
	*st = (enum quarantine_state)99;
	*err = (struct excise_err){ 0 };
	return quarantine_put(q, path, expect, st, err);
}

/* Put `path`, which must succeed; returns the state. */
static enum quarantine_state qput(struct quarantine *q, const char *path)
{
	enum quarantine_state st;
	struct excise_err err;
	assert_int_equal(qput_expect(q, path, NULL, &st, &err), 0);
	return st;
}

static void qrestore(struct quarantine *q, struct quarantine_report *rep)
{
	struct excise_err err = { 0 };
	rep->n_restored = 99;
	assert_int_equal(quarantine_restore(q, rep, &err), 0);
}

/* Restore, expecting every object back with nothing to note. */
static void qrestore_all(struct quarantine *q, size_t objects, size_t entries)
{
	struct quarantine_report rep;
	qrestore(q, &rep);
	assert_int_equal(rep.n_restored, objects);
	assert_int_equal(rep.n_entries, entries);
	assert_int_equal(rep.n_conflicts, 0);
	assert_null(rep.notes);
	quarantine_report_free(&rep);
}

static bool has_note(const struct quarantine_report *rep, const char *needle)
{
	for (size_t i = 0; rep->notes && rep->notes[i]; i++)
		if (strstr(rep->notes[i], needle))
			return true;
	return false;
}

static size_t n_notes(const struct quarantine_report *rep)
{
	size_t n = 0;
	while (rep->notes && rep->notes[n])
		n++;
	return n;
}

/* Objects the manifest on disk holds (it must parse). */
static size_t manifest_objects(struct fx *f)
{
	size_t len, n = 99;
	struct excise_err err = { 0 };
	char *m = slurp(f, MANIFEST, &len);
	assert_int_equal(quarantine_parse_manifest("m", m, len, &n, &err), 0);
	free(m);
	return n;
}

static size_t manifest_count(struct fx *f, const char *needle)
{
	char *m = slurp(f, MANIFEST, NULL);
	size_t n = 0;
	for (const char *p = m; (p = strstr(p, needle)); p++)
		n++;
	free(m);
	return n;
}

/* Drop the last record, which must be `event`: as if the crash came just before it was written. */
static void manifest_cut_last(struct fx *f, const char *event)
{
	size_t len;
	char *m = slurp(f, MANIFEST, &len);
	assert_true(len > 0 && m[len - 1] == '\n');
	size_t keep = len - 1;
	while (keep > 0 && m[keep - 1] != '\n')
		keep--;
	char ev[64];
	snprintf(ev, sizeof(ev), "\"event\":\"%s\"", event);
	m[len - 1] = 0;
	assert_non_null(strstr(m + keep, ev));
	free(m);
	int fd = openat(f->fd, MANIFEST, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)keep), 0);
	close(fd);
}

static void manifest_append(struct fx *f, const char *text)
{
	int fd = openat(f->fd, MANIFEST, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write_fd_all(fd, text, strlen(text)), 0);
	close(fd);
}

/* ---- put and restore ---- */

/* A regular file goes into the store by rename and comes back byte-exact, with its mode, owner,
 * times and xattrs; the store is made inside the root. */
static void test_file_round_trip(void **state)
{
	struct fx *f = *state;
	char data[3000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 3);
	make_dir(f, "etc", 0755);
	make_file(f, "etc/agent.conf", data, sizeof(data), 0640);
	bool root = geteuid() == 0;
	uid_t uid = root ? 1234 : geteuid();
	gid_t gid = root ? 5678 : getegid();
	if (root)
		assert_int_equal(fchownat(f->fd, "etc/agent.conf", uid, gid, AT_SYMLINK_NOFOLLOW), 0);
	const struct timespec ts[2] = { { 1000000000, 123456789 }, { 1500000000, 987654321 } };
	assert_int_equal(utimensat(f->fd, "etc/agent.conf", ts, AT_SYMLINK_NOFOLLOW), 0);
	char host[128];
	snprintf(host, sizeof(host), "%s/etc/agent.conf", f->dir);
	static const char xval[] = "v\0al\xff";
	bool xattrs = lsetxattr(host, "user.excise.test", xval, sizeof(xval) - 1, 0) == 0;
	if (!xattrs)
		assert_true(errno == ENOTSUP || errno == EOPNOTSUPP);
	struct stat before = lstat_at(f, "etc/agent.conf");

	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/etc/agent.conf"), QUARANTINE_DONE);
	assert_false(lexists(f, "etc/agent.conf"));
	assert_true(lexists(f, "etc"));
	assert_true(S_ISREG(lstat_at(f, MANIFEST).st_mode));
	struct stat stored = lstat_at(f, STORE "/data/1");
	assert_int_equal(stored.st_ino, before.st_ino); /* moved, not copied */
	assert_int_equal(manifest_objects(f), 1);
	assert_int_equal(manifest_count(f, "\"event\":\"intent\""), 1);
	assert_int_equal(manifest_count(f, "\"event\":\"moved\""), 1);

	qrestore_all(q, 1, 1);
	assert_false(lexists(f, STORE "/data/1"));
	assert_int_equal(manifest_count(f, "\"event\":\"restored\""), 1);
	quarantine_close(q);

	struct stat after = lstat_at(f, "etc/agent.conf");
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mode, S_IFREG | 0640);
	assert_int_equal(after.st_uid, uid);
	assert_int_equal(after.st_gid, gid);
	assert_int_equal(after.st_size, sizeof(data));
	assert_int_equal(after.st_mtim.tv_sec, ts[1].tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, ts[1].tv_nsec);
	assert_int_equal(after.st_atim.tv_sec, ts[0].tv_sec); /* read with O_NOATIME: never touched */
	assert_int_equal(after.st_atim.tv_nsec, ts[0].tv_nsec);
	if (xattrs) {
		char v[16];
		assert_int_equal(lgetxattr(host, "user.excise.test", v, sizeof(v)), sizeof(xval) - 1);
		assert_memory_equal(v, xval, sizeof(xval) - 1);
	}
	size_t len;
	char *p = slurp(f, "etc/agent.conf", &len);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(p, data, sizeof(data));
	free(p);
}

/* A tree moves as one object and comes back entry for entry: files, dirs, a symlink, a FIFO, modes, times. */
static void test_tree_round_trip(void **state)
{
	struct fx *f = *state;
	make_dir(f, "opt", 0755);
	make_dir(f, "opt/kesl", 0750);
	make_dir(f, "opt/kesl/bin", 0711);
	make_file(f, "opt/kesl/bin/agent", "\x7f" "ELF agent", 10, 0755);
	make_dir(f, "opt/kesl/etc", 0700);
	make_file(f, "opt/kesl/etc/conf", "k=v\n", 4, 0600);
	assert_int_equal(symlinkat("../bin/agent", f->fd, "opt/kesl/etc/current"), 0);
	make_dir(f, "opt/kesl/empty", 0555);
	assert_int_equal(mkfifoat(f->fd, "opt/kesl/fifo", 0600), 0);
	assert_int_equal(fchmodat(f->fd, "opt/kesl/fifo", 0640, 0), 0);
	const struct timespec ts[2] = { { 1600000000, 1 }, { 1700000000, 424242 } };
	assert_int_equal(utimensat(f->fd, "opt/kesl/etc", ts, 0), 0);
	assert_int_equal(utimensat(f->fd, "opt/kesl", ts, 0), 0);

	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/opt/kesl"), QUARANTINE_DONE);
	assert_false(lexists(f, "opt/kesl"));
	assert_true(lexists(f, "opt"));
	assert_true(S_ISDIR(lstat_at(f, STORE "/data/1").st_mode));
	assert_int_equal(manifest_objects(f), 1);

	qrestore_all(q, 1, 8);
	quarantine_close(q);
	assert_int_equal(lstat_at(f, "opt/kesl").st_mode, S_IFDIR | 0750);
	assert_int_equal(lstat_at(f, "opt/kesl/bin").st_mode, S_IFDIR | 0711);
	assert_int_equal(lstat_at(f, "opt/kesl/bin/agent").st_mode, S_IFREG | 0755);
	assert_int_equal(lstat_at(f, "opt/kesl/etc").st_mode, S_IFDIR | 0700);
	assert_int_equal(lstat_at(f, "opt/kesl/etc/conf").st_mode, S_IFREG | 0600);
	assert_true(S_ISLNK(lstat_at(f, "opt/kesl/etc/current").st_mode));
	assert_int_equal(lstat_at(f, "opt/kesl/empty").st_mode, S_IFDIR | 0555);
	assert_int_equal(lstat_at(f, "opt/kesl/fifo").st_mode, S_IFIFO | 0640);
	assert_link(f, "opt/kesl/etc/current", "../bin/agent");
	assert_text(f, "opt/kesl/etc/conf", "k=v\n");
	size_t len;
	char *p = slurp(f, "opt/kesl/bin/agent", &len);
	assert_int_equal(len, 10);
	assert_memory_equal(p, "\x7f" "ELF agent", 10);
	free(p);
	assert_int_equal(count_dir(f, "opt/kesl"), 4);
	assert_int_equal(count_dir(f, "opt/kesl/empty"), 0);
	struct stat st = lstat_at(f, "opt/kesl/etc");
	assert_int_equal(st.st_mtim.tv_sec, ts[1].tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, ts[1].tv_nsec);
	st = lstat_at(f, "opt/kesl");
	assert_int_equal(st.st_mtim.tv_sec, ts[1].tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, ts[1].tv_nsec);
}

/* A symlink is moved itself; what it points to (a file, a directory) stays where it is. */
static void test_symlink_itself(void **state)
{
	struct fx *f = *state;
	make_dir(f, "keep", 0755);
	make_text(f, "keep/target", "payload\n");
	assert_int_equal(symlinkat("/keep/target", f->fd, "link"), 0);
	assert_int_equal(symlinkat("keep", f->fd, "dirlink"), 0);
	struct stat target = lstat_at(f, "keep/target");

	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/link"), QUARANTINE_DONE);
	assert_int_equal(qput(q, "/dirlink"), QUARANTINE_DONE);
	assert_false(lexists(f, "link"));
	assert_false(lexists(f, "dirlink"));
	assert_true(S_ISLNK(lstat_at(f, STORE "/data/1").st_mode));
	assert_true(S_ISLNK(lstat_at(f, STORE "/data/2").st_mode));
	struct stat now = lstat_at(f, "keep/target");
	assert_int_equal(now.st_ino, target.st_ino);
	assert_int_equal(now.st_mtim.tv_nsec, target.st_mtim.tv_nsec);
	assert_text(f, "keep/target", "payload\n");
	assert_int_equal(count_dir(f, "keep"), 1);
	assert_int_equal(manifest_objects(f), 2);

	qrestore_all(q, 2, 2);
	quarantine_close(q);
	assert_link(f, "link", "/keep/target");
	assert_link(f, "dirlink", "keep");
	assert_text(f, "keep/target", "payload\n");
}

/* Restore goes newest first: a file put before its directory goes back into the restored directory. */
static void test_restore_order(void **state)
{
	struct fx *f = *state;
	make_dir(f, "d", 0755);
	make_text(f, "d/x", "x\n");
	make_text(f, "d/y", "y\n");
	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/d/x"), QUARANTINE_DONE);
	assert_int_equal(qput(q, "/d"), QUARANTINE_DONE);
	assert_false(lexists(f, "d"));
	qrestore_all(q, 2, 3);
	quarantine_close(q);
	assert_text(f, "d/x", "x\n");
	assert_text(f, "d/y", "y\n");
}

/* Putting again what is in the store, or what is not there, changes nothing. */
static void test_idempotent(void **state)
{
	struct fx *f = *state;
	make_text(f, "f", "once\n");
	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/f"), QUARANTINE_DONE);
	assert_int_equal(qput(q, "/f"), QUARANTINE_ALREADY);
	assert_int_equal(qput(q, "/never"), QUARANTINE_GONE);
	assert_int_equal(qput(q, "/no/such/dir/x"), QUARANTINE_GONE);
	make_text(f, "plain", "a file, not a directory\n");
	assert_int_equal(qput(q, "/plain/x"), QUARANTINE_GONE);
	assert_int_equal(manifest_objects(f), 1);
	assert_int_equal(count_dir(f, STORE "/data"), 1);
	assert_text(f, STORE "/data/1", "once\n");

	/* once restored, the same path can be put again: a new object */
	qrestore_all(q, 1, 1);
	assert_int_equal(qput(q, "/f"), QUARANTINE_DONE);
	assert_int_equal(qput(q, "/f"), QUARANTINE_ALREADY);
	assert_false(lexists(f, STORE "/data/1"));
	assert_text(f, STORE "/data/2", "once\n");
	assert_int_equal(manifest_objects(f), 2);
	quarantine_close(q);
}

/* No symlink is followed in a parent; an object that is not the one planned is not moved; odd paths are refused. */
static void test_safety(void **state)
{
	struct fx *f = *state;
	make_dir(f, "real", 0755);
	make_dir(f, "real/dir", 0755);
	make_text(f, "real/dir/f", "keep me\n");
	assert_int_equal(symlinkat("real/dir", f->fd, "via"), 0);
	assert_int_equal(symlinkat("/real", f->fd, "up"), 0);
	struct quarantine *q = qopen(f);
	enum quarantine_state st;
	struct excise_err err;

	assert_int_equal(qput_expect(q, "/via/f", NULL, &st, &err), -EXCISE_E_SYMLINK);
	assert_non_null(strstr(err.msg, "/via/f"));
	assert_int_equal(qput_expect(q, "/up/dir/f", NULL, &st, &err), -EXCISE_E_SYMLINK);
	assert_non_null(strstr(err.msg, "/up/dir/f"));
	assert_true(lexists(f, "real/dir/f"));
	assert_true(S_ISLNK(lstat_at(f, "via").st_mode));
	assert_int_equal(count_dir(f, STORE "/data"), 0);
	assert_int_equal(manifest_objects(f), 0);

	struct stat s = lstat_at(f, "real/dir/f");
	struct excise_plan_object ex = { .known = true, .type = 'f', .dev = s.st_dev, .ino = s.st_ino + 1 };
	assert_int_equal(qput_expect(q, "/real/dir/f", &ex, &st, &err), -EXCISE_E_CHANGED);
	assert_non_null(strstr(err.msg, "/real/dir/f"));
	ex.ino = s.st_ino;
	ex.type = 'd';
	assert_int_equal(qput_expect(q, "/real/dir/f", &ex, &st, &err), -EXCISE_E_CHANGED);
	ex.type = 'f';
	ex.dev = s.st_dev + 1;
	assert_int_equal(qput_expect(q, "/real/dir/f", &ex, &st, &err), -EXCISE_E_CHANGED);
	assert_text(f, "real/dir/f", "keep me\n");
	assert_int_equal(count_dir(f, STORE "/data"), 0);
	assert_int_equal(manifest_objects(f), 0);

	static const char *const refused[] = { "/", "relative", "/real/..", "/real/.", "/real/" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_int_equal(qput_expect(q, refused[i], NULL, &st, &err), -EXCISE_E_REFUSED);
	assert_true(lexists(f, "real/dir/f"));
	assert_int_equal(manifest_objects(f), 0);

	/* the object planned is moved; an expectation not known is not checked */
	ex.dev = s.st_dev;
	assert_int_equal(qput_expect(q, "/real/dir/f", &ex, &st, &err), 0);
	assert_int_equal(st, QUARANTINE_DONE);
	assert_false(lexists(f, "real/dir/f"));
	make_text(f, "real/g", "g\n");
	struct excise_plan_object unknown = { .known = false, .type = 'd', .ino = 1 };
	assert_int_equal(qput_expect(q, "/real/g", &unknown, &st, &err), 0);
	assert_int_equal(st, QUARANTINE_DONE);
	assert_int_equal(manifest_objects(f), 2);
	quarantine_close(q);
}

/* A tree deeper than EXCISE_MAX_QUARANTINE_DEPTH is refused before anything is written or moved. */
static void test_depth_limit(void **state)
{
	struct fx *f = *state;
	char rel[512];
	size_t n = strlen(strcpy(rel, "ok"));
	make_dir(f, rel, 0755);
	for (unsigned i = 0; i < EXCISE_MAX_QUARANTINE_DEPTH; i++) {
		n += (size_t)snprintf(rel + n, sizeof(rel) - n, "/d");
		make_dir(f, rel, 0755);
	}
	n = strlen(strcpy(rel, "deep"));
	make_dir(f, rel, 0755);
	for (unsigned i = 0; i < EXCISE_MAX_QUARANTINE_DEPTH + 1; i++) {
		n += (size_t)snprintf(rel + n, sizeof(rel) - n, "/d");
		make_dir(f, rel, 0755);
	}

	struct quarantine *q = qopen(f);
	enum quarantine_state st;
	struct excise_err err;
	assert_int_equal(qput_expect(q, "/deep", NULL, &st, &err), -EXCISE_E_LIMIT);
	assert_non_null(strstr(err.msg, "/deep"));
	assert_true(lexists(f, rel));
	assert_int_equal(count_dir(f, STORE "/data"), 0);
	assert_int_equal(manifest_objects(f), 0);

	assert_int_equal(qput(q, "/ok"), QUARANTINE_DONE);
	assert_false(lexists(f, "ok"));
	qrestore_all(q, 1, EXCISE_MAX_QUARANTINE_DEPTH + 1);
	quarantine_close(q);
	assert_true(lexists(f, "ok/d/d/d"));
}

/* A restore never replaces what exists now: the object stays in the store, a note names the path,
 * and a later restore, once the way is clear, puts it back. */
static void test_restore_conflict(void **state)
{
	struct fx *f = *state;
	make_dir(f, "srv", 0755);
	make_dir(f, "srv/sub", 0755);
	make_text(f, "srv/app.conf", "old\n");
	make_text(f, "srv/sub/x", "x\n");
	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/srv/app.conf"), QUARANTINE_DONE);
	assert_int_equal(qput(q, "/srv/sub/x"), QUARANTINE_DONE);
	make_file(f, "srv/app.conf", "new\n", 4, 0600);
	assert_int_equal(unlinkat(f->fd, "srv/sub", AT_REMOVEDIR), 0);

	struct quarantine_report rep;
	qrestore(q, &rep);
	assert_int_equal(rep.n_restored, 0);
	assert_int_equal(rep.n_conflicts, 2);
	assert_int_equal(n_notes(&rep), 2);
	assert_true(has_note(&rep, "/srv/app.conf"));
	assert_true(has_note(&rep, "/srv/sub/x"));
	quarantine_report_free(&rep);
	assert_null(rep.notes);
	assert_text(f, "srv/app.conf", "new\n");
	assert_int_equal(lstat_at(f, "srv/app.conf").st_mode, S_IFREG | 0600);
	assert_text(f, STORE "/data/1", "old\n");
	assert_text(f, STORE "/data/2", "x\n");
	assert_int_equal(manifest_count(f, "\"event\":\"restored\""), 0);

	/* the way cleared, the next restore finishes */
	assert_int_equal(unlinkat(f->fd, "srv/app.conf", 0), 0);
	make_dir(f, "srv/sub", 0755);
	qrestore_all(q, 2, 2);
	quarantine_close(q);
	assert_text(f, "srv/app.conf", "old\n");
	assert_text(f, "srv/sub/x", "x\n");
	assert_int_equal(count_dir(f, STORE "/data"), 0);
}

/* ---- crashes and reopening ---- */

/* A store closed and loaded again knows what it moved. */
static void test_load_after_close(void **state)
{
	struct fx *f = *state;
	make_text(f, "a", "a\n");
	make_text(f, "b", "b\n");
	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/a"), QUARANTINE_DONE);
	assert_int_equal(qput(q, "/b"), QUARANTINE_DONE);
	quarantine_close(q);

	q = qload(f);
	assert_int_equal(qput(q, "/a"), QUARANTINE_ALREADY);
	assert_int_equal(qput(q, "/b"), QUARANTINE_ALREADY);
	qrestore_all(q, 2, 2);
	quarantine_close(q);
	assert_text(f, "a", "a\n");
	assert_text(f, "b", "b\n");

	/* nothing left to restore; opening again keeps the records */
	q = qopen(f);
	qrestore_all(q, 0, 0);
	quarantine_close(q);
	assert_int_equal(manifest_objects(f), 2);

	struct excise_err err = { 0 };
	assert_true(quarantine_load(&f->r, NULL, "00000000-0000-0000-0000-000000000000", -1, &q, &err) < 0);
	assert_null(q);
	assert_non_null(strstr(err.msg, "00000000-0000-0000-0000-000000000000"));
}

/* A crash after the intent record, before the rename: restore has nothing to do, put again moves it. */
static void test_crash_before_move(void **state)
{
	struct fx *f = *state;
	make_text(f, "f", "f\n");
	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/f"), QUARANTINE_DONE);
	quarantine_close(q);
	assert_int_equal(renameat(f->fd, STORE "/data/1", f->fd, "f"), 0);
	manifest_cut_last(f, "moved");

	q = qload(f);
	qrestore_all(q, 0, 0);
	quarantine_close(q);
	assert_text(f, "f", "f\n");

	q = qopen(f);
	assert_int_equal(qput(q, "/f"), QUARANTINE_DONE);
	assert_false(lexists(f, "f"));
	assert_text(f, STORE "/data/1", "f\n");
	assert_int_equal(manifest_objects(f), 1);
	assert_int_equal(manifest_count(f, "\"event\":\"intent\""), 1);
	assert_int_equal(manifest_count(f, "\"event\":\"moved\""), 1);
	quarantine_close(q);
	q = qload(f);
	qrestore_all(q, 1, 1);
	quarantine_close(q);
	assert_text(f, "f", "f\n");
}

/* A crash after the rename, before the moved record: put again completes the record, restore restores it. */
static void test_crash_after_move(void **state)
{
	struct fx *f = *state;
	make_text(f, "a", "a\n");
	make_text(f, "b", "b\n");
	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/a"), QUARANTINE_DONE);
	quarantine_close(q);
	manifest_cut_last(f, "moved");

	q = qopen(f);
	assert_int_equal(qput(q, "/a"), QUARANTINE_DONE);
	assert_int_equal(manifest_count(f, "\"event\":\"moved\""), 1);
	assert_int_equal(qput(q, "/a"), QUARANTINE_ALREADY);
	assert_int_equal(qput(q, "/b"), QUARANTINE_DONE);
	quarantine_close(q);
	manifest_cut_last(f, "moved");

	q = qload(f);
	qrestore_all(q, 2, 2);
	quarantine_close(q);
	assert_text(f, "a", "a\n");
	assert_text(f, "b", "b\n");
	assert_int_equal(count_dir(f, STORE "/data"), 0);
}

/* A crash after restore's rename, before its record: the next restore only checks and records it. */
static void test_crash_during_restore(void **state)
{
	struct fx *f = *state;
	make_text(f, "f", "f\n");
	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/f"), QUARANTINE_DONE);
	qrestore_all(q, 1, 1);
	quarantine_close(q);
	manifest_cut_last(f, "restored");

	q = qload(f);
	qrestore_all(q, 1, 1);
	quarantine_close(q);
	assert_text(f, "f", "f\n");
	assert_int_equal(manifest_count(f, "\"event\":\"restored\""), 1);
}

/* A record torn by a crash inside write(2) never was: it is cut off on loading, and later records
 * start on a line of their own. A torn first record leaves a store that opens as new. */
static void test_torn_tail(void **state)
{
	struct fx *f = *state;
	make_text(f, "f", "f\n");
	struct quarantine *q = qopen(f);
	assert_int_equal(qput(q, "/f"), QUARANTINE_DONE);
	quarantine_close(q);
	manifest_append(f, "{\"event\":\"restored\",\"n");

	q = qload(f);
	size_t len;
	char *m = slurp(f, MANIFEST, &len);
	assert_true(len > 0 && m[len - 1] == '\n');
	assert_null(strstr(m, "restored"));
	free(m);
	qrestore_all(q, 1, 1);
	quarantine_close(q);
	assert_int_equal(manifest_objects(f), 1);
	assert_int_equal(manifest_count(f, "\"event\":\"restored\""), 1);
	assert_text(f, "f", "f\n");

	/* only a torn store record: nothing was ever moved, the store opens as new */
	assert_int_equal(unlinkat(f->fd, MANIFEST, 0), 0);
	make_text(f, MANIFEST, "{\"event\":\"store\",\"sch");
	q = qopen(f);
	assert_int_equal(qput(q, "/f"), QUARANTINE_DONE);
	quarantine_close(q);
	assert_int_equal(manifest_objects(f), 1);
	q = qload(f);
	qrestore_all(q, 1, 1);
	quarantine_close(q);
	assert_text(f, "f", "f\n");
}

/* A store in a directory given (on the root's filesystem) instead of inside the root's /var/lib. */
static void test_store_dir(void **state)
{
	struct fx *f = *state;
	char store[128];
	snprintf(store, sizeof(store), "%s/store", f->dir);
	make_text(f, "f", "f\n");
	struct quarantine *q = NULL;
	struct excise_err err = { 0 };
	assert_int_equal(quarantine_open(&f->r, store, RUN_ID, -1, &q, &err), 0);
	enum quarantine_state st;
	assert_int_equal(qput_expect(q, "/f", NULL, &st, &err), 0);
	assert_int_equal(st, QUARANTINE_DONE);
	quarantine_close(q);
	assert_false(lexists(f, "f"));
	assert_false(lexists(f, "var"));
	assert_true(lexists(f, "store/" RUN_ID "/manifest.jsonl"));
	assert_text(f, "store/" RUN_ID "/data/1", "f\n");

	q = NULL;
	assert_int_equal(quarantine_load(&f->r, store, RUN_ID, -1, &q, &err), 0);
	qrestore_all(q, 1, 1);
	quarantine_close(q);
	assert_text(f, "f", "f\n");
}

/* A run id is 36 bytes and never a path. */
static void test_bad_run_id(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = { "short", "5f0c2a9e-3b1d-4c8e-9a7f/2d6b8e1c4a30", RUN_ID "0", "" };
	char sentinel;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct quarantine *q = (struct quarantine *)&sentinel;
		struct excise_err err = { 0 };
		assert_int_equal(quarantine_open(&f->r, NULL, bad[i], -1, &q, &err), -EXCISE_E_USAGE);
		assert_null(q);
		assert_non_null(strstr(err.msg, bad[i]));
		q = (struct quarantine *)&sentinel;
		assert_int_equal(quarantine_load(&f->r, NULL, bad[i], -1, &q, &err), -EXCISE_E_USAGE);
		assert_null(q);
	}
	struct quarantine *q = (struct quarantine *)&sentinel;
	struct excise_err err = { 0 };
	assert_int_equal(quarantine_open(&f->r, NULL, NULL, -1, &q, &err), -EXCISE_E_USAGE);
	assert_null(q);
	assert_false(lexists(f, "var"));
}

/* ---- the manifest parser ---- */

#define STORE_REC "{\"event\":\"store\",\"schema\":\"excise.quarantine/1\",\"run_id\":\"" RUN_ID "\"}\n"
#define ENTRIES "\"entries\":[{\"type\":\"f\",\"mode\":33188,\"rel\":\"\"}]"
#define INTENT(n, path) "{\"event\":\"intent\",\"n\":" #n ",\"path\":\"" path "\"," ENTRIES "}\n"
#define MOVED(n) "{\"event\":\"moved\",\"n\":" #n "}\n"

static int parse(const char *text, size_t *n, struct excise_err *err)
{
	*n = 99;
	*err = (struct excise_err){ 0 };
	return quarantine_parse_manifest("test.jsonl", text, strlen(text), n, err);
}

static void parse_fails(const char *text, int code, const char *what)
{
	size_t n;
	struct excise_err err;
	assert_int_equal(parse(text, &n, &err), code);
	assert_non_null(strstr(err.msg, "manifest 'test.jsonl'"));
	assert_non_null(strstr(err.msg, what));
}

/* Well-formed manifests count their objects; a torn last record is ignored. */
static void test_parse(void **state)
{
	(void)state;
	size_t n;
	struct excise_err err;
	assert_int_equal(parse(STORE_REC, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse(STORE_REC INTENT(1, "/a") MOVED(1) INTENT(2, "/b") MOVED(2)
			       "{\"event\":\"restored\",\"n\":1}\n", &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(parse(STORE_REC INTENT(1, "/a") INTENT(3, "/c") "{\"event\":\"mov", &n, &err), 0);
	assert_int_equal(n, 2);
	char line[512];
	snprintf(line, sizeof(line), STORE_REC "{\"event\":\"intent\",\"n\":%u,\"path\":\"/a\"," ENTRIES "}\n",
		 EXCISE_MAX_QUARANTINE_OBJECTS);
	assert_int_equal(parse(line, &n, &err), 0);
	assert_int_equal(n, 1);
}

/* Malformed records and limits are errors naming the manifest and the line. */
static void test_parse_errors(void **state)
{
	(void)state;
	parse_fails("", -EXCISE_E_CORRUPT, "no store record");
	parse_fails("not json\n", -EXCISE_E_CORRUPT, "line 1");
	parse_fails(STORE_REC "[1]\n", -EXCISE_E_CORRUPT, "line 2");
	parse_fails(STORE_REC "{\"n\":1}\n", -EXCISE_E_CORRUPT, "line 2");
	parse_fails(INTENT(1, "/a"), -EXCISE_E_CORRUPT, "line 1");
	parse_fails("{\"event\":\"store\",\"schema\":\"excise.quarantine/2\"}\n", -EXCISE_E_CORRUPT, "line 1");
	parse_fails(STORE_REC INTENT(1, "/a") "{\"event\":\"party\",\"n\":1}\n", -EXCISE_E_CORRUPT,
		    "line 3: /event: expected one of store|intent|moved|restored");
	parse_fails(STORE_REC MOVED(1), -EXCISE_E_CORRUPT, "line 2: object 1 has no intent");
	parse_fails(STORE_REC INTENT(1, "/a") MOVED(2), -EXCISE_E_CORRUPT, "line 3: object 2 has no intent");
	parse_fails(STORE_REC INTENT(1, "/a") INTENT(1, "/b"), -EXCISE_E_CORRUPT, "line 3: object number 1 used twice");
	parse_fails(STORE_REC INTENT(1, "a"), -EXCISE_E_CORRUPT, "line 2");
	parse_fails(STORE_REC "{\"event\":\"intent\",\"n\":1,\"path\":\"/a\",\"entries\":[]}\n", -EXCISE_E_CORRUPT,
		    "line 2");
	parse_fails(STORE_REC "{\"event\":\"intent\",\"n\":1,\"path\":\"/a\",\"entries\":[{\"type\":\"x\","
		    "\"mode\":1}]}\n", -EXCISE_E_CORRUPT, "line 2");
	parse_fails(STORE_REC "{\"event\":\"intent\",\"n\":1,\"path\":\"/a\\u0000b\"," ENTRIES "}\n",
		    -EXCISE_E_CORRUPT, "line 2");
	parse_fails(STORE_REC "{\"event\":\"moved\",\"n\":1,\"n\":1}\n", -EXCISE_E_CORRUPT, "line 2");
	parse_fails(STORE_REC INTENT(0, "/a"), -EXCISE_E_CORRUPT, "line 2");
	parse_fails(STORE_REC "{\"event\":\"intent\",\"n\":\"1\",\"path\":\"/a\"," ENTRIES "}\n", -EXCISE_E_CORRUPT,
		    "line 2");

	/* the object number limit */
	char line[512];
	snprintf(line, sizeof(line), STORE_REC "{\"event\":\"intent\",\"n\":%u,\"path\":\"/a\"," ENTRIES "}\n",
		 EXCISE_MAX_QUARANTINE_OBJECTS + 1);
	parse_fails(line, -EXCISE_E_CORRUPT, "line 2");

	/* the size limit, checked before anything is read */
	size_t n;
	struct excise_err err = { 0 };
	assert_int_equal(quarantine_parse_manifest("test.jsonl", STORE_REC, (size_t)EXCISE_MAX_QUARANTINE_MANIFEST + 1,
						   &n, &err), -EXCISE_E_TOOBIG);
	assert_non_null(strstr(err.msg, "manifest 'test.jsonl'"));
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_safety, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_after_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_before_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_after_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_during_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_run_id, setup, teardown),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
