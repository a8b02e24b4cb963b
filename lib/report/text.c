/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text: the report for people. Findings grouped by product with their evidence
 * indented, then sources that failed, then a one-line verdict. Names are shown
 * with control characters escaped (\n, \t, \xNN) so a hostile file name cannot
 * move the cursor or forge a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "excise/report.h"
#include "report/report_int.h"

struct style {
	const char *bold, *red, *yellow, *green, *dim, *off;
};

/* Returns the number of bytes written. */
static size_t put_escaped(FILE *out, const char *s)
{
	if (!s)
		return fputs("-", out) >= 0;
	size_t n = 0;
	size_t len = strlen(s);
	struct buf b;
	buf_init(&b, 0);
	utf8_sanitize(&b, s, len);
	const char *p = b.err ? s : b.p;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\n')
			n += (size_t)fprintf(out, "\\n");
		else if (c == '\t')
			n += (size_t)fprintf(out, "\\t");
		else if (c == '\\')
			n += (size_t)fprintf(out, "\\\\");
		else if (c < 0x20 || c == 0x7f)
			n += (size_t)fprintf(out, "\\x%02x", c);
		else
			n += fputc(c, out) != EOF;
	}
	buf_done(&b);
	return n;
}

static const char *conf_color(const struct style *st, enum excise_confidence c)
{
	return c == EXCISE_CONF_DEFINITIVE ? st->red : c == EXCISE_CONF_STRONG ? st->yellow : st->dim;
}

int excise_report_text(const struct excise_scan *s, FILE *out, unsigned flags)
{
	static const struct style plain = { "", "", "", "", "", "" };
	static const struct style color = { "\033[1m", "\033[31m", "\033[33m", "\033[32m", "\033[2m",
					    "\033[0m" };
	const struct style *st = (flags & EXCISE_REPORT_COLOR) ? &color : &plain;
	char t0[32];
	time_rfc3339(s->started_ns, t0);
	fprintf(out, "%sexcise scan%s of ", st->bold, st->off);
	put_escaped(out, s->host.hostname && *s->host.hostname ? s->host.hostname : "(unnamed host)");
	fputs(" (", out);
	put_escaped(out, s->host.os ? s->host.os : s->host.platform);
	fputs(s->host.live ? ", live" : ", root ", out);
	if (!s->host.live)
		put_escaped(out, s->host.root);
	fprintf(out, ") at %s, catalog %s %s%s\n\n", t0,
		s->catalog_id ? s->catalog_id : excise_catalog_id(s->catalog),
		s->catalog_version ? s->catalog_version : excise_catalog_version(s->catalog),
		s->origin == EXCISE_SCAN_REMATCHED ? " (a report of another catalog, its evidence matched again)" : "");

	for (size_t i = 0; i < s->n_findings; i++) {
		const struct excise_finding *f = &s->findings[i];
		fprintf(out, "%s%s%s", st->bold, conf_color(st, f->confidence), "");
		put_escaped(out, f->product_name);
		fprintf(out, "%s", st->off);
		if (f->version) {
			fputs(" ", out);
			put_escaped(out, f->version);
		}
		fprintf(out, " — %s, %s confidence", excise_state_name(f->state),
			excise_confidence_name(f->confidence));
		char *dirs = report_directives(f, ", ");
		if (dirs && *dirs)
			fprintf(out, "; covered by %s", dirs);
		free(dirs);
		fputs("\n", out);
		for (size_t k = 0; k < f->n_evidence; k++) {
			const struct excise_evidence *e = &f->evidence[k];
			fprintf(out, "    %s%-10s%s ", conf_color(st, e->confidence),
				excise_confidence_name(e->confidence), st->off);
			/* a report read back may name any source: escaped like every name */
			size_t w = put_escaped(out, e->source);
			fprintf(out, "%*s ", w < 7 ? (int)(7 - w) : 0, "");
			fprintf(out, "%s %s ", excise_obs_kind_name(e->kind), excise_field_name(e->field));
			put_escaped(out, e->value);
			if (e->path && strcmp(e->path, e->value) != 0) {
				fputs(" at ", out);
				put_escaped(out, e->path);
			}
			if (e->state) {
				fputs(" (", out);
				put_escaped(out, e->state);
				fputs(")", out);
			}
			for (char **a = e->attrs; a && a[0] && a[1]; a += 2) {
				fprintf(out, " %s", a == e->attrs ? "{" : "");
				put_escaped(out, a[0]);
				fputc('=', out);
				put_escaped(out, a[1]);
				if (!a[2])
					fputc('}', out);
			}
			fprintf(out, " %s[%s%s]%s\n", st->dim, e->indicator_id,
				e->indicator ? "" : ", not in this catalog", st->off);
		}
		fputs("\n", out);
	}

	for (size_t i = 0; i < s->n_sources; i++) {
		const struct excise_source_result *r = &s->sources[i];
		if (r->status == EXCISE_SOURCE_FAILED) {
			fprintf(out, "%ssource ", st->red);
			put_escaped(out, r->name);
			fprintf(out, " failed:%s ", st->off);
			put_escaped(out, r->error);
			fputs("\n", out);
		}
		if (r->n_errors) {
			fputs("source ", out);
			put_escaped(out, r->name);
			fprintf(out, ": %llu item error%s", (unsigned long long)r->n_errors, r->n_errors == 1 ? "" : "s");
			if (r->errors && r->errors[0]) {
				fputs(", first: ", out);
				put_escaped(out, r->errors[0]);
			}
			fputs("\n", out);
		}
	}

	const char *word;
	(void)excise_scan_verdict(s, &word);
	size_t strong = excise_scan_count(s, EXCISE_CONF_STRONG);
	size_t weak = s->n_findings - strong;
	if (strcmp(word, "found") == 0)
		fprintf(out, "%s%sFOUND:%s %zu covered product%s", st->bold, st->red, st->off, strong,
			strong == 1 ? "" : "s");
	else if (strcmp(word, "incomplete") == 0)
		fprintf(out, "%s%sINCOMPLETE:%s nothing found, but not every source could be read", st->bold,
			st->red, st->off);
	else
		fprintf(out, "%s%sCLEAN:%s no covered software found", st->bold, st->green, st->off);
	if (weak)
		fprintf(out, " (%zu weak indication%s)", weak, weak == 1 ? "" : "s");
	fputs("\n", out);
	return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}
