/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replay driver: runs a fuzz target over every file named on the command line
 * (directories are read one level deep), so the corpora under tests/fuzz/ run in
 * the normal test suite without libFuzzer. Prints TAP.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path, int *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("not ok %d - %s: cannot open\n", ++*n, path);
		return 1;
	}
	size_t cap = 1 << 16, len = 0;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			break;
		if (len == cap) {
			cap *= 2;
			unsigned char *q = realloc(buf, cap);
			if (!q) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = q;
		}
		size_t k = fread(buf + len, 1, cap - len, f);
		if (k == 0)
			break;
		len += k;
	}
	fclose(f);
	if (!buf) {
		printf("not ok %d - %s: out of memory\n", ++*n, path);
		return 1;
	}
	/* Hand the target an exactly-sized copy so ASan sees overreads. */
	unsigned char *exact = malloc(len ? len : 1);
	if (exact && len)
		memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	printf("ok %d - %s\n", ++*n, path);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int n = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			printf("not ok %d - %s: missing\n", ++n, argv[i]);
			bad++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad += run_file(argv[i], &n);
			continue;
		}
		DIR *d = opendir(argv[i]);
		if (!d) {
			printf("not ok %d - %s: cannot open\n", ++n, argv[i]);
			bad++;
			continue;
		}
		char **names = NULL;
		size_t nn = 0;
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char **q = realloc(names, (nn + 1) * sizeof(*names));
			if (!q)
				break;
			names = q;
			size_t l = strlen(argv[i]) + strlen(e->d_name) + 2;
			names[nn] = malloc(l);
			if (!names[nn])
				break;
			snprintf(names[nn++], l, "%s/%s", argv[i], e->d_name);
		}
		closedir(d);
		qsort(names, nn, sizeof(*names), cmp);
		for (size_t j = 0; j < nn; j++) {
			bad += run_file(names[j], &n);
			free(names[j]);
		}
		free(names);
	}
	printf("1..%d\n", n);
	return bad ? 1 : 0;
}
