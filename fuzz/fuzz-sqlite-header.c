/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the SQLite header check (lib/parse/sqlitedb.c
 * sqlitedb_check_header) the rpm source runs on an image's rpmdb.sqlite before
 * librpm opens it. Input: 8 bytes of file size (little-endian), one byte whose
 * low bit says whether a -wal lies beside it, then the file's first bytes (the
 * header is its first 100; fewer is a short file). An accepted header must be
 * one SQLite would accept as far as the check goes; a refusal must say why.
 */
#include <stdbool.h>
#include <string.h>

#include "core/err.h"
#include "fuzz.h"
#include "parse/sqlitedb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 9 || size > 9 + 65536)
		return 0;
	uint64_t fsize = 0;
	for (int i = 7; i >= 0; i--)
		fsize = fsize << 8 | data[i];
	bool wal = data[8] & 1;
	const unsigned char *h = data + 9;
	size_t hlen = size - 9;
	struct excise_err err = { 0 };
	int r = sqlitedb_check_header("rpmdb.sqlite", "SQLite RPM database", h, hlen, fsize, wal, &err);
	if (r < 0) {
		if (r != -EXCISE_E_CORRUPT || err.code != r || !strstr(err.msg, "'rpmdb.sqlite': corrupt"))
			__builtin_trap();
		return 0;
	}
	if (r != 0)
		__builtin_trap();
	if (fsize == 0 && wal)
		return 0;
	if (hlen < 100 || memcmp(h, "SQLite format 3", 16) != 0)
		__builtin_trap();
	uint32_t ps = (uint32_t)h[16] << 8 | h[17];
	ps = ps == 1 ? 65536 : ps;
	if (ps < 512 || ps > 65536 || (ps & (ps - 1)) || fsize % ps)
		__builtin_trap();
	return 0;
}
