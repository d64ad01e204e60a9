/* fuzz_csv — libFuzzer target for the CSV reader (util/csv.h), checked
 * against a small in-memory model of the same grammar: RFC 4180 fields,
 * "" inside quotes, records ending at LF, CRLF, CR or end of input, a
 * UTF-8 BOM skipped, and after a malformed record (unterminated quote,
 * text after a closing quote, a quote inside an unquoted field) reading
 * resuming after the next LF. Every record's field count, field bytes
 * (up to a NUL, as the reader returns C strings) and start line must
 * match the model; a malformed record must come with an error message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"
#include "util/xalloc.h"

/* The model's reading position over data[0..n). */
typedef struct model {
    const unsigned char *d;
    size_t n, pos;
    long line;
} model;

/* Skips past the next LF (a malformed record's rest of line). */
static void model_skip_line(model *m) {
    while (m->pos < m->n && m->d[m->pos] != '\n') m->pos++;
    if (m->pos < m->n) {
        m->pos++;
        m->line++;
    }
}

/* Consumes a record end at pos (LF, CRLF or CR; nothing at end of input). */
static void model_end(model *m) {
    if (m->pos >= m->n) return;
    if (m->d[m->pos] == '\r' && m->pos + 1 < m->n && m->d[m->pos + 1] == '\n') m->pos++;
    m->pos++;
    m->line++;
}

/* Checks the reader's field (NULL: it has none) against data[start..end)
 * with "" pairs unescaped when quoted, compared up to the first NUL. */
static void check_field(const model *m, size_t start, size_t end, int quoted, const char *got) {
    if (!got) abort();
    size_t k = 0;
    for (size_t i = start; i < end; i++) {
        unsigned char c = m->d[i];
        if (quoted && c == '"') i++; /* the second quote of a pair */
        if (c == '\0') break;
        if ((unsigned char)got[k] != c) abort();
        k++;
    }
    if (got[k] != '\0') abort();
}

/* Reads the next record with the model, checking the reader's answer
 * (rc, fields, line) against it. Returns 0 at end of input. */
static int model_next(model *m, int rc, char **fields, long line) {
    if (m->pos >= m->n) {
        if (rc != 0) abort();
        return 0;
    }
    if (line != m->line) abort();
    int nf = 0;
    for (;;) {
        if (m->pos < m->n && m->d[m->pos] == '"') {
            size_t start = ++m->pos;
            for (;;) {
                if (m->pos >= m->n) {
                    if (rc != -1) abort();
                    return 1;
                }
                unsigned char c = m->d[m->pos++];
                if (c == '\n') m->line++;
                if (c != '"') continue;
                if (m->pos < m->n && m->d[m->pos] == '"') { m->pos++; continue; }
                break;
            }
            if (rc > 0) check_field(m, start, m->pos - 1, 1, nf < rc ? fields[nf] : NULL);
            nf++;
            if (m->pos < m->n && m->d[m->pos] == ',') { m->pos++; continue; }
            if (m->pos < m->n && m->d[m->pos] != '\n' && m->d[m->pos] != '\r') {
                model_skip_line(m);
                if (rc != -1) abort();
                return 1;
            }
        } else {
            size_t start = m->pos;
            while (m->pos < m->n && m->d[m->pos] != ',' && m->d[m->pos] != '\n' && m->d[m->pos] != '\r') {
                if (m->d[m->pos] == '"') {
                    model_skip_line(m);
                    if (rc != -1) abort();
                    return 1;
                }
                m->pos++;
            }
            if (rc > 0) check_field(m, start, m->pos, 0, nf < rc ? fields[nf] : NULL);
            nf++;
            if (m->pos < m->n && m->d[m->pos] == ',') { m->pos++; continue; }
        }
        model_end(m);
        if (rc != nf) abort();
        return 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0; /* fmemopen needs a buffer */
    unsigned char *copy = xmalloc(size);
    memcpy(copy, data, size);
    FILE *f = fmemopen(copy, size, "rb");
    if (!f) abort();
    csv_reader *r = csv_open(f);
    model m = {.d = copy, .n = size, .pos = 0, .line = 1};
    if (size >= 3 && memcmp(copy, "\xEF\xBB\xBF", 3) == 0) m.pos = 3;
    for (size_t calls = 0;; calls++) {
        if (calls > size + 1) abort(); /* every record consumes input */
        char **fields = NULL;
        int rc = csv_next(r, &fields);
        if (rc == -1 && csv_error(r)[0] == '\0') abort();
        if (!model_next(&m, rc, fields, csv_line(r))) break;
    }
    csv_close(r);
    fclose(f);
    free(copy);
    return 0;
}
