/* SPDX-License-Identifier: Apache-2.0 */
/*
 * match: indicators compiled per (kind, field) so that a string costs a few
 * hash lookups, not a pass over every indicator.
 *
 *   exact   hash of the value (ASCII-folded for nocase) -> chain of indicators
 *   glob    literal prefix before the first wildcard, hashed per distinct prefix
 *           length; globs without a prefix use their literal suffix; a glob with
 *           neither is "open" and tried on every string of its (kind, field)
 *   regex   one alternation per (kind, field); on a hit each is tried alone
 *
 * A 64 Ki-bit filter over the first two (folded) bytes of every hashed key
 * rejects most strings before any hashing; it is what keeps the full walk
 * close to a bare directory read.
 */
#include "catalog/match.h"

#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/text.h"

struct chain {
	const struct excise_indicator *ind;
	int next;       /* index into kf.chain, -1 ends */
	regex_t *re;    /* compiled regex for EXCISE_MATCH_REGEX */
};

/* A glob with neither a literal prefix nor suffix, found by its longest inner
 * literal (folded when nocase) before fnmatch runs. */
struct infix {
	char *needle;
	size_t len;
	const struct excise_indicator *ind;
};

struct bucket_set {
	struct hash keys[2];        /* [0] case-sensitive, [1] folded */
	unsigned lens[2][64];       /* distinct key lengths per table */
	size_t n_lens[2];
};

/* The literal start of an exact value or a prefix glob: what a string must begin with. */
struct anchor {
	const char *s;
	size_t len;
	bool nocase, whole;         /* whole: an exact value (the string is exactly s) */
};

struct kf {
	bool any;
	bool open;                  /* some indicator must be tried on every string */
	struct bucket_set exact, prefix, suffix;
	int open_head;              /* chain of open globs and regexes */
	struct infix *infix;        /* globs with only an inner literal ("*kaspersky*") */
	size_t n_infix;
	bool infix_nocase;
	uint64_t ifilter[65536 / 64];   /* first two (folded) bytes of every inner literal */
	regex_t all_re;             /* alternation of every regex here */
	bool has_re;
	struct chain *chain;
	size_t n_chain;
	char **owned;               /* folded keys we allocated */
	size_t n_owned;
	uint64_t filter[65536 / 64];    /* first two bytes of exact values and prefixes */
	uint64_t sfilter[65536 / 64];   /* last two bytes of suffixes */
	struct anchor *anchors;     /* every exact value and glob prefix, for matcher_could_below */
	size_t n_anchors;
};

struct matcher {
	struct kf kf[_EXCISE_OBS_KIND_MAX][_EXCISE_FIELD_MAX];
};

static unsigned fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32u : c;
}

/* The three filters are 64 Ki-bit sets indexed by a pair of folded bytes. */
static unsigned pair(unsigned char a, unsigned char b)
{
	return (fold(a) << 8) | fold(b);
}

static void filter_set(uint64_t *bits, unsigned i)
{
	bits[i >> 6] |= 1ull << (i & 63);
}

static bool filter_get(const uint64_t *bits, unsigned i)
{
	return bits[i >> 6] & (1ull << (i & 63));
}

/* Mark the first two bytes of `key` (a one-byte key: that byte before any other). */
static void filter_add(struct kf *kf, const char *key, size_t len)
{
	unsigned char a = len > 0 ? (unsigned char)key[0] : 0;
	if (len >= 2) {
		filter_set(kf->filter, pair(a, (unsigned char)key[1]));
		return;
	}
	for (unsigned b = 0; b < 256; b++)
		filter_set(kf->filter, pair(a, (unsigned char)b));
}

static bool filter_has(const struct kf *kf, const char *s, size_t len)
{
	unsigned char a = len > 0 ? (unsigned char)s[0] : 0, b = len > 1 ? (unsigned char)s[1] : 0;
	return filter_get(kf->filter, pair(a, b));
}

/* Mark the last two bytes of `key` (a one-byte key: that byte after any other). */
static void sfilter_add(struct kf *kf, const char *key, size_t len)
{
	unsigned char b = (unsigned char)key[len - 1];
	if (len >= 2) {
		filter_set(kf->sfilter, pair((unsigned char)key[len - 2], b));
		return;
	}
	for (unsigned a = 0; a < 256; a++)
		filter_set(kf->sfilter, pair((unsigned char)a, b));
}

static bool sfilter_has(const struct kf *kf, const char *s, size_t len)
{
	if (len < 2)
		return len == 1; /* a one-byte string: let the lookup decide */
	return filter_get(kf->sfilter, pair((unsigned char)s[len - 2], (unsigned char)s[len - 1]));
}

