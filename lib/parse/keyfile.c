/* SPDX-License-Identifier: Apache-2.0 */
/* keyfile: bounds-checked parsers of systemd unit files and shell-style KEY=VALUE files. */
#include "parse/keyfile.h"

#include <stdbool.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/text.h"

#define LABEL(name) ((name) ? (name) : "(input)")

/* Physical lines of the input, without the line end ("\n" or "\r\n"). */
struct lines {
	const char *p, *end;
	size_t lineno; /* number of the line last returned */
};

static bool next_line(struct lines *l, const char **ret, size_t *ret_len)
{
	if (l->p >= l->end)
		return false;
	const char *s = l->p;
	const char *nl = memchr(s, '\n', (size_t)(l->end - s));
	size_t n = nl ? (size_t)(nl - s) : (size_t)(l->end - s);
	l->p = nl ? nl + 1 : l->end;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	l->lineno++;
	*ret = s;
	*ret_len = n;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* First non-blank byte is '#' or ';'. */
static bool ini_comment(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (is_blank(s[i]) || s[i] == '\r' || s[i] == '\f' || s[i] == '\v'))
		i++;
	return i < n && (s[i] == '#' || s[i] == ';');
}

static int too_long(struct excise_err *err, const char *name, size_t line, int code)
{
	if (code == -EXCISE_E_TOOBIG)
		return err_set(err, code, "'%s': line %zu: longer than %u bytes", LABEL(name), line,
			       EXCISE_MAX_KEYFILE_LINE);
	return err_setc(err, code, "'%s': line %zu", LABEL(name), line);
}

static int deliver(keyfile_fn cb, void *ud, const char *section, const char *key,
		   const char *value, size_t *n, const char *name, size_t line,
		   struct excise_err *err, bool *stop)
{
	if (*n >= EXCISE_MAX_KEYFILE_ENTRIES)
		return err_set(err, -EXCISE_E_LIMIT, "'%s': line %zu: more than %u entries",
			       LABEL(name), line, EXCISE_MAX_KEYFILE_ENTRIES);
	(*n)++;
	int r = cb(ud, section, key, value);
	if (r > 0)
		*stop = true;
	return r < 0 ? r : 0;
}

static int parse_ini(const char *data, size_t len, const char *name, keyfile_fn cb, void *ud,
		     struct excise_err *err, struct buf *line, char **section)
{
	struct lines l = { .p = data, .end = data + len };
	size_t n_entries = 0;
	const char *s;
	size_t n;
	bool stop = false;

	while (!stop && next_line(&l, &s, &n)) {
		size_t first = l.lineno;
		if (memchr(s, 0, n))
			return err_set(err, -EXCISE_E_CORRUPT, "'%s': line %zu: NUL byte", LABEL(name),
				       l.lineno);
		if (ini_comment(s, n))
			continue;
		buf_clear(line);
		buf_add(line, s, n);
		if (line->err)
			return too_long(err, name, l.lineno, line->err);
		/* Join continuation lines; comment lines inside are skipped. */
		while (line->n > 0 && line->p[line->n - 1] == '\\') {
			line->p[line->n - 1] = ' ';
			bool got = false;
			while (next_line(&l, &s, &n)) {
				if (memchr(s, 0, n))
					return err_set(err, -EXCISE_E_CORRUPT, "'%s': line %zu: NUL byte",
						       LABEL(name), l.lineno);
				if (!ini_comment(s, n)) {
					got = true;
					break;
				}
			}
			if (!got)
				break;
			buf_add(line, s, n);
			if (line->err)
				return too_long(err, name, l.lineno, line->err);
		}

		char *p = strip(line->p);
		if (!*p)
			continue;
		if (*p == '[') {
			size_t pl = strlen(p);
			if (pl < 3 || p[pl - 1] != ']' || memchr(p + 1, ']', pl - 2) ||
			    memchr(p + 1, '[', pl - 2))
				return err_set(err, -EXCISE_E_CORRUPT,
					       "'%s': line %zu: malformed section header", LABEL(name),
					       first);
			p[pl - 1] = 0;
			char *sec = strdup(p + 1);
			if (!sec)
				return err_set(err, -ENOMEM, "'%s': out of memory", LABEL(name));
			free(*section);
			*section = sec;
			continue;
		}
		char *eq = strchr(p, '=');
		if (!eq)
			return err_set(err, -EXCISE_E_CORRUPT, "'%s': line %zu: no '=' in assignment",
				       LABEL(name), first);
		*eq = 0;
		char *key = strip(p);
		char *value = strip(eq + 1);
		if (!*key)
			return err_set(err, -EXCISE_E_CORRUPT, "'%s': line %zu: empty key", LABEL(name),
				       first);
		if (!*section)
			return err_set(err, -EXCISE_E_CORRUPT,
				       "'%s': line %zu: assignment outside of a section", LABEL(name),
				       first);
		int r = deliver(cb, ud, *section, key, value, &n_entries, name, first, err, &stop);
		if (r < 0)
			return r;
	}
	return (int)n_entries;
}

