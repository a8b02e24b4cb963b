/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rpm source: the packages recorded in the root's RPM database.
 *
 * The database (SQLite rpmdb.sqlite, NDB Packages.db or Berkeley DB Packages)
 * is never opened in place: its files are opened inside the root (confined,
 * no symlink as the last component, regular files only), copied into a
 * private temporary directory (mkdtemp: 0700; at most EXCISE_MAX_RPMDB_SIZE
 * bytes; removed on every exit path, excise killed included, by a janitor
 * process), and librpm reads the copy. So nothing in the root is locked,
 * written or created (no -shm/-wal, .rpm.lock or __db.* files), and a hostile
 * database can only damage a throwaway copy. An SQLite copy is read only when
 * its schema holds plain tables and indexes (lib/parse/sqlitedb.h).
 *
 * Of several databases in one directory, the one rpm itself would read comes
 * first (its dbDetectBackend): the backend the image's macro files name
 * (%_db_backend, the last setting in rpm's order of /usr/lib/rpm/macros,
 * macros.d/, redhat/macros, /etc/rpm/macros.*, /etc/rpm/macros) when its file
 * is there, else the first there of SQLite, NDB, Berkeley DB. Any other is
 * reported (an item error) and read too: a decoy cannot hide the real one.
 *
 * librpm keeps global state (macros, log callback) and is not thread-safe:
 * every call into it happens under one mutex, the configuration is read once,
 * and the macros pushed for a run are popped after it. librpm's log messages
 * go to a callback that never prints; errors among them become the source's.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmtag.h>
#include <rpm/rpmts.h>

#include "core/buf.h"
#include "core/limits.h"
#include "parse/rpmdb.h"
#include "parse/sqlitedb.h"
#include "source/source.h"
#include "source/tree.h"

static pthread_mutex_t rpm_lock = PTHREAD_MUTEX_INITIALIZER;
static bool rpm_inited;
static int rpm_init_rc;
static char *rpm_backends;    /* librpm's "available backends" list, space-separated */

/* Messages librpm logged during one run; NULL between runs (they are dropped).
 * The private copy's directory is shown as the database directory it copies. */
static struct buf *log_sink;
static const char *log_tmp, *log_dir;

static int log_cb(rpmlogRec rec, rpmlogCallbackData data)
{
	(void)data;
	if (log_sink && rpmlogRecPriority(rec) <= RPMLOG_ERR) {
		const char *m = rpmlogRecMessage(rec);
		size_t n = m ? strlen(m) : 0;
		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		if (n > 0 && log_sink->n < EXCISE_MAX_RPM_LOG) {
			if (log_sink->n > 0)
				buf_adds(log_sink, "; ");
			size_t tl = log_tmp ? strlen(log_tmp) : 0;
			while (n > 0) {
				const char *t = tl ? memmem(m, n, log_tmp, tl) : NULL;
				size_t k = t ? (size_t)(t - m) : n;
				buf_add(log_sink, m, k);
				if (!t)
					break;
				buf_adds(log_sink, log_dir);
				m += k + tl;
				n -= k + tl;
			}
		}
	}
	return 0; /* never the default handler (it prints, and may exit) */
}

/* source_fail with errno's message. */
static int fail_errno(struct source_ctx *ctx, const char *path, const char *what)
{
	int e = neg_errno();
	return source_fail(ctx, e, "'%s': %s: %s", path, what, strerror(-e));
}

/*
 * librpm leaks its SQLite handle when it cannot open a database, so a copy
 * whose header already says it is damaged is refused before librpm sees it.
 * `tfd` is the private directory holding the copy.
 */
