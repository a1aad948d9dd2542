/*
 * cli_replicate.c: `godwit replicate` and `godwit failback` flags into
 * ReplicateOptions (failback is the same stream with the roles swapped).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/plan.h"
#include "flow/failback.h"
#include "flow/failback_changefeed.h"
#include "flow/replicate.h"
#include "util/log.h"
#include "util/signals.h"

static const char usage[] =
    "usage: godwit replicate --source URL --target URL [options]\n"
    "\n"
    "Streams every change committed on the source after the phase's fetch into the\n"
    "target, in source commit order, exactly once (the position is checkpointed in the\n"
    "target's _godwit.checkpoints in the same transaction as the changes).\n"
    "\n"
    "  --source URL            the fetch's source\n"
    "  --target URL            the fetch's target\n"
    "  --phase NAME            phase (default: default)\n"
    "  --plan FILE             the migration's plan (docs/plans.md): checked, the phase must be in\n"
    "                          it and have been fetched with the plan's row predicates\n"
    "  --stop-when-caught-up   exit 0 once everything the source had committed at start is applied\n"
    "  --standby               if another process runs this stream, wait and take over when it stops\n"
    "                          (a hot standby: two replicas of one stream); else a second runner is refused\n"
    "  --retry-for SECONDS     keep reconnecting for this long after losing a connection (default: 300)\n"
    "  --group-size N          most changes grouped into one target transaction (default: 2000)\n"
    "  --group-ms MS           longest a group stays open before it commits (default: 2)\n"
    "  --metrics-addr H:P      serve Prometheus /metrics and /healthz on HOST:PORT\n"
    "  --server-id N           MySQL/MariaDB source: the binlog reader's server_id (default: derived\n"
    "                          from the phase name, in 2147483648..4294967295)\n"
    "  --ddl-applied           MySQL/MariaDB source: the DDL the stream last stopped at was made on\n"
    "                          the target by hand; go past it\n"
    "  --log-format text|json, -v/--verbose, -q/--quiet\n"
    "\n"
    "SIGINT or SIGTERM stops it after the current transaction. Exit codes: 0 stopped\n"
    "cleanly, 2 bad usage or configuration, 3 source error, 4 target error, 5 internal.\n";

static const char failback_usage[] =
    "usage: godwit failback --source URL --target URL --phase NAME [options]\n"
    "\n"
    "After a phase's cutover, streams every change committed on the target for the\n"
    "phase back into the source, exactly once (the position is checkpointed in the\n"
    "source's _godwit state in the same transaction as the changes), so that traffic\n"
    "can return to the source without losing a write. godwit's own writes are never\n"
    "read back (replication origins on PostgreSQL, skip_replication on MariaDB).\n"
    "\n"
    "Runs only for a phase `godwit cutover` handed over to the target: cutover\n"
    "creates the phase's failback slot on the target, so every write there is kept\n"
    "from then on, whenever failback runs.  A phase not cut over is refused (exit 2)\n"
    "before anything is created.  Each run resumes from the checkpoint.\n"
    "\n"    "  --source URL            the migration's source (PostgreSQL or MySQL/MariaDB): written to\n"
    "  --target URL            the migration's target (PostgreSQL or CockroachDB): read from\n"
    "  --phase NAME            phase (default: default)\n"
    "  --plan FILE             the migration's plan: checked as for replicate\n"
    "  --stop-when-caught-up   exit 0 once everything the target had committed at start is applied\n"
    "  --standby               if another process runs this stream, wait and take over when it stops\n"
    "  --retry-for SECONDS     keep reconnecting for this long after losing a connection (default: 300)\n"
    "  --group-size N          most changes grouped into one source transaction (default: 2000)\n"
    "  --group-ms MS           longest a group stays open before it commits (default: 2)\n"
    "  --metrics-addr H:P      serve Prometheus /metrics and /healthz on HOST:PORT\n"
    "  --log-format text|json, -v/--verbose, -q/--quiet\n"
    "\n"
    "From a CockroachDB target (or any target with --changefeed) the changes come\n"
    "back through a changefeed posting to an HTTPS endpoint godwit serves; the\n"
    "source must be PostgreSQL. Each run prints the CREATE CHANGEFEED statement to\n"
    "run on the target (stdout); a batch is answered 200 once staged in the source's\n"
    "_godwit schema, and staged changes are applied one resolved interval per source\n"
    "transaction. Not yet run against a live CockroachDB (docs/failback.md).\n"
    "  --changefeed            use the webhook even if the target is not CockroachDB\n"
    "  --listen HOST:PORT      where the HTTPS endpoint listens (required)\n"
    "  --advertise HOST[:PORT] the address the changefeed reaches it at (default: --listen's;\n"
    "                          needed with --create-changefeed when --listen is 0.0.0.0)\n"
    "  --tls-cert FILE         its certificate, PEM (required; put in the statement as ca_cert)\n"
    "  --tls-key FILE          its private key, PEM (required)\n"
    "  --tls-client-ca FILE    also require a client certificate signed by this CA\n"
    "  --token-file FILE       the bearer token requests must carry (or GODWIT_WEBHOOK_TOKEN);\n"
    "                          a token or a client CA is required; it is never printed\n"
    "  --max-body BYTES        largest request body accepted (default: 16777216)\n"
    "  --create-changefeed     run the statement on the target too (once: each run creates one)\n"
    "  --stop-when-caught-up   here: exit 0 once every resolved timestamp received is applied\n"
    "                          and no request came for 2 s\n"
    "\n"
    "SIGINT or SIGTERM stops it after the current transaction. Exit codes: 0 stopped\n"
    "cleanly, 2 bad usage or configuration, 3 source error, 4 target error, 5 internal.\n";

static GwResult run_replicate(int argc, char **argv);
static GwResult run_failback(int argc, char **argv);

const Command cli_failback_command = {
    .name = "failback",
    .summary = "stream a cut-over phase's changes from the target back into the source",
    .usage = failback_usage,
    .run = run_failback,
};

/* What parse_one fills, and for which command (its errors name it). */
typedef struct StreamArgs {
    const Command *cmd;
    ReplicateOptions o;
    const char *plan_file;
} StreamArgs;

