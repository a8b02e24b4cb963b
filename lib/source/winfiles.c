/* SPDX-License-Identifier: Apache-2.0 */
/*
 * win-files: the known locations of a Windows root. Each folder below is found
 * case-insensitively (root_resolve_nocase) and listed a few levels deep with
 * the walker; every entry whose name or path could match a file indicator is
 * a FILE observation, as in the files source.
 *
 * PE files (.exe, .dll, .sys; not .msi, which is an OLE compound file) are
 * opened and their headers, version resource and Authenticode signer read
 * with lib/parse/pe.c, which never reads a file whole:
 *  - in Program Files*, System32, SysWOW64, Windows/Temp and Users/x/Downloads
 *    every .exe, .dll and .sys up to the location's depth;
 *  - in the drivers folders every .sys;
 *  - elsewhere (ProgramData, AppData) only below a folder whose name or path
 *    could match an indicator.
 * At most EXCISE_MAX_WIN_PE_FILES per scan. A PE file gives one FILE
 * observation (VERSION = ProductVersion, else FileVersion, else the fixed
 * version; PUBLISHER = CompanyName; DESCRIPTION = ProductName, else
 * FileDescription; the other strings as attrs) and, when signed, one SIGNER
 * observation (NAME = subject CN, PUBLISHER = O, SUBJECT and ISSUER DNs) in
 * state "unverified": the signature is decoded, never verified.
 * Attrs: `product_name`, `file_description`, `file_version`,
 * `original_filename`, `internal_name`, `copyright` on files; `serial` and
 * `signature` on signers.
 * A file that cannot be read or parsed is an item error naming it.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/limits.h"
#include "core/walk.h"
#include "parse/pe.h"
#include "source/source.h"
#include "source/users.h"

enum pe_mode {
	PE_ALL,      /* every .exe, .dll and .sys */
	PE_SYS,      /* only .sys */
	PE_MATCHED,  /* only below a folder that could match */
};

struct loc {
	const char *path;   /* Windows spelling; with per_user, below each /Users/<name> */
	unsigned depth;
	enum pe_mode mode;
	bool per_user;
};

static const struct loc locations[] = {
	{ "/Program Files", EXCISE_MAX_WIN_PE_DEPTH, PE_ALL },
	{ "/Program Files (x86)", EXCISE_MAX_WIN_PE_DEPTH, PE_ALL },
	{ "/ProgramData", 4, PE_MATCHED },
	{ "/Windows/System32", 1, PE_ALL },
	{ "/Windows/System32/drivers", 2, PE_SYS },
	{ "/Windows/SysWOW64", 1, PE_ALL },
	{ "/Windows/SysWOW64/drivers", 2, PE_SYS },
	{ "/Windows/Temp", 2, PE_ALL },
	{ "/AppData/Local", 3, PE_MATCHED, true },
	{ "/AppData/Roaming", 3, PE_MATCHED, true },
	{ "/Downloads", 2, PE_ALL, true },
};

struct wf {
	struct source_ctx *ctx;
	bool found;              /* some known location exists */
	const struct loc *loc;   /* of the current walk */
	struct strset matched;   /* directories that could match */
	struct strset walked;    /* real start paths already walked */
	unsigned pe_files;
	bool pe_limit_said;
};

/* Some folder above `e` could match. */
static bool below_matched(const struct wf *w, const struct walk_entry *e)
{
	for (size_t k = e->dir_len; k > 1; k--)
		if (e->path[k] == '/' && strset_has(&w->matched, e->path, k))
			return true;
	return false;
}

static bool ext_is(const char *name, size_t len, const char *ext)
{
	size_t l = strlen(ext);
	return len > l && strcasecmp(name + len - l, ext) == 0;
}

static bool pe_candidate(const struct wf *w, const struct walk_entry *e)
{
	bool sys = ext_is(e->name, e->name_len, ".sys");
	bool exe = ext_is(e->name, e->name_len, ".exe") || ext_is(e->name, e->name_len, ".dll");
	switch (w->loc->mode) {
	case PE_ALL:
		return sys || exe;
	case PE_SYS:
		return sys;
	case PE_MATCHED:
		return (sys || exe) && below_matched(w, e);
	}
	return false;
}

