#!/usr/bin/env bash
# MinIO, Elasticsearch and Redis for sohoa, installed from package registries and run on loopback without
# Docker.
#
#   deploy/services.sh up       install if needed (cached), start what is not running, wait; the data and
#                               credentials of an earlier `up` are kept (new ones only the first time)
#   deploy/services.sh restart  stop and start again, keeping the data (to test that nothing is lost)
#   deploy/services.sh down     stop both, keeping the data; `down --wipe` also deletes it (the only way)
#   deploy/services.sh status   say what runs
#   deploy/services.sh env      print the exports that point sohoa at them (SOHOA_MINIO_*, SOHOA_ES_URL,
#                               SOHOA_BROKER_URL)
#   ... --cluster               the same for the clustered set (deploy/cluster.sh): four MinIO nodes behind
#                               HAProxy, three Elasticsearch nodes, Redis; its own run directory and ports
#
# MinIO is built with `go install` from the Go module proxy; Elasticsearch is the integ-test-zip from Maven
# Central (no bundled JDK, core and security modules only). Both are cached outside git, so a second `up`
# only starts processes. Redis (the task broker) is Debian's redis-server (`make test` installs it); it keeps
# its queue in an append-only file synced on every write, so no accepted task is lost with the process.
set -euo pipefail

# MinIO publishes no semver tags, so the Go proxy knows its commits as pseudo-versions; this is the newest
# one there (2026-02-12). Elasticsearch 8.19.21 is the newest integ-test-zip on Maven Central (9.x has none).
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
ES_VERSION=8.19.21

if [ "$(id -u)" = 0 ]; then
    # Elasticsearch runs as a system user, which cannot read root's home: cache where it can.
    CACHE=${SOHOA_CACHE:-/var/cache/sohoa}
else
    CACHE=${SOHOA_CACHE:-$HOME/.cache/sohoa}
fi
RUN=${SOHOA_RUN_DIR:-/tmp/sohoa-services}
MINIO_PORT=${SOHOA_MINIO_PORT:-9000}
MINIO_CONSOLE_PORT=${SOHOA_MINIO_CONSOLE_PORT:-9001}
ES_PORT=${SOHOA_ES_PORT:-9200}
# Nodes talk on the transport port; a second set on this machine must not take the first one's.
ES_TRANSPORT_PORT=${SOHOA_ES_TRANSPORT_PORT:-$((ES_PORT + 100))}
ES_HEAP=${SOHOA_ES_HEAP:-512m}
# Not Redis's 6379: a machine's own Redis (Debian starts one with the package) must not be mistaken for ours.
REDIS_PORT=${SOHOA_REDIS_PORT:-6390}
ES_USER=sohoa-es
WAIT_SECONDS=${SOHOA_SERVICES_WAIT:-180}

MINIO_BIN=$CACHE/bin/minio
ES_HOME=$CACHE/elasticsearch-$ES_VERSION

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

install_minio() {
    if [ -x "$MINIO_BIN" ] && [ "$(cat "$MINIO_BIN.version" 2>/dev/null)" = "$MINIO_VERSION" ]; then
        return
    fi
    command -v go >/dev/null || die "Go is needed to build MinIO (go install); none on PATH"
    log "building MinIO $MINIO_VERSION with go install (first time only, a few minutes)"
    mkdir -p "$CACHE/bin"
    GOBIN=$CACHE/bin CGO_ENABLED=0 GOFLAGS=-mod=mod go install "github.com/minio/minio@$MINIO_VERSION"
    echo "$MINIO_VERSION" >"$MINIO_BIN.version"
}

