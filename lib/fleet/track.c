/* SPDX-License-Identifier: Apache-2.0 */
/*
 * track: THE one place a host's stored facts become its state for a directive and
 * each milestone's due date and status (docs/fleet.md, "States"). Pure: facts,
 * exemptions, `now`, the directive and the settings in; nothing read, nothing kept.
 *
 * State, first rule that holds:
 *   retired          retired, and no report since it was
 *   exempt           an exemption in force (created, not revoked, not expired at `now`)
 *   never_reported   no report
 *   stale            the last report older than the stale period
 *   error            the latest report incomplete and without a covered finding
 *   otherwise the progress the facts show:
 *   verified         no longer found (below), and a clean attestation since the last finding
 *   removed          found once, and a complete report after the last finding
 *   removal_started  found, a removal run received
 *   plan_recorded    found, a plan received
 *   identified       found (a covered finding, and no complete report since)
 *   clean            complete reports, never a covered finding
 *
 * Days are UTC. A milestone is due on its day and met when done before that day ends.
 *
 * A report the organisation files (excise_fleet_takes_filing: FAR 52.204-23 R1 and R2) is
 * met by a recorded filing (docs/fleet.md, "Reports filed"): for a host it applies to
 * (found, not exempt, its due date known), it is met on the day of the earliest filing of
 * that milestone that is in force at `now` (recorded by then, not revoked by then), covers
 * the host's org unit (that unit, one above it, or the whole organisation) and was filed
 * on or after the day of the event it reports:
 *   anchored on the discovery (R1)          the host's first identification
 *   following a filed report (R2 after R1)  the day that report was met for this host
 *                                           (not met: the follow-up cannot be either)
 * So a filing never counts for a host first identified after the day it was filed: a new
 * discovery needs a new report. A follow-up is due its offset after the day the report
 * before it was met for the host (FAR (c)(2)(ii): 10 business days after the initial
 * report is submitted), and after that report's due day while it is not. A vendor's
 * deadline (anchor "absolute": BIS B1, B2) is not filed by the organisation and stays
 * pending once due for a host found.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/text.h"
#include "fleet/calendar.h"
#include "fleet/track.h"

#define DAY 86400

static const char *const state_names[EXCISE_FLEET_STATE_MAX_] = {
	[EXCISE_FLEET_NEVER_REPORTED] = "never_reported",
	[EXCISE_FLEET_CLEAN] = "clean",
	[EXCISE_FLEET_IDENTIFIED] = "identified",
	[EXCISE_FLEET_PLAN_RECORDED] = "plan_recorded",
	[EXCISE_FLEET_REMOVAL_STARTED] = "removal_started",
	[EXCISE_FLEET_REMOVED] = "removed",
	[EXCISE_FLEET_VERIFIED] = "verified",
	[EXCISE_FLEET_EXEMPT] = "exempt",
	[EXCISE_FLEET_STALE] = "stale",
	[EXCISE_FLEET_ERROR] = "error",
	[EXCISE_FLEET_RETIRED] = "retired",
};

static const char *const ms_names[EXCISE_MS_STATUS_MAX_] = {
	[EXCISE_MS_PENDING] = "pending",
	[EXCISE_MS_MET] = "met",
	[EXCISE_MS_LATE] = "late",
	[EXCISE_MS_OVERDUE] = "overdue",
	[EXCISE_MS_NA] = "n/a",
};

const char *excise_fleet_state_name(enum excise_fleet_state s)
{
	return (unsigned)s < EXCISE_FLEET_STATE_MAX_ ? state_names[s] : "?";
}

const char *excise_ms_status_name(enum excise_ms_status s)
{
	return (unsigned)s < EXCISE_MS_STATUS_MAX_ ? ms_names[s] : "?";
}

int excise_fleet_state_parse(const char *name, enum excise_fleet_state *ret)
{
	for (int i = 0; name && i < EXCISE_FLEET_STATE_MAX_; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*ret = (enum excise_fleet_state)i;
			return 0;
		}
	return -EINVAL;
}

/* ---- days ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int track_date_parse(const char *s, int64_t *ret)
{
	unsigned y, m, d;
	char tail;
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 ||
	    y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1)
		return -EINVAL;
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
		return -EINVAL;
	*ret = days_from_civil(y, m, d) * DAY;
	return 0;
}

int excise_fleet_time_parse(const char *s, int64_t *ret)
{
	int64_t day;
	if (!s || strlen(s) < 10)
		return -EINVAL;
	char date[11];
	memcpy(date, s, 10);
	date[10] = 0;
	if (track_date_parse(date, &day) < 0)
		return -EINVAL;
	if (!s[10]) {
		*ret = day;
		return 0;
	}
	unsigned h, m, sec;
	char z, tail;
	for (int i = 11; i < 19; i++)
		if (i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	if (strlen(s) != 20 || s[10] != 'T' || sscanf(s + 11, "%2u:%2u:%2u%c%c", &h, &m, &sec, &z, &tail) != 4 ||
	    z != 'Z' || s[13] != ':' || s[16] != ':' || h > 23 || m > 59 || sec > 59)
		return -EINVAL;
	*ret = day + h * 3600 + m * 60 + sec;
	return 0;
}

int64_t track_day(int64_t t)
{
	int64_t d = t / DAY;
	if (t % DAY < 0)
		d--;
	return d * DAY;
}

/* The `n`th business day after the day of `t`: Saturdays, Sundays, the holidays and closures
 * of `cal` and the organisation's closed days (s->closed) skipped (calendar.c). */
