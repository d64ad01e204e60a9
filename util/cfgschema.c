/* cfgschema — loading and checking JSON config against a field table;
 * see cfgschema.h for the contract. The first error stops the load: ctx
 * keeps the JSON path of the value being read so that the message names it. */
#include "util/cfgschema.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define CFG_MAX_FILE_BYTES (16u << 20)

struct cfg_ctx {
    const char *file;
    char path[512];
    size_t plen;
    char *err;
    size_t errlen;
};

/* ---- paths and messages ---- */

static size_t path_push_key(cfg_ctx *ctx, const char *key) {
    size_t saved = ctx->plen;
    int n = snprintf(ctx->path + ctx->plen, sizeof ctx->path - ctx->plen, "%s%s", ctx->plen ? "." : "", key);
    if (n > 0) ctx->plen = strnlen(ctx->path, sizeof ctx->path - 1);
    return saved;
}

static size_t path_push_index(cfg_ctx *ctx, size_t i) {
    size_t saved = ctx->plen;
    int n = snprintf(ctx->path + ctx->plen, sizeof ctx->path - ctx->plen, "[%zu]", i);
    if (n > 0) ctx->plen = strnlen(ctx->path, sizeof ctx->path - 1);
    return saved;
}

static void path_pop(cfg_ctx *ctx, size_t saved) {
    ctx->plen = saved;
    ctx->path[saved] = '\0';
}

static int vfail(cfg_ctx *ctx, const char *rel, const char *fmt, va_list ap) {
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char full[640];
    const char *sep = (ctx->plen && rel && rel[0] && rel[0] != '[') ? "." : "";
    snprintf(full, sizeof full, "%s%s%s", ctx->path, sep, rel ? rel : "");
    /* err_set keeps it one line: a key or string may hold a raw or escaped newline */
    if (full[0]) return err_set(ctx->err, ctx->errlen, "%s: %s: %s", ctx->file, full, msg);
    return err_set(ctx->err, ctx->errlen, "%s: %s", ctx->file, msg);
}

int cfg_fail(cfg_ctx *ctx, const char *rel, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(ctx, rel, fmt, ap);
    va_end(ap);
    return -1;
}

/* fail at the current path */
static int fail(cfg_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(cfg_ctx *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(ctx, NULL, fmt, ap);
    va_end(ap);
    return -1;
}

/* What a JSON value is, for "got ...": strings quoted and cut, numbers as
 * written, containers by kind. */
static const char *describe(const cJSON *v, char *buf, size_t len) {
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        if (strlen(s) > 60)
            snprintf(buf, len, "\"%.57s...\"", s);
        else
            snprintf(buf, len, "\"%s\"", s);
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, len, "%.17g", v->valuedouble);
        char alt[40];
        snprintf(alt, sizeof alt, "%g", v->valuedouble);
        if (strtod(alt, NULL) == v->valuedouble) snprintf(buf, len, "%s", alt);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, len, "null");
    } else if (cJSON_IsArray(v)) {
        snprintf(buf, len, cJSON_GetArraySize(v) ? "an array" : "an empty array");
    } else {
        snprintf(buf, len, "an object");
    }
    return buf;
}

/* ---- ${ENV} substitution ---- */

