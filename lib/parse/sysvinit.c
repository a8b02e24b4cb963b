/* SPDX-License-Identifier: Apache-2.0 */
/* sysvinit: the LSB header and DAEMON= line of an init script (sysvinit.h). */
#include "parse/sysvinit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse/keyfile.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The n bytes at p up to the first NUL, as a string. Not strndup: the script need not
 * end in a NUL, and nothing past its n bytes may be looked at. */
static char *dup_bytes(const char *p, size_t n)
{
	const char *z = memchr(p, 0, n);
	if (z)
		n = (size_t)(z - p);
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

/* The value of a header line "# Key: value" starting at `line` (len bytes), or NULL. */
static char *lsb_value(const char *line, size_t len, const char *key, int *err)
{
	if (len == 0 || line[0] != '#')
		return NULL;
	size_t i = 1;
	while (i < len && blank(line[i]))
		i++;
	size_t kl = strlen(key);
	if (len - i < kl || strncasecmp(line + i, key, kl) != 0)
		return NULL;
	i += kl;
	while (i < len && blank(line[i]))
		i++;
	const char *nul = memchr(line + i, 0, len - i); /* a NUL ends the value, as it ends a string */
	size_t end = nul ? (size_t)(nul - line) : len;
	while (end > i && (blank(line[end - 1]) || line[end - 1] == '\r'))
		end--;
	if (end == i)
		return NULL;
	char *v = dup_bytes(line + i, end - i);
	if (!v)
		*err = -ENOMEM;
	return v;
}

static int on_daemon(void *ud, const char *section, const char *key, const char *value)
{
	(void)section;
	char **out = ud;
	if (strcmp(key, "DAEMON") == 0 && !*out && value[0]) {
		*out = strdup(value);
		if (!*out)
			return -ENOMEM;
	}
	return 0;
}

int sysvinit_scan(const char *data, size_t len, struct sysvinit_info *si)
{
	char *longdesc = NULL;
	int err = 0;
	const char *p = data, *end = data + len;
	while (p < end && !err) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (!si->description)
			si->description = lsb_value(p, n, "Short-Description:", &err);
		if (!longdesc && !err)
			longdesc = lsb_value(p, n, "Description:", &err);
		if (!si->daemon && !err) {
			size_t i = 0;
			while (i < n && blank(p[i])) /* within the line: the data need not end in a NUL */
				i++;
			if (n - i > 7 && strncmp(p + i, "DAEMON=", 7) == 0) {
				/* One line as a shell assignment; a line that is not one is ignored. */
				int r = keyfile_parse_env(p + i, n - i, NULL, on_daemon, &si->daemon, NULL);
				if (r == -ENOMEM)
					err = r;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!si->description && !err)
		si->description = longdesc;
	else
		free(longdesc);
	return err;
}

void sysvinit_info_done(struct sysvinit_info *si)
{
	free(si->description);
	free(si->daemon);
	*si = (struct sysvinit_info){ 0 };
}
