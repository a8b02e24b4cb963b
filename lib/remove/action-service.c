/* SPDX-License-Identifier: Apache-2.0 */
/*
 * action-service: the actions on what runs (lib/remove/action.h): stop a service
 * (systemd unit, launchd label, Windows service or driver), disable a unit, kill a
 * process, unload a kernel module or kext, reload the units. Each with its note,
 * its step in excise remove and its sh and ps1 forms.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "remove/action.h"
#include "remove/plan_int.h"
#include "remove/remove_int.h"

#define KILL_WAIT_MS 5000

/* The links that enable `unit` in the root: NULL-terminated, owned (free each, then the
 * vector), or NULL on OOM with *n 0. Shared by the removal and its dry run. */
char **remove_unit_links(struct run *x, const char *unit, size_t *n)
{
	static const char *const dirs[] = { "/etc/systemd/system", "/usr/local/lib/systemd/system" };
	char **links = calloc(1, sizeof(*links));
	*n = 0;
	for (size_t d = 0; links && d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dh;
		if (root_opendir(&x->root, dirs[d], &dh) < 0)
			continue;
		struct dirent *de;
		while ((de = readdir(dh))) {
			size_t l = strlen(de->d_name);
			bool sub = (l > 6 && strcmp(de->d_name + l - 6, ".wants") == 0) ||
				   (l > 9 && strcmp(de->d_name + l - 9, ".requires") == 0) ||
				   (l > 8 && strcmp(de->d_name + l - 8, ".upholds") == 0);
			if (!sub || !remove_entry_is(dh, de, S_IFDIR))
				continue;
			char *sd = path_join(dirs[d], de->d_name);
			char *lp = sd ? path_join(sd, unit) : NULL;
			free(sd);
			struct stat st;
			if (lp && root_lstat(&x->root, lp, &st) == 0 && S_ISLNK(st.st_mode)) {
				char **v = realloc(links, (*n + 2) * sizeof(*v));
				if (v) {
					links = v;
					links[(*n)++] = lp;
					links[*n] = NULL;
					lp = NULL;
				}
			}
			free(lp);
		}
		closedir(dh);
	}
	return links;
}

/* Offline: a unit is disabled by removing the links that enable it. */
static enum excise_step_outcome disable_offline(struct run *x, const struct excise_plan_step *s,
						struct excise_err *err)
{
	size_t n = 0, moved = 0;
	char **links = remove_unit_links(x, s->target, &n);
	if (!links) {
		err_set(err, -ENOMEM, "out of memory");
		return EXCISE_STEP_FAILED;
	}
	enum excise_step_outcome o = EXCISE_STEP_DONE;
	for (size_t i = 0; i < n; i++) {
		if (o == EXCISE_STEP_DONE && remove_put(x, links[i], NULL, err) == EXCISE_STEP_FAILED)
			o = EXCISE_STEP_FAILED;
		else if (o == EXCISE_STEP_DONE)
			moved++;
		free(links[i]);
	}
	free(links);
	if (o == EXCISE_STEP_FAILED)
		return o;
	if (!moved) {
		remove_say(x, "%s is not enabled", s->target);
		return EXCISE_STEP_ALREADY;
	}
	remove_say(x, "%s disabled: %zu enablement link%s moved to quarantine", s->target, moved, moved == 1 ? "" : "s");
	return EXCISE_STEP_DONE;
}

