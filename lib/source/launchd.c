/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source launchd: launchd job definitions of a macOS root, the *.plist files
 * (XML or binary) in /Library/LaunchDaemons, /Library/LaunchAgents,
 * /System/Library/LaunchDaemons, /System/Library/LaunchAgents and
 * /Users/<user>/Library/LaunchAgents.
 *
 * Each job gives a SERVICE observation: NAME = Label, TARGET = Program, else
 * ProgramArguments joined with spaces (cut at EXCISE_MAX_CMDLINE_LEN bytes),
 * PATH = the plist, attrs "domain" ("daemon", "agent" or "user-agent"),
 * "disabled" ("true"/"false") and "label" (so that evidence matched on TARGET still
 * names the job launchctl acts on). A job is disabled by its own Disabled key or,
 * when present, by launchd's override database
 * (/private/var/db/com.apple.xpc.launchd/disabled.plist: Label -> bool), which
 * wins as it does in launchctl; state is then "disabled" (not active), else
 * "enabled" (active). The same job also gives a BUNDLE observation with
 * NAME = Label (the catalog names jobs by their reverse-DNS labels) and
 * attrs "kind" = "launchd" and "domain". A plist with no Label is reported
 * and named by its file name without ".plist".
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "source/macbundle.h"
#include "source/tree.h"
#include "source/users.h"

static const char *const override_dbs[] = {
	"/private/var/db/com.apple.xpc.launchd/disabled.plist",
	"/var/db/com.apple.xpc.launchd/disabled.plist",
};

struct jobs {
	struct source_ctx *ctx;
	plist_t overrides; /* dictionary, or NULL */
	const char *domain; /* of the folder being listed */
	bool found;
};

/* Program, else ProgramArguments joined; *ret NULL when neither is there. */
static int job_target(struct source_ctx *ctx, plist_t job, const char *path, char **ret)
{
	struct excise_err err = { 0 };
	const char *prog = NULL;
	*ret = NULL;
	int r = pl_dict_string(job, "Program", path, &prog, &err);
	if (r < 0 && r != -ENOMEM)
		source_item_error(ctx, -r, "%s", err.msg);
	if (r == -ENOMEM)
		return r;
	if (prog) {
		*ret = strndup(prog, EXCISE_MAX_CMDLINE_LEN);
		return *ret ? 0 : -ENOMEM;
	}
	const char **argv = NULL;
	size_t argc = 0;
	r = pl_dict_strings(job, "ProgramArguments", path, &argv, &argc, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		source_item_error(ctx, -r, "%s", err.msg);
		return 0;
	}
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < argc; i++) {
		size_t room = EXCISE_MAX_CMDLINE_LEN - b.n;
		if (i > 0 && room > 0) {
			buf_addc(&b, ' ');
			room--;
		}
		size_t len = strlen(argv[i]);
		buf_add(&b, argv[i], len < room ? len : room);
		if (len >= room)
			break;
	}
	free(argv);
	if (argc == 0) {
		buf_done(&b);
		return 0;
	}
	return buf_take(&b, ret);
}

