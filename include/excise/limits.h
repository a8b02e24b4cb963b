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

#endif
