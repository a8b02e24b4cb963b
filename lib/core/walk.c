/* SPDX-License-Identifier: Apache-2.0 */
/* walk: multi-threaded getdents64 directory walker with a bounded fd cache. */
#include "core/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/limits.h"

#define WALK_BUF_SIZE (64u << 10)

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* One directory: pending on the stack, being read, or an ancestor of such. */
struct wnode {
	struct wnode *parent;
	char *path;                  /* full path; freed once the directory has been read */
	size_t path_len;
	unsigned depth;
	dev_t dev;
	ino_t ino;
	unsigned refs;               /* itself until read, plus one per live child node */
	int fd;                      /* -1 when not open */
	unsigned pins;               /* users of fd; a pinned fd is never evicted */
	struct wnode *lru_prev, *lru_next; /* in the LRU list iff fd >= 0 && pins == 0 */
	size_t name_len;
	char name[];
};

struct walker {
	const struct root *root;
	const struct walk_opts *o;
	unsigned max_depth;
	unsigned max_fds;
	uint64_t progress_every;
	dev_t start_dev;
	uint64_t start_mnt;          /* mount id of the start (statx STATX_MNT_ID), 0 when unknown */
	atomic_bool noatime;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wnode **stack;
	size_t n_stack, cap_stack;
	unsigned active;
	unsigned idle;               /* workers waiting on cv */
	int abort;                   /* first fatal code, 0 while running */

	struct wnode *lru_head, *lru_tail; /* head = most recently used */
	unsigned n_open;             /* cached fds (the start directory excluded) */

	atomic_uint_fast64_t entries, dirs, errors, vanished, other_fs, reopened;
};

struct worker {
	struct walker *w;
	char *buf;                   /* getdents64 buffer */
	char *path;                  /* the current entry's path */
	size_t path_cap;
	struct wnode **kids;         /* subdirectories of the directory being read */
	size_t n_kids, cap_kids;
	uint64_t since_progress;
};

/* ---- fd cache (all under w->mu) ---- */

static void lru_unlink(struct walker *w, struct wnode *n)
{
	if (n->lru_prev)
		n->lru_prev->lru_next = n->lru_next;
	else
		w->lru_head = n->lru_next;
	if (n->lru_next)
		n->lru_next->lru_prev = n->lru_prev;
	else
		w->lru_tail = n->lru_prev;
	n->lru_prev = n->lru_next = NULL;
}

static void lru_push(struct walker *w, struct wnode *n)
{
	n->lru_prev = NULL;
	n->lru_next = w->lru_head;
	if (w->lru_head)
		w->lru_head->lru_prev = n;
	w->lru_head = n;
	if (!w->lru_tail)
		w->lru_tail = n;
}

static void evict_some(struct walker *w)
{
	while (w->n_open > w->max_fds && w->lru_tail) {
		struct wnode *v = w->lru_tail;
		lru_unlink(w, v);
		close(v->fd);
		v->fd = -1;
		w->n_open--;
	}
}

/* A node's fd just opened: account it, pinned or in the LRU. */
static void cache_add(struct walker *w, struct wnode *n, int fd, bool pin)
{
	n->fd = fd;
	w->n_open++;
	if (pin)
		n->pins++;
	else
		lru_push(w, n);
	evict_some(w);
}

static void pin(struct walker *w, struct wnode *n)
{
	if (n->pins++ == 0 && n->parent)
		lru_unlink(w, n);
}

static void unpin(struct walker *w, struct wnode *n)
{
	if (--n->pins == 0 && n->parent) {
		lru_push(w, n);
		evict_some(w);
	}
}

static void node_unref(struct walker *w, struct wnode *n)
{
	while (n && --n->refs == 0) {
		struct wnode *p = n->parent;
		if (n->fd >= 0) {
			if (p) {
				/* the start node's fd is the caller's to close */
				if (n->pins == 0)
					lru_unlink(w, n);
				close(n->fd);
				w->n_open--;
			}
		}
		free(n->path);
		free(n);
		n = p;
	}
}

