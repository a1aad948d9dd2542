/*
 * metrics.h: a small registry of counters and gauges, rendered in the
 * Prometheus text format.  Thread-safe: the HTTP thread renders while the
 * worker updates.  Labels are fixed when a series is created.
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stdint.h>

typedef enum MetricType { METRIC_COUNTER, METRIC_GAUGE } MetricType;

typedef struct Metric Metric;

/* Finds or creates the series name{label=value}; label may be NULL for none. */
Metric *metrics_series(const char *name, const char *help, MetricType type, const char *label, const char *value);
void metrics_add(Metric *m, double delta);
void metrics_set(Metric *m, double value);

/* The whole registry as Prometheus text; caller frees. */
char *metrics_render(void);
void metrics_reset(void);

#endif
