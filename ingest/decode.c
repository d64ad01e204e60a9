/* decode — message bytes to an event or a dead-letter reason; see decode.h. */
#include "ingest/decode.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/entity_match.h"
#include "ingest/ticker.h"
#include "util/errmsg.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define ENTITY_MAX_BYTES 64

static const char *const reason_names[DECODE_N_REASONS] = {
    [DECODE_OK] = "ok",
    [DECODE_EMPTY_MESSAGE] = "empty_message",
    [DECODE_OVERSIZE] = "oversize",
    [DECODE_INVALID_UTF8] = "invalid_utf8",
    [DECODE_INVALID_JSON] = "invalid_json",
    [DECODE_NOT_AN_OBJECT] = "not_an_object",
    [DECODE_BAD_FIELD_TYPE] = "bad_field_type",
    [DECODE_BAD_TIMESTAMP] = "bad_timestamp",
    [DECODE_MISSING_TIMESTAMP] = "missing_timestamp",
    [DECODE_MISSING_TEXT] = "missing_text",
    [DECODE_EMPTY_TEXT] = "empty_text",
    [DECODE_ID_TOO_LONG] = "id_too_long",
    [DECODE_EMPTY_ID] = "empty_id",
    [DECODE_TOO_MANY_ENTITIES] = "too_many_entities",
    [DECODE_BAD_ENTITY] = "bad_entity",
    [DECODE_LATE_EVENT] = "late_event",
};

const char *decode_reason_name(enum decode_reason r) {
    if ((int)r < 0 || r >= DECODE_N_REASONS) return "unknown";
    return reason_names[r];
}

/* Compares one pointer token (with ~0 ~1 escapes, len bytes) to a key. */
static int token_equals(const char *tok, size_t len, const char *key) {
    size_t i = 0;
    while (i < len) {
        char c = tok[i++];
        if (c == '~' && i < len && (tok[i] == '0' || tok[i] == '1')) c = tok[i++] == '0' ? '~' : '/';
        if (*key++ != c) return 0;
    }
    return *key == '\0';
}

cJSON *decode_pointer(cJSON *root, const char *pointer) {
    cJSON *cur = root;
    const char *p = pointer;
    if (*p == '\0') return cur;
    if (*p != '/') return NULL;
    while (cur && *p == '/') {
        p++;
        size_t len = (size_t)(strchrnul(p, '/') - p);
        if (cJSON_IsArray(cur)) {
            if (len == 0 || len > 9 || (len > 1 && p[0] == '0')) return NULL;
            int idx = 0;
            for (size_t i = 0; i < len; i++) {
                if (!isdigit((unsigned char)p[i])) return NULL;
                idx = idx * 10 + (p[i] - '0');
            }
            cur = cJSON_GetArrayItem(cur, idx);
        } else if (cJSON_IsObject(cur)) {
            cJSON *child = cur->child;
            while (child && !(child->string && token_equals(p, len, child->string))) child = child->next;
            cur = child;
        } else {
            return NULL;
        }
        p += len;
    }
    return cur;
}

#define TEXT_STACK_BYTES 4096
#define ID_STACK_BYTES 320

/* decoding state for one message: the event's parts, borrowed from the
 * JSON tree or held here, until event_new_packed copies them in one go */
typedef struct dctx {
    const ingest_options *opt;
    const ingest_fields *f;
    cJSON *root;
    decode_result *res;
    const char *id, *source;
    int64_t ts_ms;
    char *text;      /* text_buf, or text_heap when it does not fit */
    size_t text_len;
    char *text_heap; /* freed by decode_message */
    char *id_heap;   /* freed by decode_message */
    int n_entities;
    const char *entities[INGEST_DEFAULT_MAX_ENTITIES + 1];
    char keys[INGEST_DEFAULT_MAX_ENTITIES + 1][ENTITY_MAX_BYTES + 1];
    char id_buf[ID_STACK_BYTES];
    char text_buf[TEXT_STACK_BYTES];
} dctx;

__attribute__((format(printf, 3, 4))) static int fail(dctx *c, enum decode_reason r, const char *fmt, ...) {
    c->res->reason = r;
    va_list ap;
    va_start(ap, fmt);
    err_vset(c->res->detail, sizeof c->res->detail, fmt, ap); /* one line: quoted values may hold control characters */
    va_end(ap);
    return -1;
}

/* Looks up a field: the configured pointer or the default. A JSON null
 * counts as absent, and so does a field mapped to "" (not mapped). */
static cJSON *field(dctx *c, const char *configured, const char *dflt, const char **used) {
    *used = configured ? configured : dflt;
    if (!**used) return NULL;
    cJSON *it = decode_pointer(c->root, *used);
    return (it && cJSON_IsNull(it)) ? NULL : it;
}

