/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The evidence-source interface. Each source is one file, lib/source/<name>.c,
 * exporting one `const struct source source_<name>` listed in registry.c.
 *
 * A source reads one kind of evidence from the root it is given and reports
 * each thing it sees as an observation (struct excise_obs, excise/obs.h)
 * through source_emit(), which feeds the scan's engine (excise/engine.h).
 * It knows nothing about vendors: matching happens in the engine. source.c
 * runs the sources (source_run_all) and holds everything declared here.
 *
 * run() returns:
 *    0                  it ran (whether or not it observed anything);
 *   -EXCISE_E_ABSENT    nothing of its kind exists here (no RPM database...);
 *   other < 0           it failed; source_fail() has said why.
 * Problems with single items (an unreadable file, a bad stanza) are reported
 * with source_item_error() and do not stop the source.
 */
#ifndef EXCISE_SOURCE_H
#define EXCISE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "core/root.h"
#include "excise/catalog.h"
#include "excise/engine.h"
#include "excise/obs.h"
#include "excise/scan.h"

enum source_flags {
	SOURCE_LIVE_ONLY = 1u << 0, /* reads the running system (/proc): absent under --root */
	SOURCE_FULL_ONLY = 1u << 1, /* runs only with EXCISE_SCAN_FULL */
	SOURCE_ALL_USERS = 1u << 2, /* reads every user's files (homes, processes): on the live
				     * host it fails unless run as root */
};

struct source_ctx;

struct source {
	const char *name;
	const char *platform;      /* "any", or what it reads: "linux", "windows", "macos", or a
				    * comma-separated list such as "linux,macos" */
	unsigned flags;
	const char *description;   /* one line, for --help and docs */
	int (*run)(struct source_ctx *ctx);
};

const struct root *source_root(struct source_ctx *ctx);
bool source_live(struct source_ctx *ctx);
unsigned source_scan_flags(struct source_ctx *ctx);   /* enum excise_scan_flags */
unsigned source_threads(struct source_ctx *ctx);      /* >= 1 */
/* The platform the running source reads: "linux", "windows" or "macos" (of a root
 * with several platforms' markers, the first of them, primary first, it reads). */
const char *source_platform(struct source_ctx *ctx);
/* The catalog being matched (sources may derive places to look from its indicators). */
const struct excise_catalog *source_catalog(struct source_ctx *ctx);

/* Report an observation. Thread-safe. Returns 0 or -ENOMEM. */
NODISCARD int source_emit(struct source_ctx *ctx, const struct excise_obs *o);

/* Count observations that were looked at but not emitted (the walk's unmatched entries). Thread-safe. */
void source_count(struct source_ctx *ctx, uint64_t n);

/* Cheap test for hot loops: could `s` (of `len` bytes) match any indicator for
 * (kind, field)? False means certainly not. Thread-safe, lock-free. */
bool source_could_match(struct source_ctx *ctx, enum excise_obs_kind kind, enum excise_field field,
			const char *s, size_t len);

/* Could a file or directory of this name and path match a file indicator? The
 * test the listing sources (files, win-files) make for every entry. Thread-safe. */
bool source_could_match_file(struct source_ctx *ctx, const char *name, size_t name_len,
			     const char *path, size_t path_len);

/* False when no string longer than prefix[0..len) and starting with it could match
 * (kind, field): a whole directory's paths ruled out at once. Thread-safe. */
bool source_could_match_below(struct source_ctx *ctx, enum excise_obs_kind kind,
			      enum excise_field field, const char *prefix, size_t len);

/* True when some indicator tests (kind, field) at all. */
bool source_wants(struct source_ctx *ctx, enum excise_obs_kind kind, enum excise_field field);

/* A problem with one item; the source goes on. Thread-safe. When `code` is a limit
 * (EXCISE_E_TOOBIG, EXCISE_E_LIMIT, either sign: something the source must read was
 * not read) the source is incomplete, as with source_incomplete. */
void source_item_error(struct source_ctx *ctx, int code, const char *fmt, ...) PRINTF(3, 4);

/* An item the source must read and could not, whatever the reason (a database refused
 * for its schema): an item error, and the source is incomplete: it ends "failed", its
 * error "stopped by a limit: MSG" (the first such), so the scan is never clean. */
void source_incomplete(struct source_ctx *ctx, int code, const char *fmt, ...) PRINTF(3, 4);

/* Record why the source failed; returns `code` (negative). */
int source_fail(struct source_ctx *ctx, int code, const char *fmt, ...) PRINTF(3, 4);

/* Progress of a long walk (entries and directories seen so far). Thread-safe. */
void source_progress(struct source_ctx *ctx, uint64_t entries, uint64_t dirs);

/* The registry: all sources, in the order they run. */
extern const struct source *const source_table[];
extern const size_t source_table_len;

/* Every source `opts` asks for that reads one of `platforms` (comma-separated, the
 * primary first; and, when it reads the running system, only on a live root), in
 * registry order, each once, as an input of `engine`; the others are inputs too, with status skipped or absent. A source
 * that fails is recorded as failed and the rest go on. Returns 0 or -ENOMEM. */
NODISCARD int source_run_all(struct excise_engine *engine, const struct root *root, const char *platforms,
			     const struct excise_scan_opts *opts);

/* 0 when some source `opts` asks for can run on `platform` over `root` (always when
 * opts->only is NULL), else -EXCISE_E_USAGE saying why none can. */
int source_check_runnable(const struct root *root, const char *platform, const struct excise_scan_opts *opts,
			  struct excise_err *reterr);

/* The reason recorded for a source of every user's files on a live host not scanned as root. */
#define SOURCE_NOT_ROOT "not running as root: /root and other users' files could not be read; run as root"

/* 0 when every name of `only` (NULL-terminated, or NULL) is a source, else
 * -EXCISE_E_USAGE naming the first that is not. */
int source_check_names(const char *const *only, struct excise_err *reterr);

#endif
