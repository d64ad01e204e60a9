/* cmd_vocab — `finsent vocab build`: learns a WordPiece vocab.txt from text
 * files (one text per line) and CSV files (one column of texts). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "train/vocab_build.h"
#include "util/csv.h"
#include "util/xalloc.h"

static void usage(void) {
    printf("usage: finsent vocab build --input FILE [--input FILE ...] [--column NAME] [--size N]\n"
           "                           [--min-freq N] [--cased] --out vocab.txt\n"
           "\n"
           "Learns a BERT WordPiece vocabulary: [PAD] [UNK] [CLS] [SEP] [MASK] first (ids 0-4),\n"
           "then characters, then merged sub-words (\"##\" marks a continuation).\n"
           "\n"
           "  --input FILE    a corpus file; repeatable. Files ending in .csv are read as\n"
           "                  RFC 4180 CSV with a header row, others as one text per line\n"
           "  --column NAME   the CSV column holding the texts (default: text)\n"
           "  --size N        vocabulary size, special tokens included (default 16000)\n"
           "  --min-freq N    stop merging when the best pair occurs fewer times (default 2)\n"
           "  --cased         keep case and accents (default: lower-case, strip accents)\n"
           "  --out FILE      where to write vocab.txt\n"
           "\n"
           "example:\n"
           "  finsent vocab build --input ../shared/data/twitter-financial-news-topic/topic_train.csv \\\n"
           "      --input ../shared/data/unlabelled/stocknet_tweets.txt --size 12000 --out models/vocab.txt\n");
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Feeds every text of path to v; returns the number of texts or -1 with a
 * message printed. */
static long feed_file(vb_learner *v, const char *path, const char *column) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_fail("vocab", "%s: %s", path, strerror(errno));
        return -1;
    }
    long texts = 0;
    if (ends_with(path, ".csv")) {
        csv_reader *r = csv_open(f);
        char **fl;
        int n = csv_next(r, &fl), col = -1;
        for (int i = 0; i < n; i++)
            if (strcmp(fl[i], column) == 0) col = i;
        if (col < 0) {
            cli_fail("vocab", "%s: no column named '%s' in the header", path, column);
            texts = -1;
        }
        while (texts >= 0 && (n = csv_next(r, &fl)) != 0) {
            if (n < 0) {
                cli_fail("vocab", "%s: %s", path, csv_error(r));
                texts = -1;
            } else if (col < n) {
                vb_add_text(v, fl[col], strlen(fl[col]));
                texts++;
            }
        }
        csv_close(r);
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, f)) > 0) {
            vb_add_text(v, line, (size_t)len);
            texts++;
        }
        free(line);
    }
    if (ferror(f)) {
        cli_fail("vocab", "%s: read error", path);
        texts = -1;
    }
    fclose(f);
    return texts;
}

static int parse_int(const char *s, int lo, int *out) {
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || *end || end == s || x < lo || x > 10000000) return -1;
    *out = (int)x;
    return 0;
}

int cmd_vocab(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage();
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "build") != 0) return cli_usage_error("vocab", "unknown action '%s' (expected 'build')", argv[1]);
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'}, {"column", required_argument, NULL, 'c'},
        {"size", required_argument, NULL, 's'},  {"min-freq", required_argument, NULL, 'm'},
        {"cased", no_argument, NULL, 'C'},       {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char **inputs = xcalloc((size_t)argc, sizeof *inputs);
    int ninputs = 0, size = 16000, min_freq = 2, cased = 0, c;
    const char *column = "text", *out = NULL;
    int rc = 0;
    while (rc == 0 && (c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i': inputs[ninputs++] = optarg; break;
        case 'c': column = optarg; break;
        case 's':
            if (parse_int(optarg, 5, &size)) rc = cli_usage_error("vocab", "--size: '%s' is not an integer >= 5", optarg);
            break;
        case 'm':
            if (parse_int(optarg, 1, &min_freq))
                rc = cli_usage_error("vocab", "--min-freq: '%s' is not an integer >= 1", optarg);
            break;
        case 'C': cased = 1; break;
        case 'o': out = optarg; break;
        case 'h': usage(); free(inputs); return 0;
        default: rc = cli_usage_error("vocab", "bad option"); break;
        }
    }
    if (rc == 0 && optind + 1 < argc) rc = cli_usage_error("vocab", "unexpected argument '%s'", argv[optind + 1]);
    if (rc == 0 && !ninputs) rc = cli_usage_error("vocab", "no --input given");
    if (rc == 0 && !out) rc = cli_usage_error("vocab", "no --out given");
    if (rc) {
        free(inputs);
        return rc;
    }
    vb_learner *v = vb_new(!cased, NULL);
    long texts = 0;
    for (int i = 0; i < ninputs && rc == 0; i++) {
        long n = feed_file(v, inputs[i], column);
        if (n < 0) rc = 1;
        texts += n;
    }
    if (rc == 0) {
        char **tokens, err[512];
        int n = vb_learn(v, size, min_freq, &tokens);
        if (vb_write(tokens, n, out, err, sizeof err)) rc = cli_fail("vocab", "%s", err);
        else
            fprintf(stderr, "finsent vocab: %ld texts, %zu distinct words, %d tokens written to %s\n", texts,
                    vb_word_count(v), n, out);
    }
    vb_free(v);
    free(inputs);
    return rc;
}