static bool env_name_ok(const char *s, size_t n) {
    if (n == 0 || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) return false;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* True when s is exactly one ${NAME} reference. */
static bool is_env_ref(const char *s) {
    size_t n = strlen(s);
    return n > 3 && s[0] == '$' && s[1] == '{' && s[n - 1] == '}' && env_name_ok(s + 2, n - 3);
}

/* Returns a fresh copy of s with ${NAME} replaced by the variable's value,
 * ${NAME:-default} by the value or, when unset or empty, the default (which
 * may not contain '}'), and "$${" by "${"; NULL after reporting an unset
 * variable or a bad reference.
 * Never echoes s itself: it may hold a secret. */
static char *env_subst(cfg_ctx *ctx, const char *s) {
    size_t cap = strlen(s) + 1, len = 0;
    char *out = xmalloc(cap);
    for (const char *p = s; *p;) {
        const char *piece = p;
        size_t plen = 1;
        char dbuf[1024]; /* a ${NAME:-default}'s default */
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            piece = "${";
            plen = 2;
            p += 3;
        } else if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p + 2, '}');
            const char *dflt = end ? strstr(p + 2, ":-") : NULL;
            if (dflt && dflt > end) dflt = NULL;
            const char *name_end = dflt ? dflt : end;
            if (!end || !env_name_ok(p + 2, (size_t)(name_end - p - 2))) {
                free(out);
                fail(ctx, "expected ${NAME} or ${NAME:-default} with NAME made of letters, digits and _ "
                          "(write $${ for a literal ${)");
                return NULL;
            }
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(name_end - p - 2), p + 2);
            piece = getenv(name);
            if (dflt && (!piece || !*piece)) {
                snprintf(dbuf, sizeof dbuf, "%.*s", (int)(end - dflt - 2), dflt + 2);
                piece = dbuf;
            }
            if (!piece) {
                free(out);
                fail(ctx, "environment variable %s is not set", name);
                return NULL;
            }
            plen = strlen(piece);
            p = end + 1;
        } else {
            p++;
        }
        if (len + plen + 1 > cap) {
            cap = (len + plen + 1) * 2;
            out = xrealloc(out, cap);
        }
        memcpy(out + len, piece, plen);
        len += plen;
    }
    out[len] = '\0';
    return out;
}

/* A string value after substitution, or NULL after an error. */
static char *string_value(cfg_ctx *ctx, const cJSON *v, const char *expected) {
    char got[96];
    if (!cJSON_IsString(v)) {
        fail(ctx, "expected %s, got %s", expected, describe(v, got, sizeof got));
        return NULL;
    }
    return env_subst(ctx, v->valuestring);
}

/* ---- ranges ---- */

static void fmt_bound(const cfg_field *f, double x, char *buf, size_t len) {
    if (f->type == CFG_DURATION) cfg_format_duration((int64_t)x, buf, len);
    else if (f->type == CFG_SIZE) cfg_format_size((uint64_t)x, buf, len);
    else snprintf(buf, len, "%.15g", x);
}

/* Checks x against the field's bounds; on failure reports "expected WHAT in
 * range, got GOT". */
static int check_range(cfg_ctx *ctx, const cfg_field *f, double x, const char *what, const char *got) {
    bool lo_ok = !(f->flags & CFG_MIN) || ((f->flags & CFG_MIN_EXCL) ? x > f->min : x >= f->min);
    bool hi_ok = !(f->flags & CFG_MAX) || x <= f->max;
    if (lo_ok && hi_ok) return 0;
    char lo[32], hi[32];
    fmt_bound(f, f->min, lo, sizeof lo);
    fmt_bound(f, f->max, hi, sizeof hi);
    const char *gt = (f->flags & CFG_MIN_EXCL) ? ">" : ">=";
    if ((f->flags & CFG_MIN) && (f->flags & CFG_MAX) && !(f->flags & CFG_MIN_EXCL))
        return fail(ctx, "expected %s from %s to %s, got %s", what, lo, hi, got);
    if ((f->flags & CFG_MIN) && (f->flags & CFG_MAX))
        return fail(ctx, "expected %s %s %s and <= %s, got %s", what, gt, lo, hi, got);
    if (f->flags & CFG_MIN) return fail(ctx, "expected %s %s %s, got %s", what, gt, lo, got);
    return fail(ctx, "expected %s <= %s, got %s", what, hi, got);
}

/* ---- enums ---- */

static size_t enum_count(const char *const *e) {
    size_t n = 0;
    while (e[n]) n++;
    return n;
}

static int enum_index(cfg_ctx *ctx, const cfg_field *f, const char *s) {
    size_t n = enum_count(f->enums);
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, f->enums[i]) == 0) return (int)i;
    char list[256] = "";
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s\"%s\"", i == 0 ? "" : (i + 1 == n ? " or " : ", "), f->enums[i]);
    }
    const char *near = cfg_suggest(s, f->enums, n);
    if (near) return fail(ctx, "expected %s, got \"%s\" (did you mean \"%s\"?)", list, s, near);
    return fail(ctx, "expected %s, got \"%s\"", list, s);
}

/* ---- values ---- */

static int load_object(cfg_ctx *ctx, const cfg_schema *s, const cJSON *obj, void *dst);

