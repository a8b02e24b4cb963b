/* SPDX-License-Identifier: Apache-2.0 */
/* plist: libplist behind bounds checks and typed getters (see plist.h). */
#include "parse/plist.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/limits.h"

#define MAC_EPOCH 978307200 /* 2001-01-01T00:00:00Z in Unix time */

/* ---- binary pre-check ------------------------------------------------------ */

struct bp {
	const uint8_t *d;
	size_t len;
	const char *name;
	unsigned off_size, ref_size;
	uint64_t n_obj, top, table;
	struct excise_err *err;
};

static uint64_t be_uint(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static uint64_t obj_offset(const struct bp *b, uint64_t i)
{
	return be_uint(b->d + b->table + i * b->off_size, b->off_size);
}

/* Decode object i's header: its type nibble, count and where its payload starts.
 * Objects must lie between the header and the offset table. */
static int obj_header(const struct bp *b, uint64_t i, unsigned *type, uint64_t *count,
		      uint64_t *payload)
{
	uint64_t o = obj_offset(b, i);
	if (o < 8 || o >= b->table)
		return err_set(b->err, -EXCISE_E_CORRUPT, "'%s': binary plist object %llu: offset %llu "
			       "outside the object area", b->name, (unsigned long long)i,
			       (unsigned long long)o);
	uint8_t m = b->d[o];
	*type = m >> 4;
	*count = m & 0xf;
	*payload = o + 1;
	bool counted = *type == 0x4 || *type == 0x5 || *type == 0x6 || *type == 0xa ||
		       *type == 0xc || *type == 0xd;
	if (counted && *count == 0xf) {
		if (o + 2 > b->table || (b->d[o + 1] >> 4) != 0x1 || (b->d[o + 1] & 0xf) > 3)
			return err_set(b->err, -EXCISE_E_CORRUPT, "'%s': binary plist object %llu: bad "
				       "length", b->name, (unsigned long long)i);
		unsigned n = 1u << (b->d[o + 1] & 0xf);
		if (o + 2 + n > b->table)
			return err_set(b->err, -EXCISE_E_CORRUPT, "'%s': binary plist object %llu: "
				       "truncated length", b->name, (unsigned long long)i);
		*count = be_uint(b->d + o + 2, n);
		*payload = o + 2 + n;
	}
	uint64_t room = b->table - *payload, need;
	switch (*type) {
	case 0x0: need = 0; break;
	case 0x1: case 0x2: need = 1u << (*count & 0x7); break;
	case 0x3: need = 8; break;
	case 0x4: case 0x5: need = *count; break;
	case 0x6: need = *count > room / 2 ? UINT64_MAX : *count * 2; break;
	case 0x8: need = *count + 1; break;
	case 0xa: case 0xc: need = *count > room / b->ref_size ? UINT64_MAX : *count * b->ref_size; break;
	case 0xd:
		need = *count > room / 2 / b->ref_size ? UINT64_MAX : *count * 2 * b->ref_size;
		break;
	default:
		return err_set(b->err, -EXCISE_E_CORRUPT, "'%s': binary plist object %llu: unknown "
			       "type 0x%x", b->name, (unsigned long long)i, *type);
	}
	if (need > room)
		return err_set(b->err, -EXCISE_E_CORRUPT, "'%s': binary plist object %llu: runs past "
			       "the object area", b->name, (unsigned long long)i);
	return 0;
}

static bool is_container(unsigned type)
{
	return type == 0xa || type == 0xc || type == 0xd;
}

enum { UNSEEN, OPEN, DONE };

/* libplist wants dictionary keys to be strings. */
static int check_key(const struct bp *b, uint64_t dict, uint64_t ref)
{
	unsigned type;
	uint64_t count, payload;
	int r = obj_header(b, ref, &type, &count, &payload);
	if (r < 0)
		return r;
	if (type != 0x5 && type != 0x6)
		return err_set(b->err, -EXCISE_E_CORRUPT, "'%s': binary plist object %llu: a "
			       "dictionary key that is not a string", b->name, (unsigned long long)dict);
	return 0;
}

struct frame {
	uint64_t obj, next, n_refs, n_keys, payload;
};

/* Depth-first over the reference graph with an explicit stack no deeper than
 * EXCISE_MAX_PLIST_DEPTH: each object is finished once, with its expanded
 * node count (shared children counted at every reference, as libplist copies
 * them). An OPEN object met again is a cycle. */
static int walk_graph(struct bp *b)
{
	int r = -ENOMEM;
	uint8_t *state = calloc(b->n_obj, 1);
	uint64_t *nodes = calloc(b->n_obj, sizeof(*nodes));
	struct frame stack[EXCISE_MAX_PLIST_DEPTH];
	size_t sp = 0;
	if (!state || !nodes)
		goto out;
	uint64_t cur = b->top;
	for (;;) {
		/* Enter `cur` when it is not finished yet. */
		if (state[cur] == OPEN) {
			r = err_set(b->err, -EXCISE_E_CORRUPT, "'%s': binary plist object %llu refers "
				    "to itself", b->name, (unsigned long long)cur);
			goto out;
		}
		if (state[cur] == UNSEEN) {
			unsigned type;
			uint64_t count, payload;
			r = obj_header(b, cur, &type, &count, &payload);
			if (r < 0)
				goto out;
			if (is_container(type) && sp == EXCISE_MAX_PLIST_DEPTH) {
				r = err_set(b->err, -EXCISE_E_LIMIT, "'%s': more than %u nested arrays "
					    "or dictionaries", b->name, EXCISE_MAX_PLIST_DEPTH);
				goto out;
			}
			if (!is_container(type) || count == 0) {
				state[cur] = DONE;
				nodes[cur] = 1;
			} else {
				state[cur] = OPEN;
				stack[sp++] = (struct frame){ .obj = cur, .payload = payload,
							      .n_refs = type == 0xd ? count * 2 : count,
							      .n_keys = type == 0xd ? count : 0 };
			}
		}
		if (state[cur] == DONE && sp > 0) {
			nodes[stack[sp - 1].obj] += nodes[cur];
			if (nodes[stack[sp - 1].obj] > EXCISE_MAX_PLIST_OBJECTS)
				goto too_many;
		}
		/* Step the innermost open container to its next child, or close it. */
		for (;;) {
			if (sp == 0) {
				r = 0;
				goto out;
			}
			struct frame *f = &stack[sp - 1];
			if (f->next < f->n_refs) {
				uint64_t ref = be_uint(b->d + f->payload + f->next * b->ref_size,
						       b->ref_size);
				f->next++;
				if (ref >= b->n_obj) {
					r = err_set(b->err, -EXCISE_E_CORRUPT, "'%s': binary plist object "
						    "%llu: reference %llu past the %llu objects",
						    b->name, (unsigned long long)f->obj,
						    (unsigned long long)ref, (unsigned long long)b->n_obj);
					goto out;
				}
				if (f->next <= f->n_keys) {
					r = check_key(b, f->obj, ref);
					if (r < 0)
						goto out;
				}
				if (state[ref] == DONE) {
					nodes[f->obj] += nodes[ref];
					if (nodes[f->obj] > EXCISE_MAX_PLIST_OBJECTS)
						goto too_many;
					continue;
				}
				cur = ref;
				break;
			}
			nodes[f->obj] += 1;
			state[f->obj] = DONE;
			uint64_t done = f->obj;
			sp--;
			if (nodes[done] > EXCISE_MAX_PLIST_OBJECTS)
				goto too_many;
			if (sp > 0) {
				struct frame *p = &stack[sp - 1];
				nodes[p->obj] += nodes[done];
				if (nodes[p->obj] > EXCISE_MAX_PLIST_OBJECTS)
					goto too_many;
			}
		}
	}
too_many:
	r = err_set(b->err, -EXCISE_E_LIMIT, "'%s': binary plist expands to more than %u objects",
		    b->name, EXCISE_MAX_PLIST_OBJECTS);
out:
	free(state);
	free(nodes);
	return r;
}

int pl_check_binary(const uint8_t *d, size_t len, const char *name, struct excise_err *err)
{
	if (len < 8 + 32 || memcmp(d, "bplist00", 8) != 0)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': binary plist: too short or bad header",
			       name);
	const uint8_t *t = d + len - 32;
	struct bp b = { .d = d, .len = len, .name = name, .err = err, .off_size = t[6],
			.ref_size = t[7], .n_obj = be_uint(t + 8, 8), .top = be_uint(t + 16, 8),
			.table = be_uint(t + 24, 8) };
	uint64_t end = len - 32;
	if (b.off_size < 1 || b.off_size > 8 || b.ref_size < 1 || b.ref_size > 8)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': binary plist trailer: bad integer sizes "
			       "(%u, %u)", name, b.off_size, b.ref_size);
	if (b.n_obj == 0 || b.n_obj > EXCISE_MAX_PLIST_OBJECTS)
		return err_set(err, b.n_obj ? -EXCISE_E_LIMIT : -EXCISE_E_CORRUPT,
			       "'%s': binary plist trailer: %llu objects (1 to %u accepted)", name,
			       (unsigned long long)b.n_obj, EXCISE_MAX_PLIST_OBJECTS);
	if (b.top >= b.n_obj)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': binary plist trailer: top object %llu "
			       "of %llu", name, (unsigned long long)b.top, (unsigned long long)b.n_obj);
	if (b.table < 9 || b.table > end || (end - b.table) / b.off_size < b.n_obj)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': binary plist trailer: offset table "
			       "outside the file", name);
	return walk_graph(&b);
}