int64_t track_add_business_days(int64_t t, int n, const struct excise_calendar *cal,
				const struct excise_fleet_settings *s)
{
	int64_t day = track_day(t);
	while (n > 0) {
		day += DAY;
		if (!calendar_closed(cal, s ? s->closed : NULL, s ? s->n_closed : 0, day))
			n--;
	}
	return day;
}

int excise_fleet_start(const struct excise_directive *d, int64_t org_start, int64_t *ret)
{
	if (org_start) {
		*ret = track_day(org_start);
		return 0;
	}
	if (track_date_parse(d->issued, ret) < 0)
		return -EXCISE_E_CORRUPT;
	return 0;
}

/* ---- state ---- */

bool track_exemption_active(const struct excise_fleet_exemption *e, int64_t now)
{
	return e->created <= now && (!e->revoked || e->revoked > now) && (!e->expires || e->expires > now);
}

static int64_t min_set(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* Found now: a covered finding and no complete report since. */
static bool present(const struct excise_fleet_facts *f)
{
	return f->last_identified && f->last_identified >= f->last_complete;
}

/* When it stopped being found: the store's `removed` fact, else the first complete report
 * after the last finding stands in with the last complete one. */
static int64_t gone_at(const struct excise_fleet_facts *f)
{
	return f->removed > f->last_identified ? f->removed : f->last_complete;
}

enum excise_fleet_state track_progress(const struct excise_fleet_facts *f)
{
	if (!f->first_report && !f->last_report)
		return EXCISE_FLEET_NEVER_REPORTED;
	if (!f->first_identified && !f->last_identified)
		return f->last_complete ? EXCISE_FLEET_CLEAN : EXCISE_FLEET_ERROR;
	if (present(f)) {
		if (f->removal_started)
			return EXCISE_FLEET_REMOVAL_STARTED;
		return f->plan_recorded ? EXCISE_FLEET_PLAN_RECORDED : EXCISE_FLEET_IDENTIFIED;
	}
	return f->verified && f->verified >= f->last_identified ? EXCISE_FLEET_VERIFIED : EXCISE_FLEET_REMOVED;
}

enum excise_fleet_state track_state(const struct excise_fleet_facts *f, const struct excise_fleet_exemption *ex,
				    size_t n_ex, int64_t now, const struct excise_fleet_settings *s,
				    enum excise_fleet_state *ret_progress, size_t *ret_exemption)
{
	enum excise_fleet_state p = track_progress(f);
	if (ret_progress)
		*ret_progress = p;
	if (ret_exemption)
		*ret_exemption = SIZE_MAX;
	int64_t last = f->last_report > f->first_report ? f->last_report : f->first_report;
	if (f->retired && f->retired <= now && last <= f->retired)
		return EXCISE_FLEET_RETIRED;
	/* the exemption in force that lasts longest */
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < n_ex; i++)
		if (track_exemption_active(&ex[i], now) &&
		    (best == SIZE_MAX || !ex[i].expires || (ex[best].expires && ex[i].expires > ex[best].expires)))
			best = i;
	if (best != SIZE_MAX) {
		if (ret_exemption)
			*ret_exemption = best;
		return EXCISE_FLEET_EXEMPT;
	}
	if (p == EXCISE_FLEET_NEVER_REPORTED)
		return p;
	int64_t stale = s && s->stale > 0 ? s->stale : EXCISE_FLEET_STALE_DEFAULT;
	if (now - last > stale)
		return EXCISE_FLEET_STALE;
	/* the latest report incomplete, and nothing covered in it */
	if (f->last_error && f->last_error >= last && f->last_identified < f->last_error)
		return EXCISE_FLEET_ERROR;
	return p;
}

