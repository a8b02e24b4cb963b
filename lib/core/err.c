/* SPDX-License-Identifier: Apache-2.0 */
/* err: error codes to text, and filling struct excise_err. */
#include "core/err.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const domain[] = {
	[EXCISE_E_CORRUPT - 1000] = "malformed input",
	[EXCISE_E_TOOBIG - 1000] = "input larger than its limit",
	[EXCISE_E_LIMIT - 1000] = "count or depth limit reached",
	[EXCISE_E_BADSIG - 1000] = "signature does not verify",
	[EXCISE_E_UNTRUSTED - 1000] = "signed by a key that is not trusted",
	[EXCISE_E_UNSIGNED - 1000] = "signature missing",
	[EXCISE_E_CATALOG - 1000] = "invalid catalog",
	[EXCISE_E_ESCAPE - 1000] = "path leaves the scanned root",
	[EXCISE_E_UNSUPPORTED - 1000] = "not supported",
	[EXCISE_E_USAGE - 1000] = "invalid arguments",
	[EXCISE_E_ABSENT - 1000] = "not present",
	[EXCISE_E_SYMLINK - 1000] = "symbolic link refused",
	[EXCISE_E_REFUSED - 1000] = "refused by a safety rule",
	[EXCISE_E_CHANGED - 1000] = "changed since the scan",
	[EXCISE_E_NOTOS - 1000] = "not an operating system root",
	[EXCISE_E_SPECIAL - 1000] = "a device, FIFO or socket, not a regular file: not opened",
	[EXCISE_E_AUTH - 1000] = "not authenticated",
	[EXCISE_E_BUSY - 1000] = "busy: try again later",
};

const char *excise_strerror(int code)
{
	if (code < 0)
		code = -code;
	if (code >= 1000 && code - 1000 < (int)(sizeof(domain) / sizeof(domain[0])) && domain[code - 1000])
		return domain[code - 1000];
	if (code == 0)
		return "success";
	return strerror(code);
}

static void vset(struct excise_err *err, int code, bool with_code, const char *fmt, va_list ap)
	PRINTF(4, 0);
static void vset(struct excise_err *err, int code, bool with_code, const char *fmt, va_list ap)
{
	err->code = code;
	int k = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (k < 0) {
		snprintf(err->msg, sizeof(err->msg), "%s", excise_strerror(code));
		return;
	}
	size_t n = strlen(err->msg);
	if (with_code && n < sizeof(err->msg) - 1)
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", excise_strerror(code));
	if (!err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "%s", excise_strerror(code));
	/* Never leave half a UTF-8 sequence at a cut. */
	n = strlen(err->msg);
	if (n == sizeof(err->msg) - 1) {
		size_t i = n;
		while (i > 0 && ((unsigned char)err->msg[i - 1] & 0xC0) == 0x80)
			i--;
		if (i > 0 && ((unsigned char)err->msg[i - 1] & 0x80))
			err->msg[i - 1] = 0;
	}
}

int err_set(struct excise_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vset(err, code, false, fmt, ap);
		va_end(ap);
	}
	return code;
}

int err_setc(struct excise_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vset(err, code, true, fmt, ap);
		va_end(ap);
	}
	return code;
}
