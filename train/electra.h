/* electra — replaced-token detection pre-training (ELECTRA, Clark et al.
 * 2020) for the encoder being trained ("pretrain_objective": "electra").
 *
 * A small generator (a tm_model with the MLM head: the encoder's hidden
 * size and attention heads, gen_layers layers, gen_intermediate FFN width)
 * fills the masked positions of a batch (masking.h) with tokens sampled
 * from its MLM softmax; the discriminator — the encoder itself — then
 * reads the corrupted text and a token head (dense hidden x hidden, GELU,
 * dense to one logit, as ElectraDiscriminatorPredictions) says for every
 * token whether it was replaced. A sampled token equal to the original
 * counts as original. Loss = generator MLM loss + disc_weight x the mean
 * binary cross-entropy over all tokens; the sampling passes no gradient.
 * The discriminator learns from every token instead of the 15% the MLM
 * predicts, which is what makes ELECTRA sample-efficient.
 *
 * Shared embeddings: generator and discriminator use one word, position
 * and token-type embedding table (the discriminator's). Their gradients
 * are summed into the discriminator's, and the generator's copy is
 * overwritten with it after every step. Gradients of the discriminator,
 * its token head and the generator are clipped together by their global
 * norm; each has its own AdamW moments (the embeddings' are the
 * discriminator's).
 *
 * Only the discriminator (the encoder) is kept for fine-tuning; the
 * generator and the token head live in the checkpoint (electra_save) so
 * that an interrupted run resumes exactly. */
#ifndef FINSENT_ELECTRA_H
#define FINSENT_ELECTRA_H

#include <stddef.h>
#include <stdint.h>

#include "train/masking.h"
#include "train/optim.h"
#include "train/train_model.h"

typedef struct electra_cfg {
    int gen_layers, gen_intermediate;
    float disc_weight; /* the paper's lambda, 50 */
    mask_spec mask;
} electra_cfg;

/* The discriminator's token head: w1 (H, H), b1 (H), w2 (1, H), b2 (1),
 * back to back in params (and grads). */
typedef struct electra {
    electra_cfg cfg;
    tm_model *gen;
    optim_adamw gen_opt, head_opt;
    optim_range *gen_ranges, head_ranges[4];
    int gen_nr;
    int shared[3], gen_shared[3]; /* tensor indices of the shared embeddings (discriminator, generator) */
    int H;
    size_t nhead;
    float *params, *grads; /* the token head */
    /* scratch for N tokens */
    int cap;
    int32_t *gen_ids, *mlm, *disc_ids;
    float *y, *h1, *g1, *z, *dz, *dg, *dh1, *dhid;
    /* figures of the last step */
    float gen_loss, disc_loss, disc_acc;
    int n_replaced, n_tokens;
} electra;

/* An ELECTRA objective for discriminator disc: a generator of cfg's shape
 * (with disc's vocab, hidden size, heads and dropout) and a token head,
 * initialised from rng as tm_init_weights does, the generator's embeddings
 * copied from disc. Returns NULL with one line in err on a bad shape. */
electra *electra_new(tm_model *disc, const electra_cfg *cfg, rng_pcg *rng, char *err, size_t errlen);
void electra_free(electra *e);

/* The discriminator's loss on batch b whose tokens are replaced where
 * y[t] = 1 (ids as the discriminator reads them): forward of disc (with
 * dropout from rng when train), the token head, the mean binary
 * cross-entropy times disc_weight. With backward, its gradient is added to
 * disc->grads and e->grads. Sets disc_loss (unweighted) and disc_acc.
 * Returns the weighted loss. */
float electra_disc_loss(electra *e, tm_model *disc, const tm_batch *b, const float *y, int train, rng_pcg *rng,
                        int backward);

/* One training step on batch b (original ids; its labels are ignored):
 * mask, generator forward and sampling, discriminator, backward, joint
 * clipping to clip, AdamW steps at lr (dopt/dranges: the discriminator's
 * optimiser and decay ranges), shared embeddings copied. Draws masks,
 * dropout and samples from rng. Returns generator loss + disc_weight x
 * discriminator loss. */
float electra_step(electra *e, tm_model *disc, optim_adamw *dopt, const optim_range *dranges, int ndr,
                   const tm_batch *b, float lr, float clip, rng_pcg *rng);

/* Writes the generator, the token head and their AdamW moments to path
 * (through a temporary file and a rename). Returns 0, or -1 with a message
 * naming the file. */
int electra_save(const electra *e, const char *path, char *err, size_t errlen);
/* Reads what electra_save wrote into e (same shapes). Returns 0, or -1
 * with a message naming the file when it is missing, truncated or for
 * another shape. */
int electra_load(electra *e, const char *path, char *err, size_t errlen);

#endif