/* ---- XML pre-check --------------------------------------------------------- */

static bool tag_is(const char *p, const char *end, const char *tag)
{
	size_t n = strlen(tag);
	if ((size_t)(end - p) < n || memcmp(p, tag, n) != 0)
		return false;
	return p + n == end || !((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
				 (p[n] >= '0' && p[n] <= '9') || p[n] == '_' || p[n] == '-');
}

/* Count the nesting of <array> and <dict>. Tags inside comments count too,
 * which can only make the count higher than libplist's. */
int pl_check_xml(const char *d, size_t len, const char *name, struct excise_err *err)
{
	const char *p = d, *end = d + len;
	unsigned depth = 0;
	while ((p = memchr(p, '<', (size_t)(end - p)))) {
		p++;
		bool close = p < end && *p == '/';
		const char *t = close ? p + 1 : p;
		bool container = tag_is(t, end, "array") || tag_is(t, end, "dict");
		if (!container)
			continue;
		const char *gt = memchr(t, '>', (size_t)(end - t));
		if (!gt)
			break;
		if (close) {
			if (depth > 0)
				depth--;
		} else if (depth + 1 > EXCISE_MAX_PLIST_DEPTH) {
			return err_set(err, -EXCISE_E_LIMIT, "'%s': more than %u nested arrays or "
				       "dictionaries", name, EXCISE_MAX_PLIST_DEPTH);
		} else if (gt[-1] != '/') {
			depth++; /* "<array/>" is a level that closes at once */
		}
		p = gt + 1;
	}
	return 0;
}

/* ---- parse and read -------------------------------------------------------- */

int pl_parse(const void *data, size_t len, const char *name, plist_t *ret, struct excise_err *err)
{
	*ret = NULL;
	if (len > EXCISE_MAX_PLIST_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "'%s': larger than %u bytes", name,
			       EXCISE_MAX_PLIST_SIZE);
	bool bin = len >= 8 && memcmp(data, "bplist", 6) == 0;
	int r = bin ? pl_check_binary(data, len, name, err) : pl_check_xml(data, len, name, err);
	if (r < 0)
		return r;
	plist_t p = NULL;
	if (bin)
		plist_from_bin(data, (uint32_t)len, &p);
	else
		plist_from_xml(data, (uint32_t)len, &p);
	if (!p)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': not a valid %s property list", name,
			       bin ? "binary" : "XML");
	*ret = p;
	return 0;
}

