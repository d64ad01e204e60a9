/* cmd_train — `finsent train --config FILE`: loads and validates a training
 * config (train/train.h describes the keys) and runs it: encoder
 * training, or the n-gram stage (train/ngram_train.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app/commands.h"
#include "train/train.h"

static void usage(void) {
    printf("usage: finsent train --config FILE\n"
           "\n"
           "Trains or fine-tunes a model: optional pre-training on the texts (masked LM, by tokens\n"
           "or whole words, or ELECTRA replaced-token detection), then the classification heads;\n"
           "the best model by the dev criterion (the mean over the data files' domains of each\n"
           "domain's mean macro-F1) goes to \"out\", a resumable checkpoint to \"out\"/checkpoint\n"
           "(rerun the same command to resume). docs/training.md describes every key.\n"
           "\n"
           "config keys (JSON): out, vocab (required); heads [{name, labels [...]}];\n"
           "  data [{path (.csv or .jsonl), head, text=\"text\", label=\"label\",\n"
           "  format plain|sentfin (SEntFiN.csv: headlines whose entities agree), domain \"main\"}];\n"
           "  model {hidden 128, layers 2, heads 2, intermediate 512, dropout 0.1}; max_len 64;\n"
           "  cased false; init_from (a BERT model dir to start from: its config.json sets the\n"
           "  shape); unlabelled [text files];\n"
           "  pretrain_steps 0; pretrain_objective mlm|electra; whole_word_mask false;\n"
           "  pretrain_lr 5e-4; mask_prob 0.15; checkpoint_every 1000; pretrain_stop_at 0 (stop\n"
           "  there, checkpointed; rerun with a later one or 0 to continue); electra_gen_layers 1,\n"
           "  electra_gen_intermediate 256, electra_disc_weight 50;\n"
           "  epochs 3; batch_tokens 2048; max_steps 0 (no limit); lr 1e-4; warmup 0.06 (fraction);\n"
           "  schedule linear|cosine|constant; weight_decay 0.01; clip 1.0; dev_fraction 0.1;\n"
           "  seed 42; f16 false (write the model in half precision).\n"
           "\n"
           "objective \"ngram\" (default \"encoder\") instead adds a hashed word n-gram TF-IDF\n"
           "logistic regression per head to the trained model init_from and writes the result\n"
           "to out: same data and dev split; keys ngram_buckets 262144, ngram_max_order 2,\n"
           "ngram_char_min 0 and ngram_char_max 0 (character n-grams of these lengths inside\n"
           "each space-padded word too; 0 0: none),\n"
           "ngram_c_min 0.5, ngram_c_max 32 (inverse L2 strengths tried, doubling), ngram_mix_max 4\n"
           "(mixing weights tried in steps of 0.1), ngram_balanced false (class-weighted loss),\n"
           "ngram_refit false (fit the chosen C once more on train + dev before saving),\n"
           "ngram_drop_unseen false (IDF 0 for buckets no training text has: n-grams unseen in\n"
           "training weigh nothing, as a vocabulary-based TF-IDF ignores unknown terms),\n"
           "ngram_iters 300; C and the mixing weight are chosen per head by the dev criterion of\n"
           "the sum with the encoder's logits (vocab is then unused: init_from's tokenizer counts).\n"
           "\n"
           "examples:\n"
           "  finsent train --config configs/pretrain-default.json\n"
           "  finsent train --config configs/train-default.json\n"
           "  finsent train --config configs/ngram-default.json\n");
}

int cmd_train(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c') path = optarg;
        else if (c == 'h') {
            usage();
            return 0;
        } else return cli_usage_error("train", "bad option");
    }
    if (optind < argc) return cli_usage_error("train", "unexpected argument '%s'", argv[optind]);
    if (!path) return cli_usage_error("train", "no --config given");
    train_cfg cfg;
    char err[1024];
    if (cfg_load_file(path, &train_cfg_schema, &cfg, err, sizeof err)) {
        fprintf(stderr, "finsent train: %s\n", err);
        return 2;
    }
    int rc = train_run(&cfg, err, sizeof err) ? cli_fail("train", "%s", err) : 0;
    cfg_obj_free(&train_cfg_schema, &cfg);
    return rc;
}