static int open_flags(struct walker *w)
{
	int f = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	if (atomic_load_explicit(&w->noatime, memory_order_relaxed))
		f |= O_NOATIME;
	return f;
}

static int open_dir_at(struct walker *w, int dfd, const char *name)
{
	for (;;) {
		int f = open_flags(w);
		int fd = openat(dfd, name, f);
		if (fd >= 0)
			return fd;
		if (errno == EPERM && (f & O_NOATIME)) {
			/* O_NOATIME needs ownership or CAP_FOWNER: stop asking. */
			atomic_store(&w->noatime, false);
			continue;
		}
		if (errno == EINTR)
			continue;
		return neg_errno();
	}
}

/*
 * Make sure `n` has an open fd and pin it. When it was evicted, reopen it from
 * the nearest open ancestor, level by level, checking every level is still the
 * directory first seen there. Called and returns with w->mu held.
 */
static int acquire(struct walker *w, struct wnode *n)
{
	if (n->fd >= 0) {
		pin(w, n);
		return n->fd;
	}
	size_t k = 0;
	for (struct wnode *a = n; a->fd < 0; a = a->parent)
		k++;
	struct wnode **chain = malloc(k * sizeof(*chain));
	if (!chain)
		return -ENOMEM;
	size_t i = k;
	for (struct wnode *a = n; a->fd < 0; a = a->parent)
		chain[--i] = a;
	struct wnode *prev = chain[0]->parent;
	pin(w, prev);
	int r = 0;
	for (i = 0; i < k; i++) {
		struct wnode *c = chain[i];
		int fd = open_dir_at(w, prev->fd, c->name);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) < 0) {
			r = neg_errno();
			close(fd);
			break;
		}
		if (fd < 0) {
			r = fd;
			break;
		}
		if (st.st_dev != c->dev || st.st_ino != c->ino) {
			close(fd);
			r = -ESTALE;
			break;
		}
		atomic_fetch_add_explicit(&w->reopened, 1, memory_order_relaxed);
		cache_add(w, c, fd, true);
		unpin(w, prev);
		prev = c;
	}
	free(chain);
	if (r < 0) {
		unpin(w, prev);
		return r;
	}
	return n->fd;
}

/* ---- errors and progress ---- */

/* The mount id of `fd` (statx STATX_MNT_ID, Linux 5.8), or 0 when unknown. */
static uint64_t mount_id(int fd)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}

static void item_error(struct walker *w, int code, const char *path, const char *what)
{
	atomic_fetch_add_explicit(&w->errors, 1, memory_order_relaxed);
	if (w->o->error)
		w->o->error(w->o->error_userdata ? w->o->error_userdata : w->o->userdata, code, path, what);
}

static void count_entries(struct worker *t, uint64_t n)
{
	struct walker *w = t->w;
	uint64_t total = atomic_fetch_add_explicit(&w->entries, n, memory_order_relaxed) + n;
	t->since_progress += n;
	if (w->o->progress && t->since_progress >= w->progress_every) {
		t->since_progress = 0;
		w->o->progress(w->o->userdata, total,
			       atomic_load_explicit(&w->dirs, memory_order_relaxed));
	}
}

/* ---- reading one directory ---- */

static int path_reserve(struct worker *t, size_t need)
{
	if (need <= t->path_cap)
		return 0;
	size_t cap = t->path_cap ? t->path_cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(t->path, cap);
	if (!p)
		return -ENOMEM;
	t->path = p;
	t->path_cap = cap;
	return 0;
}

static unsigned char mode_to_dt(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR: return DT_DIR;
	case S_IFREG: return DT_REG;
	case S_IFLNK: return DT_LNK;
	case S_IFIFO: return DT_FIFO;
	case S_IFSOCK: return DT_SOCK;
	case S_IFCHR: return DT_CHR;
	case S_IFBLK: return DT_BLK;
	default: return DT_UNKNOWN;
	}
}

