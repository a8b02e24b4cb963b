/* SPDX-License-Identifier: Apache-2.0 */
/* dpkg: bounds-checked parser of dpkg's status database (deb822 stanzas). */
#include "parse/dpkg.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"

enum {
	F_PACKAGE,
	F_VERSION,
	F_ARCH,
	F_STATUS,
	F_MAINT,
	F_DESC,
	F_SOURCE,
	F_ISIZE,
	F_CONFFILES,
	N_FIELDS,
	F_OTHER = -1,  /* a field we do not keep */
	F_NONE = -2,   /* no field yet in this stanza */
};

static const char *const field_names[N_FIELDS] = {
	[F_PACKAGE] = "Package",
	[F_VERSION] = "Version",
	[F_ARCH] = "Architecture",
	[F_STATUS] = "Status",
	[F_MAINT] = "Maintainer",
	[F_DESC] = "Description",
	[F_SOURCE] = "Source",
	[F_ISIZE] = "Installed-Size",
	[F_CONFFILES] = "Conffiles",
};

/* A field's value: bytes [start, end) of the input, continuation lines included. */
struct span {
	size_t start, end;
	size_t line;
	bool set;
};

struct parser {
	const char *name;
	const char *d;
	size_t len;
	dpkg_pkg_fn on_pkg;
	dpkg_error_fn on_error;
	void *userdata;
	struct excise_err *reterr;

	size_t n_stanzas;
	int n_bad;

	/* the stanza being read */
	bool in_stanza;
	size_t stanza_line;
	int cur;               /* field being continued: index, F_OTHER or F_NONE */
	size_t cur_start;      /* where the current field's value starts */
	const char *cur_name;  /* its name, for messages */
	size_t cur_name_len;
	struct span f[N_FIELDS];
	bool bad;
	int bad_code;
	size_t bad_line;
	char bad_msg[EXCISE_ERR_MSG];

