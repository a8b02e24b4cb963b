/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Output files that appear only whole: every file a command writes (report,
 * plan, script, attestation, signature) is written to a temporary file in the
 * same directory, flushed to disk (fsync) and renamed over its name; on failure
 * the temporary file is removed and the name is left as it was. A name that is
 * not a regular file (a terminal, /dev/null, a pipe) is written in place.
 */
#ifndef EXCISE_OUTPUT_H
#define EXCISE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "excise/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct excise_output;

/* Start writing `path` (created with `mode` less the umask); *ret_f is where to
 * write. Returns 0, or -errno with a message naming the file. */
EXCISE_API int excise_output_open(const char *path, mode_t mode, struct excise_output **ret, FILE **ret_f,
				  struct excise_err *err);

/* The same for `name` in the directory `dir_fd` (`dir` names it in messages), for
 * a directory whose entries may be planted (a run directory): the temporary file
 * is created there exclusively, never through a link, and renamed over `name`, so a
 * link or a pipe at `name` is replaced, never followed or written. */
EXCISE_API int excise_output_open_at(int dir_fd, const char *dir, const char *name, mode_t mode,
				     struct excise_output **ret, FILE **ret_f, struct excise_err *err);

/* The file being written until commit (the temporary file, or `path` itself). */
EXCISE_API const char *excise_output_tmp_path(const struct excise_output *o);

/* Flush, fsync, close and rename it into place (and fsync the directory); frees
 * `o`. On failure the temporary file is removed: -errno with a message. */
EXCISE_API int excise_output_commit(struct excise_output *o, struct excise_err *err);

/* Close and remove the temporary file, leaving `path` as it was; frees `o`. NULL is a no-op. */
EXCISE_API void excise_output_abort(struct excise_output *o);

/* open, write `len` bytes, commit: the whole file or none. */
EXCISE_API int excise_output_write(const char *path, mode_t mode, const void *data, size_t len,
				   struct excise_err *err);

#ifdef __cplusplus
}
#endif
#endif
