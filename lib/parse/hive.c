/* SPDX-License-Identifier: Apache-2.0 */
/* hive: read-only access to registry hives through libhivex (see hive.h). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hivex.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/root.h"
#include "excise/catalog.h"
#include "parse/hive.h"

struct hive {
	hive_h *h;
	char *name;
};

const char *hive_name(const struct hive *h)
{
	return h->name;
}

hive_node hive_root(struct hive *h)
{
	return hivex_root(h->h);
}

void hive_close(struct hive *h)
{
	if (!h)
		return;
	if (h->h)
		hivex_close(h->h);
	free(h->name);
	free(h);
}

/* hivex wants a file name: give it a private copy, a memfd named through
 * /proc/self/fd, or (no /proc) an unlinked file in $TMPDIR. */
static hive_h *open_copy(const void *data, size_t len, int *ret_errno)
{
	char path[64];
	hive_h *h = NULL;
	int fd = memfd_create("excise-hive", MFD_CLOEXEC);
	if (fd >= 0 && write_fd_all(fd, data, len) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		h = hivex_open(path, 0);
		*ret_errno = errno;
		if (h || (errno != ENOENT && errno != EACCES)) {
			close(fd);
			return h;
		}
	}
	if (fd >= 0)
		close(fd);
	const char *dir = secure_getenv("TMPDIR");
	_cleanup_free_ char *tmpl = NULL;
	if (asprintf(&tmpl, "%s/excise-hive-XXXXXX", dir && *dir ? dir : "/tmp") < 0) {
		*ret_errno = ENOMEM;
		return NULL;
	}
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		*ret_errno = errno;
		return NULL;
	}
	int r = write_fd_all(fd, data, len);
	if (r == 0) {
		h = hivex_open(tmpl, 0);
		*ret_errno = errno;
	} else {
		*ret_errno = -r;
	}
	unlink(tmpl);
	close(fd);
	return h;
}

int hive_open_mem(const char *name, const void *data, size_t len, struct hive **ret,
		  struct excise_err *err)
{
	*ret = NULL;
	if (len > EXCISE_MAX_HIVE_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "hive '%s': larger than %u bytes", name,
			       EXCISE_MAX_HIVE_SIZE);
	if (len < 4096 || memcmp(data, "regf", 4) != 0)
		return err_set(err, -EXCISE_E_CORRUPT, "hive '%s': not a registry hive (no regf header)",
			       name);
	struct hive *h = calloc(1, sizeof(*h));
	if (!h || !(h->name = strdup(name))) {
		free(h);
		return err_set(err, -ENOMEM, "hive '%s': out of memory", name);
	}
	int e = 0;
	h->h = open_copy(data, len, &e);
	if (!h->h) {
		hive_close(h);
		if (e == ENOMEM)
			return err_set(err, -ENOMEM, "hive '%s': out of memory", name);
		return err_set(err, -EXCISE_E_CORRUPT, "hive '%s': cannot be read: %s", name,
			       strerror(e ? e : EINVAL));
	}
	*ret = h;
	return 0;
}

int hive_open_root(const struct root *r, const char *path, struct hive **ret, struct excise_err *err)
{
	*ret = NULL;
	_cleanup_close_ int fd = root_open_file(r, path, O_RDONLY | O_NOFOLLOW, NULL);
	if (fd == -ELOOP)
		return err_set(err, -EXCISE_E_SYMLINK, "hive '%s': a symlink (not followed)", path);
	if (fd < 0)
		return err_setc(err, fd, "hive '%s'", path);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int k = read_fd_all(fd, EXCISE_MAX_HIVE_SIZE, &data, &len);
	if (k == -EXCISE_E_TOOBIG)
		return err_set(err, k, "hive '%s': larger than %u bytes", path, EXCISE_MAX_HIVE_SIZE);
	if (k < 0)
		return err_setc(err, k, "hive '%s'", path);
	return hive_open_mem(path, data, len, ret, err);
}

static int node_error(void)
{
	return errno == ENOMEM ? -ENOMEM : -EXCISE_E_CORRUPT;
}

