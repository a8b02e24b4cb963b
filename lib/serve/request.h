/* SPDX-License-Identifier: Apache-2.0 */
/*
 * request: what the collector reads of a request before anything trusts it, the
 * one place its bytes are parsed (fuzzed by fuzz/fuzz-request.c): the route of a
 * method and path, the header lines counted against their limit, the values of
 * Content-Length and X-Excise-Host, and the enroll body. libmicrohttpd frames the
 * request (request line, header lines, chunks); nothing here trusts it did more.
 */
#ifndef EXCISE_SERVE_REQUEST_H
#define EXCISE_SERVE_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excise/error.h"

enum serve_route {
	SERVE_ROUTE_HEALTH,
	SERVE_ROUTE_ENROLL,
	SERVE_ROUTE_SUBMIT,
};

/* The route of `method` and `path` (without query): 0 and *ret, or the status to
 * answer: 404 (no such path), 405 (the path takes another method: *allow names it). */
int serve_route(const char *method, const char *path, enum serve_route *ret, const char **allow);

/* Count one header line ("Key: value\r\n") into *total; false once the total is over `max`. */
bool serve_header_add(size_t *total, size_t key_len, size_t value_len, size_t max);

/* A Content-Length value: decimal digits only (1 to 19 of them, no sign, no space). */
bool serve_content_length(const char *s, uint64_t *ret);

/* A host id as the store makes them: 1 to EXCISE_MAX_SERVE_ID bytes of [A-Za-z0-9._:-]. */
bool serve_host_id_ok(const char *s);

/* The body of POST /v1/enroll: {"secret","machine_id","hostname","platform"[,"os","version"]}.
 * The strings are borrowed from `doc`, which serve_enroll_done releases. */
struct serve_enroll {
	json_t *doc;
	const char *secret, *machine_id, *hostname, *platform, *os, *version;
};

/* Parse and check an enroll body (at most EXCISE_MAX_SERVE_ENROLL_BODY bytes): 0, or
 * -EXCISE_E_CORRUPT / -EXCISE_E_TOOBIG with the member named in `err`. */
int serve_enroll_parse(const void *body, size_t len, struct serve_enroll *ret, struct excise_err *err);
void serve_enroll_done(struct serve_enroll *e);

#endif
