/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of directive tracking (lib/fleet/track.c): every state rule, every milestone
 * rule, the edges of days, exemptions, staleness and retirement. No database: facts in,
 * state and milestones out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "excise/fleet.h"
#include "excise/catalog.h"
#include "fleet/calendar.h"
#include "fleet/track.h"

#define DAY 86400
/* BOD 17-01: issued 2017-09-13 (a Wednesday), M1 2017-10-13, M2 2017-11-12, M3 2017-12-12 */
#define START 1505260800
#define M1 1507852800
#define M2 1510444800
#define M3 1513036800
#define M4 1515628800 /* 2018-01-11 */

static const struct excise_milestone bod_ms[] = {
	{ "M1", "identify", "issued_date", 30, "calendar_days", NULL, "identify" },
	{ "M2", "plan", "issued_date", 60, "calendar_days", NULL, "plan" },
	{ "M3", "remove", "issued_date", 90, "calendar_days", NULL, "remove" },
	{ "M4", "status", "previous_milestone", 30, "calendar_days", NULL, "report" },
};
static const struct excise_directive bod = {
	.id = "dhs-bod-17-01", .issued = "2017-09-13", .milestones = bod_ms, .n_milestones = 4,
};

static const struct excise_milestone far_ms[] = {
	{ "R1", "initial report", "discovery_event", 3, "business_days", NULL, "notify" },
	{ "R2", "follow-up", "previous_milestone", 10, "business_days", NULL, "report" },
};
static const struct excise_directive far = {
	.id = "far-52.204-23", .issued = "2018-06-15", .effective = "2018-07-16", .milestones = far_ms,
	.n_milestones = 2,
};

static const struct excise_milestone bis_ms[] = {
	{ "B1", "no new agreements", "absolute", 0, NULL, "2024-07-20", "notify" },
	{ "E1", "after effect", "effective_date", 10, "calendar_days", NULL, "identify" },
};
static const struct excise_directive bis = {
	.id = "bis", .issued = "2018-06-15", .effective = "2018-10-01", .milestones = bis_ms, .n_milestones = 2,
};

static const struct excise_fleet_settings settings = { 0 };

static enum excise_fleet_state state_of(const struct excise_fleet_facts *f, int64_t now)
{
	return track_state(f, NULL, 0, now, &settings, NULL, NULL);
}

/* milestones of `d` for facts `f` at `now` */
static size_t ms_of(const struct excise_directive *d, const struct excise_fleet_facts *f, int64_t now,
		    struct excise_fleet_milestone *out)
{
	size_t n = 0;
	enum excise_fleet_state p;
	enum excise_fleet_state s = track_state(f, NULL, 0, now, &settings, &p, NULL);
	int64_t start;
	assert_int_equal(excise_fleet_start(d, 0, &start), 0);
	track_milestones(d, start, f, s, p, NULL, NULL, 0, now, &settings, out, &n);
	assert_int_equal(n, d->n_milestones);
	return n;
}

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < EXCISE_FLEET_STATE_MAX_; i++) {
		enum excise_fleet_state s;
		assert_int_equal(excise_fleet_state_parse(excise_fleet_state_name(i), &s), 0);
		assert_int_equal(s, i);
	}
	enum excise_fleet_state s;
	assert_int_equal(excise_fleet_state_parse("cleanish", &s), -EINVAL);
	assert_int_equal(excise_fleet_state_parse(NULL, &s), -EINVAL);
	assert_string_equal(excise_fleet_state_name(EXCISE_FLEET_STATE_MAX_), "?");
	assert_string_equal(excise_ms_status_name(EXCISE_MS_OVERDUE), "overdue");
	assert_string_equal(excise_ms_status_name(EXCISE_MS_NA), "n/a");
}

