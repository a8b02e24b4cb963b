/* SPDX-License-Identifier: Apache-2.0 */
/*
 * confine: the boundary every tool excise runs against an offline root (dpkg,
 * dpkg-query, rpm) runs inside. The kernel's own facilities, used directly:
 *
 *   - new mount, pid, network, IPC and UTS namespaces;
 *   - a fresh tmpfs as "/", read-only, holding only the host's /usr, /bin, /sbin,
 *     /lib* (read-only binds or the same symlinks), /etc/ld.so.cache, /dev/null,
 *     /dev/zero, /dev/random, /dev/urandom, a private /proc and an empty /tmp;
 *   - the image, bound NON-recursively (mounts below it stay out) at the same path
 *     as on the host, read-write but nosuid, nodev and noexec: the only writable
 *     filesystem the tool sees;
 *   - no new privileges, a reduced capability set, rlimits (CPU, file size,
 *     address space, files, processes, no core), and a seccomp filter that lets
 *     execve run the tool once and nothing after it (maintainer scripts, triggers,
 *     scriptlets: EPERM), and denies mount, ptrace, execveat, namespaces, module
 *     and key syscalls.
 *
 * When the kernel refuses any step the tool does not run: the caller gets
 * -EXCISE_E_REFUSED and a message naming the step. Never unconfined.
 */
#ifndef EXCISE_CONFINE_H
#define EXCISE_CONFINE_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/macro.h"
#include "core/root.h"
#include "excise/error.h"

/*
 * Start `exe` (an absolute path on the host, found under /usr or /bin...) with
 * argv and envp, confined to the offline root `r`, with `seconds` of CPU time. stdin is /dev/null, stdout
 * out_fd, stderr err_fd. A failure to set up the boundary is written, as one line
 * of text, to status_fd (the write end of an O_CLOEXEC pipe the caller reads: the
 * pipe closes without a byte when the tool started). *ret_pid is the child to
 * wait for and to SIGKILL at a deadline (its death takes the tool's whole pid
 * namespace with it); its exit status is the tool's, 128 + N when the tool was
 * killed by signal N.
 */
NODISCARD int confine_start(const struct root *r, const char *exe, const char *const argv[], char *const envp[],
			    unsigned seconds, int out_fd, int err_fd, int status_fd, pid_t *ret_pid, struct excise_err *err);

/* A mount below the root (a bind mount planted in a container tree, or a second
 * filesystem of the image): the confined tool would not see it, so the root is
 * refused (-EXCISE_E_REFUSED, the mount point named). 0 when there is none. */
NODISCARD int confine_check_mounts(const struct root *r, struct excise_err *err);

/* The exit status a confined child uses when the boundary could not be set up. */
#define CONFINE_SETUP_FAILED 126

#endif
