/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state: the agent's directories and its enrollments, one file per machine id
 * (host-<sha256 of the machine id>.json, mode 0600, written whole through
 * excise_output_open_at relative to the directory's descriptor):
 *
 *   {"schema":"excise.enrollment/1","url":..,"machine_id":..,"host_id":..,
 *    "host_key":"<base64>","ca_file":..|null,"pin":..|null,"enrolled":<unix>}
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "core/digest.h"
#include "core/doc.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/root.h"
#include "excise/output.h"

#define ENROLLMENT_SCHEMA "excise.enrollment/1"

int64_t agent_now(void)
{
	return (int64_t)time(NULL);
}

uint32_t agent_random(void)
{
	uint32_t v;
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (uint32_t)(ts.tv_nsec * 2654435761u) ^ (uint32_t)getpid();
	}
	return v;
}

int agent_dir_open(const char *path, struct excise_err *err)
{
	if (!path || path[0] != '/')
		return err_set(err, -EXCISE_E_USAGE, "'%s': the agent's directories are absolute paths",
			       path ? path : "");
	char *p = strdup(path);
	if (!p)
		return err_set(err, -ENOMEM, "out of memory");
	/* every missing component, each made 0700 */
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			int e = errno;
			int r = err_setc(err, -e, "cannot make the directory '%s'", p);
			free(p);
			return r;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_setc(err, -errno, "cannot open the directory '%s'", path);
	return fd;
}

void enrollment_file(const char *machine_id, char out[80])
{
	char hex[65];
	if (sha256_hex(machine_id, strlen(machine_id), hex) < 0)
		hex[0] = 0;
	snprintf(out, 80, "host-%s.json", hex);
}

static const char *state_dir(const struct excise_agent_opts *o)
{
	return o && o->state_dir ? o->state_dir : EXCISE_AGENT_STATE_DIR;
}

void enrollment_done(struct enrollment *e)
{
	free(e->url);
	free(e->machine_id);
	free(e->host_id);
	free(e->ca_file);
	free(e->pin);
	explicit_bzero(e->key, sizeof(e->key));
	*e = (struct enrollment){ 0 };
}

static int dup_member(json_t *o, const char *key, bool required, char **ret, struct doc *d)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (required)
			return doc_fail(d, "/%s: missing", key);
		return 0;
	}
	const char *s = json_string_value(v);
	if (!s || !*s || strlen(s) > 4096)
		return doc_fail(d, "/%s: expected a string of 1 to 4096 bytes", key);
	if (!(*ret = strdup(s)))
		return doc_failc(d, -ENOMEM, "out of memory");
	return 0;
}

int enrollment_load(const struct excise_agent_opts *o, const char *machine_id, struct enrollment *ret,
		    struct excise_err *err)
{
	*ret = (struct enrollment){ 0 };
	const char *dir = state_dir(o);
	char name[80];
	enrollment_file(machine_id, name);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int fd = dfd < 0 ? -1 : openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int e = errno;
	if (dfd >= 0)
		close(dfd);
	if (fd < 0) {
		if (e == ENOENT)
			return err_set(err, -EXCISE_E_ABSENT, "machine '%s' is not enrolled (no %s/%s): run excise "
				       "enroll first", machine_id, dir, name);
		return err_setc(err, -e, "cannot read the enrollment '%s/%s'", dir, name);
	}
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int r = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EXCISE_E_SPECIAL : 0;
	if (r == 0)
		r = read_fd_all(fd, EXCISE_MAX_ENROLLMENT_SIZE, &data, &len);
	close(fd);
	if (r < 0)
		return err_setc(err, r, "cannot read the enrollment '%s/%s'", dir, name);
	char label[512];
	snprintf(label, sizeof(label), "%s/%s", dir, name);
	struct doc d;
	doc_init(&d, "enrollment", label, err);
	json_t *j = NULL;
	char *key = NULL;
	if ((r = doc_load(&d, data, len, EXCISE_MAX_ENROLLMENT_SIZE, &j)) >= 0) {
		const char *schema = json_string_value(json_object_get(j, "schema"));
		if (!schema || strcmp(schema, ENROLLMENT_SCHEMA) != 0)
			r = doc_fail(&d, "/schema: expected \"%s\"", ENROLLMENT_SCHEMA);
	}
	if (r >= 0)
		r = dup_member(j, "url", true, &ret->url, &d);
	if (r >= 0)
		r = dup_member(j, "machine_id", true, &ret->machine_id, &d);
	if (r >= 0)
		r = dup_member(j, "host_id", true, &ret->host_id, &d);
	if (r >= 0)
		r = dup_member(j, "ca_file", false, &ret->ca_file, &d);
	if (r >= 0)
		r = dup_member(j, "pin", false, &ret->pin, &d);
	if (r >= 0)
		r = dup_member(j, "host_key", true, &key, &d);
	if (r >= 0 && excise_proto_key_decode(key, ret->key, NULL) < 0)
		r = doc_fail(&d, "/host_key: expected 32 bytes in base64");
	if (r >= 0 && strcmp(ret->machine_id, machine_id) != 0)
		r = doc_fail(&d, "/machine_id: another machine's ('%s')", ret->machine_id);
	if (key) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	json_decref(j);
	if (data) {
		explicit_bzero(data, len);
		free(data);
	}
	if (r < 0)
		enrollment_done(ret);
	return r;
}

int enrollment_save(const struct excise_agent_opts *o, const struct enrollment *e, int64_t now,
		    struct excise_err *err)
{
	const char *dir = state_dir(o);
	int dfd = agent_dir_open(dir, err);
	if (dfd < 0)
		return dfd;
	char name[80], key[EXCISE_PROTO_KEY_TEXT];
	enrollment_file(e->machine_id, name);
	excise_proto_key_encode(e->key, key);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:I}", "schema", ENROLLMENT_SCHEMA, "url", e->url,
			      "machine_id", e->machine_id, "host_id", e->host_id, "host_key", key, "ca_file",
			      e->ca_file, "pin", e->pin, "enrolled", (json_int_t)now);
	explicit_bzero(key, sizeof(key));
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text) {
		close(dfd);
		return err_set(err, -ENOMEM, "out of memory");
	}
	struct excise_output *out;
	FILE *f;
	int r = excise_output_open_at(dfd, dir, name, 0600, &out, &f, err);
	if (r >= 0) {
		size_t n = strlen(text);
		if (fwrite(text, 1, n, f) != n || fputc('\n', f) == EOF) {
			r = err_setc(err, -EIO, "cannot write '%s/%s'", dir, name);
			excise_output_abort(out);
		} else {
			r = excise_output_commit(out, err);
		}
	}
	explicit_bzero(text, strlen(text));
	free(text);
	close(dfd);
	return r;
}
