/* dict — the one hash table: byte-string keys interned to small integer ids.
 *
 * Redis's dict in spirit (one generic container instead of one per type),
 * shaped as an interning table: dict_add copies a key once and gives it an
 * id, 0, 1, 2, ... in order of first sight (an id freed by dict_del is
 * handed out again by a later add). What belongs to a key lives in the
 * caller's arrays indexed by its id, sized by dict_id_limit, so there are
 * no value callbacks and a lookup allocates nothing.
 *
 * A key is any byte string: a name, or an integer or small struct written
 * as bytes (compare with memcmp: no padding bytes in such a struct). The
 * table copies it (NUL-terminated, so a text key reads as a C string);
 * the copy stays at the same address until the key is deleted or the dict
 * cleared or freed.
 *
 * Open addressing, linear probing, a power-of-two slot array at most half
 * full; deletion shifts later entries back (no tombstones). Each id keeps
 * its hash, so growing never hashes a key again.
 *
 * Hashing: DICT_SEEDED (SipHash-1-3 keyed per process from getrandom, as
 * Redis does) for keys an outsider chooses (entity names, message and
 * alert ids), so that crafted collisions cannot turn lookups linear;
 * DICT_FNV (FNV-1a 64, util/fnv) for keys that come from the program or a
 * trusted file (a vocabulary, ids it made), where it is cheaper. Ids never
 * depend on the hash, so neither does anything a caller does with them.
 *
 * Not thread-safe; at most INT32_MAX - 1 keys. Out of memory aborts
 * (util/xalloc), so nothing here fails. */
#ifndef FINSENT_DICT_H
#define FINSENT_DICT_H

#include <stddef.h>
#include <stdint.h>

enum dict_hash { DICT_SEEDED = 0, DICT_FNV };

typedef struct dict dict;

/* An empty table hashing with h. Never NULL. */
dict *dict_new(enum dict_hash h);

/* Frees the table and every key copy; NULL is a no-op. */
void dict_free(dict *d);

/* The id of key[0..len), adding a copy of it on first sight; *added (may
 * be NULL) is set to 1 when it was added, 0 when it was there. */
int dict_add(dict *d, const void *key, size_t len, int *added);

/* The id of key[0..len), or -1 when absent. */
int dict_find(const dict *d, const void *key, size_t len);

/* The id of the key that is a[0..alen) followed by b[0..blen), or -1: a
 * lookup of a two-part key without copying it together (a "##" prefix
 * and a word piece). */
int dict_find2(const dict *d, const void *a, size_t alen, const void *b, size_t blen);

/* Removes key[0..len) and frees its copy. Returns its (now free) id, or -1
 * when absent. */
int dict_del(dict *d, const void *key, size_t len);

/* Removes the key of a live id (as dict_del of its key). */
void dict_del_id(dict *d, int id);

/* The key of id and its length in *len (may be NULL), or NULL when id is
 * not in use (never handed out, or deleted). */
const char *dict_key(const dict *d, int id, size_t *len);

/* Keys in the table. */
int dict_count(const dict *d);

/* One past the largest id handed out since the dict was made or cleared:
 * the length a caller's per-id arrays need. */
int dict_id_limit(const dict *d);

/* Removes every key (ids start again from 0), keeping the slot array's
 * size for reuse. */
void dict_clear(dict *d);

#endif
