/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fleet read side (lib/fleet/track.c, fleet.c, freport.c): where each host
 * stands against each directive, and the reports the directives ask for.
 *
 * The store keeps FACTS (when a host first reported, was last complete, first
 * had a covered finding, recorded a plan...). The STATE of a host for a
 * directive and each milestone's due date and status are derived from those
 * facts, `now`, the exemptions, retirement and the settings in one place,
 * lib/fleet/track.c (docs/fleet.md, "States"). A list of hosts and its totals
 * come from one query: the totals are counted over the rows of the list, so a
 * count and the list it summarises always agree.
 */
#ifndef EXCISE_FLEET_H
#define EXCISE_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "excise/catalog.h"
#include "excise/error.h"
#include "excise/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A host's state for one directive, in the order reports list them. */
enum excise_fleet_state {
	EXCISE_FLEET_NEVER_REPORTED,   /* enrolled or expected, no report yet */
	EXCISE_FLEET_CLEAN,            /* complete reports, never a covered finding */
	EXCISE_FLEET_IDENTIFIED,       /* a covered finding, no plan yet */
	EXCISE_FLEET_PLAN_RECORDED,    /* a removal plan received */
	EXCISE_FLEET_REMOVAL_STARTED,  /* a removal run received, the product still found */
	EXCISE_FLEET_REMOVED,          /* a complete report after the finding has none */
	EXCISE_FLEET_VERIFIED,         /* removed, and a clean attestation since */
	EXCISE_FLEET_EXEMPT,           /* an exemption in force (reason, approver, expiry) */
	EXCISE_FLEET_STALE,            /* silent longer than the stale period: never clean */
	EXCISE_FLEET_ERROR,            /* the latest report incomplete, nothing covered in it: never clean */
	EXCISE_FLEET_RETIRED,          /* decommissioned: not counted */
	EXCISE_FLEET_STATE_MAX_,
};

/* A milestone for one host. */
enum excise_ms_status {
	EXCISE_MS_PENDING,   /* not met, not yet due (or a vendor's deadline: no fact says it was kept) */
	EXCISE_MS_MET,       /* met by its due date */
	EXCISE_MS_LATE,      /* met after its due date */
	EXCISE_MS_OVERDUE,   /* not met, due date passed */
	EXCISE_MS_NA,        /* does not apply to this host (nothing found, retired, exempt) */
	EXCISE_MS_STATUS_MAX_,
};

#define EXCISE_FLEET_MAX_MILESTONES 8u    /* milestones of one directive the tracker follows (catalog: 4 at most) */
#define EXCISE_FLEET_STALE_DEFAULT (7 * 86400) /* seconds of silence before a host is stale */

EXCISE_API const char *excise_fleet_state_name(enum excise_fleet_state s);
EXCISE_API const char *excise_ms_status_name(enum excise_ms_status s);
/* The state named `name` ("never_reported", ...) into *ret; -EINVAL when none is. */
EXCISE_API int excise_fleet_state_parse(const char *name, enum excise_fleet_state *ret);

/* What the store holds about one host and one directive. Times are unix seconds,
 * 0 for never (NULL in the database). */
struct excise_fleet_facts {
	bool enrolled;                /* false: an expected host that never enrolled */
	int64_t enrolled_at, last_seen, retired;
	int64_t first_report, last_report;   /* any report */
	int64_t first_complete;       /* first determined: a complete report or a covered finding (the first
				       * status change out of never_reported/error); 0: unknown, last_complete stands in */
	int64_t last_complete;        /* the latest complete report */
	int64_t last_complete_covered;       /* non-zero: that report had a covered finding */
	int64_t first_identified, last_identified; /* reports with a covered finding */
	int64_t plan_recorded, removal_started, removed, verified;
	int64_t last_error;                  /* the last incomplete report */
};

/* One exemption of a host from a directive. */
struct excise_fleet_exemption {
	const char *id, *reason, *approver;
	int64_t created, expires, revoked;   /* expires, revoked: 0 for never */
};

struct excise_fleet_settings {
	int64_t stale;                /* seconds; 0: EXCISE_FLEET_STALE_DEFAULT */
	const int64_t *closed;        /* the organisation's own closed days (00:00 UTC each), borrowed: business
				       * days skip them besides the directive's calendar (lib/fleet/calendar.c) */
	size_t n_closed;
};

