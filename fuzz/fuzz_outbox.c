/* fuzz_outbox — libFuzzer target for the outbox log replay (outbox_open
 * after a crash). The input describes a log file: first byte bit 0 set,
 * the rest is the file as is (torn and corrupt records); clear, the rest
 * is a list of record payloads, each a u16 little-endian length and that
 * many bytes, framed here with a correct length and CRC so that the
 * payload parser sees them. Checked: the log opens, every entry is whole
 * (id, key, body, sinks, states 0..2), the replayed file is never longer
 * than written, and a put, a compaction and a reopen keep every pending
 * entry and the new one (a put is refused only when the log's last seq is
 * the largest allowed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/outbox.h"
#include "fuzz/fuzz_scratch.h"
#include "util/log.h"
#include "util/xalloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_scratch_init("outbox");
    log_set_level(LOG_OFF); /* a torn tail is logged as a warning on every input */
    return 0;
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Frames the u16-length-prefixed payloads of in[0..n) as log records. */
static uint8_t *frame(const uint8_t *in, size_t n, size_t *out_len) {
    uint8_t *out = xmalloc(n / 2 * 8 + n + 8);
    size_t o = 0, i = 0;
    while (i + 2 <= n) {
        size_t len = (size_t)in[i] | (size_t)in[i + 1] << 8;
        i += 2;
        if (len > n - i) len = n - i;
        put_u32(out + o, (uint32_t)len);
        put_u32(out + o + 4, outbox_crc32(in + i, len));
        memcpy(out + o + 8, in + i, len);
        o += 8 + len;
        i += len;
    }
    *out_len = o;
    return out;
}

static void check_entries(const outbox *ob) {
    int pending = 0;
    for (int i = 0; i < outbox_count(ob); i++) {
        const outbox_entry *e = outbox_entry_at(ob, i);
        if (!e->id || !e->key || !e->body || e->n_sinks < 0) abort();
        if (i > 0 && e->seq <= outbox_entry_at(ob, i - 1)->seq) abort();
        int open = 0;
        for (int s = 0; s < e->n_sinks; s++) {
            if (!e->sinks[s] || e->state[s] > OUTBOX_FAILED) abort();
            open |= e->state[s] == OUTBOX_PENDING;
        }
        pending += open;
    }
    if (pending != outbox_n_pending(ob)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t len;
    uint8_t *file = (data[0] & 1) ? NULL : frame(data + 1, size - 1, &len);
    if (!file) len = size - 1;
    const char *path = fuzz_scratch_write(file ? file : data + 1, len);
    free(file);

    char err[256] = "";
    outbox *ob = outbox_open(path, err, sizeof err);
    if (!ob) abort(); /* a corrupt log is truncated, never refused */
    if (outbox_file_size(ob) > (int64_t)len) abort();
    check_entries(ob);
    int pending = outbox_n_pending(ob);
    const char *sinks[] = {"hook", "topic"};
    uint64_t seq;
    if (outbox_put(ob, "alert-1", "AAPL", "{}", sinks, 2, 1714566600000LL, &seq) != 0) {
        /* only refused when the log's last seq leaves no room, and said so */
        int n = outbox_count(ob);
        if (!outbox_error(ob)[0] || n == 0 || outbox_entry_at(ob, n - 1)->seq != (uint64_t)INT64_MAX) abort();
        outbox_close(ob);
        fuzz_scratch_remove();
        return 0;
    }
    if (outbox_compact(ob) != 0) abort();
    outbox_close(ob);

    ob = outbox_open(path, err, sizeof err);
    if (!ob) abort();
    check_entries(ob);
    if (outbox_n_pending(ob) != pending + 1 || outbox_count(ob) != pending + 1 || !outbox_find(ob, seq)) abort();
    outbox_close(ob);
    fuzz_scratch_remove();
    return 0;
}
