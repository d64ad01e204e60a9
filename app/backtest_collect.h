/* backtest_collect — an alerts_observer that records every closed window
 * (with its baseline) and every alert of a replay, then lends them to the
 * HTML report (app/report.h) as report_series. */
#ifndef FINSENT_BACKTEST_COLLECT_H
#define FINSENT_BACKTEST_COLLECT_H

#include "alerts/alerts.h"
#include "app/report.h"

typedef struct bt_collect bt_collect;

/* A collector and the observer that feeds it (valid while c lives). */
bt_collect *bt_collect_new(void);
const alerts_observer *bt_collect_observer(bt_collect *c);

/* The series gathered so far, one per key, in first-seen order; owned by
 * the collector and valid until it is freed. */
const report_series *bt_collect_series(bt_collect *c, int *n);

void bt_collect_free(bt_collect *c);

#endif
