/* SPDX-License-Identifier: Apache-2.0 */
/* spawn: run a host tool without a shell (see spawn.h). */
#include "remove/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"
#include "core/root.h"
#include "remove/confine.h"

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

/* The last line a tool printed, kept as its output arrives in reads of any size: a line
 * is whole from one '\n' to the next whatever reads it spans (its first size-1 bytes when
 * longer); blank lines do not replace it. */
struct tail {
	char *buf;
	size_t size, used;
	bool ended; /* the line in buf ended: the next byte begins another */
};

static void keep_tail(struct tail *t, const char *p, size_t len)
{
	if (!t->buf || t->size < 2)
		return;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n') {
			t->ended = t->used > 0;
			continue;
		}
		if (t->ended) {
			t->used = 0;
			t->ended = false;
		}
		if (t->used + 1 < t->size)
			t->buf[t->used++] = p[i];
		t->buf[t->used] = 0;
	}
}

/* Seconds a tool may run; EXCISE_TEST_TOOL_SECONDS (tests only) can lower it, never raise it. */
static unsigned tool_seconds(void)
{
	const char *t = secure_getenv("EXCISE_TEST_TOOL_SECONDS");
	unsigned long v = t && *t ? strtoul(t, NULL, 10) : 0;
	return v && v < EXCISE_MAX_TOOL_SECONDS ? (unsigned)v : EXCISE_MAX_TOOL_SECONDS;
}

/* On the host: a process group of its own, killed whole at the deadline. */
static int start_plain(const char *exe, const char *const argv[], int out_fd, int err_fd, int status_fd,
		       pid_t *ret_pid, struct excise_err *err)
{
	pid_t pid = fork();
	if (pid < 0)
		return err_setc(err, -errno, "running %s: fork", exe);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (setpgid(0, 0) == 0 && in >= 0 && dup2(in, 0) == 0 && dup2(out_fd, 1) == 1 && dup2(err_fd, 2) == 2) {
			sigset_t none;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			execve(exe, (char *const *)argv, tool_env);
		}
		char msg[300];
		int n = snprintf(msg, sizeof(msg), "%s", strerror(errno));
		(void)!write(status_fd, msg, n > 0 ? (size_t)n : 0);
		_exit(127);
	}
	(void)setpgid(pid, pid); /* both sides, so that the group exists before a kill */
	*ret_pid = pid;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run argv with stdout to the log (or captured) and stderr to the log; collect. The
 * tool runs confined when `r` is an offline root, and is killed (its process group, or
 * its pid namespace) when it passes its deadline. */