struct excise_fleet_milestone {
	const char *id;               /* the catalog's ("M1"), borrowed from the catalog */
	const char *action;           /* identify, plan, remove, report, notify, ... */
	int64_t due;                  /* 00:00 UTC of the due day (met when done before that day ends); 0: none */
	int64_t met_at;               /* when it was met; 0: not */
	enum excise_ms_status status;
};

/* One host for one directive. */
struct excise_fleet_host {
	char *host_id;                /* NULL: expected, never enrolled */
	char *hostname, *org_unit, *platform, *os;
	char *products;               /* covered products last identified, comma-separated ("" none) */
	struct excise_fleet_facts facts;
	enum excise_fleet_state state;     /* what the host counts as */
	enum excise_fleet_state progress;  /* the furthest the facts show, staleness, error and exemption aside */
	char *exempt_reason, *exempt_approver; /* the exemption in force (state exempt), else NULL */
	int64_t exempt_expires;
	struct excise_fleet_milestone ms[EXCISE_FLEET_MAX_MILESTONES];
	size_t n_ms;
	size_t expected_matches;      /* an expected host (host_id NULL): the enrolled hosts of its org unit its
				       * name matches (docs/fleet.md, "Expected inventory"): 0 none, 2 or more
				       * ambiguous (never joined; a single match is joined and the row not listed) */
};

/* Counts over the rows of a list (never a second query). */
struct excise_fleet_product_count {
	char *product;                /* product id */
	size_t hosts;                 /* rows that list it */
};

struct excise_fleet_totals {
	size_t rows;
	size_t state[EXCISE_FLEET_STATE_MAX_];
	size_t ms[EXCISE_FLEET_MAX_MILESTONES][EXCISE_MS_STATUS_MAX_];
	size_t counted;               /* rows that are not retired */
	size_t determined;            /* rows whose facts say present or absent now: clean, identified .. verified, exempt */
	size_t not_determined;        /* never reported, stale, error */
	struct excise_fleet_product_count *products; /* by product, most hosts first */
	size_t n_products;
};

struct excise_fleet_strings;

/* Which rows. */
struct excise_fleet_query {
	const char *directive;        /* required */
	const char *org_unit;         /* "agency" or "agency/bureau": that unit and below; NULL all */
	int state;                    /* an enum excise_fleet_state, or -1 for every state */
	int64_t now;
	struct excise_fleet_settings settings;
};

struct excise_fleet_list {
	const struct excise_directive *directive; /* borrowed from the catalog */
	int64_t start;                /* the directive's start day (the organisation's, else issued) */
	bool start_set;               /* the organisation set it */
	int64_t now;
	char *org_unit;               /* the query's, or NULL */
	struct excise_fleet_host *rows;
	size_t n;
	struct excise_fleet_totals totals;
	struct excise_fleet_strings *strings; /* a list read from a store: its rows' strings live here (freed with
					       * the list; NULL: each row owns its strings, as excise_fleet_host_done
					       * frees them); exempt_reason and exempt_approver are always the row's */
	struct excise_filing *filings; /* the directive's filings, revoked ones too (the list owns them) */
	size_t n_filings;
};

/* Derive state and milestones for one host (lib/fleet/track.c) from h->facts; `ex` are the
 * host's exemptions from this directive, `fl` the organisation's filings of this directive's
 * reports (every org unit's, revoked ones too: track.c picks), `start` the directive's start
 * day. The exemption in force is copied into h. 0 or -ENOMEM. */
EXCISE_API int excise_fleet_track(const struct excise_directive *d, int64_t start, struct excise_fleet_host *h,
				  const struct excise_fleet_exemption *ex, size_t n_ex, const struct excise_filing *fl,
				  size_t n_fl, int64_t now, const struct excise_fleet_settings *s);

/* Milestone `i` of `d` is a report the organisation files, met by a recorded filing
 * (excise_store_filing_add): action "notify" or "report", anchored on the host's
 * discovery or on such a milestone before it, and not the status series that follows
 * a removal (met by the removal). A vendor's deadline (anchor "absolute") is not. */
EXCISE_API bool excise_fleet_takes_filing(const struct excise_directive *d, size_t i);

/* Filing `f` is in force at `now` (recorded by then, not revoked by then) and covers a
 * host of org unit `org_unit` (its own unit, one above it, or the whole organisation). */
