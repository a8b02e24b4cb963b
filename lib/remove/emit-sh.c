/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emit-sh: a plan as a POSIX sh script for Linux and macOS hosts. Every step is
 * a function whose commands each return on failure; the main part logs each
 * step before and after, stops at the first failure (unless a fallback step
 * follows) and with --dry-run only says what it would run. Removed paths are
 * moved into a quarantine directory, never deleted. Every string from the plan
 * is single-quoted; comments carry only printable ASCII.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/text.h"
#include "remove/action.h"
#include "remove/plan_int.h"

/* Printable ASCII only, so nothing ends a comment line or hides in it. */
void emit_comment_text(FILE *out, const char *s)
{
	for (; s && *s; s++)
		fputc(*s >= 0x20 && *s < 0x7f ? *s : '?', out);
}

/* "dpkg package PKG @/var/lib/dpkg/status [PKG.pkg, definitive]; ..." */
void emit_evidence(FILE *out, const struct excise_plan_step *s)
{
	for (size_t i = 0; i < s->n_evidence; i++) {
		const struct excise_plan_evidence *e = &s->evidence[i];
		fputs(i ? "; " : "", out);
		emit_comment_text(out, e->source);
		fputc(' ', out);
		emit_comment_text(out, e->kind);
		fputc(' ', out);
		emit_comment_text(out, e->value);
		if (e->path) {
			fputs(" @", out);
			emit_comment_text(out, e->path);
		}
		fputs(" [", out);
		emit_comment_text(out, e->indicator);
		fprintf(out, ", %s]", excise_confidence_name(e->confidence));
	}
}

/* The comment lines that open a script: what made it, from which report, for which host. */
void emit_about(FILE *out, const struct excise_plan *p, const char *emit, bool where)
{
	char created[32];
	time_rfc3339(p->created_ns, created);
	fprintf(out, "# excise removal plan (excise plan --emit %s)\n# report: ", emit);
	emit_comment_text(out, p->report_id);
	fputs("\n# host: ", out);
	emit_comment_text(out, p->hostname);
	if (where) {
		fputs(" (", out);
		emit_comment_text(out, p->platform);
		fputs(p->live ? ", live host)\n# root: /" : ", offline root)\n# root: ", out);
		if (!p->live)
			emit_comment_text(out, p->root);
	}
	fputs("\n# catalog: ", out);
	emit_comment_text(out, p->catalog_id);
	fputc(' ', out);
	emit_comment_text(out, p->catalog_version);
	fprintf(out, "\n# made: %s\n", created);
}

/* "# step 3: dpkg-purge PKG" and its evidence, before the step's code. */
void emit_step_comment(FILE *out, const struct excise_plan_step *s)
{
	fprintf(out, "# step %u: %s ", s->id, excise_plan_action_name(s->action));
	emit_comment_text(out, s->target);
	fputs("\n# evidence: ", out);
	emit_evidence(out, s);
	fputc('\n', out);
}

/* 'text' with each ' written as '\'' : the shell gives back the exact bytes. */
void emit_sq(FILE *out, const char *s)
{
	fputc('\'', out);
	size_t len = s ? strlen(s) : 0;
	for (size_t i = 0, n; i < len; i += n) {
		uint32_t cp;
		bool valid;
		if (s[i] == '\'') {
			fputs("'\\''", out);
			n = 1;
		} else if (s[i] != '\n' && text_char_unsafe(s + i, len - i, &n, &cp, &valid)) {
			/* a control, C1 or bidirectional character: its bytes made by printf, so that the
			 * script shown on a terminal carries none (a newline stays: $() would drop it) */
			fputs("'\"$(printf '", out);
			for (size_t k = 0; k < n; k++)
				fprintf(out, "\\%03o", (unsigned char)s[i + k]);
			fputs("')\"'", out);
		} else {
			n = 1;
			fputc(s[i], out);
		}
	}
	fputc('\'', out);
}

