/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spool: the documents not yet delivered, one file each in the spool directory,
 * named <20-digit nanoseconds>-<16 hex>.spool so that the oldest sorts first. A
 * file is one metadata line then the document's bytes, exactly as submitted:
 *
 *   {"schema":"excise.spool/1","kind":"report","machine_id":..,"url":..|null,"name":..,
 *    "sha256":..,"created":<unix>,"attempts":n,"next_try":<unix>,"keep":false,"last_error":..|null}
 *   {...the document...}
 *
 * Every file is written whole (excise_output_open_at: a temporary name, fsync,
 * rename, the directory fsynced), mode 0600. The spool is locked (flock on .lock)
 * while a command adds to or flushes it. rejected/ keeps what a collector refused,
 * in the same format with the reason in last_error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/root.h"
#include "excise/output.h"

#define SPOOL_SCHEMA "excise.spool/1"
#define SPOOL_SUFFIX ".spool"
#define REJECTED_DIR "rejected"

static void new_name(char out[SPOOL_FILE_MAX], uint64_t after);

unsigned excise_agent_backoff(unsigned attempts, unsigned base, unsigned cap, uint32_t rnd)
{
	if (!base)
		base = EXCISE_AGENT_BACKOFF_BASE;
	if (!cap)
		cap = EXCISE_AGENT_BACKOFF_CAP;
	if (attempts < 1)
		attempts = 1;
	uint64_t ceil = base;
	for (unsigned i = 1; i < attempts && ceil < cap; i++)
		ceil *= 2;
	if (ceil > cap)
		ceil = cap;
	/* full jitter: uniform over [0, ceil] */
	return (unsigned)((ceil * (uint64_t)rnd + UINT32_MAX / 2) / UINT32_MAX);
}

void spool_meta_done(struct spool_meta *m)
{
	free(m->machine_id);
	free(m->url);
	free(m->name);
	free(m->last_error);
	*m = (struct spool_meta){ 0 };
}

void spool_close(struct spool *s)
{
	for (size_t i = 0; i < s->n; i++)
		spool_meta_done(&s->v[i].meta);
	free(s->v);
	free(s->dir);
	if (s->fd >= 0)
		close(s->fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	*s = (struct spool){ .fd = -1, .lock_fd = -1 };
}

static bool spool_name_ok(const char *n)
{
	/* 20 digits, '-', 16 hex, ".spool" */
	if (strlen(n) != 20 + 1 + 16 + sizeof(SPOOL_SUFFIX) - 1)
		return false;
	for (int i = 0; i < 20; i++)
		if (n[i] < '0' || n[i] > '9')
			return false;
	if (n[20] != '-')
		return false;
	for (int i = 21; i < 37; i++)
		if (!strchr("0123456789abcdef", n[i]))
			return false;
	return strcmp(n + 37, SPOOL_SUFFIX) == 0;
}

static char *json_dup(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? strdup(s) : NULL;
}

int spool_meta_parse(const char *label, const char *line, size_t len, struct spool_meta *m, struct excise_err *err)
{
	*m = (struct spool_meta){ 0 };
	struct doc d;
	doc_init(&d, "spool file", label, err);
	json_t *j = NULL;
	int r = doc_load(&d, line, len, EXCISE_MAX_SPOOL_META, &j);
	if (r < 0)
		return r;
	const char *schema = json_string_value(json_object_get(j, "schema"));
	const char *kind = json_string_value(json_object_get(j, "kind"));
	const char *sha = json_string_value(json_object_get(j, "sha256"));
	json_t *created = json_object_get(j, "created"), *next = json_object_get(j, "next_try"),
	       *att = json_object_get(j, "attempts");
	if (!schema || strcmp(schema, SPOOL_SCHEMA) != 0)
		r = doc_fail(&d, "/schema: expected \"%s\"", SPOOL_SCHEMA);
	else if (!kind || !*kind || strlen(kind) >= sizeof(m->kind))
		r = doc_fail(&d, "/kind: expected a document kind");
	else if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		r = doc_fail(&d, "/sha256: expected 64 hex digits");
	else if (!json_is_integer(created) || !json_is_integer(next) || !json_is_integer(att) ||
		 json_integer_value(att) < 0 || json_integer_value(att) > 1000000)
		r = doc_fail(&d, "/created, /next_try, /attempts: expected integers");
	if (r >= 0) {
		strcpy(m->kind, kind);
		strcpy(m->sha256, sha);
		m->created = json_integer_value(created);
		m->next_try = json_integer_value(next);
		m->attempts = (unsigned)json_integer_value(att);
		m->keep = json_is_true(json_object_get(j, "keep"));
		m->machine_id = json_dup(j, "machine_id");
		m->url = json_dup(j, "url");
		m->name = json_dup(j, "name");
		m->last_error = json_dup(j, "last_error");
		if (!m->machine_id)
			r = doc_fail(&d, "/machine_id: missing");
	}
	json_decref(j);
	if (r < 0)
		spool_meta_done(m);
	return r;
}

/* The metadata line of `m`, with its newline. */
static char *meta_line(const struct spool_meta *m)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s,s:I,s:I,s:I,s:b,s:s?}", "schema", SPOOL_SCHEMA, "kind",
			      m->kind, "machine_id", m->machine_id, "url", m->url, "name", m->name, "sha256", m->sha256,
			      "created", (json_int_t)m->created, "attempts", (json_int_t)m->attempts, "next_try",
			      (json_int_t)m->next_try, "keep", m->keep, "last_error", m->last_error);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	char *line = NULL;
	if (s && asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	free(s);
	return line;
}

