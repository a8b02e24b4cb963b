/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doc: the one strict reader of the JSON documents excise reads back (catalog,
 * report, attestation, plan, journal, quarantine manifest), driven by field
 * tables in the manner of systemd's json_dispatch.
 *
 * A table lists, per member of a JSON object: its name, the JSON type it must
 * have, whether it is required, its limit (bytes of a string, items of an array,
 * range of an integer) and a handler that stores it into a struct member by
 * offset. Default handlers cover strings (borrowed or copied), exact bytes
 * (KEY, or KEY_hex), booleans, integers of each width, one-of-a-list strings,
 * string arrays, nested objects and arrays of objects; a custom handler does the
 * rest. Members the table does not name are refused or ignored, as the table says.
 *
 * Every error has one shape, naming the file, a JSON pointer to the place and
 * what was expected:
 *
 *     plan 'p.json': /steps/3/target: expected a string of at most 4096 bytes
 *     journal 'j': line 7: /outcome: expected one of done|already|skipped
 *     catalog 'c.json': /indicators/2 (id 'x'): unknown member 'valeu'
 *
 * Strings stored by the borrowing handlers point into the json_t: they live as
 * long as the caller keeps the document. Everything a handler allocates is
 * stored into the struct at once, so the caller's own free function releases a
 * half-read struct after a failure.
 */
#ifndef EXCISE_DOC_H
#define EXCISE_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"
#include "excise/error.h"

/* The JSON type a member must have (checked before its handler runs). */
enum doc_type {
	DOC_ANY,
	DOC_STRING,
	DOC_INTEGER,
	DOC_BOOLEAN,
	DOC_ARRAY,
	DOC_OBJECT,
};

enum doc_flags {
	DOC_REQUIRED = 1u << 0, /* absent is an error (present and null is not, with DOC_NULLABLE) */
	DOC_NULLABLE = 1u << 1, /* null is accepted and stores nothing (else null is a wrong type) */
	DOC_NONEMPTY = 1u << 2, /* strings (and the strings of a string array) may not be "" */
	DOC_HEX = 1u << 3,      /* the value may come as KEY_hex instead: lower-case hex of the bytes */
	DOC_ABSOLUTE = 1u << 4, /* strings: an absolute path (starts with '/') */
};

/* What a table does with members it does not name. */
enum doc_unknown {
	DOC_UNKNOWN_REFUSE,
	DOC_UNKNOWN_IGNORE,
};

struct doc;
struct doc_field;

/* Store `v` (already of the field's type, never JSON null) into `ret` (the struct
 * base plus the field's offset). Returns 0 or a negative error set through doc_fail(). */
typedef int (*doc_handler)(struct doc *d, const struct doc_field *f, json_t *v, void *ret);

struct doc_table {
	const struct doc_field *fields;    /* ends with an entry whose name is NULL */
	enum doc_unknown unknown;
	const char *id_key;                /* when set, errors inside name the object by this member */
	/* Run after the members were stored, the pointer still at the object: checks
	 * across members. `base` is the struct the fields were stored into. */
	int (*check)(struct doc *d, json_t *obj, void *base);
};

struct doc_field {
	const char *name;
	enum doc_type type;
	doc_handler handler;               /* NULL: checked (type, limits, values) and not stored */
	size_t offset;                     /* of the member `ret` points to, in the struct */
	unsigned flags;                    /* enum doc_flags */
	/* Limits, 0 and 0 for none beyond the storage type: bytes of a string (min..max);
	 * items of an array (min..max); range of an integer (min..max); the lowest
	 * index accepted of `values` (min). */
	int64_t min, max;
	const char *const *values;         /* doc_enum: the accepted strings, NULL-terminated */
	const struct doc_table *table;     /* doc_object, doc_objects: the members of the object(s) */
	size_t size;                       /* doc_objects: bytes of one element */
	size_t count;                      /* doc_objects: offset of the size_t element count */
};

struct doc {
	const char *label;                 /* "catalog", "plan", ... */
	const char *name;                  /* the file */
	struct excise_err *err;
	int code;                          /* returned for content errors: -EXCISE_E_CORRUPT unless set */
	size_t line;                       /* of a JSON Lines file, when not 0 */
	void *userdata;                    /* for custom handlers */
	const char *id;                    /* of the innermost object with a table id_key */
	size_t ptr_len;
	char ptr[256];                     /* the JSON pointer of the place being read */
	/* Set `collect` (and `err`) to read on after a content error (d->code): each item of
	 * an array of objects, each member of the top object and each unknown member is
	 * read, and every message is added to `problems` (NULL-terminated, each string and
	 * the vector malloc'd: the caller frees them). A struct whose member failed is left
	 * half read and its table's check is not run. The result is still the error. */
	bool collect;
	bool fresh;                        /* err holds a message not yet in problems */
	char **problems;
	size_t n_problems;
};