static void header(const struct excise_plan *p, FILE *out)
{
	fputs("#!/bin/sh\n", out);
	emit_about(out, p, "sh", true);
	fputs("#\n", out);
	fputs("# Review every step before running it. Run as root: sh THIS-FILE [--dry-run]\n"
	      "# Each step is logged before and after; the first failure stops the script.\n"
	      "# Removed files are moved into $EXCISE_QUARANTINE, never deleted.\n"
	      "set -eu\n\n", out);
	fputs("ROOT=", out);
	emit_sq(out, p->live || !strcmp(p->root, "/") ? "" : p->root);
	fputs("\nREPORT=", out);
	emit_sq(out, p->report_id ? p->report_id : "unknown");
	fputs("\nLOG=${EXCISE_LOG:-/var/log/excise-remove-$REPORT.log}\n"
	      "Q=${EXCISE_QUARANTINE:-$ROOT/var/lib/excise/quarantine/$REPORT}\n"
	      "DRY=0\n"
	      "if [ \"${1:-}\" = --dry-run ]; then DRY=1; fi\n\n"
	      "log() {\n"
	      "\tline=\"$(date -u +%Y-%m-%dT%H:%M:%SZ) $*\"\n"
	      "\tprintf '%s\\n' \"$line\" >&2\n"
	      "\tif [ \"$DRY\" = 0 ]; then printf '%s\\n' \"$line\" >>\"$LOG\"; fi\n"
	      "}\n\n"
	      "run() {\n"
	      "\tif [ \"$DRY\" = 1 ]; then\n"
	      "\t\tlog \"  would run: $*\"\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tlog \"  run: $*\"\n"
	      "\t\"$@\"\n"
	      "}\n\n"
	      "# quarantine PATH [TYPE]: move PATH under $Q, keeping its place in the tree.\n"
	      "quarantine() {\n"
	      "\tp=$1\n"
	      "\tif [ ! -e \"$p\" ] && [ ! -L \"$p\" ]; then\n"
	      "\t\tlog \"  already gone: $p\"\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tif [ -L \"$p\" ] && [ \"${2:-}\" != l ]; then\n"
	      "\t\tlog \"  refused: $p is now a symlink; rescan and plan again\"\n"
	      "\t\treturn 1\n"
	      "\tfi\n"
	      "\trel=${p#\"$ROOT\"}\n"
	      "\tdest=$Q/files$(dirname -- \"$rel\")\n"
	      "\trun mkdir -p -- \"$dest\" || return 1\n"
	      "\trun mv -- \"$p\" \"$dest/\" || return 1\n"
	      "\tif [ \"$DRY\" = 0 ]; then printf '%s\\n' \"$rel\" >>\"$Q/manifest.txt\"; fi\n"
	      "}\n\n"
	      "if [ \"$DRY\" = 0 ]; then\n"
	      "\tmkdir -p -- \"$Q\" \"$(dirname -- \"$LOG\")\"\n"
	      "fi\n\n", out);
	if (p->live) {
		fputs("pkg_rpm() {\n\trpm \"$@\"\n}\n\n", out);
		return;
	}
	/* rpm's compiled-in database path may not be the image's (Debian's rpm uses ~/.rpmdb) */
	fputs("# pkg_rpm ARGS: rpm on the database inside $ROOT\n"
	      "pkg_rpm() {\n"
	      "\tdb=/var/lib/rpm\n"
	      "\tfor f in rpmdb.sqlite Packages.db Packages; do\n"
	      "\t\tif [ -e \"$ROOT/usr/lib/sysimage/rpm/$f\" ]; then db=/usr/lib/sysimage/rpm; fi\n"
	      "\tdone\n"
	      "\trpm --root \"$ROOT\" --dbpath \"$db\" \"$@\"\n"
	      "}\n\n", out);
}

static void body(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	const struct action_ops *ops = plan_action(s->action);
	if (s->live_only && !p->live)
		fputs("\tlog \"  skipped: nothing to do on an offline root\"\n", out);
	else if (ops->sh)
		ops->sh(p, s, out);
	else
		fputs("\tlog \"  a Windows step: see the plan's ps1 script\"\n", out);
}

int plan_emit_sh(const struct excise_plan *p, FILE *out, struct excise_err *err)
{
	header(p, out);
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct excise_plan_step *s = &p->steps[i];
		emit_step_comment(out, s);
		fprintf(out, "step_%u() {\n", s->id);
		body(p, s, out);
		fputs("}\n\n", out);
	}
	/* PREV carries a failure to the fallback step after it, when there is one */
	bool fallbacks = false;
	for (size_t i = 0; i < p->n_steps; i++)
		fallbacks |= p->steps[i].fallback;
	if (fallbacks)
		fputs("PREV=ok\n", out);
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct excise_plan_step *s = &p->steps[i];
		bool rescued = i + 1 < p->n_steps && p->steps[i + 1].fallback;
		fprintf(out, "log \"step %u/%zu: %s \"", s->id, p->n_steps, excise_plan_action_name(s->action));
		emit_sq(out, s->target);
		fputc('\n', out);
		if (s->fallback)
			fputs("if [ \"$PREV\" != failed ]; then\n\tlog \"  not needed\"\nel", out);
		fprintf(out, "if step_%u; then\n\tlog \"  ok\"\n%selse\n", s->id, fallbacks ? "\tPREV=ok\n" : "");
		if (rescued)
			fprintf(out, "\tlog \"  FAILED: the fallback step %u follows\"\n\tPREV=failed\nfi\n", s->id + 1);
		else
			fprintf(out, "\tlog \"FAILED at step %u: stopping\"\n\texit 1\nfi\n", s->id);
	}
	fputs(p->reboot_required ? "log \"done; a reboot is needed to finish\"\n" : "log \"done\"\n", out);
	fputs("log \"next: excise verify to rescan and attest the result\"\n", out);
	return ferror(out) ? err_set(err, -EIO, "writing the sh script") : 0;
}