install_es() {
    if [ -x "$ES_HOME/bin/elasticsearch" ]; then
        return
    fi
    command -v mvn >/dev/null || die "Maven is needed to fetch Elasticsearch from Maven Central; none on PATH"
    log "fetching Elasticsearch $ES_VERSION (integ-test-zip) from Maven Central"
    mkdir -p "$CACHE/dl"
    if ! mvn -B -Dstyle.color=never dependency:copy \
        -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
        -DoutputDirectory="$CACHE/dl" >"$CACHE/dl/mvn.log" 2>&1; then
        tail -40 "$CACHE/dl/mvn.log" >&2
        die "could not fetch Elasticsearch $ES_VERSION from Maven Central"
    fi
    local tmp
    tmp=$(mktemp -d "$CACHE/es-unpack.XXXXXX")
    python3 -m zipfile -e "$CACHE/dl/elasticsearch-$ES_VERSION.zip" "$tmp"
    # zipfile drops the executable bits.
    chmod +x "$tmp/elasticsearch-$ES_VERSION"/bin/*
    mv "$tmp/elasticsearch-$ES_VERSION" "$ES_HOME"
    rmdir "$tmp"
    chmod -R a+rX "$ES_HOME"
}

find_java() {
    # Elasticsearch 8 runs on Java 17 to 24; prefer 17, the version this zip was tested with by the project.
    local candidate
    for candidate in "${ES_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64 \
        /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/temurin-17-jdk-amd64 /usr/lib/jvm/*; do
        if [ -z "$candidate" ] || [ ! -x "$candidate/bin/java" ]; then continue; fi
        local major
        major=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 |
            sed -n 's/^ *java.specification.version = //p')
        if [ -n "$major" ] && [ "$major" -ge 17 ] && [ "$major" -le 24 ]; then
            echo "$candidate"
            return
        fi
    done
    die "no JDK 17-24 found for Elasticsearch (apt-get install openjdk-17-jre-headless)"
}

ensure_es_user() {
    [ "$(id -u)" = 0 ] || return 0
    id "$ES_USER" >/dev/null 2>&1 ||
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER"
}

as_es_user() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$ES_USER" -- "$@"
    else
        "$@"
    fi
}

# A killed server whose parent is gone can linger as a zombie until init reaps it (slowly, in some
# containers): it answers kill -0 but is dead, and must be started again.
alive() {
    local pid
    pid=$(cat "$RUN/$1.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

minio_healthy() { curl -fsS -m 2 "http://127.0.0.1:$MINIO_PORT/minio/health/live" >/dev/null 2>&1; }
redis_healthy() {
    local password
    password=$(sed -n 's/^export SOHOA_REDIS_PASSWORD=//p' "$RUN/env")
    [ "$(REDISCLI_AUTH=$password redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}
es_healthy() {
    curl -fsS -m 5 "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1
}

new_env() { new_credentials "127.0.0.1:$MINIO_PORT" "http://127.0.0.1:$ES_PORT" "$REDIS_PORT"; }

# New credentials for a set: MinIO's endpoint, Elasticsearch's URLs, Redis's port.
new_credentials() {
    local user password
    user=sohoa-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    cat >"$RUN/env" <<EOF
export SOHOA_MINIO_ENDPOINT=$1
export SOHOA_MINIO_ACCESS_KEY=$user
export SOHOA_MINIO_SECRET_KEY=$password
export SOHOA_ES_URL=$2
EOF
    REDIS_PORT=$3 add_broker_env
    chmod 600 "$RUN/env"
}

add_broker_env() {
    # Also for a run directory made before Redis was part of it: its other credentials stay as they were.
    if grep -q '^export SOHOA_BROKER_URL=' "$RUN/env"; then return; fi
    local password
    password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    cat >>"$RUN/env" <<EOF
export SOHOA_REDIS_PASSWORD=$password
export SOHOA_BROKER_URL=redis://:$password@127.0.0.1:$REDIS_PORT/0
EOF
}

start_redis() {
    command -v redis-server >/dev/null || die "redis-server is needed (apt-get install redis-server)"
    local password
    password=$(sed -n 's/^export SOHOA_REDIS_PASSWORD=//p' "$RUN/env")
    mkdir -p "$RUN/redis"
    # The password goes in on stdin as a config file, never on a command line that other users can read.
    printf 'requirepass %s\n' "$password" | redis-server - --port "$REDIS_PORT" --bind 127.0.0.1 \
        --dir "$RUN/redis" --appendonly yes --appendfsync always --save '' \
        --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log" 9>&- ||
        { tail -30 "$RUN/redis.log" >&2; die "Redis did not start"; }
}

start_minio() {
    # shellcheck disable=SC1091
    . "$RUN/env"
    mkdir -p "$RUN/minio-data"
    MINIO_ROOT_USER=$SOHOA_MINIO_ACCESS_KEY MINIO_ROOT_PASSWORD=$SOHOA_MINIO_SECRET_KEY \
        MINIO_BROWSER=off MINIO_UPDATE=off \
        setsid nohup "$MINIO_BIN" server "$RUN/minio-data" --quiet \
        --address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$MINIO_CONSOLE_PORT" \
        >>"$RUN/minio.log" 2>&1 </dev/null 9>&- &
    echo $! >"$RUN/minio.pid"
}

# One Elasticsearch node: its name (its files are $RUN/NAME-*), HTTP and transport ports, and the lines of
# its elasticsearch.yml that say which cluster it is part of.
write_es_config() {
    local name=$1 conf=$RUN/$1-config
    mkdir -p "$conf" "$RUN/$name-data" "$RUN/$name-logs" "$RUN/$name-tmp"
    cp -r "$ES_HOME/config/." "$conf/"
    cat >"$conf/elasticsearch.yml" <<EOF
$4
network.host: 127.0.0.1
http.port: $2
transport.port: $3
path.data: $RUN/$name-data
path.logs: $RUN/$name-logs
xpack.security.enabled: false
# A nearly full disk must not turn the test indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
    if [ "$(id -u)" = 0 ]; then
        chown -R "$ES_USER" "$conf" "$RUN/$name-data" "$RUN/$name-logs" "$RUN/$name-tmp"
    fi
}

single_node_yml() {
    printf 'cluster.name: sohoa-test\nnode.name: sohoa-1\ndiscovery.type: single-node\n'
}

start_es() {
    local name=${1:-es} java
    java=$(find_java)
    ensure_es_user
    [ -d "$RUN/$name-config" ] ||
        write_es_config "$name" "${2:-$ES_PORT}" "${3:-$ES_TRANSPORT_PORT}" "${4:-$(single_node_yml)}"
    : >"$RUN/$name.pid"
    [ "$(id -u)" != 0 ] || chown "$ES_USER" "$RUN/$name.pid"
    as_es_user env ES_JAVA_HOME="$java" ES_PATH_CONF="$RUN/$name-config" ES_TMPDIR="$RUN/$name-tmp" \
        ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
        "$ES_HOME/bin/elasticsearch" -d -p "$RUN/$name.pid" >>"$RUN/$name-start.log" 2>&1 9>&- ||
        { tail -50 "$RUN/$name-start.log" >&2; die "Elasticsearch ($name) did not start"; }
}

wait_for() {
    local name=$1 check=$2 logfile=$3 waited=0
    until $check; do
        if [ "$waited" -ge "$WAIT_SECONDS" ] || { [ "$waited" -ge 5 ] && ! alive "$name"; }; then
            log "$name did not answer within ${waited}s; its log:"
            tail -60 "$logfile" >&2 || true
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

start_all() {
    start_minio
    start_es
    start_redis
    wait_for minio minio_healthy "$RUN/minio.log"
    wait_for es es_healthy "$RUN/es-logs/sohoa-test.log"
    wait_for redis redis_healthy "$RUN/redis.log"
}

stop_one() {
    local name=$1 pid
    alive "$name" || return 0
    pid=$(cat "$RUN/$name.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$RUN/$name.pid"
}

names() {
    if [ "$CLUSTER" = 1 ]; then cluster_names; else printf '%s\n' minio es redis; fi
}

stop() {
    local name
    for name in $(names); do stop_one "$name"; done
}

up() {
    # One `up` at a time: test runs started side by side must not build, wipe or start anything twice.
    # The servers started below close fd 9 (`9>&-`): a daemon that kept it would hold the lock for its whole
    # life, and the next `up` (the suite's own, right after `make test`'s) would wait for it forever.
    exec 9>"$RUN.lock"
    flock 9
    if [ -f "$RUN/env" ]; then add_broker_env; fi
    if alive minio && alive es && alive redis && minio_healthy && es_healthy && redis_healthy; then
        cat "$RUN/env"
        return
    fi
    install_minio
    install_es
    first_start new_env
    local start=$SECONDS
    { alive minio && minio_healthy; } || { stop_one minio; start_minio; }
    { alive es && es_healthy; } || { stop_one es; start_es; }
    { alive redis && redis_healthy; } || { stop_one redis; start_redis; }
    wait_for minio minio_healthy "$RUN/minio.log"
    wait_for es es_healthy "$RUN/es-logs/sohoa-test.log"
    wait_for redis redis_healthy "$RUN/redis.log"
    log "MinIO, Elasticsearch and Redis up in $((SECONDS - start))s (data in $RUN)"
    cat "$RUN/env"
}

# The first start of a set: a new run directory and credentials (written by $1). Never again here: data goes
# only with `down --wipe`.
first_start() {
    [ ! -f "$RUN/env" ] || return 0
    rm -rf "$RUN"
    mkdir -p "$RUN"
    chmod 755 "$RUN"
    "$1"
}

restart() {
    [ -f "$RUN/env" ] || die "nothing to restart: run 'up' first"
    stop
    if [ "$CLUSTER" = 1 ]; then cluster_up >/dev/null; else start_all; fi
    log "restarted with the same data"
}

down() {
    stop
    if [ "${1:-}" = --wipe ]; then
        rm -rf "$RUN"
        log "stopped; data and credentials deleted"
    else
        log "stopped; data kept in $RUN (down --wipe deletes it)"
    fi
}

status() {
    local name
    for name in $(names); do
        if alive "$name"; then echo "$name: running (pid $(cat "$RUN/$name.pid"))"; else echo "$name: stopped"; fi
    done
}

# shellcheck source=deploy/cluster.sh
. "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"

CLUSTER=0
WIPE=
ARGS=()
for arg in "$@"; do
    case "$arg" in
    --cluster) CLUSTER=1 ;;
    --wipe) WIPE=--wipe ;;
    *) ARGS+=("$arg") ;;
    esac
done
if [ "$CLUSTER" = 1 ]; then RUN=$CLUSTER_RUN; fi

case "${ARGS[0]:-}" in
up) if [ "$CLUSTER" = 1 ]; then cluster_up; else up; fi ;;
restart) restart ;;
down) down "$WIPE" ;;
status) status ;;
env) cat "$RUN/env" ;;
*) die "usage: $0 up|restart|down [--wipe]|status|env [--cluster]" ;;
esac