/* Prepare `d`; `label` and `name` must outlive it. */
void doc_init(struct doc *d, const char *label, const char *name, struct excise_err *err);

/* -EXCISE_E_TOOBIG (with the message) when `len` is over `max`. */
int doc_size(struct doc *d, size_t len, size_t max);

/* Parse `bytes` (at most `max`) into a JSON object; duplicate members and \u0000 are refused.
 * The caller owns *ret (json_decref). */
NODISCARD int doc_load(struct doc *d, const void *bytes, size_t len, size_t max, json_t **ret);

/* Store the members of `obj` named by `t` into `base`, then run t->check. */
NODISCARD int doc_dispatch(struct doc *d, json_t *obj, const struct doc_table *t, void *base);

/* Fail at the current place: "<label> '<name>': [line N: ]<pointer>[ (id 'x')]: <message>".
 * Returns d->code. */
int doc_fail(struct doc *d, const char *fmt, ...) PRINTF(2, 3);
/* The same with another code (-ENOMEM, -EXCISE_E_LIMIT...). */
int doc_failc(struct doc *d, int code, const char *fmt, ...) PRINTF(3, 4);
/* Fail with "expected <what the field accepts>". */
int doc_expected(struct doc *d, const struct doc_field *f);

/* Move the pointer into member `key` or item `i`; doc_leave(d, mark) moves back to
 * where the value returned by the doc_enter_* call was. */
size_t doc_enter_key(struct doc *d, const char *key);
size_t doc_enter_index(struct doc *d, size_t i);
void doc_leave(struct doc *d, size_t mark);

/* Call `fn` on each item of `arr`, the pointer at the item; stops at the first error. */
int doc_each(struct doc *d, json_t *arr, int (*fn)(struct doc *d, size_t i, json_t *item, void *userdata),
	     void *userdata);

/* JSON Lines: load each line ending in '\n' as an object (d->line its number) and
 * call `fn` on it; a last line without one is torn (it never was) and skipped.
 * More than `max_lines` lines (0: no limit) is -EXCISE_E_LIMIT. *ret_lines (may be
 * NULL) counts the complete lines read, also on failure. */
int doc_lines(struct doc *d, const char *bytes, size_t len, size_t max_lines,
	      int (*fn)(struct doc *d, json_t *obj, void *userdata), void *userdata, size_t *ret_lines);

/* The "event" member of a JSON Lines record: one of `events` (its index into *ret),
 * events[first] on line 1 and on no other line. */
int doc_event(struct doc *d, json_t *obj, const char *const *events, int first, int *ret);

/* ---- default handlers ----
 * doc_string and doc_string_dup take f->values too: then the string must be one of them;
 * so do doc_strv and doc_strv_dup, for each string (all of them: f->min counts items there). */

int doc_string(struct doc *d, const struct doc_field *f, json_t *v, void *ret);     /* const char *, borrowed */
int doc_string_dup(struct doc *d, const struct doc_field *f, json_t *v, void *ret); /* char *, owned */
int doc_bytes(struct doc *d, const struct doc_field *f, json_t *v, void *ret);      /* char *, owned; KEY or KEY_hex */
int doc_bool(struct doc *d, const struct doc_field *f, json_t *v, void *ret);       /* bool */
int doc_int64(struct doc *d, const struct doc_field *f, json_t *v, void *ret);      /* int64_t */
int doc_uint64(struct doc *d, const struct doc_field *f, json_t *v, void *ret);     /* uint64_t */
int doc_int(struct doc *d, const struct doc_field *f, json_t *v, void *ret);        /* int */
int doc_unsigned(struct doc *d, const struct doc_field *f, json_t *v, void *ret);   /* unsigned */
int doc_enum(struct doc *d, const struct doc_field *f, json_t *v, void *ret);       /* int: index in f->values */
int doc_string_enum(struct doc *d, const struct doc_field *f, json_t *v, void *ret);/* const char *, borrowed,
										     * one of f->values */
int doc_strv(struct doc *d, const struct doc_field *f, json_t *v, void *ret);       /* const char **, NULL-terminated
										     * array owned, strings borrowed */
int doc_strv_dup(struct doc *d, const struct doc_field *f, json_t *v, void *ret);   /* char **, all owned */
int doc_json(struct doc *d, const struct doc_field *f, json_t *v, void *ret);       /* json_t *, borrowed */
int doc_object(struct doc *d, const struct doc_field *f, json_t *v, void *ret);     /* f->table into ret */
/* An array of objects into a calloc'd array of f->size bytes each (a pointer at
 * `offset`), f->table dispatched on each; the count at `count` grows before each
 * element is read, so a failure leaves every element begun counted. */
int doc_objects(struct doc *d, const struct doc_field *f, json_t *v, void *ret);

/* The JSON type name of `v` for messages: "a string", "null"... */
const char *doc_type_name(json_t *v);

#endif
