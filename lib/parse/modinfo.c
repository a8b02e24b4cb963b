/* SPDX-License-Identifier: Apache-2.0 */
/* modinfo: kernel module information through libkmod (see modinfo.h). */
#include "parse/modinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libkmod.h>

#include "core/limits.h"
#include "excise/error.h"

/* A field of `n` bytes at `off` of an ELF file of byte order `big`. */
static uint64_t elf_get(const unsigned char *b, size_t off, unsigned n, bool big)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[off + i] << (8 * (big ? n - 1 - i : i));
	return v;
}

/*
 * libkmod makes one list entry (and copies) per string of .modinfo, however many
 * there are: a section of millions of strings costs gigabytes. A section of more
 * than EXCISE_MAX_MODINFO_STRINGS strings is refused before libkmod sees it.
 */
static int modinfo_count(int fd, uint64_t off, uint64_t len)
{
	unsigned char buf[1 << 14];
	uint64_t n = 0;
	bool in = false;
	for (uint64_t pos = 0; pos < len;) {
		size_t want = len - pos < sizeof(buf) ? (size_t)(len - pos) : sizeof(buf);
		ssize_t k = pread(fd, buf, want, (off_t)(off + pos));
		if (k <= 0)
			return -EXCISE_E_CORRUPT;
		for (ssize_t i = 0; i < k; i++) {
			if (buf[i] && !in)
				n++;
			in = buf[i] != 0;
		}
		if (n > EXCISE_MAX_MODINFO_STRINGS)
			return -EXCISE_E_LIMIT;
		pos += (uint64_t)k;
	}
	return 0;
}

/*
 * libkmod trusts the ELF structure it is given (an out-of-range section index
 * is an assert(), which aborts the process). So the file's header and section
 * table are checked here first: every section the table names lies inside the
 * file, and the section-name table exists.
 */
static int elf_check(int fd, uint64_t size)
{
	unsigned char h[64];
	if (size < 52 || pread(fd, h, sizeof(h), 0) < 52)
		return -EXCISE_E_CORRUPT;
	bool is64 = h[4] == 2, big = h[5] == 2;
	if ((h[4] != 1 && h[4] != 2) || (h[5] != 1 && h[5] != 2) || (is64 && size < 64))
		return -EXCISE_E_CORRUPT;
	uint64_t shoff = elf_get(h, is64 ? 0x28 : 0x20, is64 ? 8 : 4, big);
	unsigned shentsize = (unsigned)elf_get(h, is64 ? 0x3a : 0x2e, 2, big);
	unsigned shnum = (unsigned)elf_get(h, is64 ? 0x3c : 0x30, 2, big);
	unsigned shstrndx = (unsigned)elf_get(h, is64 ? 0x3e : 0x32, 2, big);
	unsigned want = is64 ? 64 : 40;
	if (shentsize != want || shnum == 0 || shnum > EXCISE_MAX_ELF_SECTIONS || shstrndx == 0 ||
	    shstrndx >= shnum ||
	    shoff > size || (uint64_t)shnum * want > size - shoff)
		return -EXCISE_E_CORRUPT;
	unsigned char sh[64];
	uint64_t names_off = 0, names_len = 0;
	if (pread(fd, sh, want, (off_t)(shoff + (uint64_t)shstrndx * want)) != (ssize_t)want)
		return -EXCISE_E_CORRUPT;
	names_off = elf_get(sh, is64 ? 0x18 : 0x10, is64 ? 8 : 4, big);
	names_len = elf_get(sh, is64 ? 0x20 : 0x14, is64 ? 8 : 4, big);
	if (names_off > size || names_len > size - names_off)
		return -EXCISE_E_CORRUPT;
	for (unsigned i = 0; i < shnum; i++) {
		if (pread(fd, sh, want, (off_t)(shoff + (uint64_t)i * want)) != (ssize_t)want)
			return -EXCISE_E_CORRUPT;
		uint32_t name = (uint32_t)elf_get(sh, 0, 4, big);
		uint32_t type = (uint32_t)elf_get(sh, 4, 4, big);
		uint64_t off = elf_get(sh, is64 ? 0x18 : 0x10, is64 ? 8 : 4, big);
		uint64_t len = elf_get(sh, is64 ? 0x20 : 0x14, is64 ? 8 : 4, big);
		uint32_t link = (uint32_t)elf_get(sh, is64 ? 0x28 : 0x18, 4, big);
		if (type != 8 /* SHT_NOBITS */ && (off > size || len > size - off))
			return -EXCISE_E_CORRUPT;
		if (link >= shnum)
			return -EXCISE_E_CORRUPT;
		char nm[sizeof(".modinfo")];
		if (type != 8 && name < names_len && names_len - name >= sizeof(nm) &&
		    pread(fd, nm, sizeof(nm), (off_t)(names_off + name)) == (ssize_t)sizeof(nm) &&
		    memcmp(nm, ".modinfo", sizeof(nm)) == 0) {
			int e = modinfo_count(fd, off, len);
			if (e < 0)
				return e;
		}
	}
	return 0;
}

/* libkmod logs through syslog-like callbacks by default: keep the library silent. */
static void quiet(void *data, int priority, const char *file, int line, const char *fn,
		  const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line, (void)fn, (void)format, (void)args;
}

int modinfo_read_fd(int fd, modinfo_fn fn, void *userdata)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((unsigned long long)st.st_size > EXCISE_MAX_KMOD_SIZE)
		return -EXCISE_E_TOOBIG;
	unsigned char magic[4];
	ssize_t got = pread(fd, magic, sizeof(magic), 0);
	if (got < 0)
		return -errno;
	if (got != sizeof(magic) || memcmp(magic, "\x7f" "ELF", 4) != 0)
		return -EXCISE_E_UNSUPPORTED;
	int e = elf_check(fd, (uint64_t)st.st_size);
	if (e < 0)
		return e;
	/* No module directory and no configuration: only the file is read. */
	static const char *const no_config[] = { NULL };
	struct kmod_ctx *ctx = kmod_new("/nonexistent-excise-modules", no_config);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, quiet, NULL);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct kmod_module *mod = NULL;
	int r = kmod_module_new_from_path(ctx, path, &mod);
	if (r < 0) {
		kmod_unref(ctx);
		return r == -ENOMEM ? r : -EXCISE_E_CORRUPT;
	}
	struct kmod_list *list = NULL, *l;
	r = kmod_module_get_info(mod, &list);
	if (r < 0) {
		r = r == -ENOMEM ? r : -EXCISE_E_CORRUPT;
	} else {
		unsigned n = 0;
		r = 0;
		kmod_list_foreach(l, list) {
			if (r < 0 || n++ >= EXCISE_MAX_MODINFO_KEYS)
				break;
			const char *k = kmod_module_info_get_key(l), *v = kmod_module_info_get_value(l);
			if (k && v)
				r = fn(userdata, k, v);
		}
		kmod_module_info_free_list(list);
	}
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return r;
}
