/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the collector's request parsing (lib/serve/request.c), its config
 * file and flags, its state folder and its certificates (lib/serve/config.c, tls.c):
 * each limit at its value and one past it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/limits.h"
#include "excise/serve.h"
#include "serve/request.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-serve.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

static void write_file(const char *path, const char *s, size_t n, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, n, f), n);
	fclose(f);
	chmod(path, mode);
}

static void test_route(void **state)
{
	(void)state;
	enum serve_route r;
	const char *allow = NULL;
	assert_int_equal(serve_route("GET", "/v1/health", &r, &allow), 0);
	assert_int_equal(r, SERVE_ROUTE_HEALTH);
	assert_int_equal(serve_route("HEAD", "/v1/health", &r, &allow), 0);
	assert_int_equal(serve_route("POST", "/v1/enroll", &r, &allow), 0);
	assert_int_equal(r, SERVE_ROUTE_ENROLL);
	assert_int_equal(serve_route("POST", "/v1/submit", &r, &allow), 0);
	assert_int_equal(r, SERVE_ROUTE_SUBMIT);
	assert_int_equal(serve_route("GET", "/v1/submit", &r, &allow), 405);
	assert_string_equal(allow, "POST");
	assert_int_equal(serve_route("POST", "/v1/health", &r, &allow), 405);
	assert_string_equal(allow, "GET, HEAD");
	assert_int_equal(serve_route("HEAD", "/v1/submit", &r, &allow), 405);
	assert_int_equal(serve_route("POST", "/v1/submit/", &r, &allow), 404);
	assert_int_equal(serve_route("POST", "/V1/submit", &r, &allow), 404);
	assert_int_equal(serve_route("post", "/v1/submit", &r, &allow), 405);
	assert_int_equal(serve_route(NULL, "/v1/submit", &r, &allow), 404);
}

static void test_headers_limit(void **state)
{
	(void)state;
	size_t total = 0, max = EXCISE_MAX_SERVE_HEADERS;
	/* exactly at the limit, then one byte past it */
	assert_true(serve_header_add(&total, 10, max - 14, max));
	assert_int_equal(total, max);
	assert_false(serve_header_add(&total, 0, 0, max) && total <= max);
	total = 0;
	assert_false(serve_header_add(&total, 1, SIZE_MAX, max));
	assert_false(serve_header_add(&total, 1, 1, max)); /* stays over */
}

static void test_content_length(void **state)
{
	(void)state;
	uint64_t v = 1;
	assert_true(serve_content_length("0", &v));
	assert_int_equal(v, 0);
	assert_true(serve_content_length("4194304", &v));
	assert_int_equal(v, 4194304);
	assert_true(serve_content_length("9999999999999999999", &v));
	assert_false(serve_content_length("18446744073709551616", &v));
	assert_false(serve_content_length("", &v));
	assert_false(serve_content_length("-1", &v));
	assert_false(serve_content_length(" 1", &v));
	assert_false(serve_content_length("1 ", &v));
	assert_false(serve_content_length("0x10", &v));
	assert_false(serve_content_length(NULL, &v));
}

static void test_host_id(void **state)
{
	(void)state;
	char id[EXCISE_MAX_SERVE_ID + 2];
	memset(id, 'a', sizeof(id));
	id[EXCISE_MAX_SERVE_ID] = '\0';
	assert_true(serve_host_id_ok(id));
	id[EXCISE_MAX_SERVE_ID] = 'a';
	id[EXCISE_MAX_SERVE_ID + 1] = '\0';
	assert_false(serve_host_id_ok(id));
	assert_true(serve_host_id_ok("h-0123.abc_DEF:9"));
	assert_false(serve_host_id_ok(""));
	assert_false(serve_host_id_ok(NULL));
	assert_false(serve_host_id_ok("a b"));
	assert_false(serve_host_id_ok("a\nb"));
	assert_false(serve_host_id_ok("a/b"));
	assert_false(serve_host_id_ok("\xc3\xa9"));
}

static int enroll(const char *body, struct excise_err *err)
{
	struct serve_enroll e;
	int r = serve_enroll_parse(body, strlen(body), &e, err);
	if (r == 0)
		serve_enroll_done(&e);
	else
		assert_null(e.doc);
	return r;
}

