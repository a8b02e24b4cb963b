/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The limits on input that a front end applies too: the size of each document
 * it reads whole before handing it to the library (which checks the same
 * limit), the threads of the full walk, the keys taken from the environment.
 * Defined here once; lib/core/limits.h includes this file with the rest.
 */
#ifndef EXCISE_PUBLIC_LIMITS_H
#define EXCISE_PUBLIC_LIMITS_H

/* Documents read whole */
#define EXCISE_MAX_SIGFILE_SIZE (64u << 10)   /* bytes of a .minisig or minisign key file */
#define EXCISE_MAX_REPORT_SIZE (256u << 20)   /* bytes of an excise.report document */
#define EXCISE_MAX_ATTEST_SIZE (16u << 20)    /* bytes of an excise.attestation/1 document */
#define EXCISE_MAX_PLAN_SIZE (64u << 20)      /* bytes of an excise.plan/1 document read back */
#define EXCISE_MAX_SECRET_SIZE 4096u          /* bytes of an enrollment secret (--secret-file, --secret-env) */

/* Scans */
#define EXCISE_MAX_WALK_THREADS 64u           /* threads of the full walk (--threads) */
#define EXCISE_MAX_TEXT_WIDTH 10000u         /* columns of a text report ($COLUMNS beyond it: the default) */

/* Catalog trust */
#define EXCISE_MAX_TRUSTED_KEYS 64u           /* keys read from EXCISE_TRUSTED_KEYS (more are ignored) */

/* The collector's storage (lib/fleet/ingest.c, store.c) */
#define EXCISE_MAX_SUBMIT_SIZE (16u << 20)    /* bytes of one document a host submits */
#define EXCISE_MAX_SUBMIT_FINDINGS 10000u     /* findings of one submitted report */
#define EXCISE_MAX_SUBMIT_PRODUCTS 1000u      /* products a submitted plan or removal names */
#define EXCISE_MAX_SUBMIT_FIELD 4096u         /* bytes of one string stored from a document or a request */
#define EXCISE_MAX_INVENTORY_SIZE (64u << 20) /* bytes of an expected-inventory CSV */
#define EXCISE_MAX_INVENTORY_ROWS 1000000u    /* rows of an expected-inventory CSV */
#define EXCISE_MAX_INVENTORY_PROBLEMS 100u    /* bad rows of an import listed (the rest counted) */

/* The collector (excise serve, lib/serve/): the defaults of its limits, each one
 * setting of its config file ("limits"), and the ceilings a setting may not pass */
#define EXCISE_MAX_SERVE_BODY (4u << 20)          /* bytes of one request body (413 beyond; a Content-Length over
						  * it is answered before the body is read) */
#define EXCISE_MAX_SERVE_BODY_CEILING EXCISE_MAX_SUBMIT_SIZE /* the most "body_bytes" may say (the store's own limit) */
#define EXCISE_MAX_SERVE_ENROLL_BODY (16u << 10)  /* bytes of an enroll request's body */
#define EXCISE_MAX_SERVE_HEADERS (16u << 10)      /* bytes of a request's header lines (431 beyond) */
#define EXCISE_MAX_SERVE_CONN_MEMORY (32u << 10)  /* libmicrohttpd's memory per connection: headers past it
						  * are refused by libmicrohttpd itself (431, its own page);
						  * it zeroes it all after each request: no larger than needed */
#define EXCISE_MAX_SERVE_CONNECTIONS 4096u        /* connections open at once */
#define EXCISE_MAX_SERVE_CONN_PER_ADDRESS 64u     /* connections from one address (more are closed at once) */
#define EXCISE_MAX_SERVE_IDLE_SECONDS 30u         /* a connection silent this long is closed (slow clients) */
#define EXCISE_MAX_SERVE_REQUEST_SECONDS 60u      /* a request body still arriving after this long is cut */
#define EXCISE_MAX_SERVE_HOST_PER_MINUTE 60u      /* signed requests of one host in one minute (429 beyond) */
#define EXCISE_MAX_SERVE_RATE_HOSTS 1000000u      /* hosts counted in one minute (a host beyond: 429) */
#define EXCISE_MAX_SERVE_THREADS 256u             /* the most "threads" may say (0: one per core) */
#define EXCISE_MAX_SERVE_FIELD 256u               /* bytes of a hostname, os, version or secret when enrolling */
#define EXCISE_MAX_SERVE_ID 128u                  /* bytes of a host id or a machine id */
#define EXCISE_MAX_SERVE_CONFIG (1u << 20)        /* bytes of the collector's config file */
#define EXCISE_MAX_SERVE_PEM (1u << 20)           /* bytes of a certificate or key file */
#define EXCISE_MAX_SERVE_DRAIN_SECONDS 90u        /* longest a stop or a certificate reload waits for requests in flight */

#endif
