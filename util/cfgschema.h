/* cfgschema — a table-driven validator that loads JSON config into C structs.
 *
 * A schema is a static table of fields. Each field names a JSON key, its
 * type, whether it is required, its default, its range or enumeration, and
 * where in a C struct its value goes (CFG_AT). cfg_load_file reads a file,
 * substitutes ${ENV_VAR} references in string values, checks every key and
 * value, applies defaults, runs the schemas' cross-check hooks and fills the
 * struct; the first problem stops it with ONE line of the form
 *
 *   FILE: JSON.PATH: expected ..., got ...
 *
 * Unknown keys are rejected with a "did you mean" for near misses. Fields
 * flagged CFG_SECRET must be written as a ${ENV_VAR} reference and are
 * printed as "***" by cfg_to_json, as are pass-through (CFG_KV) keys that
 * look like credentials (cfg_key_is_secret).
 *
 * Storage per type (the struct member the field points at):
 *   CFG_STRING                       char *  (owned; NULL when absent without default)
 *   CFG_INT                          int or int64_t (by the member's size)
 *   CFG_NUMBER                       double
 *   CFG_BOOL                         bool
 *   CFG_DURATION                     int64_t milliseconds ("250ms" "30s" "5m" "1h" "2d")
 *   CFG_SIZE                         uint64_t bytes ("512" "64KiB" "1GiB" "10MB", or an integer)
 *   CFG_ENUM                         int: index into .enums
 *   CFG_TIME                         int64_t epoch ms (RFC 3339 or epoch ms string)
 *   CFG_STRING_ARRAY                 cfg_strv
 *   CFG_ENUM_ARRAY                   cfg_intv (indexes into .enums, no repeats)
 *   CFG_OBJECT                       a struct filled by .sub (inline member)
 *   CFG_OBJECT_ARRAY                 CFG_ARRAY(T): T filled by .sub, .sub->size bytes each
 *   CFG_KV                           cfg_kv: scalar values kept as strings, in file order
 */
#ifndef FINSENT_CFGSCHEMA_H
#define FINSENT_CFGSCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

typedef enum cfg_type {
    CFG_STRING,
    CFG_INT,
    CFG_NUMBER,
    CFG_BOOL,
    CFG_DURATION,
    CFG_SIZE,
    CFG_ENUM,
    CFG_TIME,
    CFG_STRING_ARRAY,
    CFG_ENUM_ARRAY,
    CFG_OBJECT,
    CFG_OBJECT_ARRAY,
    CFG_KV,
} cfg_type;

enum cfg_flags {
    CFG_REQUIRED = 1 << 0, /* absent key is an error */
    CFG_SECRET = 1 << 1,   /* must be a ${ENV_VAR} reference; printed as "***" */
    CFG_MIN = 1 << 2,      /* .min applies (arrays: the least element count) */
    CFG_MAX = 1 << 3,      /* .max applies */
    CFG_MIN_EXCL = 1 << 4, /* .min is exclusive (value > min) */
};

typedef struct cfg_strv { char **v; size_t n; } cfg_strv;
typedef struct cfg_intv { int *v; size_t n; } cfg_intv;
typedef struct cfg_kv { char **keys; char **vals; size_t n; } cfg_kv;
/* An array of schema-filled structs; generic code sees every CFG_ARRAY(T)
 * through this layout. */
typedef struct cfg_array { void *v; size_t n; } cfg_array;
#define CFG_ARRAY(T) struct { T *v; size_t n; }

typedef struct cfg_ctx cfg_ctx;
typedef struct cfg_schema cfg_schema;

typedef struct cfg_field {
    const char *key;
    cfg_type type;
    unsigned flags;
    /* Default: scalar types take the value as written in a config string
     * ("5m", "64MiB", "entity", "finsent", "10", "true"); arrays and objects
     * take JSON text ("[\"entity\"]"). NULL: no default (zero / NULL / empty;
     * an absent CFG_OBJECT still gets its own fields' defaults). */
    const char *def;
    double min, max;            /* with CFG_MIN / CFG_MAX; durations in ms, sizes in bytes */
    const char *const *enums;   /* NULL-terminated, for CFG_ENUM and CFG_ENUM_ARRAY */
    const cfg_schema *sub;      /* for CFG_OBJECT and CFG_OBJECT_ARRAY */
    const char *when;           /* only valid when the schema's tag field has this value */
    size_t offset, size;        /* set with CFG_AT */
} cfg_field;