static int add_chain(struct kf *kf, const struct excise_indicator *ind, int next)
{
	struct chain *c = realloc(kf->chain, (kf->n_chain + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	kf->chain = c;
	c[kf->n_chain] = (struct chain){ .ind = ind, .next = next };
	return (int)kf->n_chain++;
}

/* Put `ind` under key[0..len) in `set` (folded when nocase). */
static int bucket_add(struct kf *kf, struct bucket_set *set, const struct excise_indicator *ind,
		      const char *key, size_t len)
{
	int t = ind->nocase ? 1 : 0;
	if (t) {
		char *k = malloc(len + 1);
		char **o = realloc(kf->owned, (kf->n_owned + 1) * sizeof(*o));
		if (!k || !o) {
			free(k);
			if (o)
				kf->owned = o;
			return -ENOMEM;
		}
		kf->owned = o;
		ascii_lower(k, key, len);
		k[len] = 0;
		kf->owned[kf->n_owned++] = k;
		key = k;
	}
	struct hash_slot *s = hash_put(&set->keys[t], key, len);
	if (!s)
		return -ENOMEM;
	int idx = add_chain(kf, ind, s->value);
	if (idx < 0)
		return idx;
	s->value = idx;
	bool seen = false;
	for (size_t i = 0; i < set->n_lens[t]; i++)
		seen |= set->lens[t][i] == len;
	if (!seen) {
		if (set->n_lens[t] == ARRAY_SIZE(set->lens[t]))
			return -EXCISE_E_LIMIT;
		set->lens[t][set->n_lens[t]++] = (unsigned)len;
	}
	return 0;
}

static size_t literal_prefix(const char *v)
{
	size_t n = strcspn(v, "*?[\\");
	return n;
}

static size_t literal_suffix(const char *v, size_t len)
{
	size_t n = 0;
	while (n < len) {
		char c = v[len - 1 - n];
		if (c == '*' || c == '?' || c == ']' || c == '\\')
			break;
		n++;
	}
	return n;
}

/* Longest run of plain characters in glob `v` (outside brackets). Returns 1 when
 * the glob was filed as an infix, 0 when it has no usable literal. */
static int add_infix(struct kf *kf, const struct excise_indicator *ind)
{
	const char *v = ind->value, *best = NULL;
	size_t best_len = 0;
	for (const char *p = v; *p;) {
		if (*p == '[') {
			const char *q = strchr(p + 1, ']');
			if (!q)
				return 0;
			p = q + 1;
			continue;
		}
		if (*p == '*' || *p == '?' || *p == '\\' || *p == ']') {
			p++;
			continue;
		}
		size_t n = strcspn(p, "*?[]\\");
		if (n > best_len)
			best = p, best_len = n;
		p += n;
	}
	if (best_len < 3)
		return 0;
	struct infix *x = realloc(kf->infix, (kf->n_infix + 1) * sizeof(*x));
	if (!x)
		return -ENOMEM;
	kf->infix = x;
	char *needle = strndup(best, best_len);
	if (!needle)
		return -ENOMEM;
	if (ind->nocase) {
		ascii_lower(needle, needle, best_len);
		kf->infix_nocase = true;
	}
	x[kf->n_infix++] = (struct infix){ .needle = needle, .len = best_len, .ind = ind };
	filter_set(kf->ifilter, pair((unsigned char)needle[0], (unsigned char)needle[1]));
	return 1;
}

/* One pass over `s`: could any inner literal start here? Saves a memmem per needle. */
static bool ifilter_has(const struct kf *kf, const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (filter_get(kf->ifilter, pair((unsigned char)s[i], (unsigned char)s[i + 1])))
			return true;
	return false;
}

/* Does the inner literal of `x` occur in `s` (its folded copy for nocase)? */
static bool infix_seen(const struct infix *x, const char *s, const char *folded, size_t len)
{
	const char *hay = x->ind->nocase ? folded : s;
	return hay && memmem(hay, len, x->needle, x->len) != NULL;
}

static int add_anchor(struct kf *kf, const char *s, size_t len, bool nocase, bool whole)
{
	struct anchor *a = realloc(kf->anchors, (kf->n_anchors + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	kf->anchors = a;
	a[kf->n_anchors++] = (struct anchor){ .s = s, .len = len, .nocase = nocase, .whole = whole };
	return 0;
}

static int add_indicator(struct kf *kf, const struct excise_indicator *ind, struct buf *all_re)
{
	const char *v = ind->value;
	size_t len = strlen(v);
	int r;
	kf->any = true;
	switch (ind->match) {
	case EXCISE_MATCH_EXACT:
		filter_add(kf, v, len);
		r = add_anchor(kf, v, len, ind->nocase, true);
		return r < 0 ? r : bucket_add(kf, &kf->exact, ind, v, len);
	case EXCISE_MATCH_GLOB: {
		size_t pl = literal_prefix(v);
		if (pl > 0) {
			filter_add(kf, v, pl);
			r = add_anchor(kf, v, pl, ind->nocase, false);
			return r < 0 ? r : bucket_add(kf, &kf->prefix, ind, v, pl);
		}
		size_t sl = literal_suffix(v, len);
		if (sl > 0) {
			sfilter_add(kf, v + len - sl, sl);
			return bucket_add(kf, &kf->suffix, ind, v + len - sl, sl);
		}
		r = add_infix(kf, ind);
		if (r != 0)
			return r < 0 ? r : 0;
		kf->open = true;
		r = add_chain(kf, ind, kf->open_head);
		if (r < 0)
			return r;
		kf->open_head = r;
		return 0;
	}
	case EXCISE_MATCH_REGEX: {
		regex_t *re = malloc(sizeof(*re));
		if (!re)
			return -ENOMEM;
		int flags = REG_EXTENDED | REG_NOSUB | (ind->nocase ? REG_ICASE : 0);
		if (regcomp(re, v, flags) != 0) {
			free(re);
			return -EXCISE_E_CATALOG;
		}
		r = add_chain(kf, ind, kf->open_head);
		if (r < 0) {
			regfree(re);
			free(re);
			return r;
		}
		kf->chain[r].re = re;
		kf->open_head = r;
		kf->open = true;
		/* Case differences between alternatives are settled by the one-by-one pass:
		 * the alternation is compiled folded, as a superset. */
		buf_addf(all_re, "%s(%s)", all_re->n ? "|" : "", v);
		return 0;
	}
	}
	return -EINVAL;
}

int matcher_new(const struct excise_catalog *c, const char *platform, struct matcher **ret,
		struct excise_err *reterr)
{
	struct matcher *m = calloc(1, sizeof(*m));
	if (!m)
		return err_set(reterr, -ENOMEM, "out of memory");
	for (size_t k = 0; k < _EXCISE_OBS_KIND_MAX; k++)
		for (size_t f = 0; f < _EXCISE_FIELD_MAX; f++)
			m->kf[k][f].open_head = -1;
	struct buf res[_EXCISE_OBS_KIND_MAX][_EXCISE_FIELD_MAX];
	for (size_t k = 0; k < _EXCISE_OBS_KIND_MAX; k++)
		for (size_t f = 0; f < _EXCISE_FIELD_MAX; f++)
			buf_init(&res[k][f], 1u << 20);
	int r = 0;
	size_t n = excise_catalog_n_indicators(c);
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct excise_indicator *ind = excise_catalog_indicator(c, i);
		if (!excise_indicator_applies(ind, platform))
			continue;
		r = add_indicator(&m->kf[ind->kind][ind->field], ind, &res[ind->kind][ind->field]);
		if (r < 0)
			err_set(reterr, r, "indicator '%s': cannot compile '%s'", ind->id, ind->value);
	}
	for (size_t k = 0; k < _EXCISE_OBS_KIND_MAX; k++) {
		for (size_t f = 0; f < _EXCISE_FIELD_MAX; f++) {
			struct buf *b = &res[k][f];
			if (r >= 0 && b->n) {
				if (b->err) {
					r = err_set(reterr, b->err, "regexes for %s %s: too long",
						    excise_obs_kind_name(k), excise_field_name(f));
				} else if (regcomp(&m->kf[k][f].all_re, b->p,
						   REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0) {
					r = err_set(reterr, -EXCISE_E_CATALOG, "regexes for %s %s do not compile together",
						    excise_obs_kind_name(k), excise_field_name(f));
				} else {
					m->kf[k][f].has_re = true;
				}
			}
			buf_done(b);
		}
	}
	if (r < 0) {
		matcher_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

struct matcher *matcher_free(struct matcher *m)
{
	if (!m)
		return NULL;
	for (size_t k = 0; k < _EXCISE_OBS_KIND_MAX; k++) {
		for (size_t f = 0; f < _EXCISE_FIELD_MAX; f++) {
			struct kf *kf = &m->kf[k][f];
			struct bucket_set *sets[] = { &kf->exact, &kf->prefix, &kf->suffix };
			for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
				hash_done(&sets[s]->keys[0]);
				hash_done(&sets[s]->keys[1]);
			}
			for (size_t i = 0; i < kf->n_chain; i++) {
				if (kf->chain[i].re) {
					regfree(kf->chain[i].re);
					free(kf->chain[i].re);
				}
			}
			free(kf->chain);
			free(kf->anchors);
			for (size_t i = 0; i < kf->n_infix; i++)
				free(kf->infix[i].needle);
			free(kf->infix);
			for (size_t i = 0; i < kf->n_owned; i++)
				free(kf->owned[i]);
			free(kf->owned);
			if (kf->has_re)
				regfree(&kf->all_re);
		}
	}
	free(m);
	return NULL;
}

bool matcher_wants(const struct matcher *m, enum excise_obs_kind kind, enum excise_field field)
{
	if ((unsigned)kind >= _EXCISE_OBS_KIND_MAX || (unsigned)field >= _EXCISE_FIELD_MAX)
		return false;
	return m->kf[kind][field].any;
}

/* Look `s` up in one table of a bucket set: exact (whole) or prefix/suffix of each length. */
enum part { WHOLE, PREFIX, SUFFIX };

static int lookup_set(const struct bucket_set *set, enum part part, const char *s, size_t len,
		      const char *folded, int (*each)(void *, int), void *ud)
{
	for (int t = 0; t < 2; t++) {
		const char *str = t ? folded : s;
		if (!set->keys[t].n || !str)
			continue;
		if (part == WHOLE) {
			const struct hash_slot *h = hash_get(&set->keys[t], str, len);
			if (h) {
				int r = each(ud, h->value);
				if (r)
					return r;
			}
			continue;
		}
		for (size_t i = 0; i < set->n_lens[t]; i++) {
			size_t l = set->lens[t][i];
			if (l > len)
				continue;
			const char *key = part == PREFIX ? str : str + len - l;
			const struct hash_slot *h = hash_get(&set->keys[t], key, l);
			if (h) {
				int r = each(ud, h->value);
				if (r)
					return r;
			}
		}
	}
	return 0;
}

static int stop_at_first(void *ud, int head)
{
	(void)ud;
	(void)head;
	return 1;
}

/* Folded copy for nocase tables, in `stack` when it fits. */
static char *folded_copy(const struct kf *kf, const char *s, size_t len, char *stack, size_t stack_size)
{
	bool need = kf->exact.keys[1].n || kf->prefix.keys[1].n || kf->suffix.keys[1].n ||
		    kf->infix_nocase;
	if (!need)
		return NULL;
	char *p = len < stack_size ? stack : malloc(len + 1);
	if (!p)
		return NULL;
	ascii_lower(p, s, len);
	p[len] = 0;
	return p;
}

bool matcher_could(const struct matcher *m, enum excise_obs_kind kind, enum excise_field field,
		   const char *s, size_t len)
{
	if ((unsigned)kind >= _EXCISE_OBS_KIND_MAX || (unsigned)field >= _EXCISE_FIELD_MAX)
		return false;
	const struct kf *kf = &m->kf[kind][field];
	if (!kf->any)
		return false;
	if (kf->open)
		return true;
	bool pre = filter_has(kf, s, len);
	if (!pre && !kf->suffix.keys[0].n && !kf->suffix.keys[1].n && !kf->n_infix)
		return false;
	char stack[256];
	char *folded = folded_copy(kf, s, len, stack, sizeof(stack));
	int r = 0;
	if (pre)
		r = lookup_set(&kf->exact, WHOLE, s, len, folded, stop_at_first, NULL);
	if (!r && pre)
		r = lookup_set(&kf->prefix, PREFIX, s, len, folded, stop_at_first, NULL);
	if (!r && sfilter_has(kf, s, len))
		r = lookup_set(&kf->suffix, SUFFIX, s, len, folded, stop_at_first, NULL);
	bool in = !r && kf->n_infix && ifilter_has(kf, s, len);
	for (size_t i = 0; in && !r && i < kf->n_infix; i++)
		r = infix_seen(&kf->infix[i], s, folded, len);
	if (folded && folded != stack)
		free(folded);
	return r != 0;
}

/* Do the first n bytes agree (ASCII case folded when nocase)? */
static bool same_start(const char *a, const char *b, size_t n, bool nocase)
{
	if (!nocase)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]))
			return false;
	return true;
}

bool matcher_could_below(const struct matcher *m, enum excise_obs_kind kind, enum excise_field field,
			 const char *prefix, size_t len)
{
	if ((unsigned)kind >= _EXCISE_OBS_KIND_MAX || (unsigned)field >= _EXCISE_FIELD_MAX)
		return false;
	const struct kf *kf = &m->kf[kind][field];
	if (!kf->any)
		return false;
	/* Suffixes, inner literals and open patterns can match under any prefix. */
	if (kf->open || kf->n_infix || kf->suffix.keys[0].n || kf->suffix.keys[1].n)
		return true;
	for (size_t i = 0; i < kf->n_anchors; i++) {
		const struct anchor *a = &kf->anchors[i];
		if (a->whole && a->len <= len)
			continue; /* an exact value no longer than the prefix names no string under it */
		size_t n = a->len < len ? a->len : len;
		if (same_start(a->s, prefix, n, a->nocase))
			return true;
	}
	return false;
}

struct run {
	const struct kf *kf;
	const char *s;
	matcher_fn fn;
	void *ud;
	enum part part;
};

static int run_chain(void *ud, int head)
{
	struct run *run = ud;
	for (int i = head; i >= 0; i = run->kf->chain[i].next) {
		const struct chain *c = &run->kf->chain[i];
		const struct excise_indicator *ind = c->ind;
		bool hit;
		if (run->part == WHOLE)
			hit = true; /* the hash matched the whole string */
		else if (c->re)
			hit = regexec(c->re, run->s, 0, NULL, 0) == 0;
		else
			hit = fnmatch(ind->value, run->s, ind->nocase ? FNM_CASEFOLD : 0) == 0;
		if (hit) {
			int r = run->fn(run->ud, ind);
			if (r)
				return r;
		}
	}
	return 0;
}

int matcher_match(const struct matcher *m, enum excise_obs_kind kind, enum excise_field field,
		  const char *s, size_t len, matcher_fn fn, void *userdata)
{
	if ((unsigned)kind >= _EXCISE_OBS_KIND_MAX || (unsigned)field >= _EXCISE_FIELD_MAX)
		return 0;
	const struct kf *kf = &m->kf[kind][field];
	if (!kf->any)
		return 0;
	/* fnmatch and regexec need a NUL-terminated string of exactly `len` bytes. */
	_cleanup_free_ char *copy = NULL;
	if (s[len] != 0 || memchr(s, 0, len)) {
		if (memchr(s, 0, len))
			return 0; /* an embedded NUL never matches a catalog string */
		copy = strndup(s, len);
		if (!copy)
			return -ENOMEM;
		s = copy;
	}
	char stack[256];
	char *folded = folded_copy(kf, s, len, stack, sizeof(stack));
	struct run run = { .kf = kf, .s = s, .fn = fn, .ud = userdata };
	int r = 0;
	if (filter_has(kf, s, len)) {
		run.part = WHOLE;
		r = lookup_set(&kf->exact, WHOLE, s, len, folded, run_chain, &run);
		run.part = PREFIX;
		if (!r)
			r = lookup_set(&kf->prefix, PREFIX, s, len, folded, run_chain, &run);
	}
	run.part = SUFFIX;
	if (!r && sfilter_has(kf, s, len))
		r = lookup_set(&kf->suffix, SUFFIX, s, len, folded, run_chain, &run);
	bool in = !r && kf->n_infix && ifilter_has(kf, s, len);
	for (size_t i = 0; in && !r && i < kf->n_infix; i++) {
		const struct infix *x = &kf->infix[i];
		if (infix_seen(x, s, folded, len) &&
		    fnmatch(x->ind->value, s, x->ind->nocase ? FNM_CASEFOLD : 0) == 0)
			r = fn(userdata, x->ind);
	}
	if (!r && kf->open_head >= 0) {
		/* Open globs always run; a regex runs alone only after the alternation hit. */
		bool any_re = kf->has_re && regexec(&kf->all_re, s, 0, NULL, 0) == 0;
		for (int i = kf->open_head; i >= 0 && !r; i = kf->chain[i].next) {
			const struct chain *c = &kf->chain[i];
			bool hit;
			if (c->re)
				hit = any_re && regexec(c->re, s, 0, NULL, 0) == 0;
			else
				hit = fnmatch(c->ind->value, s, c->ind->nocase ? FNM_CASEFOLD : 0) == 0;
			if (hit)
				r = fn(userdata, c->ind);
		}
	}
	if (folded && folded != stack)
		free(folded);
	return r;
}