int hive_lookup(struct hive *h, hive_node from, const char *path, hive_node *ret)
{
	hive_node n = from;
	const char *p = path;
	while (*p) {
		size_t l = strcspn(p, "\\");
		if (l > 0) {
			_cleanup_free_ char *name = strndup(p, l);
			if (!name)
				return -ENOMEM;
			errno = 0;
			n = hivex_node_get_child(h->h, n, name);
			if (!n)
				return errno ? node_error() : -ENOENT;
		}
		p += l;
		if (*p)
			p++;
	}
	*ret = n;
	return 0;
}

int hive_children(struct hive *h, hive_node n, hive_node **ret)
{
	errno = 0;
	size_t nr = hivex_node_nr_children(h->h, n);
	if (errno)
		return node_error();
	if (nr > EXCISE_MAX_HIVE_KEYS)
		return -EXCISE_E_LIMIT;
	hive_node *c = hivex_node_children(h->h, n);
	if (!c)
		return node_error();
	*ret = c;
	return 0;
}

int hive_key_name(struct hive *h, hive_node n, char **ret)
{
	errno = 0;
	*ret = hivex_node_name(h->h, n);
	return *ret ? 0 : node_error();
}

int hive_value_names(struct hive *h, hive_node n, char ***ret, size_t *ret_n)
{
	errno = 0;
	size_t nr = hivex_node_nr_values(h->h, n);
	if (errno)
		return node_error();
	if (nr > EXCISE_MAX_HIVE_KEYS)
		return -EXCISE_E_LIMIT;
	_cleanup_free_ hive_value_h *v = hivex_node_values(h->h, n);
	if (!v)
		return node_error();
	size_t cnt = 0;
	while (v[cnt])
		cnt++;
	char **names = calloc(cnt + 1, sizeof(char *));
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		errno = 0;
		names[i] = hivex_value_key(h->h, v[i]);
		if (!names[i]) {
			int r = node_error();
			for (size_t k = 0; k < i; k++)
				free(names[k]);
			free(names);
			return r;
		}
	}
	*ret = names;
	*ret_n = cnt;
	return 0;
}

/* ---- values ---- */

/* The raw data of `value` (type in *t); -ENOENT when absent. */
static int value_raw(struct hive *h, hive_node n, const char *value, hive_type *t, char **ret,
		     size_t *ret_len)
{
	errno = 0;
	hive_value_h v = hivex_node_get_value(h->h, n, value);
	if (!v)
		return errno ? node_error() : -ENOENT;
	size_t len = 0;
	if (hivex_value_type(h->h, v, t, &len) < 0)
		return node_error();
	if (len > EXCISE_MAX_HIVE_VALUE_SIZE)
		return -EXCISE_E_TOOBIG;
	char *d = hivex_value_value(h->h, v, t, &len);
	if (!d)
		return node_error();
	if (len > EXCISE_MAX_HIVE_VALUE_SIZE) {
		free(d);
		return -EXCISE_E_TOOBIG;
	}
	*ret = d;
	*ret_len = len;
	return 0;
}

static void put_utf8(struct buf *b, uint32_t c)
{
	char o[4];
	size_t n;
	if (c < 0x80) {
		o[0] = (char)c, n = 1;
	} else if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6)), o[1] = (char)(0x80 | (c & 0x3f)), n = 2;
	} else if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12)), o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f)), n = 3;
	} else {
		o[0] = (char)(0xf0 | (c >> 18)), o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((c >> 6) & 0x3f)), o[3] = (char)(0x80 | (c & 0x3f)), n = 4;
	}
	buf_add(b, o, n);
}

/* Decode units [*pos, len/2) up to a NUL unit (consumed); returns the buffer's error. */
static int utf16_run(const unsigned char *p, size_t units, size_t *pos, struct buf *b)
{
	size_t i = *pos;
	while (i < units && !b->err) {
		uint32_t u = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
		i++;
		if (u == 0)
			break;
		if (u >= 0xd800 && u < 0xdc00 && i < units) {
			uint32_t l = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
			if (l >= 0xdc00 && l < 0xe000) {
				i++;
				put_utf8(b, 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00));
				continue;
			}
		}
		put_utf8(b, u >= 0xd800 && u < 0xe000 ? 0xfffd : u);
	}
	*pos = i;
	return b->err;
}

