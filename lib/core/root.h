/* SPDX-License-Identifier: Apache-2.0 */
/*
 * root: every file excise reads is named by an absolute path inside a root
 * (the live host's "/" or an offline tree given with --root) and opened with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): ".." stops at the root and
 * absolute symlinks are resolved against it, so no path, symlinks included,
 * ever leads outside. Paths shown to people are these root-relative absolute
 * paths; the report says which root they are relative to.
 */
#ifndef EXCISE_ROOT_H
#define EXCISE_ROOT_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/stat.h>

#include "core/macro.h"
#include "excise/error.h"

struct root {
	int fd;        /* O_PATH directory fd of the root */
	char *path;    /* as given, absolute; "/" for the live host */
	bool live;     /* the root is the running system's "/" */
	dev_t dev;     /* st_dev of the root directory */
	struct root_nocase *nocase; /* answers of root_resolve_nocase per directory (a scan's:
				     * root_cache_nocase), or NULL */
};

/* Remember the answers of root_resolve_nocase, per directory (device and inode) and
 * name, until root_done: a directory that many paths lead to (10,000 user folders whose
 * AppData links to one huge folder) is then listed once per name, not once per path.
 * For a scan, which reads a root that does not change under it. 0 or -ENOMEM. */
NODISCARD int root_cache_nocase(struct root *r);

/* Open `path` (NULL means "/") as a root. */
NODISCARD int root_open(const char *path, struct root *ret, struct excise_err *reterr);
void root_done(struct root *r);

/* open(2) of `path` inside the root; returns an fd or -errno. O_CLOEXEC is added.
 * With O_NOFOLLOW the last component may not be a symlink (-ELOOP). */
NODISCARD int root_openat(const struct root *r, const char *path, int flags);

/* Like root_openat, but no symlink in any component is followed (-ELOOP). */
NODISCARD int root_openat_nofollow(const struct root *r, const char *path, int flags);

/* The regular file `path`, opened for reading (O_RDONLY, plus O_NOFOLLOW to refuse a
 * symlink as the last component) only once it is known to be one: it is first opened
 * O_PATH (which opens nothing) and fstat'ed, so no device's open runs and no FIFO is
 * waited on. -EXCISE_E_SPECIAL for a device, FIFO or socket, -EISDIR, -ELOOP (a
 * symlink, with O_NOFOLLOW). The fd (O_CLOEXEC | O_NONBLOCK) is returned and its stat
 * put in *ret_st (may be NULL). */
NODISCARD int root_open_file(const struct root *r, const char *path, int flags, struct stat *ret_st);
/* Likewise, no symlink followed in any component (-ELOOP). */
NODISCARD int root_open_file_nofollow(const struct root *r, const char *path, int flags, struct stat *ret_st);

/* Where `path` leads inside the root, every symlink resolved as the root sees it
 * (the path that has none): *ret is the caller's. -ENOENT when it leads nowhere. */
NODISCARD int root_realpath(const struct root *r, const char *path, char **ret);

/* Read a whole regular file (symlinks resolved inside the root). Fails with
 * -EXCISE_E_TOOBIG past `max` bytes, -EISDIR, -EXCISE_E_SPECIAL for a device, FIFO or
 * socket (never opened: root_open_file).
 * *ret_data is NUL-terminated; free() it. */
NODISCARD int root_read_file(const struct root *r, const char *path, size_t max,
			     char **ret_data, size_t *ret_len);

/* write(2) all of `len` bytes, retrying short writes and EINTR. Returns 0 or -errno. */
NODISCARD int write_fd_all(int fd, const void *data, size_t len);

/* Read from an open fd (regular file), same rules. */
NODISCARD int read_fd_all(int fd, size_t max, char **ret_data, size_t *ret_len);

