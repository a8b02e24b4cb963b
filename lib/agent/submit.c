/* SPDX-License-Identifier: Apache-2.0 */
/*
 * submit: enrolling, sending one document, and flushing the spool
 * (include/excise/agent.h). What an answer means:
 *
 *   200 stored | duplicate     delivered (a document sent twice is a duplicate, never new)
 *   401                        kept in the spool; host_invalid: enroll again
 *   429                        kept; next try after its Retry-After
 *   5xx, 3xx, no answer, TLS   kept; next try after a backoff with full jitter
 *   other 4xx                  refused: moved to the spool's rejected/ with the message
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "core/digest.h"
#include "core/err.h"
#include "core/limits.h"

const char *excise_agent_outcome_name(enum excise_agent_outcome o)
{
	switch (o) {
	case EXCISE_AGENT_STORED: return "stored";
	case EXCISE_AGENT_DUPLICATE: return "duplicate";
	case EXCISE_AGENT_SPOOLED: return "spooled";
	case EXCISE_AGENT_REJECTED: return "rejected";
	case EXCISE_AGENT_DEFERRED: return "deferred";
	}
	return "?";
}

struct excise_agent_conn *excise_agent_conn_new(void)
{
	return calloc(1, sizeof(struct excise_agent_conn));
}

void excise_agent_conn_free(struct excise_agent_conn *c)
{
	if (!c)
		return;
	http_client_done(&c->http);
	free(c);
}

unsigned long excise_agent_conn_connections(const struct excise_agent_conn *c)
{
	return c ? c->http.connects : 0;
}

static struct http_conn conn_of(const struct enrollment *e, const char *url)
{
	return (struct http_conn){ .url = url ? url : e->url, .ca_file = e->ca_file, .pin = e->pin };
}

int excise_agent_enroll(const struct excise_agent_opts *o, const char *url, const struct excise_agent_tls *tls,
			const char *secret, const struct excise_host *host, char **ret_host_id, struct excise_err *err)
{
	if (ret_host_id)
		*ret_host_id = NULL;
	if (!url || !*url || !secret || !*secret || !host)
		return err_set(err, -EXCISE_E_USAGE, "enroll: a URL, a secret and the machine are needed");
	if (!host->machine_id || !*host->machine_id)
		return err_set(err, -EXCISE_E_ABSENT, "'%s' has no machine id (Linux: /etc/machine-id; Windows: "
			       "MachineGuid; macOS: the hardware UUID of the ByHost preferences): it cannot be enrolled",
			       host->root ? host->root : "/");
	struct enrollment e = { 0 };
	if (tls && tls->ca_file && !(e.ca_file = realpath(tls->ca_file, NULL)))
		return err_setc(err, -errno, "CA file '%s'", tls->ca_file);
	if ((tls && tls->pin && !(e.pin = strdup(tls->pin))) || !(e.url = strdup(url)) ||
	    !(e.machine_id = strdup(host->machine_id))) {
		enrollment_done(&e);
		return err_set(err, -ENOMEM, "out of memory");
	}
	/* a root with no host name (an image whose hive names none) is named after its machine */
	json_t *req = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s}", "secret", secret, "machine_id", host->machine_id,
				"hostname", host->hostname && *host->hostname ? host->hostname : host->machine_id,
				"platform", host->platform, "os",
				host->os, "version", EXCISE_VERSION);
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body) {
		enrollment_done(&e);
		return err_set(err, -ENOMEM, "out of memory");
	}
	struct http_conn c = conn_of(&e, NULL);
	struct http_resp resp;
	int r = http_post(&c, NULL, "/v1/enroll", NULL, NULL, body, strlen(body), &resp, err);
	explicit_bzero(body, strlen(body));
	free(body);
	if (r >= 0) {
		if (resp.cls == HTTP_OK) {
			if (http_enroll_answer(resp.body, resp.len, &e.host_id, e.key) < 0)
				r = err_set(err, -EXCISE_E_CORRUPT, "%s: the collector's answer to enrolling has no "
					    "host_id and host_key", url);
			if (r >= 0)
				r = enrollment_save(o, &e, agent_now(), err);
			if (r >= 0 && ret_host_id && !(*ret_host_id = strdup(e.host_id)))
				r = err_set(err, -ENOMEM, "out of memory");
		} else if (resp.cls == HTTP_AUTH) {
			r = err_set(err, -EXCISE_E_AUTH, "%s: enrollment refused: %s", url, resp.message);
		} else if (resp.cls == HTTP_DOWN || resp.cls == HTTP_TLS) {
			r = err_set(err, -EIO, "%s: %s", url, resp.message);
		} else {
			r = err_set(err, -EXCISE_E_REFUSED, "%s: enrollment refused: %s", url, resp.message);
		}
		http_resp_done(&resp);
	}
	enrollment_done(&e);
	return r;
}

/* One try: send `body` signed for enrollment `e` to `url`, and say what came of it
 * in *res (outcome DELIVERED/STORED, SPOOLED meaning "keep it", REJECTED), with
 * *ret_next the delay before the next try for a kept one given `attempts` so far. */