int utf16le_to_utf8(const void *p, size_t len, size_t max, char **ret)
{
	struct buf b;
	buf_init(&b, max);
	size_t pos = 0;
	int r = utf16_run(p, len / 2, &pos, &b);
	if (r < 0) {
		buf_done(&b);
		return r;
	}
	return buf_take(&b, ret);
}

static const struct {
	const char *name, *value;
} known_vars[] = {
	{ "SystemRoot", "\\Windows" },
	{ "windir", "\\Windows" },
	{ "SystemDrive", "" },
	{ "ProgramFiles", "\\Program Files" },
	{ "ProgramW6432", "\\Program Files" },
	{ "ProgramFiles(x86)", "\\Program Files (x86)" },
	{ "CommonProgramFiles", "\\Program Files\\Common Files" },
	{ "CommonProgramW6432", "\\Program Files\\Common Files" },
	{ "CommonProgramFiles(x86)", "\\Program Files (x86)\\Common Files" },
	{ "ProgramData", "\\ProgramData" },
	{ "ALLUSERSPROFILE", "\\ProgramData" },
	{ "PUBLIC", "\\Users\\Public" },
};

int hive_expand(const char *s, char **ret)
{
	struct buf b;
	buf_init(&b, EXCISE_MAX_HIVE_STRING_LEN);
	while (*s) {
		const char *e = s[0] == '%' ? strchr(s + 1, '%') : NULL;
		size_t k = ARRAY_SIZE(known_vars);
		if (e)
			for (k = 0; k < ARRAY_SIZE(known_vars); k++)
				if (strlen(known_vars[k].name) == (size_t)(e - s - 1) &&
				    strncasecmp(known_vars[k].name, s + 1, (size_t)(e - s - 1)) == 0)
					break;
		if (k < ARRAY_SIZE(known_vars)) {
			buf_adds(&b, known_vars[k].value);
			s = e + 1;
		} else {
			buf_addc(&b, *s++);
		}
	}
	if (b.err) {
		int r = b.err;
		buf_done(&b);
		return r;
	}
	return buf_take(&b, ret);
}

int hive_string(struct hive *h, hive_node n, const char *value, char **ret)
{
	hive_type t;
	_cleanup_free_ char *d = NULL;
	size_t len = 0;
	int r = value_raw(h, n, value, &t, &d, &len);
	if (r < 0)
		return r;
	if (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ && t != hive_t_REG_LINK)
		return -EXCISE_E_UNSUPPORTED;
	_cleanup_free_ char *s = NULL;
	if ((r = utf16le_to_utf8(d, len, EXCISE_MAX_HIVE_STRING_LEN, &s)) < 0)
		return r;
	if (t == hive_t_REG_EXPAND_SZ)
		return hive_expand(s, ret);
	*ret = TAKE_PTR(s);
	return 0;
}

