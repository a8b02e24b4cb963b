/* SPDX-License-Identifier: Apache-2.0 */
/* host: the facts that identify the scanned system (hostname, OS, machine id). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/root.h"
#include "core/text.h"
#include "parse/keyfile.h"
#include "parse/rpmdb.h"
#include "scan/scan_int.h"

/* A host fact's file there but not read (a device, a FIFO, a directory, too big, a link
 * loop): said in the report. An absent file is not worth a word. 0 or -ENOMEM. */
static int note(struct host_notes *notes, const char *path, const char *what, int e)
{
	if (e == -ENOMEM)
		return e;
	if (e == -ENOENT || notes->n == ARRAY_SIZE(notes->msg))
		return 0;
	snprintf(notes->msg[notes->n++], sizeof(notes->msg[0]), "'%s': cannot read the %s: %s", path, what,
		 excise_strerror(e));
	return 0;
}

int host_note(struct host_notes *notes, const char *fmt, ...)
{
	if (notes->n == ARRAY_SIZE(notes->msg))
		return 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(notes->msg[notes->n++], sizeof(notes->msg[0]), fmt, ap);
	va_end(ap);
	return 0;
}

bool host_guid(const char *s, bool upper, char out[HOST_GUID_LEN + 1])
{
	static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	if (!s || strlen(s) != HOST_GUID_LEN)
		return false;
	for (size_t i = 0; i < HOST_GUID_LEN; i++) {
		unsigned char c = (unsigned char)s[i];
		if (form[i] == '-' ? c != '-' : !isxdigit(c))
			return false;
		out[i] = (char)(upper ? toupper(c) : tolower(c));
	}
	out[HOST_GUID_LEN] = 0;
	return true;
}

/* First line of a small file inside the root, stripped; NULL when absent or empty. */
static int read_line(const struct root *r, const char *path, const char *what, struct host_notes *notes,
		     char **ret)
{
	_cleanup_free_ char *data = NULL;
	*ret = NULL;
	int e = root_read_file(r, path, 4096, &data, NULL);
	if (e < 0)
		return note(notes, path, what, e);
	data[strcspn(data, "\r\n")] = 0;
	char *s = strip(data);
	if (!*s || !utf8_valid(s, strlen(s)))
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

struct osrel {
	char *pretty, *id, *name;
	int err;
};

static int osrel_field(void *ud, const char *section, const char *key, const char *value)
{
	struct osrel *o = ud;
	(void)section;
	char **slot = strcmp(key, "PRETTY_NAME") == 0 ? &o->pretty
		    : strcmp(key, "ID") == 0	      ? &o->id
		    : strcmp(key, "NAME") == 0	      ? &o->name
						      : NULL;
	if (!slot || *slot || !utf8_valid(value, strlen(value)))
		return 0;
	*slot = strdup(value);
	if (!*slot)
		o->err = -ENOMEM;
	return 0;
}

/* A regular file at `path`, its components matched without regard to case. */
static bool has_file_nocase(const struct root *r, const char *path)
{
	_cleanup_free_ char *real = NULL;
	struct stat st;
	/* A symlink counts: the source that reads the file then reports it (never followed
	 * out of the root), rather than the root silently passing for another platform. */
	return root_resolve_nocase(r, path, &real) == 0 && root_lstat(r, real, &st) == 0 &&
	       (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode));
}

/* Linux's markers: an os-release file, a dpkg status file, an RPM database. */
static bool has_linux_marks(const struct root *r)
{
	static const char *const marks[] = { "/etc/os-release", "/usr/lib/os-release", "/var/lib/dpkg/status" };
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++) {
		struct stat st;
		if (root_lstat(r, marks[i], &st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
			return true;
	}
	return rpmdb_dir(r) != NULL;
}

unsigned host_platform_marks(const struct root *r)
{
	if (r->live)
		return HOST_LINUX;
	unsigned m = 0;
	if (has_linux_marks(r))
		m |= HOST_LINUX;
	if (has_file_nocase(r, "/Windows/System32/config/SOFTWARE"))
		m |= HOST_WINDOWS;
	if (has_file_nocase(r, "/System/Library/CoreServices/SystemVersion.plist"))
		m |= HOST_MACOS;
	return m;
}

/* The platforms of `marks`, the primary first (see scan_int.h), into `out`. */
static void platform_list(unsigned marks, char out[32])
{
	static const struct { unsigned bit; const char *name; } order[] = {
		{ HOST_LINUX, "linux" }, { HOST_WINDOWS, "windows" }, { HOST_MACOS, "macos" },
	};
	out[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (marks & order[i].bit) {
			if (out[0])
				strcat(out, ",");
			strcat(out, order[i].name);
		}
	if (!out[0])
		strcpy(out, "linux");
}

const char *host_platform(const struct root *r)
{
	unsigned m = host_platform_marks(r);
	return (m & HOST_LINUX) || !m ? "linux" : (m & HOST_WINDOWS) ? "windows" : "macos";
}

bool host_recognised(const struct root *r)
{
	return r->live || host_platform_marks(r) != 0;
}

int host_read(const struct root *r, struct excise_host *h, struct host_notes *notes)
{
	*h = (struct excise_host){ 0 };
	notes->n = 0;
	int e = 0;
	h->live = r->live;
	char list[32];
	platform_list(host_platform_marks(r), list);
	h->root = strdup(r->path);
	h->platforms = strdup(list);
	h->platform = strndup(list, strcspn(list, ","));
	if (!h->root || !h->platform || !h->platforms)
		return -ENOMEM;
	if (r->live) {
		char name[256];
		if (gethostname(name, sizeof(name) - 1) == 0) {
			name[sizeof(name) - 1] = 0;
			h->hostname = strdup_or_null(name, &e);
		}
	}
	if (strcmp(h->platform, "windows") == 0 && !r->live) {
		/* an offline Windows root: the facts are in its SYSTEM and SOFTWARE hives */
		if ((e = host_read_windows(r, h, notes)) < 0)
			return e;
		if (!(h->os_id = strdup("windows")))
			return -ENOMEM;
		if (!h->hostname && (h->hostname = strdup("")) == NULL)
			return -ENOMEM;
		return 0;
	}
	if (!h->hostname && (e = read_line(r, "/etc/hostname", "host name", notes, &h->hostname)) < 0)
		return e;
	if ((e = read_line(r, "/etc/machine-id", "machine id", notes, &h->machine_id)) < 0)
		return e;
	static const char *const osrel_paths[] = { "/etc/os-release", "/usr/lib/os-release" };
	for (size_t i = 0; i < ARRAY_SIZE(osrel_paths); i++) {
		_cleanup_free_ char *data = NULL;
		size_t len;
		if ((e = root_read_file(r, osrel_paths[i], EXCISE_MAX_TEXT_FILE_SIZE, &data, &len)) < 0) {
			if ((e = note(notes, osrel_paths[i], "OS release", e)) < 0)
				return e;
			continue;
		}
		struct osrel o = { 0 };
		/* A malformed line does not hide the rest; the parser keeps going. */
		int pr = keyfile_parse_env(data, len, osrel_paths[i], osrel_field, &o, NULL);
		(void)pr;
		h->os = o.pretty ? o.pretty : o.name;
		if (o.pretty)
			free(o.name);
		h->os_id = o.id;
		if (o.err)
			return o.err;
		break;
	}
	if (strcmp(h->platform, "macos") == 0 && (e = host_read_macos(r, h, notes)) < 0)
		return e;
	if (!h->hostname && (h->hostname = strdup("")) == NULL)
		return -ENOMEM;
	return 0;
}
