/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Input: one byte of normalise flags (its low three bits), then any bytes, read
 * as the text of an observation (a publisher, a display name). The text is
 * normalised with those flags, normalised as a regex, and matched as a package
 * publisher, package name and service name against a small catalog of
 * Unicode, quoted, glob and regex indicators. Checks: the normal form has no
 * leading, trailing or doubled space and no ASCII quotation mark (outside glob
 * syntax), and pure ASCII normalises the same way twice.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/match.h"
#include "catalog/normalise.h"
#include "excise/catalog.h"
#include "fuzz.h"

static const char doc[] =
	"{\"schema\":\"excise.catalog/1\",\"id\":\"f\",\"version\":\"1\",\"serial\":1,\"issued\":\"2026-01-01\","
	"\"vendors\":[{\"id\":\"v\",\"name\":\"V\"}],"
	"\"products\":[{\"id\":\"p\",\"vendor\":\"v\",\"name\":\"P\",\"family\":\"endpoint\",\"platforms\":[\"linux\"],\"source\":\"https://e/p\"}],"
	"\"indicators\":["
	"{\"id\":\"a\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"nocase\":true,\"value\":\"АО «Лаборатория Касперского»\",\"confidence\":\"strong\",\"source\":\"https://e/1\"},"
	"{\"id\":\"b\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"match\":\"glob\",\"nocase\":true,\"value\":\"*Kaspersky*Lab*\",\"confidence\":\"weak\",\"source\":\"https://e/2\"},"
	"{\"id\":\"c\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"match\":\"regex\",\"nocase\":true,\"value\":\"(^|[^[:alpha:]])касперск\",\"confidence\":\"weak\",\"source\":\"https://e/3\"},"
	"{\"id\":\"d\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"publisher\",\"value\":\"Kaspersky Lab ZAO\",\"confidence\":\"strong\",\"source\":\"https://e/4\"},"
	"{\"id\":\"e\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"name\",\"match\":\"regex\",\"value\":\"^Kaspersky Anti-Virus( [0-9]+)?$\",\"confidence\":\"strong\",\"source\":\"https://e/5\"},"
	"{\"id\":\"f\",\"vendor\":\"v\",\"kind\":\"package\",\"field\":\"name\",\"match\":\"glob\",\"value\":\"Kaspersky [A-Z]*Straße?\",\"confidence\":\"weak\",\"source\":\"https://e/6\"},"
	"{\"id\":\"g\",\"vendor\":\"v\",\"kind\":\"service\",\"field\":\"name\",\"value\":\"kess\",\"confidence\":\"strong\",\"source\":\"https://e/7\"}"
	"],\"directives\":[]}";

static int count(void *ud, const struct excise_indicator *ind)
{
	(void)ind;
	++*(int *)ud;
	return 0;
}

static void check(const char *out, size_t n, unsigned flags, bool nul)
{
	/* a NUL in the input survives only inside a glob's bracket expression */
	if (out[n] != 0 || (!nul && strlen(out) != n))
		abort();
	if (n && (out[0] == ' ' || out[n - 1] == ' ') && !(flags & NORMALISE_GLOB))
		abort();
	for (size_t i = 0; !(flags & NORMALISE_GLOB) && i < n; i++)
		if ((i && out[i] == ' ' && out[i - 1] == ' ') || out[i] == '"' || out[i] == '\'' || out[i] == '`')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct excise_catalog *c;
	static struct matcher *m;
	struct excise_err err;
	if (!c && (excise_catalog_parse("fuzz", doc, sizeof(doc) - 1, &c, &err) < 0 ||
		   matcher_new(c, NULL, &m, &err) < 0))
		abort();
	if (size < 1 || size > (1u << 16))
		return 0;
	unsigned flags = data[0] & 7u;
	const char *s = (const char *)data + 1;
	size_t len = size - 1;
	char stack[32], *out = NULL;
	ssize_t n = normalise(s, len, flags, stack, sizeof(stack), &out);
	if (n >= 0) {
		check(out, (size_t)n, flags, memchr(s, 0, len) != NULL);
		bool ascii = true;
		for (size_t i = 0; i < len; i++)
			ascii &= (unsigned char)s[i] < 0x80 && s[i] != 0;
		if (ascii && !(flags & NORMALISE_GLOB)) {
			char *again = NULL;
			ssize_t k = normalise(out, (size_t)n, flags, NULL, 0, &again);
			if (k >= 0 && (k != n || memcmp(again, out, (size_t)n) != 0))
				abort();
			free(again);
		}
		if (out != stack)
			free(out);
	}
	/* a C string of the input up to its first NUL (not strndup: it may read past `len`) */
	size_t zn = strnlen(s, len);
	char *z = malloc(zn + 1);
	if (!z)
		return 0;
	memcpy(z, s, zn);
	z[zn] = 0;
	char *re = NULL;
	if (normalise_regex(z, flags & 1u, &re) == 0)
		free(re);
	int hits = 0;
	size_t zl = strlen(z);
	(void)matcher_match(m, EXCISE_OBS_PACKAGE, EXCISE_F_PUBLISHER, z, zl, count, &hits);
	(void)matcher_match(m, EXCISE_OBS_PACKAGE, EXCISE_F_NAME, z, zl, count, &hits);
	(void)matcher_match(m, EXCISE_OBS_SERVICE, EXCISE_F_NAME, z, zl, count, &hits);
	(void)matcher_could(m, EXCISE_OBS_PACKAGE, EXCISE_F_PUBLISHER, z, zl);
	(void)matcher_could(m, EXCISE_OBS_SERVICE, EXCISE_F_NAME, z, zl);
	free(z);
	return 0;
}
