/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctmpl: an excise.report document (made by `excise scan`) as a template for
 * bench/'s load client and fleet generator. The report_id, the host's machine id and
 * host name, and the started and finished times are cut out; each copy fills them
 * in again, so that every copy is a real report of its own host at its own time.
 */
#ifndef DOCTMPL_H
#define DOCTMPL_H

#include <stddef.h>
#include <stdint.h>

enum doctmpl_mark { DOCTMPL_RID, DOCTMPL_MID, DOCTMPL_HOST, DOCTMPL_STARTED, DOCTMPL_FINISHED, DOCTMPL_NMARKS };

struct doctmpl {
	char *name;              /* the file's base name */
	unsigned weight;         /* share of the hosts that send this one */
	char **seg;              /* nseg pieces of text, a mark between each two */
	enum doctmpl_mark *marks;
	size_t nseg, fixed;      /* fixed: bytes of all the pieces */
	char platform[16], os[128];
	int findings;            /* findings in the template */
};

/* Load "FILE" or "FILE:WEIGHT". 0, or -1 with the reason in `why`. */
int doctmpl_load(struct doctmpl *t, const char *arg, char *why, size_t whylen);
/* Bytes a copy needs at most (each value at most 95 bytes), newline and NUL included. */
size_t doctmpl_need(const struct doctmpl *t);
/* A copy into `out` (doctmpl_need bytes) with the values of the marks; its length. */
size_t doctmpl_fill(const struct doctmpl *t, char *out, const char *const vals[DOCTMPL_NMARKS]);
/* The same, and where each value went: offs[i] for the value after piece i (nseg - 1 of
 * them). Another copy with values of the same lengths differs only there: a caller may
 * overwrite them in place instead of copying the template again. */
size_t doctmpl_fill_at(const struct doctmpl *t, char *out, const char *const vals[DOCTMPL_NMARKS], size_t *offs);
/* RFC 3339 UTC with milliseconds of unix time `t`, as excise writes it (25 bytes). */
void doctmpl_time(long long t, char out[32]);

/* splitmix64: the next number of the sequence `*state` steps through. */
uint64_t doctmpl_rnd(uint64_t *state);
/* splitmix64's mix of one number: which template a host sends, the same every run. */
uint64_t doctmpl_mix(uint64_t z);
/* A version 4 UUID in lower case, as excise scan makes report ids, of 16 random bytes. */
void doctmpl_uuid4(const uint8_t b[16], char out[37]);

#endif