static int check_sqlite(struct source_ctx *ctx, int tfd, const char *dbfile)
{
	_cleanup_close_ int fd = openat(tfd, "rpmdb.sqlite", O_RDONLY | O_CLOEXEC);
	unsigned char h[100];
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return fail_errno(ctx, dbfile, "cannot read the private copy");
	struct stat wst;
	bool wal = fstatat(tfd, "rpmdb.sqlite-wal", &wst, 0) == 0 && wst.st_size > 0;
	ssize_t n = pread(fd, h, sizeof(h), 0);
	struct excise_err err = { 0 };
	int r = sqlitedb_check_header(dbfile, "SQLite RPM database", h, n > 0 ? (size_t)n : 0,
				      (uint64_t)st.st_size, wal, &err);
	return r < 0 ? source_fail(ctx, r, "%s", err.msg) : 0;
}

/* librpm reads an SQLite database with SQLite, whose schema can run code: the
 * private copy may hold only plain tables and indexes (parse/sqlitedb.h). */
static int check_schema(struct source_ctx *ctx, const char *tmp, const char *dbfile)
{
	_cleanup_free_ char *copy = path_join(tmp, "rpmdb.sqlite");
	if (!copy)
		return -ENOMEM;
	struct sqlitedb db;
	struct excise_err err = { 0 };
	int r = sqlitedb_open_file(dbfile, copy, &db, &err);
	if (r >= 0) {
		r = sqlitedb_check_schema(&db, dbfile, &err);
		sqlitedb_close(&db);
	}
	if (r < 0)
		return source_fail(ctx, r, "%s", err.msg);
	return 0;
}

/* Called with rpm_lock held. */
static int rpm_init(void)
{
	if (rpm_inited)
		return rpm_init_rc;
	rpm_inited = true;
	rpmlogSetCallback(log_cb, NULL);
	rpmlogSetMask(RPMLOG_UPTO(RPMLOG_ERR));
	if (rpmReadConfigFiles(NULL, NULL) != 0) {
		rpm_init_rc = -EXCISE_E_UNSUPPORTED;
		return rpm_init_rc;
	}
	/* librpm has no call that lists its backends; its --showrc text does. */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		rpm_init_rc = -ENOMEM;
		return rpm_init_rc;
	}
	rpmShowRC(f);
	if (fclose(f) != 0 || !text) {
		free(text);
		rpm_init_rc = -ENOMEM;
		return rpm_init_rc;
	}
	const char *p = strstr(text, "available backends");
	if (p && (p = strchr(p, ':'))) {
		p++;
		size_t n = strcspn(p, "\n");
		rpm_backends = strndup(p, n);
	}
	free(text);
	if (!rpm_backends)
		rpm_backends = strdup("");
	rpm_init_rc = rpm_backends ? 0 : -ENOMEM;
	return rpm_init_rc;
}

/* Called with rpm_lock held. */
static bool have_backend(const char *name)
{
	size_t n = strlen(name);
	for (const char *p = rpm_backends; p && *p;) {
		p += strspn(p, " \t");
		size_t w = strcspn(p, " \t");
		if (w == n && memcmp(p, name, n) == 0)
			return true;
		p += w;
	}
	return false;
}

/*
 * The scratch directory is removed on every exit path, this process killed
 * included: a child (the janitor) makes it, then waits on a pipe whose write end
 * only this process holds, and when it reads end-of-file (the read is done, or
 * this process died however it died, even before it learnt the directory's name)
 * removes what is in the directory and the directory. Because the janitor makes
 * it, there is no moment when the directory exists and nobody will remove it. It
 * calls only async-signal-safe functions and system calls (it is forked from a
 * process that may have threads), holds no other descriptor, and leaves the
 * process group so that a ^C or a kill of excise's group does not stop it.
 */
struct janitor {
	pid_t pid;
	int wfd;
};

static void janitor_clean(int dfd, const char *dir)
{
	char buf[4096];
	for (int pass = 0; pass < 64; pass++) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			off += de->d_reclen;
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				(void)unlinkat(dfd, de->d_name, 0);
		}
		(void)lseek(dfd, 0, SEEK_SET);
	}
	(void)rmdir(dir);
}

/* The janitor's mkdtemp: the template's last JANITOR_RANDOM characters (X's) made
 * random by getrandom(2), the directory made 0700; only system calls. */
