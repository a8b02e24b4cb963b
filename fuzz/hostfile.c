/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hostfile: the fuzz input as a regular file (fuzz/hostfile.h). One file per process
 * under $TMPDIR (default /tmp), made with mkstemp, truncated and written again for
 * each input, removed at exit.
 */
#include "hostfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4096];
static int fd = -1;

static void hostfile_remove(void)
{
	if (fd >= 0)
		unlink(path);
}

const char *fuzz_hostfile(const uint8_t *data, size_t size)
{
	if (fd < 0) {
		const char *dir = getenv("TMPDIR");
		snprintf(path, sizeof(path), "%s/excise-fuzz-XXXXXX", dir && *dir ? dir : "/tmp");
		if ((fd = mkstemp(path)) < 0)
			return NULL;
		atexit(hostfile_remove);
	}
	if (ftruncate(fd, 0) < 0)
		return NULL;
	size_t done = 0;
	while (done < size) {
		ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
		if (w <= 0)
			return NULL;
		done += (size_t)w;
	}
	return path;
}
