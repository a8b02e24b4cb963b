/* SPDX-License-Identifier: Apache-2.0 */
/*
 * calendar: the days business days skip. Saturdays and Sundays always; then the
 * calendar the directive names in the catalog ("calendar": "us-federal", the catalog's
 * "calendars"): its holiday rules (a fixed date, or the first .. fourth or last weekday
 * of a month, each within its years), observed in lieu when the calendar says so (5
 * U.S.C. 6103(b), Executive Order 11582: a holiday on a Saturday is observed the Friday
 * before, on a Sunday the Monday after), and its one-off closures (executive orders
 * closing the executive departments); and the days the organisation lists itself. The
 * data, with its sources, is in the catalog; the rules are here. Days are UTC.
 */
#include <stdio.h>
#include <string.h>

#include "fleet/calendar.h"

#define DAY 86400

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int year_of(int64_t days)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	return (int)(yoe + era * 400 + (mp >= 10));
}

/* 0 Sunday .. 6 Saturday; 1970-01-01 was a Thursday. */
static int weekday(int64_t days)
{
	return (int)(((days % 7) + 7 + 4) % 7);
}

bool calendar_observed(const struct excise_holiday *h, int year, bool in_lieu, int64_t *ret)
{
	if ((h->from && year < h->from) || (h->until && year > h->until))
		return false;
	int64_t day;
	if (h->day)
		day = days_from_civil(year, h->month, h->day);
	else if (h->nth < 4) {
		int64_t first = days_from_civil(year, h->month, 1);
		day = first + (h->weekday - weekday(first) + 7) % 7 + 7 * h->nth;
	} else {
		int64_t last = days_from_civil(year + (h->month == 12), h->month == 12 ? 1 : h->month + 1, 1) - 1;
		day = last - (weekday(last) - h->weekday + 7) % 7;
	}
	if (in_lieu && weekday(day) == 6)
		day--;
	else if (in_lieu && weekday(day) == 0)
		day++;
	*ret = day * DAY;
	return true;
}

static bool closure_on(const struct excise_closure *c, int64_t days)
{
	int y, m, d;
	char tail;
	return sscanf(c->date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && days_from_civil(y, m, d) == days;
}

bool calendar_closed(const struct excise_calendar *cal, const int64_t *extra, size_t n_extra, int64_t day)
{
	int64_t days = day / DAY - (day % DAY < 0);
	int wd = weekday(days);
	if (wd == 0 || wd == 6)
		return true;
	for (size_t i = 0; i < n_extra; i++)
		if (extra[i] / DAY - (extra[i] % DAY < 0) == days)
			return true;
	if (!cal)
		return false;
	/* observed in lieu, a holiday can move into the year before or after its own */
	int year = year_of(days);
	for (size_t i = 0; i < cal->n_holidays; i++)
		for (int y = year - 1; y <= year + 1; y++) {
			int64_t t;
			if (calendar_observed(&cal->holidays[i], y, cal->in_lieu, &t) && t / DAY == days)
				return true;
		}
	for (size_t i = 0; i < cal->n_closures; i++)
		if (closure_on(&cal->closures[i], days))
			return true;
	return false;
}