int keyfile_parse_ini(const char *data, size_t len, const char *name, keyfile_fn cb, void *ud,
		      struct excise_err *err)
{
	if (!cb || (!data && len))
		return err_set(err, -EXCISE_E_USAGE, "keyfile_parse_ini: invalid arguments");
	if (len > EXCISE_MAX_TEXT_FILE_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "'%s': larger than %u bytes", LABEL(name),
			       EXCISE_MAX_TEXT_FILE_SIZE);
	struct buf line;
	buf_init(&line, EXCISE_MAX_KEYFILE_LINE);
	char *section = NULL;
	int r = parse_ini(data, len, name, cb, ud, err, &line, &section);
	free(section);
	buf_done(&line);
	return r;
}

/* The env parser works on the whole input with a cursor, since quoted values may span lines. */
struct env {
	const char *d;
	size_t len, i, lineno;
	const char *name;
	struct excise_err *err;
};

static bool at_eol(const struct env *e)
{
	return e->i >= e->len || e->d[e->i] == '\n' ||
	       (e->d[e->i] == '\r' && (e->i + 1 == e->len || e->d[e->i + 1] == '\n'));
}

static void skip_eol(struct env *e)
{
	if (e->i < e->len && e->d[e->i] == '\r')
		e->i++;
	if (e->i < e->len && e->d[e->i] == '\n') {
		e->i++;
		e->lineno++;
	}
}

static void skip_blanks(struct env *e)
{
	while (e->i < e->len && is_blank(e->d[e->i]))
		e->i++;
}

static int env_corrupt(struct env *e, size_t line, const char *what)
{
	return err_set(e->err, -EXCISE_E_CORRUPT, "'%s': line %zu: %s", LABEL(e->name), line, what);
}

/* Skip to the end of the line (a comment), refusing NUL bytes. */
static int skip_comment(struct env *e)
{
	while (!at_eol(e)) {
		if (e->d[e->i] == 0)
			return env_corrupt(e, e->lineno, "NUL byte");
		e->i++;
	}
	return 0;
}