#define CFG_AT(type, member) .offset = offsetof(type, member), .size = sizeof(((type *)0)->member)

/* A cross-check run after an object's fields are filled: obj is the filled
 * struct, json the object as written (to see which keys were given). Report
 * a problem with cfg_fail and return -1; return 0 when all is well. May fill
 * derived defaults (e.g. one field defaulting to another). */
typedef int (*cfg_check_fn)(void *obj, const cJSON *json, cfg_ctx *ctx);

struct cfg_schema {
    const char *name;        /* what one object is, for messages: "sink", "rule" */
    const cfg_field *fields; /* table of n_fields */
    size_t n_fields;
    size_t size;             /* sizeof the struct one object fills */
    const char *tag;         /* key of an enum field that selects which "when" fields apply, or NULL */
    cfg_check_fn check;      /* or NULL */
};

#define CFG_SCHEMA(nm, st, tbl, tg, chk) \
    { .name = (nm), .fields = (tbl), .n_fields = sizeof(tbl) / sizeof((tbl)[0]), .size = sizeof(st), .tag = (tg), .check = (chk) }

/* Loads FILE (named in messages exactly as given) into obj (schema->size
 * bytes, zeroed here). Returns 0, or -1 with one line in err (no newline);
 * after -1 obj holds nothing that needs freeing. */
int cfg_load_file(const char *path, const cfg_schema *schema, void *obj, char *err, size_t errlen);

/* As cfg_load_file, for JSON text already in memory; path only names it. */
int cfg_load_text(const char *path, const char *text, size_t len, const cfg_schema *schema, void *obj, char *err,
                  size_t errlen);

/* Frees everything cfg_load_* allocated inside obj and zeroes it. */
void cfg_obj_free(const cfg_schema *schema, void *obj);

/* The effective config as a new JSON tree (caller deletes): every field with
 * its value, defaults included, durations and sizes in human form, secrets
 * and credential-like pass-through keys as "***"; a field left out without
 * a default (a string, an array that needs an element) stays out. Loaded
 * again (secrets aside), it gives the same config. */
cJSON *cfg_to_json(const cfg_schema *schema, const void *obj);

/* For check hooks: reports "FILE: PATH: message" where PATH is the path of
 * the object being checked joined with rel (NULL or "" for the object
 * itself; "advance", "sinks[1]"). Always returns -1. */
int cfg_fail(cfg_ctx *ctx, const char *rel, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The closest of n candidates to word (Levenshtein distance <= 2, or one a
 * prefix of the other), or NULL when none is close. */
const char *cfg_suggest(const char *word, const char *const *cands, size_t n);

/* Parses "250ms" "30s" "5m" "1h" "2d" (an integer and a unit) into ms.
 * Returns 0, or -1 when the text is not such a duration or overflows. */
int cfg_parse_duration(const char *s, int64_t *ms);
/* Parses "512", "64KiB" (also MiB GiB TiB) and "10KB" (also MB GB TB) into
 * bytes. Returns 0, or -1. */
int cfg_parse_size(const char *s, uint64_t *bytes);
/* Writes ms in the largest unit that divides it ("5m", "250ms"). */
void cfg_format_duration(int64_t ms, char *buf, size_t len);
/* Writes bytes in the largest unit that divides it ("64MiB", "10MB", "512"). */
void cfg_format_size(uint64_t bytes, char *buf, size_t len);

/* True when field f of schema s is in use for the filled object obj: it has
 * no "when", or the object's tag value is one of its "|"-separated names. */
bool cfg_field_applies(const cfg_schema *s, const cfg_field *f, const void *obj);

/* True when a pass-through key looks like a credential ("password",
 * "secret", "sasl.oauthbearer.config", "ssl.key" anywhere in it). */
bool cfg_key_is_secret(const char *key);

#endif