static int job(struct jobs *j, const char *path, const char *domain)
{
	struct source_ctx *ctx = j->ctx;
	struct excise_err err = { 0 };
	plist_t pl = NULL;
	int r = pl_read_dict(source_root(ctx), path, &pl, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (r != -ENOENT)
			source_item_error(ctx, -r, "%s", err.msg);
		return 0;
	}
	const char *label = NULL;
	_cleanup_free_ char *stem = NULL, *target = NULL;
	r = pl_dict_string(pl, "Label", path, &label, &err);
	if (r == 1)
		r = err_set(&err, -EXCISE_E_CORRUPT, "'%s': key 'Label': missing", path);
	if (r < 0 && r != -ENOMEM) {
		source_item_error(ctx, -r, "%s", err.msg);
		const char *base = mac_base_name(path);
		stem = strndup(base, strlen(base) - strlen(".plist"));
		label = stem;
		r = stem ? 0 : -ENOMEM;
	}
	bool disabled = false;
	if (r >= 0) {
		r = pl_dict_bool(pl, "Disabled", path, &disabled, &err);
		if (r < 0 && r != -ENOMEM) {
			source_item_error(ctx, -r, "%s", err.msg);
			r = 0;
		}
	}
	if (r >= 0 && j->overrides) {
		bool o;
		if (pl_dict_bool(j->overrides, label, "launchd overrides", &o, &err) == 0)
			disabled = o;
	}
	if (r >= 0)
		r = job_target(ctx, pl, path, &target);
	if (r >= 0) {
		const char *state = disabled ? "disabled" : "enabled";
		struct excise_obs_attr at[] = { { "domain", domain }, { "disabled", disabled ? "true" : "false" },
					 { "label", label } };
		struct excise_obs o = { .kind = EXCISE_OBS_SERVICE, .state = state, .active = !disabled,
				 .attrs = at, .n_attrs = ARRAY_SIZE(at) };
		o.f[EXCISE_F_NAME] = label;
		o.f[EXCISE_F_PATH] = path;
		o.f[EXCISE_F_TARGET] = target;
		r = source_emit(ctx, &o);
		struct excise_obs_attr bt[] = { { "kind", "launchd" }, at[0], at[1], at[2] };
		o.kind = EXCISE_OBS_BUNDLE;
		o.attrs = bt;
		o.n_attrs = ARRAY_SIZE(bt);
		if (r >= 0)
			r = source_emit(ctx, &o);
	}
	plist_free(pl);
	return r;
}

static int job_entry(void *userdata, const char *path, const char *name)
{
	(void)name;
	struct jobs *j = userdata;
	return job(j, path, j->domain);
}

static int job_dir(struct jobs *j, const char *dir, const char *domain)
{
	static const struct dirlist plists = { .suffix = ".plist" };
	j->domain = domain;
	int r = source_list(j->ctx, dir, &plists, 0, job_entry, j);
	j->found |= r == 0;
	return r < 0 ? r : 0;
}

static int user_agents(struct source_ctx *ctx, const struct user_home *u, void *ud)
{
	(void)ctx;
	_cleanup_free_ char *p = path_join(u->home, "Library/LaunchAgents");
	return p ? job_dir(ud, p, "user-agent") : -ENOMEM;
}

static int read_overrides(struct jobs *j)
{
	for (size_t i = 0; i < ARRAY_SIZE(override_dbs); i++) {
		struct excise_err err = { 0 };
		int r = pl_read_dict(source_root(j->ctx), override_dbs[i], &j->overrides, &err);
		if (r == -ENOMEM)
			return r;
		if (r == 0)
			return 0;
		if (r != -ENOENT)
			source_item_error(j->ctx, -r, "%s", err.msg);
	}
	return 0;
}

static int run(struct source_ctx *ctx)
{
	static const struct {
		const char *dir, *domain;
	} dirs[] = {
		{ "/Library/LaunchDaemons", "daemon" },
		{ "/Library/LaunchAgents", "agent" },
		{ "/System/Library/LaunchDaemons", "daemon" },
		{ "/System/Library/LaunchAgents", "agent" },
	};
	struct jobs j = { .ctx = ctx };
	int r = read_overrides(&j);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(dirs); i++)
		r = job_dir(&j, dirs[i].dir, dirs[i].domain);
	if (r >= 0)
		r = source_each_user(ctx, USER_USERS, user_agents, &j);
	if (j.overrides)
		plist_free(j.overrides);
	if (r < 0)
		return source_fail(ctx, r, "launchd jobs: %s", excise_strerror(r));
	return j.found ? 0 : -EXCISE_E_ABSENT;
}

const struct source source_launchd = {
	.name = "launchd",
	.platform = "macos",
	.description = "launchd daemons and agents (Library/LaunchDaemons, LaunchAgents)",
	.run = run,
};
