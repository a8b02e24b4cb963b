/* SPDX-License-Identifier: Apache-2.0 */
/* confine: run a tool against an offline root inside a kernel boundary (see confine.h). */
#include "remove/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"

#if defined(__x86_64__)
#define CONFINE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define CONFINE_ARCH AUDIT_ARCH_AARCH64
#endif

/* Everything the two children need, prepared by the parent before fork. */
struct setup {
	pid_t parent;
	int status_fd, out_fd, err_fd, image_fd;
	bool test_refuse;         /* EXCISE_TEST_NO_CONFINE: act as a kernel that refuses */
	const char *root;         /* the image's path: its place inside as well */
	const char *exe;
	const char *const *argv;
	char *const *envp;
	unsigned seconds;
};

/* The host's directories the tool's own binaries and libraries live in: bound
 * read-only, or the same symlink when merged into /usr. */
static const char *const host_dirs[] = { "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
static const char *const host_devs[] = { "null", "zero", "random", "urandom" };

/* Write "STEP: strerror" to the status pipe and end the child. */
static _Noreturn void fail(const struct setup *s, const char *step)
{
	char msg[512];
	int e = errno;
	int n = snprintf(msg, sizeof(msg), "%s: %s", step, strerror(e));
	if (n > 0)
		(void)!write(s->status_fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(CONFINE_SETUP_FAILED);
}

static void bind_ro(const struct setup *s, const char *src, const char *dst, unsigned long extra)
{
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		fail(s, "binding the host's tool directories");
	if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | extra, NULL) < 0)
		fail(s, "making the host's tool directories read-only");
}

/* mkdir -p of `path` (absolute) below `base`; existing directories are fine. */
static void make_dirs(const struct setup *s, char *full, size_t base_len)
{
	for (char *p = full + base_len + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		if (mkdir(full, 0755) < 0 && errno != EEXIST)
			fail(s, "making the root's place inside the confinement");
		*p = c;
		if (!c)
			return;
	}
}

/* The new "/": a read-only tmpfs with the host's tool directories, /dev, /proc,
 * /tmp, and the image at its own path. */
static void build_root(const struct setup *s, const char *nr, int image_fd)
{
	char p[PATH_MAX + 64];
	for (size_t i = 0; i < sizeof(host_dirs) / sizeof(host_dirs[0]); i++) {
		char host[32], link[PATH_MAX];
		struct stat st;
		snprintf(host, sizeof(host), "/%s", host_dirs[i]);
		snprintf(p, sizeof(p), "%s%s", nr, host);
		if (lstat(host, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			ssize_t k = readlink(host, link, sizeof(link) - 1);
			if (k < 0)
				fail(s, "reading the host's /lib links");
			link[k] = 0;
			if (symlink(link, p) < 0)
				fail(s, "linking the host's tool directories");
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(p, 0755) < 0)
				fail(s, "making the host's tool directories");
			bind_ro(s, host, p, MS_RDONLY);
		}
	}
	snprintf(p, sizeof(p), "%s/etc", nr);
	if (mkdir(p, 0755) < 0)
		fail(s, "making /etc");
	struct stat st;
	if (stat("/etc/ld.so.cache", &st) == 0 && S_ISREG(st.st_mode)) {
		snprintf(p, sizeof(p), "%s/etc/ld.so.cache", nr);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			fail(s, "making /etc/ld.so.cache");
		close(fd);
		bind_ro(s, "/etc/ld.so.cache", p, MS_RDONLY | MS_NOEXEC);
	}
	snprintf(p, sizeof(p), "%s/dev", nr);
	if (mkdir(p, 0755) < 0)
		fail(s, "making /dev");
	for (size_t i = 0; i < sizeof(host_devs) / sizeof(host_devs[0]); i++) {
		char host[32];
		snprintf(host, sizeof(host), "/dev/%s", host_devs[i]);
		snprintf(p, sizeof(p), "%s%s", nr, host);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			fail(s, "making /dev");
		close(fd);
		if (mount(host, p, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NOEXEC, NULL) < 0)
			fail(s, "binding /dev/null, zero, random, urandom");
	}
	snprintf(p, sizeof(p), "%s/proc", nr);
	if (mkdir(p, 0555) < 0 || mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		fail(s, "mounting the pid namespace's /proc");
	snprintf(p, sizeof(p), "%s/tmp", nr);
	if (mkdir(p, 01777) < 0 ||
	    mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=64m,nr_inodes=4096") < 0)
		fail(s, "mounting an empty /tmp");
	/* the image, at its own path: the tools' arguments name it as on the host. Not
	 * MS_REC: a mount below it (a bind mount of host files planted in a container
	 * tree) stays out, and the directory under it is what the tool sees. */
	size_t nl = strlen(nr);
	if (snprintf(p, sizeof(p), "%s%s", nr, s->root) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		fail(s, "placing the root");
	}
	if (strcmp(s->root, "/"))
		make_dirs(s, p, nl);
	char src[64];
	snprintf(src, sizeof(src), "/proc/self/fd/%d", image_fd);
	if (mount(src, p, NULL, MS_BIND, NULL) < 0)
		fail(s, "binding the root");
	if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		fail(s, "making the root nosuid, nodev, noexec");
	if (mount(NULL, nr, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		fail(s, "making the new / read-only");
}

static void enter_root(const struct setup *s)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail(s, "making the mounts private");
	/* the root again, as this mount namespace has it (a mount of another namespace
	 * cannot be bound): the same directory as the caller's, or nothing */
	struct stat a, b;
	int fd = open(s->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &a) < 0 || fstat(s->image_fd, &b) < 0)
		fail(s, "opening the root");
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		errno = ESTALE;
		fail(s, "the root's path now names another directory");
	}
	static const char *const bases[] = { "/tmp", "/run", "/mnt" };
	const char *base = NULL;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]) && !base; i++) {
		struct stat st;
		if (lstat(bases[i], &st) == 0 && S_ISDIR(st.st_mode))
			base = bases[i];
	}
	if (!base) {
		errno = ENOENT;
		fail(s, "no /tmp, /run or /mnt directory to build the new / in");
	}
	if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
		fail(s, "mounting a tmpfs for the new /");
	char nr[64];
	snprintf(nr, sizeof(nr), "%s/root", base);
	if (mkdir(nr, 0755) < 0 || mount(nr, nr, NULL, MS_BIND, NULL) < 0)
		fail(s, "making the new /");
	build_root(s, nr, fd);
	close(fd);
	if (chdir(nr) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		fail(s, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		fail(s, "detaching the host's /");
}

static void set_limits(const struct setup *s)
{
	struct {
		int what;
		rlim_t v;
	} lim[] = {
		{ RLIMIT_CPU, s->seconds },
		{ RLIMIT_FSIZE, EXCISE_MAX_TOOL_FILE_SIZE },
		{ RLIMIT_AS, EXCISE_MAX_TOOL_MEMORY },
		{ RLIMIT_NOFILE, EXCISE_MAX_TOOL_FILES },
		{ RLIMIT_NPROC, EXCISE_MAX_TOOL_PROCESSES },
		{ RLIMIT_CORE, 0 },
	};
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		struct rlimit rl = { lim[i].v, lim[i].v };
		if (setrlimit(lim[i].what, &rl) < 0)
			fail(s, "setrlimit");
	}
}

