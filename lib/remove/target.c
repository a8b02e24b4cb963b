/* SPDX-License-Identifier: Apache-2.0 */
/*
 * target: the root a plan or a run acts on is the one the operator named,
 * once. A plan records its root (host.root) and a run's journal records the
 * root it works on; a root named again on the command line must be the same
 * directory (compared as canonical real paths), else the command is refused
 * before anything is touched.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "excise/remove.h"
#include "remove/journal.h"

int excise_target_check(const char *named, const char *recorded, const char *whose, struct excise_err *err)
{
	if (!named)
		return 0;
	if (!*named)
		return err_set(err, -EXCISE_E_USAGE, "--root: empty path");
	if (!recorded || !*recorded)
		return err_set(err, -EXCISE_E_CORRUPT, "the %s records no root", whose);
	char *a = realpath(named, NULL);
	if (!a)
		return err_setc(err, -errno, "--root '%s'", named);
	char *b = realpath(recorded, NULL);
	int r = 0;
	if (!b)
		r = err_setc(err, -errno, "--root '%s': the %s's root '%s'", named, whose, recorded);
	else if (strcmp(a, b) != 0) {
		/* the real paths too, when a name given is not its own */
		char real[2 * PATH_MAX + 32] = "";
		if (strcmp(a, named) || strcmp(b, recorded))
			snprintf(real, sizeof(real), " (really '%s' and '%s')", a, b);
		r = err_set(err, -EXCISE_E_REFUSED,
			    "--root '%s' is not the %s's root '%s'%s: refused, nothing was touched; leave --root out "
			    "to act on the %s's root", named, whose, recorded, real, whose);
	}
	free(a);
	free(b);
	return r;
}

int excise_target_run_root(const char *run_dir, char **ret, struct excise_err *err)
{
	*ret = NULL;
	struct journal_state st;
	int r = journal_peek(run_dir, &st, err);
	if (r < 0)
		return r;
	if (!st.root || !(*ret = strdup(st.root)))
		r = st.root ? err_set(err, -ENOMEM, "out of memory") :
			      err_set(err, -EXCISE_E_CORRUPT, "run '%s': the journal records no root", run_dir);
	journal_state_done(&st);
	return r;
}