static int run(const struct root *r, const char *const argv[], int log_fd, bool capture, size_t max, char **ret_out,
	       char *tail, size_t tail_size, struct excise_err *err)
{
	char exe[256];
	bool confined = r && !r->live;
	if (!find_tool(argv[0], exe, sizeof(exe)))
		return err_set(err, -ENOENT, "'%s' is not installed (looked in /usr/sbin, /usr/bin, /sbin, /bin)",
			       argv[0]);
	if (confined) {
		int c = confine_check_mounts(r, err);
		if (c < 0)
			return c;
	}
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, stp[2] = { -1, -1 };
	if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(stp, O_CLOEXEC) < 0 || (capture && pipe2(out, O_CLOEXEC) < 0)) {
		int e = -errno;
		for (int i = 0; i < 2; i++) {
			if (errp[i] >= 0)
				close(errp[i]);
			if (stp[i] >= 0)
				close(stp[i]);
		}
		return err_setc(err, e, "running %s: pipe", argv[0]);
	}
	unsigned seconds = tool_seconds();
	pid_t pid;
	int r0 = confined ? confine_start(r, exe, argv, tool_env, seconds, capture ? out[1] : errp[1], errp[1], stp[1],
					  &pid, err)
			  : start_plain(exe, argv, capture ? out[1] : errp[1], errp[1], stp[1], &pid, err);
	close(errp[1]);
	close(stp[1]);
	if (capture)
		close(out[1]);
	if (r0 < 0) {
		close(errp[0]);
		close(stp[0]);
		if (capture)
			close(out[0]);
		return r0;
	}
	char *obuf = NULL;
	size_t olen = 0;
	bool too_big = false, timed_out = false;
	if (capture && !(obuf = malloc(max + 1)))
		too_big = true; /* read and drop; reported below */
	struct tail kept = { .buf = tail, .size = tail_size };
	if (tail && tail_size)
		tail[0] = 0;
	char why[300] = "";
	size_t why_len = 0;
	struct pollfd pf[3] = { { .fd = errp[0], .events = POLLIN }, { .fd = capture ? out[0] : -1, .events = POLLIN },
				{ .fd = stp[0], .events = POLLIN } };
	int open_fds = capture ? 3 : 2;
	long long deadline = now_ms() + (long long)seconds * 1000;
	char buf[4096];
	while (open_fds > 0) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			if (timed_out)
				break; /* killed, and something still holds the pipes: stop reading */
			timed_out = true;
			kill(confined ? pid : -pid, SIGKILL);
			deadline = now_ms() + 2000;
			continue;
		}
		int k = poll(pf, 3, left > 60000 ? 60000 : (int)left);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 3 && k > 0; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(pf[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				if (log_fd >= 0)
					(void)!write_fd_all(log_fd, buf, (size_t)n);
				keep_tail(&kept, buf, (size_t)n);
			} else if (i == 2) {
				size_t c = (size_t)n < sizeof(why) - 1 - why_len ? (size_t)n : sizeof(why) - 1 - why_len;
				memcpy(why + why_len, buf, c);
				why[why_len += c] = 0;
			} else if (obuf && olen + (size_t)n <= max) {
				memcpy(obuf + olen, buf, (size_t)n);
				olen += (size_t)n;
			} else {
				too_big = true;
			}
		}
	}
	for (int i = 0; i < 3; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			free(obuf);
			return err_setc(err, -errno, "waiting for %s", exe);
		}
	}
	if (timed_out || why_len) {
		free(obuf);
		if (timed_out)
			return err_set(err, -ETIMEDOUT, "%s did not finish within %u s (EXCISE_MAX_TOOL_SECONDS): killed, "
				       "with every process it started%s%s", argv[0], seconds, confined ? " (its pid "
				       "namespace), under '" : "", confined ? r->path : "");
		if (confined)
			return err_set(err, -EXCISE_E_REFUSED, "%s not run on the offline root '%s': the kernel would not "
				       "set up its confinement (%s); a tool acting on an image never runs unconfined",
				       argv[0], r->path, why);
		return err_set(err, -ENOEXEC, "running %s: %s", exe, why);
	}
	if (confined && WIFEXITED(st) && WEXITSTATUS(st) == CONFINE_SETUP_FAILED && !olen && !kept.used) {
		free(obuf);
		return err_set(err, -EXCISE_E_REFUSED, "%s not run on the offline root '%s': its confinement ended "
			       "before the tool started; a tool acting on an image never runs unconfined", argv[0], r->path);
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
	return run(NULL, argv, log_fd, false, 0, NULL, tail, tail_size, err);
}

int spawn_capture(const char *const argv[], int log_fd, size_t max, char **ret_out, struct excise_err *err)
{
	*ret_out = NULL;
	return run(NULL, argv, log_fd, true, max, ret_out, NULL, 0, err);
}

int spawn_run_in(const struct root *r, const char *const argv[], int log_fd, char *tail, size_t tail_size,
		 struct excise_err *err)
{
	return run(r, argv, log_fd, false, 0, NULL, tail, tail_size, err);
}

int spawn_capture_in(const struct root *r, const char *const argv[], int log_fd, size_t max, char **ret_out,
		     struct excise_err *err)
{
	*ret_out = NULL;
	return run(r, argv, log_fd, true, max, ret_out, NULL, 0, err);
}