const Command cli_replicate_command = {
    .name = "replicate",
    .summary = "stream the source's changes into the target from the fetch's position",
    .usage = usage,
    .run = run_replicate,
};

enum { OPT_SOURCE = 3001, OPT_TARGET, OPT_PHASE, OPT_PLAN, OPT_STOP, OPT_STANDBY, OPT_RETRY, OPT_GROUP, OPT_GROUP_MS, OPT_METRICS,
       OPT_SERVER_ID, OPT_DDL_APPLIED, OPT_CHANGEFEED, OPT_LISTEN, OPT_TLS_CERT, OPT_TLS_KEY, OPT_TLS_CLIENT_CA,
       OPT_TOKEN_FILE, OPT_MAX_BODY, OPT_ADVERTISE, OPT_CREATE_CHANGEFEED };

static const struct option long_options[] = {
    {"source", required_argument, NULL, OPT_SOURCE},
    {"target", required_argument, NULL, OPT_TARGET},
    {"phase", required_argument, NULL, OPT_PHASE},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"stop-when-caught-up", no_argument, NULL, OPT_STOP},
    {"standby", no_argument, NULL, OPT_STANDBY},
    {"retry-for", required_argument, NULL, OPT_RETRY},
    {"group-size", required_argument, NULL, OPT_GROUP},
    {"group-ms", required_argument, NULL, OPT_GROUP_MS},
    {"metrics-addr", required_argument, NULL, OPT_METRICS},
    {"server-id", required_argument, NULL, OPT_SERVER_ID},
    {"ddl-applied", no_argument, NULL, OPT_DDL_APPLIED},
    {"changefeed", no_argument, NULL, OPT_CHANGEFEED},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"advertise", required_argument, NULL, OPT_ADVERTISE},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"tls-client-ca", required_argument, NULL, OPT_TLS_CLIENT_CA},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"create-changefeed", no_argument, NULL, OPT_CREATE_CHANGEFEED},
    CLI_COMMON_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

