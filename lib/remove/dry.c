/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dry: excise remove without --apply. Every step is checked as the run would check
 * it and logged with the outcome it would have (DONE: would be done, ALREADY,
 * SKIPPED, REFUSED) and, one a line, what it would do: "run: ARGV" for each command
 * as it would be spawned (arguments quoted for a shell where they need it), "move:
 * PATH" for each path it would move into the quarantine, "already gone: PATH" for
 * one that is not there. Every string of the plan or the image is shown through
 * text_escape, so each line is one the format made. Read-only by construction: nothing here writes, spawns or
 * signals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/root.h"
#include "core/text.h"
#include "remove/action.h"
#include "remove/nssdb.h"
#include "remove/remove_int.h"
#include "remove/spawn.h"

/* A word of a command, quoted for a shell where it needs it, its characters as text_escape shows them. */
static void put_word(FILE *out, const char *w)
{
	bool plain = w[0] != 0;
	for (const char *c = w; *c && plain; c++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *c) != NULL;
	if (plain) {
		fputs(w, out);
		return;
	}
	fputc('\'', out);
	for (const char *c = w; *c;) {
		size_t n = strcspn(c, "'");
		struct buf b;
		buf_init(&b, 0);
		text_escape(&b, c, n, 0);
		fputs(b.err ? "?" : b.p, out);
		buf_done(&b);
		c += n;
		if (*c == '\'') {
			fputs("'\\''", out);
			c++;
		}
	}
	fputc('\'', out);
}

static void say_run(FILE *out, const char *const argv[])
{
	fputs("run:", out);
	for (size_t i = 0; argv[i]; i++) {
		fputc(' ', out);
		put_word(out, argv[i]);
	}
	fputc('\n', out);
}

/* A path the step would move: DONE when it is there, ALREADY when not. */
static enum excise_step_outcome say_move(struct run *x, const char *path, FILE *out)
{
	struct stat st;
	int r = root_lstat(&x->root, path, &st);
	text_printf(out, "%s: %s\n", r == -ENOENT ? "already gone" : "move", path);
	return r == -ENOENT ? EXCISE_STEP_ALREADY : EXCISE_STEP_DONE;
}

static enum excise_step_outcome dry_package(struct run *x, const struct excise_plan_step *s, FILE *out)
{
	struct excise_err err = { 0 };
	bool present = false;
	if (remove_check_package(x, s, &present, &err) < 0) {
		text_printf(out, "%s\n", err.msg);
		return EXCISE_STEP_REFUSED;
	}
	if (!present) {
		text_printf(out, "package %s is not installed\n", s->target);
		return EXCISE_STEP_ALREADY;
	}
	DIR *dh = NULL;
	if (s->action == EXCISE_PLAN_DPKG_PURGE && !x->root.live &&
	    root_opendir(&x->root, "/var/lib/dpkg/info", &dh) == 0) {
		/* the maintainer scripts of an offline root are moved, never run here */
		struct dirent *de;
		while ((de = readdir(dh)))
			if (remove_dpkg_script(de->d_name, s->target))
				text_printf(out, "move: /var/lib/dpkg/info/%s (a maintainer script of the image, not run)\n",
					de->d_name);
		closedir(dh);
	}
	char opt[4200];
	const char *argv[REMOVE_PACKAGE_ARGV];
	remove_package_argv(x, s, opt, sizeof(opt), argv);
	say_run(out, argv);
	return EXCISE_STEP_DONE;
}

/* Offline, a unit is disabled by moving the links that enable it (action-service.c). */
static enum excise_step_outcome dry_disable(struct run *x, const struct excise_plan_step *s, FILE *out)
{
	size_t n = 0;
	char **links = remove_unit_links(x, s->target, &n);
	for (size_t i = 0; i < n; i++) {
		text_printf(out, "move: %s\n", links[i]);
		free(links[i]);
	}
	free(links);
	if (x->root.live) {
		const char *argv[] = { "systemctl", "disable", "--", s->target, NULL };
		say_run(out, argv);
		return EXCISE_STEP_DONE;
	}
	if (!n)
		text_printf(out, "%s is not enabled\n", s->target);
	return n ? EXCISE_STEP_DONE : EXCISE_STEP_ALREADY;
}

static enum excise_step_outcome dry_cert(struct run *x, const struct excise_plan_step *s, FILE *out)
{
	const char *path = s->path ? s->path : s->target;
	struct stat st;
	if (root_lstat(&x->root, path, &st) == -ENOENT) {
		text_printf(out, "already gone: %s\n", path);
		return EXCISE_STEP_ALREADY;
	}
	char sha[17];
	snprintf(sha, sizeof(sha), "%s", s->target);
	text_printf(out, "%s: %s (certificate %s…: the file moved if it holds nothing else, the block cut out if "
		    "it does, a generated bundle left to regenerate-trust)\n", S_ISLNK(st.st_mode) ? "move" : "move or edit",
		    path, sha);
	return EXCISE_STEP_DONE;
}

