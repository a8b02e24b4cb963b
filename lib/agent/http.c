/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http: one POST to the collector with libcurl. Only the URL the operator gave:
 * https (plain http to a loopback address alone), no redirect followed, no user
 * name or query in it; TLS 1.2 or later, verified against the system CAs, a CA
 * file, or a pinned public key; a deadline for connecting and for the whole
 * request; the answer read up to EXCISE_MAX_AGENT_RESPONSE bytes. A client
 * (struct http_client) keeps its connection open across requests (a flush).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent/agent_int.h"
#include "core/err.h"
#include "core/limits.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sink {
	char *data;
	size_t len;
	bool over;
	int64_t retry_after;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t add = size * n;
	if (s->len + add > EXCISE_MAX_AGENT_RESPONSE) {
		s->over = true;
		return 0;
	}
	char *d = realloc(s->data, s->len + add + 1);
	if (!d)
		return 0;
	memcpy(d + s->len, p, add);
	s->data = d;
	s->len += add;
	d[s->len] = 0;
	return add;
}

int64_t http_retry_after(const char *value, int64_t now)
{
	const char *b = value + strspn(value, " \t");
	char *end;
	int64_t secs = -1;
	errno = 0;
	long long n = strtoll(b, &end, 10);
	if (*b >= '0' && *b <= '9' && !*end)
		secs = errno == ERANGE ? EXCISE_AGENT_RETRY_AFTER_MAX : n;
	else if (*b) {
		time_t t = curl_getdate(b, NULL);
		if (t != (time_t)-1)
			secs = (int64_t)t > now ? (int64_t)t - now : 0;
	}
	if (secs > EXCISE_AGENT_RETRY_AFTER_MAX)
		secs = EXCISE_AGENT_RETRY_AFTER_MAX;
	return secs;
}

/* Retry-After: delay-seconds or an HTTP-date. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len > sizeof(name) - 1 && len < 200 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
		char v[200];
		memcpy(v, p + sizeof(name) - 1, len - (sizeof(name) - 1));
		v[len - (sizeof(name) - 1)] = 0;
		v[strcspn(v, "\r\n")] = 0;
		s->retry_after = http_retry_after(v, (int64_t)time(NULL));
	}
	return len;
}

static bool loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0 ||
	       strncmp(host, "127.", 4) == 0;
}

/* The request URL: the base's scheme, host and port, its path with `path` appended.
 * *ret_path is the path as the collector sees it (what is signed). */
static int request_url(const char *base, const char *path, char **ret_url, char **ret_path, struct excise_err *err)
{
	*ret_url = *ret_path = NULL;
	CURLU *u = curl_url();
	if (!u)
		return err_set(err, -ENOMEM, "out of memory");
	char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL, *frag = NULL, *bpath = NULL;
	int r = 0;
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK) {
		r = err_set(err, -EXCISE_E_USAGE, "'%s' is not a URL (https://HOST[:PORT])", base);
		goto done;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	curl_url_get(u, CURLUPART_PATH, &bpath, 0);
	if (!scheme || !host) {
		r = err_set(err, -EXCISE_E_USAGE, "'%s' is not a URL (https://HOST[:PORT])", base);
	} else if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") == 0 && loopback(host))) {
		r = err_set(err, -EXCISE_E_USAGE, "'%s': the collector's URL must be https:// (plain http only to a "
			    "loopback address)", base);
	} else if (user || query || frag) {
		r = err_set(err, -EXCISE_E_USAGE, "'%s': a collector's URL has no user name, query or fragment", base);
	} else {
		size_t bl = bpath ? strlen(bpath) : 0;
		while (bl && bpath[bl - 1] == '/')
			bl--;
		if (asprintf(ret_path, "%.*s%s", (int)bl, bpath ? bpath : "", path) < 0) {
			*ret_path = NULL;
			r = err_set(err, -ENOMEM, "out of memory");
		} else if (curl_url_set(u, CURLUPART_PATH, *ret_path, 0) != CURLUE_OK ||
			   curl_url_get(u, CURLUPART_URL, ret_url, 0) != CURLUE_OK) {
			r = err_set(err, -EXCISE_E_USAGE, "'%s': cannot make the request URL", base);
		}
	}
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(query);
	curl_free(frag);
	curl_free(bpath);
	curl_url_cleanup(u);
	if (r < 0) {
		free(*ret_path);
		curl_free(*ret_url);
		*ret_url = *ret_path = NULL;
	}
	return r;
}