static int attempt(const struct excise_agent_opts *o, struct http_client *cl, const struct enrollment *e,
		   const char *url, const void *body, size_t len, unsigned attempts, struct excise_agent_result *res,
		   enum http_class *ret_cls, int64_t *ret_delay, struct excise_err *err)
{
	struct http_conn c = conn_of(e, url);
	struct http_resp resp;
	int r = http_post(&c, cl, "/v1/submit", e->key, e->host_id, body, len, &resp, err);
	if (r < 0)
		return r;
	*ret_cls = resp.cls;
	*ret_delay = 0;
	res->message[0] = 0;
	res->reenroll = res->tls = res->auth = false;
	if (resp.cls == HTTP_OK && !http_submit_answer(resp.body, resp.len, res)) {
		*ret_cls = HTTP_FAILING;
		snprintf(res->message, sizeof(res->message), "the collector answered 200 without a status");
	}
	if (*ret_cls == HTTP_REFUSED) {
		res->outcome = EXCISE_AGENT_REJECTED;
		snprintf(res->message, sizeof(res->message), "refused by the collector: %s", resp.message);
	} else if (*ret_cls != HTTP_OK) {
		res->outcome = EXCISE_AGENT_SPOOLED;
		if (!res->message[0])
			snprintf(res->message, sizeof(res->message), "%s", resp.message);
		res->tls = resp.cls == HTTP_TLS;
		res->auth = resp.cls == HTTP_AUTH;
		if (resp.cls == HTTP_AUTH && resp.host_invalid) {
			res->reenroll = true;
			size_t n = strlen(res->message);
			snprintf(res->message + n, sizeof(res->message) - n, " (the collector does not know host %s: "
				 "enroll this machine again)", e->host_id);
		}
		if (resp.cls == HTTP_BUSY && resp.retry_after >= 0)
			*ret_delay = resp.retry_after;
		else
			*ret_delay = excise_agent_backoff(attempts + 1, o ? o->backoff_base : 0, o ? o->backoff_cap : 0,
							  agent_random());
	}
	http_resp_done(&resp);
	return 0;
}

int excise_agent_submit(const struct excise_agent_opts *o, struct excise_agent_conn *conn, const char *url,
			const char *name, const void *body, size_t len, unsigned flags, struct excise_agent_result *ret,
			struct excise_err *err)
{
	*ret = (struct excise_agent_result){ 0 };
	struct agent_doc d;
	int r = agent_doc_inspect(name, body, len, &d, err);
	if (r < 0)
		return r;
	snprintf(ret->kind, sizeof(ret->kind), "%s", d.kind);
	struct enrollment e;
	if ((r = enrollment_load(o, d.machine_id, &e, err)) < 0) {
		agent_doc_done(&d);
		return r;
	}
	enum http_class cls = HTTP_DOWN;
	int64_t delay = 0;
	unsigned attempts = 0;
	if (!(flags & EXCISE_AGENT_SPOOL_ONLY)) {
		r = attempt(o, conn ? &conn->http : NULL, &e, url, body, len, 0, ret, &cls, &delay, err);
		attempts = 1;
	} else {
		ret->outcome = EXCISE_AGENT_SPOOLED;
		snprintf(ret->message, sizeof(ret->message), "not tried: an earlier document could not be delivered");
	}
	if (r >= 0 && ret->outcome != EXCISE_AGENT_STORED && ret->outcome != EXCISE_AGENT_DUPLICATE) {
		struct spool s;
		struct spool_meta m = { .machine_id = d.machine_id, .url = (char *)url, .name = (char *)name,
					.last_error = ret->message, .created = agent_now(), .attempts = attempts,
					.keep = flags & EXCISE_AGENT_KEEP };
		snprintf(m.kind, sizeof(m.kind), "%s", d.kind);
		m.next_try = m.created + delay;
		if ((r = sha256_hex(body, len, m.sha256)) < 0)
			r = err_set(err, r, "out of memory");
		if (r >= 0)
			r = spool_open(o, &s, err);
		if (r >= 0) {
			if (ret->outcome == EXCISE_AGENT_REJECTED) {
				r = spool_add_rejected(&s, &m, body, len, ret->spool_name, err);
			} else {
				r = spool_add(&s, o, &m, body, len, ret->spool_name, NULL, err);
				ret->next_try = m.next_try;
				ret->attempts = attempts;
			}
			spool_close(&s);
		}
		if (r < 0 && err) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg);
			err_set(err, r, "%s: not delivered (%s), and not spooled: %s", name, ret->message, why);
		}
	}
	enrollment_done(&e);
	agent_doc_done(&d);
	return r;
}

bool http_submit_answer(const char *body, size_t len, struct excise_agent_result *res)
{
	json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
	const char *st = json_string_value(json_object_get(j, "status"));
	const char *kind = json_string_value(json_object_get(j, "kind"));
	const char *id = json_string_value(json_object_get(j, "id"));
	bool ok = st && (strcmp(st, "stored") == 0 || strcmp(st, "duplicate") == 0);
	if (ok) {
		res->outcome = strcmp(st, "stored") == 0 ? EXCISE_AGENT_STORED : EXCISE_AGENT_DUPLICATE;
		if (kind)
			snprintf(res->kind, sizeof(res->kind), "%s", kind);
		snprintf(res->id, sizeof(res->id), "%s", id ? id : "");
	}
	json_decref(j);
	return ok;
}