static size_t storage_size(const cfg_field *f) {
    switch (f->type) {
    case CFG_STRING: return sizeof(char *);
    case CFG_INT: return f->size == sizeof(int) ? sizeof(int) : sizeof(int64_t);
    case CFG_NUMBER: return sizeof(double);
    case CFG_BOOL: return sizeof(bool);
    case CFG_DURATION: case CFG_TIME: return sizeof(int64_t);
    case CFG_SIZE: return sizeof(uint64_t);
    case CFG_ENUM: return sizeof(int);
    case CFG_STRING_ARRAY: return sizeof(cfg_strv);
    case CFG_ENUM_ARRAY: return sizeof(cfg_intv);
    case CFG_OBJECT: return f->sub->size;
    case CFG_OBJECT_ARRAY: return sizeof(cfg_array);
    case CFG_KV: return sizeof(cfg_kv);
    }
    return 0;
}

static int load_string(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, char **dst) {
    if ((f->flags & CFG_SECRET) && !(cJSON_IsString(v) && is_env_ref(v->valuestring)))
        return fail(ctx, "expected a ${ENV_VAR} reference (secrets are not written in config files), got a literal %s",
                    cJSON_IsString(v) ? "string" : "value");
    char *s = string_value(ctx, v, "a string");
    if (!s) return -1;
    *dst = s;
    return 0;
}

static int load_int(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, void *dst) {
    char got[96];
    describe(v, got, sizeof got);
    double x = v->valuedouble;
    if (!cJSON_IsNumber(v) || x != floor(x) || fabs(x) > 9007199254740992.0)
        return fail(ctx, "expected an integer, got %s", got);
    if (check_range(ctx, f, x, "an integer", got)) return -1;
    if (f->size == sizeof(int)) {
        if (x < INT_MIN || x > INT_MAX) return fail(ctx, "expected an integer from %d to %d, got %s", INT_MIN, INT_MAX, got);
        int i = (int)x;
        memcpy(dst, &i, sizeof i);
    } else {
        int64_t i = (int64_t)x;
        memcpy(dst, &i, sizeof i);
    }
    return 0;
}

static int load_number(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, double *dst) {
    char got[96];
    describe(v, got, sizeof got);
    if (!cJSON_IsNumber(v)) return fail(ctx, "expected a number, got %s", got);
    /* cJSON reads 1e999 as infinity and would print it back as null */
    if (!isfinite(v->valuedouble)) return fail(ctx, "expected a finite number, got %s", got);
    if (check_range(ctx, f, v->valuedouble, "a number", got)) return -1;
    *dst = v->valuedouble;
    return 0;
}

static int load_duration(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, int64_t *dst) {
    static const char what[] = "a duration like \"5m\"";
    char *s = string_value(ctx, v, what);
    if (!s) return -1;
    int64_t ms;
    int rc = cfg_parse_duration(s, &ms) ? fail(ctx, "expected %s (ms, s, m, h or d), got \"%s\"", what, s) : 0;
    if (rc == 0) {
        char got[96];
        snprintf(got, sizeof got, "\"%s\"", s);
        rc = check_range(ctx, f, (double)ms, "a duration", got);
    }
    free(s);
    if (rc == 0) *dst = ms;
    return rc;
}

static int load_size(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, uint64_t *dst) {
    static const char what[] = "a size like \"64MiB\"";
    char got[96];
    uint64_t b;
    if (cJSON_IsNumber(v)) {
        describe(v, got, sizeof got);
        if (v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble) || v->valuedouble > 9007199254740992.0)
            return fail(ctx, "expected %s, got %s", what, got);
        b = (uint64_t)v->valuedouble;
    } else {
        char *s = string_value(ctx, v, what);
        if (!s) return -1;
        snprintf(got, sizeof got, "\"%s\"", s);
        int bad = cfg_parse_size(s, &b);
        free(s);
        if (bad) return fail(ctx, "expected %s (B, KiB, MiB, GiB, KB, MB, GB), got %s", what, got);
    }
    if (check_range(ctx, f, (double)b, "a size", got)) return -1;
    *dst = b;
    return 0;
}

