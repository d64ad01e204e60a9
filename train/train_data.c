/* train_data — reading the labelled files of a training config (CSV,
 * JSONL, SEntFiN); see train_data.h. */
#include "train/train_data.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/sentfin.h"
#include "util/csv.h"
#include "util/errmsg.h"
#include "util/fnv.h"

/* Label id from a field: an integer id in range or a label name; -1 else. */
static int parse_label(const train_head_cfg *h, const char *s) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!errno && end != s && *end == 0 && v >= 0 && (size_t)v < h->labels.n) return (int)v;
    for (size_t i = 0; i < h->labels.n; i++)
        if (strcmp(h->labels.v[i], s) == 0) return (int)i;
    return -1;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int train_read_labelled(const train_cfg *c, const train_data_cfg *d, int head, train_text_fn fn, void *arg, char *err,
                        size_t errlen) {
    const train_head_cfg *h = &c->heads.v[head];
    FILE *f = fopen(d->path, "rb");
    if (!f) {
        return err_set(err, errlen, "%s: %s", d->path, strerror(errno));
    }
    int rc = 0;
    if (ends_with(d->path, ".csv") || d->format == TRAIN_FORMAT_SENTFIN) {
        csv_reader *r = csv_open(f);
        char **fl;
        int n = csv_next(r, &fl), tcol = -1, lcol = -1;
        const char *tname = d->format == TRAIN_FORMAT_SENTFIN ? "Title" : d->text;
        const char *lname = d->format == TRAIN_FORMAT_SENTFIN ? "Decisions" : d->label;
        for (int i = 0; i < n; i++) {
            if (strcmp(fl[i], tname) == 0) tcol = i;
            if (strcmp(fl[i], lname) == 0) lcol = i;
        }
        if (tcol < 0 || lcol < 0) {
            rc = err_set(err, errlen, "%s: header lacks the column \"%s\"", d->path, tcol < 0 ? tname : lname);
        }
        while (!rc && d->format == TRAIN_FORMAT_SENTFIN && (n = csv_next(r, &fl)) != 0) {
            sf_entity ents[SF_MAX_ENTITIES];
            int ne = n > 0 && tcol < n && lcol < n ? sf_parse_decisions(fl[lcol], ents, SF_MAX_ENTITIES) : -1;
            const char *ls = ne >= 0 ? sf_headline_label(ents, ne) : NULL;
            int lab = ls ? parse_label(h, ls) : -1;
            if (n < 0) rc = err_set(err, errlen, "%s: %s", d->path, csv_error(r));
            else if (ne < 0)
                rc = err_set(err, errlen, "%s:%ld: Decisions is not a {'entity': 'label'} dict", d->path, csv_line(r));
            else if (ls && lab < 0)
                rc = err_set(err, errlen, "%s:%ld: label \"%s\" is not one of head %s's labels", d->path, csv_line(r),
                             ls, h->name);
            else if (ls) fn(fl[tcol], head, lab, arg);
        }
        while (!rc && d->format == TRAIN_FORMAT_PLAIN && (n = csv_next(r, &fl)) != 0) {
            int lab = n > 0 && tcol < n && lcol < n ? parse_label(h, fl[lcol]) : -1;
            if (n < 0) rc = err_set(err, errlen, "%s: %s", d->path, csv_error(r));
            else if (lab < 0)
                rc = err_set(err, errlen, "%s:%ld: label \"%s\" is not one of head %s's labels", d->path, csv_line(r),
                             lcol < n ? fl[lcol] : "", h->name);
            else fn(fl[tcol], head, lab, arg);
        }
        csv_close(r);
    } else {
        char *line = NULL;
        size_t cap = 0;
        long ln = 0;
        while (!rc && getline(&line, &cap, f) > 0) {
            ln++;
            if (strspn(line, " \t\r\n") == strlen(line)) continue;
            cJSON *o = cJSON_Parse(line);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, d->text), *l = cJSON_GetObjectItemCaseSensitive(o, d->label);
            char num[32];
            const char *ls = cJSON_IsString(l) ? l->valuestring : NULL;
            if (cJSON_IsNumber(l)) snprintf(num, sizeof num, "%d", l->valueint), ls = num;
            int lab = ls ? parse_label(h, ls) : -1;
            if (!cJSON_IsString(t) || lab < 0) {
                rc = err_set(err, errlen, "%s:%ld: needs a string \"%s\" and a label \"%s\" of head %s", d->path, ln,
                             d->text, d->label, h->name);
            } else {
                fn(t->valuestring, head, lab, arg);
            }
            cJSON_Delete(o);
        }
        free(line);
    }
    fclose(f);
    return rc;
}

int train_is_dev(const char *text, size_t len, double fraction) {
    return (double)(fnv1a64(text, len) % 10000) < fraction * 10000.0;
}

int train_domains(const train_cfg *c, int *of_data, const char **names) {
    int nd = 0;
    for (size_t i = 0; i < c->data.n; i++) {
        size_t j = 0;
        while (j < i && strcmp(c->data.v[j].domain, c->data.v[i].domain) != 0) j++;
        if (j < i) {
            of_data[i] = of_data[j];
        } else {
            if (names) names[nd] = c->data.v[i].domain;
            of_data[i] = nd++;
        }
    }
    return nd;
}

void train_dev_weights(const size_t *count, int nd, int nh, double *w) {
    int used = 0;
    for (int d = 0; d < nd; d++) {
        int heads = 0;
        for (int h = 0; h < nh; h++) heads += count[d * nh + h] > 0;
        used += heads > 0;
    }
    for (int d = 0; d < nd; d++) {
        int heads = 0;
        for (int h = 0; h < nh; h++) heads += count[d * nh + h] > 0;
        for (int h = 0; h < nh; h++) w[d * nh + h] = count[d * nh + h] ? 1.0 / ((double)used * heads) : 0.0;
    }
}
