/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the collector protocol's request signature (lib/fleet/proto.c). The
 * expected MAC was computed with Python's hmac module over the documented canonical string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "excise/proto.h"

static const char body[] = "{\"a\":1}";
#define KAT "t=1700000000,v1=8473d36730807ab25c33a945f4a2195df5bb897bc7759f8051d7db6d00d42ee1"

static void key_init(uint8_t k[32])
{
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)i;
}

static int verify(const uint8_t k[32], const char *host, const char *path, const char *sig, const char *b,
		  int64_t now, struct excise_err *err)
{
	return excise_proto_verify(k, host, "POST", path, sig, b, strlen(b), now, EXCISE_PROTO_REPLAY_WINDOW, err);
}

static void test_known_answer(void **state)
{
	(void)state;
	uint8_t k[32];
	char sig[EXCISE_PROTO_SIG_MAX];
	key_init(k);
	assert_int_equal(excise_proto_sign(k, "h1", "POST", "/v1/submit", 1700000000, body, strlen(body), sig), 0);
	assert_string_equal(sig, KAT);
	struct excise_err err = { 0 };
	assert_int_equal(verify(k, "h1", "/v1/submit", KAT, body, 1700000000, &err), 0);
}

static void test_refusals(void **state)
{
	(void)state;
	uint8_t k[32];
	key_init(k);
	struct excise_err err = { 0 };
	/* another body, path, host or key */
	assert_int_equal(verify(k, "h1", "/v1/submit", KAT, "{\"a\":2}", 1700000000, &err), -EXCISE_E_AUTH);
	assert_non_null(strstr(err.msg, "does not match"));
	assert_int_equal(verify(k, "h1", "/v1/enroll", KAT, body, 1700000000, &err), -EXCISE_E_AUTH);
	assert_int_equal(verify(k, "h2", "/v1/submit", KAT, body, 1700000000, &err), -EXCISE_E_AUTH);
	uint8_t k2[32];
	key_init(k2);
	k2[31] ^= 1;
	assert_int_equal(verify(k2, "h1", "/v1/submit", KAT, body, 1700000000, &err), -EXCISE_E_AUTH);
	/* the replay window, both ways, and its edge */
	assert_int_equal(verify(k, "h1", "/v1/submit", KAT, body, 1700000000 + 300, &err), 0);
	assert_int_equal(verify(k, "h1", "/v1/submit", KAT, body, 1700000000 + 301, &err), -EXCISE_E_AUTH);
	assert_non_null(strstr(err.msg, "clock"));
	assert_int_equal(verify(k, "h1", "/v1/submit", KAT, body, 1700000000 - 301, &err), -EXCISE_E_AUTH);
	/* malformed headers */
	const char *bad[] = {
		"", "t=,v1=8473d36730807ab25c33a945f4a2195df5bb897bc7759f8051d7db6d00d42ee1",
		"t=01700000000,v1=8473d36730807ab25c33a945f4a2195df5bb897bc7759f8051d7db6d00d42ee1",
		"t=-1700000000,v1=8473d36730807ab25c33a945f4a2195df5bb897bc7759f8051d7db6d00d42ee1",
		"t=1700000000,v1=8473D36730807ab25c33a945f4a2195df5bb897bc7759f8051d7db6d00d42ee1",
		"t=1700000000,v1=8473d36730807ab25c33a945f4a2195df5bb897bc7759f8051d7db6d00d42ee",
		"t=1700000000,v1=8473d36730807ab25c33a945f4a2195df5bb897bc7759f8051d7db6d00d42ee1 ",
		"t=99999999999999999999,v1=8473d36730807ab25c33a945f4a2195df5bb897bc7759f8051d7db6d00d42ee1",
		"t=9999999999999999999,v1=8473d36730807ab25c33a945f4a2195df5bb897bc7759f8051d7db6d00d42ee1",
		"v1=8473d36730807ab25c33a945f4a2195df5bb897bc7759f8051d7db6d00d42ee1,t=1700000000",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(verify(k, "h1", "/v1/submit", bad[i], body, 1700000000, &err), -EXCISE_E_AUTH);
	assert_int_equal(excise_proto_verify(k, "h1", "POST", "/v1/submit", NULL, body, 0, 0, 300, &err),
			 -EXCISE_E_AUTH);
	/* fields that would make the canonical string ambiguous are refused when signing */
	char sig[EXCISE_PROTO_SIG_MAX];
	assert_int_equal(excise_proto_sign(k, "h1\nPOST", "POST", "/v1/submit", 1, "", 0, sig), -EXCISE_E_USAGE);
	assert_int_equal(excise_proto_sign(k, "", "POST", "/v1/submit", 1, "", 0, sig), -EXCISE_E_USAGE);
}

static void test_key_text(void **state)
{
	(void)state;
	uint8_t k[32], back[32];
	char txt[EXCISE_PROTO_KEY_TEXT];
	key_init(k);
	excise_proto_key_encode(k, txt);
	assert_string_equal(txt, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	struct excise_err err = { 0 };
	assert_int_equal(excise_proto_key_decode(txt, back, &err), 0);
	assert_memory_equal(k, back, 32);
	assert_int_equal(excise_proto_key_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", back, &err),
			 -EXCISE_E_CORRUPT);
	assert_int_equal(excise_proto_key_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=8", back, &err),
			 -EXCISE_E_CORRUPT);
	assert_int_equal(excise_proto_key_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==", back, &err),
			 -EXCISE_E_CORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_key_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