/* ---- milestones ---- */

static bool found_ever(const struct excise_fleet_facts *f)
{
	return f->first_identified || f->last_identified;
}

/* pending / met / late / overdue of something due on `due`'s day, done at `met` (0: not). */
static enum excise_ms_status judge(int64_t due, int64_t met, int64_t now)
{
	int64_t end = track_day(due) + DAY;
	if (met)
		return met < end ? EXCISE_MS_MET : EXCISE_MS_LATE;
	return now < end ? EXCISE_MS_PENDING : EXCISE_MS_OVERDUE;
}

/* The due day of `m`, given the previous milestone's; 0 when it has none for this host. */
static int64_t due_of(const struct excise_directive *d, const struct excise_milestone *m, int64_t start,
		      int64_t prev_due, const struct excise_fleet_facts *f, const struct excise_fleet_settings *s)
{
	int64_t base = 0;
	if (!strcmp(m->anchor, "absolute")) {
		int64_t t;
		return track_date_parse(m->date, &t) < 0 ? 0 : t;
	}
	if (!strcmp(m->anchor, "issued_date"))
		base = start;
	else if (!strcmp(m->anchor, "effective_date")) {
		base = start;
		int64_t eff;
		if (d->effective && track_date_parse(d->effective, &eff) == 0 && eff > base)
			base = eff;
	}
	else if (!strcmp(m->anchor, "discovery_event"))
		base = min_set(f->first_identified, f->last_identified);
	else if (!strcmp(m->anchor, "previous_milestone"))
		base = prev_due;
	if (!base)
		return 0;
	if (m->unit && !strcmp(m->unit, "business_days"))
		return track_add_business_days(base, m->offset, d->calendar, s);
	return track_day(base) + (int64_t)m->offset * DAY;
}

/* A report milestone that follows a removal one recurs until the removal is done
 * (BOD 17-01: status every 30 days until full removal). */
static bool recurs(const struct excise_directive *d, size_t i)
{
	const struct excise_milestone *m = &d->milestones[i];
	return i > 0 && !strcmp(m->anchor, "previous_milestone") && !strcmp(m->action, "report") &&
	       !strcmp(d->milestones[i - 1].action, "remove") && m->offset > 0;
}

bool excise_fleet_takes_filing(const struct excise_directive *d, size_t i)
{
	if (!d || i >= d->n_milestones)
		return false;
	const struct excise_milestone *m = &d->milestones[i];
	return (!strcmp(m->action, "notify") || !strcmp(m->action, "report")) && strcmp(m->anchor, "absolute") &&
	       !recurs(d, i);
}

bool excise_fleet_filing_covers(const struct excise_filing *f, const char *org_unit, int64_t now)
{
	if (f->recorded > now || (f->revoked && f->revoked <= now))
		return false;
	if (!f->org_unit)
		return true;
	size_t n = strlen(f->org_unit);
	return org_unit && !strncmp(org_unit, f->org_unit, n) && (org_unit[n] == '\0' || org_unit[n] == '/');
}

/* The day the earliest filing of milestone `m` in force at `now`, covering `org_unit`, filed
 * on or after the day of `event` was filed; 0: none. */
static int64_t filed_at(const struct excise_directive *d, const struct excise_milestone *m, const char *org_unit,
			int64_t event, const struct excise_filing *fl, size_t n_fl, int64_t now)
{
	int64_t best = 0, from = track_day(event);
	for (size_t i = 0; event && i < n_fl; i++) {
		const struct excise_filing *f = &fl[i];
		if (f->directive && strcmp(f->directive, d->id))
			continue;
		if (!f->milestone || strcmp(f->milestone, m->id) || !excise_fleet_filing_covers(f, org_unit, now))
			continue;
		int64_t day = track_day(f->filed);
		if (day >= from && (!best || day < best))
			best = day;
	}
	return best;
}

