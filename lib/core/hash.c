/* SPDX-License-Identifier: Apache-2.0 */
/* hash: build-once, read-many string map (FNV-1a, linear probing). */
#include "core/hash.h"

#include <stdlib.h>
#include <string.h>

uint32_t hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

void hash_init(struct hash *h)
{
	*h = (struct hash){ 0 };
}

void hash_done(struct hash *h)
{
	free(h->slots);
	hash_init(h);
}

static struct hash_slot *probe(struct hash_slot *slots, size_t mask, const char *key, size_t len,
			       uint32_t hv)
{
	for (size_t i = hv & mask;; i = (i + 1) & mask) {
		struct hash_slot *s = &slots[i];
		if (!s->key)
			return s;
		if (s->hash == hv && s->len == len && memcmp(s->key, key, len) == 0)
			return s;
	}
}

static int grow(struct hash *h)
{
	size_t nslots = h->mask ? (h->mask + 1) * 2 : 16;
	struct hash_slot *slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	if (h->mask) {
		for (size_t i = 0; i <= h->mask; i++) {
			struct hash_slot *o = &h->slots[i];
			if (o->key)
				*probe(slots, nslots - 1, o->key, o->len, o->hash) = *o;
		}
	}
	free(h->slots);
	h->slots = slots;
	h->mask = nslots - 1;
	return 0;
}

struct hash_slot *hash_put(struct hash *h, const char *key, size_t len)
{
	if (len > UINT32_MAX)
		return NULL;
	if (!h->mask || (h->n + 1) * 2 > h->mask + 1) {
		if (grow(h) < 0)
			return NULL;
	}
	uint32_t hv = hash_bytes(key, len);
	struct hash_slot *s = probe(h->slots, h->mask, key, len, hv);
	if (!s->key) {
		*s = (struct hash_slot){ .key = key, .len = (uint32_t)len, .hash = hv, .value = -1 };
		h->n++;
	}
	return s;
}

const struct hash_slot *hash_get(const struct hash *h, const char *key, size_t len)
{
	if (!h->n)
		return NULL;
	uint32_t hv = hash_bytes(key, len);
	const struct hash_slot *s = probe(h->slots, h->mask, key, len, hv);
	return s->key ? s : NULL;
}

void strset_init(struct strset *s)
{
	*s = (struct strset){ 0 };
	hash_init(&s->h);
}

void strset_done(struct strset *s)
{
	hash_done(&s->h);
	for (size_t i = 0; i < s->n; i++)
		free(s->keys[i]);
	free(s->keys);
	*s = (struct strset){ 0 };
}

int strset_add(struct strset *s, const char *key, size_t len)
{
	if (hash_get(&s->h, key, len))
		return 0;
	if (array_full(s->n)) {
		char **keys = realloc(s->keys, array_cap(s->n) * sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		s->keys = keys;
	}
	/* Keys may hold NUL bytes (the evidence key joins fields with them): copy all len. */
	char *k = malloc(len + 1);
	if (!k)
		return -ENOMEM;
	memcpy(k, key, len);
	k[len] = 0;
	struct hash_slot *slot = hash_put(&s->h, k, len);
	if (!slot) {
		free(k);
		return -ENOMEM;
	}
	s->keys[s->n++] = k;
	slot->value = 1;
	return 1;
}

bool strset_has(const struct strset *s, const char *key, size_t len)
{
	return hash_get(&s->h, key, len) != NULL;
}
