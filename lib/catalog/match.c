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
 *
 * Human text (normalised fields: NAME of a package, certificate, extension or
 * signer; PUBLISHER, DESCRIPTION, SUBJECT and ISSUER of any kind) is compared
 * in normal form (catalog/normalise.h, docs/catalog-format.md "Matching"):
 * exact values and globs are normalised when compiled and the string when
 * matched (quotes gone, punctuation and spaces one space, NFKC, case folded
 * for nocase); a regex sees the string with NFKC, folding for nocase, quotes
 * removed and white space collapsed, but its punctuation kept. File names,
 * paths, targets and the other identifiers are compared byte for byte (ASCII
 * folded for nocase), as before.
 *
 * A service NAME indicator `x` also matches the unit `x.service` and `x.service`
 * the unit `x`: each string is tried in both forms, every indicator reported once.
 */
#include "catalog/match.h"

#include "catalog/normalise.h"

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
	const char *pat; /* the glob fnmatch runs: ind->value, or its normal form */
	int next;       /* index into kf.chain, -1 ends */
	regex_t *re;    /* compiled regex for EXCISE_MATCH_REGEX */
};

/* A glob with neither a literal prefix nor suffix, found by its longest inner
 * literal (folded when nocase) before fnmatch runs. */
struct infix {
	char *needle;
	size_t len;
	const struct excise_indicator *ind;
	const char *pat;            /* the glob fnmatch runs */
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
	bool norm;                  /* human text: compared in normal form */
	bool svc;                   /* service names: "x" and "x.service" are one */
	bool need_cs, need_ci;      /* normal forms exact/glob indicators need (norm only) */
	bool need_re_cs, need_re_ci;/* forms regexes see (norm only) */
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

static int add_chain(struct kf *kf, const struct excise_indicator *ind, const char *pat, int next)
{
	struct chain *c = realloc(kf->chain, (kf->n_chain + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	kf->chain = c;
	c[kf->n_chain] = (struct chain){ .ind = ind, .pat = pat, .next = next };
	return (int)kf->n_chain++;
}

/* Keep `p` (malloc'd) until the matcher is freed; frees it on failure. */
static int own(struct kf *kf, char *p)
{
	char **o = realloc(kf->owned, (kf->n_owned + 1) * sizeof(*o));
	if (!o) {
		free(p);
		return -ENOMEM;
	}
	kf->owned = o;
	kf->owned[kf->n_owned++] = p;
	return 0;
}

/* Put `ind` under key[0..len) in `set` (folded when nocase); `pat` is the glob
 * that confirms a prefix or suffix hit. */
static int bucket_add(struct kf *kf, struct bucket_set *set, const struct excise_indicator *ind,
		      const char *pat, const char *key, size_t len)
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
	int idx = add_chain(kf, ind, pat, s->value);
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
static int add_infix(struct kf *kf, const struct excise_indicator *ind, const char *v)
{
	const char *best = NULL;
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
	x[kf->n_infix++] = (struct infix){ .needle = needle, .len = best_len, .ind = ind, .pat = v };
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

/* The forms of one string the tables and patterns are tried on. */
struct subj {
	const char *s, *f;   /* as is (or normal form) and folded; f NULL when no table wants it */
	size_t slen, flen;
	const char *rs, *rf; /* what regexes see: case-sensitive and nocase */
};

/* What a glob of `ind` is tried on. */
static const char *glob_subject(const struct kf *kf, const struct subj *sj, const struct excise_indicator *ind)
{
	return kf->norm && ind->nocase ? sj->f : sj->s;
}

/* What a regex of `ind` is tried on. */
static const char *re_subject(const struct kf *kf, const struct subj *sj, const struct excise_indicator *ind)
{
	return kf->norm ? (ind->nocase ? sj->rf : sj->rs) : sj->s;
}

/* Does the inner literal of `x` occur in the string (its folded form for nocase)? */
static bool infix_seen(const struct infix *x, const struct subj *sj)
{
	const char *hay = x->ind->nocase ? sj->f : sj->s;
	size_t len = x->ind->nocase ? sj->flen : sj->slen;
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

/* Is (kind, field) human text, compared in normal form? */
static bool human_text(enum excise_obs_kind kind, enum excise_field field)
{
	switch (field) {
	case EXCISE_F_PUBLISHER:
	case EXCISE_F_DESCRIPTION:
	case EXCISE_F_SUBJECT:
	case EXCISE_F_ISSUER:
		return true;
	case EXCISE_F_NAME:
		return kind == EXCISE_OBS_PACKAGE || kind == EXCISE_OBS_CERT || kind == EXCISE_OBS_EXTENSION ||
		       kind == EXCISE_OBS_SIGNER;
	default:
		return false;
	}
}

/* The value as compiled: its normal form in a human-text field (owned by kf). */
static int compiled_value(struct kf *kf, const struct excise_indicator *ind, const char **ret)
{
	*ret = ind->value;
	if (!kf->norm)
		return 0;
	char *out = NULL;
	int r;
	if (ind->match == EXCISE_MATCH_REGEX) {
		r = normalise_regex(ind->value, ind->nocase, &out);
		if (r < 0)
			return r == -ENOMEM ? r : -EXCISE_E_CATALOG;
		if (ind->nocase)
			kf->need_re_ci = true;
		else
			kf->need_re_cs = true;
	} else {
		unsigned fl = NORMALISE_PUNCT | (ind->nocase ? NORMALISE_FOLD : 0) |
			      (ind->match == EXCISE_MATCH_GLOB ? NORMALISE_GLOB : 0);
		ssize_t n = normalise(ind->value, strlen(ind->value), fl, NULL, 0, &out);
		if (n < 0)
			return (int)n;
		if (ind->nocase)
			kf->need_ci = true;
		else
			kf->need_cs = true;
	}
	if ((r = own(kf, out)) < 0)
		return r;
	*ret = out;
	return 0;
}

static int add_indicator(struct kf *kf, const struct excise_indicator *ind, struct buf *all_re)
{
	const char *v;
	int r = compiled_value(kf, ind, &v);
	if (r < 0)
		return r;
	size_t len = strlen(v);
	if (kf->norm && len == 0)
		return 0; /* nothing but quotes and punctuation: it would match any string of them */
	kf->any = true;
	switch (ind->match) {
	case EXCISE_MATCH_EXACT:
		filter_add(kf, v, len);
		r = kf->norm ? 0 : add_anchor(kf, v, len, ind->nocase, true);
		return r < 0 ? r : bucket_add(kf, &kf->exact, ind, v, v, len);
	case EXCISE_MATCH_GLOB: {
		size_t pl = literal_prefix(v);
		if (pl > 0) {
			filter_add(kf, v, pl);
			r = kf->norm ? 0 : add_anchor(kf, v, pl, ind->nocase, false);
			return r < 0 ? r : bucket_add(kf, &kf->prefix, ind, v, v, pl);
		}
		size_t sl = literal_suffix(v, len);
		if (sl > 0) {
			sfilter_add(kf, v + len - sl, sl);
			return bucket_add(kf, &kf->suffix, ind, v, v + len - sl, sl);
		}
		r = add_infix(kf, ind, v);
		if (r != 0)
			return r < 0 ? r : 0;
		kf->open = true;
		r = add_chain(kf, ind, v, kf->open_head);
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
		r = add_chain(kf, ind, v, kf->open_head);
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

/* Whether `ind` holds on some platform of the comma-separated list `platforms` (NULL: all). */
static bool applies_to_list(const struct excise_indicator *ind, const char *platforms)
{
	if (!platforms)
		return excise_indicator_applies(ind, NULL);
	for (const char *p = platforms; *p; p += strcspn(p, ","), p += *p == ',') {
		char one[16];
		size_t k = strcspn(p, ",");
		if (k >= sizeof(one))
			continue;
		memcpy(one, p, k);
		one[k] = 0;
		if (excise_indicator_applies(ind, one))
			return true;
	}
	return false;
}

int matcher_new(const struct excise_catalog *c, const char *platform, struct matcher **ret,
		struct excise_err *reterr)
{
	struct matcher *m = calloc(1, sizeof(*m));
	if (!m)
		return err_set(reterr, -ENOMEM, "out of memory");
	for (size_t k = 0; k < _EXCISE_OBS_KIND_MAX; k++)
		for (size_t f = 0; f < _EXCISE_FIELD_MAX; f++) {
			m->kf[k][f].open_head = -1;
			m->kf[k][f].norm = human_text(k, f);
			m->kf[k][f].svc = k == EXCISE_OBS_SERVICE && f == EXCISE_F_NAME;
		}
	struct buf res[_EXCISE_OBS_KIND_MAX][_EXCISE_FIELD_MAX];
	for (size_t k = 0; k < _EXCISE_OBS_KIND_MAX; k++)
		for (size_t f = 0; f < _EXCISE_FIELD_MAX; f++)
			buf_init(&res[k][f], 1u << 20);
	int r = 0;
	size_t n = excise_catalog_n_indicators(c);
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct excise_indicator *ind = excise_catalog_indicator(c, i);
		if (!applies_to_list(ind, platform))
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

/* Look the string up in one table of a bucket set: exact (whole) or prefix/suffix of each length. */
enum part { WHOLE, PREFIX, SUFFIX };

static int lookup_set(const struct bucket_set *set, enum part part, const struct subj *sj,
		      int (*each)(void *, int), void *ud)
{
	for (int t = 0; t < 2; t++) {
		const char *str = t ? sj->f : sj->s;
		size_t len = t ? sj->flen : sj->slen;
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

/* The forms of s[0..len) kf needs, in the stack buffers when they fit. */
struct forms {
	char stack[4][256];
	char *p[4];
};

static void forms_done(struct forms *fm)
{
	for (int i = 0; i < 4; i++)
		if (fm->p[i] && fm->p[i] != fm->stack[i])
			free(fm->p[i]);
}

static int norm_form(struct forms *fm, int i, const char *s, size_t len, unsigned flags, const char **ret,
		     size_t *retlen)
{
	ssize_t n = normalise(s, len, flags, fm->stack[i], sizeof(fm->stack[i]), &fm->p[i]);
	if (n < 0)
		return (int)n;
	*ret = fm->p[i];
	if (retlen)
		*retlen = (size_t)n;
	return 0;
}

static int subj_init(const struct kf *kf, const char *s, size_t len, struct forms *fm, struct subj *sj)
{
	memset(fm->p, 0, sizeof(fm->p));
	*sj = (struct subj){ 0 };
	if (!kf->norm) {
		sj->s = sj->rs = sj->rf = s;
		sj->slen = sj->flen = len;
		bool need = kf->exact.keys[1].n || kf->prefix.keys[1].n || kf->suffix.keys[1].n ||
			    kf->infix_nocase;
		if (need) {
			char *p = len < sizeof(fm->stack[0]) ? fm->stack[0] : malloc(len + 1);
			if (!p)
				return -ENOMEM;
			ascii_lower(p, s, len);
			p[len] = 0;
			fm->p[0] = p;
			sj->f = p;
		}
		return 0;
	}
	int r = 0;
	if (kf->need_cs)
		r = norm_form(fm, 0, s, len, NORMALISE_PUNCT, &sj->s, &sj->slen);
	if (r >= 0 && kf->need_ci)
		r = norm_form(fm, 1, s, len, NORMALISE_PUNCT | NORMALISE_FOLD, &sj->f, &sj->flen);
	if (r >= 0 && kf->need_re_cs)
		r = norm_form(fm, 2, s, len, 0, &sj->rs, NULL);
	if (r >= 0 && kf->need_re_ci)
		r = norm_form(fm, 3, s, len, NORMALISE_FOLD, &sj->rf, NULL);
	if (r < 0)
		forms_done(fm);
	return r;
}

/* Prefix filter: the first bytes of either form. */
static bool pre_filter(const struct kf *kf, const struct subj *sj)
{
	return (sj->s && filter_has(kf, sj->s, sj->slen)) ||
	       (kf->norm && sj->f && filter_has(kf, sj->f, sj->flen));
}

static bool suf_filter(const struct kf *kf, const struct subj *sj)
{
	return (sj->s && sfilter_has(kf, sj->s, sj->slen)) ||
	       (kf->norm && sj->f && sfilter_has(kf, sj->f, sj->flen));
}

static bool in_filter(const struct kf *kf, const struct subj *sj)
{
	return (sj->s && ifilter_has(kf, sj->s, sj->slen)) ||
	       (kf->norm && sj->f && ifilter_has(kf, sj->f, sj->flen));
}

static bool could_one(const struct kf *kf, const char *s, size_t len)
{
	if (kf->open)
		return true;
	bool fast_no = !kf->norm && !filter_has(kf, s, len) && !kf->suffix.keys[0].n &&
		       !kf->suffix.keys[1].n && !kf->n_infix;
	if (fast_no)
		return false;
	struct forms fm;
	struct subj sj;
	if (subj_init(kf, s, len, &fm, &sj) < 0)
		return true; /* out of memory: let matcher_match decide */
	bool pre = pre_filter(kf, &sj);
	int r = 0;
	if (pre)
		r = lookup_set(&kf->exact, WHOLE, &sj, stop_at_first, NULL);
	if (!r && pre)
		r = lookup_set(&kf->prefix, PREFIX, &sj, stop_at_first, NULL);
	if (!r && suf_filter(kf, &sj))
		r = lookup_set(&kf->suffix, SUFFIX, &sj, stop_at_first, NULL);
	bool in = !r && kf->n_infix && in_filter(kf, &sj);
	for (size_t i = 0; in && !r && i < kf->n_infix; i++)
		r = infix_seen(&kf->infix[i], &sj);
	forms_done(&fm);
	return r != 0;
}

#define SERVICE_SUFFIX ".service"
#define SERVICE_SUFFIX_LEN (sizeof(SERVICE_SUFFIX) - 1)

/* The other spelling of a unit name: without ".service", or with it. */
static char *service_other(const char *s, size_t len, char *stack, size_t size, size_t *retlen)
{
	if (len > SERVICE_SUFFIX_LEN && memcmp(s + len - SERVICE_SUFFIX_LEN, SERVICE_SUFFIX, SERVICE_SUFFIX_LEN) == 0) {
		*retlen = len - SERVICE_SUFFIX_LEN;
	} else {
		if (len == 0)
			return NULL;
		*retlen = len + SERVICE_SUFFIX_LEN;
	}
	char *p = *retlen < size ? stack : malloc(*retlen + 1);
	if (!p)
		return NULL;
	memcpy(p, s, len < *retlen ? len : *retlen);
	if (*retlen > len)
		memcpy(p + len, SERVICE_SUFFIX, SERVICE_SUFFIX_LEN);
	p[*retlen] = 0;
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
	if (could_one(kf, s, len))
		return true;
	if (!kf->svc)
		return false;
	char stack[256];
	size_t olen = 0;
	char *o = service_other(s, len, stack, sizeof(stack), &olen);
	if (!o)
		return len > 0; /* out of memory: let matcher_match decide */
	bool r = could_one(kf, o, olen);
	if (o != stack)
		free(o);
	return r;
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
	/* Suffixes, inner literals and open patterns can match under any prefix; a
	 * normal form need not start with the normal form of a prefix. */
	if (kf->norm || kf->svc || kf->open || kf->n_infix || kf->suffix.keys[0].n || kf->suffix.keys[1].n)
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

/* Each indicator reported once, however many spellings of the string it matched. */
struct once {
	matcher_fn fn;
	void *ud;
	const struct excise_indicator **seen;
	size_t n;
};

static int once_fn(void *ud, const struct excise_indicator *ind)
{
	struct once *o = ud;
	for (size_t i = 0; i < o->n; i++)
		if (o->seen[i] == ind)
			return 0;
	const struct excise_indicator **q = realloc(o->seen, (o->n + 1) * sizeof(*q));
	if (!q)
		return -ENOMEM;
	o->seen = q;
	o->seen[o->n++] = ind;
	return o->fn(o->ud, ind);
}

struct run {
	const struct kf *kf;
	const struct subj *sj;
	matcher_fn fn;
	void *ud;
	enum part part;
};

static int run_chain(void *ud, int head)
{
	struct run *run = ud;
	const struct kf *kf = run->kf;
	for (int i = head; i >= 0; i = kf->chain[i].next) {
		const struct chain *c = &kf->chain[i];
		const struct excise_indicator *ind = c->ind;
		bool hit;
		if (run->part == WHOLE)
			hit = true; /* the hash matched the whole string */
		else if (c->re)
			hit = regexec(c->re, re_subject(kf, run->sj, ind), 0, NULL, 0) == 0;
		else
			hit = fnmatch(c->pat, glob_subject(kf, run->sj, ind), ind->nocase ? FNM_CASEFOLD : 0) == 0;
		if (hit) {
			int r = run->fn(run->ud, ind);
			if (r)
				return r;
		}
	}
	return 0;
}

/* One spelling of the string, NUL-terminated at len. */
static int match_one(const struct kf *kf, const char *s, size_t len, matcher_fn fn, void *userdata)
{
	struct forms fm;
	struct subj sj;
	int r = subj_init(kf, s, len, &fm, &sj);
	if (r < 0)
		return r;
	struct run run = { .kf = kf, .sj = &sj, .fn = fn, .ud = userdata };
	if (pre_filter(kf, &sj)) {
		run.part = WHOLE;
		r = lookup_set(&kf->exact, WHOLE, &sj, run_chain, &run);
		run.part = PREFIX;
		if (!r)
			r = lookup_set(&kf->prefix, PREFIX, &sj, run_chain, &run);
	}
	run.part = SUFFIX;
	if (!r && suf_filter(kf, &sj))
		r = lookup_set(&kf->suffix, SUFFIX, &sj, run_chain, &run);
	bool in = !r && kf->n_infix && in_filter(kf, &sj);
	for (size_t i = 0; in && !r && i < kf->n_infix; i++) {
		const struct infix *x = &kf->infix[i];
		if (infix_seen(x, &sj) &&
		    fnmatch(x->pat, glob_subject(kf, &sj, x->ind), x->ind->nocase ? FNM_CASEFOLD : 0) == 0)
			r = fn(userdata, x->ind);
	}
	if (!r && kf->open_head >= 0) {
		/* Open globs always run; a regex runs alone only after the alternation hit
		 * (on either form a regex sees: the alternation is a superset of both). */
		bool any_re = kf->has_re &&
			      ((sj.rs && regexec(&kf->all_re, sj.rs, 0, NULL, 0) == 0) ||
			       (sj.rf && sj.rf != sj.rs && regexec(&kf->all_re, sj.rf, 0, NULL, 0) == 0));
		for (int i = kf->open_head; i >= 0 && !r; i = kf->chain[i].next) {
			const struct chain *c = &kf->chain[i];
			bool hit;
			if (c->re)
				hit = any_re && regexec(c->re, re_subject(kf, &sj, c->ind), 0, NULL, 0) == 0;
			else
				hit = fnmatch(c->pat, glob_subject(kf, &sj, c->ind),
					      c->ind->nocase ? FNM_CASEFOLD : 0) == 0;
			if (hit)
				r = fn(userdata, c->ind);
		}
	}
	forms_done(&fm);
	return r;
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
	if (!kf->svc)
		return match_one(kf, s, len, fn, userdata);
	struct once once = { .fn = fn, .ud = userdata };
	int r = match_one(kf, s, len, once_fn, &once);
	char stack[256];
	size_t olen = 0;
	char *o = r ? NULL : service_other(s, len, stack, sizeof(stack), &olen);
	if (!r && !o && len > 0)
		r = -ENOMEM;
	if (o) {
		r = match_one(kf, o, olen, once_fn, &once);
		if (o != stack)
			free(o);
	}
	free(once.seen);
	return r;
}