/* Gets an optional string field into *out (borrowed from the JSON tree). */
static int string_field(dctx *c, const char *configured, const char *dflt, const char *name, const char **out) {
    const char *ptr;
    cJSON *it = field(c, configured, dflt, &ptr);
    *out = NULL;
    if (!it) return 0;
    if (!cJSON_IsString(it)) return fail(c, DECODE_BAD_FIELD_TYPE, "%s (%s) is not a string", name, ptr);
    if (!utf8_valid(it->valuestring, strlen(it->valuestring)))
        return fail(c, DECODE_INVALID_UTF8, "%s (%s) decodes to invalid UTF-8", name, ptr);
    *out = it->valuestring;
    return 0;
}

static int blank(const char *s) {
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

static int build_text(dctx *c) {
    const char *title, *body, *text;
    if (string_field(c, c->f->title, "/title", "title", &title) ||
        string_field(c, c->f->body, "/body", "body", &body) ||
        string_field(c, c->f->text, "/text", "text", &text))
        return -1;
    if (!body) body = text;
    if (!title && !body) return fail(c, DECODE_MISSING_TEXT, "none of title, body, text is present");
    int has_title = title && !blank(title), has_body = body && !blank(body);
    if (!has_title && !has_body) return fail(c, DECODE_EMPTY_TEXT, "title and body are empty");
    size_t tl = has_title ? strlen(title) : 0, bl = has_body ? strlen(body) : 0;
    size_t len = tl + bl + (has_title && has_body ? 2 : 0);
    char *joined = len < sizeof c->text_buf ? c->text_buf : (c->text_heap = xmalloc(len + 1)), *w = joined;
    if (has_title) w = mempcpy(w, title, tl);
    if (has_title && has_body) w = mempcpy(w, ". ", 2);
    if (has_body) w = mempcpy(w, body, bl);
    *w = '\0';
    size_t max = c->opt && c->opt->max_text_bytes ? c->opt->max_text_bytes : INGEST_DEFAULT_MAX_TEXT_BYTES;
    size_t cut = utf8_cut(joined, len, max);
    if (cut < len) {
        joined[cut] = '\0';
        c->res->truncated = 1;
    }
    c->text = joined;
    c->text_len = cut;
    return 0;
}

static int build_ts(dctx *c, int64_t kafka_ts) {
    const char *ptr;
    cJSON *it = field(c, c->f->ts, "/ts", &ptr);
    if (!it) {
        if (kafka_ts < 0) return fail(c, DECODE_MISSING_TIMESTAMP, "no ts (%s) and no Kafka timestamp", ptr);
        c->ts_ms = kafka_ts;
        return 0;
    }
    if (cJSON_IsNumber(it)) {
        double v = it->valuedouble;
        if (v != v || v < -9.2e18 || v > 9.2e18) return fail(c, DECODE_BAD_TIMESTAMP, "ts (%s) out of range", ptr);
        c->ts_ms = (int64_t)v;
        return 0;
    }
    if (!cJSON_IsString(it)) return fail(c, DECODE_BAD_FIELD_TYPE, "ts (%s) is neither a string nor a number", ptr);
    if (time_parse(it->valuestring, &c->ts_ms) != 0)
        return fail(c, DECODE_BAD_TIMESTAMP, "ts (%s) is not RFC 3339 or epoch ms: \"%.40s\"", ptr, it->valuestring);
    return 0;
}

/* Sets the id to what fmt spells, in id_buf when it fits. */
__attribute__((format(printf, 2, 3))) static void format_id(dctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->id_buf, sizeof c->id_buf, fmt, ap);
    va_end(ap);
    c->id = c->id_buf;
    if (n >= 0 && (size_t)n < sizeof c->id_buf) return;
    c->id_heap = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(c->id_heap, (size_t)n + 1, fmt, ap);
    va_end(ap);
    c->id = c->id_heap;
}

static int build_id(dctx *c, const decode_msg *m, const char *stream) {
    const char *ptr;
    cJSON *it = field(c, c->f->id, "/id", &ptr);
    if (!it) {
        if (m->topic)
            format_id(c, "%s-%d-%lld", m->topic, (int)m->partition, (long long)m->offset);
        else
            format_id(c, "%s-%lld", stream, (long long)m->offset);
        return 0;
    }
    if (cJSON_IsNumber(it)) {
        double v = it->valuedouble;
        /* range first: converting a double beyond long long is undefined */
        if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0) || v != (double)(long long)v)
            return fail(c, DECODE_BAD_FIELD_TYPE, "id (%s) is not a 64-bit integer", ptr);
        format_id(c, "%lld", (long long)v);
        return 0;
    }
    if (!cJSON_IsString(it)) return fail(c, DECODE_BAD_FIELD_TYPE, "id (%s) is neither a string nor an integer", ptr);
    size_t len = strlen(it->valuestring);
    if (len == 0) return fail(c, DECODE_EMPTY_ID, "id (%s) is empty", ptr);
    if (len > INGEST_DEFAULT_MAX_ID_BYTES)
        return fail(c, DECODE_ID_TOO_LONG, "id (%s) is %zu bytes, limit %d", ptr, len, INGEST_DEFAULT_MAX_ID_BYTES);
    if (!utf8_valid(it->valuestring, len))
        return fail(c, DECODE_INVALID_UTF8, "id (%s) decodes to invalid UTF-8", ptr);
    c->id = it->valuestring;
    return 0;
}