int hive_multi(struct hive *h, hive_node n, const char *value, char ***ret)
{
	hive_type t;
	_cleanup_free_ char *d = NULL;
	size_t len = 0;
	int r = value_raw(h, n, value, &t, &d, &len);
	if (r < 0)
		return r;
	if (t != hive_t_REG_MULTI_SZ && t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ)
		return -EXCISE_E_UNSUPPORTED;
	const unsigned char *p = (const unsigned char *)d;
	size_t units = len / 2, pos = 0, nv = 0;
	char **v = calloc(1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	while (pos < units) {
		struct buf b;
		buf_init(&b, EXCISE_MAX_HIVE_STRING_LEN);
		if ((r = utf16_run(p, units, &pos, &b)) < 0) {
			buf_done(&b);
			break;
		}
		if (b.n == 0) { /* the empty string ends the list */
			buf_done(&b);
			break;
		}
		char **q = realloc(v, (nv + 2) * sizeof(char *));
		if (!q) {
			buf_done(&b);
			r = -ENOMEM;
			break;
		}
		v = q;
		if ((r = buf_take(&b, &v[nv])) < 0)
			break;
		v[++nv] = NULL;
	}
	if (r < 0) {
		excise_strv_free(v);
		return r;
	}
	*ret = v;
	return 0;
}

int hive_u64(struct hive *h, hive_node n, const char *value, uint64_t *ret)
{
	hive_type t;
	_cleanup_free_ char *d = NULL;
	size_t len = 0;
	int r = value_raw(h, n, value, &t, &d, &len);
	if (r < 0)
		return r;
	const unsigned char *p = (const unsigned char *)d;
	if (t == hive_t_REG_DWORD && len >= 4)
		*ret = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
	else if (t == hive_t_REG_DWORD_BIG_ENDIAN && len >= 4)
		*ret = (uint64_t)p[3] | (uint64_t)p[2] << 8 | (uint64_t)p[1] << 16 | (uint64_t)p[0] << 24;
	else if (t == hive_t_REG_QWORD && len >= 8) {
		uint64_t x = 0;
		for (int i = 7; i >= 0; i--)
			x = x << 8 | p[i];
		*ret = x;
	} else
		return t == hive_t_REG_DWORD || t == hive_t_REG_QWORD ? -EXCISE_E_CORRUPT
								      : -EXCISE_E_UNSUPPORTED;
	return 0;
}

int hive_binary(struct hive *h, hive_node n, const char *value, void **ret, size_t *ret_len)
{
	hive_type t;
	char *d = NULL;
	int r = value_raw(h, n, value, &t, &d, ret_len);
	if (r < 0)
		return r;
	*ret = d;
	return 0;
}

/* ---- walking ---- */

struct walk {
	struct hive *h;
	hive_visit_fn fn;
	void *ud;
	unsigned max_depth;
	size_t visits;
	struct buf path;
	struct excise_err *err;
	int limit; /* -EXCISE_E_LIMIT once a depth limit cut a branch */
};

static int walk_node(struct walk *w, hive_node n, unsigned depth)
{
	if (++w->visits > EXCISE_MAX_HIVE_KEYS)
		return err_set(w->err, -EXCISE_E_LIMIT, "hive '%s': %s: more than %u keys, walk stopped",
			       w->h->name, w->path.p, EXCISE_MAX_HIVE_KEYS);
	int r = w->fn(w->ud, w->h, n, w->path.p, depth);
	if (r != 0)
		return r < 0 ? r : 0;
	_cleanup_free_ hive_node *c = NULL;
	r = hive_children(w->h, n, &c);
	if (r == -EXCISE_E_LIMIT)
		return err_set(w->err, r, "hive '%s': %s: more than %u subkeys, not read", w->h->name,
			       w->path.p, EXCISE_MAX_HIVE_KEYS);
	if (r < 0)
		return err_set(w->err, r, "hive '%s': %s: subkeys cannot be read", w->h->name, w->path.p);
	if (c[0] && depth >= w->max_depth) {
		if (!w->limit)
			err_set(w->err, -EXCISE_E_LIMIT, "hive '%s': %s: more than %u key levels, not read",
				w->h->name, w->path.p, w->max_depth);
		w->limit = -EXCISE_E_LIMIT;
		return 0;
	}
	size_t keep = w->path.n;
	for (size_t i = 0; c[i]; i++) {
		_cleanup_free_ char *name = NULL;
		if ((r = hive_key_name(w->h, c[i], &name)) < 0)
			return err_set(w->err, r, "hive '%s': %s: a subkey name cannot be read", w->h->name,
				       w->path.p);
		buf_addc(&w->path, '\\');
		buf_adds(&w->path, name);
		if (w->path.err)
			return err_set(w->err, w->path.err, "hive '%s': %s: key path too long", w->h->name,
				       name);
		r = walk_node(w, c[i], depth + 1);
		w->path.n = keep;
		w->path.p[keep] = 0;
		if (r < 0)
			return r;
	}
	return 0;
}

int hive_walk(struct hive *h, hive_node start, const char *start_path, unsigned max_depth,
	      hive_visit_fn fn, void *ud, struct excise_err *err)
{
	struct walk w = { .h = h, .fn = fn, .ud = ud, .err = err,
			  .max_depth = max_depth < EXCISE_MAX_HIVE_DEPTH ? max_depth : EXCISE_MAX_HIVE_DEPTH };
	buf_init(&w.path, 64u << 10);
	buf_adds(&w.path, start_path);
	int r = w.path.err ? w.path.err : walk_node(&w, start, 0);
	buf_done(&w.path);
	return r < 0 ? r : w.limit;
}