int pl_read_dict(const struct root *r, const char *path, plist_t *ret, struct excise_err *err)
{
	*ret = NULL;
	/* opened only once known to be a regular file: no device or FIFO is opened */
	_cleanup_close_ int fd = root_open_file(r, path, O_RDONLY, NULL);
	if (fd == -EXCISE_E_SPECIAL)
		return err_set(err, fd, "'%s': not a regular file (a device, FIFO or socket): not opened", path);
	if (fd < 0)
		return err_setc(err, fd, "'%s'", path);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int k = read_fd_all(fd, EXCISE_MAX_PLIST_SIZE, &data, &len);
	if (k == -EXCISE_E_TOOBIG)
		return err_set(err, k, "'%s': larger than %u bytes", path, EXCISE_MAX_PLIST_SIZE);
	if (k == -EINVAL)
		return err_set(err, k, "'%s': not a regular file", path);
	if (k < 0)
		return err_setc(err, k, "'%s'", path);
	plist_t p;
	k = pl_parse(data, len, path, &p, err);
	if (k < 0)
		return k;
	if (plist_get_node_type(p) != PLIST_DICT) {
		plist_free(p);
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': top object is not a dictionary", path);
	}
	*ret = p;
	return 0;
}

/* ---- getters --------------------------------------------------------------- */

static int get(plist_t dict, const char *key, plist_type want, const char *what, const char *name,
	       plist_t *ret, struct excise_err *err)
{
	*ret = NULL;
	if (!dict || plist_get_node_type(dict) != PLIST_DICT)
		return 1;
	plist_t v = plist_dict_get_item(dict, key);
	if (!v)
		return 1;
	if (plist_get_node_type(v) != want)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': key '%s': not %s", name, key, what);
	*ret = v;
	return 0;
}