static void test_dates(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(track_date_parse("2017-09-13", &t), 0);
	assert_int_equal(t, START);
	assert_int_equal(track_date_parse("1970-01-01", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(track_date_parse("2016-02-29", &t), 0);
	assert_int_equal(track_date_parse("2000-02-29", &t), 0);
	assert_int_equal(track_date_parse("1900-02-28", &t), -EINVAL); /* before 1970 */
	assert_int_equal(track_date_parse("2017-02-29", &t), -EINVAL);
	assert_int_equal(track_date_parse("2100-02-29", &t), -EINVAL);
	assert_int_equal(track_date_parse("2017-04-31", &t), -EINVAL);
	assert_int_equal(track_date_parse("2017-13-01", &t), -EINVAL);
	assert_int_equal(track_date_parse("2017-00-10", &t), -EINVAL);
	assert_int_equal(track_date_parse("2017-9-13", &t), -EINVAL);
	assert_int_equal(track_date_parse("2017-09-13x", &t), -EINVAL);
	assert_int_equal(track_date_parse("2017/09/13", &t), -EINVAL);
	assert_int_equal(track_date_parse("", &t), -EINVAL);
	assert_int_equal(track_date_parse(NULL, &t), -EINVAL);
	assert_int_equal(excise_fleet_time_parse("2017-09-13", &t), 0);
	assert_int_equal(t, START);
	assert_int_equal(excise_fleet_time_parse("2017-09-13T01:02:03Z", &t), 0);
	assert_int_equal(t, START + 3723);
	assert_int_equal(excise_fleet_time_parse("2017-09-13T24:00:00Z", &t), -EINVAL);
	assert_int_equal(excise_fleet_time_parse("2017-09-13T01:02:03", &t), -EINVAL);
	assert_int_equal(excise_fleet_time_parse("2017-09-13T01:02:03Zx", &t), -EINVAL);
	assert_int_equal(excise_fleet_time_parse("2017-09-13 01:02:03Z", &t), -EINVAL);
	assert_int_equal(excise_fleet_time_parse("2017-09", &t), -EINVAL);
	assert_int_equal(excise_fleet_time_parse("2017-09-13T+1:02:03Z", &t), -EINVAL);
	assert_int_equal(track_day(START + DAY - 1), START);
	assert_int_equal(track_day(START), START);
	assert_int_equal(track_day(-1), -DAY);
	/* 2017-10-13 is a Friday: one business day is Monday the 16th, three Wednesday the 18th */
	assert_int_equal(track_add_business_days(M1 + 3600, 1, NULL, NULL), M1 + 3 * DAY);
	assert_int_equal(track_add_business_days(M1, 3, NULL, NULL), M1 + 5 * DAY);
	assert_int_equal(track_add_business_days(M1 + DAY, 1, NULL, NULL), M1 + 3 * DAY); /* from a Saturday */
	assert_int_equal(track_add_business_days(M1, 0, NULL, NULL), M1);
	/* 2017-09-13, a Wednesday, + 10 business days: Wednesday the 27th */
	assert_int_equal(track_add_business_days(START, 10, NULL, NULL), START + 14 * DAY);
	/* the start: the organisation's (its day), else issued; a bad catalog date is refused */
	int64_t s;
	assert_int_equal(excise_fleet_start(&bod, 0, &s), 0);
	assert_int_equal(s, START);
	assert_int_equal(excise_fleet_start(&bod, START + 40 * DAY + 5000, &s), 0);
	assert_int_equal(s, START + 40 * DAY);
	struct excise_directive bad = bod;
	bad.issued = "2017-09-31";
	assert_int_equal(excise_fleet_start(&bad, 0, &s), -EXCISE_E_CORRUPT);
}

static void test_never_reported(void **state)
{
	(void)state;
	struct excise_fleet_facts f = { .enrolled = true, .enrolled_at = START };
	assert_int_equal(state_of(&f, M1), EXCISE_FLEET_NEVER_REPORTED);
	/* never stale, however long the silence */
	assert_int_equal(state_of(&f, M1 + 400 * DAY), EXCISE_FLEET_NEVER_REPORTED);
	struct excise_fleet_facts expected = { .enrolled = false };
	assert_int_equal(state_of(&expected, M1), EXCISE_FLEET_NEVER_REPORTED);
	struct excise_fleet_milestone ms[8];
	/* identify pending up to the end of its day, overdue from the next */
	ms_of(&bod, &f, M1 + DAY - 1, ms);
	assert_int_equal(ms[0].due, M1);
	assert_int_equal(ms[0].status, EXCISE_MS_PENDING);
	assert_int_equal(ms[1].status, EXCISE_MS_NA);
	assert_int_equal(ms[2].status, EXCISE_MS_NA);
	assert_int_equal(ms[3].status, EXCISE_MS_NA);
	ms_of(&bod, &f, M1 + DAY, ms);
	assert_int_equal(ms[0].status, EXCISE_MS_OVERDUE);
	assert_int_equal(ms[0].met_at, 0);
}

static void test_clean(void **state)
{
	(void)state;
	int64_t t = START + 5 * DAY;
	struct excise_fleet_facts f = { .enrolled = true, .first_report = t, .last_report = t, .first_complete = t,
					.last_complete = t };
	assert_int_equal(state_of(&f, t + DAY), EXCISE_FLEET_CLEAN);
	enum excise_fleet_state p;
	assert_int_equal(track_progress(&f), EXCISE_FLEET_CLEAN);
	(void)p;
	struct excise_fleet_milestone ms[8];
	ms_of(&bod, &f, t + DAY, ms);
	assert_string_equal(ms[0].id, "M1");
	assert_int_equal(ms[0].status, EXCISE_MS_MET);
	assert_int_equal(ms[0].met_at, t);
	for (int i = 1; i < 4; i++)
		assert_int_equal(ms[i].status, EXCISE_MS_NA);
	/* reported complete the day after the due day: late */
	f.first_report = f.last_report = f.first_complete = f.last_complete = M1 + DAY;
	ms_of(&bod, &f, M1 + 2 * DAY, ms);
	assert_int_equal(ms[0].status, EXCISE_MS_LATE);
	/* in the last second of the due day: met */
	f.first_report = f.last_report = f.first_complete = f.last_complete = M1 + DAY - 1;
	ms_of(&bod, &f, M1 + 2 * DAY, ms);
	assert_int_equal(ms[0].status, EXCISE_MS_MET);
	/* first_complete unknown: the last complete report stands in */
	f.first_complete = 0;
	f.first_report = START;
	ms_of(&bod, &f, M1 + 2 * DAY, ms);
	assert_int_equal(ms[0].met_at, M1 + DAY - 1);
	/* a clean attestation of a host never found is still clean (from the start) */
	f.verified = f.last_complete;
	assert_int_equal(state_of(&f, M1 + 2 * DAY), EXCISE_FLEET_CLEAN);
}

/* a host found on day 10 with a complete report saying so */
static struct excise_fleet_facts found_facts(void)
{
	int64_t t = START + 10 * DAY;
	return (struct excise_fleet_facts){ .enrolled = true, .first_report = t, .last_report = t, .first_complete = t,
					    .last_complete = t, .last_complete_covered = 1, .first_identified = t,
					    .last_identified = t };
}

static void test_identified_plan_removal(void **state)
{
	(void)state;
	struct excise_fleet_facts f = found_facts();
	int64_t t = f.first_identified;
	assert_int_equal(state_of(&f, t + DAY), EXCISE_FLEET_IDENTIFIED);
	struct excise_fleet_milestone ms[8];
	ms_of(&bod, &f, t + DAY, ms);
	assert_int_equal(ms[0].status, EXCISE_MS_MET);
	assert_int_equal(ms[0].met_at, t);
	assert_int_equal(ms[1].due, M2);
	assert_int_equal(ms[1].status, EXCISE_MS_PENDING);
	assert_int_equal(ms[2].due, M3);
	assert_int_equal(ms[2].status, EXCISE_MS_PENDING);
	assert_int_equal(ms[3].due, M4);
	assert_int_equal(ms[3].status, EXCISE_MS_PENDING);
	/* no plan by the end of day 60: overdue */
	f.last_report = M2 + DAY;
	ms_of(&bod, &f, M2 + DAY, ms);
	assert_int_equal(ms[1].status, EXCISE_MS_OVERDUE);
	/* an incomplete report that found it again: still identified, never error */
	f.last_error = f.last_identified = f.last_report = M2 + DAY;
	assert_int_equal(state_of(&f, M2 + DAY), EXCISE_FLEET_IDENTIFIED);
	/* a plan on day 59 */
	f.plan_recorded = M2 - DAY;
	assert_int_equal(state_of(&f, M2 + DAY), EXCISE_FLEET_PLAN_RECORDED);
	ms_of(&bod, &f, M2 + DAY, ms);
	assert_int_equal(ms[1].status, EXCISE_MS_MET);
	assert_int_equal(ms[1].met_at, M2 - DAY);
	/* a plan after day 60: late */
	f.plan_recorded = M2 + DAY;
	ms_of(&bod, &f, M2 + DAY, ms);
	assert_int_equal(ms[1].status, EXCISE_MS_LATE);
	/* removal begun by day 90: the plan and removal milestones met */
	f.plan_recorded = 0;
	f.removal_started = M3;
	f.last_identified = f.last_report = M3 + 3600;
	assert_int_equal(state_of(&f, M3 + DAY), EXCISE_FLEET_REMOVAL_STARTED);
	ms_of(&bod, &f, M3 + DAY, ms);
	assert_int_equal(ms[1].status, EXCISE_MS_LATE); /* the removal stands in for a plan, but after day 60 */
	assert_int_equal(ms[2].status, EXCISE_MS_MET);
	/* no removal by day 90: overdue, and the status series goes on */
	f.removal_started = 0;
	f.last_report = f.last_identified = M3 + 5 * DAY;
	ms_of(&bod, &f, M3 + 5 * DAY, ms);
	assert_int_equal(ms[2].status, EXCISE_MS_OVERDUE);
	assert_int_equal(ms[3].status, EXCISE_MS_PENDING);
	assert_int_equal(ms[3].due, M4);
	/* the series: the next status date on or after today */
	f.last_report = f.last_identified = M4 + 45 * DAY;
	ms_of(&bod, &f, M4 + 45 * DAY, ms);
	assert_int_equal(ms[3].due, M4 + 60 * DAY);
	ms_of(&bod, &f, M4 + 30 * DAY + 3600, ms);
	assert_int_equal(ms[3].due, M4 + 30 * DAY);
	/* found only after day 60 (a new host): the plan is late or overdue by the directive's dates */
	struct excise_fleet_facts g = found_facts();
	g.first_report = g.last_report = g.first_identified = g.last_identified = g.first_complete = g.last_complete =
		M2 + 10 * DAY;
	ms_of(&bod, &g, M2 + 10 * DAY, ms);
	assert_int_equal(ms[0].status, EXCISE_MS_LATE);
	assert_int_equal(ms[1].status, EXCISE_MS_OVERDUE);
	assert_int_equal(ms[2].status, EXCISE_MS_PENDING);
}

static void test_removed_verified(void **state)
{
	(void)state;
	struct excise_fleet_facts f = found_facts();
	f.plan_recorded = START + 20 * DAY;
	f.removal_started = START + 21 * DAY;
	/* a complete report without it: removed */
	f.last_report = f.last_complete = START + 22 * DAY;
	assert_int_equal(state_of(&f, START + 23 * DAY), EXCISE_FLEET_REMOVED);
	struct excise_fleet_milestone ms[8];
	ms_of(&bod, &f, START + 23 * DAY, ms);
	assert_int_equal(ms[1].status, EXCISE_MS_MET);
	assert_int_equal(ms[2].status, EXCISE_MS_MET);
	assert_int_equal(ms[3].status, EXCISE_MS_MET); /* the status series ends with the removal */
	assert_int_equal(ms[3].met_at, START + 22 * DAY);
	/* removed without a plan or a run (a vendor's own uninstall): the removal meets both */
	struct excise_fleet_facts g = found_facts();
	g.last_report = g.last_complete = g.removed = START + 22 * DAY;
	assert_int_equal(state_of(&g, START + 23 * DAY), EXCISE_FLEET_REMOVED);
	ms_of(&bod, &g, START + 23 * DAY, ms);
	assert_int_equal(ms[1].met_at, START + 22 * DAY);
	assert_int_equal(ms[2].status, EXCISE_MS_MET);
	/* a removal run but the product still found by an incomplete report: not removed */
	struct excise_fleet_facts h = found_facts();
	h.removal_started = START + 21 * DAY;
	h.last_report = h.last_error = START + 22 * DAY; /* incomplete, nothing covered in it */
	assert_int_equal(state_of(&h, START + 23 * DAY), EXCISE_FLEET_ERROR);
	/* a clean attestation after it: verified */
	f.verified = START + 22 * DAY + 60;
	assert_int_equal(state_of(&f, START + 23 * DAY), EXCISE_FLEET_VERIFIED);
	/* found again after the attestation (reinstalled): identified, with the old plan */
	f.last_identified = f.last_complete = f.last_report = START + 30 * DAY;
	f.last_complete_covered = 1;
	assert_int_equal(state_of(&f, START + 31 * DAY), EXCISE_FLEET_REMOVAL_STARTED);
	f.removal_started = 0;
	f.plan_recorded = 0;
	assert_int_equal(state_of(&f, START + 31 * DAY), EXCISE_FLEET_IDENTIFIED);
	/* an attestation older than the last finding does not verify */
	f.last_complete = f.last_report = START + 32 * DAY;
	assert_int_equal(state_of(&f, START + 33 * DAY), EXCISE_FLEET_REMOVED);
}

static void test_exemptions(void **state)
{
	(void)state;
	struct excise_fleet_facts f = found_facts();
	int64_t now = START + 12 * DAY;
	struct excise_fleet_exemption ex[3] = {
		{ "e1", "mission system", "CIO", START + 11 * DAY, START + 40 * DAY, 0 },
		{ "e2", "lab", "CISO", START + 11 * DAY, START + 90 * DAY, 0 },
		{ "e3", "future", "CIO", START + 20 * DAY, 0, 0 },
	};
	size_t which;
	enum excise_fleet_state p;
	assert_int_equal(track_state(&f, ex, 3, now, &settings, &p, &which), EXCISE_FLEET_EXEMPT);
	assert_int_equal(which, 1); /* the one that lasts longest */
	assert_int_equal(p, EXCISE_FLEET_IDENTIFIED);
	/* expiry: in force up to the second before, not at it */
	assert_true(track_exemption_active(&ex[0], START + 40 * DAY - 1));
	assert_false(track_exemption_active(&ex[0], START + 40 * DAY));
	assert_false(track_exemption_active(&ex[2], START + 20 * DAY - 1));
	assert_true(track_exemption_active(&ex[2], START + 400 * DAY)); /* no expiry */
	/* all expired: the host counts as what its facts say */
	f.last_report = START + 95 * DAY;
	assert_int_equal(track_state(&f, ex, 2, START + 95 * DAY, &settings, &p, &which), EXCISE_FLEET_IDENTIFIED);
	assert_int_equal(which, SIZE_MAX);
	/* one with no expiry beats one that expires */
	assert_int_equal(track_state(&f, ex, 3, START + 30 * DAY, &settings, &p, &which), EXCISE_FLEET_EXEMPT);
	assert_int_equal(which, 2);
	/* revoked */
	struct excise_fleet_exemption r = { "e4", "x", "y", START, 0, START + 12 * DAY };
	assert_int_equal(track_state(&f, &r, 1, START + 12 * DAY - 1, &settings, NULL, NULL), EXCISE_FLEET_EXEMPT);
	assert_int_equal(track_state(&f, &r, 1, START + 12 * DAY, &settings, NULL, NULL), EXCISE_FLEET_IDENTIFIED);
	/* an exempt host: plan and removal do not apply; the identify milestone still does */
	struct excise_fleet_host h = { .facts = found_facts() };
	assert_int_equal(excise_fleet_track(&bod, START, &h, ex, 3, NULL, 0, now, &settings), 0);
	assert_int_equal(h.state, EXCISE_FLEET_EXEMPT);
	assert_string_equal(h.exempt_reason, "lab");
	assert_string_equal(h.exempt_approver, "CISO");
	assert_int_equal(h.exempt_expires, START + 90 * DAY);
	assert_int_equal(h.n_ms, 4);
	assert_int_equal(h.ms[0].status, EXCISE_MS_MET);
	assert_int_equal(h.ms[1].status, EXCISE_MS_NA);
	assert_int_equal(h.ms[2].status, EXCISE_MS_NA);
	assert_int_equal(h.ms[3].status, EXCISE_MS_NA);
	/* tracked again once it expired: the copy goes */
	h.facts.last_report = START + 95 * DAY;
	assert_int_equal(excise_fleet_track(&bod, START, &h, ex, 3, NULL, 0, START + 95 * DAY, &settings), 0);
	assert_int_equal(h.state, EXCISE_FLEET_EXEMPT); /* e3 has no expiry */
	assert_string_equal(h.exempt_reason, "future");
	assert_int_equal(excise_fleet_track(&bod, START, &h, ex, 2, NULL, 0, START + 95 * DAY, &settings), 0);
	assert_int_equal(h.state, EXCISE_FLEET_IDENTIFIED);
	assert_null(h.exempt_reason);
	assert_int_equal(h.ms[2].status, EXCISE_MS_OVERDUE);
	excise_fleet_host_done(&h);
}

static void test_stale(void **state)
{
	(void)state;
	int64_t t = START + DAY;
	struct excise_fleet_facts f = { .enrolled = true, .first_report = t, .last_report = t, .last_complete = t };
	int64_t d = EXCISE_FLEET_STALE_DEFAULT;
	assert_int_equal(state_of(&f, t + d), EXCISE_FLEET_CLEAN);
	assert_int_equal(state_of(&f, t + d + 1), EXCISE_FLEET_STALE);
	struct excise_fleet_settings s = { .stale = 30 * DAY };
	assert_int_equal(track_state(&f, NULL, 0, t + d + 1, &s, NULL, NULL), EXCISE_FLEET_CLEAN);
	assert_int_equal(track_state(&f, NULL, 0, t + 30 * DAY + 1, &s, NULL, NULL), EXCISE_FLEET_STALE);
	/* a stale host that was found is stale too (its progress still says identified) */
	struct excise_fleet_facts g = found_facts();
	enum excise_fleet_state p;
	assert_int_equal(track_state(&g, NULL, 0, g.last_report + d + 1, &settings, &p, NULL), EXCISE_FLEET_STALE);
	assert_int_equal(p, EXCISE_FLEET_IDENTIFIED);
	/* an exemption outranks staleness; retirement outranks both */
	struct excise_fleet_exemption ex = { "e", "r", "a", START, 0, 0 };
	assert_int_equal(track_state(&g, &ex, 1, g.last_report + d + 1, &settings, NULL, NULL), EXCISE_FLEET_EXEMPT);
	g.retired = g.last_report + DAY;
	assert_int_equal(track_state(&g, &ex, 1, g.last_report + d + 1, &settings, NULL, NULL), EXCISE_FLEET_RETIRED);
}

static void test_error(void **state)
{
	(void)state;
	int64_t t = START + DAY;
	/* only incomplete reports, nothing found: error, its progress too */
	struct excise_fleet_facts f = { .enrolled = true, .first_report = t, .last_report = t, .last_error = t };
	enum excise_fleet_state p;
	assert_int_equal(track_state(&f, NULL, 0, t + 60, &settings, &p, NULL), EXCISE_FLEET_ERROR);
	assert_int_equal(p, EXCISE_FLEET_ERROR);
	struct excise_fleet_milestone ms[8];
	ms_of(&bod, &f, M1 + DAY, ms);
	assert_int_equal(ms[0].status, EXCISE_MS_OVERDUE); /* an incomplete report identifies nothing */
	/* complete earlier, incomplete last: error (never clean) */
	f.last_complete = t;
	f.last_report = f.last_error = t + DAY;
	assert_int_equal(track_state(&f, NULL, 0, t + DAY + 60, &settings, &p, NULL), EXCISE_FLEET_ERROR);
	assert_int_equal(p, EXCISE_FLEET_CLEAN);
	/* incomplete earlier, complete last: clean */
	f.last_complete = f.last_report = t + 2 * DAY;
	assert_int_equal(state_of(&f, t + 2 * DAY + 60), EXCISE_FLEET_CLEAN);
	/* stale outranks error */
	f.last_report = f.last_error = t + 3 * DAY;
	assert_int_equal(state_of(&f, t + 3 * DAY + EXCISE_FLEET_STALE_DEFAULT + 1), EXCISE_FLEET_STALE);
}

static void test_retired(void **state)
{
	(void)state;
	struct excise_fleet_facts f = found_facts();
	f.retired = f.last_report + DAY;
	int64_t now = f.retired + DAY;
	assert_int_equal(state_of(&f, now), EXCISE_FLEET_RETIRED);
	struct excise_fleet_milestone ms[8];
	ms_of(&bod, &f, M3 + DAY, ms);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ms[i].status, EXCISE_MS_NA);
	assert_int_equal(ms[1].due, M2); /* the dates are still there */
	/* retired in the future: not yet */
	assert_int_equal(state_of(&f, f.retired - 1), EXCISE_FLEET_IDENTIFIED);
	/* a retired host that reports again comes back */
	f.last_report = f.last_complete = f.retired + 3600;
	assert_int_equal(state_of(&f, now), EXCISE_FLEET_REMOVED);
	/* a retired host that never reported: retired */
	struct excise_fleet_facts g = { .enrolled = true, .retired = START };
	assert_int_equal(state_of(&g, START + DAY), EXCISE_FLEET_RETIRED);
}

static void test_other_anchors(void **state)
{
	(void)state;
	struct excise_fleet_milestone ms[8];
	/* FAR: identified on Friday 2017-10-13: the first report due Wednesday, the follow-up 10 business
	 * days later; no filing recorded (test_filings): pending */
	struct excise_fleet_facts f = { .enrolled = true, .first_report = M1 + 3600, .last_report = M1 + 3600,
					.last_complete = M1 + 3600, .last_complete_covered = 1,
					.first_identified = M1 + 3600, .last_identified = M1 + 3600 };
	ms_of(&far, &f, M1 + 4000, ms);
	assert_int_equal(ms[0].due, M1 + 5 * DAY);
	assert_int_equal(ms[0].status, EXCISE_MS_PENDING);
	assert_int_equal(ms[1].due, M1 + 19 * DAY);
	assert_int_equal(ms[1].status, EXCISE_MS_PENDING);
	/* a clean host: no discovery, no due date */
	struct excise_fleet_facts c = { .enrolled = true, .first_report = M1, .last_report = M1, .last_complete = M1 };
	ms_of(&far, &c, M1 + 60, ms);
	assert_int_equal(ms[0].due, 0);
	assert_int_equal(ms[0].status, EXCISE_MS_NA);
	assert_int_equal(ms[1].status, EXCISE_MS_NA);
	/* absolute dates and the effective date */
	ms_of(&bis, &f, M1 + 4000, ms);
	assert_int_equal(ms[0].due, 1721433600);
	assert_int_equal(ms[0].status, EXCISE_MS_PENDING);
	assert_int_equal(ms[1].due, 1538352000 + 10 * DAY);
	assert_int_equal(ms[1].status, EXCISE_MS_MET);
	ms_of(&bis, &c, M1 + 60, ms);
	assert_int_equal(ms[0].status, EXCISE_MS_NA);
	/* the organisation's own start moves the directive's dates, not the absolute ones */
	struct excise_fleet_host h = { .facts = c };
	int64_t start;
	assert_int_equal(excise_fleet_start(&bod, START + 100 * DAY, &start), 0);
	assert_int_equal(excise_fleet_track(&bod, start, &h, NULL, 0, NULL, 0, M1 + 60, &settings), 0);
	assert_int_equal(h.ms[0].due, START + 130 * DAY);
	assert_int_equal(h.ms[0].status, EXCISE_MS_MET);
	assert_int_equal(h.ms[3].due, START + 220 * DAY);
	excise_fleet_host_done(&h);
}

/* FAR R1 at `now` for a host of `ou` with facts `f` and filings `fl`: its status, *met the day met. */
static enum excise_ms_status far_ms_at(const struct excise_fleet_facts *f, const char *ou,
				       const struct excise_filing *fl, size_t n, int64_t now, size_t which, int64_t *met)
{
	struct excise_fleet_host h = { .facts = *f, .org_unit = (char *)ou };
	int64_t start;
	assert_int_equal(excise_fleet_start(&far, 0, &start), 0);
	assert_int_equal(excise_fleet_track(&far, start, &h, NULL, 0, fl, n, now, &settings), 0);
	assert_int_equal(h.n_ms, 2);
	if (met)
		*met = h.ms[which].met_at;
	return h.ms[which].status;
}

#define FILING(ms, ou, day, at, gone) \
	{ .directive = "far-52.204-23", .milestone = ms, .org_unit = ou, .reference = "DIBNet 1", \
	  .recorded_by = "t", .filed = day, .recorded = at, .revoked = gone }

/* The organisation's filings meet FAR R1 and R2 (track.c, docs/fleet.md "Reports filed"). */
static void test_filings(void **state)
{
	(void)state;
	/* identified on Friday 2017-10-13 at 01:00: R1 due Wednesday M1 + 5, R2 M1 + 19 */
	struct excise_fleet_facts f = { .enrolled = true, .first_report = M1 + 3600, .last_report = M1 + 3600,
					.last_complete = M1 + 3600, .last_complete_covered = 1,
					.first_identified = M1 + 3600, .last_identified = M1 + 3600 };
	const char *ou = "agency/bureau/site";
	int64_t late = M1 + 30 * DAY, met = 0;
	/* which milestones take filings: FAR's two, none of BOD 17-01 (M4 follows the removal), not BIS's
	 * absolute "notify" (a vendor's deadline) */
	assert_true(excise_fleet_takes_filing(&far, 0));
	assert_true(excise_fleet_takes_filing(&far, 1));
	for (size_t i = 0; i < 4; i++)
		assert_false(excise_fleet_takes_filing(&bod, i));
	assert_false(excise_fleet_takes_filing(&bis, 0));
	assert_false(excise_fleet_takes_filing(&far, 2));
	/* none: pending, then overdue */
	assert_int_equal(far_ms_at(&f, ou, NULL, 0, M1 + 4000, 0, NULL), EXCISE_MS_PENDING);
	assert_int_equal(far_ms_at(&f, ou, NULL, 0, late, 0, NULL), EXCISE_MS_OVERDUE);
	/* filed the day before the identification: it reports something else */
	struct excise_filing before[] = { FILING("R1", NULL, M1 - DAY, M1 - DAY, 0) };
	assert_int_equal(far_ms_at(&f, ou, before, 1, late, 0, NULL), EXCISE_MS_OVERDUE);
	/* filed the same day (at 00:00, before the finding's hour): the day counts */
	struct excise_filing same[] = { FILING("R1", NULL, M1, M1 + 7200, 0) };
	assert_int_equal(far_ms_at(&f, ou, same, 1, late, 0, &met), EXCISE_MS_MET);
	assert_int_equal(met, M1);
	/* by the due day: met; the day after: late; the earliest that counts is the one */
	struct excise_filing two[] = { FILING("R1", NULL, M1 + 6 * DAY, M1 + 6 * DAY, 0),
				       FILING("R1", "agency", M1 + 5 * DAY, M1 + 5 * DAY, 0) };
	assert_int_equal(far_ms_at(&f, ou, two, 2, late, 0, &met), EXCISE_MS_MET);
	assert_int_equal(met, M1 + 5 * DAY);
	assert_int_equal(far_ms_at(&f, ou, two, 1, late, 0, &met), EXCISE_MS_LATE);
	assert_int_equal(met, M1 + 6 * DAY);
	/* org units: the host's own and those above it cover it; a sibling, one below, or a name
	 * that only starts like it does not */
	struct excise_filing units[] = { FILING("R1", "agency/bureau/site", M1 + DAY, M1 + DAY, 0),
					 FILING("R1", "agency/bureau", M1 + DAY, M1 + DAY, 0),
					 FILING("R1", "agency/other", M1 + DAY, M1 + DAY, 0),
					 FILING("R1", "agency/bureau/site/x", M1 + DAY, M1 + DAY, 0),
					 FILING("R1", "agency/bureau/si", M1 + DAY, M1 + DAY, 0),
					 FILING("R1", "agenc", M1 + DAY, M1 + DAY, 0) };
	assert_int_equal(far_ms_at(&f, ou, units, 1, late, 0, NULL), EXCISE_MS_MET);
	assert_int_equal(far_ms_at(&f, ou, units + 1, 1, late, 0, NULL), EXCISE_MS_MET);
	for (size_t i = 2; i < 6; i++)
		assert_int_equal(far_ms_at(&f, ou, units + i, 1, late, 0, NULL), EXCISE_MS_OVERDUE);
	assert_int_equal(far_ms_at(&f, "agency/other", units + 2, 1, late, 0, NULL), EXCISE_MS_MET);
	/* revoked: counts until the revocation; recorded after `now`: not yet */
	struct excise_filing revoked[] = { FILING("R1", NULL, M1 + DAY, M1 + DAY, late - 1) };
	assert_int_equal(far_ms_at(&f, ou, revoked, 1, late, 0, NULL), EXCISE_MS_OVERDUE);
	assert_int_equal(far_ms_at(&f, ou, revoked, 1, late - 2, 0, NULL), EXCISE_MS_MET);
	struct excise_filing future[] = { FILING("R1", NULL, M1 + DAY, late + 1, 0) };
	assert_int_equal(far_ms_at(&f, ou, future, 1, late, 0, NULL), EXCISE_MS_OVERDUE);
	/* another milestone's or another directive's filing does not count */
	struct excise_filing other[] = { FILING("R2", NULL, M1 + DAY, M1 + DAY, 0), FILING("R1", NULL, M1 + DAY, M1 + DAY, 0) };
	other[1].directive = "dhs-bod-17-01";
	assert_int_equal(far_ms_at(&f, ou, other, 2, late, 0, NULL), EXCISE_MS_OVERDUE);
	/* R2: a follow-up filed on or after the day R1 was met for the host */
	struct excise_filing r2[] = { FILING("R1", NULL, M1 + 3 * DAY, M1 + 3 * DAY, 0),
				      FILING("R2", NULL, M1 + 2 * DAY, M1 + 2 * DAY, 0),
				      FILING("R2", NULL, M1 + 12 * DAY, M1 + 12 * DAY, 0),
				      FILING("R2", NULL, M1 + 3 * DAY, M1 + 3 * DAY, 0) };
	assert_int_equal(far_ms_at(&f, ou, r2, 2, late, 1, NULL), EXCISE_MS_OVERDUE); /* filed before R1 */
	assert_int_equal(far_ms_at(&f, ou, r2, 3, late, 1, &met), EXCISE_MS_MET);
	assert_int_equal(met, M1 + 12 * DAY);
	assert_int_equal(far_ms_at(&f, ou, r2, 4, late, 1, &met), EXCISE_MS_MET);
	assert_int_equal(met, M1 + 3 * DAY);
	/* R2 is due 10 business days after the day R1 was filed: R1 filed Monday M1 + 3, R2 due
	 * Monday M1 + 17 (not M1 + 19, 10 business days after R1's due day) */
	struct excise_fleet_host h2 = { .facts = f, .org_unit = (char *)ou };
	assert_int_equal(excise_fleet_track(&far, START, &h2, NULL, 0, r2, 1, late, &settings), 0);
	assert_int_equal(h2.ms[0].met_at, M1 + 3 * DAY);
	assert_int_equal(h2.ms[1].due, M1 + 17 * DAY);
	/* R1 filed late, Friday M1 + 7: R2 due 10 business days after, Friday M1 + 21 */
	struct excise_filing r1_late[] = { FILING("R1", NULL, M1 + 7 * DAY, M1 + 7 * DAY, 0),
					   FILING("R2", NULL, M1 + 20 * DAY, M1 + 20 * DAY, 0) };
	assert_int_equal(excise_fleet_track(&far, START, &h2, NULL, 0, r1_late, 2, late, &settings), 0);
	assert_int_equal(h2.ms[0].status, EXCISE_MS_LATE);
	assert_int_equal(h2.ms[1].due, M1 + 21 * DAY);
	assert_int_equal(h2.ms[1].status, EXCISE_MS_MET);
	/* no R1 filed: R2 keeps the date from R1's due day */
	assert_int_equal(excise_fleet_track(&far, START, &h2, NULL, 0, r1_late + 1, 1, late, &settings), 0);
	assert_int_equal(h2.ms[1].due, M1 + 19 * DAY);
	assert_int_equal(h2.ms[1].status, EXCISE_MS_OVERDUE);
	assert_int_equal(far_ms_at(&f, ou, r2 + 1, 3, late, 1, NULL), EXCISE_MS_OVERDUE); /* no R1: no follow-up */
	assert_int_equal(far_ms_at(&f, ou, r2 + 1, 3, M1 + 4000, 1, NULL), EXCISE_MS_PENDING);
	/* a host first identified after the filing's day: not covered, pending then overdue */
	struct excise_fleet_facts g = f;
	g.first_identified = g.last_identified = M1 + 10 * DAY;
	assert_int_equal(far_ms_at(&g, ou, r2, 4, M1 + 10 * DAY + 60, 0, NULL), EXCISE_MS_PENDING);
	assert_int_equal(far_ms_at(&g, ou, r2, 4, late, 0, NULL), EXCISE_MS_OVERDUE);
	assert_int_equal(far_ms_at(&g, ou, r2, 4, late, 1, NULL), EXCISE_MS_OVERDUE);
	/* a clean host: nothing to report, whatever is filed */
	struct excise_fleet_facts c = { .enrolled = true, .first_report = M1, .last_report = M1, .last_complete = M1 };
	assert_int_equal(far_ms_at(&c, ou, r2, 4, late, 0, NULL), EXCISE_MS_NA);
	/* BIS B1 (a vendor's deadline): a filing named after it changes nothing */
	struct excise_filing b1[] = { { .directive = "bis", .milestone = "B1", .filed = M1, .recorded = M1 } };
	struct excise_fleet_host h = { .facts = f, .org_unit = (char *)ou };
	assert_int_equal(excise_fleet_track(&bis, START, &h, NULL, 0, b1, 1, 1721433600 + 60, &settings), 0);
	assert_int_equal(h.ms[0].status, EXCISE_MS_PENDING);
	assert_int_equal(h.ms[0].met_at, 0);
}

/* The stock catalog's BOD 17-01 gives the same dates as the directive written out here. */
static void test_stock_catalog(void **state)
{
	(void)state;
	struct excise_catalog *cat = NULL;
	struct excise_err err = { 0 };
	assert_int_equal(excise_catalog_load_embedded(&cat, &err), 0);
	const struct excise_directive *d = NULL;
	for (size_t i = 0; i < excise_catalog_n_directives(cat); i++)
		if (!strcmp(excise_catalog_directive(cat, i)->id, "dhs-bod-17-01"))
			d = excise_catalog_directive(cat, i);
	assert_non_null(d);
	struct excise_fleet_host h = { .facts = found_facts() };
	int64_t start;
	assert_int_equal(excise_fleet_start(d, 0, &start), 0);
	assert_int_equal(start, START);
	assert_int_equal(excise_fleet_track(d, start, &h, NULL, 0, NULL, 0, START + 11 * DAY, &settings), 0);
	assert_int_equal(h.n_ms, 4);
	int64_t due[] = { M1, M2, M3, M4 };
	for (int i = 0; i < 4; i++)
		assert_int_equal(h.ms[i].due, due[i]);
	assert_int_equal(h.ms[3].status, EXCISE_MS_PENDING);
	excise_fleet_host_done(&h);
	excise_catalog_free(cat);
}

/* ---- the holiday calendar (lib/fleet/calendar.c, the catalog's "us-federal") ---- */

static int64_t date(const char *s)
{
	int64_t t;
	assert_int_equal(track_date_parse(s, &t), 0);
	return t;
}

static const struct excise_calendar *us_federal(struct excise_catalog **cat, const struct excise_directive **far_d)
{
	struct excise_err err = { 0 };
	assert_int_equal(excise_catalog_load_embedded(cat, &err), 0);
	const struct excise_calendar *cal = excise_catalog_find_calendar(*cat, "us-federal");
	assert_non_null(cal);
	assert_null(excise_catalog_find_calendar(*cat, "us-federa"));
	*far_d = NULL;
	for (size_t i = 0; i < excise_catalog_n_directives(*cat); i++)
		if (!strcmp(excise_catalog_directive(*cat, i)->id, "far-52.204-23"))
			*far_d = excise_catalog_directive(*cat, i);
	assert_non_null(*far_d);
	assert_ptr_equal((*far_d)->calendar, cal); /* the directive names it */
	return cal;
}

/* The days OPM lists as observed for employees on a Monday-Friday schedule, 2017-2030: a
 * Saturday's holiday the Friday before, a Sunday's the Monday after; New Year's Day 2022 and
 * 2028 (Saturdays) on Friday December 31 of the year before; Juneteenth from 2021 only. */
static const char *const holiday_names[11] = {
	"New Year's Day", "Birthday of Martin Luther King, Jr.", "Washington's Birthday", "Memorial Day",
	"Juneteenth National Independence Day", "Independence Day", "Labor Day", "Columbus Day", "Veterans Day",
	"Thanksgiving Day", "Christmas Day",
};
static const struct {
	int year;
	const char *observed[11];
} opm[] = {
	{ 2017, { "2017-01-02", "2017-01-16", "2017-02-20", "2017-05-29", NULL, "2017-07-04", "2017-09-04", "2017-10-09", "2017-11-10", "2017-11-23", "2017-12-25" } },
	{ 2018, { "2018-01-01", "2018-01-15", "2018-02-19", "2018-05-28", NULL, "2018-07-04", "2018-09-03", "2018-10-08", "2018-11-12", "2018-11-22", "2018-12-25" } },
	{ 2019, { "2019-01-01", "2019-01-21", "2019-02-18", "2019-05-27", NULL, "2019-07-04", "2019-09-02", "2019-10-14", "2019-11-11", "2019-11-28", "2019-12-25" } },
	{ 2020, { "2020-01-01", "2020-01-20", "2020-02-17", "2020-05-25", NULL, "2020-07-03", "2020-09-07", "2020-10-12", "2020-11-11", "2020-11-26", "2020-12-25" } },
	{ 2021, { "2021-01-01", "2021-01-18", "2021-02-15", "2021-05-31", "2021-06-18", "2021-07-05", "2021-09-06", "2021-10-11", "2021-11-11", "2021-11-25", "2021-12-24" } },
	{ 2022, { "2021-12-31", "2022-01-17", "2022-02-21", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05", "2022-10-10", "2022-11-11", "2022-11-24", "2022-12-26" } },
	{ 2023, { "2023-01-02", "2023-01-16", "2023-02-20", "2023-05-29", "2023-06-19", "2023-07-04", "2023-09-04", "2023-10-09", "2023-11-10", "2023-11-23", "2023-12-25" } },
	{ 2024, { "2024-01-01", "2024-01-15", "2024-02-19", "2024-05-27", "2024-06-19", "2024-07-04", "2024-09-02", "2024-10-14", "2024-11-11", "2024-11-28", "2024-12-25" } },
	{ 2025, { "2025-01-01", "2025-01-20", "2025-02-17", "2025-05-26", "2025-06-19", "2025-07-04", "2025-09-01", "2025-10-13", "2025-11-11", "2025-11-27", "2025-12-25" } },
	{ 2026, { "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03", "2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25" } },
	{ 2027, { "2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-18", "2027-07-05", "2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-24" } },
	{ 2028, { "2027-12-31", "2028-01-17", "2028-02-21", "2028-05-29", "2028-06-19", "2028-07-04", "2028-09-04", "2028-10-09", "2028-11-10", "2028-11-23", "2028-12-25" } },
	{ 2029, { "2029-01-01", "2029-01-15", "2029-02-19", "2029-05-28", "2029-06-19", "2029-07-04", "2029-09-03", "2029-10-08", "2029-11-12", "2029-11-22", "2029-12-25" } },
	{ 2030, { "2030-01-01", "2030-01-21", "2030-02-18", "2030-05-27", "2030-06-19", "2030-07-04", "2030-09-02", "2030-10-14", "2030-11-11", "2030-11-28", "2030-12-25" } },
};

static bool listed(const char *const *v, size_t n, int64_t day)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && date(v[i]) == day)
			return true;
	return false;
}

static void test_holidays(void **state)
{
	(void)state;
	struct excise_catalog *cat;
	const struct excise_directive *far_d;
	const struct excise_calendar *cal = us_federal(&cat, &far_d);
	assert_true(cal->in_lieu);
	assert_int_equal(cal->n_holidays, 11);
	for (size_t k = 0; k < 11; k++)
		assert_string_equal(cal->holidays[k].name, holiday_names[k]);
	for (size_t y = 0; y < sizeof(opm) / sizeof(opm[0]); y++) {
		/* each rule, that year */
		for (size_t k = 0; k < 11; k++) {
			int64_t t = 0;
			bool holds = calendar_observed(&cal->holidays[k], opm[y].year, true, &t);
			if (!opm[y].observed[k]) {
				assert_false(holds); /* Juneteenth before 2021 */
				continue;
			}
			assert_true(holds);
			if (t != date(opm[y].observed[k]))
				fail_msg("%s %d: observed %lld, OPM %s", holiday_names[k], opm[y].year, (long long)t,
					 opm[y].observed[k]);
		}
		/* every weekday of the year: closed exactly on the observed days and the closures */
		char first[32];
		snprintf(first, sizeof(first), "%d-01-01", opm[y].year);
		int64_t from = date(first);
		snprintf(first, sizeof(first), "%d-01-01", opm[y].year + 1);
		int64_t to = date(first);
		size_t closed = 0;
		for (int64_t t = from; t < to; t += DAY) {
			int wd = (int)(((t / DAY) % 7 + 7 + 4) % 7);
			bool weekend = wd == 0 || wd == 6;
			bool want = weekend;
			for (size_t yy = 0; !want && yy < sizeof(opm) / sizeof(opm[0]); yy++)
				want = listed(opm[yy].observed, 11, t);
			for (size_t c = 0; !want && c < cal->n_closures; c++)
				want = date(cal->closures[c].date) == t;
			if (calendar_closed(cal, NULL, 0, t) != want)
				fail_msg("day %lld of %d: closed %d, expected %d", (long long)t / DAY, opm[y].year, !want,
					 want);
			closed += want && !weekend;
			/* without the calendar only weekends */
			assert_int_equal(calendar_closed(NULL, NULL, 0, t), weekend);
		}
		/* 10 holidays before Juneteenth, 11 from 2021; 2021 holds 2022's New Year's Day, 2022 not */
		size_t n_closures = 0;
		for (size_t c = 0; c < cal->n_closures; c++)
			n_closures += date(cal->closures[c].date) >= from && date(cal->closures[c].date) < to;
		size_t want_n = (opm[y].year < 2021 ? 10 : 11) + (opm[y].year == 2021 || opm[y].year == 2027) -
				(opm[y].year == 2022 || opm[y].year == 2028) + n_closures;
		if (closed != want_n)
			fail_msg("%d: %zu weekdays closed, expected %zu", opm[y].year, closed, want_n);
	}
	/* the Saturday and Sunday a holiday falls on stay closed (weekends); the rule's own year bounds */
	assert_true(calendar_closed(cal, NULL, 0, date("2022-01-01")));
	assert_false(calendar_closed(cal, NULL, 0, date("2020-06-19"))); /* a Friday, before Pub. L. 117-17 */
	assert_true(calendar_closed(cal, NULL, 0, date("2021-06-18")));
	/* executive orders: 24 and 26 December 2025, 9 January 2025 */
	assert_true(calendar_closed(cal, NULL, 0, date("2025-12-24")));
	assert_true(calendar_closed(cal, NULL, 0, date("2025-12-26")));
	assert_true(calendar_closed(cal, NULL, 0, date("2025-01-09")));
	assert_false(calendar_closed(cal, NULL, 0, date("2025-12-23")));
	/* a day the organisation closes */
	int64_t extra[] = { date("2026-12-24"), date("2026-12-31") };
	assert_true(calendar_closed(cal, extra, 2, date("2026-12-31")));
	assert_false(calendar_closed(cal, NULL, 0, date("2026-12-31")));
	assert_true(calendar_closed(NULL, extra, 2, date("2026-12-24") + 3600));
	excise_catalog_free(cat);
}

/* FAR 52.204-23 R1 (3 business days) and R2 (10 after R1) counted over the holidays. */
static int64_t far_due(const struct excise_directive *d, int64_t found, const struct excise_fleet_settings *s,
		       int64_t *r2)
{
	struct excise_fleet_host h = { 0 };
	h.facts = (struct excise_fleet_facts){ .enrolled = true, .first_report = found, .last_report = found,
					       .first_complete = found, .last_complete = found,
					       .last_complete_covered = 1, .first_identified = found,
					       .last_identified = found };
	int64_t start;
	assert_int_equal(excise_fleet_start(d, 0, &start), 0);
	assert_int_equal(excise_fleet_track(d, start, &h, NULL, 0, NULL, 0, found + DAY, s), 0);
	assert_int_equal(h.n_ms, 2);
	*r2 = h.ms[1].due;
	int64_t r1 = h.ms[0].due;
	excise_fleet_host_done(&h);
	return r1;
}

static void test_far_holidays(void **state)
{
	(void)state;
	struct excise_catalog *cat;
	const struct excise_directive *d;
	const struct excise_calendar *cal = us_federal(&cat, &d);
	int64_t r2;
	/* found Wednesday 2026-11-25: Thanksgiving Thursday skipped: Friday, Monday, Tuesday 2026-12-01 */
	assert_int_equal(far_due(d, date("2026-11-25") + 9 * 3600, &settings, &r2), date("2026-12-01"));
	/* weekends only, it would be Monday the 30th */
	assert_int_equal(track_add_business_days(date("2026-11-25"), 3, NULL, NULL), date("2026-11-30"));
	/* found Tuesday 2026-12-22: Wednesday, Thursday, (Christmas), Monday the 28th; R2 ten business days
	 * after that day, over New Year's Day (Friday 2027-01-01): Tuesday 2027-01-12 */
	assert_int_equal(far_due(d, date("2026-12-22"), &settings, &r2), date("2026-12-28"));
	assert_int_equal(r2, date("2027-01-12"));
	/* 2025: the executive order closed the 24th and the 26th too: Tuesday 23, Monday 29, Tuesday 30 */
	assert_int_equal(far_due(d, date("2025-12-22"), &settings, &r2), date("2025-12-30"));
	/* the organisation's config closes 2026-12-24 as well: Wednesday 23, Monday 28, Tuesday 29 */
	int64_t extra[] = { date("2026-12-24") };
	struct excise_fleet_settings closed = { .closed = extra, .n_closed = 1 };
	assert_int_equal(far_due(d, date("2026-12-22"), &closed, &r2), date("2026-12-29"));
	assert_int_equal(r2, date("2027-01-13"));
	/* the JUL 2018 clause's one business day, found the day before Thanksgiving 2018: Friday the 23rd;
	 * on Christmas Eve 2018 (closed by Executive Order 13854): Wednesday the 26th */
	assert_int_equal(track_add_business_days(date("2018-11-21"), 1, cal, NULL), date("2018-11-23"));
	assert_int_equal(track_add_business_days(date("2018-12-21"), 1, cal, NULL), date("2018-12-26"));
	/* over the in-lieu New Year's Day of 2022 (Friday 2021-12-31): Monday 2022-01-03 */
	assert_int_equal(track_add_business_days(date("2021-12-30"), 1, cal, NULL), date("2022-01-03"));
	excise_catalog_free(cat);
}

/* Totals are counts over the rows: each row once in its state, each milestone once. */
static void test_count(void **state)
{
	(void)state;
	struct excise_fleet_list *l = calloc(1, sizeof(*l));
	assert_non_null(l);
	l->n = 5;
	l->rows = calloc(l->n, sizeof(*l->rows));
	assert_non_null(l->rows);
	const char *products[] = { "kaspersky:kes", "kaspersky:kes,kaspersky:kav", "", "kaspersky:kav", "kaspersky:kes" };
	struct excise_fleet_facts facts[5] = { found_facts(), found_facts(), { .enrolled = true }, found_facts(),
					       found_facts() };
	facts[3].last_report = facts[3].last_complete = START + 14 * DAY; /* removed */
	facts[4].retired = START + 11 * DAY;
	for (size_t i = 0; i < l->n; i++) {
		l->rows[i].facts = facts[i];
		l->rows[i].products = strdup(products[i]);
		assert_int_equal(excise_fleet_track(&bod, START, &l->rows[i], NULL, 0, NULL, 0, START + 15 * DAY, &settings), 0);
	}
	assert_int_equal(excise_fleet_count(l), 0);
	const struct excise_fleet_totals *t = &l->totals;
	assert_int_equal(t->rows, 5);
	assert_int_equal(t->state[EXCISE_FLEET_IDENTIFIED], 2);
	assert_int_equal(t->state[EXCISE_FLEET_NEVER_REPORTED], 1);
	assert_int_equal(t->state[EXCISE_FLEET_REMOVED], 1);
	assert_int_equal(t->state[EXCISE_FLEET_RETIRED], 1);
	assert_int_equal(t->counted, 4);
	assert_int_equal(t->determined, 3);
	assert_int_equal(t->not_determined, 1);
	/* products of rows where it is present now (the removed and the retired rows are not) */
	assert_int_equal(t->n_products, 2);
	assert_string_equal(t->products[0].product, "kaspersky:kes");
	assert_int_equal(t->products[0].hosts, 2);
	assert_string_equal(t->products[1].product, "kaspersky:kav");
	assert_int_equal(t->products[1].hosts, 1);
	size_t sum = 0;
	for (int s = 0; s < EXCISE_MS_STATUS_MAX_; s++)
		sum += t->ms[1][s];
	assert_int_equal(sum, 5);
	assert_int_equal(t->ms[0][EXCISE_MS_MET], 3);
	assert_int_equal(t->ms[0][EXCISE_MS_PENDING], 1);
	assert_int_equal(t->ms[0][EXCISE_MS_NA], 1);
	/* counting again gives the same */
	assert_int_equal(excise_fleet_count(l), 0);
	assert_int_equal(t->n_products, 2);
	excise_fleet_list_free(l);
	excise_fleet_list_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_never_reported),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_identified_plan_removal),
		cmocka_unit_test(test_removed_verified),
		cmocka_unit_test(test_exemptions),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_retired),
		cmocka_unit_test(test_other_anchors),
		cmocka_unit_test(test_filings),
		cmocka_unit_test(test_stock_catalog),
		cmocka_unit_test(test_holidays),
		cmocka_unit_test(test_far_holidays),
		cmocka_unit_test(test_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
