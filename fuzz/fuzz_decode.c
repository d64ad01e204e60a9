/* fuzz_decode — libFuzzer target for the message decoder (decode_message)
 * and the JSON pointer resolver.
 *
 * Input: first byte selects the setup: bits 0-1 the field mapping (the
 * default; nested and escaped pointers; text-only with id and ts not
 * mapped; entities from "/tags"), bit 2 options with a 64-byte text limit
 * and a watch list or no options, bit 3 a Kafka topic or a feed file, bit 4
 * a Kafka timestamp or none. The rest is the payload, passed without a
 * terminating NUL. Checked: a decoded event has an id, a stream and valid
 * UTF-8 text within the limit (truncated flag set when cut), and at most
 * 64 distinct, upper-cased entity keys of 1 to 64 bytes; a rejected
 * message has a reason and a one-line detail; utf8_valid agrees
 * with a plain reference check on the payload, and utf8_cut at every
 * length keeps a valid payload's prefix valid and never passes the limit. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/decode.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define TEXT_LIMIT 64

static ingest_options opts;
static ingest_input inputs[4];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    opts.max_text_bytes = TEXT_LIMIT;
    opts.max_message_bytes = 4096;
    ingest_options_add_watch(&opts, "Apple", "AAPL");
    ingest_options_add_watch(&opts, "Deutsche Bank", "dbk");
    ingest_options_add_watch(&opts, "société générale", "GLE");
    ingest_options_add_watch(&opts, "贵州茅台", "600519");
    ingest_options_add_watch(&opts, "\xef\xbc\xb4" "encent", "0700"); /* full-width T */
    /* 0: defaults (all pointers NULL) */
    inputs[0].topic = "news";
    /* 1: nested and escaped pointers */
    inputs[1].topic = "wire";
    inputs[1].stream = "wire-stream";
    inputs[1].fields = (ingest_fields){.id = "/meta/id", .ts = "/meta/t~1s", .title = "/h/0", .body = "/h/1",
                                       .text = "/a~0b", .source = "/meta/src", .entities = "/meta/syms"};
    /* 2: text only; id and ts not mapped */
    inputs[2].topic = "comments";
    inputs[2].fields = (ingest_fields){.id = "", .ts = "", .title = "", .body = "", .text = "/message",
                                       .source = "/author", .entities = ""};
    /* 3: entities from another key */
    inputs[3].topic = "tags";
    inputs[3].fields = (ingest_fields){.entities = "/tags"};
    return 0;
}

static int utf8_ok(const char *s) { return utf8_valid(s, strlen(s)); }

/* A plain UTF-8 check to compare utf8_valid with: shortest form
 * only, no surrogates, nothing above U+10FFFF. */
static int ref_utf8_valid(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
        else return 0;
        if (len > n - i) return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += len;
    }
    return 1;
}

static void check_event(const event *e, const decode_result *res, int limited) {
    if (res->reason != DECODE_OK || !e->id || !e->id[0] || !e->stream || !e->text || !utf8_ok(e->text)) abort();
    if (strlen(e->text) > (limited ? TEXT_LIMIT : INGEST_DEFAULT_MAX_TEXT_BYTES)) abort();
    if (e->n_entities < 0 || e->n_entities > 64) abort();
    for (int i = 0; i < e->n_entities; i++) {
        const char *k = e->entities[i];
        size_t n = strlen(k);
        if (n < 1 || n > 64) abort();
        for (size_t j = 0; j < n; j++)
            if (islower((unsigned char)k[j])) abort();
        for (int j = 0; j < i; j++)
            if (strcmp(e->entities[j], k) == 0) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t sel = data[0];
    size_t len = size - 1;
    char *payload = xmalloc(len ? len : 1);
    memcpy(payload, data + 1, len);

    const ingest_input *in = (sel & 3) == 0 ? NULL : &inputs[sel & 3];
    const ingest_options *opt = (sel & 4) ? &opts : NULL;
    decode_msg m = {.payload = payload, .len = len, .topic = (sel & 8) ? NULL : "news", .partition = 3,
                    .offset = 42, .timestamp_ms = (sel & 16) ? -1 : 1714566600000LL};
    int valid = ref_utf8_valid(data + 1, len);
    if (utf8_valid(payload, len) != valid) abort();
    for (size_t max = 0; max <= len && max < 16; max++) {
        size_t k = utf8_cut(payload, len, max);
        if (k > max || (valid && !ref_utf8_valid(data + 1, k)) || (valid && max - k > 3)) abort();
    }
    decode_result res;
    event *e = decode_message(opt, in, &m, &res);
    if (e) {
        check_event(e, &res, opt != NULL);
        if (e->origin_partition != 3 || e->origin_offset != 42 || (m.topic && strcmp(e->origin_topic, "news")))
            abort();
        event_free(e);
    } else if (res.reason <= DECODE_OK || res.reason >= DECODE_LATE_EVENT || !res.detail[0] ||
               strpbrk(res.detail, "\r\n")) {
        abort();
    }
    free(payload);
    return 0;
}
