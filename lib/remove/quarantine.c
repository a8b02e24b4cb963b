/* SPDX-License-Identifier: Apache-2.0 */
/* quarantine: the store removed files wait in (see quarantine.h). */
#include "remove/quarantine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/digest.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/paths.h"
#include "core/jsonbytes.h"
#include "core/limits.h"
#include "core/root.h"
#include "core/text.h"

#define SCHEMA "excise.quarantine/1"
#define MANIFEST "manifest.jsonl"

enum obj_state { OBJ_INTENT, OBJ_MOVED, OBJ_RESTORED };

struct qobj {
	unsigned n;
	char *path;          /* raw bytes, NUL-terminated */
	json_t *entries;     /* the intent's entries */
	enum obj_state state;
	uint64_t hash_max;   /* bytes of each file hashed when it was moved, at most EXCISE_MAX_HASH_BYTES */
};

struct quarantine {
	const struct root *root;
	char *dir;           /* host path of <store>/<id> */
	int dir_fd, data_fd, man_fd;
	struct qobj *objs;
	size_t n_objs;
};

/* ---- entries: what a tree holds, read without following anything ---- */

struct collect {
	json_t *arr;
	size_t count;
	struct excise_err *err;
	const char *top;     /* for messages */
	uint64_t hash_max;   /* bytes of a file hashed; past it, a partial hash ("sha256_bytes") */
};

/* EXCISE_MAX_HASH_BYTES, or lower when the environment says so (the tests' seam). */
static uint64_t hash_limit(void)
{
	const char *s = getenv("EXCISE_MAX_HASH_BYTES");
	char *end = NULL;
	unsigned long long v = s && *s ? strtoull(s, &end, 10) : 0;
	return end && !*end && v > 0 && v < EXCISE_MAX_HASH_BYTES ? (uint64_t)v : EXCISE_MAX_HASH_BYTES;
}

static int add_xattrs(json_t *e, int dirfd, const char *name, struct collect *c)
{
	char p[64 + NAME_MAX];
	snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dirfd, name);
	char list[EXCISE_MAX_QUARANTINE_XATTR_LIST];
	ssize_t k = llistxattr(p, list, sizeof(list));
	if (k < 0)
		return errno == ENOTSUP || errno == ENODATA ? 0 :
		       err_setc(c->err, errno == ERANGE ? -EXCISE_E_LIMIT : -errno, "'%s': listing xattrs of %s", c->top,
				name);
	json_t *xs = json_object();
	if (!xs)
		return err_set(c->err, -ENOMEM, "out of memory");
	int r = 0;
	for (ssize_t off = 0; off < k && r == 0;) {
		const char *xn = list + off;
		off += (ssize_t)strlen(xn) + 1;
		static _Thread_local char val[EXCISE_MAX_QUARANTINE_XATTR_SIZE];
		ssize_t vl = lgetxattr(p, xn, val, sizeof(val));
		if (vl < 0) {
			r = err_setc(c->err, errno == ERANGE ? -EXCISE_E_LIMIT : -errno, "'%s': xattr %s of %s", c->top,
				     xn, name);
			break;
		}
		struct buf b;
		buf_init(&b, SIZE_MAX);
		hex_append(&b, val, (size_t)vl);
		if (b.err || json_object_set_new(xs, xn, json_stringn(b.p, b.n)) < 0)
			r = err_set(c->err, -ENOMEM, "out of memory");
		buf_done(&b);
	}
	if (r == 0 && json_object_size(xs))
		r = json_object_set_new(e, "xattrs", xs) < 0 ? err_set(c->err, -ENOMEM, "out of memory") : 0;
	else
		json_decref(xs);
	return r;
}

static int collect(int dirfd, const char *name, char *rel, size_t rel_len, unsigned depth, struct collect *c);

/* A regular file's sha256: opened without following or blocking, checked with fstat
 * to be the file seen, and hashed over at most c->hash_max bytes (a larger one gets
 * the hash of its first c->hash_max bytes, and "sha256_bytes" says how many). */