static GwResult
parse_one(void *args, int opt, const char *arg)
{
    StreamArgs *a = args;
    ReplicateOptions *o = &a->o;
    const Command *cmd = a->cmd;
    if (opt >= OPT_CHANGEFEED && opt <= OPT_CREATE_CHANGEFEED && cmd != &cli_failback_command)
        return cli_usage_error(cmd, "the changefeed webhook options belong to `godwit failback`");
    /* Failback reads the target, never a binlog: cutover drained the forward stream. */
    if ((opt == OPT_SERVER_ID || opt == OPT_DDL_APPLIED) && cmd == &cli_failback_command)
        return cli_usage_error(cmd, "--server-id and --ddl-applied belong to `godwit replicate`");
    switch (opt) {
    case OPT_SOURCE: o->source_url = arg; return GW_OK;
    case OPT_TARGET: o->target_url = arg; return GW_OK;
    case OPT_PHASE: return cli_phase_flag(cmd, arg, &o->phase);
    case OPT_PLAN:
        if (!*arg)
            return cli_usage_error(cmd, "--plan needs a file name");
        a->plan_file = arg;
        return GW_OK;
    case OPT_METRICS: o->metrics_addr = arg; return GW_OK;
    case OPT_STOP: o->stop_when_caught_up = true; return GW_OK;
    case OPT_STANDBY: o->standby = true; return GW_OK;
    case OPT_RETRY: return cli_parse_number("--retry-for", arg, 0, 86400, &o->retry_seconds) ? GW_ERR_USAGE : GW_OK;
    case OPT_GROUP: return cli_parse_number("--group-size", arg, 1, 1000000, &o->group_changes) ? GW_ERR_USAGE : GW_OK;
    case OPT_GROUP_MS: return cli_parse_number("--group-ms", arg, 0, 60000, &o->group_ms) ? GW_ERR_USAGE : GW_OK;
    case OPT_SERVER_ID: {
        long long id;
        if (cli_parse_number_ll("--server-id", arg, 1, 4294967295LL, &id))
            return GW_ERR_USAGE;
        o->read.reader_id = (uint32_t) id;
        return GW_OK;
    }
    case OPT_DDL_APPLIED: o->read.ddl_applied = true; return GW_OK;
    case OPT_CHANGEFEED: o->webhook.requested = true; return GW_OK;
    case OPT_LISTEN: o->webhook.listen_addr = arg; return GW_OK;
    case OPT_ADVERTISE: o->webhook.advertise = arg; return GW_OK;
    case OPT_TLS_CERT: o->webhook.tls_cert_file = arg; return GW_OK;
    case OPT_TLS_KEY: o->webhook.tls_key_file = arg; return GW_OK;
    case OPT_TLS_CLIENT_CA: o->webhook.tls_client_ca_file = arg; return GW_OK;
    case OPT_TOKEN_FILE: o->webhook.token_file = arg; return GW_OK;
    case OPT_CREATE_CHANGEFEED: o->webhook.create_changefeed = true; return GW_OK;
    case OPT_MAX_BODY: {
        long long n;
        if (cli_parse_number_ll("--max-body", arg, 1024, 1LL << 30, &n))
            return GW_ERR_USAGE;
        o->webhook.max_body = (size_t) n;
        return GW_OK;
    }
    default: return cli_usage_error(cmd, "unknown option");
    }
}

static GwResult
parse_stream_args(const Command *cmd, int argc, char **argv, StreamArgs *a, bool *help)
{
    *a = (StreamArgs) {
        .cmd = cmd,
        .o = {.phase = NULL, .retry_seconds = REPLICATE_DEFAULT_RETRY_SECONDS,
              .group_changes = REPLICATE_DEFAULT_GROUP_CHANGES, .group_ms = REPLICATE_DEFAULT_GROUP_MS,
              .webhook.max_body = CHANGEFEED_MAX_BODY_DEFAULT},
    };
    GwResult rc = cli_parse(cmd, argc, argv, long_options, parse_one, a, help);
    if (rc || *help)
        return rc;
    rc = cli_url(cmd, "--source", &a->o.source_url, true);
    if (rc == GW_OK)
        rc = cli_url(cmd, "--target", &a->o.target_url, true);
    /* The stream filters with what the fetch recorded; a plan only has to agree with it. */
    Plan *plan = NULL;
    if (rc == GW_OK)
        rc = cli_plan_option(cmd, a->plan_file, a->o.phase, &plan);
    if (rc == GW_OK && plan)
        rc = cli_plan_check_recorded(cmd, plan, a->o.phase, a->o.target_url);
    cli_plan_free(plan);
    if (!a->o.phase)
        a->o.phase = "default";
    return rc;
}

/* A stream stopped by SIGINT/SIGTERM goes on from its checkpoint: the same command starts it again. */
static GwResult
said_how_to_go_on(const Command *cmd, const char *phase, GwResult rc)
{
    if (!signals_stop_requested())
        return rc;
    char *again = cli_command_line(NULL);
    log_info("%s of phase '%s' stopped by a signal; it goes on from its checkpoint with: %s", cmd->name, phase,
             again);
    free(again);
    return rc;
}

static GwResult
run_replicate(int argc, char **argv)
{
    StreamArgs a;
    bool help = false;
    GwResult rc = parse_stream_args(&cli_replicate_command, argc, argv, &a, &help);
    return rc || help ? rc : said_how_to_go_on(&cli_replicate_command, a.o.phase, flow_replicate(&a.o));
}

static GwResult
run_failback(int argc, char **argv)
{
    StreamArgs a;
    bool help = false;
    GwResult rc = parse_stream_args(&cli_failback_command, argc, argv, &a, &help);
    if (rc == GW_OK && !help && a.o.webhook.requested)
        rc = failback_changefeed_check_options(&a.o);
    return rc || help ? rc : said_how_to_go_on(&cli_failback_command, a.o.phase, flow_failback(&a.o));
}