/* Open `file` of the directory `dfd` and read its first `max` bytes at most. */
static int read_head(int dfd, const char *file, size_t max, char **ret, size_t *ret_len, uint64_t *ret_size)
{
	int fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EXCISE_E_SPECIAL;
	}
	size_t want = (uint64_t)st.st_size < max ? (size_t)st.st_size : max;
	char *b = malloc(want + 1);
	ssize_t n = b ? pread(fd, b, want, 0) : -1;
	int e = errno;
	close(fd);
	if (n < 0) {
		free(b);
		return b ? -e : -ENOMEM;
	}
	b[n] = 0;
	*ret = b;
	*ret_len = (size_t)n;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct spool_entry *)a)->file, ((const struct spool_entry *)b)->file);
}

int spool_open(const struct excise_agent_opts *o, struct spool *s, struct excise_err *err)
{
	*s = (struct spool){ .fd = -1, .lock_fd = -1 };
	const char *dir = o && o->spool_dir ? o->spool_dir : EXCISE_AGENT_SPOOL_DIR;
	if (!(s->dir = strdup(dir)))
		return err_set(err, -ENOMEM, "out of memory");
	int r = agent_dir_open(dir, err);
	if (r < 0) {
		spool_close(s);
		return r;
	}
	s->fd = r;
	s->lock_fd = openat(s->fd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX) < 0) {
		r = err_setc(err, -errno, "cannot lock the spool '%s'", dir);
		spool_close(s);
		return r;
	}
	int dfd = fcntl(s->fd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		r = err_setc(err, -errno, "cannot list the spool '%s'", dir);
		if (dfd >= 0)
			close(dfd);
		spool_close(s);
		return r;
	}
	rewinddir(d);
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!spool_name_ok(de->d_name))
			continue;
		if (s->n >= EXCISE_MAX_SPOOL_ENTRIES) {
			r = err_set(err, -EXCISE_E_LIMIT, "the spool '%s' holds over %u files", dir,
				    EXCISE_MAX_SPOOL_ENTRIES);
			break;
		}
		char *head = NULL;
		size_t hl = 0;
		uint64_t size = 0;
		if (read_head(s->fd, de->d_name, EXCISE_MAX_SPOOL_META, &head, &hl, &size) < 0)
			continue;
		char *nl = memchr(head, '\n', hl);
		struct spool_meta m;
		char label[512];
		snprintf(label, sizeof(label), "%s/%s", dir, de->d_name);
		if (!nl || spool_meta_parse(label, head, (size_t)(nl - head), &m, NULL) < 0) {
			free(head);
			continue;  /* not ours, or torn: left where it is */
		}
		free(head);
		if (s->n == cap) {
			cap = cap ? cap * 2 : 16;
			struct spool_entry *v = realloc(s->v, cap * sizeof(*v));
			if (!v) {
				spool_meta_done(&m);
				r = err_set(err, -ENOMEM, "out of memory");
				break;
			}
			s->v = v;
		}
		struct spool_entry *e = &s->v[s->n++];
		*e = (struct spool_entry){ .meta = m, .size = size };
		snprintf(e->file, sizeof(e->file), "%s", de->d_name);
	}
	closedir(d);
	if (r < 0) {
		spool_close(s);
		return r;
	}
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), entry_cmp);
	return 0;
}

