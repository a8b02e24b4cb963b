/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spawn: run one of the host's tools (dpkg, rpm, systemctl...) with an argument
 * vector, never through a shell: stdin is /dev/null, stdout and stderr go to a
 * log fd, and the last bytes they printed are kept for the journal. Every run
 * has a deadline (EXCISE_MAX_TOOL_SECONDS): past it the tool is killed with every
 * process it started and the call fails with -ETIMEDOUT, naming the tool.
 */
#ifndef EXCISE_SPAWN_H
#define EXCISE_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/macro.h"
#include "core/root.h"
#include "excise/error.h"

/* The tool is looked up in /usr/sbin:/usr/bin:/sbin:/bin only, and runs with
 * PATH set to those, LC_ALL=C and DEBIAN_FRONTEND=noninteractive. Returns its exit
 * status (0..255; 128 + N when killed by signal N) or a negative error, e.g.
 * -ENOENT when the tool is not installed. `tail` (may be NULL) gets the last
 * line the tool printed, NUL-terminated. */
NODISCARD int spawn_run(const char *const argv[], int log_fd, char *tail, size_t tail_size,
			struct excise_err *err);

/* Like spawn_run, but stdout is captured into *ret_out (NUL-terminated, at most
 * `max` bytes, free() it); stderr goes to log_fd. */
NODISCARD int spawn_capture(const char *const argv[], int log_fd, size_t max, char **ret_out,
			    struct excise_err *err);

/* The same for a tool that acts on the root `r`: when `r` is an offline root the tool
 * runs confined (lib/remove/confine.c: the image is all it can write, no program of
 * the image can run); when the kernel cannot set that up, or a mount lies below the
 * root, the tool is not run: -EXCISE_E_REFUSED. NULL or the live root: on the host. */
NODISCARD int spawn_run_in(const struct root *r, const char *const argv[], int log_fd, char *tail,
			   size_t tail_size, struct excise_err *err);
NODISCARD int spawn_capture_in(const struct root *r, const char *const argv[], int log_fd, size_t max,
			       char **ret_out, struct excise_err *err);

/* True when the tool is installed (found in the fixed PATH). */
bool spawn_have(const char *tool);

#endif
