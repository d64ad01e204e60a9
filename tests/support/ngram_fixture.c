/* ngram_fixture — a random n-gram part on the encoder fixture; see
 * ngram_fixture.h. */
#include "tests/support/ngram_fixture.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* xorshift64 in [0, 1): test data only, fixed seed. */
static float urand(uint64_t *s) {
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return (float)((*s >> 11) * (1.0 / 9007199254740992.0));
}

ngram_model *ngram_fixture_part(int buckets) {
    uint64_t rng = 88172645463325252ull;
    ngram_settings s = {.buckets = buckets, .n_orders = 2, .orders = {1, 2}, .n_char_orders = 2, .char_orders = {3, 4}};
    ngram_model *m = ngram_new(&s, 1, (const char *const[]){"sentiment"}, (const int[]){3});
    m->heads[0].head = 1;
    m->heads[0].mix = 1.5f;
    for (int b = 0; b < buckets; b++) m->idf[b] = 1 + urand(&rng);
    for (int j = 0; j < 3 * buckets; j++) m->heads[0].w[j] = urand(&rng) * 4 - 2;
    for (int j = 0; j < 3; j++) m->heads[0].b[j] = urand(&rng) - 0.5f;
    return m;
}

int ngram_fixture_dir(char *dir, size_t n) {
    snprintf(dir, n, "/tmp/finsent-ngram-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

void ngram_fixture_remove(const char *dir) {
    static const char *const files[] = {"model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json",
                                        "dev_report.json"};
    char p[512];
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}
