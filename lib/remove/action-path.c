/* SPDX-License-Identifier: Apache-2.0 */
/*
 * action-path: remove a path (lib/remove/action.h): a file, directory or symlink
 * moved into the quarantine store, restorable, never deleted; checked first against
 * what the plan saw there. Its note, its step in excise remove and its sh and ps1 forms.
 */
#include <stdio.h>

#include "remove/action.h"
#include "remove/plan_int.h"
#include "remove/remove_int.h"

static const char *path_note(const struct excise_plan *p, const struct excise_plan_step *s, char *buf, size_t size)
{
	(void)p, (void)s, (void)buf, (void)size;
	return "moved into the quarantine store, restorable with excise restore";
}

static enum excise_step_outcome path_apply(struct run *x, const struct excise_plan_step *s, int log_fd,
					   struct excise_err *err)
{
	(void)log_fd;
	return remove_put(x, s->target, &s->seen, err);
}

static void path_sh(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out)
{
	(void)p;
	fputs("\tquarantine \"$ROOT\"", out);
	emit_sq(out, s->target);
	fprintf(out, " %c || return 1\n", s->seen.type ? s->seen.type : 'o');
}

static void path_ps1(const struct excise_plan_step *s, FILE *out)
{
	fputs("    Move-ToQuarantine ", out);
	emit_pspath(out, s->target);
	fputc('\n', out);
}

const struct action_ops action_remove_path = {
	.name = "remove-path", .rank = 7,
	.note = path_note, .apply = path_apply, .sh = path_sh, .ps1 = path_ps1,
};
