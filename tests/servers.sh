# tests/servers.sh: throwaway PostgreSQL 15 servers for tests, the demo and the benchmark.
#
# Source it from bash (it must never be executed on its own, and never touches a server it
# did not start):
#
#   . tests/servers.sh
#   pg_server_start src                      # -> $SRC_PORT, $SRC_URL, $SRC_DIR
#   pg_server_start walrep wal_level=replica # extra settings, "-c" before each is optional
#   psql "$(pg_url src mydb)" ...
#   pg_server_restart src [fast|immediate]   # in place; pg_server_halt / pg_server_resume too
#   pg_server_stop src                       # or let the EXIT trap stop everything
#
# Every server lives in "$GW_TMP/NAME" (data directory, unix socket and server.log).  GW_TMP is
# a directory made by the first pg_server_start of the process (mktemp -d), unless GW_TMP is
# already set in the environment (a child test reuses its runner's directory).  NAME must match
# [A-Za-z_][A-Za-z0-9_]*; the variables set are NAME upper-cased: SRC_PORT, SRC_URL
# (postgres://postgres@127.0.0.1:PORT/postgres) and SRC_DIR for NAME=src.  They are exported.
#
# When running as root, initdb and the server run as the OS user "postgres" (GW_PG_OS_USER to
# override) through runuser/setpriv, because PostgreSQL refuses to run as root.  As any other
# user they run as that user.
#
# Authentication (pg_hba.conf, in this order): unix sockets trust; "host all pwuser 127.0.0.1/32
# scram-sha-256" (for wrong-password tests: create role pwuser with a password); "host all all
# 127.0.0.1/32 trust"; "host replication all 127.0.0.1/32 trust".  Superuser role: postgres.
#
# Sourcing installs an EXIT trap (chaining any existing one) and INT/TERM/HUP traps, so servers
# started by this process are stopped and its GW_TMP removed even when a test fails or is
# interrupted.  GW_KEEP_TMP=1 keeps the directory (logs) for debugging.

if [ -z "${BASH_VERSION:-}" ]; then
    echo "tests/servers.sh: must be sourced from bash" >&2
    return 2 2>/dev/null || exit 2
fi

# Where the PostgreSQL 15 server binaries are.
if [ -z "${PG_BIN:-}" ]; then
    for _gw_d in /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null)"; do
        if [ -x "$_gw_d/initdb" ] && [ -x "$_gw_d/pg_ctl" ]; then PG_BIN=$_gw_d; break; fi
    done
    unset _gw_d
fi
export PG_BIN

GW_PG_OS_USER=${GW_PG_OS_USER:-postgres}
# Servers started by this very process (not inherited by child processes).
_GW_SERVERS=()
_GW_TMP_OWNER=""

_gw_log() { echo "servers.sh: $*" >&2; }

