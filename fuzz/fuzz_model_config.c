/* fuzz_model_config — libFuzzer target for mcfg_load (a BERT config.json
 * with finsent's heads) and, on a config that loads, the "finsent_ngram"
 * part of ngram_load_files. The input is written as config.json. A config
 * that loads has sane sizes and every head named with n_labels labels
 * (each set); one that does not gets a one-line message and is left
 * empty. The n-gram part has no model.safetensors to find: it loads as
 * absent (no key) or fails with one line (a bad key, or the missing file
 * once the key is valid). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/model_config.h"
#include "classify/ngram.h"
#include "fuzz/fuzz_scratch.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_scratch_init("mcfg");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    model_config cfg;
    char err[512] = "";
    /* The head name a plain checkpoint gets: the last input byte picks
     * NULL ("sentiment") or "topic", so both paths run. */
    const char *head = size && (data[size - 1] & 1) ? "topic" : NULL;
    const char *path = fuzz_scratch_write(data, size);
    int rc = mcfg_load(path, head, &cfg, err, sizeof err);
    if (rc == 0) {
        ngram_model *ng = NULL;
        char nerr[512] = "";
        int nrc = ngram_load_files(path, "/nonexistent/model.safetensors", &cfg, &ng, nerr, sizeof nerr);
        if (ng || (nrc != 0 && (!nerr[0] || strpbrk(nerr, "\r\n")))) abort();
    }
    fuzz_scratch_remove();
    if (rc != 0) {
        if (!err[0] || strpbrk(err, "\r\n") || cfg.heads || cfg.n_heads) abort();
        return 0;
    }
    if (cfg.hidden_size < 1 || cfg.num_heads < 1 || cfg.hidden_size % cfg.num_heads || cfg.n_heads < 1 ||
        !(cfg.layer_norm_eps > 0))
        abort();
    for (int h = 0; h < cfg.n_heads; h++) {
        if (!cfg.heads[h].name || !cfg.heads[h].name[0] || cfg.heads[h].n_labels < 0) abort();
        for (int i = 0; i < cfg.heads[h].n_labels; i++)
            if (!cfg.heads[h].labels[i]) abort();
    }
    mcfg_free(&cfg);
    return 0;
}
