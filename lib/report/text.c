/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text: the report for people. Each finding, named after what it is (a product,
 * an entry the catalog does not list, traces of a vendor), then one line per
 * artifact (a package, a file, a key, a certificate in one store): its strongest
 * indicator and the count of the others; then sources that failed, then a
 * one-line verdict. Lines fit the width given: long paths and values lose their
 * middle ("…") so that both ends stay readable, and whatever is still too wide
 * is cut; no line wraps and no line repeats within a finding. Verbose: every
 * indicator of every artifact, at full width.
 *
 * Names are shown through text_escape (lib/core/text.h: control characters as
 * \n, \t, \xNN, C1 and bidirectional controls as \uNNNN, bytes that are not
 * UTF-8 as \xNN) so a hostile file name cannot move the cursor, recolour the
 * terminal, reorder the line or forge one; a backslash is doubled,
 * except in the strings of a Windows host (paths, registry keys), where it is
 * the separator Windows writes and no name contains.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/text.h"
#include "excise/report.h"
#include "report/report_int.h"

struct style {
	const char *bold, *red, *yellow, *green, *dim, *off;
};

struct tw {
	FILE *out;
	const struct style *st;
	size_t width;          /* columns a line may take; 0: no limit */
	bool verbose;
	bool win;              /* a Windows host: backslashes as they are */
	struct buf line;       /* the line being made */
	int err;
};

/* ---- columns ---- */

/* One code point of valid UTF-8 at `s` into *c; returns its length in bytes. */
static size_t cp_next(const char *s, uint32_t *c)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] < 0x80 || !u[1]) {
		*c = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0) {
		*c = (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
		return 2;
	}
	if ((u[0] & 0xf0) == 0xe0 && u[2]) {
		*c = (uint32_t)(u[0] & 0x0f) << 12 | (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
		return 3;
	}
	if (u[2] && u[3]) {
		*c = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3f) << 12 | (uint32_t)(u[2] & 0x3f) << 6 |
		     (u[3] & 0x3f);
		return 4;
	}
	*c = u[0];
	return 1;
}

/* Columns a code point takes on a terminal: combining marks and zero-width
 * characters none, East Asian wide and fullwidth characters two. */