long spool_plan_eviction(const struct spool *s, uint64_t max_bytes, unsigned max_files, const char *kind,
			 const char *machine_id, uint64_t new_len, size_t *out)
{
	if (new_len > max_bytes || max_files < 1)
		return -1;
	uint64_t bytes = new_len;
	size_t files = 1;
	for (size_t i = 0; i < s->n; i++)
		bytes += s->v[i].size;
	files += s->n;
	long n = 0;
	for (size_t i = 0; i < s->n && (bytes > max_bytes || files > max_files); i++) {
		const struct spool_entry *e = &s->v[i];
		if (strcmp(e->meta.kind, "report") != 0 || e->meta.keep)
			continue;
		/* superseded: a newer report of the same machine, spooled or the one being added */
		bool newer = strcmp(kind, "report") == 0 && strcmp(machine_id, e->meta.machine_id) == 0;
		for (size_t j = i + 1; j < s->n && !newer; j++)
			newer = strcmp(s->v[j].meta.kind, "report") == 0 &&
				strcmp(s->v[j].meta.machine_id, e->meta.machine_id) == 0;
		if (!newer)
			continue;
		out[n++] = i;
		bytes -= e->size;
		files--;
	}
	return bytes > max_bytes || files > max_files ? -1 : n;
}

/* Write `file` in the directory `dfd` (named `dir`): the metadata line, then the body. */
static int write_file(int dfd, const char *dir, const char *file, const struct spool_meta *m, const void *body,
		      size_t len, struct excise_err *err)
{
	char *line = meta_line(m);
	if (!line)
		return err_set(err, -ENOMEM, "out of memory");
	struct excise_output *out;
	FILE *f;
	int r = excise_output_open_at(dfd, dir, file, 0600, &out, &f, err);
	if (r >= 0) {
		size_t ll = strlen(line);
		if (fwrite(line, 1, ll, f) != ll || (len && fwrite(body, 1, len, f) != len)) {
			r = err_setc(err, -EIO, "cannot write '%s/%s'", dir, file);
			excise_output_abort(out);
		} else {
			r = excise_output_commit(out, err);
		}
	}
	free(line);
	return r;
}

static int meta_copy(struct spool_meta *dst, const struct spool_meta *m)
{
	*dst = *m;
	dst->machine_id = m->machine_id ? strdup(m->machine_id) : NULL;
	dst->url = m->url ? strdup(m->url) : NULL;
	dst->name = m->name ? strdup(m->name) : NULL;
	dst->last_error = m->last_error ? strdup(m->last_error) : NULL;
	if ((m->machine_id && !dst->machine_id) || (m->url && !dst->url) || (m->name && !dst->name) ||
	    (m->last_error && !dst->last_error)) {
		spool_meta_done(dst);
		return -ENOMEM;
	}
	return 0;
}

int spool_add(struct spool *s, const struct excise_agent_opts *o, const struct spool_meta *m, const void *body,
	      size_t len, char *ret_file, char ***evicted, struct excise_err *err)
{
	if (evicted)
		*evicted = NULL;
	/* the same document of the same machine already waiting: nothing to add */
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].meta.sha256, m->sha256) == 0 && strcmp(s->v[i].meta.machine_id, m->machine_id) == 0) {
			snprintf(ret_file, SPOOL_FILE_MAX, "%s", s->v[i].file);
			return 0;
		}
	uint64_t max_bytes = o && o->spool_max_bytes ? o->spool_max_bytes : EXCISE_AGENT_SPOOL_BYTES;
	unsigned max_files = o && o->spool_max_files ? o->spool_max_files : EXCISE_AGENT_SPOOL_FILES;
	char *line = meta_line(m);
	if (!line)
		return err_set(err, -ENOMEM, "out of memory");
	uint64_t size = strlen(line) + len;
	free(line);
	size_t *ev = s->n ? calloc(s->n, sizeof(*ev)) : NULL;
	if (s->n && !ev)
		return err_set(err, -ENOMEM, "out of memory");
	long nev = spool_plan_eviction(s, max_bytes, max_files, m->kind, m->machine_id, size, ev);
	if (nev < 0) {
		free(ev);
		return err_set(err, -EXCISE_E_BUSY, "the spool '%s' is full (%zu files, at most %u files and %" PRIu64
			       " bytes) of documents that are never evicted (plans, removals, attestations, the "
			       "newest report of each machine): the %s was not spooled", s->dir, s->n, max_files,
			       max_bytes, m->kind);
	}
	char **names = evicted && nev ? calloc((size_t)nev + 1, sizeof(*names)) : NULL;
	int r = 0;
	for (long i = nev - 1; i >= 0; i--) {
		struct spool_entry *e = &s->v[ev[i]];
		if (unlinkat(s->fd, e->file, 0) < 0 && errno != ENOENT) {
			r = err_setc(err, -errno, "cannot evict '%s/%s'", s->dir, e->file);
			break;
		}
		if (names)
			names[i] = strdup(e->file);
		spool_meta_done(&e->meta);
		memmove(e, e + 1, (s->n - ev[i] - 1) * sizeof(*e));
		s->n--;
	}
	free(ev);
	if (evicted)
		*evicted = names;
	else
		free(names);
	if (r < 0)
		return r;
	/* after every name there: the clock in nanoseconds, past the newest */
	struct spool_entry e = { .size = size };
	new_name(e.file, s->n ? strtoull(s->v[s->n - 1].file, NULL, 10) : 0);
	if ((r = write_file(s->fd, s->dir, e.file, m, body, len, err)) < 0)
		return r;
	struct spool_entry *v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v || meta_copy(&e.meta, m) < 0) {
		if (v)
			s->v = v;
		return err_set(err, -ENOMEM, "out of memory");
	}
	s->v = v;
	s->v[s->n++] = e;
	snprintf(ret_file, SPOOL_FILE_MAX, "%s", e.file);
	return 0;
}