static void test_enroll(void **state)
{
	(void)state;
	struct excise_err err = { 0 };
	struct serve_enroll e;
	const char *good = "{\"secret\":\"es_1\",\"machine_id\":\"m1\",\"hostname\":\"x'); DROP TABLE host;--<b>\","
			   "\"platform\":\"windows\",\"os\":null,\"version\":\"0.1.0\"}";
	assert_int_equal(serve_enroll_parse(good, strlen(good), &e, &err), 0);
	assert_string_equal(e.hostname, "x'); DROP TABLE host;--<b>");
	assert_string_equal(e.platform, "windows");
	assert_null(e.os);
	assert_string_equal(e.version, "0.1.0");
	serve_enroll_done(&e);

	assert_int_equal(enroll("{\"machine_id\":\"m\",\"hostname\":\"h\",\"platform\":\"linux\"}", &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "secret"));
	assert_int_equal(enroll("{\"secret\":\"s\",\"machine_id\":\"m\",\"hostname\":\"h\",\"platform\":\"linux\",\"x\":1}",
				&err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "'x'"));
	assert_int_equal(enroll("{\"secret\":\"s\",\"machine_id\":\"m\",\"hostname\":\"h\",\"platform\":\"Linux\"}", &err),
			 -EXCISE_E_CORRUPT);
	assert_int_equal(enroll("{\"secret\":\"\",\"machine_id\":\"m\",\"hostname\":\"h\",\"platform\":\"linux\"}", &err),
			 -EXCISE_E_CORRUPT);
	assert_int_equal(enroll("{\"secret\":1,\"machine_id\":\"m\",\"hostname\":\"h\",\"platform\":\"linux\"}", &err),
			 -EXCISE_E_CORRUPT);
	assert_int_equal(enroll("{\"secret\":\"s\",\"machine_id\":\"m\",\"hostname\":\"a\\u001bb\",\"platform\":\"linux\"}",
				&err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "/hostname"));
	assert_int_equal(enroll("[1]", &err), -EXCISE_E_CORRUPT);
	assert_int_equal(enroll("{\"secret\":\"s\",", &err), -EXCISE_E_CORRUPT);

	/* each field at its limit and one byte past it */
	char big[EXCISE_MAX_SERVE_ENROLL_BODY + 64];
	char field[EXCISE_MAX_SERVE_FIELD + 2];
	memset(field, 'h', sizeof(field));
	field[EXCISE_MAX_SERVE_FIELD] = '\0';
	snprintf(big, sizeof(big), "{\"secret\":\"s\",\"machine_id\":\"m\",\"hostname\":\"%s\",\"platform\":\"linux\"}", field);
	assert_int_equal(enroll(big, &err), 0);
	field[EXCISE_MAX_SERVE_FIELD] = 'h';
	field[EXCISE_MAX_SERVE_FIELD + 1] = '\0';
	snprintf(big, sizeof(big), "{\"secret\":\"s\",\"machine_id\":\"m\",\"hostname\":\"%s\",\"platform\":\"linux\"}", field);
	assert_int_equal(enroll(big, &err), -EXCISE_E_CORRUPT);
	field[EXCISE_MAX_SERVE_ID] = '\0';
	snprintf(big, sizeof(big), "{\"secret\":\"s\",\"machine_id\":\"%s\",\"hostname\":\"h\",\"platform\":\"linux\"}", field);
	assert_int_equal(enroll(big, &err), 0);
	field[EXCISE_MAX_SERVE_ID] = 'h';
	field[EXCISE_MAX_SERVE_ID + 1] = '\0';
	snprintf(big, sizeof(big), "{\"secret\":\"s\",\"machine_id\":\"%s\",\"hostname\":\"h\",\"platform\":\"linux\"}", field);
	assert_int_equal(enroll(big, &err), -EXCISE_E_CORRUPT);
	/* the body: at most EXCISE_MAX_SERVE_ENROLL_BODY bytes */
	memset(big, ' ', sizeof(big));
	const char *tail = "{\"secret\":\"s\",\"machine_id\":\"m\",\"hostname\":\"h\",\"platform\":\"linux\"}";
	memcpy(big + EXCISE_MAX_SERVE_ENROLL_BODY - strlen(tail), tail, strlen(tail));
	assert_int_equal(serve_enroll_parse(big, EXCISE_MAX_SERVE_ENROLL_BODY, &e, &err), 0);
	serve_enroll_done(&e);
	big[EXCISE_MAX_SERVE_ENROLL_BODY] = ' ';
	assert_int_equal(serve_enroll_parse(big, EXCISE_MAX_SERVE_ENROLL_BODY + 1, &e, &err), -EXCISE_E_TOOBIG);
}

