/* SPDX-License-Identifier: Apache-2.0 */
/* calendar: which days a directive's business days skip (calendar.c has the rules). */
#ifndef EXCISE_FLEET_CALENDAR_H
#define EXCISE_FLEET_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/catalog.h"

/* 00:00 UTC of the day holiday `h` is observed in `year` (in_lieu: a Saturday's the
 * Friday before, a Sunday's the Monday after, which for January 1 can be December 31 of
 * the year before) into *ret; false when the rule does not hold that year. */
bool calendar_observed(const struct excise_holiday *h, int year, bool in_lieu, int64_t *ret);

/* The day of `day` (00:00 UTC) is not a business day: a Saturday, a Sunday, a holiday of
 * `cal` as observed, one of its closures, or one of `extra` (00:00 UTC each: the
 * organisation's own closures). `cal` NULL: weekends and `extra` only. */
bool calendar_closed(const struct excise_calendar *cal, const int64_t *extra, size_t n_extra, int64_t day);

#endif
