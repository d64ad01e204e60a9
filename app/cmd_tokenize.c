/* cmd_tokenize — `finsent tokenize`: JSONL {"id":…,"text":…} in, one
 * {"id":…,"ids":[…]} line out per input line, in order.
 *
 * Streams: one line is held at a time (the buffer grows to the longest
 * line), so memory does not grow with the input. A line that is not a
 * JSON object with a string "text" gives {"id":…,"error":…,"line":N} in
 * its place ("id" only when the line has one) and processing goes on;
 * blank lines are skipped. cJSON strings end at U+0000, so "\u0000"
 * escapes are removed before parsing: the tokenizer drops U+0000 anyway. */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "classify/tokenizer.h"
#include "util/log.h"
#include "util/jsonl.h"
#include "util/xalloc.h"

#define TOKENIZE_DEFAULT_MAX_LEN 512
#define TOKENIZE_MAX_MAX_LEN (1 << 20)

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent tokenize --vocab FILE [--cased] [--max-len N] [FILE]\n\n"
            "Reads JSONL {\"id\":…,\"text\":…} from FILE (stdin when absent) and writes\n"
            "{\"id\":…,\"ids\":[…]} per line, in the same order: BERT WordPiece ids with\n"
            "[CLS] first and [SEP] last, truncated to N ids. A malformed line gives\n"
            "{\"id\":…,\"error\":\"…\",\"line\":N} in its place and the rest goes on.\n\n"
            "options:\n"
            "  --vocab FILE   vocab.txt of the model (one token per line)\n"
            "  --cased        keep case and accents (for cased models; default uncased)\n"
            "  --max-len N    at most N ids per text, N >= 2 (default %d)\n"
            "  -h, --help     this text\n\n"
            "example:\n"
            "  echo '{\"id\":1,\"text\":\"$AAPL up 3.5%%\"}' | finsent tokenize --vocab models/default/vocab.txt\n",
            TOKENIZE_DEFAULT_MAX_LEN);
}

typedef struct {
    char *buf;
    size_t len, cap;
} outbuf;

static void out_put(outbuf *o, const char *s, size_t n) {
    if (o->len + n > o->cap) {
        while (o->len + n > o->cap) o->cap = o->cap ? 2 * o->cap : 4096;
        o->buf = xrealloc(o->buf, o->cap);
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_str(outbuf *o, const char *s) { out_put(o, s, strlen(s)); }

static void out_int(outbuf *o, long v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%ld", v);
    out_put(o, tmp, (size_t)n);
}

/* Appends "\"id\":<json>," when the object has an id. */
static void out_id(outbuf *o, const cJSON *obj) {
    const cJSON *id = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, "id") : NULL;
    if (!id) return;
    char *s = cJSON_PrintUnformatted(id);
    if (!s) return;
    out_str(o, "\"id\":");
    out_str(o, s);
    out_str(o, ",");
    cJSON_free(s);
}

/* Writes the output line for input line number lineno into o. Returns 1
 * when the line was malformed. */
static int tokenize_line(tokenizer *t, char *line, size_t len, long lineno, int max_len, int32_t *ids,
                         tok_stats *st, outbuf *o) {
    cJSON *obj = cJSON_ParseWithLength(line, jsonl_drop_nul_escapes(line, len));
    const char *err = NULL;
    const cJSON *text = NULL;
    if (!obj)
        err = "invalid JSON";
    else if (!cJSON_IsObject(obj))
        err = "not a JSON object";
    else if (!(text = cJSON_GetObjectItemCaseSensitive(obj, "text")))
        err = "no \\\"text\\\" field";
    else if (!cJSON_IsString(text))
        err = "\\\"text\\\" is not a string";
    out_str(o, "{");
    out_id(o, obj);
    if (err) {
        out_str(o, "\"error\":\"");
        out_str(o, err);
        out_str(o, "\",\"line\":");
        out_int(o, lineno);
        out_str(o, "}\n");
    } else {
        int n = tok_encode(t, text->valuestring, strlen(text->valuestring), max_len, ids, st);
        out_str(o, "\"ids\":[");
        for (int i = 0; i < n; i++) {
            if (i) out_str(o, ",");
            out_int(o, ids[i]);
        }
        out_str(o, "]}\n");
    }
    cJSON_Delete(obj);
    return err != NULL;
}

int cmd_tokenize(int argc, char **argv) {
    static const struct option opts[] = {
        {"vocab", required_argument, NULL, 'v'}, {"cased", no_argument, NULL, 'c'},
        {"max-len", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    const char *vocab_path = NULL;
    int cased = 0, max_len = TOKENIZE_DEFAULT_MAX_LEN, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'v': vocab_path = optarg; break;
        case 'c': cased = 1; break;
        case 'm': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || v < 2 || v > TOKENIZE_MAX_MAX_LEN)
                return cli_usage_error("tokenize", "--max-len: expected an integer from 2 to %d, got \"%s\"",
                                       TOKENIZE_MAX_MAX_LEN, optarg);
            max_len = (int)v;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("tokenize", "unknown option");
        }
    }
    if (!vocab_path) return cli_usage_error("tokenize", "--vocab FILE is required");
    if (argc - optind > 1) return cli_usage_error("tokenize", "one input FILE at most, got \"%s\" too", argv[optind + 1]);
    const char *in_path = optind < argc ? argv[optind] : NULL;

    char err[512];
    tok_vocab *v = tok_vocab_load(vocab_path, err, sizeof err);
    if (!v) {
        fprintf(stderr, "finsent tokenize: %s\n", err);
        return 2;
    }
    FILE *in = in_path ? fopen(in_path, "rb") : stdin;
    if (!in) {
        fprintf(stderr, "finsent tokenize: %s: %s\n", in_path, strerror(errno));
        tok_vocab_free(v);
        return 2;
    }
    tokenizer *t = tok_new(v, !cased);
    int32_t *ids = xmalloc((size_t)max_len * sizeof *ids);
    tok_stats st = {0};
    outbuf o = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, bad = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        if (jsonl_blank(line, (size_t)n)) continue;
        o.len = 0;
        bad += tokenize_line(t, line, (size_t)n, lineno, max_len, ids, &st, &o);
        if (fwrite(o.buf, 1, o.len, stdout) != o.len) {
            rc = cli_fail("tokenize", "writing output: %s", strerror(errno));
            break;
        }
    }
    if (rc == 0 && ferror(in)) rc = cli_fail("tokenize", "reading %s: %s", in_path ? in_path : "stdin", strerror(errno));
    if (rc == 0 && fflush(stdout) != 0) rc = cli_fail("tokenize", "writing output: %s", strerror(errno));
    if (bad || st.invalid_utf8 || st.truncated)
        log_warn("tokenize", "%ld lines, %ld malformed, %llu invalid UTF-8 bytes replaced, %llu texts truncated",
                 lineno, bad, (unsigned long long)st.invalid_utf8, (unsigned long long)st.truncated);
    free(line);
    free(o.buf);
    free(ids);
    tok_free(t);
    tok_vocab_free(v);
    if (in != stdin) fclose(in);
    return rc;
}