static int add_kid(struct worker *t, struct wnode *parent, const char *name, size_t name_len,
		   const char *path, size_t path_len)
{
	if (t->n_kids == t->cap_kids) {
		size_t cap = t->cap_kids ? t->cap_kids * 2 : 64;
		struct wnode **v = realloc(t->kids, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->kids = v;
		t->cap_kids = cap;
	}
	struct wnode *c = malloc(sizeof(*c) + name_len + 1);
	if (!c)
		return -ENOMEM;
	*c = (struct wnode){ .parent = parent, .depth = parent->depth + 1, .refs = 1, .fd = -1,
			     .name_len = name_len, .path_len = path_len };
	memcpy(c->name, name, name_len + 1);
	c->path = malloc(path_len + 1);
	if (!c->path) {
		free(c);
		return -ENOMEM;
	}
	memcpy(c->path, path, path_len + 1);
	t->kids[t->n_kids++] = c;
	return 0;
}

/* Read the open directory `n` (fd), calling back for each entry and collecting subdirectories. */
static int read_dir(struct worker *t, struct wnode *n, int fd)
{
	struct walker *w = t->w;
	const struct walk_opts *o = w->o;
	size_t dir_len = n->path_len;
	/* prefix: the directory's path and a slash (the root is just "/") */
	size_t pre = dir_len == 1 && n->path[0] == '/' ? 1 : dir_len + 1;
	int r = path_reserve(t, pre + 256);
	if (r < 0)
		return r;
	memcpy(t->path, n->path, dir_len);
	t->path[pre - 1] = '/';
	uint64_t count = 0;
	uintptr_t dir_data = 0;
	bool too_deep = n->depth + 1 > w->max_depth;
	for (;;) {
		long k = syscall(SYS_getdents64, fd, t->buf, WALK_BUF_SIZE);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			item_error(w, neg_errno(), n->path, "reading directory");
			break;
		}
		if (k == 0)
			break;
		for (long off = 0; off < k;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(t->buf + off);
			off += d->d_reclen;
			const char *name = d->d_name;
			if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
				continue;
			size_t nl = strlen(name);
			unsigned char type = d->d_type;
			if (type == DT_UNKNOWN) {
				struct stat st;
				if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
					if (errno != ENOENT) {
						if (path_reserve(t, pre + nl + 1) < 0)
							return -ENOMEM;
						memcpy(t->path + pre, name, nl + 1);
						item_error(w, neg_errno(), t->path, "stat");
					}
					continue;
				}
				type = mode_to_dt(st.st_mode);
			}
			if (pre + nl + 1 > t->path_cap && path_reserve(t, pre + nl + 1) < 0)
				return -ENOMEM;
			memcpy(t->path + pre, name, nl + 1);
			struct walk_entry e = {
				.path = t->path, .path_len = pre + nl, .name = t->path + pre,
				.name_len = nl, .dir_len = dir_len, .type = type,
				.depth = n->depth + 1, .dir_fd = fd, .dir_data = &dir_data,
			};
			count++;
			r = o->entry(o->userdata, &e);
			if (r < 0)
				return r;
			if (type != DT_DIR || r == WALK_SKIP)
				continue;
			if (too_deep) {
				item_error(w, -EXCISE_E_LIMIT, t->path,
					   "directory deeper than the walk's depth limit");
				continue;
			}
			r = add_kid(t, n, t->path + pre, nl, t->path, pre + nl);
			if (r < 0)
				return r;
		}
		if (count >= 4096) {
			count_entries(t, count);
			count = 0;
		}
	}
	if (count)
		count_entries(t, count);
	return 0;
}

/*
 * Open (unless it is the start), check and read `n`; then, under w->mu (held on
 * return, so the caller can take the next node in the same critical section),
 * unpin its parent and publish its subdirectories. `pfd` is the parent's fd,
 * pinned by the caller with acquire(), or the error acquire() returned.
 */