int http_enroll_answer(const char *body, size_t len, char **ret_host_id, uint8_t key[EXCISE_HOST_KEY_BYTES])
{
	*ret_host_id = NULL;
	json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(j, "host_id"));
	const char *k = json_string_value(json_object_get(j, "host_key"));
	int r = 0;
	/* the host id goes into a header line: printable ASCII, no space */
	bool printable = id && *id && strlen(id) <= 128;
	for (const char *p = id; printable && *p; p++)
		printable = *p > 0x20 && *p < 0x7f;
	if (!printable || !k || excise_proto_key_decode(k, key, NULL) < 0)
		r = -EXCISE_E_CORRUPT;
	else if (!(*ret_host_id = strdup(id)))
		r = -ENOMEM;
	json_decref(j);
	return r;
}

static bool listed(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int excise_agent_flush(const struct excise_agent_opts *o, struct excise_agent_conn *conn, excise_agent_flush_fn fn,
		       void *userdata, struct excise_agent_flush_result *ret, struct excise_err *err)
{
	*ret = (struct excise_agent_flush_result){ 0 };
	struct spool s;
	int r = spool_open(o, &s, err);
	if (r < 0)
		return r;
	char **down = calloc(s.n + 1, sizeof(*down)); /* collectors not to try again in this flush */
	size_t n_down = 0;
	if (!down) {
		spool_close(&s);
		return err_set(err, -ENOMEM, "out of memory");
	}
	int64_t now = agent_now();
	/* one connection for the whole flush (keep-alive; the caller's, which may be open
	 * already), each document still answered, classified and backed off on its own */
	struct http_client own = { 0 }, *client = conn ? &conn->http : &own;
	unsigned long connects0 = client->connects;
	for (size_t i = 0; i < s.n && r >= 0; i++) {
		struct spool_entry *en = &s.v[i];
		struct excise_agent_result res = { .attempts = en->meta.attempts, .next_try = en->meta.next_try };
		snprintf(res.kind, sizeof(res.kind), "%s", en->meta.kind);
		snprintf(res.spool_name, sizeof(res.spool_name), "%s", en->file);
		struct enrollment e;
		struct excise_err lerr = { 0 };
		bool kept = true;
		if (enrollment_load(o, en->meta.machine_id, &e, &lerr) < 0) {
			/* kept, not tried: the operator must enroll the machine */
			res.outcome = EXCISE_AGENT_SPOOLED;
			res.reenroll = true;
			res.attempts = 0;
			snprintf(res.message, sizeof(res.message), "%s", lerr.msg);
			ret->failed++;
			ret->remaining++;
			ret->reenroll = true;
			if (fn)
				fn(userdata, en->file, &res);
			continue;
		}
		const char *url = en->meta.url ? en->meta.url : e.url;
		if (en->meta.next_try > now || listed(down, n_down, url)) {
			res.outcome = EXCISE_AGENT_DEFERRED;
			snprintf(res.message, sizeof(res.message), "%s",
				 en->meta.next_try > now ? "not due yet" : "its collector did not answer in this flush");
			ret->deferred++;
		} else {
			char *body = NULL;
			size_t len = 0;
			enum http_class cls;
			int64_t delay;
			r = spool_read_body(&s, en, &body, &len, err);
			if (r >= 0)
				r = attempt(o, client, &e, url, body, len, en->meta.attempts, &res, &cls, &delay, err);
			free(body);
			if (r >= 0 && (res.outcome == EXCISE_AGENT_STORED || res.outcome == EXCISE_AGENT_DUPLICATE)) {
				r = spool_remove(&s, en, err);
				ret->delivered++;
				kept = false;
			} else if (r >= 0 && res.outcome == EXCISE_AGENT_REJECTED) {
				r = spool_reject(&s, en, res.message, err);
				ret->rejected++;
				kept = false;
			} else if (r >= 0) {
				en->meta.attempts++;
				en->meta.next_try = now + delay;
				free(en->meta.last_error);
				en->meta.last_error = strdup(res.message);
				r = spool_update(&s, en, err);
				res.attempts = en->meta.attempts;
				res.next_try = en->meta.next_try;
				ret->failed++;
				ret->reenroll |= res.reenroll;
				ret->tls |= res.tls;
				ret->auth |= res.auth;
				if ((cls == HTTP_DOWN || cls == HTTP_TLS || cls == HTTP_BUSY || cls == HTTP_FAILING) &&
				    (down[n_down] = strdup(url)))
					n_down++;
			}
		}
		if (kept)
			ret->remaining++;
		if (r >= 0 && fn)
			fn(userdata, en->file, &res);
		enrollment_done(&e);
	}
	ret->connections = client->connects - connects0;
	http_client_done(&own);
	for (size_t i = 0; i < n_down; i++)
		free(down[i]);
	free(down);
	spool_close(&s);
	return r;
}
