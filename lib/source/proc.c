/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source proc: the running processes of the live host, one observation each
 * (/proc/<pid>/exe, comm, cmdline). Kernel threads (no exe, empty cmdline) are
 * skipped. A process that ends while it is read is simply not reported.
 *
 * The exe link is a "magic" link; it is read with readlinkat(2) relative to
 * the /proc/<pid> directory, which returns its text and never follows it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "core/limits.h"
#include "source/source.h"

#define DELETED_SUFFIX " (deleted)"

static bool vanished(int r)
{
	return r == -ENOENT || r == -ESRCH;
}

/* Read at most `max` bytes of /proc/<pid>/<name>; the result is NUL-terminated. */
static int read_bounded(int dfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return neg_errno();
	_cleanup_free_ char *p = malloc(max + 1);
	if (!p)
		return -ENOMEM;
	size_t n = 0;
	while (n < max) {
		ssize_t k = read(fd, p + n, max - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	p[n] = 0;
	*ret = TAKE_PTR(p);
	*ret_len = n;
	return 0;
}

static int one_process(struct source_ctx *ctx, int procfd, const char *pid)
{
	_cleanup_close_ int dfd = openat(procfd, pid, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vanished(neg_errno()) ? 0 : neg_errno();

	char exe[PATH_MAX + 1];
	bool have_exe = false, deleted = false;
	ssize_t k = readlinkat(dfd, "exe", exe, sizeof(exe) - 1);
	if (k > 0) {
		exe[k] = 0;
		size_t sl = strlen(DELETED_SUFFIX);
		if ((size_t)k > sl && strcmp(exe + k - sl, DELETED_SUFFIX) == 0) {
			exe[k - sl] = 0;
			deleted = true;
		}
		have_exe = exe[0] != 0;
	} else if (k < 0 && vanished(neg_errno())) {
		/* kernel thread, or gone: decided below from cmdline */
	} else if (k < 0 && errno != EACCES && errno != EPERM) {
		source_item_error(ctx, neg_errno(), "'/proc/%s/exe': cannot read link", pid);
	}

	_cleanup_free_ char *cmd = NULL;
	size_t clen = 0;
	int r = read_bounded(dfd, "cmdline", EXCISE_MAX_CMDLINE_LEN, &cmd, &clen);
	if (r < 0) {
		if (vanished(r))
			return 0;
		if (r == -ENOMEM)
			return r;
		source_item_error(ctx, r, "'/proc/%s/cmdline': cannot read", pid);
		clen = 0;
	}
	/* Arguments are NUL-separated: join them with spaces. */
	while (clen > 0 && cmd[clen - 1] == 0)
		clen--;
	for (size_t i = 0; i < clen; i++)
		if (cmd[i] == 0)
			cmd[i] = ' ';
	if (cmd)
		cmd[clen] = 0;
	if (!have_exe && clen == 0)
		return 0; /* a kernel thread, or a zombie: nothing on disk runs */

	_cleanup_free_ char *comm = NULL;
	size_t commlen = 0;
	r = read_bounded(dfd, "comm", 64, &comm, &commlen);
	if (r < 0) {
		if (vanished(r))
			return 0;
		if (r == -ENOMEM)
			return r;
		comm = NULL;
	} else if (commlen > 0 && comm[commlen - 1] == '\n') {
		comm[commlen - 1] = 0;
	}

	const char *name = NULL;
	if (have_exe) {
		const char *slash = strrchr(exe, '/');
		name = slash ? slash + 1 : exe;
	} else if (comm && comm[0]) {
		name = comm;
	}
	const struct excise_obs_attr attrs[] = { { "pid", pid } };
	struct excise_obs o = {
		.kind = EXCISE_OBS_PROCESS,
		.state = deleted ? "running (deleted)" : "running",
		.active = true,
		.attrs = attrs,
		.n_attrs = 1,
	};
	o.f[EXCISE_F_NAME] = name;
	o.f[EXCISE_F_PATH] = have_exe ? exe : NULL;
	o.f[EXCISE_F_TARGET] = clen ? cmd : NULL;
	return source_emit(ctx, &o);
}

static int run(struct source_ctx *ctx)
{
	if (!source_live(ctx))
		return -EXCISE_E_ABSENT;
	DIR *d = NULL;
	int r = root_opendir(source_root(ctx), "/proc", &d);
	if (r == -ENOENT)
		return -EXCISE_E_ABSENT;
	if (r < 0)
		return source_fail(ctx, r, "'/proc': cannot open: %s", excise_strerror(r));
	int procfd = dirfd(d);
	struct dirent *e;
	r = 0;
	errno = 0;
	while ((e = readdir(d))) {
		const char *s = e->d_name;
		if (*s < '1' || *s > '9' || strspn(s, "0123456789") != strlen(s))
			continue;
		r = one_process(ctx, procfd, s);
		if (r == -ENOMEM)
			break;
		if (r < 0) {
			source_item_error(ctx, r, "'/proc/%s': cannot read", s);
			r = 0;
		}
		errno = 0;
	}
	if (r == 0 && errno != 0)
		r = source_fail(ctx, neg_errno(), "'/proc': cannot list");
	else if (r < 0)
		r = source_fail(ctx, r, "'/proc': %s", excise_strerror(r));
	closedir(d);
	return r;
}

const struct source source_proc = {
	.name = "proc",
	.platform = "linux",
	.flags = SOURCE_LIVE_ONLY | SOURCE_ALL_USERS,
	.description = "running processes (/proc/<pid>/exe, cmdline)",
	.run = run,
};