static int load_enum(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, int *dst) {
    char *s = string_value(ctx, v, "a string");
    if (!s) return -1;
    int i = enum_index(ctx, f, s);
    free(s);
    if (i < 0) return -1;
    *dst = i;
    return 0;
}

static int load_time(cfg_ctx *ctx, const cJSON *v, int64_t *dst) {
    static const char what[] = "an RFC 3339 time like \"2024-05-01T12:00:00Z\"";
    char *s = string_value(ctx, v, what);
    if (!s) return -1;
    int64_t ms;
    int rc = time_parse(s, &ms) ? fail(ctx, "expected %s, got \"%s\"", what, s) : 0;
    free(s);
    if (rc == 0) *dst = ms;
    return rc;
}

/* Checks that v is an array with an allowed number of elements. */
static int check_array(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, const char *what) {
    char got[96];
    if (!cJSON_IsArray(v)) return fail(ctx, "expected an array of %s, got %s", what, describe(v, got, sizeof got));
    double n = cJSON_GetArraySize(v);
    if ((f->flags & CFG_MIN) && n < f->min)
        return fail(ctx, "expected at least %g element%s, got %g", f->min, f->min == 1 ? "" : "s", n);
    if ((f->flags & CFG_MAX) && n > f->max) return fail(ctx, "expected at most %g elements, got %g", f->max, n);
    return 0;
}

static int load_string_array(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, cfg_strv *dst) {
    if (check_array(ctx, f, v, "strings")) return -1;
    dst->n = (size_t)cJSON_GetArraySize(v);
    dst->v = xcalloc(dst->n, sizeof(char *));
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        size_t saved = path_push_index(ctx, i);
        dst->v[i] = string_value(ctx, e, "a string");
        if (!dst->v[i]) return -1;
        path_pop(ctx, saved);
    }
    return 0;
}

static int load_enum_array(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, cfg_intv *dst) {
    if (check_array(ctx, f, v, "strings")) return -1;
    dst->n = (size_t)cJSON_GetArraySize(v);
    dst->v = xcalloc(dst->n, sizeof(int));
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        size_t saved = path_push_index(ctx, i);
        if (load_enum(ctx, f, e, &dst->v[i])) return -1;
        for (size_t j = 0; j < i; j++)
            if (dst->v[j] == dst->v[i]) return fail(ctx, "expected each value once, got \"%s\" again", f->enums[dst->v[i]]);
        path_pop(ctx, saved);
    }
    return 0;
}

static int load_object_array(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, cfg_array *dst) {
    char what[64];
    snprintf(what, sizeof what, "%s objects", f->sub->name);
    if (check_array(ctx, f, v, what)) return -1;
    dst->n = (size_t)cJSON_GetArraySize(v);
    dst->v = xcalloc(dst->n, f->sub->size);
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        size_t saved = path_push_index(ctx, i);
        if (load_object(ctx, f->sub, e, (char *)dst->v + i * f->sub->size)) return -1;
        path_pop(ctx, saved);
    }
    return 0;
}

static int load_kv(cfg_ctx *ctx, const cJSON *v, cfg_kv *dst) {
    char got[96];
    if (!cJSON_IsObject(v)) return fail(ctx, "expected an object, got %s", describe(v, got, sizeof got));
    dst->n = (size_t)cJSON_GetArraySize(v);
    dst->keys = xcalloc(dst->n, sizeof(char *));
    dst->vals = xcalloc(dst->n, sizeof(char *));
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        size_t saved = path_push_key(ctx, e->string);
        for (size_t j = 0; j < i; j++)
            if (strcmp(dst->keys[j], e->string) == 0) return fail(ctx, "expected each key once, got it again");
        dst->keys[i] = xstrdup(e->string);
        if (cJSON_IsString(e)) {
            if (!(dst->vals[i] = env_subst(ctx, e->valuestring))) return -1;
        } else if (cJSON_IsBool(e)) {
            dst->vals[i] = xstrdup(cJSON_IsTrue(e) ? "true" : "false");
        } else if (cJSON_IsNumber(e)) {
            dst->vals[i] = xstrdup(describe(e, got, sizeof got));
        } else {
            return fail(ctx, "expected a string, number or boolean, got %s", describe(e, got, sizeof got));
        }
        path_pop(ctx, saved);
    }
    return 0;
}

