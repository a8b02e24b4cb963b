/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet-fill: the e2e tests' way to build a fleet through the storage API
 * (include/excise/store.h) exactly as the collector does, without HTTP:
 *
 *   fleet-fill DB enroll ORG_UNIT HOSTNAME MACHINE_ID PLATFORM   prints the host id
 *   fleet-fill DB submit HOST_ID FILE...                          prints "stored KIND" or "duplicate KIND"
 *   fleet-fill DB retire HOST REASON | exempt HOST DIRECTIVE REASON APPROVER EXPIRES
 *   fleet-fill DB expect CSV_FILE | start DIRECTIVE UNIX_SECONDS
 *
 * DB is a SQLite path or a postgresql:// URL; the master key is a fixed test key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "excise/excise.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *p = NULL;
	size_t cap = 0, n = 0, k;
	char chunk[65536];
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (n + k + 1 > cap) {
			cap = (n + k + 1) * 2;
			char *np = realloc(p, cap);
			if (!np) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = np;
		}
		memcpy(p + n, chunk, k);
		n += k;
	}
	fclose(f);
	if (!p)
		p = calloc(1, 1);
	*len = n;
	return p;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: fleet-fill DB enroll|submit|retire|exempt|expect|start ...\n");
		return 2;
	}
	static const uint8_t key[32] = { 0x42, 0x42, 0x42, 0x42 };
	struct excise_catalog *cat = NULL;
	struct excise_store *st = NULL;
	struct excise_err err = { 0 };
	int64_t now = (int64_t)time(NULL);
	int rc = 0;
	if (excise_catalog_load_embedded(&cat, &err) < 0 ||
	    excise_store_open(argv[1], &(struct excise_store_opts){ .catalog = cat, .master_key = key }, &st, &err) < 0) {
		fprintf(stderr, "fleet-fill: %s\n", err.msg);
		excise_catalog_free(cat);
		return 2;
	}
	const char *cmd = argv[2];
	if (!strcmp(cmd, "enroll") && argc == 7) {
		char *secret = NULL, *sid = NULL, *host = NULL;
		uint8_t hk[EXCISE_HOST_KEY_BYTES];
		if (excise_store_secret_create(st, argv[3], now + 3600, "e2e", now, &secret, &sid, &err) < 0 ||
		    excise_store_enroll(st,
					&(struct excise_enroll_req){ .secret = secret, .machine_id = argv[5],
								     .hostname = argv[4], .platform = argv[6],
								     .os = "test", .version = excise_version() },
					now, &host, hk, &err) < 0)
			rc = 2;
		else
			printf("%s\n", host);
		free(secret);
		free(sid);
		free(host);
	}
	else if (!strcmp(cmd, "submit") && argc >= 5) {
		for (int i = 4; i < argc && !rc; i++) {
			size_t len = 0;
			char *body = slurp(argv[i], &len);
			struct excise_submit_result res;
			if (!body) {
				snprintf(err.msg, sizeof(err.msg), "cannot read '%s'", argv[i]);
				rc = 2;
			}
			else if (excise_store_submit(st, argv[3], body, len, now, &res, &err) < 0)
				rc = 2;
			else
				printf("%s %s\n", res.status == EXCISE_SUBMIT_STORED ? "stored" : "duplicate", res.kind);
			free(body);
		}
	}
	else if (!strcmp(cmd, "retire") && argc == 5)
		rc = excise_store_host_retire(st, argv[3], argv[4], "e2e", now, &err) < 0 ? 2 : 0;
	else if (!strcmp(cmd, "exempt") && argc == 8)
		rc = excise_store_exempt(st, argv[3], argv[4], argv[5], argv[6], strtoll(argv[7], NULL, 10), now, NULL,
					 &err) < 0 ? 2 : 0;
	else if (!strcmp(cmd, "expect") && argc == 4) {
		size_t len = 0, rows = 0;
		char **problems = NULL;
		char *csv = slurp(argv[3], &len);
		rc = !csv || excise_store_inventory_import(st, csv, len, "e2e", now, &rows, &problems, &err) < 0 ? 2 : 0;
		free(csv);
		for (char **p = problems; p && *p; p++)
			free(*p);
		free(problems);
	}
	else if (!strcmp(cmd, "start") && argc == 5)
		rc = excise_store_directive_start(st, argv[3], strtoll(argv[4], NULL, 10), "e2e", now, &err) < 0 ? 2 : 0;
	else {
		snprintf(err.msg, sizeof(err.msg), "bad command");
		rc = 2;
	}
	if (rc)
		fprintf(stderr, "fleet-fill: %s\n", err.msg);
	excise_store_close(st);
	excise_catalog_free(cat);
	return rc;
}
