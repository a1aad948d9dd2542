/*
 * metrics.c: the metrics registry (see metrics.h).  Series live until
 * metrics_reset(); a Metric pointer stays valid until then.
 */
#include "util/metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strbuf.h"

struct Metric {
    char *name;
    char *help;
    MetricType type;
    char *label;
    char *value;
    double v;
};

static pthread_mutex_t metrics_mu = PTHREAD_MUTEX_INITIALIZER;
static Metric **series;
static size_t nseries, cap_series;

static bool
same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

Metric *
metrics_series(const char *name, const char *help, MetricType type, const char *label, const char *value)
{
    pthread_mutex_lock(&metrics_mu);
    for (size_t i = 0; i < nseries; i++) {
        Metric *m = series[i];
        if (!strcmp(m->name, name) && same(m->label, label) && same(m->value, value)) {
            pthread_mutex_unlock(&metrics_mu);
            return m;
        }
    }
    Metric *m = gw_calloc(1, sizeof *m);
    m->name = gw_strdup(name);
    m->help = gw_strdup(help);
    m->type = type;
    m->label = label ? gw_strdup(label) : NULL;
    m->value = value ? gw_strdup(value) : NULL;
    gw_grow((void **) &series, &cap_series, nseries + 1, sizeof *series);
    series[nseries++] = m;
    pthread_mutex_unlock(&metrics_mu);
    return m;
}

void
metrics_add(Metric *m, double delta)
{
    pthread_mutex_lock(&metrics_mu);
    m->v += delta;
    pthread_mutex_unlock(&metrics_mu);
}

void
metrics_set(Metric *m, double value)
{
    pthread_mutex_lock(&metrics_mu);
    m->v = value;
    pthread_mutex_unlock(&metrics_mu);
}

/* Label values escape backslash, quote and newline (Prometheus text format). */
static void
append_label_value(StrBuf *sb, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            strbuf_append_char(sb, '\\');
        if (*p == '\n') {
            strbuf_append(sb, "\\n");
            continue;
        }
        strbuf_append_char(sb, *p);
    }
}

char *
metrics_render(void)
{
    StrBuf sb;
    strbuf_init(&sb);
    pthread_mutex_lock(&metrics_mu);
    for (size_t i = 0; i < nseries; i++) {
        const Metric *m = series[i];
        bool first_of_name = true;
        for (size_t j = 0; j < i && first_of_name; j++)
            first_of_name = strcmp(series[j]->name, m->name) != 0;
        if (first_of_name)
            strbuf_appendf(&sb, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
                           m->type == METRIC_COUNTER ? "counter" : "gauge");
        strbuf_append(&sb, m->name);
        if (m->label) {
            strbuf_appendf(&sb, "{%s=\"", m->label);
            append_label_value(&sb, m->value);
            strbuf_append(&sb, "\"}");
        }
        strbuf_appendf(&sb, " %.17g\n", m->v);
    }
    pthread_mutex_unlock(&metrics_mu);
    return strbuf_take(&sb);
}

void
metrics_reset(void)
{
    pthread_mutex_lock(&metrics_mu);
    for (size_t i = 0; i < nseries; i++) {
        free(series[i]->name);
        free(series[i]->help);
        free(series[i]->label);
        free(series[i]->value);
        free(series[i]);
    }
    free(series);
    series = NULL;
    nseries = cap_series = 0;
    pthread_mutex_unlock(&metrics_mu);
}
