/* csv — a streaming RFC 4180 reader; see csv.h for the contract.
 *
 * One pass over the bytes with getc: a record's field bytes go into one
 * growing buffer (each field NUL-terminated), and the field pointers are
 * built from their offsets once the record ends, so records of any length
 * and any number of fields are read without a limit. */
#include "util/csv.h"

#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

struct csv_reader {
    FILE *f;
    char *buf; /* field bytes of the current record, each NUL-terminated */
    size_t len, cap;
    size_t *offs; /* start of each field in buf */
    char **fields;
    int nfields, capfields;
    long line;       /* current line (1-based) */
    long rec_line;   /* line the last record started on */
    int started;     /* BOM check done */
    int back[4];     /* pushed-back bytes, last in first out */
    int nback;
    char err[160];
};

csv_reader *csv_open(FILE *f) {
    csv_reader *r = xcalloc(1, sizeof *r);
    r->f = f;
    r->line = 1;
    r->cap = 256;
    r->buf = xmalloc(r->cap);
    r->capfields = 16;
    r->offs = xmalloc(sizeof *r->offs * (size_t)r->capfields);
    r->fields = xmalloc(sizeof *r->fields * (size_t)r->capfields);
    return r;
}

void csv_close(csv_reader *r) {
    if (!r) return;
    free(r->buf);
    free(r->offs);
    free(r->fields);
    free(r);
}

long csv_line(const csv_reader *r) { return r->rec_line; }
const char *csv_error(const csv_reader *r) { return r->err; }

static void put(csv_reader *r, int c) {
    if (r->len == r->cap) {
        r->cap *= 2;
        r->buf = xrealloc(r->buf, r->cap);
    }
    r->buf[r->len++] = (char)c;
}

static int rd(csv_reader *r) { return r->nback ? r->back[--r->nback] : getc_unlocked(r->f); }
static void unrd(csv_reader *r, int c) { r->back[r->nback++] = c; }

static void field_start(csv_reader *r) {
    if (r->nfields == r->capfields) {
        r->capfields *= 2;
        r->offs = xrealloc(r->offs, sizeof *r->offs * (size_t)r->capfields);
        r->fields = xrealloc(r->fields, sizeof *r->fields * (size_t)r->capfields);
    }
    r->offs[r->nfields++] = r->len;
}

/* Consumes the rest of the physical line after a malformed record so that
 * the next call starts on a fresh line. */
static void skip_line(csv_reader *r) {
    int c;
    while ((c = rd(r)) != EOF && c != '\n') {}
    if (c == '\n') r->line++;
}

/* Reads one line end after a CR: a following LF belongs to it. */
static void eat_crlf(csv_reader *r) {
    int c = rd(r);
    if (c != '\n' && c != EOF) unrd(r, c);
    r->line++;
}

static int fail(csv_reader *r, const char *what) {
    return err_set(r->err, sizeof r->err, "malformed CSV record starting on line %ld: %s", r->rec_line, what);
}

int csv_next(csv_reader *r, char ***fields) {
    int c;
    if (!r->started) {
        /* A UTF-8 BOM is skipped; anything else is pushed back as data. */
        r->started = 1;
        static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
        int b[3], n = 0;
        while (n < 3 && (b[n] = getc_unlocked(r->f)) == bom[n]) n++;
        if (n < 3) {
            if (b[n] != EOF) unrd(r, b[n]);
            while (n > 0) unrd(r, b[--n]);
        }
    }
    r->len = 0;
    r->nfields = 0;
    r->err[0] = 0;
    r->rec_line = r->line;
    c = rd(r);
    if (c == EOF) return 0;
    unrd(r, c);

    for (;;) {
        field_start(r);
        c = rd(r);
        if (c == '"') {
            /* quoted field: ends at a lone quote */
            for (;;) {
                c = rd(r);
                if (c == EOF) return fail(r, "unterminated quoted field at end of input");
                if (c == '"') {
                    c = rd(r);
                    if (c == '"') {
                        put(r, '"');
                        continue;
                    }
                    break;
                }
                if (c == '\n') r->line++;
                put(r, c);
            }
            put(r, 0);
            if (c == ',') continue;
            if (c == '\n') r->line++;
            else if (c == '\r') eat_crlf(r);
            else if (c != EOF) {
                skip_line(r);
                return fail(r, "text after the closing quote of a field");
            }
            break;
        }
        /* unquoted field */
        while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
            if (c == '"') {
                skip_line(r);
                return fail(r, "quote inside an unquoted field");
            }
            put(r, c);
            c = rd(r);
        }
        put(r, 0);
        if (c == ',') continue;
        if (c == '\n') r->line++;
        else if (c == '\r') eat_crlf(r);
        break;
    }
    for (int i = 0; i < r->nfields; i++) r->fields[i] = r->buf + r->offs[i];
    *fields = r->fields;
    return r->nfields;
}