static int fd_read(void *ud, uint64_t off, void *buf, size_t len)
{
	int fd = *(int *)ud;
	char *p = buf;
	while (len) {
		ssize_t k = pread(fd, p, len, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return neg_errno();
		if (k == 0)
			return -EXCISE_E_CORRUPT; /* the file shrank */
		p += k;
		off += (uint64_t)k;
		len -= (size_t)k;
	}
	return 0;
}

/* ProductVersion, else FileVersion, else the fixed product version into fixed[32]. */
static const char *best_version(const struct pe_version *v, char *fixed)
{
	if (v->product_version)
		return v->product_version;
	if (v->file_version)
		return v->file_version;
	if (!v->has_fixed)
		return NULL;
	const uint16_t *p = v->product_ver;
	snprintf(fixed, 32, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
	return fixed;
}

static int emit_version(struct wf *w, const struct walk_entry *e, const struct pe_version *v,
			const char *version)
{
	struct excise_obs_attr a[6];
	size_t n = 0;
	const struct {
		const char *key, *value;
	} cand[] = {
		{ "product_name", v->product_name },   { "file_description", v->file_description },
		{ "file_version", v->file_version },   { "original_filename", v->original_filename },
		{ "internal_name", v->internal_name }, { "copyright", v->legal_copyright },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cand); i++)
		if (cand[i].value)
			a[n++] = (struct excise_obs_attr){ cand[i].key, cand[i].value };
	struct excise_obs o = { .kind = EXCISE_OBS_FILE, .state = "present", .attrs = a, .n_attrs = n };
	o.f[EXCISE_F_NAME] = e->name;
	o.f[EXCISE_F_PATH] = e->path;
	o.f[EXCISE_F_VERSION] = version;
	o.f[EXCISE_F_PUBLISHER] = v->company_name;
	o.f[EXCISE_F_DESCRIPTION] = v->product_name ? v->product_name : v->file_description;
	return source_emit(w->ctx, &o);
}

static int emit_signer(struct wf *w, const struct walk_entry *e, const struct pe_signer *s,
		       const char *version)
{
	struct excise_obs_attr a[] = { { "serial", s->serial }, { "signature", "present, not verified" } };
	struct excise_obs o = { .kind = EXCISE_OBS_SIGNER, .state = "unverified", .attrs = a,
			 .n_attrs = ARRAY_SIZE(a) };
	if (!s->serial)
		o.attrs = a + 1, o.n_attrs = 1;
	o.f[EXCISE_F_NAME] = s->cn;
	o.f[EXCISE_F_PATH] = e->path;
	o.f[EXCISE_F_VERSION] = version;
	o.f[EXCISE_F_PUBLISHER] = s->org;
	o.f[EXCISE_F_SUBJECT] = s->subject;
	o.f[EXCISE_F_ISSUER] = s->issuer;
	return source_emit(w->ctx, &o);
}

static int plain_emit(struct wf *w, const struct walk_entry *e, const char *target)
{
	struct excise_obs o = { .kind = EXCISE_OBS_FILE, .state = "present" };
	o.f[EXCISE_F_NAME] = e->name;
	o.f[EXCISE_F_PATH] = e->path;
	o.f[EXCISE_F_TARGET] = target;
	return source_emit(w->ctx, &o);
}

/* A problem with one file: report it; only -ENOMEM stops the source. */
static int item(struct wf *w, int code, const struct excise_err *err, const char *path,
		const char *what)
{
	if (code == -ENOMEM)
		return code;
	/* A positive code: the message already says why. A PE file's own limits (its header,
	 * resources, certificate table) say the file is malformed: its name is still seen,
	 * so they are not a limit that leaves the source incomplete. */
	if (err && err->msg[0])
		source_item_error(w->ctx, code == -EXCISE_E_TOOBIG || code == -EXCISE_E_LIMIT ? EXCISE_E_CORRUPT : -code,
				  "win-files: %s", err->msg);
	else
		source_item_error(w->ctx, code, "win-files: '%s': %s", path, what);
	return 0;
}

/* Read one PE file and emit what it says. Returns < 0 only to stop the source. */
static int read_pe(struct wf *w, const struct walk_entry *e, bool name_hit)
{
	_cleanup_close_ int fd = root_open_file_nofollow(source_root(w->ctx), e->path, O_RDONLY, NULL);
	if (fd < 0)
		return item(w, fd, NULL, e->path, "cannot open");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return item(w, neg_errno(), NULL, e->path, "fstat");
	if (!S_ISREG(st.st_mode)) {
		source_item_error(w->ctx, EINVAL, "win-files: '%s': not a regular file, not read",
				  e->path);
		return 0;
	}
	struct pe_reader in = { .read = fd_read, .userdata = &fd, .size = (uint64_t)st.st_size,
				.name = e->path };
	struct pe_file pe;
	struct excise_err err = { 0 };
	int r = pe_open(&in, &pe, &err);
	if (r < 0) {
		r = item(w, r, &err, e->path, "PE headers");
		return r < 0 ? r : name_hit ? plain_emit(w, e, NULL) : 0;
	}
	struct pe_version v;
	err.msg[0] = 0;
	r = pe_read_version(&pe, &v, &err);
	if (r < 0) {
		v = (struct pe_version){ 0 };
		if (r != -EXCISE_E_ABSENT && (r = item(w, r, &err, e->path, "version resource")) < 0)
			return r;
	}
	char fixed[32];
	const char *version = best_version(&v, fixed);
	r = emit_version(w, e, &v, version);
	struct pe_signer s;
	err.msg[0] = 0;
	int q = r < 0 ? r : pe_read_signer(&pe, &s, &err);
	if (q == 0) {
		r = emit_signer(w, e, &s, version);
		pe_signer_done(&s);
	} else if (r >= 0 && q != -EXCISE_E_ABSENT) {
		r = item(w, q, &err, e->path, "signature");
	}
	pe_version_done(&v);
	return r;
}

static int on_entry(void *ud, const struct walk_entry *e)
{
	struct wf *w = ud;
	int skip = e->type == DT_DIR && e->depth >= w->loc->depth ? WALK_SKIP : WALK_CONTINUE;
	bool hit = source_could_match_file(w->ctx, e->name, e->name_len, e->path, e->path_len);
	int r = 0;
	if (hit && e->type == DT_DIR && (r = strset_add(&w->matched, e->path, e->path_len)) < 0)
		return r;
	bool cand = e->type != DT_DIR && e->type != DT_LNK && pe_candidate(w, e);
	if (cand && e->type == DT_REG && w->pe_files < EXCISE_MAX_WIN_PE_FILES) {
		w->pe_files++;
		r = read_pe(w, e, hit);
		return r < 0 ? r : skip;
	}
	if (cand && e->type == DT_REG && !w->pe_limit_said) {
		w->pe_limit_said = true;
		source_item_error(w->ctx, EXCISE_E_LIMIT,
				  "win-files: more than %u PE files; '%s' and later ones not read",
				  EXCISE_MAX_WIN_PE_FILES, e->path);
	} else if (cand && e->type != DT_REG) {
		source_item_error(w->ctx, EINVAL, "win-files: '%s': not a regular file, not read",
				  e->path);
	}
	if (!hit)
		return skip;
	char target[PATH_MAX + 1];
	const char *t = walk_link_target(e, target, sizeof(target));
	r = plain_emit(w, e, t);
	return r < 0 ? r : skip;
}

static void on_error(void *ud, int code, const char *path, const char *what)
{
	struct wf *w = ud;
	source_item_error(w->ctx, code, "win-files: '%s': %s", path, what);
}

/* Walk one location (a path inside the root with its real spelling). */
static int walk_loc(struct wf *w, const struct loc *l, const char *real)
{
	int fresh = strset_add(&w->walked, real, strlen(real));
	if (fresh <= 0)
		return fresh;
	w->found = true;
	w->loc = l;
	/* The location itself may be what an indicator names. */
	const char *slash = strrchr(real, '/');
	const char *name = slash ? slash + 1 : real;
	size_t len = strlen(real);
	if (source_could_match_file(w->ctx, name, strlen(name), real, len)) {
		int r = strset_add(&w->matched, real, len);
		if (r < 0)
			return r;
		struct excise_obs o = { .kind = EXCISE_OBS_FILE, .state = "present" };
		o.f[EXCISE_F_NAME] = name;
		o.f[EXCISE_F_PATH] = real;
		if ((r = source_emit(w->ctx, &o)) < 0)
			return r;
	}
	struct walk_opts o = { .threads = 1, .entry = on_entry,
			       .error = on_error, .userdata = w };
	int r = walk_run(source_root(w->ctx), real, &o, NULL);
	if (r == -ENOMEM)
		return r;
	if (r < 0 && r != -ENOENT && r != -ENOTDIR)
		on_error(w, r, real, "listing directory");
	return 0;
}

/* Resolve `path` without case and walk it when it exists. */
static int try_loc(struct wf *w, const struct loc *l, const char *path)
{
	_cleanup_free_ char *real = NULL;
	int r = root_resolve_nocase(source_root(w->ctx), path, &real);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (r != -ENOENT && r != -ENOTDIR && r != -EINVAL && r != -ENAMETOOLONG && r != -ELOOP)
			source_item_error(w->ctx, r, "win-files: '%s'", path);
		return 0;
	}
	struct stat st;
	if (root_stat(source_root(w->ctx), real, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return walk_loc(w, l, real);
}

/* The per-user locations "/Users/<name><path>" of every user folder (not symlinks:
 * "All Users" points elsewhere). */
/* The per-user locations (AppData, Downloads) of one user folder. */
static int per_user(struct source_ctx *ctx, const struct user_home *u, void *ud)
{
	(void)ctx;
	int r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(locations) && r >= 0; i++) {
		const struct loc *l = &locations[i];
		char p[PATH_MAX];
		int k = snprintf(p, sizeof(p), "%s%s", u->home, l->path);
		if (l->per_user && k > 0 && (size_t)k < sizeof(p))
			r = try_loc(ud, l, p);
	}
	return r;
}

static int run(struct source_ctx *ctx)
{
	struct wf w = { .ctx = ctx };
	strset_init(&w.matched);
	strset_init(&w.walked);
	int r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(locations) && r >= 0; i++)
		if (!locations[i].per_user)
			r = try_loc(&w, &locations[i], locations[i].path);
	if (r >= 0)
		r = source_each_user(ctx, USER_USERS, per_user, &w);
	strset_done(&w.matched);
	strset_done(&w.walked);
	if (r < 0)
		return source_fail(ctx, r, "win-files: %s", excise_strerror(r));
	return w.found ? 0 : -EXCISE_E_ABSENT;
}

const struct source source_winfiles = {
	.name = "win-files",
	.platform = "windows",
	.description = "Windows known locations; version resources and Authenticode signers of PE files",
	.run = run,
};
