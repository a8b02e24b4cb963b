/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Input: any bytes, read as a catalog document (excise.catalog/1 JSON). A
 * catalog that parses is also linted and compiled into a matcher, and a few
 * strings are matched against it, so regexes and globs from the input run too
 * (in normal form in the human-text fields).
 */
#include <string.h>

#include "catalog/match.h"
#include "excise/catalog.h"
#include "fuzz.h"

static int count(void *ud, const struct excise_indicator *ind)
{
	(void)ind;
	++*(int *)ud;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	struct excise_catalog *c = NULL;
	struct excise_err err;
	char **problems = NULL;
	/* as catalog lint reads it: on after each problem, half-read entries freed */
	if (excise_catalog_parse_lint("fuzz", data, size, &c, &problems, &err) >= 0)
		excise_catalog_free(c);
	excise_strv_free(problems);
	problems = NULL;
	c = NULL;
	if (excise_catalog_parse("fuzz", data, size, &c, &err) < 0)
		return 0;
	if (excise_catalog_lint(c, &problems) >= 0)
		excise_strv_free(problems);
	struct matcher *m = NULL;
	int hits = 0;
	if (matcher_new(c, NULL, &m, &err) >= 0) {
		static const char *const probes[] = { "kesl", "/opt/kaspersky/kesl/bin/kesl", "KLIF.SYS", "",
						      "AO Kaspersky Lab", "АО «Лаборатория Касперского»",
						      "kess.service", "K\xd0\xb0spersky\xff" };
		for (size_t k = 0; k < _EXCISE_OBS_KIND_MAX; k++)
			for (size_t f = 0; f < _EXCISE_FIELD_MAX; f++)
				for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
					(void)matcher_could(m, k, f, probes[i], strlen(probes[i]));
					(void)matcher_match(m, k, f, probes[i], strlen(probes[i]), count, &hits);
				}
		matcher_free(m);
	}
	excise_catalog_free(c);
	return 0;
}