#define JANITOR_RANDOM 6
static int janitor_mkdir(char *tmpl, size_t len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	for (int tries = 0; tries < 100; tries++) {
		unsigned char rnd[JANITOR_RANDOM];
		if (syscall(SYS_getrandom, rnd, sizeof(rnd), 0) != (long)sizeof(rnd))
			return -1;
		for (size_t i = 0; i < JANITOR_RANDOM; i++)
			tmpl[len - JANITOR_RANDOM + i] = set[rnd[i] % (sizeof(set) - 1)];
		if (mkdir(tmpl, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static void janitor_stop(struct janitor *j);

/* Start the janitor, which makes the directory `tmpl` names (its last X's replaced
 * by random characters, written back into `tmpl`). */
static int janitor_start(char *tmpl, struct janitor *j)
{
	size_t len = strlen(tmpl);
	if (len < JANITOR_RANDOM || strcmp(tmpl + len - JANITOR_RANDOM, "XXXXXX"))
		return -EINVAL;
	int p[2], q[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return neg_errno();
	if (pipe2(q, O_CLOEXEC) < 0) {
		int e = neg_errno();
		close(p[0]);
		close(p[1]);
		return e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = neg_errno();
		close(p[0]);
		close(p[1]);
		close(q[0]);
		close(q[1]);
		return e;
	}
	if (pid == 0) {
		/* the child: the pipe's read end as 0, the name's pipe as 1, nothing else;
		 * then the directory as 1 */
		if (dup2(p[0], 0) < 0 || dup2(q[1], 1) < 0)
			_exit(1);
		(void)close_range(2, ~0u, 0);
		(void)setsid();
		struct sigaction ign = { .sa_handler = SIG_IGN };
		sigaction(SIGINT, &ign, NULL);
		sigaction(SIGTERM, &ign, NULL);
		sigaction(SIGHUP, &ign, NULL);
		sigaction(SIGQUIT, &ign, NULL);
		sigaction(SIGPIPE, &ign, NULL);
		if (janitor_mkdir(tmpl, len) < 0)
			_exit(1);
		int dfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (dfd < 0) {
			(void)rmdir(tmpl);
			_exit(1);
		}
		if (write(1, tmpl + len - JANITOR_RANDOM, JANITOR_RANDOM) != JANITOR_RANDOM) {
			janitor_clean(dfd, tmpl);
			_exit(1);
		}
		if (dup2(dfd, 1) < 0)
			_exit(1);
		close(dfd);
		char c;
		while (read(0, &c, 1) < 0 && errno == EINTR)
			;
		janitor_clean(1, tmpl);
		_exit(0);
	}
	close(p[0]);
	close(q[1]);
	char got[JANITOR_RANDOM];
	size_t n = 0;
	while (n < sizeof(got)) {
		ssize_t k = read(q[0], got + n, sizeof(got) - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(q[0]);
	*j = (struct janitor){ .pid = pid, .wfd = p[1] };
	if (n < sizeof(got)) { /* it could not make the directory: it has ended */
		janitor_stop(j);
		return -EIO;
	}
	memcpy(tmpl + len - JANITOR_RANDOM, got, sizeof(got));
	return 0;
}

/* The read is over (the directory already removed): the janitor is let go and reaped. */
static void janitor_stop(struct janitor *j)
{
	if (j->pid <= 0)
		return;
	close(j->wfd);
	while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
		;
	j->pid = 0;
}

/* Remove the temporary copy and everything librpm may have created in it. */
static void remove_tmpdir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			(void)unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	(void)rmdir(dir);
}

static int too_big(struct source_ctx *ctx, const char *path)
{
	return source_fail(ctx, -EXCISE_E_TOOBIG,
			   "'%s': the RPM database is larger than %u bytes (EXCISE_MAX_RPMDB_SIZE), "
			   "not read", path, (unsigned)EXCISE_MAX_RPMDB_SIZE);
}

struct copy {
	int out;
	uint64_t *total;
	bool write_failed;
};

static int copy_chunk(const void *data, size_t len, void *userdata)
{
	struct copy *c = userdata;
	*c->total += len;
	if (*c->total > EXCISE_MAX_RPMDB_SIZE)
		return -EXCISE_E_TOOBIG;
	int r = write_fd_all(c->out, data, len);
	c->write_failed = r < 0;
	return r;
}

/* Copy one file of the database into the private directory `tfd`. */
static int copy_file(struct source_ctx *ctx, const char *path, const char *name, int tfd,
		     uint64_t *total, bool required)
{
	const struct root *root = source_root(ctx);
	_cleanup_close_ int fd = root_open_file(root, path, O_RDONLY | O_NOFOLLOW, NULL);
	if (fd < 0) {
		if (fd == -ENOENT && !required)
			return 0;
		if (fd == -ELOOP)
			return source_fail(ctx, -EXCISE_E_SYMLINK,
					   "'%s': a symlink in the RPM database directory, not read", path);
		return source_fail(ctx, fd, "'%s': cannot open: %s", path, excise_strerror(fd));
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return fail_errno(ctx, path, "cannot stat");
	if (!S_ISREG(st.st_mode))
		return source_fail(ctx, -EXCISE_E_CORRUPT, "'%s': not a regular file", path);
	if ((uint64_t)st.st_size > EXCISE_MAX_RPMDB_SIZE - *total)
		return too_big(ctx, path);
	_cleanup_close_ int out = openat(tfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return fail_errno(ctx, path, "cannot make a private copy");
	struct copy c = { .out = out, .total = total };
	int r = read_fd_chunks(fd, copy_chunk, &c, NULL);
	if (r == -EXCISE_E_TOOBIG)
		return too_big(ctx, path);
	if (r < 0)
		return source_fail(ctx, r, "'%s': %s: %s", path, c.write_failed ? "cannot write the private copy" :
				   "read error", strerror(-r));
	if (close(TAKE_FD(out)) < 0)
		return fail_errno(ctx, path, "cannot write the private copy");
	return 0;
}

static const char *hstr(Header h, rpmTagVal tag)
{
	const char *s = headerGetString(h, tag);
	return s && *s ? s : NULL;
}

/* Emit one package. Called with rpm_lock held. */
static int emit_header(struct source_ctx *ctx, Header h, const char *dbfile)
{
	const char *name = hstr(h, RPMTAG_NAME);
	if (!name)
		return 0;
	const char *ver = hstr(h, RPMTAG_VERSION), *rel = hstr(h, RPMTAG_RELEASE);
	struct buf v;
	buf_init(&v, 4096);
	if (headerIsEntry(h, RPMTAG_EPOCH))
		buf_addf(&v, "%llu:", (unsigned long long)headerGetNumber(h, RPMTAG_EPOCH));
	buf_adds(&v, ver ? ver : "");
	if (rel)
		buf_addf(&v, "-%s", rel);
	_cleanup_free_ char *version = NULL;
	int r = buf_take(&v, &version);
	buf_done(&v);
	if (r < 0)
		return r;

	const char *vendor = hstr(h, RPMTAG_VENDOR);
	const struct excise_obs_attr attrs[] = { { "package", name } };
	struct excise_obs o = {
		.kind = EXCISE_OBS_PACKAGE,
		.state = "installed",
		.active = true,
		.attrs = attrs,
		.n_attrs = 1,
	};
	o.f[EXCISE_F_NAME] = name;
	o.f[EXCISE_F_VERSION] = *version ? version : NULL;
	o.f[EXCISE_F_PUBLISHER] = vendor ? vendor : hstr(h, RPMTAG_PACKAGER);
	o.f[EXCISE_F_DESCRIPTION] = hstr(h, RPMTAG_SUMMARY);
	o.f[EXCISE_F_PATH] = dbfile;
	return source_emit(ctx, &o);
}

/* Read the copy in `tmp` with librpm. Called with rpm_lock held. */
static int read_copy(struct source_ctx *ctx, const char *tmp, const char *backend,
		     const struct rpmdb_backend *be, const char *dbfile, struct buf *log)
{
	int r = 0;
	uint64_t n = 0;
	rpmPushMacro(NULL, "_dbpath", NULL, tmp, RMIL_CMDLINE);
	rpmPushMacro(NULL, "_db_backend", NULL, backend, RMIL_CMDLINE);
	rpmts ts = rpmtsCreate();
	if (!ts) {
		r = -ENOMEM;
		goto out;
	}
	(void)rpmtsSetRootDir(ts, "/");
	if (rpmtsOpenDB(ts, O_RDONLY) != 0) {
		r = source_fail(ctx, -EXCISE_E_CORRUPT, "'%s': cannot open the %s RPM database%s%s",
				dbfile, be->label, log->n ? ": " : "", log->p);
		goto out;
	}
	rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
	if (!mi) {
		r = source_fail(ctx, -EXCISE_E_CORRUPT, "'%s': cannot read the %s RPM database%s%s",
				dbfile, be->label, log->n ? ": " : "", log->p);
		goto out;
	}
	Header h;
	while ((h = rpmdbNextIterator(mi))) {
		n++;
		r = emit_header(ctx, h, dbfile);
		if (r < 0)
			break;
	}
	rpmdbFreeIterator(mi);
	if (r < 0) {
		r = source_fail(ctx, r, "'%s': %s", dbfile, strerror(-r));
	} else if (log->err) {
		r = source_fail(ctx, log->err, "'%s': out of memory", dbfile);
	} else if (log->n > 0 && n == 0) {
		r = source_fail(ctx, -EXCISE_E_CORRUPT, "'%s': cannot read the %s RPM database: %s",
				dbfile, be->label, log->p);
	} else if (log->n > 0) {
		source_item_error(ctx, -EXCISE_E_CORRUPT, "'%s': %s RPM database (%llu packages read): %s",
				  dbfile, be->label, (unsigned long long)n, log->p);
	}
out:
	if (ts) {
		(void)rpmtsCloseDB(ts);
		rpmtsFree(ts);
	}
	rpmPopMacro(NULL, "_db_backend");
	rpmPopMacro(NULL, "_dbpath");
	return r;
}

/* Which librpm backend reads `be` here, or NULL. Called with rpm_lock held. */
static const char *backend_name(const struct rpmdb_backend *be)
{
	if (be == &rpmdb_backends[0])
		return have_backend("sqlite") ? "sqlite" : NULL;
	if (be == &rpmdb_backends[1])
		return have_backend("ndb") ? "ndb" : NULL;
	if (have_backend("bdb_ro"))
		return "bdb_ro";
	return have_backend("bdb") ? "bdb" : NULL;
}

/* Read the database in `dir` (whose backend is `be`). */
static int read_db(struct source_ctx *ctx, const char *dir, const struct rpmdb_backend *be)
{
	_cleanup_free_ char *dbfile = path_join(dir, be->marker);
	if (!dbfile)
		return -ENOMEM;

	const char *tdir = getenv("TMPDIR");
	if (!tdir || !*tdir || tdir[0] != '/')
		tdir = "/tmp";
	char tmp[4096];
	int k = snprintf(tmp, sizeof(tmp), "%s/excise-rpmdb.XXXXXX", tdir);
	if (k < 0 || (size_t)k >= sizeof(tmp))
		return source_fail(ctx, -ENAMETOOLONG, "'%s': TMPDIR is too long", tdir);
	/* the janitor makes it, 0700: private to this user, and removed however we end */
	struct janitor jan = { 0 };
	int r = janitor_start(tmp, &jan);
	if (r < 0)
		return source_fail(ctx, r, "'%s': cannot make a private directory in '%s' for a copy: %s", dbfile,
				   tdir, excise_strerror(r));
	int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (tfd < 0) {
		r = fail_errno(ctx, tmp, "cannot open");
		goto out;
	}
	uint64_t total = 0;
	for (size_t i = 0; be->files[i] && r >= 0; i++) {
		_cleanup_free_ char *p = path_join(dir, be->files[i]);
		r = p ? copy_file(ctx, p, be->files[i], tfd, &total, i == 0) : -ENOMEM;
	}
	if (r >= 0 && be == &rpmdb_backends[0])
		r = check_sqlite(ctx, tfd, dbfile);
	close(tfd);
	if (r >= 0 && be == &rpmdb_backends[0])
		r = check_schema(ctx, tmp, dbfile);
	if (r < 0)
		goto out;

	struct buf log;
	buf_init(&log, 4096);
	pthread_mutex_lock(&rpm_lock);
	r = rpm_init();
	if (r < 0) {
		r = source_fail(ctx, r, "'%s': librpm could not read its configuration", dbfile);
	} else {
		const char *name = backend_name(be);
		if (!name) {
			r = source_fail(ctx, -EXCISE_E_UNSUPPORTED,
					"'%s': an RPM database in %s format, but this librpm (%s) cannot read it "
					"(its backends:%s)", dbfile, be->label, RPMVERSION, rpm_backends);
		} else {
			log_sink = &log;
			log_tmp = tmp;
			log_dir = dir;
			r = read_copy(ctx, tmp, name, be, dbfile, &log);
			log_sink = NULL;
			log_tmp = log_dir = NULL;
		}
	}
	rpmlogClose();
	pthread_mutex_unlock(&rpm_lock);
	buf_done(&log);
out:
	remove_tmpdir(tmp);
	janitor_stop(&jan);
	return r;
}

/*
 * Which database rpm itself would read in a directory holding several (its
 * dbDetectBackend): the backend the image's configuration names (%_db_backend)
 * when its file is there, else the first there in rpm's order (SQLite, NDB,
 * Berkeley DB). The configuration is the last %_db_backend of the image's macro
 * files, read in rpm's order.
 */
struct dbconf {
	struct source_ctx *ctx;
	int backend;          /* index in rpmdb_backends, or -1 */
	char value[32];       /* as written, when it names no backend */
	char file[256];       /* where it was set */
};

static int backend_index(const char *v, size_t n)
{
	static const struct { const char *name; int b; } names[] = {
		{ "sqlite", 0 }, { "ndb", 1 }, { "bdb", 2 }, { "bdb_ro", 2 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i].name) == n && !memcmp(names[i].name, v, n))
			return names[i].b;
	return -1;
}

static int macro_file(void *ud, const char *path, const char *name)
{
	(void)name;
	struct dbconf *c = ud;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = root_read_file(source_root(c->ctx), path, EXCISE_MAX_TEXT_FILE_SIZE, &data, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (r != -ENOENT && r != -ENOTDIR)
			source_item_error(c->ctx, r, "'%s': cannot read", path);
		return 0;
	}
	for (char *line = data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		line += strspn(line, " \t");
		if (strncmp(line, "%_db_backend", 12) != 0 || (line[12] != ' ' && line[12] != '\t'))
			continue;
		char *v = line + 12 + strspn(line + 12, " \t");
		size_t n = strcspn(v, " \t\r");
		c->backend = backend_index(v, n);
		snprintf(c->value, sizeof(c->value), "%.*s", (int)(n < 31 ? n : 31), v);
		snprintf(c->file, sizeof(c->file), "%s", path);
	}
	return 0;
}

static bool macros_name(const char *n)
{
	return strncmp(n, "macros.", 7) == 0 && n[7];
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int configured_backend(struct source_ctx *ctx, struct dbconf *c)
{
	*c = (struct dbconf){ .ctx = ctx, .backend = -1 };
	static const struct dirlist macros_d = { .match = macros_name, .compar = cmp_names, .what = "macro files" };
	int r = macro_file(c, "/usr/lib/rpm/macros", NULL);
	if (r >= 0)
		r = source_list(ctx, "/usr/lib/rpm/macros.d", &macros_d, 0, macro_file, c);
	if (r >= 0)
		r = macro_file(c, "/usr/lib/rpm/redhat/macros", NULL);
	if (r >= 0)
		r = source_list(ctx, "/etc/rpm", &macros_d, 0, macro_file, c);
	if (r >= 0)
		r = macro_file(c, "/etc/rpm/macros", NULL);
	if (r >= 0 && c->backend < 0 && c->value[0])
		source_item_error(ctx, EXCISE_E_UNSUPPORTED, "'%s': %%_db_backend '%s' names no database "
				  "format rpm reads: the database is the one its files show", c->file, c->value);
	return r < 0 ? r : 0;
}

static int run(struct source_ctx *ctx)
{
	const struct root *root = source_root(ctx);
	struct stat seen[ARRAY_SIZE(rpmdb_dirs)];
	size_t n_seen = 0;
	int r = 0, n_read = 0;
	struct dbconf conf;
	int k = configured_backend(ctx, &conf);
	if (k < 0)
		return source_fail(ctx, k, "RPM configuration: %s", excise_strerror(k));

	for (size_t i = 0; i < ARRAY_SIZE(rpmdb_dirs); i++) {
		_cleanup_close_ int dfd = root_openat(root, rpmdb_dirs[i], O_PATH | O_DIRECTORY);
		if (dfd == -ENOENT || dfd == -ENOTDIR)
			continue;
		if (dfd < 0) {
			source_item_error(ctx, dfd, "'%s': cannot open: %s", rpmdb_dirs[i], excise_strerror(dfd));
			if (r == 0)
				r = dfd;
			continue;
		}
		struct stat st;
		if (fstat(dfd, &st) < 0)
			continue;
		bool dup = false;
		for (size_t j = 0; j < n_seen; j++)
			dup |= seen[j].st_dev == st.st_dev && seen[j].st_ino == st.st_ino;
		if (dup)
			continue;
		seen[n_seen++] = st;

		bool present[ARRAY_SIZE(rpmdb_backends)];
		int chosen = -1;
		for (size_t b = 0; b < ARRAY_SIZE(rpmdb_backends); b++) {
			struct stat bst;
			present[b] = fstatat(dfd, rpmdb_backends[b].marker, &bst, AT_SYMLINK_NOFOLLOW) == 0;
			if (present[b] && chosen < 0)
				chosen = (int)b;
		}
		if (conf.backend >= 0 && present[conf.backend])
			chosen = conf.backend;
		if (chosen < 0)
			continue;
		k = read_db(ctx, rpmdb_dirs[i], &rpmdb_backends[chosen]);
		if (k < 0)
			return k;
		n_read++;
		/* Another database beside it is not the one rpm uses, but what it holds is seen too. */
		for (size_t b = 0; b < ARRAY_SIZE(rpmdb_backends); b++) {
			if (!present[b] || (int)b == chosen)
				continue;
			source_item_error(ctx, 0, "'%s/%s': a second RPM database (%s) beside '%s/%s', the one rpm "
					  "uses here (%s%s%s): read too", rpmdb_dirs[i], rpmdb_backends[b].marker,
					  rpmdb_backends[b].label, rpmdb_dirs[i], rpmdb_backends[chosen].marker,
					  conf.backend == chosen ? "%_db_backend in " : "rpm's order",
					  conf.backend == chosen ? conf.file : "", "");
			(void)read_db(ctx, rpmdb_dirs[i], &rpmdb_backends[b]); /* a failure is recorded */
		}
	}
	if (n_read > 0)
		return 0;
	if (r < 0)
		return source_fail(ctx, r, "no RPM database could be opened (%s)", excise_strerror(r));
	return -EXCISE_E_ABSENT;
}

const struct source source_rpm = {
	.name = "rpm",
	.platform = "linux",
	.description = "packages in the RPM database (SQLite, NDB, Berkeley DB), read from a copy",
	.run = run,
};
