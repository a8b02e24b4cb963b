/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source win-services: the services and drivers of an offline Windows root,
 * from the SYSTEM hive (Windows/System32/config/SYSTEM).
 *
 * The current control set is Select\Current (ControlSet00N); a missing or odd
 * value is reported and ControlSet001 used. Every key under Services is one
 * observation: Type 1, 2 or 8 (kernel, file system, recognizer driver) a
 * KMOD (NAME = the ImagePath's base name such as klif.sys, PATH = the image
 * as a root path, /Windows/System32/drivers/klif.sys), any other a SERVICE
 * (NAME = key name, DESCRIPTION = DisplayName, TARGET = ImagePath). attrs:
 * start, type, group, altitude (minifilter Instances\*\Altitude), control_set, and
 * for a driver service (its key name, the name services are stopped by), and
 * for a service its image (root path).
 *
 * State: a service or driver is "installed" (active) only when it is in the
 * current control set (the only one read), Start is not 4, and its image file
 * is present in the root; Start 4 is "disabled", a missing image
 * "image-missing" (neither active). The image is the ImagePath (a driver
 * without one: \SystemRoot\System32\drivers\<name>.sys) as a root path:
 * a quoted program is the quoted part, an unquoted one with arguments the
 * first space-cut prefix that exists (as CreateProcess tries them, at most
 * EXCISE_MAX_IMAGE_PATH_CUTS of them; else the
 * first ending in .exe or .sys, else the whole); %SystemRoot%, %windir%,
 * %ProgramFiles(x86)%... are expanded as hive_expand does (also in a REG_SZ
 * value), %SystemDrive% is the root; \??\ and a drive letter
 * are dropped, \SystemRoot\ is \Windows\ and a relative path (System32\
 * drivers\x.sys) is under \Windows; the file is found case-insensitively
 * (root_resolve_nocase) and must not be a directory. Each key is also a REGISTRY
 * observation with PATH HKLM\SYSTEM\CurrentControlSet\Services\<name>, the
 * spelling inventory tools and the catalog use.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "parse/imagepath.h"
#include "source/wincommon.h"

#define SERVICES_SHOWN "HKLM\\SYSTEM\\CurrentControlSet\\Services"

/* The current control set's key name; reports a bad Select\Current. */
static int control_set(struct source_ctx *ctx, struct hive *h, char name[32])
{
	uint64_t cur = 0;
	bool have = false;
	hive_node sel = 0;
	int r = hive_lookup(h, hive_root(h), "Select", &sel);
	if (r == 0 && (r = win_u64(ctx, h, sel, "HKLM\\SYSTEM\\Select", "Current", &cur, &have)) < 0)
		return r;
	hive_node n = 0;
	if (have && cur >= 1 && cur <= 999) {
		snprintf(name, 32, "ControlSet%03u", (unsigned)cur);
		if (hive_lookup(h, hive_root(h), name, &n) == 0)
			return 0;
	}
	source_item_error(ctx, EXCISE_E_CORRUPT,
			  "hive '%s': HKLM\\SYSTEM\\Select: Current %s%s, ControlSet001 used",
			  hive_name(h), have ? "names a control set that is not there" : "is missing",
			  have && (cur < 1 || cur > 999) ? " (out of range)" : "");
	snprintf(name, 32, "ControlSet001");
	return 0;
}

static const char *start_word(uint64_t s)
{
	static const char *const w[] = { "boot", "system", "auto", "demand", "disabled" };
	return s < ARRAY_SIZE(w) ? w[s] : "unknown";
}

static const char *type_word(uint64_t t)
{
	switch (t) {
	case 1: return "kernel-driver";
	case 2: return "fs-driver";
	case 8: return "recognizer-driver";
	case 0x10: return "own-process";
	case 0x20: return "share-process";
	case 0x110: return "own-process-interactive";
	case 0x120: return "share-process-interactive";
	default: return t >= 0x50 ? "user-service" : "other";
	}
}

