/* SPDX-License-Identifier: Apache-2.0 */
/* procmodules: the lines of /proc/modules (procmodules.h). */
#include "parse/procmodules.h"

#include <string.h>

int procmodules_parse(const char *data, size_t len, procmodules_fn fn, void *ud)
{
	const char *p = data, *end = data + len;
	size_t line = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		line++;
		const char *f[5] = { 0 };
		size_t fl[5] = { 0 };
		size_t nf = 0;
		const char *q = p;
		while (q < e && nf < 5) {
			while (q < e && *q == ' ')
				q++;
			if (q >= e)
				break;
			f[nf] = q;
			while (q < e && *q != ' ')
				q++;
			fl[nf] = (size_t)(q - f[nf]);
			nf++;
		}
		struct procmodules_line l = { .line = line };
		if (nf >= 1 && !memchr(f[0], 0, fl[0])) {
			l.name = f[0];
			l.name_len = fl[0];
			l.state = nf >= 5 ? f[4] : "Live";
			l.state_len = nf >= 5 ? fl[4] : 4;
		}
		if (l.name || e > p) {
			int r = fn(ud, &l);
			if (r < 0)
				return r;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}