# Runs a command as the OS user that owns the servers.
_gw_as_pg() {
    if [ "$(id -u)" = 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u "$GW_PG_OS_USER" -- "$@"
        else
            setpriv --reuid="$GW_PG_OS_USER" --regid="$(id -g "$GW_PG_OS_USER")" --init-groups -- "$@"
        fi
    else
        "$@"
    fi
}

# Creates GW_TMP when it is not set yet.  It is world-traversable so that the server user and the
# test user both reach it.
_gw_tmp_init() {
    if [ -n "${GW_TMP:-}" ] && [ -d "$GW_TMP" ]; then
        return 0
    fi
    GW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/godwit-test.XXXXXX") || return 1
    chmod 755 "$GW_TMP"
    _GW_TMP_OWNER=$BASHPID
    export GW_TMP
}

_gw_upper() { printf '%s' "$1" | tr '[:lower:]' '[:upper:]'; }

# A random TCP port below the kernel's ephemeral range (ip_local_port_range), so that no client
# connection of this machine can take it between our check and the server's bind.
_gw_random_port() {
    local lo=32768
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
    [ "$lo" -gt 11000 ] || lo=32768
    echo $((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
}

# True when something listens on 127.0.0.1:PORT (or on any address for that port).
_gw_port_busy() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# pg_wait_ready PORT [TIMEOUT_SECONDS]: returns when the server on 127.0.0.1:PORT accepts
# connections (and answers a query), non-zero after the timeout.
pg_wait_ready() {
    local port=$1 timeout=${2:-60} start=$SECONDS
    while :; do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 2 &&
            psql -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'SELECT 1' \
                >/dev/null 2>&1; then
            return 0
        fi
        if [ $((SECONDS - start)) -ge "$timeout" ]; then
            _gw_log "server on port $port not ready after ${timeout}s"
            return 1
        fi
        # Not a stand-in for a condition: this is the polling interval of the readiness loop.
        sleep 0.1
    done
}

# pg_server_start NAME [SETTING=VALUE | -c SETTING=VALUE]...
pg_server_start() {
    local name=$1; shift
    if ! [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
        _gw_log "bad server name '$name'"; return 2
    fi
    if [ -z "${PG_BIN:-}" ] || [ ! -x "$PG_BIN/initdb" ]; then
        _gw_log "PostgreSQL 15 server binaries not found (set PG_BIN); run 'make deps'"; return 2
    fi
    local extra=() a
    while [ $# -gt 0 ]; do
        a=$1; shift
        if [ "$a" = "-c" ]; then a=${1:-}; shift || true; fi
        case $a in
            ?*=*) extra+=("$a") ;;
            *) _gw_log "bad setting '$a' (want NAME=VALUE)"; return 2 ;;
        esac
    done
    _gw_tmp_init || return 1
    local dir="$GW_TMP/$name"
    if [ -e "$dir" ]; then
        _gw_log "server '$name' already exists in $dir"; return 2
    fi
    mkdir -m 700 "$dir" || return 1
    if [ "$(id -u)" = 0 ]; then chown "$GW_PG_OS_USER:" "$dir" || return 1; fi

    # Tools chdir-check their cwd; /root is not readable by the server user.
    if ! (cd "$GW_TMP" && _gw_as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust \
            -E UTF8 --locale=C >"$GW_TMP/$name.initdb.log" 2>&1); then
        _gw_log "initdb of '$name' failed:"; cat "$GW_TMP/$name.initdb.log" >&2; return 1
    fi

    local conf="$dir/postgresql.conf"
    {
        echo "# added by tests/servers.sh"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$dir'"
        echo "wal_level = logical"
        echo "max_replication_slots = 64"
        echo "max_wal_senders = 40"
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
        echo "shared_buffers = '128MB'"
        echo "max_connections = 100"
        echo "logging_collector = off"
        echo "log_min_messages = warning"
        local kv k v
        for kv in "${extra[@]}"; do
            k=${kv%%=*}; v=${kv#*=}
            v=${v#\'}; v=${v%\'}
            echo "$k = '${v//\'/\'\'}'"
        done
    } | _gw_as_pg tee -a "$conf" >/dev/null

    printf '%s\n' \
        "# written by tests/servers.sh" \
        "local all all trust" \
        "local replication all trust" \
        "host all pwuser 127.0.0.1/32 scram-sha-256" \
        "host all all 127.0.0.1/32 trust" \
        "host replication all 127.0.0.1/32 trust" | _gw_as_pg tee "$dir/pg_hba.conf" >/dev/null

    local try port ok=""
    for try in 1 2 3 4 5 6 7 8 9 10; do
        port=$(_gw_random_port)
        _gw_port_busy "$port" && continue
        if (cd "$GW_TMP" && _gw_as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
                -o "-p $port" start >"$GW_TMP/$name.pg_ctl.log" 2>&1); then
            ok=1; break
        fi
        if grep -qiE 'could not (bind|create listen)|address already in use' "$dir/server.log" 2>/dev/null; then
            continue
        fi
        _gw_log "server '$name' failed to start:"
        cat "$GW_TMP/$name.pg_ctl.log" "$dir/server.log" >&2 2>/dev/null
        return 1
    done
    if [ -z "$ok" ]; then _gw_log "no free port for server '$name'"; return 1; fi
    _GW_SERVERS+=("$name")
    pg_wait_ready "$port" 60 || return 1

    local up; up=$(_gw_upper "$name")
    printf -v "${up}_PORT" '%s' "$port"
    printf -v "${up}_URL" '%s' "postgres://postgres@127.0.0.1:$port/postgres"
    printf -v "${up}_DIR" '%s' "$dir"
    export "${up}_PORT" "${up}_URL" "${up}_DIR"
}

# pg_port NAME: prints the port of server NAME.
pg_port() {
    local v; v="$(_gw_upper "$1")_PORT"
    if [ -z "${!v:-}" ]; then _gw_log "unknown server '$1'"; return 2; fi
    printf '%s\n' "${!v}"
}

# pg_url NAME DB [USER]: prints a URL for database DB (percent-encoded) on server NAME.
pg_url() {
    local port; port=$(pg_port "$1") || return 2
    local db=${2:-postgres} user=${3:-postgres}
    printf 'postgres://%s@127.0.0.1:%s/%s\n' "$(_gw_urlenc "$user")" "$port" "$(_gw_urlenc "$db")"
}

_gw_urlenc() {
    local s=$1 out="" c i
    local LC_ALL=C
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case $c in
            [A-Za-z0-9._~-]) out+=$c ;;
            *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    printf '%s' "$out"
}

# pg_server_stop NAME: fast shutdown, and removal of its directory.
pg_server_stop() {
    local name=$1 dir="$GW_TMP/$1" i
    if [ -f "$dir/postmaster.pid" ]; then
        (cd "$GW_TMP" && _gw_as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop) >/dev/null 2>&1 ||
            (cd "$GW_TMP" && _gw_as_pg "$PG_BIN/pg_ctl" -D "$dir" -m immediate -w -t 30 stop) >/dev/null 2>&1
    fi
    local keep=()
    for i in "${_GW_SERVERS[@]}"; do [ "$i" != "$name" ] && keep+=("$i"); done
    _GW_SERVERS=("${keep[@]}")
    if [ "${GW_KEEP_TMP:-0}" != 1 ]; then rm -rf "$dir" "$GW_TMP/$name".*.log; fi
    local up; up=$(_gw_upper "$name")
    unset "${up}_PORT" "${up}_URL" "${up}_DIR"
}

# pg_server_restart NAME [MODE]: restarts server NAME in place (same data, port and settings);
# MODE is a pg_ctl shutdown mode: fast (default: sessions are terminated), immediate or smart.
# Returns once the server accepts connections again.
pg_server_restart() {
    local name=$1 mode=${2:-fast} dir="$GW_TMP/$1" port
    port=$(pg_port "$name") || return 2
    if ! (cd "$GW_TMP" && _gw_as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -m "$mode" -w -t 60 \
            -o "-p $port" restart >>"$GW_TMP/$name.pg_ctl.log" 2>&1); then
        _gw_log "server '$name' failed to restart:"; tail -n 20 "$dir/server.log" >&2; return 1
    fi
    pg_wait_ready "$port" 60
}

# pg_server_halt NAME [MODE]: stops server NAME but keeps it (data directory, port, variables), so
# that pg_server_resume NAME starts it again; servers_stop_all still cleans it up.
pg_server_halt() {
    local name=$1 mode=${2:-fast} dir="$GW_TMP/$1"
    pg_port "$name" >/dev/null || return 2
    (cd "$GW_TMP" && _gw_as_pg "$PG_BIN/pg_ctl" -D "$dir" -m "$mode" -w -t 60 stop >>"$GW_TMP/$name.pg_ctl.log" 2>&1) ||
        { _gw_log "server '$name' failed to stop"; return 1; }
}

# pg_server_resume NAME: starts a server stopped by pg_server_halt, on its port.
pg_server_resume() {
    local name=$1 dir="$GW_TMP/$1" port
    port=$(pg_port "$name") || return 2
    if ! (cd "$GW_TMP" && _gw_as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
            -o "-p $port" start >>"$GW_TMP/$name.pg_ctl.log" 2>&1); then
        _gw_log "server '$name' failed to start again:"; tail -n 20 "$dir/server.log" >&2; return 1
    fi
    pg_wait_ready "$port" 60
}

# ---------------------------------------------------------------------------------------------
# MariaDB servers (Debian's mariadb-server): the same life cycle as the PostgreSQL ones.
#
#   mariadb_server_start msrc [--option=value]...  # -> $MSRC_PORT, $MSRC_URL, $MSRC_DIR, $MSRC_SOCK
#   mariadb_sql msrc [DB] <<< "SQL"                 # the mariadb client as root over the socket
#   mariadb_url msrc DB [USER]                      # mysql://root@127.0.0.1:PORT/DB
#   mariadb_server_restart msrc | mariadb_server_stop msrc
#
# Every server has binary logging in row format with full row images (--log-bin,
# --binlog-format=ROW, --binlog-row-image=FULL), server_id 1, utf8mb4, and durability off
# (sync_binlog=0, innodb_flush_log_at_trx_commit=2): it is a throwaway.  root has no password and
# may connect from 127.0.0.1; "pwuser"@127.0.0.1 exists with password "secret" for
# wrong-password tests.  Extra options are passed to mariadbd as given.  As root, mariadbd runs as
# root (--user=root): it is confined to its directory under GW_TMP.
_GW_MARIADB_SERVERS=()

_gw_mariadb_bin() {
    local b
    for b in "$@"; do command -v "$b" >/dev/null 2>&1 && { command -v "$b"; return 0; }; done
    [ -x /usr/sbin/mariadbd ] && [ "$1" = mariadbd ] && { echo /usr/sbin/mariadbd; return 0; }
    return 1
}

# mariadb_wait_ready NAME [TIMEOUT]: returns when server NAME answers over its socket.
mariadb_wait_ready() {
    local name=$1 timeout=${2:-60} start=$SECONDS dir="$GW_TMP/$1"
    while :; do
        if mariadb --no-defaults -S "$dir/sock" -u root -N -B -e 'SELECT 1' >/dev/null 2>&1; then
            return 0
        fi
        if [ $((SECONDS - start)) -ge "$timeout" ]; then
            _gw_log "mariadb '$name' not ready after ${timeout}s:"; tail -n 20 "$dir/server.log" >&2
            return 1
        fi
        if [ -n "${_GW_MARIADB_PID[$name]:-}" ] && ! kill -0 "${_GW_MARIADB_PID[$name]}" 2>/dev/null; then
            _gw_log "mariadb '$name' exited:"; tail -n 20 "$dir/server.log" >&2; return 1
        fi
        # The polling interval of the readiness loop.
        sleep 0.1
    done
}

declare -gA _GW_MARIADB_PID=()
declare -gA _GW_MARIADB_ARGS=()   # extra mariadbd options per server (a child test inherits none)

# Starts mariadbd for NAME on PORT with the stored arguments; returns when it answers.
_gw_mariadb_launch() {
    local name=$1 port=$2 dir="$GW_TMP/$1" mariadbd
    mariadbd=$(_gw_mariadb_bin mariadbd mysqld) || { _gw_log "mariadbd not found; run 'make deps'"; return 2; }
    local user=()
    [ "$(id -u)" = 0 ] && user=(--user=root)
    # shellcheck disable=SC2086
    (cd "$dir" && exec "$mariadbd" --no-defaults "${user[@]}" --datadir="$dir/data" --tmpdir="$dir/tmp" --port="$port" \
        --bind-address=127.0.0.1 --socket="$dir/sock" --pid-file="$dir/mariadbd.pid" \
        --log-error="$dir/server.log" --log-bin="$dir/binlog/mysql-bin" --binlog-format=ROW \
        --binlog-row-image=FULL --server-id=1 --skip-name-resolve --character-set-server=utf8mb4 \
        --collation-server=utf8mb4_general_ci --innodb-buffer-pool-size=128M \
        --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --max-connections=200 \
        ${_GW_MARIADB_ARGS[$name]:-} >>"$dir/stdout.log" 2>&1) &
    _GW_MARIADB_PID[$name]=$!
    disown "$!" 2>/dev/null || true
    mariadb_wait_ready "$name" 60
}

mariadb_server_start() {
    local name=$1; shift
    if ! [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then _gw_log "bad server name '$name'"; return 2; fi
    local installdb
    installdb=$(_gw_mariadb_bin mariadb-install-db mysql_install_db) ||
        { _gw_log "mariadb-install-db not found; run 'make deps'"; return 2; }
    _gw_tmp_init || return 1
    local dir="$GW_TMP/$name"
    if [ -e "$dir" ]; then _gw_log "server '$name' already exists in $dir"; return 2; fi
    # Its own tmpdir: two servers bootstrapping at once in one /tmp clash on temporary table names.
    mkdir -p "$dir/data" "$dir/binlog" "$dir/tmp" || return 1
    local user=()
    [ "$(id -u)" = 0 ] && user=(--user=root)
    if ! "$installdb" --no-defaults "${user[@]}" --datadir="$dir/data" --tmpdir="$dir/tmp" \
            --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1; then
        _gw_log "mariadb-install-db of '$name' failed:"; cat "$dir/install.log" >&2; return 1
    fi
    _GW_MARIADB_ARGS[$name]="$*"
    local try port ok=""
    for try in 1 2 3 4 5 6 7 8 9 10; do
        port=$(_gw_random_port)
        _gw_port_busy "$port" && continue
        if _gw_mariadb_launch "$name" "$port"; then ok=1; break; fi
        grep -qiE 'address already in use|bind on TCP/IP port' "$dir/server.log" 2>/dev/null || return 1
    done
    if [ -z "$ok" ]; then _gw_log "no free port for mariadb '$name'"; return 1; fi
    _GW_MARIADB_SERVERS+=("$name")
    mariadb --no-defaults -S "$dir/sock" -u root -e "
        CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
        CREATE USER IF NOT EXISTS 'pwuser'@'127.0.0.1' IDENTIFIED BY 'secret'; GRANT ALL ON *.* TO 'pwuser'@'127.0.0.1';" ||
        return 1
    local up; up=$(_gw_upper "$name")
    printf -v "${up}_PORT" '%s' "$port"
    printf -v "${up}_URL" '%s' "mysql://root@127.0.0.1:$port/"
    printf -v "${up}_DIR" '%s' "$dir"
    printf -v "${up}_SOCK" '%s' "$dir/sock"
    export "${up}_PORT" "${up}_URL" "${up}_DIR" "${up}_SOCK"
}

# mariadb_url NAME DB [USER]
mariadb_url() {
    local port; port=$(pg_port "$1") || return 2
    printf 'mysql://%s@127.0.0.1:%s/%s\n' "$(_gw_urlenc "${3:-root}")" "$port" "$(_gw_urlenc "${2:-}")"
}

# mariadb_sql NAME [DB] [client options...]: the mariadb client as root over the socket; SQL on stdin
# or with -e.  Batch mode, no column names.
mariadb_sql() {
    local name=$1; shift
    local db=""
    if [ $# -gt 0 ] && [[ $1 != -* ]]; then db=$1; shift; fi
    mariadb --no-defaults --default-character-set=utf8mb4 -S "$GW_TMP/$name/sock" -u root -N -B ${db:+"$db"} "$@"
}

# Shuts down NAME (cleanly by default; MODE=kill sends SIGKILL); its directory stays.
_gw_mariadb_halt() {
    local name=$1 mode=${2:-clean} pid
    pid=$(cat "$GW_TMP/$name/mariadbd.pid" 2>/dev/null) || pid=${_GW_MARIADB_PID[$1]:-}
    [ -n "$pid" ] || return 0
    if [ "$mode" = kill ]; then
        kill -9 "$pid" 2>/dev/null
    else
        mariadb-admin --no-defaults -S "$GW_TMP/$name/sock" -u root shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null
    fi
    local i
    for i in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    unset "_GW_MARIADB_PID[$name]"
}

# mariadb_server_restart NAME [clean|kill]: restarts in place, same port and options.
mariadb_server_restart() {
    local name=$1 port
    port=$(pg_port "$name") || return 2
    _gw_mariadb_halt "$name" "${2:-clean}"
    _gw_mariadb_launch "$name" "$port"
}

mariadb_server_stop() {
    local name=$1 i keep=()
    _gw_mariadb_halt "$name"
    for i in "${_GW_MARIADB_SERVERS[@]}"; do [ "$i" != "$name" ] && keep+=("$i"); done
    _GW_MARIADB_SERVERS=("${keep[@]}")
    if [ "${GW_KEEP_TMP:-0}" != 1 ]; then rm -rf "${GW_TMP:?}/$name"; fi
    local up; up=$(_gw_upper "$name")
    unset "${up}_PORT" "${up}_URL" "${up}_DIR" "${up}_SOCK"
}

# servers_stop_all: stops every server this process started; removes GW_TMP if it made it.
servers_stop_all() {
    local n
    for n in "${_GW_SERVERS[@]}"; do pg_server_stop "$n"; done
    _GW_SERVERS=()
    for n in "${_GW_MARIADB_SERVERS[@]}"; do mariadb_server_stop "$n"; done
    _GW_MARIADB_SERVERS=()
    if [ -n "$_GW_TMP_OWNER" ] && [ "$_GW_TMP_OWNER" = "$BASHPID" ] && [ -n "${GW_TMP:-}" ]; then
        if [ "${GW_KEEP_TMP:-0}" = 1 ]; then
            _gw_log "kept $GW_TMP"
        else
            rm -rf "$GW_TMP"
        fi
        _GW_TMP_OWNER=""
        unset GW_TMP
    fi
}

# EXIT trap, chained after any existing one.  INT/TERM/HUP turn into an exit so it runs.
if [ "$(trap -p EXIT)" != "trap -- '_gw_on_exit' EXIT" ]; then
    _gw_prev_exit_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//" -e "s/'\\\\''/'/g")
fi
_gw_on_exit() {
    local rc=$?
    servers_stop_all
    if [ -n "$_gw_prev_exit_trap" ]; then eval "$_gw_prev_exit_trap"; fi
    return $rc
}
trap _gw_on_exit EXIT
[ -z "$(trap -p INT)" ] && trap 'exit 130' INT
[ -z "$(trap -p TERM)" ] && trap 'exit 143' TERM
[ -z "$(trap -p HUP)" ] && trap 'exit 129' HUP
true
