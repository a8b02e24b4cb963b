/* SPDX-License-Identifier: Apache-2.0 */
/* freport: the fleet reports (excise_freport_* in include/excise/fleet.h); the escaping they share. */
#ifndef EXCISE_FLEET_FREPORT_H
#define EXCISE_FLEET_FREPORT_H

#include "core/buf.h"

/* Append `s` (NULL as "") as HTML text: controls and bytes that are not UTF-8 shown as
 * escapes (text_escape), then & < > " ' as entities: safe in an element and in a quoted
 * attribute. */
void freport_html_escape(struct buf *b, const char *s);

#endif
