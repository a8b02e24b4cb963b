/* SPDX-License-Identifier: Apache-2.0 */
/*
 * macbundle: what the macOS sources share about bundles (.app, .kext,
 * .systemextension, .appex): reading <bundle>/Contents/Info.plist and
 * emitting the BUNDLE observation for it.
 *
 * BUNDLE observation: NAME = CFBundleIdentifier, VERSION =
 * CFBundleShortVersionString (else CFBundleVersion), DESCRIPTION =
 * CFBundleDisplayName (else CFBundleName), PATH = the bundle, TARGET = the
 * executable (<bundle>/Contents/MacOS/<CFBundleExecutable>), attrs "kind"
 * plus the caller's. No BUNDLE observation is made without an identifier.
 */
#ifndef EXCISE_SOURCE_MACBUNDLE_H
#define EXCISE_SOURCE_MACBUNDLE_H

#include "parse/plist.h"
#include "source/source.h"

struct mac_bundle {
	plist_t pl;
	const char *id, *version, *name, *exec; /* borrowed from pl; any may be NULL */
};

/* Read <bundle>/Contents/Info.plist. Returns 0 (read), 1 (no usable Info.plist,
 * absent included: reported as an item error naming the file) or -ENOMEM. A bad
 * key is reported naming the file and the key, and left NULL. */
/* How many bundles a source has read, against EXCISE_MAX_BUNDLES. */
struct mac_budget {
	size_t n;
	bool said;
};

/* True when one more bundle may be read; past the limit the first refusal is an
 * item error naming `path` and `what` ("bundles", "extensions"). */
bool mac_bundle_budget(struct source_ctx *ctx, struct mac_budget *b, const char *what,
		       const char *path);

NODISCARD int mac_bundle_read(struct source_ctx *ctx, const char *bundle, struct mac_bundle *ret);
void mac_bundle_done(struct mac_bundle *b);

/* Emit the BUNDLE observation; `attrs` (n <= 4) follow "kind". */
NODISCARD int mac_bundle_emit(struct source_ctx *ctx, const char *bundle, const struct mac_bundle *b,
			      const char *kind, const char *state, bool active,
			      const struct excise_obs_attr *attrs, size_t n_attrs);

/* The base name of a path. */
const char *mac_base_name(const char *path);
/* True when `name` ends in `suffix` and is longer than it. */
bool mac_has_suffix(const char *name, const char *suffix);

#endif