static int string_of(plist_t v, const char *key, const char *name, const char **ret,
		     struct excise_err *err)
{
	uint64_t n = 0;
	const char *s = plist_get_string_ptr(v, &n);
	if (!s)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': key '%s': no string", name, key);
	if (n > EXCISE_MAX_PLIST_STRING)
		return err_set(err, -EXCISE_E_TOOBIG, "'%s': key '%s': string longer than %u bytes",
			       name, key, EXCISE_MAX_PLIST_STRING);
	if (strlen(s) != n)
		return err_set(err, -EXCISE_E_CORRUPT, "'%s': key '%s': NUL inside the string", name,
			       key);
	*ret = s;
	return 0;
}

int pl_dict_string(plist_t dict, const char *key, const char *name, const char **ret,
		   struct excise_err *err)
{
	plist_t v;
	*ret = NULL;
	int r = get(dict, key, PLIST_STRING, "a string", name, &v, err);
	return r != 0 ? r : string_of(v, key, name, ret, err);
}

int pl_dict_bool(plist_t dict, const char *key, const char *name, bool *ret, struct excise_err *err)
{
	plist_t v;
	int r = get(dict, key, PLIST_BOOLEAN, "a boolean", name, &v, err);
	if (r != 0)
		return r;
	uint8_t b = 0;
	plist_get_bool_val(v, &b);
	*ret = b != 0;
	return 0;
}

int pl_dict_dict(plist_t dict, const char *key, const char *name, plist_t *ret,
		 struct excise_err *err)
{
	return get(dict, key, PLIST_DICT, "a dictionary", name, ret, err);
}

int pl_dict_date(plist_t dict, const char *key, const char *name, int64_t *ret,
		 struct excise_err *err)
{
	plist_t v;
	int r = get(dict, key, PLIST_DATE, "a date", name, &v, err);
	if (r != 0)
		return r;
	int32_t sec = 0, usec = 0;
	plist_get_date_val(v, &sec, &usec);
	*ret = (int64_t)sec + MAC_EPOCH;
	return 0;
}

int pl_dict_strings(plist_t dict, const char *key, const char *name, const char ***ret, size_t *n,
		    struct excise_err *err)
{
	plist_t v;
	*ret = NULL;
	*n = 0;
	int r = get(dict, key, PLIST_ARRAY, "an array", name, &v, err);
	if (r != 0)
		return r;
	uint32_t size = plist_array_get_size(v);
	if (size > EXCISE_MAX_PLIST_ARRAY_ITEMS)
		return err_set(err, -EXCISE_E_LIMIT, "'%s': key '%s': more than %u items", name, key,
			       EXCISE_MAX_PLIST_ARRAY_ITEMS);
	const char **a = calloc(size ? size : 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (uint32_t i = 0; i < size; i++) {
		plist_t it = plist_array_get_item(v, i);
		if (!it || plist_get_node_type(it) != PLIST_STRING) {
			free(a);
			return err_set(err, -EXCISE_E_CORRUPT, "'%s': key '%s': item %u is not a "
				       "string", name, key, i);
		}
		r = string_of(it, key, name, &a[i], err);
		if (r < 0) {
			free(a);
			return r;
		}
	}
	*ret = a;
	*n = size;
	return 0;
}

int pl_dict_array(plist_t dict, const char *key, const char *name, plist_t *ret, uint32_t *n,
		  struct excise_err *err)
{
	*n = 0;
	int r = get(dict, key, PLIST_ARRAY, "an array", name, ret, err);
	if (r != 0)
		return r;
	*n = plist_array_get_size(*ret);
	if (*n > EXCISE_MAX_PLIST_ARRAY_ITEMS) {
		*ret = NULL;
		*n = 0;
		return err_set(err, -EXCISE_E_LIMIT, "'%s': key '%s': more than %u items", name, key,
			       EXCISE_MAX_PLIST_ARRAY_ITEMS);
	}
	return 0;
}

int pl_dict_path_string(plist_t dict, const char *const *keys, size_t n_keys, const char *name,
			const char **ret, struct excise_err *err)
{
	*ret = NULL;
	if (n_keys == 0 || n_keys > EXCISE_MAX_PLIST_DEPTH)
		return err_set(err, -EXCISE_E_USAGE, "'%s': key path of %zu keys", name, n_keys);
	for (size_t i = 0; i + 1 < n_keys; i++) {
		int r = pl_dict_dict(dict, keys[i], name, &dict, err);
		if (r != 0)
			return r;
	}
	return pl_dict_string(dict, keys[n_keys - 1], name, ret, err);
}
