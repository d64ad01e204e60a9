/* payload — the bodies sent for an alert.
 *
 * The generic body (DESIGN.md "Alert", version 1) is what the outbox
 * stores; the Slack incoming-webhook and PagerDuty Events v2 bodies are
 * views computed from it at delivery time, so one stored entry serves
 * every sink. Generic body:
 *   {"version":1,"id":"<32 hex>","status":"firing"|"resolved","rule":"…",
 *    "severity":"info"|"warning"|"critical",
 *    "key":{"name":"entity=AAPL,topic=Earnings","scope":"entity_topic","entity":"AAPL","topic":"Earnings"},
 *    "window":{"start":"<RFC 3339>","end":"<RFC 3339>","start_ms":…,"end_ms":…},
 *    "stats":{"count":…,"negatives":…,"neutrals":…,"positives":…,"negative_share":…,
 *             "baseline_share":…,"zscore":…,"ratio":…,"score":…},
 *    "first":{"window":{…},"stats":{…}},
 *    "samples":[{"id":…,"source":…,"time":"<RFC 3339>","text":…,"score":<p_negative>,
 *                "words":[{"word":…,"start":…,"end":…,"weight":…}]}],
 *    "why":[{"word":…,"weight":…,"messages":…}]}
 * "score" in stats is the confidence-weighted score (window.h); entity and
 * topic appear only when the key has them; source only when known.
 * window and stats are those of the latest window: the one that fired, the
 * latest that held (a repeat) or the one that cleared the alert (a
 * resolve); first has the same two objects for the first firing window
 * (whose start is in the id). "words" (byte offsets into "text") and "why"
 * only when the alert was explained (alert_explain.h; never for a resolved
 * alert, which has no samples). The views show them: Slack in bold in the
 * sample texts, the summary (Slack's text, PagerDuty's summary) ends in
 * "; why: w1, w2, …", PagerDuty's custom_details get "why" and the samples
 * with their words. version changes only when a field changes meaning or
 * goes away; a field added (as first and why were) keeps it at 1, so a
 * receiver ignores fields it does not know. */
#ifndef FINSENT_PAYLOAD_H
#define FINSENT_PAYLOAD_H

#include "alerts/alert_state.h"

/* The generic JSON body of an alert; caller frees. Never NULL. */
char *payload_alert_json(const alert *a);

/* The Slack incoming-webhook body ({"text":…,"blocks":[…]}) for a generic
 * body; caller frees. NULL when generic is not a valid generic body. */
char *payload_slack(const char *generic);

/* The PagerDuty Events v2 body for a generic body: routing_key, dedup_key =
 * alert id, event_action trigger (firing) or resolve (resolved), and a
 * payload {summary, severity, source, timestamp, component, group,
 * custom_details: stats and first} (PagerDuty needs it for a trigger; a
 * resolve carries it for the incident log). Caller frees; NULL when
 * generic is not valid. */
char *payload_pagerduty(const char *generic, const char *routing_key);

/* A one-line human summary of a generic body (for logs and chat); a
 * resolve names the clearing window's figures and the first firing
 * window's. Caller frees; NULL when generic is not valid. */
char *payload_summary(const char *generic);

/* text with the spans of a sample's "words" array (may be NULL) wrapped in
 * open and close (ax_mark), for the views and the demo's terminal;
 * caller frees. Never NULL. */
struct cJSON;
char *payload_mark_words(const char *text, const struct cJSON *words, const char *open, const char *close);

#endif