static enum excise_step_outcome do_kill(struct run *x, const struct excise_plan_step *s)
{
	char proc[64], exe[4096];
	snprintf(proc, sizeof(proc), "/proc/%lld/exe", (long long)s->pid);
	ssize_t k = s->pid > 1 ? readlink(proc, exe, sizeof(exe) - 1) : -1;
	if (k < 0) {
		remove_say(x, "process %lld is gone", (long long)s->pid);
		return EXCISE_STEP_ALREADY;
	}
	exe[k] = 0;
	if (strcmp(exe, s->target) != 0) {
		remove_say(x, "process %lld now runs '%s', not '%s': left alone", (long long)s->pid, exe, s->target);
		return EXCISE_STEP_ALREADY;
	}
	kill((pid_t)s->pid, SIGTERM);
	for (int waited = 0; waited <= KILL_WAIT_MS; waited += 50) {
		if (kill((pid_t)s->pid, 0) < 0 && errno == ESRCH) {
			remove_say(x, "process %lld (%s) ended", (long long)s->pid, s->target);
			return EXCISE_STEP_DONE;
		}
		if (waited == KILL_WAIT_MS / 2)
			kill((pid_t)s->pid, SIGKILL);
		nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	}
	remove_say(x, "process %lld (%s) did not end", (long long)s->pid, s->target);
	return EXCISE_STEP_FAILED;
}
/* ---- stop-service ---- */

static enum excise_step_outcome stop_apply(struct run *x, const struct excise_plan_step *s, int log_fd,
					   struct excise_err *err)
{
	const char *argv[] = { "systemctl", "stop", "--", s->target, NULL };
	int r = remove_tool(x, log_fd, argv, err);
	if (r == 5) { /* not loaded */
		remove_say(x, "%s is not loaded", s->target);
		return EXCISE_STEP_ALREADY;
	}
	return r == 0 ? (remove_say(x, "%s stopped", s->target), EXCISE_STEP_DONE) : EXCISE_STEP_FAILED;
}

static void stop_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	if (!strcmp(p->platform, "macos")) {
		fputs("\tif launchctl print system/", out);
		emit_sq(out, s->target);
		fputs(" >/dev/null 2>&1; then\n\t\trun launchctl bootout system/", out);
		emit_sq(out, s->target);
		fputs(" || return 1\n\telse\n\t\tlog \"  not loaded\"\n\tfi\n", out);
	} else {
		fputs("\tif systemctl is-active --quiet -- ", out);
		emit_sq(out, s->target);
		fputs("; then\n\t\trun systemctl stop -- ", out);
		emit_sq(out, s->target);
		fputs(" || return 1\n\telse\n\t\tlog \"  not running\"\n\tfi\n", out);
	}
}

static void stop_ps1(const struct excise_plan_step *s, FILE *out)
{
	fputs("    $svc = Get-Service -Name ", out);
	emit_psq(out, s->target);
	fputs(" -ErrorAction SilentlyContinue\n"
	      "    if (-not $svc) { Write-Log '  not installed'; return }\n"
	      "    Invoke-Step { Stop-Service -InputObject $svc -Force }\n"
	      "    Invoke-Step { Set-Service -Name $svc.Name -StartupType Disabled }\n", out);
}

const struct action_ops action_stop_service = {
	.name = "stop-service", .rank = 0, .live_only = true,
	.apply = stop_apply, .sh = stop_sh, .ps1 = stop_ps1,
};

/* ---- disable-service ---- */

static const char *disable_note(const struct excise_plan *p, const struct excise_plan_step *s, char *buf, size_t size)
{
	(void)s, (void)buf, (void)size;
	return p->live ? "systemctl disable" : "offline root: its enablement links are moved to quarantine";
}

static enum excise_step_outcome disable_apply(struct run *x, const struct excise_plan_step *s, int log_fd,
					      struct excise_err *err)
{
	/* the enablement links go into the quarantine first: systemctl disable would
	 * unlink them with no copy to restore */
	enum excise_step_outcome o = disable_offline(x, s, err);
	if (!x->root.live || o == EXCISE_STEP_FAILED || o == EXCISE_STEP_REFUSED)
		return o;
	const char *argv[] = { "systemctl", "disable", "--", s->target, NULL };
	int r = remove_tool(x, log_fd, argv, err);
	if (r != 0 && o != EXCISE_STEP_DONE)
		return EXCISE_STEP_FAILED;
	return r == 0 ? EXCISE_STEP_DONE : o;
}

