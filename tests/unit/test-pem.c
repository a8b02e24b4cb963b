/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the PEM block finder (lib/parse/pem.c): labels up to EXCISE_MAX_PEM_LABEL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "parse/pem.h"

#define CERT "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"

static int on_block(void *userdata, const struct pem_block *b)
{
	size_t *offsets = userdata;
	offsets[b->index - 1] = b->offset;
	return 0;
}

/* A BEGIN line whose label is longer than the limit is no BEGIN line; one at the
 * limit is a block of another kind, passed over up to its END line. */
static void test_label_limit(void **state)
{
	(void)state;
	for (unsigned extra = 0; extra < 2; extra++) {
		char label[EXCISE_MAX_PEM_LABEL + 2];
		memset(label, 'K', EXCISE_MAX_PEM_LABEL + extra);
		label[EXCISE_MAX_PEM_LABEL + extra] = 0;
		char text[1024];
		/* the other block holds a certificate block: read only when its label is not a label */
		int n = snprintf(text, sizeof(text), "-----BEGIN %s-----\n" CERT "-----END %s-----\n" CERT, label, label);
		assert_true(n > 0 && n < (int)sizeof(text));
		size_t offsets[4] = { 0 }, count = 0;
		assert_int_equal(pem_cert_blocks(text, (size_t)n, 4, on_block, offsets, &count), 0);
		size_t second = (size_t)(strstr(strstr(text, "-----END " ) + 1, "-----BEGIN CERTIFICATE") - text);
		if (extra) {
			assert_int_equal(count, 2);
			assert_int_equal(offsets[0], strlen(label) + 17);
		} else {
			assert_int_equal(count, 1);
			assert_int_equal(offsets[0], second);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