/* Read `fd` from its start to its end in chunks (pread: its offset is not moved),
 * retrying EINTR, and hand each chunk to `fn`; a negative return from `fn` stops
 * the read and is returned. *ret_size (may be NULL) gets the bytes read. Returns 0
 * or -errno. */
NODISCARD int read_fd_chunks(int fd, int (*fn)(const void *data, size_t len, void *userdata), void *userdata,
			     uint64_t *ret_size);

/* opendir(3) inside the root; the returned DIR is the caller's. */
NODISCARD int root_opendir(const struct root *r, const char *path, DIR **ret);

/* lstat of `path`: symlinks in the parent are resolved inside the root, the
 * last component is not followed. */
NODISCARD int root_lstat(const struct root *r, const char *path, struct stat *ret);

/* stat of `path`, following symlinks inside the root. */
NODISCARD int root_stat(const struct root *r, const char *path, struct stat *ret);

/* readlink of `path` (the last component must be a symlink); free() the result. */
NODISCARD int root_readlink(const struct root *r, const char *path, char **ret);

/*
 * Resolve `path` (absolute, inside the root) matching every component
 * ASCII-case-insensitively, as Windows and default macOS volumes do: an exact
 * name is preferred, else the first case-folded match in byte order, so the
 * answer does not depend on directory order. Intermediate components are
 * opened inside the root (symlinks stay confined). *ret is the real path
 * ("/Windows/System32/config/SOFTWARE"); free() it. -ENOENT when no match.
 */
NODISCARD int root_resolve_nocase(const struct root *r, const char *path, char **ret);

/* mkdir -p of `path` inside the root, never through a symlink (-EXCISE_E_SYMLINK);
 * returns an O_DIRECTORY fd of the last directory, or -errno. */
NODISCARD int root_mkdir_p(const struct root *r, const char *path, mode_t mode);

/* Replace the regular file `path` (its parents not followed through symlinks)
 * with `len` bytes: written to a temporary name beside it, given the owner and
 * mode of `like` (and the access and modification times `times`, unless NULL),
 * synced, then renamed over it and the directory synced, so a crash leaves the
 * old or the new file, never a mix. Returns 0 or -errno. */
NODISCARD int root_replace_file(const struct root *r, const char *path, const void *data, size_t len,
				const struct stat *like, const struct timespec times[2]);

/* What a file of `mode` is, for messages: "regular file", "FIFO", "character device"... */
const char *root_type_name(mode_t mode);

/* Open `path` in the root to read it as a regular file: its last component never
 * followed (O_NOFOLLOW; with `nofollow_all`, no component at all), never blocking
 * (O_NONBLOCK, O_NOCTTY: a FIFO or a device planted there is opened without waiting
 * and never read), its type taken with fstat before any read. Returns the fd, or
 * -ELOOP (a link), -EISDIR, or -EXCISE_E_SPECIAL for a FIFO, socket or device (*ret_st then
 * says which: root_type_name), or -errno. */
NODISCARD int root_open_regular(const struct root *r, const char *path, bool nofollow_all, struct stat *ret_st);

/* root_open_regular, then read_fd_all: the whole regular file, up to `max` bytes. */
NODISCARD int root_read_regular(const struct root *r, const char *path, size_t max, char **ret_data,
				size_t *ret_len, struct stat *ret_st);

/* A whole regular file of the host named by the operator (a config file, a PEM, a
 * key), up to `max` bytes: opened without blocking and its type checked before any
 * read, as root_open_regular does in a root. -errno, -EXCISE_E_SPECIAL (a device,
 * FIFO or socket), -EISDIR or -EXCISE_E_TOOBIG, with `what` and the path in `err`.
 * *ret_data is NUL-terminated; free() it. */
NODISCARD int read_host_file(const char *what, const char *path, size_t max, char **ret_data, size_t *ret_len,
			     struct excise_err *err);

/* Join a directory and a name into a new string ("/" + "x" gives "/x"); NULL on OOM. */
char *path_join(const char *dir, const char *name);

#endif