/* The minifilter altitudes of a service: its Instances\*\Altitude values. */
static int altitudes(struct source_ctx *ctx, struct hive *h, hive_node svc, const char *path,
		     char **ret)
{
	*ret = NULL;
	hive_node inst = 0;
	if (hive_lookup(h, svc, "Instances", &inst) < 0)
		return 0;
	_cleanup_free_ hive_node *c = NULL;
	int r = hive_children(h, inst, &c);
	if (r < 0)
		return win_key_error(ctx, h, path, r, "Instances cannot be read");
	struct buf b;
	buf_init(&b, EXCISE_MAX_HIVE_STRING_LEN);
	for (size_t i = 0; c[i]; i++) {
		_cleanup_free_ char *alt = NULL;
		if ((r = win_str(ctx, h, c[i], path, "Altitude", &alt)) < 0)
			break;
		if (!alt || !*alt)
			continue;
		if (b.n)
			buf_addc(&b, ',');
		buf_adds(&b, alt);
	}
	if (r < 0 || b.err || b.n == 0) {
		buf_done(&b);
		return r < 0 ? r : 0; /* a list cut by the limit is left out */
	}
	return buf_take(&b, ret);
}

/* s[0..len) with the variables hive_expand knows expanded (a REG_SZ ImagePath
 * may name them too), as a root path (NULL: out of memory or too long). */
static char *image_root_path(const char *s, size_t len)
{
	_cleanup_free_ char *cut = strndup(s, len), *exp = NULL;
	if (!cut || hive_expand(cut, &exp) < 0)
		return NULL;
	return win_root_path(exp);
}

/* Is the root path there, as a file (not a directory)? *real is its real spelling. */
static bool image_present(struct source_ctx *ctx, const char *p, char **real)
{
	*real = NULL;
	if (root_resolve_nocase(source_root(ctx), p, real) < 0)
		return false;
	struct stat st;
	if (root_stat(source_root(ctx), *real, &st) < 0 || S_ISDIR(st.st_mode)) {
		free(*real);
		*real = NULL;
		return false;
	}
	return true;
}

/* The image file of ImagePath `image` (NULL for a driver: the default path) as a
 * root path, with the real case when present (see the head comment). 0 or -ENOMEM. */
static int image_file(struct source_ctx *ctx, const char *image, const char *name, char **ret, bool *present)
{
	*ret = NULL;
	*present = false;
	_cleanup_free_ char *dflt = NULL;
	if (!image) {
		/* Windows loads \SystemRoot\System32\drivers\<service>.sys when ImagePath is unset. */
		if (asprintf(&dflt, "\\SystemRoot\\System32\\drivers\\%s.sys", name) < 0)
			return -ENOMEM;
		image = dflt;
	}
	struct imagepath ip;
	imagepath_split(image, strlen(image), &ip);
	for (size_t i = 0; i < ip.n; i++) {
		char *p = image_root_path(ip.start, ip.len[i]);
		if (!p)
			return -ENOMEM;
		char *real = NULL;
		if (image_present(ctx, p, &real)) {
			free(p);
			*ret = real;
			*present = true;
			return 0;
		}
		free(p);
	}
	*ret = image_root_path(ip.start, ip.fallback);
	return *ret ? 0 : -ENOMEM;
}