/* Reads one value at the current path into dst (the field's storage). */
static int load_value(cfg_ctx *ctx, const cfg_field *f, const cJSON *v, void *dst) {
    if (f->size != storage_size(f))
        return fail(ctx, "schema error: %zu bytes of storage for a field of type %d", f->size, (int)f->type);
    switch (f->type) {
    case CFG_STRING: return load_string(ctx, f, v, dst);
    case CFG_INT: return load_int(ctx, f, v, dst);
    case CFG_NUMBER: return load_number(ctx, f, v, dst);
    case CFG_BOOL: {
        char got[96];
        if (!cJSON_IsBool(v)) return fail(ctx, "expected true or false, got %s", describe(v, got, sizeof got));
        *(bool *)dst = cJSON_IsTrue(v);
        return 0;
    }
    case CFG_DURATION: return load_duration(ctx, f, v, dst);
    case CFG_SIZE: return load_size(ctx, f, v, dst);
    case CFG_ENUM: return load_enum(ctx, f, v, dst);
    case CFG_TIME: return load_time(ctx, v, dst);
    case CFG_STRING_ARRAY: return load_string_array(ctx, f, v, dst);
    case CFG_ENUM_ARRAY: return load_enum_array(ctx, f, v, dst);
    case CFG_OBJECT: return load_object(ctx, f->sub, v, dst);
    case CFG_OBJECT_ARRAY: return load_object_array(ctx, f, v, dst);
    case CFG_KV: return load_kv(ctx, v, dst);
    }
    return fail(ctx, "schema error: unknown field type %d", (int)f->type);
}

/* The JSON node for a field's default; caller deletes. */
static cJSON *default_node(const cfg_field *f) {
    switch (f->type) {
    case CFG_STRING: case CFG_DURATION: case CFG_SIZE: case CFG_ENUM: case CFG_TIME:
        return cJSON_CreateString(f->def);
    default:
        return cJSON_Parse(f->def);
    }
}

/* ---- objects ---- */

static const cfg_field *find_field(const cfg_schema *s, const char *key) {
    for (size_t i = 0; i < s->n_fields; i++)
        if (strcmp(s->fields[i].key, key) == 0) return &s->fields[i];
    return NULL;
}

static bool field_applies(const cfg_field *f, const char *tv);

/* The tag's value name for this object, or NULL when the schema has no tag. */
static const char *tag_value(const cfg_schema *s, const void *dst) {
    const cfg_field *t = s->tag ? find_field(s, s->tag) : NULL;
    if (!t) return NULL;
    int i;
    memcpy(&i, (const char *)dst + t->offset, sizeof i);
    return t->enums[i];
}

bool cfg_field_applies(const cfg_schema *s, const cfg_field *f, const void *obj) {
    return field_applies(f, tag_value(s, obj));
}

/* True when a field applies under tag value tv: no "when", or tv is one of
 * the "|"-separated names in it. */
static bool field_applies(const cfg_field *f, const char *tv) {
    if (!f->when || !tv) return true;
    size_t n = strlen(tv);
    for (const char *p = f->when; p;) {
        if (strncmp(p, tv, n) == 0 && (p[n] == '\0' || p[n] == '|')) return true;
        p = strchr(p, '|');
        if (p) p++;
    }
    return false;
}

static int reject_unknown_keys(cfg_ctx *ctx, const cfg_schema *s, const cJSON *obj) {
    const char *keys[64];
    size_t nk = 0;
    for (size_t i = 0; i < s->n_fields && nk < 64; i++) keys[nk++] = s->fields[i].key;
    for (const cJSON *c = obj->child; c; c = c->next) {
        for (const cJSON *d = obj->child; d != c; d = d->next)
            if (strcmp(d->string, c->string) == 0) return cfg_fail(ctx, c->string, "expected each key once, got it again");
        if (find_field(s, c->string)) continue;
        const char *near = cfg_suggest(c->string, keys, nk);
        if (near) return cfg_fail(ctx, c->string, "unknown key (did you mean \"%s\"?)", near);
        char list[512] = "";
        for (size_t i = 0; i < nk; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", keys[i]);
        }
        return cfg_fail(ctx, c->string, "unknown key (expected one of: %s)", list);
    }
    return 0;
}