static void test_listen(void **state)
{
	(void)state;
	struct excise_serve_config c;
	struct excise_err err = { 0 };
	excise_serve_config_init(&c);
	assert_int_equal(c.port, EXCISE_SERVE_DEFAULT_PORT);
	assert_int_equal(c.limits.body_bytes, EXCISE_MAX_SERVE_BODY);
	assert_int_equal(c.limits.header_bytes, EXCISE_MAX_SERVE_HEADERS);
	assert_int_equal(c.limits.connections_per_address, EXCISE_MAX_SERVE_CONN_PER_ADDRESS);
	assert_int_equal(c.limits.idle_seconds, EXCISE_MAX_SERVE_IDLE_SECONDS);
	assert_int_equal(c.limits.host_per_minute, EXCISE_MAX_SERVE_HOST_PER_MINUTE);
	assert_int_equal(c.limits.rate_hosts, EXCISE_MAX_SERVE_RATE_HOSTS);
	assert_int_equal(c.limits.pg_writers, 0);
	assert_int_equal(c.replay_window, EXCISE_PROTO_REPLAY_WINDOW);
	assert_int_equal(excise_serve_config_listen(&c, "127.0.0.1:0", &err), 0);
	assert_string_equal(c.address, "127.0.0.1");
	assert_int_equal(c.port, 0);
	assert_int_equal(excise_serve_config_listen(&c, "[::1]:65535", &err), 0);
	assert_string_equal(c.address, "::1");
	assert_int_equal(c.port, 65535);
	assert_int_equal(excise_serve_config_listen(&c, ":9000", &err), 0);
	assert_int_equal(c.port, 9000);
	assert_int_equal(excise_serve_config_listen(&c, "8443", &err), 0);
	assert_string_equal(c.address, "::1");
	assert_int_equal(excise_serve_config_listen(&c, "1.2.3.4:65536", &err), -EXCISE_E_USAGE);
	assert_int_equal(excise_serve_config_listen(&c, "::1:80", &err), -EXCISE_E_USAGE);
	assert_int_equal(excise_serve_config_listen(&c, "1.2.3.4:", &err), -EXCISE_E_USAGE);
	assert_int_equal(excise_serve_config_listen(&c, "1.2.3.4:8x", &err), -EXCISE_E_USAGE);
	excise_serve_config_done(&c);
}

static int config_text(const char *text, struct excise_serve_config *c, struct excise_err *err)
{
	const char *p = path_of("c.json");
	write_file(p, text, strlen(text), 0644);
	return excise_serve_config_read(c, p, err);
}

