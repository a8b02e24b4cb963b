/* SPDX-License-Identifier: Apache-2.0 */
/* request: routes, header limits and the enroll body (lib/serve/request.h). */
#include "serve/request.h"

#include <stddef.h>
#include <string.h>

#include "core/doc.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/macro.h"
#include "core/text.h"

static const struct {
	const char *path;
	const char *method;
	enum serve_route route;
} routes[] = {
	{ "/v1/health", "GET", SERVE_ROUTE_HEALTH },
	{ "/v1/enroll", "POST", SERVE_ROUTE_ENROLL },
	{ "/v1/submit", "POST", SERVE_ROUTE_SUBMIT },
};

int serve_route(const char *method, const char *path, enum serve_route *ret, const char **allow)
{
	if (!method || !path)
		return 404;
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		if (strcmp(path, routes[i].path) != 0)
			continue;
		/* HEAD is GET without the body: libmicrohttpd leaves the body out itself */
		if (strcmp(method, routes[i].method) == 0 ||
		    (routes[i].route == SERVE_ROUTE_HEALTH && strcmp(method, "HEAD") == 0)) {
			*ret = routes[i].route;
			return 0;
		}
		if (allow)
			*allow = routes[i].route == SERVE_ROUTE_HEALTH ? "GET, HEAD" : routes[i].method;
		return 405;
	}
	return 404;
}

bool serve_header_add(size_t *total, size_t key_len, size_t value_len, size_t max)
{
	/* "Key: value\r\n"; each term checked so that no sum wraps */
	if (key_len > max || value_len > max)
		*total = max + 1;
	else
		*total += key_len + value_len + 4;
	return *total <= max;
}

bool serve_content_length(const char *s, uint64_t *ret)
{
	if (!s || !*s || strlen(s) > 19)
		return false;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*ret = v;
	return true;
}

bool serve_host_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > EXCISE_MAX_SERVE_ID)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

static const char *const platforms[] = { "linux", "windows", "macos", NULL };

#define ENROLL(key, member, flags, max, ...)                                                                \
	{ key, DOC_STRING, doc_string, offsetof(struct serve_enroll, member), (flags) | DOC_NONEMPTY, 1, max, \
	  __VA_ARGS__ }

static const struct doc_field enroll_fields[] = {
	ENROLL("secret", secret, DOC_REQUIRED, EXCISE_MAX_SERVE_FIELD),
	ENROLL("machine_id", machine_id, DOC_REQUIRED, EXCISE_MAX_SERVE_ID),
	ENROLL("hostname", hostname, DOC_REQUIRED, EXCISE_MAX_SERVE_FIELD),
	{ "platform", DOC_STRING, doc_string, offsetof(struct serve_enroll, platform), DOC_REQUIRED, 0, 0,
	  .values = platforms },
	ENROLL("os", os, DOC_NULLABLE, EXCISE_MAX_SERVE_FIELD),
	ENROLL("version", version, DOC_NULLABLE, EXCISE_MAX_SERVE_FIELD),
	{ 0 },
};

/* A secret or machine id is compared and stored as given: no control characters,
 * which no honest agent sends and which would only make its logs lie. */
static int enroll_check(struct doc *d, json_t *obj, void *base)
{
	(void)obj;
	const struct serve_enroll *e = base;
	const struct {
		const char *name, *v;
	} f[] = { { "secret", e->secret },     { "machine_id", e->machine_id }, { "hostname", e->hostname },
		  { "os", e->os },             { "version", e->version } };
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (!f[i].v)
			continue;
		for (const unsigned char *p = (const unsigned char *)f[i].v; *p; p++)
			if (*p < 0x20 || *p == 0x7f) {
				size_t mark = doc_enter_key(d, f[i].name);
				int r = doc_fail(d, "a control character (0x%02x)", *p);
				doc_leave(d, mark);
				return r;
			}
	}
	return 0;
}

static const struct doc_table enroll_table = {
	.fields = enroll_fields,
	.unknown = DOC_UNKNOWN_REFUSE,
	.check = enroll_check,
};

int serve_enroll_parse(const void *body, size_t len, struct serve_enroll *ret, struct excise_err *err)
{
	*ret = (struct serve_enroll){ 0 };
	struct doc d;
	doc_init(&d, "enroll request", "body", err);
	int r = doc_load(&d, body, len, EXCISE_MAX_SERVE_ENROLL_BODY, &ret->doc);
	if (r < 0)
		return r;
	r = doc_dispatch(&d, ret->doc, &enroll_table, ret);
	if (r < 0)
		serve_enroll_done(ret);
	return r;
}

void serve_enroll_done(struct serve_enroll *e)
{
	if (e->doc)
		json_decref(e->doc);
	*e = (struct serve_enroll){ 0 };
}