void track_milestones(const struct excise_directive *d, int64_t start, const struct excise_fleet_facts *f,
		      enum excise_fleet_state state, enum excise_fleet_state progress, const char *org_unit,
		      const struct excise_filing *fl, size_t n_fl, int64_t now, const struct excise_fleet_settings *s,
		      struct excise_fleet_milestone *out, size_t *n)
{
	size_t k = 0;
	int64_t prev_due = 0;
	bool found = found_ever(f);
	bool gone = found && !present(f);
	bool off = state == EXCISE_FLEET_RETIRED;
	bool exempt = state == EXCISE_FLEET_EXEMPT;
	(void)progress;
	for (size_t i = 0; i < d->n_milestones && k < EXCISE_FLEET_MAX_MILESTONES; i++) {
		const struct excise_milestone *m = &d->milestones[i];
		struct excise_fleet_milestone *o = &out[k++];
		*o = (struct excise_fleet_milestone){ .id = m->id, .action = m->action };
		/* a follow-up counts from the day the report before it was filed, once it was */
		if (!strcmp(m->anchor, "previous_milestone") && excise_fleet_takes_filing(d, i) &&
		    excise_fleet_takes_filing(d, i - 1) && out[i - 1].met_at)
			prev_due = out[i - 1].met_at;
		o->due = due_of(d, m, start, prev_due, f, s);
		if (recurs(d, i) && o->due) {
			/* the next status date on or after today, the first one at least */
			int64_t step = (int64_t)m->offset * DAY;
			int64_t today = track_day(now);
			if (today > o->due)
				o->due += ((today - o->due + step - 1) / step) * step;
		}
		prev_due = o->due;
		if (off) {
			o->status = EXCISE_MS_NA;
			continue;
		}
		const char *a = m->action;
		if (!strcmp(a, "identify")) {
			int64_t c = f->first_complete ? f->first_complete : f->last_complete;
			o->met_at = min_set(min_set(f->first_identified, f->last_identified), c);
			o->status = o->due ? judge(o->due, o->met_at, now) : EXCISE_MS_NA;
		}
		else if (!strcmp(a, "plan") || !strcmp(a, "remove")) {
			if (!found || exempt || !o->due) {
				o->status = EXCISE_MS_NA;
				continue;
			}
			int64_t g = gone ? gone_at(f) : 0;
			o->met_at = min_set(f->removal_started, g);
			if (!strcmp(a, "plan"))
				o->met_at = min_set(f->plan_recorded, o->met_at);
			o->status = judge(o->due, o->met_at, now);
		}
		else if (recurs(d, i)) {
			/* the series ends when the removal is done */
			if (!found || exempt || !o->due)
				o->status = EXCISE_MS_NA;
			else if (gone) {
				o->met_at = gone_at(f);
				o->status = EXCISE_MS_MET;
			}
			else
				o->status = EXCISE_MS_PENDING;
		}
		else if (excise_fleet_takes_filing(d, i)) {
			/* the organisation's report: met by a filing (the rule above) */
			if (!found || exempt || !o->due) {
				o->status = EXCISE_MS_NA;
				continue;
			}
			int64_t event = min_set(f->first_identified, f->last_identified);
			if (!strcmp(m->anchor, "previous_milestone") && excise_fleet_takes_filing(d, i - 1))
				event = out[i - 1].met_at;
			o->met_at = filed_at(d, m, org_unit, event, fl, n_fl, now);
			o->status = judge(o->due, o->met_at, now);
		}
		else {
			/* a vendor's deadline: no fact says it was kept */
			o->status = found && !exempt && o->due ? EXCISE_MS_PENDING : EXCISE_MS_NA;
		}
	}
	*n = k;
}

int excise_fleet_track(const struct excise_directive *d, int64_t start, struct excise_fleet_host *h,
		       const struct excise_fleet_exemption *ex, size_t n_ex, const struct excise_filing *fl, size_t n_fl,
		       int64_t now, const struct excise_fleet_settings *s)
{
	size_t which;
	h->state = track_state(&h->facts, ex, n_ex, now, s, &h->progress, &which);
	free(h->exempt_reason);
	free(h->exempt_approver);
	h->exempt_reason = h->exempt_approver = NULL;
	h->exempt_expires = 0;
	if (which != SIZE_MAX) {
		int r = 0;
		h->exempt_reason = strdup_or_null(ex[which].reason, &r);
		h->exempt_approver = strdup_or_null(ex[which].approver, &r);
		h->exempt_expires = ex[which].expires;
		if (r < 0)
			return r;
	}
	track_milestones(d, start, &h->facts, h->state, h->progress, h->org_unit, fl, n_fl, now, s, h->ms, &h->n_ms);
	return 0;
}
