/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for what the collector reads of a request before trusting it
 * (lib/serve/request.c): the route of a method and path, the header lines counted
 * against their limit, Content-Length, X-Excise-Host, the signature header (through
 * excise_proto_verify, as the collector calls it) and the enroll body. Input: at
 * most 1 MiB, "METHOD PATH\n", header lines "Key: value\n", an empty line, then the
 * body; libmicrohttpd frames real requests, this harness only splits the bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/limits.h"
#include "excise/proto.h"
#include "fuzz.h"
#include "serve/request.h"

#define FUZZ_MAX_INPUT (1u << 20)

static void check_enroll(const char *body, size_t len)
{
	struct excise_err err = { 0 };
	struct serve_enroll e;
	int r = serve_enroll_parse(body, len, &e, &err);
	if (r < 0) {
		if (!err.msg[0] || err.code != r || e.doc || e.secret)
			__builtin_trap();
		return;
	}
	if (!e.doc || !e.secret || !e.machine_id || !e.hostname || !e.platform || !*e.secret ||
	    strlen(e.machine_id) > EXCISE_MAX_SERVE_ID || strlen(e.hostname) > EXCISE_MAX_SERVE_FIELD)
		__builtin_trap();
	if (strcmp(e.platform, "linux") && strcmp(e.platform, "windows") && strcmp(e.platform, "macos"))
		__builtin_trap();
	for (const unsigned char *p = (const unsigned char *)e.secret; *p; p++)
		if (*p < 0x20)
			__builtin_trap();
	serve_enroll_done(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* the body: after the first empty line (all of it when there is none) */
	char *body = s;
	size_t body_len = size;
	char *blank = strstr(s, "\n\n");
	if (blank) {
		*blank = '\0';
		body = blank + 2;
		body_len = size - (size_t)(body - s);
	}
	char *line = s, *next;
	char *method = NULL, *path = NULL, *host = NULL, *sig = NULL;
	size_t total = 0;
	for (int i = 0; line && (!blank || line < blank); i++, line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (i == 0) {
			method = line;
			path = strchr(line, ' ');
			if (path)
				*path++ = '\0';
			continue;
		}
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *v = colon + 1 + (colon[1] == ' ');
		bool within = serve_header_add(&total, strlen(line), strlen(v), EXCISE_MAX_SERVE_HEADERS);
		if (within != (total <= EXCISE_MAX_SERVE_HEADERS))
			__builtin_trap();
		uint64_t n;
		if (strcasecmp(line, "Content-Length") == 0 && serve_content_length(v, &n) && strlen(v) > 19)
			__builtin_trap();
		if (strcasecmp(line, EXCISE_PROTO_HOST_HEADER) == 0)
			host = v;
		if (strcasecmp(line, EXCISE_PROTO_SIG_HEADER) == 0)
			sig = v;
	}
	enum serve_route route = SERVE_ROUTE_HEALTH;
	const char *allow = NULL;
	int st = serve_route(method, path, &route, &allow);
	if (st != 0 && st != 404 && st != 405)
		__builtin_trap();
	if (st == 405 && !allow)
		__builtin_trap();
	if (st == 0 && strncmp(path, "/v1/", 4) != 0)
		__builtin_trap();
	if (host && serve_host_id_ok(host)) {
		static const uint8_t key[EXCISE_HOST_KEY_BYTES] = { 1 };
		struct excise_err err = { 0 };
		int r = excise_proto_verify(key, host, method ? method : "POST", path && *path ? path : "/v1/submit", sig,
					    body, body_len, 1700000000, EXCISE_PROTO_REPLAY_WINDOW, &err);
		if (r < 0 && (r != -EXCISE_E_AUTH || !err.msg[0]))
			__builtin_trap();
	}
	check_enroll(body, body_len);
	free(s);
	return 0;
}