	struct buf out;        /* NUL-terminated copies of the kept fields */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void stanza_reset(struct parser *p, size_t line)
{
	p->in_stanza = true;
	p->stanza_line = line;
	p->cur = F_NONE;
	p->cur_start = 0;
	p->cur_name = NULL;
	p->cur_name_len = 0;
	memset(p->f, 0, sizeof(p->f));
	p->bad = false;
	p->bad_code = 0;
	p->bad_line = 0;
	p->bad_msg[0] = 0;
}

/* Mark the stanza bad (the first problem wins); the rest of it is skipped. */
static void PRINTF(4, 5) stanza_bad(struct parser *p, int code, size_t line, const char *fmt, ...)
{
	if (p->bad)
		return;
	p->bad = true;
	p->bad_code = code;
	p->bad_line = line;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(p->bad_msg, sizeof(p->bad_msg), fmt, ap);
	va_end(ap);
	if (k < 0)
		snprintf(p->bad_msg, sizeof(p->bad_msg), "malformed stanza");
}

static int field_index(const char *name, size_t len)
{
	for (int i = 0; i < N_FIELDS; i++)
		if (strlen(field_names[i]) == len && strncasecmp(field_names[i], name, len) == 0)
			return i;
	return F_OTHER;
}

/* Append the value of span `s` folded: the first line with its trailing white
 * space cut, then "\n" and each continuation line (its CR, if any, dropped). */
static size_t add_value(struct parser *p, const struct span *s)
{
	size_t off = p->out.n;
	size_t pos = s->start;
	bool first = true;
	while (pos <= s->end) {
		const char *nl = memchr(p->d + pos, '\n', s->end - pos);
		size_t eol = nl ? (size_t)(nl - p->d) : s->end;
		size_t e = eol;
		if (e > pos && p->d[e - 1] == '\r')
			e--;
		if (first) {
			while (e > pos && is_blank(p->d[e - 1]))
				e--;
		} else {
			buf_addc(&p->out, '\n');
		}
		buf_add(&p->out, p->d + pos, e - pos);
		first = false;
		if (!nl)
			break;
		pos = eol + 1;
	}
	buf_addc(&p->out, 0);
	return off;
}

/* Append the words of Status, normalised; fills the three word offsets. */
static int add_status(struct parser *p, const struct span *s, size_t *norm, size_t word[3])
{
	size_t w[4][2];
	size_t n = 0;
	size_t i = s->start;
	while (i < s->end) {
		while (i < s->end && (is_blank(p->d[i]) || p->d[i] == '\r' || p->d[i] == '\n'))
			i++;
		if (i >= s->end)
			break;
		size_t b = i;
		while (i < s->end && !is_blank(p->d[i]) && p->d[i] != '\r' && p->d[i] != '\n')
			i++;
		if (n == 4)
			return -1;
		w[n][0] = b;
		w[n][1] = i;
		n++;
	}
	if (n != 3)
		return -1;
	*norm = p->out.n;
	for (size_t k = 0; k < 3; k++) {
		if (k)
			buf_addc(&p->out, ' ');
		buf_add(&p->out, p->d + w[k][0], w[k][1] - w[k][0]);
	}
	buf_addc(&p->out, 0);
	for (size_t k = 0; k < 3; k++) {
		word[k] = p->out.n;
		buf_add(&p->out, p->d + w[k][0], w[k][1] - w[k][0]);
		buf_addc(&p->out, 0);
	}
	return 0;
}

/* Report a bad stanza; returns < 0 to stop the parse. */
static int report_bad(struct parser *p)
{
	char msg[EXCISE_ERR_MSG];
	const struct span *pk = &p->f[F_PACKAGE];
	int k;
	if (pk->set) {
		const char *nl = memchr(p->d + pk->start, '\n', pk->end - pk->start);
		size_t n = (nl ? (size_t)(nl - p->d) : pk->end) - pk->start;
		while (n > 0 && (is_blank(p->d[pk->start + n - 1]) || p->d[pk->start + n - 1] == '\r'))
			n--;
		if (n > 64)
			n = 64;
		/* Stop the name at a NUL: it would cut the message there anyway. */
		const char *z = memchr(p->d + pk->start, 0, n);
		if (z)
			n = (size_t)(z - (p->d + pk->start));
		k = snprintf(msg, sizeof(msg), "'%s': line %zu (package '%.*s'): %s", p->name,
			     p->bad_line, (int)n, p->d + pk->start, p->bad_msg);
	} else {
		k = snprintf(msg, sizeof(msg), "'%s': line %zu: %s", p->name, p->bad_line, p->bad_msg);
	}
	if (k < 0)
		snprintf(msg, sizeof(msg), "line %zu: malformed stanza", p->bad_line);
	p->n_bad++;
	if (!p->on_error)
		return err_set(p->reterr, p->bad_code, "%s", msg);
	int r = p->on_error(p->userdata, p->bad_code, p->bad_line, msg);
	if (r < 0)
		return err_set(p->reterr, r, "'%s': line %zu: parse stopped", p->name, p->bad_line);
	return 0;
}

static int stanza_end(struct parser *p)
{
	if (!p->in_stanza)
		return 0;
	p->in_stanza = false;
	if (!p->bad && !p->f[F_PACKAGE].set)
		stanza_bad(p, -EXCISE_E_CORRUPT, p->stanza_line, "stanza without a Package field");
	if (p->bad)
		return report_bad(p);

	buf_clear(&p->out);
	size_t off[N_FIELDS] = { 0 };
	size_t syn = 0, norm = 0, word[3] = { 0, 0, 0 };
	for (int i = 0; i < N_FIELDS; i++) {
		if (!p->f[i].set || i == F_STATUS)
			continue;
		off[i] = add_value(p, &p->f[i]);
	}
	if (p->f[F_DESC].set) {
		/* The synopsis: the description's first line, copied once more. */
		struct span first = p->f[F_DESC];
		const char *nl = memchr(p->d + first.start, '\n', first.end - first.start);
		if (nl)
			first.end = (size_t)(nl - p->d);
		syn = add_value(p, &first);
	}
	if (p->f[F_STATUS].set && add_status(p, &p->f[F_STATUS], &norm, word) < 0)
		stanza_bad(p, -EXCISE_E_CORRUPT, p->f[F_STATUS].line,
			   "Status field must have three words (want, flag, state)");
	if (p->out.err == -ENOMEM)
		return err_set(p->reterr, -ENOMEM, "'%s': out of memory", p->name);
	if (p->out.err)
		return err_set(p->reterr, p->out.err, "'%s': line %zu: stanza too large", p->name,
			       p->stanza_line);
	const char *pkgname = p->out.p + off[F_PACKAGE];
	if (!p->bad && !pkgname[0])
		stanza_bad(p, -EXCISE_E_CORRUPT, p->f[F_PACKAGE].line, "empty Package field");
	if (p->bad)
		return report_bad(p);

	const char *b = p->out.p;
#define FIELD(i) (p->f[i].set ? b + off[i] : NULL)
	struct dpkg_pkg pkg = {
		.package = pkgname,
		.version = FIELD(F_VERSION),
		.architecture = FIELD(F_ARCH),
		.status = p->f[F_STATUS].set ? b + norm : NULL,
		.want = p->f[F_STATUS].set ? b + word[0] : NULL,
		.eflag = p->f[F_STATUS].set ? b + word[1] : NULL,
		.state = p->f[F_STATUS].set ? b + word[2] : NULL,
		.maintainer = FIELD(F_MAINT),
		.description = FIELD(F_DESC),
		.synopsis = p->f[F_DESC].set ? b + syn : NULL,
		.source = FIELD(F_SOURCE),
		.installed_size = FIELD(F_ISIZE),
		.conffiles = FIELD(F_CONFFILES),
		.line = p->stanza_line,
	};
#undef FIELD
	int r = p->on_pkg ? p->on_pkg(p->userdata, &pkg) : 0;
	if (r < 0)
		return err_set(p->reterr, r, "'%s': line %zu: parse stopped", p->name, p->stanza_line);
	return 0;
}

/* The current field grew to end at `end`: enforce the field size limit. */
static void field_grew(struct parser *p, size_t end, size_t line)
{
	if (end - p->cur_start <= EXCISE_MAX_DPKG_FIELD_SIZE)
		return;
	stanza_bad(p, -EXCISE_E_TOOBIG, line, "field '%.*s' is longer than %u bytes",
		   (int)(p->cur_name_len > 64 ? 64 : p->cur_name_len), p->cur_name,
		   EXCISE_MAX_DPKG_FIELD_SIZE);
}

/* One line, bytes [a, b) without its line end. Returns < 0 to stop. */
static int parse_line(struct parser *p, size_t a, size_t b, size_t lineno)
{
	const char *d = p->d;
	size_t i = a;
	while (i < b && is_blank(d[i]))
		i++;
	if (i == b)
		return stanza_end(p);

	if (!p->in_stanza) {
		if (p->n_stanzas >= EXCISE_MAX_DPKG_PACKAGES)
			return err_set(p->reterr, -EXCISE_E_LIMIT,
				       "'%s': line %zu: more than %u stanzas", p->name, lineno,
				       EXCISE_MAX_DPKG_PACKAGES);
		p->n_stanzas++;
		stanza_reset(p, lineno);
	}
	if (p->bad)
		return 0;
	if (memchr(d + a, 0, b - a)) {
		stanza_bad(p, -EXCISE_E_CORRUPT, lineno, "NUL byte");
		return 0;
	}

	if (is_blank(d[a])) {
		if (p->cur == F_NONE) {
			stanza_bad(p, -EXCISE_E_CORRUPT, lineno, "continuation line before any field");
			return 0;
		}
		if (p->cur >= 0)
			p->f[p->cur].end = b;
		field_grew(p, b, lineno);
		return 0;
	}

	if (d[a] == '#') {
		stanza_bad(p, -EXCISE_E_CORRUPT, lineno, "comment line (not allowed in a status file)");
		return 0;
	}
	const char *colon = memchr(d + a, ':', b - a);
	if (!colon) {
		stanza_bad(p, -EXCISE_E_CORRUPT, lineno, "field without a colon");
		return 0;
	}
	size_t c = (size_t)(colon - d);
	if (c == a) {
		stanza_bad(p, -EXCISE_E_CORRUPT, lineno, "empty field name");
		return 0;
	}
	for (size_t j = a; j < c; j++)
		if ((unsigned char)d[j] <= ' ' || d[j] == 0x7f) {
			stanza_bad(p, -EXCISE_E_CORRUPT, lineno,
				   "white space or control character in field name");
			return 0;
		}
	size_t v = c + 1;
	while (v < b && is_blank(d[v]))
		v++;
	int idx = field_index(d + a, c - a);
	p->cur = idx;
	p->cur_start = v;
	p->cur_name = d + a;
	p->cur_name_len = c - a;
	if (idx >= 0) {
		if (p->f[idx].set) {
			stanza_bad(p, -EXCISE_E_CORRUPT, lineno, "duplicate field '%s'",
				   field_names[idx]);
			return 0;
		}
		p->f[idx] = (struct span){ .start = v, .end = b, .line = lineno, .set = true };
	}
	field_grew(p, b, lineno);
	return 0;
}

int dpkg_status_parse(const char *name, const void *data, size_t len, dpkg_pkg_fn on_pkg,
		      dpkg_error_fn on_error, void *userdata, struct excise_err *reterr)
{
	if (!name)
		name = "status";
	if (!data && len)
		return err_set(reterr, -EXCISE_E_USAGE, "'%s': no data", name);
	if (len > EXCISE_MAX_DPKG_STATUS_SIZE)
		return err_set(reterr, -EXCISE_E_TOOBIG, "'%s': %zu bytes, more than the %u allowed",
			       name, len, EXCISE_MAX_DPKG_STATUS_SIZE);

	struct parser p = {
		.name = name, .d = data, .len = len,
		.on_pkg = on_pkg, .on_error = on_error, .userdata = userdata, .reterr = reterr,
	};
	/* A stanza's copies are bounded by its fields, each bounded by the field limit. */
	buf_init(&p.out, 0);

	int r = 0;
	size_t pos = 0, lineno = 0;
	while (pos < len && r >= 0) {
		const char *nl = memchr(p.d + pos, '\n', len - pos);
		size_t eol = nl ? (size_t)(nl - p.d) : len;
		size_t e = eol;
		if (e > pos && p.d[e - 1] == '\r')
			e--;
		r = parse_line(&p, pos, e, ++lineno);
		pos = eol + 1;
	}
	if (r >= 0)
		r = stanza_end(&p);
	buf_done(&p.out);
	return r < 0 ? r : p.n_bad;
}

int dpkg_list_dirs(const char *text, size_t len, dpkg_dir_fn fn, void *userdata)
{
	for (size_t off = 0; off < len;) {
		const char *line = text + off, *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off;
		off += ll + 1;
		const char *slash = ll ? memrchr(line, '/', ll) : NULL;
		if (!slash || line[0] != '/' || slash == line)
			continue;
		int r = fn(userdata, line, (size_t)(slash - line));
		if (r < 0)
			return r;
	}
	return 0;
}

/* An absolute path in normal form: every component non-empty, not "." or "..". */
static bool list_path_ok(const char *s, size_t n)
{
	if (n < 2 || n > EXCISE_MAX_DPKG_LIST_PATH || s[0] != '/' || s[n - 1] == '/' || memchr(s, 0, n) ||
	    memchr(s, '\r', n))
		return false;
	for (size_t i = 1; i <= n; i++) {
		size_t e = i;
		while (e < n && s[e] != '/')
			e++;
		size_t c = e - i;
		if (c == 0 || (c == 1 && s[i] == '.') || (c == 2 && s[i] == '.' && s[i + 1] == '.'))
			return false;
		i = e;
	}
	return true;
}

int dpkg_list_paths(const char *text, size_t len, dpkg_dir_fn fn, void *userdata)
{
	for (size_t off = 0; off < len;) {
		const char *line = text + off, *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off;
		off += ll + 1;
		if (!list_path_ok(line, ll))
			continue;
		int r = fn(userdata, line, ll);
		if (r < 0)
			return r;
	}
	return 0;
}