static int hash_entry(json_t *e, int dirfd, const char *name, const char *rel, const struct stat *seen,
		      struct collect *c)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return err_setc(c->err, -errno, "'%s': open %s", c->top, rel[0] ? rel : ".");
	struct stat st;
	int r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0 && (!S_ISREG(st.st_mode) || st.st_ino != seen->st_ino || st.st_dev != seen->st_dev))
		r = err_set(c->err, -EXCISE_E_CHANGED, "'%s': %s changed while being read (now a %s): not read", c->top,
			    rel[0] ? rel : ".", root_type_name(st.st_mode));
	char hex[65];
	uint64_t hashed = 0;
	if (r == 0 && (r = sha256_fd_hex_max(fd, c->hash_max, hex, &hashed)) < 0)
		r = err_setc(c->err, r, "'%s': reading %s", c->top, rel[0] ? rel : ".");
	close(fd);
	if (r < 0)
		return r;
	if (json_object_set_new(e, "sha256", json_string(hex)) < 0 ||
	    ((uint64_t)st.st_size > c->hash_max && json_object_set_new(e, "sha256_bytes", json_integer((json_int_t)hashed)) < 0))
		return err_set(c->err, -ENOMEM, "out of memory");
	return 0;
}

static int collect_dir(int fd, char *rel, size_t rel_len, unsigned depth, struct collect *c)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_setc(c->err, -errno, "'%s': reading %s", c->top, rel[0] ? rel : ".");
	}
	int r = 0;
	struct dirent *de;
	errno = 0;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		size_t nl = strlen(de->d_name);
		if (rel_len + 1 + nl >= PATH_MAX) {
			r = err_set(c->err, -EXCISE_E_LIMIT, "'%s': a path inside is longer than %d bytes", c->top,
				    PATH_MAX);
			break;
		}
		size_t l = rel_len;
		if (l)
			rel[l++] = '/';
		memcpy(rel + l, de->d_name, nl + 1);
		r = collect(dirfd(d), de->d_name, rel, l + nl, depth + 1, c);
		rel[rel_len] = 0;
	}
	closedir(d);
	return r;
}

static int collect(int dirfd, const char *name, char *rel, size_t rel_len, unsigned depth, struct collect *c)
{
	if (++c->count > EXCISE_MAX_QUARANTINE_ENTRIES)
		return err_set(c->err, -EXCISE_E_LIMIT, "'%s': more than %u entries", c->top,
			       EXCISE_MAX_QUARANTINE_ENTRIES);
	if (depth > EXCISE_MAX_QUARANTINE_DEPTH)
		return err_set(c->err, -EXCISE_E_LIMIT, "'%s': deeper than %u levels", c->top,
			       EXCISE_MAX_QUARANTINE_DEPTH);
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_setc(c->err, -errno, "'%s': lstat of %s", c->top, rel[0] ? rel : ".");
	char t = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'o';
	json_t *e = json_pack("{s:s#, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "type", &t, (size_t)1,
			      "mode", (json_int_t)st.st_mode, "uid", (json_int_t)st.st_uid, "gid", (json_int_t)st.st_gid,
			      "size", (json_int_t)(S_ISDIR(st.st_mode) ? 0 : st.st_size),
			      "mtime_ns", (json_int_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
			      "nlink", (json_int_t)(S_ISDIR(st.st_mode) ? 1 : st.st_nlink),
			      "rdev", (json_int_t)st.st_rdev);
	if (!e || json_set_bytes(e, "rel", rel, rel_len) < 0 || json_array_append_new(c->arr, e) < 0)
		return err_set(c->err, -ENOMEM, "out of memory");
	int r = add_xattrs(e, dirfd, name, c);
	if (r < 0)
		return r;
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t k = readlinkat(dirfd, name, target, sizeof(target));
		if (k < 0 || k == sizeof(target))
			return err_setc(c->err, k < 0 ? -errno : -EXCISE_E_LIMIT, "'%s': readlink of %s", c->top, rel);
		return json_set_bytes(e, "target", target, (size_t)k) < 0 ? err_set(c->err, -ENOMEM, "out of memory") : 0;
	}
	if (S_ISREG(st.st_mode))
		return hash_entry(e, dirfd, name, rel, &st, c);
	if (!S_ISDIR(st.st_mode))
		return 0;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_setc(c->err, -errno, "'%s': open %s", c->top, rel[0] ? rel : ".");
	return collect_dir(fd, rel, rel_len, depth, c);
}

static int rel_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	size_t xl = 0, yl = 0;
	char *xs = json_get_bytes(x, "rel", &xl), *ys = json_get_bytes(y, "rel", &yl);
	int c = 0;
	if (xs && ys) {
		c = memcmp(xs, ys, xl < yl ? xl : yl);
		if (c == 0)
			c = xl < yl ? -1 : xl > yl;
	}
	free(xs);
	free(ys);
	return c;
}

/* The entries of `name` in dirfd, sorted by relative path; files hashed over at most
 * hash_max bytes each. */