static int service(struct source_ctx *ctx, struct hive *h, hive_node n, const char *name,
		   const char *cs)
{
	_cleanup_free_ char *path = NULL, *image = NULL, *dname = NULL, *group = NULL, *alt = NULL;
	if (asprintf(&path, SERVICES_SHOWN "\\%s", name) < 0)
		return -ENOMEM;
	uint64_t type = 0, start = 3;
	bool have_type = false, have_start = false;
	int r;
	if ((r = win_u64(ctx, h, n, path, "Type", &type, &have_type)) < 0 ||
	    (r = win_u64(ctx, h, n, path, "Start", &start, &have_start)) < 0 ||
	    (r = win_str(ctx, h, n, path, "ImagePath", &image)) < 0 ||
	    (r = win_str(ctx, h, n, path, "DisplayName", &dname)) < 0 ||
	    (r = win_str(ctx, h, n, path, "Group", &group)) < 0 ||
	    (r = altitudes(ctx, h, n, path, &alt)) < 0)
		return r;
	bool driver = have_type && (type == 1 || type == 2 || type == 8);
	_cleanup_free_ char *root_path = NULL;
	bool present = false;
	if ((driver || image) && (r = image_file(ctx, image, name, &root_path, &present)) < 0)
		return r;
	bool disabled = have_start && start == 4;
	bool active = !disabled && present;
	const char *state = disabled ? "disabled" : present ? "installed" : "image-missing";
	struct excise_obs_attr a[7];
	size_t na = 0;
	if (have_start)
		a[na++] = (struct excise_obs_attr){ "start", start_word(start) };
	if (have_type)
		a[na++] = (struct excise_obs_attr){ "type", type_word(type) };
	if (group && *group)
		a[na++] = (struct excise_obs_attr){ "group", group };
	if (alt)
		a[na++] = (struct excise_obs_attr){ "altitude", alt };
	a[na++] = (struct excise_obs_attr){ "control_set", cs };
	if (driver)
		a[na++] = (struct excise_obs_attr){ "service", name };
	else if (root_path)
		a[na++] = (struct excise_obs_attr){ "image", root_path };
	struct excise_obs o = { .kind = driver ? EXCISE_OBS_KMOD : EXCISE_OBS_SERVICE, .state = state,
			 .active = active, .attrs = a, .n_attrs = na };
	if (driver) {
		const char *base = strrchr(root_path, '/');
		o.f[EXCISE_F_NAME] = base ? base + 1 : root_path;
		o.f[EXCISE_F_PATH] = root_path;
		o.f[EXCISE_F_DESCRIPTION] = dname;
	} else {
		o.f[EXCISE_F_NAME] = name;
		o.f[EXCISE_F_DESCRIPTION] = dname;
		o.f[EXCISE_F_TARGET] = image;
		o.f[EXCISE_F_PATH] = path;
	}
	if ((r = source_emit(ctx, &o)) < 0)
		return r;
	struct excise_obs k = { .kind = EXCISE_OBS_REGISTRY, .state = state, .active = active,
			 .attrs = a, .n_attrs = na };
	k.f[EXCISE_F_NAME] = name;
	k.f[EXCISE_F_PATH] = path;
	k.f[EXCISE_F_DESCRIPTION] = dname;
	return source_emit(ctx, &k);
}

static int services(struct source_ctx *ctx, struct hive *h, const char *cs)
{
	_cleanup_free_ char *rel = NULL;
	if (asprintf(&rel, "%s\\Services", cs) < 0)
		return -ENOMEM;
	hive_node sv = 0;
	int r = hive_lookup(h, hive_root(h), rel, &sv);
	if (r < 0)
		return win_key_error(ctx, h, rel, r == -ENOENT ? -EXCISE_E_CORRUPT : r,
				     "no Services key");
	_cleanup_free_ hive_node *c = NULL;
	if ((r = hive_children(h, sv, &c)) < 0)
		return win_key_error(ctx, h, rel, r,
				     r == -EXCISE_E_LIMIT ? "too many services (limit), not read"
							  : "subkeys cannot be read");
	for (size_t i = 0; c[i]; i++) {
		_cleanup_free_ char *name = NULL;
		if ((r = hive_key_name(h, c[i], &name)) < 0) {
			if ((r = win_key_error(ctx, h, rel, r, "a service name cannot be read")) < 0)
				return r;
			continue;
		}
		if ((r = service(ctx, h, c[i], name, cs)) < 0)
			return r;
	}
	return 0;
}

static int run(struct source_ctx *ctx)
{
	_cleanup_hive_ struct hive *h = NULL;
	struct excise_err err = { 0 };
	int r = win_hive_open(source_root(ctx), WIN_SYSTEM_HIVE, &h, NULL, &err);
	if (r == -EXCISE_E_ABSENT)
		return r;
	if (r < 0)
		return source_fail(ctx, r, "%s", err.msg);
	char cs[32];
	if ((r = control_set(ctx, h, cs)) >= 0)
		r = services(ctx, h, cs);
	if (r < 0)
		return source_fail(ctx, r, "hive '%s': %s", hive_name(h), excise_strerror(r));
	return 0;
}

const struct source source_winsystem = {
	.name = "win-services",
	.platform = "windows",
	.description = "Windows SYSTEM hive: services and drivers of the current control set",
	.run = run,
};
