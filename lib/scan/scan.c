/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan: the local sources over a root, feeding a findings engine
 * (excise/engine.h): open the root, read the host, create the engine, run the
 * sources (lib/source/source.c), finish into findings.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/root.h"
#include "excise/engine.h"
#include "excise/excise.h"
#include "scan/scan_int.h"
#include "source/source.h"

int excise_scan_run(const struct excise_catalog *catalog, const struct excise_scan_opts *opts,
		    struct excise_scan **ret, struct excise_err *reterr)
{
	if (!catalog || !opts || !ret)
		return err_set(reterr, -EXCISE_E_USAGE, "excise_scan_run: missing argument");
	int r = source_check_names(opts->only, reterr);
	if (r < 0)
		return r;
	struct root root = { .fd = -1 };
	if ((r = root_open(opts->root, &root, reterr)) < 0)
		return r;
	/* a directory many paths lead to is listed once per name looked up in it */
	if (root_cache_nocase(&root) < 0) {
		root_done(&root);
		return err_set(reterr, -ENOMEM, "out of memory");
	}
	struct excise_host host = { 0 };
	struct host_notes notes = { 0 };
	struct excise_engine *e = NULL;
	struct excise_scan *s = NULL;
	if (!host_recognised(&root)) {
		r = err_set(reterr, -EXCISE_E_NOTOS,
			    "'%s' does not look like an operating system root (no os-release, package database, "
			    "registry hives or SystemVersion.plist): was the image mounted?", opts->root);
		goto done;
	}
	if ((r = host_read(&root, &host, &notes)) < 0)
		goto fail;
	if ((r = source_check_runnable(&root, host.platforms, opts, reterr)) < 0)
		goto done;
	/* Only the indicators of the root's platforms are compiled (and tried): every platform
	 * whose markers it carries, so a second one's files are never passed over. */
	if ((r = excise_engine_new(catalog, host.platforms, &host, &e, reterr)) < 0)
		goto done;
	if (notes.n) { /* the host facts the scan could not read, before the sources' own errors */
		struct excise_source_result *in = excise_engine_input(e, "host");
		if (!in) {
			r = -ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < notes.n; i++)
			excise_engine_item_error(e, in, notes.msg[i]);
	}
	if ((r = source_run_all(e, &root, host.platforms, opts)) < 0)
		goto fail;
	if ((r = excise_engine_finish(e, &s, reterr)) < 0)
		goto done;
	s->flags = opts->flags;
	*ret = s;
	goto done;
fail:
	r = err_setc(reterr, r, "scan of '%s'", opts->root ? opts->root : "/");
done:
	excise_engine_free(e);
	excise_host_done(&host);
	root_done(&root);
	return r;
}

int excise_host_read(const char *path, struct excise_host *ret, struct excise_err *reterr)
{
	*ret = (struct excise_host){ 0 };
	struct root root = { .fd = -1 };
	struct host_notes notes = { 0 };
	int r = root_open(path, &root, reterr);
	if (r < 0)
		return r;
	if (!host_recognised(&root))
		r = err_set(reterr, -EXCISE_E_NOTOS, "'%s' does not look like an operating system root: was the "
			    "image mounted?", path);
	else if ((r = host_read(&root, ret, &notes)) < 0)
		r = err_setc(reterr, r, "the host facts of '%s'", path ? path : "/");
	else if (notes.n && !ret->machine_id)
		r = err_set(reterr, -EXCISE_E_SPECIAL, "%s", notes.msg[0]); /* no machine id, and a fact unreadable: say which */
	if (r < 0)
		excise_host_done(ret);
	root_done(&root);
	return r;
}

const char *excise_version(void)
{
	return EXCISE_VERSION;
}