static void test_config(void **state)
{
	(void)state;
	struct excise_serve_config c;
	struct excise_err err = { 0 };
	excise_serve_config_init(&c);
	assert_int_equal(config_text("{\"listen\":\"10.0.0.1:9443\",\"tls\":{\"cert\":\"/c.pem\",\"key\":\"/k.pem\"},"
				     "\"database\":\"postgresql://u@h/db\",\"master_key_file\":\"/m\",\"state_dir\":\"/s\","
				     "\"replay_window_seconds\":120,\"stale_days\":14,\"sqlite_sync\":\"normal\","
				     "\"limits\":{\"body_bytes\":1048576,\"header_bytes\":8192,\"connections\":100,"
				     "\"connections_per_address\":0,\"idle_seconds\":10,\"request_seconds\":20,"
				     "\"requests_per_host_per_minute\":0,\"threads\":4,\"queue\":10,\"batch\":5,"
				     "\"batch_wait_ms\":2}}",
				     &c, &err),
			 0);
	assert_string_equal(c.address, "10.0.0.1");
	assert_int_equal(c.port, 9443);
	assert_string_equal(c.tls_cert, "/c.pem");
	assert_string_equal(c.tls_key, "/k.pem");
	assert_string_equal(c.database, "postgresql://u@h/db");
	assert_int_equal(c.replay_window, 120);
	assert_int_equal(c.stale_days, 14);
	assert_true(c.sync_normal);
	assert_int_equal(c.limits.body_bytes, 1048576);
	assert_int_equal(c.limits.connections_per_address, 0);
	assert_int_equal(c.limits.threads, 4);
	assert_int_equal(c.limits.batch_wait_ms, 2);
	excise_serve_config_done(&c);

	excise_serve_config_init(&c);
	assert_int_equal(config_text("{\"limits\":{\"body_byte\":5}}", &c, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "c.json"));
	assert_non_null(strstr(err.msg, "body_byte"));
	assert_int_equal(config_text("{\"listen\":8443}", &c, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "/listen"));
	assert_int_equal(config_text("{\"listen\":\"x:99999\"}", &c, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "/listen"));
	assert_int_equal(config_text("{\"tls\":{\"cert\":\"/c\"}}", &c, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "/tls"));
	assert_int_equal(config_text("{\"plain_http\":true,\"tls\":{\"cert\":\"/c\",\"key\":\"/k\"}}", &c, &err),
			 -EXCISE_E_CORRUPT);
	excise_serve_config_done(&c);
	/* each limit at its ceiling, then past it */
	char text[256];
	excise_serve_config_init(&c);
	snprintf(text, sizeof(text), "{\"limits\":{\"body_bytes\":%u}}", EXCISE_MAX_SERVE_BODY_CEILING);
	assert_int_equal(config_text(text, &c, &err), 0);
	snprintf(text, sizeof(text), "{\"limits\":{\"body_bytes\":%u}}", EXCISE_MAX_SERVE_BODY_CEILING + 1);
	assert_int_equal(config_text(text, &c, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "/limits/body_bytes"));
	snprintf(text, sizeof(text), "{\"limits\":{\"header_bytes\":%u}}", EXCISE_MAX_SERVE_CONN_MEMORY / 2);
	assert_int_equal(config_text(text, &c, &err), 0);
	snprintf(text, sizeof(text), "{\"limits\":{\"header_bytes\":%u}}", EXCISE_MAX_SERVE_CONN_MEMORY / 2 + 1);
	assert_int_equal(config_text(text, &c, &err), -EXCISE_E_CORRUPT);
	snprintf(text, sizeof(text), "{\"limits\":{\"threads\":%u}}", EXCISE_MAX_SERVE_THREADS + 1);
	assert_int_equal(config_text(text, &c, &err), -EXCISE_E_CORRUPT);
	assert_int_equal(config_text("{\"limits\":{\"idle_seconds\":0}}", &c, &err), -EXCISE_E_CORRUPT);
	snprintf(text, sizeof(text), "{\"limits\":{\"pg_writers\":%u,\"rate_hosts\":%u}}", EXCISE_STORE_MAX_WRITERS,
		 EXCISE_MAX_SERVE_RATE_HOSTS);
	assert_int_equal(config_text(text, &c, &err), 0);
	assert_int_equal(c.limits.pg_writers, EXCISE_STORE_MAX_WRITERS);
	snprintf(text, sizeof(text), "{\"limits\":{\"pg_writers\":%u}}", EXCISE_STORE_MAX_WRITERS + 1);
	assert_int_equal(config_text(text, &c, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "/limits/pg_writers"));
	snprintf(text, sizeof(text), "{\"limits\":{\"rate_hosts\":%u}}", EXCISE_MAX_SERVE_RATE_HOSTS + 1);
	assert_int_equal(config_text(text, &c, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "/limits/rate_hosts"));
	assert_int_equal(config_text("{\"limits\":{\"rate_hosts\":0}}", &c, &err), -EXCISE_E_CORRUPT);
	excise_serve_config_done(&c);
	/* the file itself: at most EXCISE_MAX_SERVE_CONFIG bytes */
	size_t n = EXCISE_MAX_SERVE_CONFIG + 1;
	char *huge = malloc(n);
	assert_non_null(huge);
	memset(huge, ' ', n);
	huge[0] = '{';
	huge[n - 1] = '}';
	write_file(path_of("huge.json"), huge, n, 0644);
	free(huge);
	excise_serve_config_init(&c);
	assert_int_equal(excise_serve_config_read(&c, path_of("huge.json"), &err), -EXCISE_E_TOOBIG);
	assert_int_equal(excise_serve_config_read(&c, path_of("absent.json"), &err), -ENOENT);
	excise_serve_config_done(&c);
}

