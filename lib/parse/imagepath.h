/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imagepath: the file a Windows service's ImagePath value names, as Windows
 * reads it (CreateProcess's rule for a command line). Blanks (space, tab) around
 * the value are dropped. A value starting with '"' names what lies up to the
 * next '"' (or the end): one candidate. An unquoted value may be a path with
 * spaces and no quotes (C:\Program Files\Vendor\svc.exe -k x): Windows tries
 * each prefix ending before a space, shortest first, then the whole value; here
 * at most EXCISE_MAX_IMAGE_PATH_CUTS cuts (a hostile value of many spaces costs
 * that many lookups, then the whole). The caller looks for each candidate in
 * the image; when none is there, the one to report is `fallback`: the first
 * candidate ending in ".exe" or ".sys" (any case), else the whole value.
 * Nothing is copied: candidates are lengths from `start`.
 */
#ifndef EXCISE_PARSE_IMAGEPATH_H
#define EXCISE_PARSE_IMAGEPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/limits.h"

struct imagepath {
	const char *start;  /* the value without leading blanks and opening quote */
	size_t len[EXCISE_MAX_IMAGE_PATH_CUTS + 1]; /* the candidates' lengths, in the order to try */
	size_t n;           /* at least 1 */
	size_t fallback;    /* the length of the candidate to report when none is there */
	bool quoted;
};

/* Split the `size` bytes of an ImagePath at `value`. */
void imagepath_split(const char *value, size_t size, struct imagepath *ip);

#endif