static int collect_tree(int dirfd, const char *name, const char *top, uint64_t hash_max, json_t **ret,
			struct excise_err *err)
{
	struct collect c = { .arr = json_array(), .err = err, .top = top, .hash_max = hash_max };
	if (!c.arr)
		return err_set(err, -ENOMEM, "out of memory");
	char *rel = malloc(PATH_MAX);
	int r = rel ? (rel[0] = 0, collect(dirfd, name, rel, 0, 0, &c)) : err_set(err, -ENOMEM, "out of memory");
	free(rel);
	if (r < 0) {
		json_decref(c.arr);
		return r;
	}
	size_t n = json_array_size(c.arr);
	json_t **v = calloc(n + 1, sizeof(*v));
	json_t *sorted = json_array();
	if (!v || !sorted) {
		free(v);
		json_decref(sorted);
		json_decref(c.arr);
		return err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(c.arr, i);
	qsort(v, n, sizeof(*v), rel_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(c.arr);
	*ret = sorted;
	return 0;
}

/* ---- the manifest ---- */

static int append(struct quarantine *q, json_t *rec, struct excise_err *err)
{
	char *line = rec ? json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(rec);
	if (!line)
		return err_set(err, -ENOMEM, "out of memory");
	size_t len = strlen(line);
	line[len] = '\n';
	int r = write_fd_all(q->man_fd, line, len + 1);
	free(line);
	if (r == 0 && fdatasync(q->man_fd) < 0)
		r = -errno;
	return r < 0 ? err_setc(err, r, "quarantine manifest '%s/" MANIFEST "': write", q->dir) : 0;
}

static struct qobj *obj_by_n(struct quarantine *q, unsigned n)
{
	for (size_t i = 0; i < q->n_objs; i++)
		if (q->objs[i].n == n)
			return &q->objs[i];
	return NULL;
}

/* ---- reading the manifest ---- */

enum { EV_STORE, EV_INTENT, EV_MOVED, EV_RESTORED };
static const char *const events[] = { "store", "intent", "moved", "restored", NULL };

struct record {
	int event;
	unsigned n;
	char *path;
	json_t *entries;
	uint64_t hash_max;
};

static const char *const store_schema[] = { SCHEMA, NULL };
static const struct doc_field store_fields[] = {
	{ "schema", DOC_STRING, NULL, 0, DOC_REQUIRED, .values = store_schema },
	{ 0 },
};
static const struct doc_table store_table = { store_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static const char *const entry_types[] = { "f", "d", "l", "o", NULL };
/* what restore compares needs no more than this to be read */
static const struct doc_field entry_fields[] = {
	{ "type", DOC_STRING, NULL, 0, DOC_REQUIRED, .values = entry_types },
	{ "mode", DOC_INTEGER, NULL, 0, DOC_REQUIRED },
	{ 0 },
};
static const struct doc_table entry_table = { entry_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static int entry_item(struct doc *d, size_t i, json_t *item, void *userdata)
{
	(void)i;
	(void)userdata;
	return doc_dispatch(d, item, &entry_table, NULL);
}

/* The entries of a tree, checked and kept as they are. */
static int entries_field(struct doc *d, const struct doc_field *f, json_t *v, void *ret)
{
	int r = doc_each(d, v, entry_item, NULL);
	return r < 0 ? r : doc_json(d, f, v, ret);
}

static const struct doc_field object_fields[] = {
	{ "n", DOC_INTEGER, doc_unsigned, offsetof(struct record, n), DOC_REQUIRED, .min = 1,
	  .max = EXCISE_MAX_QUARANTINE_OBJECTS },
	{ 0 },
};
static const struct doc_table object_table = { object_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static const struct doc_field intent_fields[] = {
	{ "path", DOC_STRING, doc_bytes, offsetof(struct record, path), DOC_REQUIRED | DOC_HEX | DOC_ABSOLUTE },
	{ "entries", DOC_ARRAY, entries_field, offsetof(struct record, entries), DOC_REQUIRED, .min = 1,
	  .max = EXCISE_MAX_QUARANTINE_ENTRIES },
	{ "hash_max", DOC_INTEGER, doc_uint64, offsetof(struct record, hash_max), 0 },
	{ 0 },
};
static const struct doc_table intent_table = { intent_fields, DOC_UNKNOWN_IGNORE, NULL, NULL };

static int add_intent(struct quarantine *q, struct doc *d, json_t *o, struct record *rec)
{
	int r = doc_dispatch(d, o, &intent_table, rec);
	if (r < 0)
		return r;
	if (obj_by_n(q, rec->n))
		return doc_fail(d, "object number %u used twice", rec->n);
	if (q->n_objs >= EXCISE_MAX_QUARANTINE_OBJECTS)
		return doc_failc(d, -EXCISE_E_LIMIT, "more than %u objects", EXCISE_MAX_QUARANTINE_OBJECTS);
	struct qobj *v = array_full(q->n_objs) ? realloc(q->objs, array_cap(q->n_objs) * sizeof(*v)) : q->objs;
	if (!v)
		return doc_failc(d, -ENOMEM, "out of memory");
	q->objs = v;
	/* hashing stays bounded whatever a manifest says (one without hash_max, of a run
	 * made before, hashed files whole: one larger than the limit is then reported as
	 * not as it was, never read to its end) */
	uint64_t hm = rec->hash_max && rec->hash_max < EXCISE_MAX_HASH_BYTES ? rec->hash_max : EXCISE_MAX_HASH_BYTES;
	v[q->n_objs++] = (struct qobj){ .n = rec->n, .path = TAKE_PTR(rec->path), .entries = json_incref(rec->entries),
					.hash_max = hm };
	return 0;
}

/* Apply one manifest record to the in-memory objects. */
static int apply(struct doc *d, json_t *o, void *userdata)
{
	struct quarantine *q = userdata;
	struct record rec = { 0 };
	int r = doc_event(d, o, events, EV_STORE, &rec.event);
	if (r < 0)
		return r;
	if (rec.event == EV_STORE)
		return doc_dispatch(d, o, &store_table, NULL);
	if ((r = doc_dispatch(d, o, &object_table, &rec)) < 0)
		return r;
	if (rec.event == EV_INTENT) {
		r = add_intent(q, d, o, &rec);
		free(rec.path);
		return r;
	}
	struct qobj *ob = obj_by_n(q, rec.n);
	if (!ob)
		return doc_fail(d, "object %u has no intent", rec.n);
	ob->state = rec.event == EV_MOVED ? OBJ_MOVED : OBJ_RESTORED;
	return 0;
}

static void objs_free(struct quarantine *q)
{
	for (size_t i = 0; i < q->n_objs; i++) {
		free(q->objs[i].path);
		json_decref(q->objs[i].entries);
	}
	free(q->objs);
	q->objs = NULL;
	q->n_objs = 0;
}

static int parse(struct quarantine *q, const char *name, const char *bytes, size_t len, struct excise_err *err)
{
	struct doc d;
	doc_init(&d, "manifest", name, err);
	size_t lines = 0;
	int r = doc_size(&d, len, EXCISE_MAX_QUARANTINE_MANIFEST);
	if (r >= 0)
		r = doc_lines(&d, bytes, len, 0, apply, q, &lines);
	if (r >= 0 && lines == 0)
		r = doc_fail(&d, "no store record");
	return r;
}

int quarantine_parse_manifest(const char *name, const char *bytes, size_t len, size_t *ret_objects,
			      struct excise_err *err)
{
	struct quarantine q = { .dir_fd = -1, .data_fd = -1, .man_fd = -1 };
	int r = parse(&q, name, bytes, len, err);
	if (ret_objects)
		*ret_objects = q.n_objs;
	objs_free(&q);
	return r;
}

/* ---- opening ---- */

/* fsync every directory above `path` (inside `r`): a store just made, and what
 * will be renamed into it, must not vanish with its directory entry on power loss. */
static int sync_parents(const struct root *r, const char *path)
{
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	int e = 0;
	for (char *slash = strrchr(p, '/'); e == 0 && slash; slash = strrchr(p, '/')) {
		*slash = 0;
		int fd = root_openat_nofollow(r, p[0] ? p : "/", O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			e = fd;
		else if (fsync(fd) < 0)
			e = -errno;
		if (fd >= 0)
			close(fd);
		if (!p[0])
			break;
	}
	free(p);
	return e;
}

/* The manifest: in the run directory `man_dir_fd` (a new run's, and any run of an
 * offline root: the image holds only the moved bytes), else beside data/ (a run
 * of the live host made before, whose store is the host's own). */
static int open_manifest(struct quarantine *q, int man_dir_fd, bool create)
{
	int fl = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (create ? O_CREAT : 0);
	int fd = man_dir_fd >= 0 ? openat(man_dir_fd, MANIFEST, fl, 0600) : -1;
	if (man_dir_fd >= 0 && (fd >= 0 || errno != ENOENT || create || !q->root->live))
		return fd < 0 ? -errno : fd;
	fd = openat(q->dir_fd, MANIFEST, fl, 0600);
	return fd < 0 ? -errno : fd;
}

static int open_store(const struct root *r, const char *store_dir, const char *id, int man_dir_fd, bool create,
		      struct quarantine **ret, struct excise_err *err)
{
	*ret = NULL;
	if (!id || strlen(id) != 36 || strchr(id, '/'))
		return err_set(err, -EXCISE_E_USAGE, "quarantine: '%s' is not a run id", id ? id : "");
	struct quarantine *q = calloc(1, sizeof(*q));
	if (!q)
		return err_set(err, -ENOMEM, "out of memory");
	*q = (struct quarantine){ .root = r, .dir_fd = -1, .data_fd = -1, .man_fd = -1 };
	struct root host = { .fd = -1 };
	char *sub = NULL;
	int e = 0;
	const struct root *in = r;
	if (store_dir) {
		e = root_open("/", &host, err);
		in = &host;
		sub = e == 0 ? path_join(store_dir, id) : NULL;
		q->dir = sub ? strdup(sub) : NULL;
	} else {
		sub = path_join(EXCISE_QUARANTINE_DIR, id);
		q->dir = sub ? (r->live ? strdup(sub) : path_join(r->path, sub)) : NULL;
	}
	if (e == 0 && (!sub || !q->dir))
		e = err_set(err, -ENOMEM, "out of memory");
	if (e == 0 && create) {
		e = root_mkdir_p(in, sub, 0700);
		if (e >= 0) {
			q->dir_fd = e;
			e = sync_parents(in, sub);
			if (e < 0)
				e = err_setc(err, e, "quarantine '%s': fsync of the directories above it", q->dir);
		} else {
			e = err_setc(err, e, "quarantine '%s': create", q->dir);
		}
	} else if (e == 0) {
		q->dir_fd = root_openat_nofollow(in, sub, O_RDONLY | O_DIRECTORY);
		if (q->dir_fd < 0)
			e = err_setc(err, q->dir_fd, "quarantine '%s': open", q->dir);
	}
	if (host.fd >= 0)
		root_done(&host);
	free(sub);
	if (e == 0 && create && mkdirat(q->dir_fd, "data", 0700) < 0 && errno != EEXIST)
		e = err_setc(err, -errno, "quarantine '%s/data': create", q->dir);
	if (e == 0 && (q->data_fd = openat(q->dir_fd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		e = err_setc(err, -errno, "quarantine '%s/data': open", q->dir);
	if (e == 0) {
		q->man_fd = open_manifest(q, man_dir_fd, create);
		if (q->man_fd < 0)
			e = err_setc(err, q->man_fd, "quarantine manifest '" MANIFEST "' of '%s': open", q->dir);
	}
	if (e == 0 && create && fsync(q->dir_fd) < 0) /* data/ and the manifest's names */
		e = err_setc(err, -errno, "quarantine '%s': fsync", q->dir);
	char *text = NULL;
	size_t len = 0;
	if (e == 0) {
		e = read_fd_all(q->man_fd, EXCISE_MAX_QUARANTINE_MANIFEST, &text, &len);
		if (e < 0)
			e = err_setc(err, e, "quarantine manifest '%s/" MANIFEST "': read", q->dir);
	}
	if (e == 0 && create && len && !memchr(text, '\n', len)) {
		/* only a torn store record, from a crash while creating: nothing was ever recorded */
		if (ftruncate(q->man_fd, 0) < 0)
			e = err_setc(err, -errno, "quarantine manifest '%s/" MANIFEST "': cutting a torn record",
				     q->dir);
		len = 0;
	}
	if (e == 0 && len == 0 && create) {
		e = append(q, json_pack("{s:s, s:s, s:s}", "event", "store", "schema", SCHEMA, "run_id", id), err);
	} else if (e == 0) {
		char name[4200];
		snprintf(name, sizeof(name), "%s/" MANIFEST, q->dir);
		e = parse(q, name, text, len, err);
		const char *nl = len ? memrchr(text, '\n', len) : NULL;
		size_t keep = nl ? (size_t)(nl - text) + 1 : 0;
		if (e == 0 && keep < len && ftruncate(q->man_fd, (off_t)keep) < 0)
			e = err_setc(err, -errno, "quarantine manifest '%s': cutting a torn record", name);
	}
	free(text);
	if (e < 0) {
		quarantine_close(q);
		return e;
	}
	*ret = q;
	return 0;
}

int quarantine_open(const struct root *r, const char *store_dir, const char *id, int man_dir_fd,
		    struct quarantine **ret, struct excise_err *err)
{
	return open_store(r, store_dir, id, man_dir_fd, true, ret, err);
}

int quarantine_load(const struct root *r, const char *store_dir, const char *id, int man_dir_fd,
		    struct quarantine **ret, struct excise_err *err)
{
	return open_store(r, store_dir, id, man_dir_fd, false, ret, err);
}

void quarantine_close(struct quarantine *q)
{
	if (!q)
		return;
	objs_free(q);
	if (q->man_fd >= 0)
		close(q->man_fd);
	if (q->data_fd >= 0)
		close(q->data_fd);
	if (q->dir_fd >= 0)
		close(q->dir_fd);
	free(q->dir);
	free(q);
}

/* ---- put ---- */

/* The directory of `path`, opened inside the root with no symlink anywhere. */
static int open_parent(const struct quarantine *q, const char *path, const char **ret_base, struct excise_err *err)
{
	const char *slash = strrchr(path, '/');
	if (path[0] != '/' || !slash || !slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, ".."))
		return err_set(err, -EXCISE_E_REFUSED, "'%s': not a path that can be moved", path);
	char *dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir)
		return err_set(err, -ENOMEM, "out of memory");
	int fd = root_openat_nofollow(q->root, dir, O_RDONLY | O_DIRECTORY);
	if (fd == -ELOOP || fd == -EXDEV)
		fd = err_set(err, -EXCISE_E_SYMLINK, "'%s': a parent directory is a symlink: nothing moved through it",
			     path);
	else if (fd < 0 && fd != -ENOENT && fd != -ENOTDIR)
		fd = err_setc(err, fd, "'%s': opening its directory", path);
	else if (fd < 0)
		fd = -ENOENT;
	free(dir);
	*ret_base = slash + 1;
	return fd;
}

static struct qobj *obj_by_path(struct quarantine *q, const char *path)
{
	for (size_t i = q->n_objs; i-- > 0;)
		if (q->objs[i].state != OBJ_RESTORED && strcmp(q->objs[i].path, path) == 0)
			return &q->objs[i];
	return NULL;
}

static bool data_exists(struct quarantine *q, unsigned n)
{
	char name[16];
	snprintf(name, sizeof(name), "%u", n);
	struct stat st;
	return fstatat(q->data_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int move_in(struct quarantine *q, struct qobj *ob, int pfd, const char *base, struct excise_err *err)
{
	char name[16];
	snprintf(name, sizeof(name), "%u", ob->n);
	if (renameat2(pfd, base, q->data_fd, name, RENAME_NOREPLACE) < 0) {
		if (errno == EXDEV)
			return err_set(err, -EXDEV, "'%s' is on another filesystem than the quarantine '%s': give "
				       "--quarantine a directory on that filesystem", ob->path, q->dir);
		return err_setc(err, -errno, "'%s': moving into the quarantine", ob->path);
	}
	if (fsync(q->data_fd) < 0 || fsync(pfd) < 0)
		return err_setc(err, -errno, "'%s': fsync after the move", ob->path);
	ob->state = OBJ_MOVED;
	return append(q, json_pack("{s:s, s:I}", "event", "moved", "n", (json_int_t)ob->n), err);
}

int quarantine_put(struct quarantine *q, const char *path, const struct excise_plan_object *expect,
		   enum quarantine_state *ret_state, struct excise_err *err)
{
	struct qobj *ob = obj_by_path(q, path);
	if (ob && ob->state == OBJ_MOVED) {
		*ret_state = QUARANTINE_ALREADY;
		return 0;
	}
	const char *base;
	int pfd = open_parent(q, path, &base, err);
	if (pfd == -ENOENT && ob && data_exists(q, ob->n)) {
		/* moved, and the parent went too since: only the record is missing */
		ob->state = OBJ_MOVED;
		*ret_state = QUARANTINE_DONE;
		return append(q, json_pack("{s:s, s:I}", "event", "moved", "n", (json_int_t)ob->n), err);
	}
	if (pfd == -ENOENT) {
		*ret_state = QUARANTINE_GONE;
		return 0;
	}
	if (pfd < 0)
		return pfd;
	struct stat st;
	int r = 0;
	bool here = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!here && errno != ENOENT) {
		r = err_setc(err, -errno, "'%s': lstat", path);
		goto out;
	}
	if (ob) { /* an intent from before a crash */
		bool moved = data_exists(q, ob->n);
		if (moved && !here) {
			ob->state = OBJ_MOVED;
			r = append(q, json_pack("{s:s, s:I}", "event", "moved", "n", (json_int_t)ob->n), err);
			*ret_state = QUARANTINE_DONE;
		} else if (!moved && here) {
			r = move_in(q, ob, pfd, base, err);
			*ret_state = QUARANTINE_DONE;
		} else {
			r = err_set(err, -EXCISE_E_CHANGED, "'%s': %s", path, moved ?
				    "both the original and its quarantined copy exist" : "gone, and not in the quarantine");
		}
		goto out;
	}
	if (!here) {
		*ret_state = QUARANTINE_GONE;
		goto out;
	}
	if (expect && expect->known) {
		char t = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'o';
		if (t != expect->type || (uint64_t)st.st_dev != expect->dev || (uint64_t)st.st_ino != expect->ino) {
			r = err_set(err, -EXCISE_E_CHANGED, "'%s' is not the object planned (type %c inode %llu, planned "
				    "%c inode %llu): it was replaced; nothing moved", path, t,
				    (unsigned long long)st.st_ino, expect->type, (unsigned long long)expect->ino);
			goto out;
		}
	}
	json_t *entries = NULL;
	uint64_t hash_max = hash_limit();
	r = collect_tree(pfd, base, path, hash_max, &entries, err);
	if (r < 0)
		goto out;
	unsigned n = 1;
	for (size_t i = 0; i < q->n_objs; i++)
		if (q->objs[i].n >= n)
			n = q->objs[i].n + 1;
	struct qobj *v = q->objs;
	if (q->n_objs >= EXCISE_MAX_QUARANTINE_OBJECTS)
		v = NULL;
	else if (array_full(q->n_objs))
		v = realloc(q->objs, array_cap(q->n_objs) * sizeof(*v));
	if (v)
		q->objs = v; /* the old array may be freed already, whatever fails next */
	char *pcopy = strdup(path);
	if (!v || !pcopy) {
		bool full = q->n_objs >= EXCISE_MAX_QUARANTINE_OBJECTS;
		free(pcopy);
		json_decref(entries);
		r = err_set(err, full ? -EXCISE_E_LIMIT : -ENOMEM, "quarantine '%s': %s", q->dir,
			    full ? "too many objects" : "out of memory");
		goto out;
	}
	ob = &v[q->n_objs++];
	*ob = (struct qobj){ .n = n, .path = pcopy, .entries = entries, .hash_max = hash_max };
	json_t *rec = json_pack("{s:s, s:I, s:O, s:I}", "event", "intent", "n", (json_int_t)n, "entries", entries,
				"hash_max", (json_int_t)hash_max);
	if (rec && json_set_bytes(rec, "path", path, strlen(path)) < 0) {
		json_decref(rec);
		rec = NULL;
	}
	r = append(q, rec, err);
	if (r == 0)
		r = move_in(q, ob, pfd, base, err);
	*ret_state = QUARANTINE_DONE;
out:
	close(pfd);
	return r;
}

/* ---- restore ---- */

static int note(struct quarantine_report *rep, const char *fmt, ...) PRINTF(2, 3);
static int note(struct quarantine_report *rep, const char *fmt, ...)
{
	size_t n = 0;
	while (rep->notes && rep->notes[n])
		n++;
	if (n >= EXCISE_MAX_QUARANTINE_NOTES)
		return 0;
	char **v = realloc(rep->notes, (n + 2) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rep->notes = v;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&v[n], fmt, ap);
	va_end(ap);
	v[n + (k >= 0)] = NULL;
	return k < 0 ? -ENOMEM : 0;
}

/* Compare what is at the restored path with the intent, entry by entry. */
static int verify(struct qobj *ob, int pfd, const char *base, struct quarantine_report *rep,
		  struct excise_err *err)
{
	json_t *now = NULL;
	int r = collect_tree(pfd, base, ob->path, ob->hash_max, &now, err);
	if (r < 0)
		return note(rep, "%s: restored but not checked: %s", ob->path, err->msg);
	size_t n = json_array_size(ob->entries), m = json_array_size(now);
	if (n != m)
		r = note(rep, "%s: %zu entries restored, %zu were removed", ob->path, m, n);
	for (size_t i = 0; r == 0 && i < n && i < m; i++) {
		json_t *a = json_array_get(ob->entries, i), *b = json_array_get(now, i);
		if (!json_equal(a, b)) {
			size_t rl = 0;
			char *rel = json_get_bytes(a, "rel", &rl);
			r = note(rep, "%s%s%s: not as it was removed (content, owner, mode, times or xattrs)", ob->path,
				 rel && rel[0] ? "/" : "", rel ? rel : "");
			free(rel);
		}
	}
	rep->n_entries += m;
	json_decref(now);
	return r < 0 ? err_set(err, r, "out of memory") : 0;
}

static size_t count_strv(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* Each symlink of a restored object whose target is gone from the root: said, for the
 * operator (a unit's enablement link whose unit file the purge deleted). */
static int find_dangling(const struct quarantine *q, const struct qobj *ob, struct quarantine_report *rep)
{
	size_t n = json_array_size(ob->entries);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(ob->entries, i);
		const char *type = json_string_value(json_object_get(e, "type"));
		if (!type || strcmp(type, "l"))
			continue;
		size_t rl = 0, tl = 0;
		char *rel = json_get_bytes(e, "rel", &rl), *target = json_get_bytes(e, "target", &tl);
		char *path = NULL;
		int k = rel && target ? asprintf(&path, "%s%s%s", ob->path, rel[0] ? "/" : "", rel) : -1;
		struct stat st;
		int r = 0;
		if (k < 0)
			r = -ENOMEM;
		else if (root_stat(q->root, path, &st) == -ENOENT) {
			size_t c = count_strv(rep->dangling);
			char **v = realloc(rep->dangling, (c + 2) * sizeof(*v));
			if (!v)
				r = -ENOMEM;
			else {
				rep->dangling = v;
				v[c + 1] = NULL;
				r = asprintf(&v[c], "%s -> %s", path, target) < 0 ? (v[c] = NULL, -ENOMEM) : 0;
			}
		}
		free(path);
		free(rel);
		free(target);
		if (r < 0)
			return r;
	}
	return 0;
}

int quarantine_restore(struct quarantine *q, struct quarantine_report *rep, struct excise_err *err)
{
	*rep = (struct quarantine_report){ 0 };
	int r = 0;
	for (size_t i = q->n_objs; r == 0 && i-- > 0;) {
		struct qobj *ob = &q->objs[i];
		if (ob->state == OBJ_RESTORED)
			continue;
		bool stored = data_exists(q, ob->n);
		if (ob->state == OBJ_INTENT && !stored)
			continue; /* the move never happened */
		const char *base;
		int pfd = open_parent(q, ob->path, &base, err);
		if (pfd < 0) {
			rep->n_conflicts += stored;
			r = note(rep, "%s: left in the quarantine as %s/data/%u: its directory %s", ob->path, q->dir, ob->n,
				 pfd == -ENOENT ? "is gone" : err->msg);
			continue;
		}
		struct stat st;
		bool here = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
		char name[16];
		snprintf(name, sizeof(name), "%u", ob->n);
		if (here && stored) {
			rep->n_conflicts++;
			r = note(rep, "%s: something exists there now; the removed copy stays in %s/data/%u", ob->path,
				 q->dir, ob->n);
			close(pfd);
			continue;
		}
		if (!here && renameat2(q->data_fd, name, pfd, base, RENAME_NOREPLACE) < 0) {
			/* one object that cannot go back does not keep the others in the store */
			rep->n_conflicts++;
			r = note(rep, "%s: could not be moved back (%s); the removed copy stays in %s/data/%u", ob->path,
				 strerror(errno), q->dir, ob->n);
			close(pfd);
			continue;
		}
		if (fsync(pfd) < 0 || fsync(q->data_fd) < 0) {
			r = err_setc(err, -errno, "'%s': fsync after restoring", ob->path);
			close(pfd);
			break;
		}
		r = verify(ob, pfd, base, rep, err);
		close(pfd);
		if (r == 0 && find_dangling(q, ob, rep) < 0)
			r = err_set(err, -ENOMEM, "out of memory");
		if (r == 0) {
			ob->state = OBJ_RESTORED;
			rep->n_restored++;
			r = append(q, json_pack("{s:s, s:I}", "event", "restored", "n", (json_int_t)ob->n), err);
		}
	}
	if (r == -ENOMEM && !err->msg[0])
		err_set(err, r, "out of memory");
	return r;
}

void quarantine_report_free(struct quarantine_report *rep)
{
	for (size_t i = 0; rep->notes && rep->notes[i]; i++)
		free(rep->notes[i]);
	free(rep->notes);
	for (size_t i = 0; rep->dangling && rep->dangling[i]; i++)
		free(rep->dangling[i]);
	free(rep->dangling);
	*rep = (struct quarantine_report){ 0 };
}
