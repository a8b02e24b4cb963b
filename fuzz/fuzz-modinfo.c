/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the kernel-module reader (lib/parse/modinfo.c over libkmod).
 * Input: the bytes of a .ko file, given to the reader as a memfd, as the kmod
 * source gives it an fd opened inside the root. Every key and value handed
 * out is read whole.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "excise/error.h"
#include "fuzz.h"
#include "parse/modinfo.h"

#define FUZZ_MAX_INPUT (1u << 20)

static int on_key(void *ud, const char *key, const char *value)
{
	size_t *sum = ud;
	*sum += strlen(key) + strlen(value);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	int fd = memfd_create("fuzz-modinfo", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	size_t sum = 0;
	int r = modinfo_read_fd(fd, on_key, &sum);
	if (r > 0 || (size < 4 && r != -EXCISE_E_UNSUPPORTED))
		__builtin_trap();
	close(fd);
	return 0;
}