void http_classify(struct http_resp *r, bool over)
{
	long s = r->status;
	json_t *j = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	const char *msg = json_is_object(j) ? json_string_value(json_object_get(j, "error")) : NULL;
	r->host_invalid = json_is_object(j) && json_is_true(json_object_get(j, "host_invalid"));
	if (s == 200 && !over) {
		r->cls = HTTP_OK;
	} else if (s == 200) {
		r->cls = HTTP_DOWN;
		snprintf(r->message, sizeof(r->message), "the collector's answer is over %u bytes",
			 EXCISE_MAX_AGENT_RESPONSE);
	} else if (s == 401) {
		r->cls = HTTP_AUTH;
	} else if (s == 429) {
		r->cls = HTTP_BUSY;
	} else if (s >= 500 || (s >= 300 && s < 400) || s < 200) {
		r->cls = HTTP_FAILING;
	} else {
		r->cls = HTTP_REFUSED;
	}
	if (r->cls != HTTP_OK && !r->message[0]) {
		if (s >= 300 && s < 400)
			snprintf(r->message, sizeof(r->message), "HTTP %ld: a redirect, not followed (give the "
				 "collector's own URL)", s);
		else
			snprintf(r->message, sizeof(r->message), "HTTP %ld%s%.300s", s, msg ? ": " : "", msg ? msg : "");
	}
	json_decref(j);
}

void http_client_done(struct http_client *cl)
{
	if (cl->curl)
		curl_easy_cleanup(cl->curl);
	cl->curl = NULL;
}

int http_post(const struct http_conn *c, struct http_client *cl, const char *path, const uint8_t *key,
	      const char *host_id, const void *body, size_t len, struct http_resp *resp, struct excise_err *err)
{
	*resp = (struct http_resp){ .retry_after = -1 };
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return err_set(err, -ENOMEM, "libcurl: %s", curl_easy_strerror(curl_init_rc));
	char *url = NULL, *rpath = NULL;
	int r = request_url(c->url, path, &url, &rpath, err);
	if (r < 0)
		return r;
	struct curl_slist *h = NULL;
	char line[256];
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (key) {
		char sig[EXCISE_PROTO_SIG_MAX];
		if ((r = excise_proto_sign(key, host_id, "POST", rpath, (int64_t)time(NULL), body, len, sig)) < 0) {
			r = err_set(err, r, "cannot sign the request as host '%s'", host_id);
			goto out;
		}
		snprintf(line, sizeof(line), "%s: %s", EXCISE_PROTO_HOST_HEADER, host_id);
		h = curl_slist_append(h, line);
		snprintf(line, sizeof(line), "%s: %s", EXCISE_PROTO_SIG_HEADER, sig);
		h = curl_slist_append(h, line);
	}
	/* the client's handle, whose connection cache keeps the connection open for the next
	 * request (keep-alive), or one of its own; every option is set afresh below */
	CURL *e = cl && cl->curl ? cl->curl : curl_easy_init();
	if (cl && e)
		cl->curl = e;
	if (!e || !h) {
		if (e && !cl)
			curl_easy_cleanup(e);
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	struct sink sink = { .retry_after = -1 };
	char ebuf[CURL_ERROR_SIZE] = "";
	char ua[64];
	snprintf(ua, sizeof(ua), "excise/%s", EXCISE_VERSION);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)EXCISE_AGENT_CONNECT_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)EXCISE_AGENT_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file) {
		/* only the operator's CAs: not the system's besides */
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	}
	if (c->pin) {
		curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, c->pin);
		if (!c->ca_file) {
			/* the pinned key is the trust: a collector's own self-signed certificate */
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &sink);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ebuf);
	CURLcode cc = curl_easy_perform(e);
	long connects = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
	if (cl) {
		cl->connects += (unsigned long)connects;
		/* its options point at this call's buffers and headers: cleared, the connection
		 * cache kept */
		curl_easy_reset(e);
	} else {
		curl_easy_cleanup(e);
	}
	resp->body = sink.data;
	resp->len = sink.len;
	resp->retry_after = sink.retry_after;
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && sink.over)) {
		resp->status = 0;
		bool tls = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
			   cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_SSL_CERTPROBLEM;
		resp->cls = tls ? HTTP_TLS : HTTP_DOWN;
		snprintf(resp->message, sizeof(resp->message), "%s%s: %.300s",
			 tls ? "the collector's certificate was refused" : "the collector cannot be reached",
			 "", ebuf[0] ? ebuf : curl_easy_strerror(cc));
	} else {
		http_classify(resp, sink.over);
	}
out:
	curl_slist_free_all(h);
	curl_free(url);
	free(rpath);
	return r;
}

void http_resp_done(struct http_resp *r)
{
	free(r->body);
	r->body = NULL;
}