static int process(struct worker *t, struct wnode *n, int pfd)
{
	struct walker *w = t->w;
	int fd = -1, r = 0;
	bool is_start = !n->parent;
	bool pinned = !is_start && pfd >= 0;
	if (is_start) {
		fd = n->fd;
	} else if (pfd < 0) {
		if (pfd == -ENOMEM) {
			r = pfd;
			goto done;
		}
		item_error(w, pfd, n->path, pfd == -ESTALE ?
			   "a parent directory was replaced during the scan" :
			   "reopening a parent directory");
		goto done;
	} else {
		fd = open_dir_at(w, pfd, n->name);
		if (fd == -ENOENT || fd == -ENOTDIR) {
			atomic_fetch_add_explicit(&w->vanished, 1, memory_order_relaxed);
			goto done;
		}
		if (fd < 0) {
			item_error(w, fd, n->path, fd == -ELOOP ?
				   "directory replaced by a symlink during the scan" :
				   "opening directory");
			goto done;
		}
		struct stat st;
		if (fstat(fd, &st) < 0) {
			item_error(w, neg_errno(), n->path, "stat of directory");
			close(fd);
			fd = -1;
			goto done;
		}
		n->dev = st.st_dev;
		n->ino = st.st_ino;
		if (st.st_dev != w->start_dev && !(w->o->flags & WALK_XDEV)) {
			atomic_fetch_add_explicit(&w->other_fs, 1, memory_order_relaxed);
			close(fd);
			fd = -1;
			goto done;
		}
		if (w->start_mnt && !(w->o->flags & WALK_XDEV) && mount_id(fd) != w->start_mnt) {
			/* the same filesystem mounted again here (a bind mount): what it shows
			 * may come from outside the root, and is not walked */
			atomic_fetch_add_explicit(&w->other_fs, 1, memory_order_relaxed);
			item_error(w, -EXDEV, n->path, "another mount of the same filesystem (a bind mount), "
				   "not walked");
			close(fd);
			fd = -1;
			goto done;
		}
	}
	atomic_fetch_add_explicit(&w->dirs, 1, memory_order_relaxed);
	r = read_dir(t, n, fd);
done:
	free(n->path);
	n->path = NULL;
	pthread_mutex_lock(&w->mu);
	if (pinned)
		unpin(w, n->parent);
	if (t->n_kids && r >= 0) {
		if (w->n_stack + t->n_kids > w->cap_stack) {
			size_t cap = w->cap_stack ? w->cap_stack : 256;
			while (cap < w->n_stack + t->n_kids)
				cap *= 2;
			struct wnode **s = realloc(w->stack, cap * sizeof(*s));
			if (!s) {
				r = -ENOMEM;
				goto out;
			}
			w->stack = s;
			w->cap_stack = cap;
		}
		/* reversed, so the first listed is read first */
		for (size_t i = t->n_kids; i-- > 0;)
			w->stack[w->n_stack++] = t->kids[i];
		n->refs += (unsigned)t->n_kids;
		t->n_kids = 0;
		if (!is_start && fd >= 0) {
			cache_add(w, n, fd, false);
			fd = -1;
		}
		if (w->idle)
			pthread_cond_broadcast(&w->cv);
	}
out:
	if (!is_start && fd >= 0)
		close(fd);
	node_unref(w, n);
	return r;
}

static void drop_kids(struct worker *t)
{
	for (size_t i = 0; i < t->n_kids; i++) {
		free(t->kids[i]->path);
		free(t->kids[i]);
	}
	t->n_kids = 0;
}

static void *worker_main(void *arg)
{
	struct worker *t = arg;
	struct walker *w = t->w;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		if (w->abort)
			break;
		if (w->n_stack == 0) {
			if (w->active == 0)
				break;
			w->idle++;
			pthread_cond_wait(&w->cv, &w->mu);
			w->idle--;
			continue;
		}
		/* One critical section a directory: take it, pin its parent's fd. */
		struct wnode *n = w->stack[--w->n_stack];
		w->active++;
		int pfd = acquire(w, n->parent);
		pthread_mutex_unlock(&w->mu);
		int r = process(t, n, pfd);
		if (r < 0) {
			drop_kids(t);
			if (!w->abort)
				w->abort = r;
			pthread_cond_broadcast(&w->cv);
		}
		w->active--;
		if (w->n_stack == 0 && w->active == 0 && w->idle)
			pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static unsigned default_max_fds(void)
{
	struct rlimit rl;
	unsigned m = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 2 < m)
		m = (unsigned)(rl.rlim_cur / 2);
	return m < 4 ? 4 : m;
}

