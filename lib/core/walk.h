/* SPDX-License-Identifier: Apache-2.0 */
/*
 * walk: a multi-threaded directory walker confined to a struct root.
 *
 * Threads share a LIFO stack of directory nodes (depth-first, so the pending
 * set stays small). Directories are read with getdents64 into a 64 KiB buffer
 * per thread and opened one level at a time with
 * openat(parent, name, O_DIRECTORY | O_NOFOLLOW ...): symlinks are never
 * followed, only directories are ever opened (FIFOs, sockets and devices are
 * named, never touched), and no long path is ever given to the kernel, so
 * trees deeper than PATH_MAX work. Open directory fds live in a bounded LRU
 * cache; an evicted parent is reopened from its nearest open ancestor and
 * each reopened level must have the device and inode it had the first time,
 * else the directory was swapped during the scan and is skipped with an error.
 *
 * The entry callback runs on every thread, once per entry (never for "." and
 * ".."); the walker allocates per directory, never per entry.
 */
#ifndef EXCISE_WALK_H
#define EXCISE_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "core/root.h"

struct walk_entry {
	const char *path;     /* the entry's path inside the root ("/a/b"), NUL-terminated */
	size_t path_len;
	const char *name;     /* the last component, NUL-terminated (points into path) */
	size_t name_len;
	size_t dir_len;       /* path[0..dir_len) is the parent's path ("/" for the root) */
	unsigned char type;   /* DT_* from the directory; DT_UNKNOWN resolved with fstatat */
	unsigned depth;       /* 1 for the entries of the start directory */
	int dir_fd;           /* the parent directory, open for the call (readlinkat, fstatat) */
	uintptr_t *dir_data;  /* the callback's word for this directory: 0 at its first entry,
			       * then whatever the callback left (e.g. a verdict on the path) */
};

enum {
	WALK_CONTINUE = 0,
	WALK_SKIP = 1,        /* returned for a directory: do not descend into it */
};

/* Returns WALK_CONTINUE, WALK_SKIP, or < 0 to stop the whole walk with that code. */
typedef int (*walk_entry_fn)(void *userdata, const struct walk_entry *e);
/* A problem with one item; the walk goes on. `path` is the item's path inside the root. */
typedef void (*walk_error_fn)(void *userdata, int code, const char *path, const char *what);
/* Called from any thread about every `progress_every` entries. */
typedef void (*walk_progress_fn)(void *userdata, uint64_t entries, uint64_t dirs);

enum walk_flags {
	WALK_XDEV = 1u << 0,  /* descend into directories of other filesystems */
};

struct walk_opts {
	unsigned threads;         /* 0 = 2 */
	unsigned flags;           /* enum walk_flags */
	unsigned max_depth;       /* 0 = EXCISE_MAX_WALK_DEPTH; deeper directories are an item error */
	unsigned max_fds;         /* open directory fds kept; 0 = min(RLIMIT_NOFILE / 2, 1024) */
	uint64_t progress_every;  /* 0 = 65536 */
	walk_entry_fn entry;
	walk_error_fn error;      /* may be NULL */
	walk_progress_fn progress;/* may be NULL */
	void *userdata;
	void *error_userdata;     /* for `error`; NULL: userdata */
};

struct walk_stats {
	uint64_t entries;     /* entries reported to the callback */
	uint64_t dirs;        /* directories read */
	uint64_t errors;      /* item errors */
	uint64_t vanished;    /* directories gone (ENOENT/ENOTDIR) between listing and opening */
	uint64_t other_fs;    /* directories not entered because they are on another filesystem */
	uint64_t reopened;    /* evicted directory fds reopened */
};

/* For a symlink entry, its target read into buf (NUL-terminated, cut at size - 1);
 * NULL for any other entry or when it cannot be read. */
const char *walk_link_target(const struct walk_entry *e, char *buf, size_t size);

/*
 * Walk the directory `start` (a path inside the root, resolved with the root's
 * rules; "/" for all of it). Returns 0 when the walk finished (item errors
 * included), the callback's code when it stopped the walk, or another -errno
 * when the start directory cannot be opened or memory runs out.
 * `stats` may be NULL.
 */
NODISCARD int walk_run(const struct root *r, const char *start, const struct walk_opts *opts,
		       struct walk_stats *stats);

#endif
