/* SPDX-License-Identifier: Apache-2.0 */
/*
 * normalise: the form in which human-readable text (names, publishers,
 * descriptions, certificate names) is compared with the catalog, so that a
 * publisher written «Лаборатория Касперского», "Лаборатория Касперского" or
 * Лаборатория  Касперского is one name. docs/catalog-format.md "Matching" has
 * the rules; in short, in this order:
 *
 *  1. quotation marks are removed: ASCII " ' `, U+00B4 ´, « » ‹ ›, ‘ ’ ‚ ‛,
 *     “ ” „ ‟ and the fullwidth ＂ ＇ ｀;
 *  2. with NORMALISE_PUNCT, every other punctuation (Unicode P*) or symbol
 *     (S*) character becomes a space;
 *  3. NFKC (Unicode compatibility composition), and with NORMALISE_FOLD full
 *     Unicode case folding (ß -> ss; the Turkish dotless ı stays itself);
 *  4. white space (Unicode Z*, control characters, and step 2's spaces, also
 *     what step 3 made of NBSP, U+2000..U+200A, U+3000) and, with
 *     NORMALISE_PUNCT, what step 3 made into punctuation: runs become one
 *     space; leading and trailing spaces go.
 *
 * Pure ASCII takes a fast path with the same result and no allocation.
 * Invalid UTF-8 is never an error: such a string is normalised by the ASCII
 * rules only, its other bytes kept as they are (it can then match only what
 * its bytes literally spell). No lookalike (confusable) letters are mapped:
 * a Cyrillic а in a Latin name stays a Cyrillic а.
 */
#ifndef EXCISE_NORMALISE_H
#define EXCISE_NORMALISE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/macro.h"

#define NORMALISE_FOLD  1u /* Unicode case folding (nocase indicators) */
#define NORMALISE_PUNCT 2u /* punctuation and symbols are spaces (exact and glob, not regex) */
#define NORMALISE_GLOB  4u /* the text is a glob: '*', '?', '[...]' and '\x' are kept as they are */

/* Normalise s[0..len) into a NUL-terminated string at *ret: `stack` when it
 * fits in `size` bytes, else a malloc'd buffer (free it when *ret != stack).
 * Returns the normalised length, or -ENOMEM. */
NODISCARD ssize_t normalise(const char *s, size_t len, unsigned flags, char *stack, size_t size,
			    char **ret);

/* A regex of a nocase or case-sensitive indicator: NFKC, and with `fold` case
 * folding of everything but ASCII (REG_ICASE folds ASCII; escapes such as \W
 * keep their meaning). *ret is malloc'd. -ENOMEM, or -EINVAL for invalid UTF-8. */
NODISCARD int normalise_regex(const char *re, bool fold, char **ret);

#endif
