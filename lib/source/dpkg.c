/* SPDX-License-Identifier: Apache-2.0 */
/* source dpkg: the packages in dpkg's status database, one observation each. */
#include <string.h>

#include "core/limits.h"
#include "parse/dpkg.h"
#include "source/source.h"

#define DPKG_STATUS "/var/lib/dpkg/status"

/* dpkg's package states (dpkg-query(1)) and whether each means the package's
 * files are on disk as a working install. not-installed is never emitted. */
static const struct {
	const char *word;
	bool active;
} states[] = {
	{ "installed", true },
	{ "half-configured", true },
	{ "unpacked", true },
	{ "triggers-awaited", true },
	{ "triggers-pending", true },
	{ "half-installed", false },
	{ "config-files", false },
	{ "not-installed", false },
};

static int on_pkg(void *userdata, const struct dpkg_pkg *pkg)
{
	struct source_ctx *ctx = userdata;
	if (!pkg->state) {
		source_item_error(ctx, EXCISE_E_CORRUPT,
				  "'%s': line %zu (package '%.64s'): no Status field", DPKG_STATUS,
				  pkg->line, pkg->package);
		return 0;
	}
	size_t i;
	for (i = 0; i < ARRAY_SIZE(states); i++)
		if (strcmp(states[i].word, pkg->state) == 0)
			break;
	if (i == ARRAY_SIZE(states)) {
		source_item_error(ctx, EXCISE_E_CORRUPT,
				  "'%s': line %zu (package '%.64s'): unknown package state '%.64s'",
				  DPKG_STATUS, pkg->line, pkg->package, pkg->state);
		return 0;
	}
	if (strcmp(pkg->state, "not-installed") == 0) {
		source_count(ctx, 1);
		return 0;
	}
	struct obs o = {
		.kind = EXCISE_OBS_PACKAGE, .state = states[i].word, .active = states[i].active,
	};
	o.f[EXCISE_F_NAME] = pkg->package;
	o.f[EXCISE_F_VERSION] = pkg->version;
	o.f[EXCISE_F_PUBLISHER] = pkg->maintainer;
	o.f[EXCISE_F_DESCRIPTION] = pkg->synopsis;
	return source_emit(ctx, &o);
}

static int on_error(void *userdata, int code, size_t line, const char *msg)
{
	(void)line;
	/* msg already names the file and the line; code is a domain code. */
	source_item_error(userdata, -code, "%s", msg);
	return 0;
}

static int run(struct source_ctx *ctx)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = root_read_file(source_root(ctx), DPKG_STATUS, EXCISE_MAX_DPKG_STATUS_SIZE, &data, &len);
	if (r == -ENOENT || r == -ENOTDIR)
		return -EXCISE_E_ABSENT;
	if (r == -EXCISE_E_TOOBIG)
		return source_fail(ctx, r, "'%s': larger than %u bytes", DPKG_STATUS,
				   EXCISE_MAX_DPKG_STATUS_SIZE);
	if (r < 0)
		return source_fail(ctx, r, "'%s': cannot read: %s", DPKG_STATUS, excise_strerror(r));

	struct excise_err err = { 0 };
	r = dpkg_status_parse(DPKG_STATUS, data, len, on_pkg, on_error, ctx, &err);
	if (r < 0)
		return source_fail(ctx, r, "%s", err.msg[0] ? err.msg : excise_strerror(r));
	return 0;
}

const struct source source_dpkg = {
	.name = "dpkg",
	.platform = "linux",
	.description = "packages in dpkg's status database (" DPKG_STATUS ")",
	.run = run,
};