static int load_field(cfg_ctx *ctx, const cfg_field *f, const cJSON *obj, void *dst) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, f->key);
    size_t saved = path_push_key(ctx, f->key);
    int rc = 0;
    if (v) {
        rc = load_value(ctx, f, v, (char *)dst + f->offset);
    } else if (f->flags & CFG_REQUIRED) {
        rc = fail(ctx, "required key is missing");
    } else if (f->def || f->type == CFG_OBJECT) {
        cJSON *d = f->def ? default_node(f) : cJSON_CreateObject();
        rc = d ? load_value(ctx, f, d, (char *)dst + f->offset) : fail(ctx, "schema error: bad default");
        cJSON_Delete(d);
    }
    if (rc == 0) path_pop(ctx, saved);
    return rc;
}

static int load_object(cfg_ctx *ctx, const cfg_schema *s, const cJSON *obj, void *dst) {
    char got[96];
    if (!cJSON_IsObject(obj)) return fail(ctx, "expected an object, got %s", describe(obj, got, sizeof got));
    if (reject_unknown_keys(ctx, s, obj)) return -1;
    const cfg_field *tag = s->tag ? find_field(s, s->tag) : NULL;
    if (tag && load_field(ctx, tag, obj, dst)) return -1;
    const char *tv = tag_value(s, dst);
    for (size_t i = 0; i < s->n_fields; i++) {
        const cfg_field *f = &s->fields[i];
        if (f == tag) continue;
        if (!field_applies(f, tv)) {
            if (cJSON_GetObjectItemCaseSensitive(obj, f->key))
                return cfg_fail(ctx, f->key, "key not valid when %s is \"%s\"", s->tag, tv);
            continue;
        }
        if (load_field(ctx, f, obj, dst)) return -1;
    }
    return s->check ? s->check(dst, obj, ctx) : 0;
}

/* ---- entry points ---- */

/* "line L, column C" of the byte at off. */
static void position(const char *text, size_t off, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') { (*line)++; *col = 1; }
        else (*col)++;
    }
}

int cfg_load_text(const char *path, const char *text, size_t len, const cfg_schema *schema, void *obj, char *err,
                  size_t errlen) {
    cfg_ctx ctx = {.file = path, .err = err, .errlen = errlen};
    memset(obj, 0, schema->size);
    if (strspn(text, " \t\r\n") == len) {
        return err_set(err, errlen, "%s: expected a JSON object, got an empty file", path);
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root || strspn(end, " \t\r\n") != (size_t)(text + len - end)) {
        if (!end || end < text || end > text + len) end = text + len;
        if (root) end += strspn(end, " \t\r\n");
        int line, col;
        position(text, (size_t)(end - text), &line, &col);
        size_t near = strcspn(end, "\r\n");
        if (end == text + len)
            err_set(err, errlen, "%s: line %d, column %d: invalid JSON (unexpected end of file)", path, line, col);
        else
            err_set(err, errlen, "%s: line %d, column %d: %s near \"%.*s\"", path, line, col,
                    root ? "unexpected text after the JSON value" : "invalid JSON", (int)(near < 12 ? near : 12), end);
        cJSON_Delete(root);
        return -1;
    }
    int rc = load_object(&ctx, schema, root, obj);
    cJSON_Delete(root);
    if (rc) cfg_obj_free(schema, obj);
    return rc;
}

int cfg_load_file(const char *path, const cfg_schema *schema, void *obj, char *err, size_t errlen) {
    memset(obj, 0, schema->size);
    FILE *f = fopen(path, "rb");
    if (!f) {
        return err_set(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    }
    char *buf = xmalloc(CFG_MAX_FILE_BYTES + 1);
    size_t n = fread(buf, 1, CFG_MAX_FILE_BYTES + 1, f);
    int rd_err = ferror(f);
    fclose(f);
    int rc;
    if (rd_err) {
        rc = err_set(err, errlen, "%s: cannot read: I/O error", path);
    } else if (n > CFG_MAX_FILE_BYTES) {
        rc = err_set(err, errlen, "%s: expected a config of at most 16MiB, got a larger file", path);
    } else {
        buf[n] = '\0';
        rc = cfg_load_text(path, buf, n, schema, obj, err, errlen);
    }
    free(buf);
    return rc;
}