int spool_read_body(struct spool *s, const struct spool_entry *e, char **ret, size_t *ret_len, struct excise_err *err)
{
	*ret = NULL;
	*ret_len = 0;
	int fd = openat(s->fd, e->file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_setc(err, -errno, "cannot read '%s/%s'", s->dir, e->file);
	char *data = NULL;
	size_t len = 0;
	int r = read_fd_all(fd, EXCISE_MAX_SUBMIT_SIZE + EXCISE_MAX_SPOOL_META, &data, &len);
	close(fd);
	if (r < 0)
		return err_setc(err, r, "cannot read '%s/%s'", s->dir, e->file);
	char *nl = memchr(data, '\n', len);
	if (!nl) {
		free(data);
		return err_set(err, -EXCISE_E_CORRUPT, "spool file '%s/%s': no metadata line", s->dir, e->file);
	}
	size_t off = (size_t)(nl - data) + 1;
	memmove(data, data + off, len - off);
	data[len - off] = 0;
	*ret = data;
	*ret_len = len - off;
	return 0;
}

int spool_update(struct spool *s, struct spool_entry *e, struct excise_err *err)
{
	char *body;
	size_t len;
	int r = spool_read_body(s, e, &body, &len, err);
	if (r < 0)
		return r;
	r = write_file(s->fd, s->dir, e->file, &e->meta, body, len, err);
	free(body);
	return r;
}

int spool_remove(struct spool *s, struct spool_entry *e, struct excise_err *err)
{
	if (unlinkat(s->fd, e->file, 0) < 0 && errno != ENOENT)
		return err_setc(err, -errno, "cannot remove '%s/%s'", s->dir, e->file);
	(void)fsync(s->fd);
	return 0;
}

static int rejected_open(struct spool *s, char **ret_dir, struct excise_err *err)
{
	if (asprintf(ret_dir, "%s/%s", s->dir, REJECTED_DIR) < 0) {
		*ret_dir = NULL;
		return err_set(err, -ENOMEM, "out of memory");
	}
	int fd;
	if (mkdirat(s->fd, REJECTED_DIR, 0700) < 0 && errno != EEXIST)
		fd = err_setc(err, -errno, "cannot make '%s'", *ret_dir);
	else if ((fd = openat(s->fd, REJECTED_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		fd = err_setc(err, -errno, "cannot open '%s'", *ret_dir);
	if (fd < 0) {
		free(*ret_dir);
		*ret_dir = NULL;
	}
	return fd;
}

static void new_name(char out[SPOOL_FILE_MAX], uint64_t after)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (ns <= after)
		ns = after + 1;
	snprintf(out, SPOOL_FILE_MAX, "%020" PRIu64 "-%08x%08x%s", ns, agent_random(), agent_random(), SPOOL_SUFFIX);
}

int spool_add_rejected(struct spool *s, const struct spool_meta *m, const void *body, size_t len, char *ret_file,
		       struct excise_err *err)
{
	char *rdir;
	int rfd = rejected_open(s, &rdir, err);
	if (rfd < 0)
		return rfd;
	new_name(ret_file, 0);
	int r = write_file(rfd, rdir, ret_file, m, body, len, err);
	close(rfd);
	free(rdir);
	return r;
}

int spool_reject(struct spool *s, struct spool_entry *e, const char *reason, struct excise_err *err)
{
	char *body;
	size_t len;
	int r = spool_read_body(s, e, &body, &len, err);
	if (r < 0)
		return r;
	char *rdir = NULL;
	int rfd = rejected_open(s, &rdir, err);
	if (rfd < 0)
		r = rfd;
	if (r >= 0) {
		free(e->meta.last_error);
		e->meta.last_error = strdup(reason);
		r = write_file(rfd, rdir, e->file, &e->meta, body, len, err);
	}
	if (r >= 0)
		r = spool_remove(s, e, err);
	if (rfd >= 0)
		close(rfd);
	free(rdir);
	free(body);
	return r;
}
