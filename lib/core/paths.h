/* SPDX-License-Identifier: Apache-2.0 */
/* paths: where excise keeps its own state inside a root, and on the host. */
#ifndef EXCISE_PATHS_H
#define EXCISE_PATHS_H

/* the quarantine store (lib/remove/quarantine.c); the full walk does not descend
 * into it, so a rescan after a removal does not find what was quarantined */
#define EXCISE_QUARANTINE_DIR "/var/lib/excise/quarantine"

/* on the host that runs excise: the run directories (plan, journal, quarantine
 * manifest, step logs, bundle backups: lib/remove/remove.c) of every run, an offline root's
 * included (their records never live in the image they act on: docs/removal.md,
 * "Where a run's records live"); the command's --runs-dir, or EXCISE_STATE_DIR/runs,
 * names another */
#define EXCISE_HOST_RUNS_DIR "/var/lib/excise/runs"

#endif