/* What dpkg and rpm need as root in the image: file ownership and modes, and
 * chroot (rpm -e enters the root); nothing else. */
static void drop_caps(const struct setup *s)
{
	static const int keep[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
				    CAP_SETGID, CAP_SETUID, CAP_SYS_CHROOT };
	uint64_t mask = 0;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		mask |= 1ull << keep[i];
	for (int c = 0; c < 64; c++) {
		if (mask & (1ull << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			fail(s, "dropping capabilities");
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail(s, "clearing ambient capabilities");
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2] = { 0 };
	if (syscall(SYS_capget, &h, d) < 0)
		fail(s, "capget");
	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(mask >> (32 * i));
		d[i].effective &= m;
		d[i].permitted &= m;
		d[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d) < 0)
		fail(s, "capset");
}

/* Syscalls no package tool needs and a confined program must not have. chroot is
 * allowed: rpm -e enters the root with it, and inside this boundary there is nothing
 * of the host to leave the chroot for. */
static const int denied[] = {
	__NR_execveat, __NR_mount, __NR_umount2, __NR_pivot_root, __NR_ptrace, __NR_process_vm_readv,
	__NR_process_vm_writev, __NR_unshare, __NR_setns, __NR_kexec_load, __NR_init_module, __NR_finit_module,
	__NR_delete_module, __NR_bpf, __NR_perf_event_open, __NR_keyctl, __NR_add_key, __NR_request_key,
	__NR_open_by_handle_at, __NR_name_to_handle_at, __NR_userfaultfd, __NR_swapon, __NR_swapoff, __NR_reboot,
	__NR_syslog, __NR_acct, __NR_quotactl, __NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick,
	__NR_move_mount, __NR_open_tree, __NR_mount_setattr, __NR_kexec_file_load,
#ifdef __NR_iopl
	__NR_iopl, __NR_ioperm,
#endif
};

#define DENY_AT 0xfe  /* jump placeholders, patched below */
#define ALLOW_AT 0xff

/* A filter that lets execve run `exe` (this very pointer: the one call below) and
 * no other program, and denies the calls above with EPERM. */
static void set_filter(const struct setup *s, const char *exe)
{
#ifndef CONFINE_ARCH
	(void)exe;
	errno = ENOSYS;
	fail(s, "no seccomp filter for this architecture");
#else
	struct sock_filter f[80];
	size_t n = 0;
	uint64_t ptr = (uint64_t)(uintptr_t)exe;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CONFINE_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, DENY_AT, 0); /* x32 */
#endif
	/* clone3's flags are behind a pointer the filter cannot read: ENOSYS, and the C
	 * library falls back to clone, whose flags it can: no new namespace */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 2);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID |
					      CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP, DENY_AT, ALLOW_AT);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 0, 4);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ptr, 0, DENY_AT);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) + 4);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ptr >> 32), ALLOW_AT, DENY_AT);
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)denied[i], DENY_AT, 0);
	size_t allow = n, deny = n + 1;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	for (size_t i = 0; i < allow; i++) {
		if (BPF_CLASS(f[i].code) != BPF_JMP)
			continue;
		if (f[i].jt == DENY_AT || f[i].jt == ALLOW_AT)
			f[i].jt = (uint8_t)((f[i].jt == DENY_AT ? deny : allow) - i - 1);
		if (f[i].jf == DENY_AT || f[i].jf == ALLOW_AT)
			f[i].jf = (uint8_t)((f[i].jf == DENY_AT ? deny : allow) - i - 1);
	}
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		fail(s, "installing the seccomp filter");
#endif
}

