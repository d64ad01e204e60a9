/* relabel_model — a checkpoint whose sentiment head has other labels, made
 * from a real model for the label-mapping tests (issue 15): the sentiment
 * head of src (three labels) gets a fourth row, a copy of its last one
 * whose encoder bias is raised by extra_bias, and the four labels given.
 * With extra_bias 0 the copy ties with the row it copies and never wins
 * (argmax takes the first on ties): the model predicts exactly what src
 * does. With extra_bias > 0 it always beats that row: every prediction of
 * src's last label becomes the fourth. Written with the C safetensors
 * writer (F16, like the default model). */
#ifndef FINSENT_TEST_RELABEL_MODEL_H
#define FINSENT_TEST_RELABEL_MODEL_H

#include <stddef.h>

/* Writes dst/{model.safetensors,config.json,vocab.txt,tokenizer_config.json}
 * (dst must exist). Returns 0, or -1 with one line in err. */
int relabel_model(const char *src, const char *dst, const char *const labels[4], float extra_bias, char *err,
                  size_t errlen);

#endif