EXCISE_API bool excise_fleet_filing_covers(const struct excise_filing *f, const char *org_unit, int64_t now);

/* "YYYY-MM-DD" (00:00 UTC) or "YYYY-MM-DDTHH:MM:SSZ" into unix seconds; -EINVAL. */
EXCISE_API int excise_fleet_time_parse(const char *s, int64_t *ret);

/* The start of directive `d`: `org_start` (the organisation's, 0 none) or its issued date.
 * -EXCISE_E_CORRUPT when the catalog's date does not parse. */
EXCISE_API int excise_fleet_start(const struct excise_directive *d, int64_t org_start, int64_t *ret);

/* The totals of `l`'s rows into l->totals (replacing them). -ENOMEM. */
EXCISE_API int excise_fleet_count(struct excise_fleet_list *l);

EXCISE_API void excise_fleet_host_done(struct excise_fleet_host *h);
EXCISE_API void excise_fleet_list_free(struct excise_fleet_list *l);

/* Open the database at `url` (a SQLite path, which must exist, or a postgresql:// URL)
 * for reports: read-only (excise_store_opts.read_only; an older schema is refused). */
EXCISE_API int excise_fleet_open(const char *url, const struct excise_catalog *c, struct excise_store **ret,
				 struct excise_err *err);

/* One row per host x directive matching `q`, with its state and milestones, and the
 * totals of those rows: one query. -EXCISE_E_ABSENT for a directive the catalog lacks. */
EXCISE_API int excise_fleet_hosts(struct excise_store *st, const struct excise_catalog *c,
				  const struct excise_fleet_query *q, struct excise_fleet_list **ret,
				  struct excise_err *err);

/* One covered finding of a host's latest report. */
struct excise_fleet_finding {
	char *host_id, *hostname, *org_unit;
	char *product_id, *vendor_id, *product_name, *version, *state, *confidence;
	char *sources;                /* comma-separated source names: how it was found */
	int64_t received;
	uint64_t n_artifacts;
};

struct excise_fleet_findings {
	struct excise_fleet_finding *rows;
	size_t n;
};

/* The findings covered by q->directive in each non-retired host's latest report (org unit
 * filter as for hosts; q->state is not used). */
EXCISE_API int excise_fleet_findings_get(struct excise_store *st, const struct excise_catalog *c,
					 const struct excise_fleet_query *q, struct excise_fleet_findings **ret,
					 struct excise_err *err);
EXCISE_API void excise_fleet_findings_free(struct excise_fleet_findings *f);

/* ---- reports (lib/fleet/freport.c) ---- */

enum excise_freport_kind {
	EXCISE_FREPORT_DAY30, EXCISE_FREPORT_DAY60, EXCISE_FREPORT_STATUS, EXCISE_FREPORT_FAR,
	EXCISE_FREPORT_HOSTS, EXCISE_FREPORT_FINDINGS,
};
enum excise_freport_format { EXCISE_FREPORT_TEXT, EXCISE_FREPORT_JSON, EXCISE_FREPORT_CSV, EXCISE_FREPORT_HTML };

/* The operator's facts a report cannot measure, from a JSON config file (docs/fleet.md). */
struct excise_freport_config;

EXCISE_API int excise_freport_config_read(const char *path, struct excise_freport_config **ret,
					  struct excise_err *err);
EXCISE_API void excise_freport_config_free(struct excise_freport_config *c);
/* The stale period the config sets (seconds), or 0. */
EXCISE_API int64_t excise_freport_config_stale(const struct excise_freport_config *c);
/* The config's closed_days (00:00 UTC each, owned by the config; NULL and *n 0 when none): the
 * organisation's own closures, for excise_fleet_settings.closed. */
EXCISE_API const int64_t *excise_freport_config_closed(const struct excise_freport_config *c, size_t *n);

/* Write report `kind` in `format` to `out`. `findings` may be NULL for kinds that do not
 * use them (status, hosts). -EINVAL for a kind and format that do not go together
 * (CSV: hosts and findings only; HTML: the directive reports), -EIO. */
EXCISE_API int excise_freport_write(FILE *out, enum excise_freport_kind kind, enum excise_freport_format format,
				    const struct excise_fleet_list *l, const struct excise_fleet_findings *findings,
				    const struct excise_freport_config *cfg, const struct excise_catalog *c,
				    struct excise_err *err);

#ifdef __cplusplus
}
#endif
#endif