/* The tool's process: pid 1 of the new pid namespace. */
static _Noreturn void inner(const struct setup *s)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail(s, "PR_SET_PDEATHSIG");
	enter_root(s);
	static const char hostname[] = "excise-confined";
	if (sethostname(hostname, sizeof(hostname) - 1) < 0)
		fail(s, "sethostname");
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || dup2(in, 0) < 0 || dup2(s->out_fd, 1) < 0 || dup2(s->err_fd, 2) < 0)
		fail(s, "redirecting the tool's input and output");
	if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
		fail(s, "close_range");
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	set_limits(s);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(s, "PR_SET_NO_NEW_PRIVS");
	drop_caps(s);
	set_filter(s, s->exe);
	execve(s->exe, (char *const *)s->argv, s->envp);
	fail(s, "execve");
}

/* The namespaces' owner: waits for the tool and hands its status on. */
static _Noreturn void outer(const struct setup *s)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != s->parent)
		fail(s, "PR_SET_PDEATHSIG");
	if (s->test_refuse) {
		errno = EPERM;
		fail(s, "unshare (EXCISE_TEST_NO_CONFINE)");
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		fail(s, "unshare(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS)");
	pid_t pid = fork();
	if (pid < 0)
		fail(s, "fork");
	if (pid == 0)
		inner(s);
	close(s->status_fd);
	close(s->out_fd);
	close(s->err_fd);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			_exit(CONFINE_SETUP_FAILED);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0));
}

int confine_start(const struct root *r, const char *exe, const char *const argv[], char *const envp[],
		  unsigned seconds, int out_fd, int err_fd, int status_fd, pid_t *ret_pid, struct excise_err *err)
{
	if (!r->path || r->path[0] != '/' || strlen(r->path) >= PATH_MAX)
		return err_set(err, -EXCISE_E_REFUSED, "%s: the root's path is not absolute: not run", argv[0]);
	struct setup s = {
		.parent = getpid(), .status_fd = status_fd, .out_fd = out_fd, .err_fd = err_fd, .image_fd = r->fd,
		.test_refuse = secure_getenv("EXCISE_TEST_NO_CONFINE") != NULL, .root = r->path, .exe = exe,
		.argv = argv, .envp = envp, .seconds = seconds,
	};
	pid_t pid = fork();
	if (pid < 0)
		return err_setc(err, -errno, "running %s confined: fork", argv[0]);
	if (pid == 0)
		outer(&s);
	*ret_pid = pid;
	return 0;
}

/* Undo mountinfo's octal escapes (\040 for a space...) in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

int confine_check_mounts(const struct root *r, struct excise_err *err)
{
	char link[64], real[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", r->fd);
	ssize_t k = readlink(link, real, sizeof(real) - 1);
	if (k < 0)
		return err_setc(err, -errno, "'%s': where is it", r->path);
	real[k] = 0;
	size_t rl = strcmp(real, "/") ? (size_t)k : 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return err_setc(err, -errno, "/proc/self/mountinfo");
	char *line = NULL;
	size_t cap = 0;
	int e = 0;
	while (e == 0 && getline(&line, &cap, f) > 0) {
		char *save = NULL, *mp = NULL, *t = strtok_r(line, " ", &save);
		for (int i = 1; t && i <= 4; i++) /* id, parent, maj:min, root, mount point */
			mp = t = strtok_r(NULL, " ", &save);
		if (!mp)
			continue;
		unescape(mp);
		if (strncmp(mp, real, rl) == 0 && mp[rl] == '/' && mp[rl + 1])
			e = err_set(err, -EXCISE_E_REFUSED,
				    "'%s' is a mount point inside the root '%s' (a bind mount, or another filesystem "
				    "of the image): the package tools see only the root's own filesystem, so they are "
				    "not run on it; unmount it, or mount the image's filesystems elsewhere", mp + rl,
				    r->path);
	}
	free(line);
	fclose(f);
	return e;
}
