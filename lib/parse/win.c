/* SPDX-License-Identifier: Apache-2.0 */
/* win: Windows paths inside a root (see win.h). */
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "parse/win.h"

int win_hive_open(const struct root *r, const char *path, struct hive **ret, char **ret_path,
		  struct excise_err *err)
{
	_cleanup_free_ char *real = NULL;
	int k = root_resolve_nocase(r, path, &real);
	if (k == -ENOENT)
		return -EXCISE_E_ABSENT;
	if (k < 0)
		return err_setc(err, k, "hive '%s'", path);
	if ((k = hive_open_root(r, real, ret, err)) < 0)
		return k;
	if (ret_path)
		*ret_path = TAKE_PTR(real);
	return 0;
}

char *win_root_path(const char *image)
{
	const char *s = image;
	if (strncmp(s, "\\??\\", 4) == 0)
		s += 4;
	if (((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z') && s[1] == ':')
		s += 2;
	struct buf b;
	buf_init(&b, EXCISE_MAX_HIVE_STRING_LEN + 16);
	if (strncasecmp(s, "\\SystemRoot\\", 12) == 0) {
		buf_adds(&b, "\\Windows\\");
		s += 12;
	} else if (s[0] != '\\') {
		buf_adds(&b, "\\Windows\\");
	}
	buf_adds(&b, s);
	char *out = NULL;
	if (buf_take(&b, &out) < 0)
		return NULL;
	for (char *p = out; *p; p++)
		if (*p == '\\')
			*p = '/';
	return out;
}