/* Adds an upper-cased, trimmed entity key unless present. */
static int add_entity(dctx *c, const char *s, size_t len) {
    while (len && isspace((unsigned char)*s)) s++, len--;
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len == 0 || len > ENTITY_MAX_BYTES)
        return fail(c, DECODE_BAD_ENTITY, "entity \"%.40s\" is empty or longer than %d bytes", s, ENTITY_MAX_BYTES);
    char *key = c->keys[c->n_entities];
    for (size_t i = 0; i < len; i++) key[i] = (char)toupper((unsigned char)s[i]);
    key[len] = '\0';
    for (int i = 0; i < c->n_entities; i++)
        if (strcmp(c->entities[i], key) == 0) return 0;
    c->entities[c->n_entities++] = key;
    if (c->n_entities > INGEST_DEFAULT_MAX_ENTITIES)
        return fail(c, DECODE_TOO_MANY_ENTITIES, "more than %d entities", INGEST_DEFAULT_MAX_ENTITIES);
    return 0;
}

static int entities_from_field(dctx *c) {
    const char *ptr;
    cJSON *arr = field(c, c->f->entities, "/entities", &ptr);
    if (!arr && !c->f->entities) arr = field(c, NULL, "/tickers", &ptr);
    if (!arr) return 0;
    if (!cJSON_IsArray(arr)) return fail(c, DECODE_BAD_FIELD_TYPE, "entities (%s) is not an array", ptr);
    if (cJSON_GetArraySize(arr) > INGEST_DEFAULT_MAX_ENTITIES)
        return fail(c, DECODE_TOO_MANY_ENTITIES, "entities (%s) has %d items, limit %d", ptr, cJSON_GetArraySize(arr),
                    INGEST_DEFAULT_MAX_ENTITIES);
    cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsString(it)) return fail(c, DECODE_BAD_FIELD_TYPE, "entities (%s) has a non-string item", ptr);
        if (!utf8_valid(it->valuestring, strlen(it->valuestring)))
            return fail(c, DECODE_INVALID_UTF8, "entities (%s) has invalid UTF-8", ptr);
        if (add_entity(c, it->valuestring, strlen(it->valuestring))) return -1;
    }
    return 0;
}

/* A word character for boundaries: ASCII letters and digits and any
 * non-ASCII byte (so that "Appleé" is not the word "Apple"). */
static int wordch(unsigned char ch) { return isalnum(ch) || ch >= 0x80 || ch == '_'; }

static int cashtags(dctx *c) {
    const unsigned char *t = (const unsigned char *)c->text;
    for (size_t i = 0; t[i]; i++) {
        const char *dollar = strchr((const char *)t + i, '$');
        if (!dollar) break;
        i = (size_t)(dollar - (const char *)t);
        if (i > 0 && (wordch(t[i - 1]) || t[i - 1] == '$')) continue;
        size_t j = i + 1, n = 0;
        while (isalpha(t[j]) && n < 7) j++, n++;
        if (n < 1 || n > 6) continue;
        size_t end = j;
        if (t[j] == '.' && isalpha(t[j + 1])) {
            size_t k = j + 1, m = 0;
            while (isalpha(t[k]) && m < 3) k++, m++;
            if (m <= 2 && !wordch(t[k])) end = k;
        }
        if (wordch(t[end])) continue;
        if (add_entity(c, (const char *)t + i + 1, end - i - 1)) return -1;
        i = end - 1;
    }
    return 0;
}

/* em_scan callback: a watch-list match adds its entry's entity. */
static int watch_hit(int id, void *arg) {
    dctx *c = arg;
    const char *entity = c->opt->watchlist[id].entity;
    return add_entity(c, entity, strlen(entity));
}

/* tk_scan callback: an exchange ticker adds its id. */
static int ticker_hit(const char *id, size_t len, void *arg) { return add_entity(arg, id, len); }

/* Full-width forms (U+FF00-U+FFEF: ＄６００５１９) normalise to ASCII. */
static int has_fullwidth(const char *s, size_t n) {
    for (const char *p = s; (p = memchr(p, 0xEF, n - (size_t)(p - s))) && p + 1 < s + n; p++)
        if (((unsigned char)p[1] & 0xFC) == 0xBC) return 1;
    return 0;
}

