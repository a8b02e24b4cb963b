/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to lib/remove: what plan.c, plan-io.c and the emitters share. */
#ifndef EXCISE_PLAN_INT_H
#define EXCISE_PLAN_INT_H

#include <stdio.h>

#include "excise/plan.h"

#define PLAN_SCHEMA "excise.plan/1"

/* The action whose name is `s` ("dpkg-purge"...), or -1. */
int plan_action_from_name(const char *s);
/* Whether the planner has a rule for evidence of `source` on `platform` (tests). */
bool plan_has_rule(const char *platform, const char *source);
/* Free what one step owns. */
void plan_step_done(struct excise_plan_step *s);

/* Writers (plan-io.c, emit-sh.c, emit-ps1.c). */
int plan_write_json(const struct excise_plan *p, FILE *out, struct excise_err *err);
int plan_write_text(const struct excise_plan *p, FILE *out, struct excise_err *err);
int plan_emit_sh(const struct excise_plan *p, FILE *out, struct excise_err *err);
int plan_emit_ps1(const struct excise_plan *p, FILE *out, struct excise_err *err);

/* For the emitters' comments: printable ASCII only, and a step's evidence on one line. */
void emit_comment_text(FILE *out, const char *s);
void emit_evidence(FILE *out, const struct excise_plan_step *s);
void emit_about(FILE *out, const struct excise_plan *p, const char *emit, bool where);
void emit_step_comment(FILE *out, const struct excise_plan_step *s);
/* Quoted for the scripts: sh single quotes (emit-sh.c); PowerShell single quotes, `s`
 * and `tail` as one string, a root-relative path on the system drive (emit-ps1.c). */
void emit_sq(FILE *out, const char *s);
void emit_psq(FILE *out, const char *s);
void emit_psq_with(FILE *out, const char *s, const char *tail);
void emit_pspath(FILE *out, const char *s);

#endif
