/* SPDX-License-Identifier: Apache-2.0 */
/* spawn: run a host tool without a shell (see spawn.h). */
#include "remove/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/root.h"

static const char *const tool_dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
static char *const tool_env[] = {
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive", NULL,
};

static bool find_tool(const char *tool, char *out, size_t size)
{
	if (!tool[0] || strchr(tool, '/'))
		return false;
	for (size_t i = 0; i < sizeof(tool_dirs) / sizeof(tool_dirs[0]); i++) {
		snprintf(out, size, "%s/%s", tool_dirs[i], tool);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

bool spawn_have(const char *tool)
{
	char path[256];
	return find_tool(tool, path, sizeof(path));
}

/* Keep the last line of what was printed. */
static void keep_tail(char *tail, size_t size, size_t *used, const char *p, size_t len)
{
	if (!tail || size < 2)
		return;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (c == '\n') {
			if (*used)
				tail[*used] = 0;
			continue;
		}
		if (i > 0 && p[i - 1] == '\n')
			*used = 0; /* a new line begins */
		if (*used + 1 < size)
			tail[(*used)++] = c;
		tail[*used] = 0;
	}
}

/* Run argv with stdout to out_fd (or the pipe) and stderr to the pipe; collect. */
static int run(const char *const argv[], int log_fd, bool capture, size_t max, char **ret_out, char *tail,
	       size_t tail_size, struct excise_err *err)
{
	char exe[256];
	if (!find_tool(argv[0], exe, sizeof(exe)))
		return err_set(err, -ENOENT, "'%s' is not installed (looked in /usr/sbin, /usr/bin, /sbin, /bin)",
			       argv[0]);
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	if (pipe2(errp, O_CLOEXEC) < 0 || (capture && pipe2(out, O_CLOEXEC) < 0)) {
		int e = -errno;
		for (int i = 0; i < 2; i++) {
			if (errp[i] >= 0)
				close(errp[i]);
		}
		return err_setc(err, e, "running %s: pipe", argv[0]);
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, capture ? out[1] : errp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawnattr_t sa;
	posix_spawnattr_init(&sa);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&sa, &none);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	int r = posix_spawn(&pid, exe, &fa, &sa, (char *const *)argv, tool_env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	close(errp[1]);
	if (capture)
		close(out[1]);
	if (r != 0) {
		close(errp[0]);
		if (capture)
			close(out[0]);
		return err_setc(err, -r, "running %s", exe);
	}
	char *obuf = NULL;
	size_t olen = 0;
	bool too_big = false;
	if (capture && !(obuf = malloc(max + 1)))
		too_big = true; /* read and drop; reported below */
	size_t used = 0;
	if (tail && tail_size)
		tail[0] = 0;
	struct pollfd pf[2] = { { .fd = errp[0], .events = POLLIN }, { .fd = capture ? out[0] : -1, .events = POLLIN } };
	int open_fds = capture ? 2 : 1;
	char buf[4096];
	while (open_fds > 0) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t k = read(pf[i].fd, buf, sizeof(buf));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				if (log_fd >= 0)
					(void)!write_fd_all(log_fd, buf, (size_t)k);
				keep_tail(tail, tail_size, &used, buf, (size_t)k);
			} else if (obuf && olen + (size_t)k <= max) {
				memcpy(obuf + olen, buf, (size_t)k);
				olen += (size_t)k;
			} else {
				too_big = true;
			}
		}
	}
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			free(obuf);
			return err_setc(err, -errno, "waiting for %s", exe);
		}
	}
	if (capture) {
		if (too_big) {
			free(obuf);
			return err_set(err, -EXCISE_E_TOOBIG, "%s printed more than %zu bytes", exe, max);
		}
		obuf[olen] = 0;
		*ret_out = obuf;
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int spawn_run(const char *const argv[], int log_fd, char *tail, size_t tail_size, struct excise_err *err)
{
	return run(argv, log_fd, false, 0, NULL, tail, tail_size, err);
}

int spawn_capture(const char *const argv[], int log_fd, size_t max, char **ret_out, struct excise_err *err)
{
	*ret_out = NULL;
	return run(argv, log_fd, true, max, ret_out, NULL, 0, err);
}
