/* SPDX-License-Identifier: Apache-2.0 */
/*
 * winhost: host facts of an offline Windows root, for host.c. The hostname is
 * SYSTEM ControlSet00N\Control\ComputerName\ComputerName\ComputerName (N from
 * Select\Current, else 1); the OS is SOFTWARE Microsoft\Windows NT\
 * CurrentVersion ProductName plus DisplayVersion (or ReleaseId) and
 * "build" CurrentBuild; the machine id is SOFTWARE Microsoft\Cryptography
 * MachineGuid (a GUID, "8-4-4-4-12" hex digits, kept in lower case as Windows writes
 * it; docs/agent.md). Hives that cannot be read leave the facts NULL; a machine id
 * that is absent, not a string or not a GUID is said in the notes, never guessed.
 */
#include <stdio.h>
#include <string.h>

#include "parse/hive.h"
#include "parse/win.h"
#include "scan/scan_int.h"

static char *value(struct hive *h, const char *key, const char *name)
{
	hive_node n = 0;
	char *s = NULL;
	if (hive_lookup(h, hive_root(h), key, &n) < 0 || hive_string(h, n, name, &s) < 0)
		return NULL;
	if (!*s) {
		free(s);
		return NULL;
	}
	return s;
}

static int hostname(const struct root *r, char **ret)
{
	_cleanup_hive_ struct hive *h = NULL;
	struct excise_err err;
	if (win_hive_open(r, WIN_SYSTEM_HIVE, &h, NULL, &err) < 0)
		return 0;
	unsigned cur = 1;
	hive_node sel = 0;
	uint64_t v = 0;
	if (hive_lookup(h, hive_root(h), "Select", &sel) == 0 && hive_u64(h, sel, "Current", &v) == 0 &&
	    v >= 1 && v <= 999)
		cur = (unsigned)v;
	char key[96];
	snprintf(key, sizeof(key), "ControlSet%03u\\Control\\ComputerName\\ComputerName", cur);
	*ret = value(h, key, "ComputerName");
	if (!*ret && cur != 1)
		*ret = value(h, "ControlSet001\\Control\\ComputerName\\ComputerName", "ComputerName");
	return 0;
}

static int os_name(struct hive *h, char **ret)
{
	const char *k = "Microsoft\\Windows NT\\CurrentVersion";
	_cleanup_free_ char *prod = value(h, k, "ProductName");
	_cleanup_free_ char *disp = value(h, k, "DisplayVersion");
	_cleanup_free_ char *rel = disp ? NULL : value(h, k, "ReleaseId");
	_cleanup_free_ char *build = value(h, k, "CurrentBuild");
	if (!prod)
		return 0;
	const char *dv = disp ? disp : rel;
	if (asprintf(ret, "%s%s%s%s%s", prod, dv ? " " : "", dv ? dv : "", build ? " build " : "",
		     build ? build : "") < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

#define CRYPTOGRAPHY "Microsoft\\Cryptography"

/* SOFTWARE Microsoft\Cryptography MachineGuid, when it is a GUID; otherwise a note. */
static int machine_guid(struct hive *h, struct host_notes *notes, char **ret)
{
	hive_node n = 0;
	_cleanup_free_ char *s = NULL;
	int k = hive_lookup(h, hive_root(h), CRYPTOGRAPHY, &n);
	if (k == 0)
		k = hive_string(h, n, "MachineGuid", &s);
	char id[HOST_GUID_LEN + 1];
	if (k == 0 && host_guid(s, false, id))
		return (*ret = strdup(id)) ? 0 : -ENOMEM;
	if (k == -ENOMEM)
		return k;
	const char *why = k == -ENOENT			 ? "absent"
			  : k == -EXCISE_E_UNSUPPORTED	 ? "not a string value"
			  : k == -EXCISE_E_TOOBIG	 ? "too long"
			  : k < 0			 ? excise_strerror(k)
							 : "not a GUID (8-4-4-4-12 hex digits)";
	char size[32] = "";
	if (s)
		snprintf(size, sizeof(size), " (%zu bytes)", strlen(s));
	return host_note(notes, "'%s': %s\\MachineGuid: %s%s: the machine id is unknown", hive_name(h), CRYPTOGRAPHY,
			 why, size);
}

int host_read_windows(const struct root *r, struct excise_host *host, struct host_notes *notes)
{
	int e = hostname(r, &host->hostname);
	if (e < 0)
		return e;
	_cleanup_hive_ struct hive *h = NULL;
	struct excise_err err;
	if ((e = win_hive_open(r, WIN_SOFTWARE_HIVE, &h, NULL, &err)) < 0)
		return e == -ENOMEM ? e : host_note(notes, "%s: the machine id is unknown", err.msg);
	if ((e = os_name(h, &host->os)) < 0)
		return e;
	return machine_guid(h, notes, &host->machine_id);
}