/* Read one shell word into `val`. */
static int env_value(struct env *e, struct buf *val)
{
	size_t start = e->lineno;
	while (!at_eol(e) && !is_blank(e->d[e->i])) {
		char c = e->d[e->i];
		if (c == 0)
			return env_corrupt(e, e->lineno, "NUL byte");
		if (c == '\'') {
			size_t qline = e->lineno;
			e->i++;
			for (;;) {
				if (e->i >= e->len)
					return env_corrupt(e, qline, "unterminated single quote");
				c = e->d[e->i++];
				if (c == '\'')
					break;
				if (c == 0)
					return env_corrupt(e, e->lineno, "NUL byte");
				if (c == '\n')
					e->lineno++;
				buf_addc(val, c);
			}
		} else if (c == '"') {
			size_t qline = e->lineno;
			e->i++;
			for (;;) {
				if (e->i >= e->len)
					return env_corrupt(e, qline, "unterminated double quote");
				c = e->d[e->i++];
				if (c == '"')
					break;
				if (c == 0)
					return env_corrupt(e, e->lineno, "NUL byte");
				if (c == '\n') {
					e->lineno++;
				} else if (c == '\\' && e->i < e->len) {
					char nx = e->d[e->i];
					if (nx == '\\' || nx == '"' || nx == '$' || nx == '`') {
						c = nx;
						e->i++;
					} else if (nx == '\n') {
						e->i++;
						e->lineno++;
						continue;
					} else if (nx == '\r' && e->i + 1 < e->len &&
						   e->d[e->i + 1] == '\n') {
						e->i += 2;
						e->lineno++;
						continue;
					}
				}
				buf_addc(val, c);
			}
		} else if (c == '\\') {
			e->i++;
			if (e->i >= e->len)
				break;
			char nx = e->d[e->i];
			if (nx == 0)
				return env_corrupt(e, e->lineno, "NUL byte");
			if (nx == '\n' || (nx == '\r' && e->i + 1 < e->len && e->d[e->i + 1] == '\n')) {
				skip_eol(e); /* line continuation */
				continue;
			}
			buf_addc(val, nx);
			e->i++;
		} else {
			buf_addc(val, c);
			e->i++;
		}
		if (val->err)
			return too_long(e->err, e->name, start, val->err);
	}
	if (val->err)
		return too_long(e->err, e->name, start, val->err);
	return 0;
}

static bool key_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool key_char(char c)
{
	return key_start(c) || (c >= '0' && c <= '9');
}

int keyfile_parse_env(const char *data, size_t len, const char *name, keyfile_fn cb, void *ud,
		      struct excise_err *err)
{
	if (!cb || (!data && len))
		return err_set(err, -EXCISE_E_USAGE, "keyfile_parse_env: invalid arguments");
	if (len > EXCISE_MAX_TEXT_FILE_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "'%s': larger than %u bytes", LABEL(name),
			       EXCISE_MAX_TEXT_FILE_SIZE);
	struct env e = { .d = data, .len = len, .lineno = 1, .name = name, .err = err };
	struct buf key, val;
	buf_init(&key, EXCISE_MAX_KEYFILE_LINE);
	buf_init(&val, EXCISE_MAX_KEYFILE_LINE);
	size_t n_entries = 0;
	bool stop = false;
	int r = 0;

	while (!stop && e.i < e.len) {
		skip_blanks(&e);
		if (at_eol(&e)) {
			skip_eol(&e);
			continue;
		}
		if (e.d[e.i] == '#') {
			r = skip_comment(&e);
			if (r < 0)
				goto out;
			continue;
		}
		size_t line = e.lineno;
		if (e.len - e.i > 7 && memcmp(e.d + e.i, "export", 6) == 0 && is_blank(e.d[e.i + 6])) {
			e.i += 6;
			skip_blanks(&e);
		}
		if (e.i >= e.len || !key_start(e.d[e.i])) {
			r = e.i < e.len && e.d[e.i] == 0 ? env_corrupt(&e, line, "NUL byte")
							 : env_corrupt(&e, line, "expected a variable name");
			goto out;
		}
		buf_clear(&key);
		size_t k0 = e.i;
		while (e.i < e.len && key_char(e.d[e.i]))
			e.i++;
		buf_add(&key, e.d + k0, e.i - k0);
		if (key.err) {
			r = too_long(err, name, line, key.err);
			goto out;
		}
		if (e.i >= e.len || e.d[e.i] != '=') {
			r = env_corrupt(&e, line, "expected '=' after the variable name");
			goto out;
		}
		e.i++;
		buf_clear(&val);
		r = env_value(&e, &val);
		if (r < 0)
			goto out;
		skip_blanks(&e);
		if (!at_eol(&e)) {
			if (e.d[e.i] != '#') {
				r = env_corrupt(&e, e.lineno, "unexpected text after the value");
				goto out;
			}
			r = skip_comment(&e);
			if (r < 0)
				goto out;
		}
		skip_eol(&e);
		r = deliver(cb, ud, "", key.p, val.p, &n_entries, name, line, err, &stop);
		if (r < 0)
			goto out;
	}
	r = (int)n_entries;
out:
	buf_done(&key);
	buf_done(&val);
	return r;
}
