/* SPDX-License-Identifier: Apache-2.0 */
/* pem: certificate blocks of a PEM text, found by their BEGIN and END lines. */
#include "parse/pem.h"

#include <stdio.h>
#include <string.h>

#include "core/limits.h"

#define PEM_BEGIN "-----BEGIN "
#define PEM_DASHES "-----"

static bool label_is(const char *label, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(label, want, len) == 0;
}

int pem_cert_blocks(const char *data, size_t len, size_t max, pem_fn fn, void *userdata,
		    size_t *ret_count)
{
	const char *p = data, *end = data + len;
	size_t index = 0;
	int r = 0;
	while (p < end && r >= 0) {
		const char *b = memmem(p, (size_t)(end - p), PEM_BEGIN, strlen(PEM_BEGIN));
		if (!b)
			break;
		const char *label = b + strlen(PEM_BEGIN);
		const char *le = memmem(label, (size_t)(end - label), PEM_DASHES, strlen(PEM_DASHES));
		if (!le)
			break;
		size_t ll = (size_t)(le - label);
		if (memchr(label, '\n', ll) || ll > EXCISE_MAX_PEM_LABEL) {
			p = label;
			continue; /* not a BEGIN line */
		}
		bool trusted = label_is(label, ll, "TRUSTED CERTIFICATE");
		bool cert = trusted || label_is(label, ll, "CERTIFICATE") ||
			    label_is(label, ll, "X509 CERTIFICATE");
		char endline[64];
		int k = snprintf(endline, sizeof(endline), "-----END %.*s-----", (int)ll, label);
		const char *e = memmem(le, (size_t)(end - le), endline, (size_t)k);
		if (!cert) {
			p = e ? e + k : end;
			continue; /* keys, CRLs...: not certificates */
		}
		if (++index > max)
			break;
		const char *stop = end;
		if (e) {
			stop = e + k;
			if (stop < end && *stop == '\r')
				stop++;
			if (stop < end && *stop == '\n')
				stop++;
		}
		struct pem_block blk = {
			.index = index, .offset = (size_t)(b - data), .data = b,
			.len = (size_t)(stop - b), .trusted = trusted, .complete = e != NULL,
		};
		r = fn(userdata, &blk);
		p = stop;
	}
	if (ret_count)
		*ret_count = index;
	return r < 0 ? r : 0;
}
