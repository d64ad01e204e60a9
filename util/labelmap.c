/* labelmap — sentiment labels to negative / neutral / positive; see labelmap.h. */
#include "util/labelmap.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

typedef struct lm_entry {
    char *label;
    int cls;
} lm_entry;

struct labelmap {
    lm_entry *v;
    int n;
};

static const lm_entry builtins[] = {
    {"negative", LM_NEGATIVE}, {"bearish", LM_NEGATIVE}, {"neg", LM_NEGATIVE}, {"neutral", LM_NEUTRAL},
    {"neu", LM_NEUTRAL},       {"positive", LM_POSITIVE}, {"bullish", LM_POSITIVE}, {"pos", LM_POSITIVE},
};

static const char *const class_names[] = {"negative", "neutral", "positive"};

labelmap *lm_create(void) { return xcalloc(1, sizeof(labelmap)); }

void lm_free(labelmap *m) {
    if (!m) return;
    for (int i = 0; i < m->n; i++) free(m->v[i].label);
    free(m->v);
    free(m);
}

const char *lm_class_name(int cls) { return cls >= 0 && cls < 3 ? class_names[cls] : "none"; }

int lm_class_parse(const char *s) {
    for (int i = 0; i < 3; i++)
        if (strcmp(s, class_names[i]) == 0) return i;
    return strcmp(s, "none") == 0 ? LM_NONE : -2;
}

int lm_set(labelmap *m, const char *label, const char *class_name) {
    int cls = lm_class_parse(class_name);
    if (cls == -2) return -1;
    for (int i = 0; i < m->n; i++)
        if (strcasecmp(m->v[i].label, label) == 0) {
            m->v[i].cls = cls;
            return 0;
        }
    m->v = xrealloc(m->v, sizeof *m->v * (size_t)(m->n + 1));
    m->v[m->n++] = (lm_entry){xstrdup(label), cls};
    return 0;
}

int lm_parse(labelmap *m, const char *spec, char *err, size_t errlen) {
    char *copy = xstrdup(spec), *save = NULL;
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq || eq == item) {
            rc = err_set(err, errlen, "\"%s\" is not LABEL=CLASS", item);
            break;
        }
        *eq = 0;
        if (lm_set(m, item, eq + 1) < 0)
            rc = err_set(err, errlen, "\"%s\": expected negative, neutral, positive or none, got \"%s\"", item, eq + 1);
    }
    free(copy);
    return rc;
}

int lm_class(const labelmap *m, const char *label) {
    for (int i = 0; m && i < m->n; i++)
        if (strcasecmp(m->v[i].label, label) == 0) return m->v[i].cls;
    for (int i = 0; i < 3; i++) /* the usual spellings, exactly: the windows' hot path */
        if (strcmp(label, class_names[i]) == 0) return i;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcasecmp(builtins[i].label, label) == 0) return builtins[i].cls;
    return LM_NONE;
}

char *lm_describe(const labelmap *m, const char *const *labels, int n) {
    char *s = xstrdup("");
    for (int i = 0; i < n; i++) {
        char *t = xasprintf("%s%s%s=%s", s, i ? ", " : "", labels[i], lm_class_name(lm_class(m, labels[i])));
        free(s);
        s = t;
    }
    return s;
}

int lm_check_head(const labelmap *m, const char *const *labels, int n, char *err, size_t errlen) {
    for (int i = 0; i < n; i++)
        if (lm_class(m, labels[i]) == LM_NEGATIVE) return 0;
    char *list = xstrdup("");
    for (int i = 0; i < n; i++) {
        char *t = xasprintf("%s%s%s", list, i ? ", " : "", labels[i]);
        free(list);
        list = t;
    }
    err_set(err, errlen,
            "sentiment head has no label that means negative (labels: %s); map one with model.sentiment_labels "
            "(e.g. {\"%s\": \"negative\"})",
            list, n > 0 ? labels[0] : "LABEL_0");
    free(list);
    return -1;
}