/* What remove-nss-cert would do: the certificate still there, the database not in use. */
static enum excise_step_outcome dry_nss(struct run *x, const struct excise_plan_step *s, FILE *out)
{
	struct excise_err err = { 0 };
	struct nssdb d;
	int r = nssdb_open(&x->root, s->path, &d, &err);
	if (r == -ENOENT) {
		text_printf(out, "already gone: %s\n", s->path);
		return EXCISE_STEP_ALREADY;
	}
	if (r < 0) {
		text_printf(out, "%s\n", err.msg);
		return r == -ENOMEM ? EXCISE_STEP_FAILED : EXCISE_STEP_REFUSED;
	}
	size_t n = 0;
	char nick[256] = "", why[1200];
	r = nssdb_count(&d, s->target, &n, nick, sizeof(nick), &err);
	nssdb_close(&d);
	if (r < 0) {
		text_printf(out, "%s\n", err.msg);
		return EXCISE_STEP_FAILED;
	}
	if (n == 0) {
		char sha[17];
		snprintf(sha, sizeof(sha), "%s", s->target);
		text_printf(out, "already gone: certificate %s… from %s\n", sha, s->path);
		return EXCISE_STEP_ALREADY;
	}
	int busy = nssdb_busy(&x->root, s->path, why, sizeof(why));
	if (busy) {
		text_printf(out, "%s\n", busy < 0 ? "out of memory" : why);
		return busy < 0 ? EXCISE_STEP_FAILED : EXCISE_STEP_REFUSED;
	}
	char sha[17];
	snprintf(sha, sizeof(sha), "%s", s->target);
	text_printf(out, "edit: %s (certificate %s…%s%s%s and its trust record deleted; the original kept in the run "
		    "directory)\n", s->path, sha, nick[0] ? " '" : "", nick, nick[0] ? "'" : "");
	return EXCISE_STEP_DONE;
}

static enum excise_step_outcome dry_step(struct run *x, const struct excise_plan_step *s, FILE *out)
{
	struct excise_err err = { 0 };
	if (remove_check_one(x, s, &err) < 0) {
		text_printf(out, "%s\n", err.msg);
		return EXCISE_STEP_REFUSED;
	}
	if (s->live_only && !x->root.live) {
		fputs("nothing to do on an offline root\n", out);
		return EXCISE_STEP_SKIPPED;
	}
	switch (s->action) {
	case EXCISE_PLAN_DPKG_PURGE:
	case EXCISE_PLAN_RPM_ERASE:
		return dry_package(x, s, out);
	case EXCISE_PLAN_REMOVE_PATH:
		return say_move(x, s->target, out);
	case EXCISE_PLAN_DISABLE_SERVICE:
		return dry_disable(x, s, out);
	case EXCISE_PLAN_REMOVE_CERT:
		return dry_cert(x, s, out);
	case EXCISE_PLAN_REMOVE_NSS_CERT:
		return dry_nss(x, s, out);
	case EXCISE_PLAN_STOP_SERVICE: {
		const char *argv[] = { "systemctl", "stop", "--", s->target, NULL };
		say_run(out, argv);
		return EXCISE_STEP_DONE;
	}
	case EXCISE_PLAN_UNLOAD_MODULE: {
		const char *argv[] = { "modprobe", "-r", "--", s->target, NULL };
		say_run(out, argv);
		return EXCISE_STEP_DONE;
	}
	case EXCISE_PLAN_RELOAD_UNITS: {
		const char *argv[] = { "systemctl", "daemon-reload", NULL };
		say_run(out, argv);
		return EXCISE_STEP_DONE;
	}
	case EXCISE_PLAN_KILL_PROCESS:
		fprintf(out, "signal: SIGTERM, then SIGKILL, to process %lld ", (long long)s->pid);
		text_printf(out, "if it still runs %s\n", s->target);
		return EXCISE_STEP_DONE;
	case EXCISE_PLAN_REGEN_TRUST:
		if (x->root.live) {
			const char *upd[] = { "update-ca-certificates", "--fresh", NULL };
			const char *ext[] = { "update-ca-trust", "extract", NULL };
			say_run(out, spawn_have("update-ca-certificates") ? upd : ext);
		} else {
			fputs("rewrite: the generated trust bundles without the removed certificates (originals kept in "
			      "the run directory)\n", out);
		}
		return EXCISE_STEP_DONE;
	default:
		text_printf(out, "%s %s\n", excise_plan_action_name(s->action), s->target ? s->target : "");
		return EXCISE_STEP_DONE;
	}
}

void remove_dry_steps(struct run *x)
{
	const struct excise_plan *p = x->p;
	for (size_t i = 0; i < p->n_steps && x->o->log; i++) {
		const struct excise_plan_step *s = &p->steps[i];
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);
		enum excise_step_outcome o = out ? dry_step(x, s, out) : EXCISE_STEP_FAILED;
		if (out && fclose(out) != 0)
			o = EXCISE_STEP_FAILED;
		if (text && len && text[len - 1] == '\n')
			text[len - 1] = 0;
		x->o->log(x->o->userdata, s, p->n_steps, EXCISE_STEP_PENDING, NULL);
		x->o->log(x->o->userdata, s, p->n_steps, o, text ? text : "out of memory");
		free(text);
	}
}