static void disable_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	if (p->live) {
		fputs("\trun systemctl disable -- ", out);
		emit_sq(out, s->target);
		fputs(" || return 1\n", out);
	} else {
		fputs("\tfor l in \"$ROOT\"/etc/systemd/system/*.wants/", out);
		emit_sq(out, s->target);
		fputs(" \"$ROOT\"/etc/systemd/system/*.requires/", out);
		emit_sq(out, s->target);
		fputs("; do\n\t\tif [ -L \"$l\" ]; then quarantine \"$l\" l || return 1; fi\n\tdone\n", out);
	}
}

const struct action_ops action_disable_service = {
	.name = "disable-service", .rank = 1,
	.note = disable_note, .apply = disable_apply, .sh = disable_sh,
};

/* ---- kill-process ---- */

static enum excise_step_outcome kill_apply(struct run *x, const struct excise_plan_step *s, int log_fd,
					   struct excise_err *err)
{
	(void)log_fd, (void)err;
	return do_kill(x, s);
}

static void kill_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	(void)p;
	fprintf(out, "\tif [ \"$(readlink /proc/%lld/exe 2>/dev/null || true)\" = ", (long long)s->pid);
	emit_sq(out, s->target);
	fprintf(out, " ]; then\n\t\trun kill %lld || return 1\n\telse\n\t\tlog \"  process %lld is gone or runs "
		"something else\"\n\tfi\n", (long long)s->pid, (long long)s->pid);
}

const struct action_ops action_kill_process = {
	.name = "kill-process", .rank = 2, .live_only = true,
	.apply = kill_apply, .sh = kill_sh,
};

/* ---- unload-module ---- */

static enum excise_step_outcome unload_apply(struct run *x, const struct excise_plan_step *s, int log_fd,
					     struct excise_err *err)
{
	char sys[320];
	struct stat st;
	snprintf(sys, sizeof(sys), "/sys/module/%s", s->target);
	if (stat(sys, &st) < 0) {
		remove_say(x, "module %s is not loaded", s->target);
		return EXCISE_STEP_ALREADY;
	}
	const char *argv[] = { "modprobe", "-r", "--", s->target, NULL };
	return remove_tool(x, log_fd, argv, err) == 0 ? (remove_say(x, "module %s unloaded", s->target), EXCISE_STEP_DONE)
						       : EXCISE_STEP_FAILED;
}

static void unload_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	if (!strcmp(p->platform, "macos")) {
		fputs("\trun kextunload -b ", out);
		emit_sq(out, s->target);
		fputs(" || log \"  not loaded (or needs the reboot)\"\n", out);
	} else {
		fputs("\tif [ -d /sys/module/", out);
		emit_sq(out, s->target);
		fputs(" ]; then\n\t\trun modprobe -r -- ", out);
		emit_sq(out, s->target);
		fputs(" || return 1\n\telse\n\t\tlog \"  not loaded\"\n\tfi\n", out);
	}
}

const struct action_ops action_unload_module = {
	.name = "unload-module", .rank = 3, .live_only = true,
	.apply = unload_apply, .sh = unload_sh,
};

/* ---- reload-units ---- */

static enum excise_step_outcome reload_apply(struct run *x, const struct excise_plan_step *s, int log_fd,
					     struct excise_err *err)
{
	(void)s;
	const char *argv[] = { "systemctl", "daemon-reload", NULL };
	return remove_tool(x, log_fd, argv, err) == 0 ? (remove_say(x, "units reloaded"), EXCISE_STEP_DONE)
						       : EXCISE_STEP_FAILED;
}

static void reload_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	(void)p, (void)s;
	fputs("\trun systemctl daemon-reload || return 1\n", out);
}

const struct action_ops action_reload_units = {
	.name = "reload-units", .rank = 11, .live_only = true,
	.apply = reload_apply, .sh = reload_sh,
};