static void test_prepare(void **state)
{
	(void)state;
	struct excise_serve_config c;
	struct excise_err err = { 0 };
	excise_serve_config_init(&c);
	c.state_dir = strdup(path_of("state/sub"));
	bool made = false;
	assert_int_equal(excise_serve_prepare(&c, &made, &err), 0);
	assert_true(made);
	struct stat st;
	assert_int_equal(stat(c.state_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(c.master_key_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(stat(c.tls_key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(strstr(c.database, "collector.db"));
	uint8_t k1[32], k2[32];
	assert_int_equal(excise_serve_master_key(c.master_key_file, k1, &err), 0);
	char *cert = NULL, *key = NULL;
	assert_int_equal(excise_serve_pem_pair(c.tls_cert, c.tls_key, &cert, &key, &err), 0);
	assert_non_null(strstr(cert, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(key, "PRIVATE KEY"));
	/* again: nothing made anew */
	struct excise_serve_config c2;
	excise_serve_config_init(&c2);
	c2.state_dir = strdup(c.state_dir);
	assert_int_equal(excise_serve_prepare(&c2, &made, &err), 0);
	assert_false(made);
	assert_int_equal(excise_serve_master_key(c2.master_key_file, k2, &err), 0);
	assert_memory_equal(k1, k2, 32);
	char *cert2 = NULL, *key2 = NULL;
	assert_int_equal(excise_serve_pem_pair(c2.tls_cert, c2.tls_key, &cert2, &key2, &err), 0);
	assert_string_equal(cert, cert2);
	free(cert2), free(key2);
	excise_serve_config_done(&c2);

	/* a key that is not the certificate's */
	const char *other_cert = path_of("o.pem"), *other_key = path_of("o.key");
	assert_int_equal(excise_serve_cert_generate(other_cert, other_key, "a b", &err), 0);
	assert_int_equal(excise_serve_pem_pair(c.tls_cert, other_key, &cert2, &key2, &err), -EXCISE_E_CORRUPT);
	assert_non_null(strstr(err.msg, "is not the key of the certificate"));
	assert_null(cert2);
	assert_int_equal(excise_serve_pem_pair(path_of("none.pem"), other_key, &cert2, &key2, &err), -ENOENT);
	write_file(path_of("junk.pem"), "junk\n", 5, 0644);
	assert_int_equal(excise_serve_pem_pair(path_of("junk.pem"), other_key, &cert2, &key2, &err),
			 -EXCISE_E_UNSUPPORTED);
	/* a PEM file at most EXCISE_MAX_SERVE_PEM bytes */
	size_t n = EXCISE_MAX_SERVE_PEM + 1;
	char *huge = malloc(n);
	assert_non_null(huge);
	memset(huge, 'A', n);
	write_file(path_of("huge.pem"), huge, n, 0644);
	free(huge);
	assert_int_equal(excise_serve_pem_pair(path_of("huge.pem"), other_key, &cert2, &key2, &err), -EXCISE_E_TOOBIG);

	/* the master key: 32 bytes, readable by its owner only */
	chmod(c.master_key_file, 0640);
	assert_int_equal(excise_serve_master_key(c.master_key_file, k2, &err), -EXCISE_E_REFUSED);
	write_file(path_of("short.key"), "0123456789012345678901234567890", 31, 0600);
	assert_int_equal(excise_serve_master_key(path_of("short.key"), k2, &err), -EXCISE_E_CORRUPT);

	/* plain HTTP: no certificate; half a pair is refused */
	struct excise_serve_config c3;
	excise_serve_config_init(&c3);
	c3.state_dir = strdup(path_of("plain"));
	c3.plain_http = true;
	assert_int_equal(excise_serve_prepare(&c3, &made, &err), 0);
	assert_false(made);
	assert_null(c3.tls_cert);
	free(c3.tls_key);
	c3.tls_key = strdup("/k");
	c3.plain_http = false;
	assert_int_equal(excise_serve_prepare(&c3, &made, &err), -EXCISE_E_USAGE);
	excise_serve_config_done(&c3);
	free(cert), free(key);
	excise_serve_config_done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_headers_limit),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_host_id),
		cmocka_unit_test(test_enroll),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_prepare),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
