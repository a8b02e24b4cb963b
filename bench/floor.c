/* SPDX-License-Identifier: Apache-2.0 */
/*
 * floor: the bare lower bound for the full walk, for bench/run.py. Two threads
 * share a stack of directory paths, read each with getdents64 (64 KiB buffer),
 * and test every name against the benchmark patterns: exact names in a hash
 * set, globs by their literal prefix (then fnmatch). No confinement, no fd
 * cache, no reporting: prints the number of entries and of matching names.
 *
 *   floor PATTERNS_FILE DIR [THREADS]
 */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct d64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

#define HSIZE 1024u
static const char *exact[HSIZE];
static char *globs[256];
static size_t prefix_len[256], n_globs;
static uint64_t first2[65536 / 64]; /* first two bytes of every key */

static char **stack;
static size_t n_stack, cap_stack;
static unsigned active;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_ulong entries, matches;

static uint32_t fnv(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static unsigned key2(const char *s, size_t n)
{
	return ((unsigned)(unsigned char)s[0] << 8) | (n > 1 ? (unsigned char)s[1] : 0);
}

static void add_first2(const char *s, size_t n)
{
	if (n >= 2) {
		unsigned k = key2(s, n);
		first2[k >> 6] |= 1ull << (k & 63);
	} else {
		for (unsigned b = 0; b < 256; b++) {
			unsigned k = ((unsigned)(unsigned char)s[0] << 8) | b;
			first2[k >> 6] |= 1ull << (k & 63);
		}
	}
}

static int match(const char *s, size_t n)
{
	unsigned k = key2(s, n);
	if (!(first2[k >> 6] & (1ull << (k & 63))))
		return 0;
	for (uint32_t h = fnv(s, n) & (HSIZE - 1); exact[h]; h = (h + 1) & (HSIZE - 1))
		if (strcmp(exact[h], s) == 0)
			return 1;
	for (size_t i = 0; i < n_globs; i++)
		if (n >= prefix_len[i] && memcmp(s, globs[i], prefix_len[i]) == 0 &&
		    fnmatch(globs[i], s, 0) == 0)
			return 1;
	return 0;
}

static void push(char *p)
{
	if (n_stack == cap_stack) {
		cap_stack = cap_stack ? cap_stack * 2 : 1024;
		stack = realloc(stack, cap_stack * sizeof(*stack));
		if (!stack)
			abort();
	}
	stack[n_stack++] = p;
}

static void *worker(void *arg)
{
	(void)arg;
	char *buf = malloc(1 << 16);
	pthread_mutex_lock(&mu);
	for (;;) {
		if (!n_stack) {
			if (!active)
				break;
			pthread_cond_wait(&cv, &mu);
			continue;
		}
		char *dir = stack[--n_stack];
		active++;
		pthread_mutex_unlock(&mu);
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		unsigned long ne = 0, nm = 0;
		size_t dl = strlen(dir);
		char **kids = NULL;
		size_t nk = 0;
		long k;
		while (fd >= 0 && (k = syscall(SYS_getdents64, fd, buf, 1 << 16)) > 0) {
			for (long off = 0; off < k;) {
				struct d64 *d = (struct d64 *)(buf + off);
				off += d->reclen;
				if (d->name[0] == '.' && (!d->name[1] || (d->name[1] == '.' && !d->name[2])))
					continue;
				size_t n = strlen(d->name);
				ne++;
				nm += (unsigned long)match(d->name, n);
				if (d->type == DT_DIR) {
					char *p = malloc(dl + n + 2);
					memcpy(p, dir, dl);
					p[dl] = '/';
					memcpy(p + dl + 1, d->name, n + 1);
					kids = realloc(kids, (nk + 1) * sizeof(*kids));
					kids[nk++] = p;
				}
			}
		}
		if (fd >= 0)
			close(fd);
		free(dir);
		atomic_fetch_add(&entries, ne);
		atomic_fetch_add(&matches, nm);
		pthread_mutex_lock(&mu);
		for (size_t i = nk; i-- > 0;)
			push(kids[i]);
		free(kids);
		active--;
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&mu);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: floor PATTERNS DIR [THREADS]\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f)
		return 2;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		size_t lit = strcspn(line, "*?[");
		char *p = strdup(line);
		if (line[lit] == 0) {
			uint32_t h = fnv(p, lit) & (HSIZE - 1);
			while (exact[h])
				h = (h + 1) & (HSIZE - 1);
			exact[h] = p;
		} else if (n_globs < 256) {
			prefix_len[n_globs] = lit;
			globs[n_globs++] = p;
		}
		add_first2(p, lit ? lit : 1);
		if (lit == 0) /* no literal prefix: every name must be tried */
			memset(first2, 0xff, sizeof(first2));
	}
	fclose(f);
	unsigned nt = argc > 3 ? (unsigned)atoi(argv[3]) : 2;
	push(strdup(argv[2]));
	pthread_t t[64];
	for (unsigned i = 0; i < nt && i < 64; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (unsigned i = 0; i < nt && i < 64; i++)
		pthread_join(t[i], NULL);
	printf("%lu entries %lu matches\n", atomic_load(&entries), atomic_load(&matches));
	free(stack);
	return 0;
}
