/* SPDX-License-Identifier: Apache-2.0 */
/* imagepath: the candidate programs of a service's ImagePath (imagepath.h). */
#include "parse/imagepath.h"

#include <string.h>
#include <strings.h>

static bool ends_with_image(const char *s, size_t len)
{
	return len >= 4 && (strncasecmp(s + len - 4, ".exe", 4) == 0 || strncasecmp(s + len - 4, ".sys", 4) == 0);
}

void imagepath_split(const char *value, size_t size, struct imagepath *ip)
{
	*ip = (struct imagepath){ .start = value };
	const char *s = value;
	size_t len = size;
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len && s[0] == '"') {
		const char *q = memchr(s + 1, '"', len - 1);
		s++;
		len = q ? (size_t)(q - s) : len - 1;
		*ip = (struct imagepath){ .start = s, .len = { len }, .n = 1, .fallback = len, .quoted = true };
		return;
	}
	ip->start = s;
	size_t cuts = 0, shown = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && (s[i] != ' ' || ++cuts > EXCISE_MAX_IMAGE_PATH_CUTS))
			continue;
		if (!shown && ends_with_image(s, i))
			shown = i;
		ip->len[ip->n++] = i;
	}
	ip->fallback = shown ? shown : len;
}
