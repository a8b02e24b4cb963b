/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rundir: a run directory read back is untrusted input. restore, remove --resume
 * and verify --run act on the root the operator names (NULL: the live host), never
 * on the one a journal records; the run directory must lie where excise keeps runs
 * (the host's state folder, or the --runs-dir the operator names) and, for an
 * offline root, outside that root: an image can write its own files, never the
 * host's state folder. Every record is then read, and every file made, relative to
 * the directory descriptor this returns, without following links.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/paths.h"
#include "core/root.h"
#include "excise/remove.h"
#include "remove/journal.h"
#include "remove/rundir.h"

/* Whether the directory `fd` is `top` or lies below it (walking "..", so another
 * name for the same directory, a bind mount or a link, does not hide it). */
bool rundir_below(int fd, const struct stat *top)
{
	int cur = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	bool below = false;
	for (unsigned depth = 0; cur >= 0 && depth < PATH_MAX / 2; depth++) {
		struct stat st, up;
		if (fstat(cur, &st) < 0)
			break;
		if (st.st_dev == top->st_dev && st.st_ino == top->st_ino) {
			below = true;
			break;
		}
		int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0 || fstat(parent, &up) < 0 || (up.st_dev == st.st_dev && up.st_ino == st.st_ino)) {
			if (parent >= 0)
				close(parent);
			break; /* "/" is its own parent */
		}
		close(cur);
		cur = parent;
	}
	if (cur >= 0)
		close(cur);
	return below;
}

static bool is_run_id(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* The run directory `dir` opened through the runs folder `runs` (not a link, the
 * same directory as `dir` names); its fd or the refusal. */
static int open_in_runs(const char *dir, const char *runs, struct excise_err *err)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	char *copy = strndup(dir, n);
	if (!copy)
		return err_set(err, -ENOMEM, "out of memory");
	const char *base = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
	int r = 0, dfd = -1, rfd = -1;
	struct stat a, b;
	if (!is_run_id(base))
		r = err_set(err, -EXCISE_E_REFUSED, "'%s' is not a run directory: its name is not a run id", dir);
	else if ((dfd = open(copy, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = err_setc(err, -errno, "run directory '%s': open", dir);
	else if ((rfd = open(runs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = err_setc(err, -errno, "runs folder '%s': open", runs);
	else if (fstat(dfd, &a) < 0 || fstatat(rfd, base, &b, AT_SYMLINK_NOFOLLOW) < 0 || a.st_dev != b.st_dev ||
		 a.st_ino != b.st_ino)
		r = err_set(err, -EXCISE_E_REFUSED,
			    "run directory '%s' is not in '%s', where excise keeps its runs: records found elsewhere "
			    "(inside an image, say) may have been written by anyone; refused (--runs-dir names the "
			    "folder the run was made in)", dir, runs);
	free(copy);
	if (rfd >= 0)
		close(rfd);
	if (r < 0) {
		if (dfd >= 0)
			close(dfd);
		return r;
	}
	return dfd;
}

/* The journal's start record against the root named: the same directory, the same run id. */
static int check_journal(int dfd, const char *dir, const struct root *root, bool named, struct excise_err *err)
{
	struct journal_state st;
	int r = journal_peek_at(dfd, dir, &st, err);
	if (r < 0)
		return r;
	char *rec = st.root ? realpath(st.root, NULL) : NULL;
	const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	if (strncmp(st.run_id, base, 36) != 0)
		r = err_set(err, -EXCISE_E_REFUSED, "run directory '%s': its journal is of run %s: refused", dir,
			    st.run_id);
	else if (!rec || strcmp(rec, root->path) != 0) {
		if (!named)
			r = err_set(err, -EXCISE_E_REFUSED,
				    "run '%s' works on the root '%s', not on this host: name that root with --root "
				    "(restore, --resume and verify --run act only on a root named on the command line)",
				    dir, st.root);
		else
			r = err_set(err, -EXCISE_E_REFUSED,
				    "--root '%s' is not the run's root '%s': refused, nothing was touched", root->path,
				    st.root);
	}
	free(rec);
	journal_state_done(&st);
	return r;
}

int rundir_open(const char *run_dir, const struct root *root, bool named, const char *runs_dir,
		struct excise_err *err)
{
	if (!run_dir || !*run_dir)
		return err_set(err, -EXCISE_E_USAGE, "run directory: empty path");
	const char *runs = runs_dir ? runs_dir : EXCISE_HOST_RUNS_DIR;
	int dfd = open_in_runs(run_dir, runs, err);
	if (dfd < 0)
		return dfd;
	int r = 0;
	struct stat top;
	if (!root->live) {
		if (fstat(root->fd, &top) < 0)
			r = err_setc(err, -errno, "root '%s'", root->path);
		else if (rundir_below(dfd, &top))
			r = err_set(err, -EXCISE_E_REFUSED,
				    "run directory '%s' lies inside the root '%s' it acts on: the image could have "
				    "written its records; refused", run_dir, root->path);
	}
	if (r == 0)
		r = check_journal(dfd, run_dir, root, named, err);
	if (r < 0) {
		close(dfd);
		return r;
	}
	return dfd;
}

int excise_run_open(const char *run_dir, const char *root, const char *runs_dir, int *ret_fd,
		    struct excise_err *err)
{
	*ret_fd = -1;
	if (root && !*root)
		return err_set(err, -EXCISE_E_USAGE, "--root: empty path");
	struct root r;
	int e = root_open(root, &r, err);
	if (e < 0)
		return e;
	e = rundir_open(run_dir, &r, root != NULL, runs_dir, err);
	root_done(&r);
	if (e < 0)
		return e;
	*ret_fd = e;
	return 0;
}
