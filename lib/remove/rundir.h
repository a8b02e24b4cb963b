/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rundir: a run directory read back (restore, remove --resume, verify --run) is
 * untrusted input; see rundir.c and docs/removal.md, "Where a run's records live".
 */
#ifndef EXCISE_RUNDIR_H
#define EXCISE_RUNDIR_H

#include <stdbool.h>
#include <sys/stat.h>

#include "core/macro.h"
#include "core/root.h"
#include "excise/error.h"

/* Open the run directory `run_dir` for acting on `root` (the root the operator
 * named; `named` false: none was, the live host): it must be a directory named by a
 * run id directly in `runs_dir` (NULL: EXCISE_HOST_RUNS_DIR), not a link; for an
 * offline root, not inside it; its journal must be of that run and record the same
 * root (canonical real paths). Returns its O_DIRECTORY fd or the refusal. */
NODISCARD int rundir_open(const char *run_dir, const struct root *root, bool named, const char *runs_dir,
			  struct excise_err *err);

/* Whether the directory `fd` is `top` or lies anywhere below it. */
bool rundir_below(int fd, const struct stat *top);

#endif