static size_t cp_width(uint32_t c)
{
	if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) || (c >= 0xfe00 && c <= 0xfe0f))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf && c != 0x303f) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) ||
	    (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

/* Length of the colour escape (ESC [ ... m) at `s`, or 0. */
static size_t sgr_len(const char *s)
{
	if (s[0] != '\033' || s[1] != '[')
		return 0;
	size_t i = 2;
	while (s[i] && s[i] != 'm')
		i++;
	return s[i] ? i + 1 : 0;
}

/* Columns `s` (valid UTF-8, maybe with colour escapes) takes. */
static size_t swidth(const char *s)
{
	size_t w = 0;
	while (*s) {
		size_t k = sgr_len(s);
		if (k) {
			s += k;
			continue;
		}
		uint32_t c;
		s += cp_next(s, &c);
		w += cp_width(c);
	}
	return w;
}

static bool is_sep(char c)
{
	return c == '/' || c == '\\';
}

/* Append `s` (valid UTF-8, no escapes) in at most `max` columns: when it is wider,
 * its start (a third) and its end (the rest), which names the product, around "…";
 * a path cut at its separators when that costs at most half of either part
 * (/opt/kaspersky/…/bin/kesl-control). */
static void elide(struct buf *b, const char *s, size_t max)
{
	if (swidth(s) <= max) {
		buf_adds(b, s);
		return;
	}
	if (max == 0)
		return;
	size_t head = (max - 1) / 3, tail = max - 1 - head, w = 0;
	const char *p = s;
	while (*p) {
		uint32_t c;
		size_t l = cp_next(p, &c);
		if (w + cp_width(c) > head)
			break;
		w += cp_width(c);
		p += l;
	}
	const char *h = p;
	while (h > s && !is_sep(h[-1]))
		h--;
	if (h > s && (size_t)(h - s) * 2 >= (size_t)(p - s))
		p = h;
	buf_add(b, s, (size_t)(p - s));
	buf_adds(b, "…");
	const char *end = s + strlen(s), *q = end;
	w = 0;
	while (q > p) {
		const char *r = q - 1;
		while (r > p && ((unsigned char)*r & 0xc0) == 0x80)
			r--;
		uint32_t c;
		cp_next(r, &c);
		if (w + cp_width(c) > tail)
			break;
		w += cp_width(c);
		q = r;
	}
	const char *sep = q;
	while (sep < end && !is_sep(*sep))
		sep++;
	if (sep < end && sep > q && (size_t)(end - sep) * 2 >= (size_t)(end - q))
		q = sep;
	buf_add(b, q, (size_t)(end - q));
}

/* ---- strings from the host ---- */

/* Append `s` escaped (NULL as "-"): text_escape, backslashes doubled except on Windows. */
static void esc(struct tw *t, struct buf *b, const char *s)
{
	if (!s) {
		buf_adds(b, "-");
		return;
	}
	text_escape(b, s, strlen(s), t->win ? 0 : TEXT_ESC_BACKSLASH);
}

/* `s` escaped, as a string the caller frees (NULL on OOM). */
static char *escs(struct tw *t, const char *s)
{
	struct buf b;
	buf_init(&b, 0);
	esc(t, &b, s);
	char *out;
	if (buf_take(&b, &out) < 0) {
		t->err = -ENOMEM;
		return NULL;
	}
	return out;
}

/* ---- lines ---- */

/* Write the line made, cut to the width (with "…") when it is wider, and start the
 * next. False when it was not written: `seen` (may be NULL) has `key` (what the line
 * says in full; NULL: the line as shown) already. */
static bool put_line(struct tw *t, struct strset *seen, const struct buf *key_full)
{
	struct buf *l = &t->line;
	if (l->err) {
		t->err = l->err;
		buf_clear(l);
		return false;
	}
	const char *s = l->p;
	size_t n = l->n;
	bool cut = t->width && swidth(s) > t->width;
	if (cut) {
		size_t w = 0;
		const char *p = s;
		while (*p) {
			size_t k = sgr_len(p);
			if (k) {
				p += k;
				continue;
			}
			uint32_t c;
			size_t len = cp_next(p, &c);
			if (w + cp_width(c) > t->width - 1)
				break;
			w += cp_width(c);
			p += len;
		}
		n = (size_t)(p - s);
	}
	struct buf key; /* the line as it is shown */
	buf_init(&key, 0);
	buf_add(&key, s, n);
	if (cut)
		buf_adds(&key, "…");
	int r = 1;
	const struct buf *k = key_full ? key_full : &key;
	if (seen && (r = k->err || key.err ? -ENOMEM : strset_add(seen, k->p, k->n)) < 0)
		t->err = r;
	if (r > 0) {
		fwrite(key.p, 1, key.n, t->out);
		if (cut && *t->st->off)
			fputs(t->st->off, t->out);
		fputc('\n', t->out);
	}
	buf_done(&key);
	buf_clear(l);
	return r > 0;
}

static const char *conf_color(const struct style *st, enum excise_confidence c)
{
	return c == EXCISE_CONF_DEFINITIVE ? st->red : c == EXCISE_CONF_STRONG ? st->yellow : st->dim;
}

static void heading(struct tw *t, const struct excise_scan *s)
{
	const struct style *st = t->st;
	struct buf *l = &t->line, post;
	char t0[32];
	time_rfc3339(s->started_ns, t0);
	buf_addf(l, "%sexcise scan%s of ", st->bold, st->off);
	esc(t, l, s->host.hostname && *s->host.hostname ? s->host.hostname : "(unnamed host)");
	buf_adds(l, " (");
	esc(t, l, s->host.os ? s->host.os : s->host.platform);
	if (s->host.platforms && strchr(s->host.platforms, ','))
		buf_addf(l, ", platforms %s", s->host.platforms); /* excise's own words: linux,windows */
	buf_adds(l, s->host.live ? ", live" : ", root ");
	buf_init(&post, 0);
	buf_addf(&post, ") at %s, catalog ", t0);
	esc(t, &post, s->catalog_id ? s->catalog_id : excise_catalog_id(s->catalog));
	buf_adds(&post, " ");
	esc(t, &post, s->catalog_version ? s->catalog_version : excise_catalog_version(s->catalog));
	if (!s->host.live) {
		char *root = escs(t, s->host.root);
		/* the root before the time and catalog: they are cut first */
		size_t used = swidth(l->p) + 1;
		size_t room = t->width > used + 12 ? t->width - used : 12;
		if (root)
			elide(l, root, t->width ? room : SIZE_MAX);
		free(root);
	}
	buf_adds(l, post.p);
	buf_done(&post);
	put_line(t, NULL, NULL);
	if (s->origin == EXCISE_SCAN_REMATCHED) {
		buf_adds(l, "(a report of another catalog, its evidence matched again)");
		put_line(t, NULL, NULL);
	}
	fputs("\n", t->out);
}

/* "Kaspersky Endpoint Security for Linux 12.1.0-1191 — installed, definitive confidence";
 * the covering directives after it, or on a line of their own when they do not fit. */
static void finding_head(struct tw *t, const struct excise_finding *f)
{
	const struct style *st = t->st;
	struct buf *l = &t->line;
	buf_addf(l, "%s%s", st->bold, conf_color(st, f->confidence));
	if (f->kind == EXCISE_FINDING_TRACES) {
		buf_adds(l, "traces of ");
		esc(t, l, f->vendor_name ? f->vendor_name : f->vendor_id);
		buf_adds(l, " (no product)");
	} else {
		esc(t, l, f->product_name);
	}
	buf_adds(l, st->off);
	/* an unlisted entry's name carries its version */
	if (f->version && f->kind == EXCISE_FINDING_PRODUCT) {
		buf_adds(l, " ");
		esc(t, l, f->version);
	}
	buf_addf(l, " — %s, %s confidence",
		 f->state == EXCISE_STATE_TRUST ? "trusted root certificate (no product installed)"
						: excise_state_name(f->state),
		 excise_confidence_name(f->confidence));
	char *dirs = report_directives(f, ", ");
	if (!dirs)
		t->err = -ENOMEM;
	if (dirs && *dirs) {
		size_t more = strlen("; covered by ") + swidth(dirs);
		if (t->verbose || !t->width || swidth(l->p) + more <= t->width) {
			buf_addf(l, "; covered by %s", dirs);
		} else {
			put_line(t, NULL, NULL);
			buf_addf(l, "    covered by %s", dirs);
		}
	}
	free(dirs);
	put_line(t, NULL, NULL);
}

/* The first attribute `key` of `e`, or NULL. */
static const char *attr(const struct excise_evidence *e, const char *key)
{
	for (char **p = e->attrs; p && p[0] && p[1]; p += 2)
		if (!strcmp(p[0], key))
			return p[1];
	return NULL;
}

/* What names an artifact: a file, key or bundle by its path; anything else by the
 * value of its name (a package, when only its other fields matched, by its package
 * name; else the strongest match's value), with where it was seen. */
static const char *artifact_label(const struct report_artifact *a, const char **ret_where)
{
	const struct excise_evidence *e = a->m[0];
	*ret_where = NULL;
	if (e->path && (e->kind == EXCISE_OBS_FILE || e->kind == EXCISE_OBS_REGISTRY || e->kind == EXCISE_OBS_BUNDLE))
		return e->path;
	const char *label = NULL;
	for (size_t i = 0; i < a->n && !label; i++)
		if (a->m[i]->field == EXCISE_F_NAME)
			label = a->m[i]->value;
	if (!label && e->kind == EXCISE_OBS_PACKAGE)
		label = attr(e, "package");
	if (!label)
		label = e->value;
	if (e->path && strcmp(e->path, label) != 0)
		*ret_where = e->path;
	return label;
}

/* "[kesl.package.kesl +2 more]", the id (`ids`, escaped) in at most `idroom` columns. */
static void artifact_tag(struct buf *b, const struct report_artifact *a, const char *ids, size_t idroom)
{
	const struct excise_evidence *e = a->m[0];
	/* too narrow for any of the id: the count alone */
	bool id = idroom >= 6 || idroom >= strlen(ids);
	buf_adds(b, "[");
	if (id) {
		elide(b, ids, idroom);
		buf_adds(b, e->indicator ? "" : ", not in this catalog");
	}
	if (a->n > 1)
		buf_addf(b, id ? " +%zu more" : "+%zu more", a->n - 1);
	else if (!id)
		buf_adds(b, "…");
	buf_adds(b, "]");
}

/* Columns the indicator tag keeps when the label is squeezed (at most a third of what there is). */
#define TAG_MIN 28u
/* A tag this short is never shortened. */
#define TAG_SHORT 20u

static void artifact_line(struct tw *t, const struct report_artifact *a, size_t srcw, struct strset *seen)
{
	const struct style *st = t->st;
	const struct excise_evidence *e = a->m[0];
	const char *where, *label = artifact_label(a, &where);
	char *src = escs(t, e->source), *lab = escs(t, label), *wh = where ? escs(t, where) : NULL,
	     *ver = e->kind == EXCISE_OBS_PACKAGE && e->version ? escs(t, e->version) : NULL,
	     *state = e->state ? escs(t, e->state) : NULL, *id = escs(t, e->indicator_id);
	struct buf tag, tail, full;
	buf_init(&tag, 0);
	buf_init(&tail, 0);
	buf_init(&full, 0);
	if (state)
		buf_addf(&tail, " (%s)", state);
	if (t->verbose)
		for (char **p = e->attrs; p && p[0] && p[1]; p += 2) {
			buf_adds(&tail, p == e->attrs ? " {" : " ");
			esc(t, &tail, p[0]);
			buf_addc(&tail, '=');
			esc(t, &tail, p[1]);
			if (!p[2] || !p[3])
				buf_addc(&tail, '}');
		}
	if (!src || !lab || !id || (where && !wh) || (e->state && !state))
		goto out;
	/* what the line says in full: two artifacts that say the same (two sources that saw
	 * one file, when the source is not shown) are one line */
	buf_addf(&full, "%s\037%s\037%s\037%s\037%s\037%s\037", t->verbose ? src : "",
		 excise_obs_kind_name(e->kind), lab, ver ? ver : "", wh ? wh : "", tail.p);
	artifact_tag(&full, a, id, SIZE_MAX);

	struct buf *l = &t->line;
	size_t ws = swidth(src);
	buf_addf(l, "    %s%-10s%s ", conf_color(st, e->confidence), excise_confidence_name(e->confidence), st->off);
	/* the source that saw it only in verbose: the kind and name say what it is */
	if (t->verbose) {
		buf_adds(l, src);
		buf_addf(l, "%*s ", ws < srcw ? (int)(srcw - ws) : 0, "");
	}
	buf_addf(l, "%s ", excise_obs_kind_name(e->kind));
	/* the columns left for the label (and its version), where it was seen and the tag */
	size_t wl = swidth(lab) + (ver ? 1 + swidth(ver) : 0), ww = wh ? 4 + swidth(wh) : 0;
	size_t fixed = swidth(l->p) + swidth(tail.p), wid = swidth(id), idroom = wid;
	size_t room = SIZE_MAX;
	if (!t->verbose && t->width) {
		artifact_tag(&tag, a, id, wid);
		size_t wt = swidth(tag.p), total = t->width > fixed ? t->width - fixed : 0;
		if (wl + ww + 1 + wt > total) {
			/* the tag gives up what it has beyond TAG_MIN columns, its id losing its middle */
			size_t troom = total > wl + ww + 1 ? total - wl - ww - 1 : 0, tmin = total / 3;
			if (tmin > TAG_MIN)
				tmin = TAG_MIN;
			if (troom < tmin)
				troom = tmin < wt ? tmin : wt;
			if (wt <= TAG_SHORT)
				troom = wt; /* a short tag is left whole */
			idroom = wt - wid < troom ? troom - (wt - wid) : 1;
			if (idroom > wid)
				idroom = wid;
			buf_clear(&tag);
			artifact_tag(&tag, a, id, idroom);
			wt = swidth(tag.p);
		}
		room = total > wt + 1 ? total - wt - 1 : 0;
	}
	size_t lroom = wl, wroom = ww;
	if (wl + ww > room) {
		/* the label keeps at least half; where it was seen gets the rest, or goes */
		lroom = wl < room / 2 ? wl : room - (ww < room / 2 ? ww : room / 2);
		wroom = room - lroom;
		if (ww && wroom < 4 + 12) {
			wroom = 0;
			lroom = room;
		}
	}
	if (ver && wl <= lroom)
		buf_addf(l, "%s %s", lab, ver);
	else
		elide(l, lab, lroom);
	if (wh && wroom) {
		buf_adds(l, " at ");
		elide(l, wh, wroom - 4);
	}
	buf_adds(l, tail.p);
	if (!t->verbose) {
		if (!tag.n)
			artifact_tag(&tag, a, id, idroom);
		buf_addf(l, " %s%s%s", st->dim, tag.p, st->off);
	}
	bool shown = put_line(t, seen, &full);
	/* verbose: every match, strongest first */
	for (size_t i = 0; shown && t->verbose && i < a->n; i++) {
		const struct excise_evidence *m = a->m[i];
		buf_addf(l, "        %s%-10s%s %s ", conf_color(st, m->confidence), excise_confidence_name(m->confidence),
			 st->off, excise_field_name(m->field));
		esc(t, l, m->value);
		buf_addf(l, " %s[", st->dim);
		esc(t, l, m->indicator_id);
		buf_addf(l, "%s]%s", m->indicator ? "" : ", not in this catalog", st->off);
		put_line(t, NULL, NULL);
	}
out:
	free(src), free(lab), free(wh), free(ver), free(state), free(id);
	if (tag.err || tail.err || full.err)
		t->err = -ENOMEM;
	buf_done(&tag);
	buf_done(&tail);
	buf_done(&full);
}

static void finding(struct tw *t, const struct excise_finding *f)
{
	finding_head(t, f);
	struct report_artifacts as;
	if (report_artifacts(f, &as) < 0)
		t->err = -ENOMEM;
	size_t srcw = 0;
	for (size_t i = 0; i < as.n; i++) {
		char *src = escs(t, as.a[i].m[0]->source);
		size_t w = src ? swidth(src) : 0;
		if (w > srcw && w <= 12)
			srcw = w;
		free(src);
	}
	struct strset seen;
	strset_init(&seen);
	for (size_t i = 0; i < as.n; i++)
		artifact_line(t, &as.a[i], srcw, &seen);
	strset_done(&seen);
	report_artifacts_done(&as);
	fputs("\n", t->out);
}

int excise_report_text_width(const struct excise_scan *s, FILE *out, unsigned flags, unsigned width)
{
	static const struct style plain = { "", "", "", "", "", "" };
	static const struct style color = { "\033[1m", "\033[31m", "\033[33m", "\033[32m", "\033[2m",
					    "\033[0m" };
	struct tw t = {
		.out = out,
		.st = (flags & EXCISE_REPORT_COLOR) ? &color : &plain,
		.verbose = flags & EXCISE_REPORT_VERBOSE,
		.width = (flags & EXCISE_REPORT_VERBOSE) ? 0 : width,
		.win = s->host.platform && !strcmp(s->host.platform, "windows"),
	};
	const struct style *st = t.st;
	buf_init(&t.line, 0);
	heading(&t, s);
	for (size_t i = 0; i < s->n_findings; i++)
		finding(&t, &s->findings[i]);

	struct buf *l = &t.line;
	for (size_t i = 0; i < s->n_sources; i++) {
		const struct excise_source_result *r = &s->sources[i];
		if (r->status == EXCISE_SOURCE_FAILED) {
			buf_addf(l, "%ssource ", st->red);
			esc(&t, l, r->name);
			buf_addf(l, " failed:%s ", st->off);
			esc(&t, l, r->error);
			put_line(&t, NULL, NULL);
		}
		if (r->n_errors) {
			buf_adds(l, "source ");
			esc(&t, l, r->name);
			buf_addf(l, ": %llu item error%s", (unsigned long long)r->n_errors, r->n_errors == 1 ? "" : "s");
			if (r->errors && r->errors[0]) {
				buf_adds(l, ", first: ");
				esc(&t, l, r->errors[0]);
			}
			put_line(&t, NULL, NULL);
		}
	}

	const char *word;
	(void)excise_scan_verdict(s, &word);
	size_t strong = excise_scan_count(s, EXCISE_CONF_STRONG);
	size_t weak = s->n_findings - strong;
	if (strcmp(word, "found") == 0)
		buf_addf(l, "%s%sFOUND:%s %zu covered product%s", st->bold, st->red, st->off, strong,
			 strong == 1 ? "" : "s");
	else if (strcmp(word, "incomplete") == 0)
		buf_addf(l, "%s%sINCOMPLETE:%s nothing found, but not every source could be read", st->bold, st->red,
			 st->off);
	else
		buf_addf(l, "%s%sCLEAN:%s no covered software found", st->bold, st->green, st->off);
	if (weak)
		buf_addf(l, " (%zu weak indication%s)", weak, weak == 1 ? "" : "s");
	put_line(&t, NULL, NULL);
	buf_done(&t.line);
	if (t.err)
		return t.err;
	return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}

int excise_report_text(const struct excise_scan *s, FILE *out, unsigned flags)
{
	return excise_report_text_width(s, out, flags, EXCISE_REPORT_TEXT_WIDTH);
}
