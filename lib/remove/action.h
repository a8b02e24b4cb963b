/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to lib/remove: each action a plan step can take is defined once, in the
 * file of its kind (action-package.c, action-service.c, action-path.c,
 * action-cert.c, action-nss.c, action-registry.c, action-vendor.c): its name, where it runs in the
 * order, whether it means anything offline, the plan's note, how excise remove
 * carries it out, and its sh and ps1 forms. plan.c, remove.c and the emitters only
 * look it up.
 */
#ifndef EXCISE_ACTION_H
#define EXCISE_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "excise/plan.h"
#include "excise/remove.h"

struct run;

struct action_ops {
	const char *name;            /* "dpkg-purge": excise.plan/1 and the scripts */
	int rank;                    /* the order steps run in, lowest first */
	bool live_only;              /* nothing to do on an offline root (skipped there) */
	bool keeps_order;            /* steps of one rank keep the planner's numbering (dependencies) */
	/* the plan's note for people into buf, or NULL for none */
	const char *(*note)(const struct excise_plan *p, const struct excise_plan_step *s, char *buf, size_t size);
	/* excise remove on a Linux host or root; NULL: a step for its own host's script */
	enum excise_step_outcome (*apply)(struct run *x, const struct excise_plan_step *s, int log_fd,
					  struct excise_err *err);
	/* the body of the step's function in the sh script, and in the ps1 script; NULL: not there */
	void (*sh)(const struct excise_plan *p, const struct excise_plan_step *s, FILE *out);
	void (*ps1)(const struct excise_plan_step *s, FILE *out);
};

/* The action `a` (< EXCISE_PLAN_ACTION_MAX). */
const struct action_ops *plan_action(enum excise_plan_action a);

extern const struct action_ops action_stop_service, action_disable_service, action_kill_process,
	action_unload_module, action_reload_units, action_dpkg_purge, action_rpm_erase, action_msi_uninstall,
	action_vendor_remover, action_remove_path, action_remove_cert, action_regen_trust, action_delete_regkey,
	action_uninstall_string, action_remove_nss_cert;

#endif
