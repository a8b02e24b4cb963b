/* SPDX-License-Identifier: Apache-2.0 */
/* track: a host's facts into its state and milestones for a directive (track.c has the rules). */
#ifndef EXCISE_FLEET_TRACK_H
#define EXCISE_FLEET_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "excise/fleet.h"

/* "YYYY-MM-DD" to 00:00 UTC of that day; -EINVAL for anything else (or before 1970). */
int track_date_parse(const char *s, int64_t *ret);
/* 00:00 UTC of the day of `t`. */
int64_t track_day(int64_t t);
/* 00:00 UTC of the `n`th business day after the day of `t`: weekends, the holidays and
 * closures of `cal` (NULL: none) and the organisation's closed days (`s`, may be NULL) skipped. */
int64_t track_add_business_days(int64_t t, int n, const struct excise_calendar *cal,
				const struct excise_fleet_settings *s);

bool track_exemption_active(const struct excise_fleet_exemption *e, int64_t now);

/* The furthest the facts show (never_reported, clean, identified .. verified, or error
 * for reports that were never complete and found nothing). */
enum excise_fleet_state track_progress(const struct excise_fleet_facts *f);

/* The state; *ret_progress the progress, *ret_exemption the index of the exemption in
 * force or SIZE_MAX. */
enum excise_fleet_state track_state(const struct excise_fleet_facts *f, const struct excise_fleet_exemption *ex,
				    size_t n_ex, int64_t now, const struct excise_fleet_settings *s,
				    enum excise_fleet_state *ret_progress, size_t *ret_exemption);

/* Each milestone of `d` (at most EXCISE_FLEET_MAX_MILESTONES) for a host of org unit
 * `org_unit` in `state`; `fl` the organisation's filings (track.c: which count); `s` (may be
 * NULL) the organisation's closed days business days skip. */
void track_milestones(const struct excise_directive *d, int64_t start, const struct excise_fleet_facts *f,
		      enum excise_fleet_state state, enum excise_fleet_state progress, const char *org_unit,
		      const struct excise_filing *fl, size_t n_fl, int64_t now, const struct excise_fleet_settings *s,
		      struct excise_fleet_milestone *out, size_t *n);

#endif
