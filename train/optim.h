/* optim — AdamW with decoupled weight decay, the learning-rate schedule and
 * global-norm gradient clipping, matching torch.optim.AdamW,
 * torch.nn.utils.clip_grad_norm_ and Hugging Face's warm-up schedules
 * (get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup). */
#ifndef FINSENT_OPTIM_H
#define FINSENT_OPTIM_H

#include <stddef.h>
#include <stdio.h>

/* A contiguous run of parameters sharing one weight-decay setting: weights
 * decay; biases and LayerNorm parameters do not (decay = 0). */
typedef struct optim_range {
    size_t off, n;
    int decay;
} optim_range;

typedef struct optim_adamw {
    float beta1, beta2, eps, weight_decay;
    long t;       /* steps taken */
    size_t n;     /* parameters */
    float *m, *v; /* first and second moments, n each */
} optim_adamw;

/* Sets the hyper-parameters and allocates zeroed moments for n parameters
 * (never fails; aborts on out of memory). */
void optim_adamw_init(optim_adamw *o, size_t n, float beta1, float beta2, float eps, float weight_decay);
void optim_adamw_free(optim_adamw *o);

/* Writes o's step count, size and moments to f (host byte order: a
 * checkpoint is read back on the machine that wrote it). Returns 0, or -1
 * when the write fails. */
int optim_adamw_write(const optim_adamw *o, FILE *f);
/* Reads what optim_adamw_write wrote into o, which must have the same
 * size. Returns 0, or -1 on a short read or another size. */
int optim_adamw_read(optim_adamw *o, FILE *f);

/* One AdamW step at learning rate lr over params/grads (n each) as torch
 * does it: p -= lr*wd*p on decaying ranges, then the bias-corrected Adam
 * update. Parameters not covered by a range are left alone. */
void optim_adamw_step(optim_adamw *o, float *params, const float *grads, const optim_range *ranges, int nranges,
                      float lr);

/* Scales grads (n) so that their global L2 norm is at most max_norm (torch:
 * coefficient max_norm / (norm + 1e-6), applied only when below 1).
 * Returns the norm before clipping. max_norm <= 0 only measures. */
float optim_clip_grad_norm(float *grads, size_t n, float max_norm);

enum optim_decay { OPTIM_DECAY_LINEAR = 0, OPTIM_DECAY_COSINE, OPTIM_DECAY_CONSTANT };

typedef struct optim_schedule {
    float peak_lr;
    long warmup_steps, total_steps;
    enum optim_decay decay;
} optim_schedule;

/* Learning rate for the step about to be taken when `step` steps are done:
 * peak * step / warmup during warm-up, then linear to 0 at total_steps,
 * or half-cosine to 0, or constant. Never negative. */
float optim_lr_at(const optim_schedule *s, long step);

#endif