/* Exchange tickers (ingest/ticker.h) and watch-list names (entity_match.h)
 * in the text, normalised (NFKC, case folded) unless it is ASCII, whose
 * only change would be case, which both scanners ignore; without a watch
 * list a non-ASCII text is normalised only for its full-width forms. */
static int text_entities(dctx *c) {
    const em_matcher *wm = c->opt ? ingest_options_matcher(c->opt) : NULL;
    const char *s = c->text;
    size_t n = c->text_len;
    em_norm nb;
    nb.heap = NULL;
    nb.heap_cap = 0;
    if (!em_is_ascii(s, n) && (wm || has_fullwidth(s, n)) && em_normalize(&nb, s, n) == 0) {
        s = nb.s;
        n = nb.n;
    }
    int rc = tk_scan(s, n, ticker_hit, c) || (wm && em_scan(wm, s, n, watch_hit, c)) ? -1 : 0;
    em_norm_free(&nb);
    return rc;
}

static const ingest_fields default_fields;

/* Starts c for one message; only the small fields are set (the buffers
 * are written before they are read). */
static void dctx_init(dctx *c, const ingest_options *opt, const ingest_input *in, decode_result *res) {
    c->opt = opt;
    c->f = in ? &in->fields : &default_fields;
    c->root = NULL;
    c->res = res;
    c->id = c->source = NULL;
    c->ts_ms = 0;
    c->text = c->text_heap = c->id_heap = NULL;
    c->text_len = 0;
    c->n_entities = 0;
}

/* Decodes the parsed object c->root into a packed event, or NULL. */
static event *decode_object(dctx *c, const ingest_input *in, const decode_msg *m) {
    const char *stream = in && in->stream ? in->stream : in ? in->topic : m->topic ? m->topic : "file";
    if (build_text(c) || build_ts(c, m->timestamp_ms) || build_id(c, m, stream) ||
        string_field(c, c->f->source, "/source", "source", &c->source) || entities_from_field(c) || cashtags(c) ||
        text_entities(c))
        return NULL;
    event_strings es = {.id = c->id,
                        .stream = stream,
                        .source = c->source,
                        .origin_topic = m->topic,
                        .text = c->text,
                        .text_len = c->text_len,
                        .entities = c->entities,
                        .n_entities = c->n_entities};
    event *e = event_new_packed(&es);
    e->ts_ms = c->ts_ms;
    e->origin_partition = m->partition;
    e->origin_offset = m->offset;
    return e;
}

event *decode_message(const ingest_options *opt, const ingest_input *in, const decode_msg *m, decode_result *res) {
    memset(res, 0, sizeof *res);
    dctx c;
    dctx_init(&c, opt, in, res);
    size_t max = opt && opt->max_message_bytes ? opt->max_message_bytes : INGEST_DEFAULT_MAX_MESSAGE_BYTES;
    if (m->len == 0) {
        fail(&c, DECODE_EMPTY_MESSAGE, "the payload is empty");
        return NULL;
    }
    if (m->len > max) {
        fail(&c, DECODE_OVERSIZE, "the payload is %zu bytes, limit %zu", m->len, max);
        return NULL;
    }
    if (!utf8_valid(m->payload, m->len)) {
        fail(&c, DECODE_INVALID_UTF8, "the payload is not valid UTF-8");
        return NULL;
    }
    if (memchr(m->payload, '\0', m->len)) {
        fail(&c, DECODE_INVALID_JSON, "the payload contains a NUL byte");
        return NULL;
    }
    const char *end = NULL;
    c.root = cJSON_ParseWithLengthOpts(m->payload, m->len, &end, 0);
    if (!c.root || (size_t)(end - (const char *)m->payload) != m->len) {
        /* trailing bytes: skip whitespace before deciding */
        const char *p = end ? end : m->payload;
        const char *stop = (const char *)m->payload + m->len;
        while (c.root && p < stop && isspace((unsigned char)*p)) p++;
        if (!c.root || p != stop) {
            size_t at = end ? (size_t)(end - (const char *)m->payload) : 0;
            cJSON_Delete(c.root);
            fail(&c, DECODE_INVALID_JSON, "not valid JSON (near byte %zu)", at);
            return NULL;
        }
    }
    if (!cJSON_IsObject(c.root)) {
        cJSON_Delete(c.root);
        fail(&c, DECODE_NOT_AN_OBJECT, "the payload is JSON but not an object");
        return NULL;
    }
    event *e = decode_object(&c, in, m);
    cJSON_Delete(c.root);
    free(c.text_heap);
    free(c.id_heap);
    return e;
}