int walk_run(const struct root *r, const char *start, const struct walk_opts *opts,
	     struct walk_stats *stats)
{
	if (!opts || !opts->entry || !start || start[0] != '/')
		return -EXCISE_E_USAGE;
	int fd = root_openat(r, start, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = neg_errno();
		close(fd);
		return e;
	}
	size_t slen = strlen(start);
	while (slen > 1 && start[slen - 1] == '/')
		slen--;
	struct wnode *top = calloc(1, sizeof(*top) + 1);
	char *tpath = strndup(start, slen);
	if (!top || !tpath) {
		free(top);
		free(tpath);
		close(fd);
		return -ENOMEM;
	}
	*top = (struct wnode){ .path = tpath, .path_len = slen, .dev = st.st_dev, .ino = st.st_ino,
			       .refs = 1, .fd = fd, .pins = 1 };

	struct walker w = {
		.root = r, .o = opts,
		.max_depth = opts->max_depth ? opts->max_depth : EXCISE_MAX_WALK_DEPTH,
		.max_fds = opts->max_fds ? opts->max_fds : default_max_fds(),
		.progress_every = opts->progress_every ? opts->progress_every : 65536,
		.start_dev = st.st_dev,
		.start_mnt = mount_id(fd),
	};
	atomic_init(&w.noatime, true);
	/* Critical sections are a few list operations: spin a little before sleeping. */
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&w.mu, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_cond_init(&w.cv, NULL);

	unsigned nt = opts->threads ? opts->threads : 2;
	if (nt > EXCISE_MAX_WALK_THREADS)
		nt = EXCISE_MAX_WALK_THREADS;
	struct worker *ws = calloc(nt, sizeof(*ws));
	pthread_t *tids = calloc(nt, sizeof(*tids));
	int ret = 0;
	if (!ws || !tids) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < nt; i++) {
		ws[i].w = &w;
		ws[i].buf = malloc(WALK_BUF_SIZE);
		if (!ws[i].buf) {
			ret = -ENOMEM;
			goto out;
		}
	}
	/* The calling thread reads the start directory, then joins the pool. */
	w.active = 1;
	ret = process(&ws[0], top, -1);
	top = NULL; /* the node tree frees it with its last child */
	w.active = 0;
	if (ret < 0 && !w.abort)
		w.abort = ret;
	pthread_mutex_unlock(&w.mu);
	unsigned started = 1;
	for (unsigned i = 1; i < nt && !w.abort; i++) {
		if (pthread_create(&tids[i], NULL, worker_main, &ws[i]) != 0)
			break; /* fewer threads: still correct */
		started++;
	}
	worker_main(&ws[0]);
	for (unsigned i = 1; i < started; i++)
		pthread_join(tids[i], NULL);
	ret = w.abort;
	/* After an abort, nodes left on the stack (and their ancestors) are freed here. */
	for (size_t i = 0; i < w.n_stack; i++)
		node_unref(&w, w.stack[i]);
	w.n_stack = 0;
out:
	if (top) {
		free(top->path);
		free(top);
	}
	if (ws) {
		for (unsigned i = 0; i < nt; i++) {
			drop_kids(&ws[i]);
			free(ws[i].buf);
			free(ws[i].path);
			free(ws[i].kids);
		}
	}
	free(ws);
	free(tids);
	free(w.stack);
	close(fd);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	if (stats)
		*stats = (struct walk_stats){
			.entries = atomic_load(&w.entries), .dirs = atomic_load(&w.dirs),
			.errors = atomic_load(&w.errors), .vanished = atomic_load(&w.vanished),
			.other_fs = atomic_load(&w.other_fs), .reopened = atomic_load(&w.reopened),
		};
	return ret;
}

const char *walk_link_target(const struct walk_entry *e, char *buf, size_t size)
{
	if (e->type != DT_LNK || size == 0)
		return NULL;
	ssize_t k = readlinkat(e->dir_fd, e->name, buf, size - 1);
	if (k < 0)
		return NULL;
	buf[k] = 0;
	return buf;
}
