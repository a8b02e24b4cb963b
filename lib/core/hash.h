/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash: an open-addressing map from byte strings to an int value, built once
 * and then read from any thread without locks. Keys are borrowed: they must
 * outlive the table. Several values per key are kept by the caller (the value
 * can index a chain).
 */
#ifndef EXCISE_HASH_H
#define EXCISE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

struct hash_slot {
	const char *key;
	uint32_t len;
	uint32_t hash;
	int value;
};

struct hash {
	struct hash_slot *slots;
	size_t mask;   /* slots - 1; 0 when empty */
	size_t n;
};

uint32_t hash_bytes(const void *p, size_t len);
void hash_init(struct hash *h);
void hash_done(struct hash *h);
/* Insert or find: returns the slot for key (new slots have value -1). NULL on OOM. */
NODISCARD struct hash_slot *hash_put(struct hash *h, const char *key, size_t len);
/* Lookup; NULL if absent. */
const struct hash_slot *hash_get(const struct hash *h, const char *key, size_t len);

/* A set of strings that owns its copies of them (paths seen, folders that matched). */
struct strset {
	struct hash h;
	char **keys;
	size_t n;
};

void strset_init(struct strset *s);
void strset_done(struct strset *s);
/* Add a copy of key[0..len): 1 when it was new, 0 when already there, -ENOMEM. */
NODISCARD int strset_add(struct strset *s, const char *key, size_t len);
bool strset_has(const struct strset *s, const char *key, size_t len);

#endif
