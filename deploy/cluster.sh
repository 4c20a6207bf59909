# shellcheck shell=bash
# The clustered set of deploy/services.sh (`--cluster`), sourced by it: what a province runs, on one machine.
#
#   MinIO        four server processes in distributed mode, one drive each: one erasure set (2 data + 2
#                parity shards), so one lost node loses nothing and stops nothing, and two lost nodes stop
#                writes (503) but not reads.
#   HAProxy      one address in front of the four MinIO nodes (Debian's haproxy). It checks each node's
#                liveness every second and sends requests only to live ones, retrying on another node a
#                request whose connection failed. sohoa, its workers and people's browsers (presigned links)
#                all name this one address.
#   Elasticsearch three nodes, each master-eligible and holding data, with their own ports and data
#                directories; sohoa gets every node's URL (SOHOA_ES_URL) and one replica of each shard.
#   Redis        one, as in the single set.
#
# Every process has its pid file in the cluster's run directory, so a test can SIGKILL one node and
# `up --cluster` starts only what is not running again, on the same data.

CLUSTER_RUN=${SOHOA_CLUSTER_RUN_DIR:-$RUN-cluster}
CLUSTER_MINIO_PORT=${SOHOA_CLUSTER_MINIO_PORT:-9400}  # HAProxy; the nodes take the next four (consoles +30)
CLUSTER_ES_PORT=${SOHOA_CLUSTER_ES_PORT:-9600}        # the nodes take the next three ports
CLUSTER_REDIS_PORT=${SOHOA_CLUSTER_REDIS_PORT:-6392}
MINIO_NODES=4
ES_NODES=3

minio_node_port() { echo $((CLUSTER_MINIO_PORT + $1)); }
es_node_port() { echo $((CLUSTER_ES_PORT + $1)); }
es_node_transport() { echo $((CLUSTER_ES_PORT + 100 + $1)); }

cluster_new_env() {
    local es_urls="" i
    for i in $(seq 1 $ES_NODES); do es_urls+="${es_urls:+,}http://127.0.0.1:$(es_node_port "$i")"; done
    new_credentials "127.0.0.1:$CLUSTER_MINIO_PORT" "$es_urls" "$CLUSTER_REDIS_PORT"
    echo "export SOHOA_ES_REPLICAS=1" >>"$RUN/env"
}

minio_node_healthy() { curl -fsS -m 2 "http://127.0.0.1:$(minio_node_port "$1")/minio/health/live" >/dev/null 2>&1; }
# The whole erasure set can take writes: the cluster endpoint answers 200 only with write quorum. Asked of
# each node and of HAProxy: a node just restarted answers "live" before it has joined its peers, and a write
# HAProxy sends it then is refused (SlowDownWrite).
minio_cluster_healthy() {
    local i
    for i in $(seq 1 $MINIO_NODES); do
        curl -fsS -m 2 "http://127.0.0.1:$(minio_node_port "$i")/minio/health/cluster" >/dev/null 2>&1 || return 1
    done
    curl -fsS -m 2 "http://127.0.0.1:$CLUSTER_MINIO_PORT/minio/health/cluster" >/dev/null 2>&1
}
# Green with every node in: asked of each node in turn, since any of them may be the one just killed.
es_cluster_green() {
    local i
    for i in $(seq 1 $ES_NODES); do
        curl -fsS -m 5 \
            "http://127.0.0.1:$(es_node_port "$i")/_cluster/health?wait_for_status=green&wait_for_nodes=$ES_NODES&timeout=2s" \
            >/dev/null 2>&1 && return 0
    done
    return 1
}

start_minio_node() {
    local i=$1 n drives=()
    # shellcheck disable=SC1091
    . "$RUN/env"
    for n in $(seq 1 $MINIO_NODES); do
        mkdir -p "$RUN/minio$n-data"
        drives+=("http://127.0.0.1:$(minio_node_port "$n")$RUN/minio$n-data")
    done
    # MINIO_CI_CD: the four drives share this machine's root disk, which MinIO otherwise refuses in a
    # distributed set (on real machines each node has its own disk). _MINIO_SERVER_LOCAL names the node's
    # own endpoint: in a container (/.dockerenv) MinIO will not take a loopback address for itself and waits
    # forever for one that resolves elsewhere.
    MINIO_ROOT_USER=$SOHOA_MINIO_ACCESS_KEY MINIO_ROOT_PASSWORD=$SOHOA_MINIO_SECRET_KEY \
        MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CI_CD=on _MINIO_SERVER_LOCAL="127.0.0.1:$(minio_node_port "$i")" \
        setsid nohup "$MINIO_BIN" server "${drives[@]}" --quiet \
        --address "127.0.0.1:$(minio_node_port "$i")" --console-address "127.0.0.1:$(minio_node_port $((i + 30)))" \
        >>"$RUN/minio$i.log" 2>&1 </dev/null 9>&- &
    echo $! >"$RUN/minio$i.pid"
}

write_haproxy_config() {
    local i
    {
        cat <<EOF
global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 300s
    # A node killed while it held an object's lock (every conditional write holds it for the whole
    # request) leaves the lock on the other nodes until they expire it, one to two minutes later; the next
    # request for that object waits it out. Longer than that, so such a request is answered, not dropped.
    timeout server 180s
    # A request whose node died before answering goes to another live node (up to 3 times).
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
frontend minio
    bind 127.0.0.1:$CLUSTER_MINIO_PORT
    default_backend minio_nodes
backend minio_nodes
    balance leastconn
    option httpchk GET /minio/health/live
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
EOF
        for i in $(seq 1 $MINIO_NODES); do
            echo "    server minio$i 127.0.0.1:$(minio_node_port "$i") check"
        done
    } >"$RUN/haproxy.cfg"
}

start_haproxy() {
    command -v haproxy >/dev/null || die "haproxy is needed for the cluster (apt-get install haproxy)"
    write_haproxy_config
    haproxy -q -f "$RUN/haproxy.cfg" -D -p "$RUN/haproxy.pid" >>"$RUN/haproxy.log" 2>&1 9>&- ||
        { tail -30 "$RUN/haproxy.log" >&2; die "HAProxy did not start"; }
}

es_cluster_yml() {
    local i=$1 n seeds="" masters=""
    for n in $(seq 1 $ES_NODES); do
        seeds+="${seeds:+, }\"127.0.0.1:$(es_node_transport "$n")\""
        masters+="${masters:+, }\"es$n\""
    done
    cat <<EOF
cluster.name: sohoa-cluster
node.name: es$i
discovery.seed_hosts: [$seeds]
cluster.initial_master_nodes: [$masters]
EOF
}

cluster_up() {
    exec 9>"$RUN.lock"
    flock 9
    install_minio
    install_es
    first_start cluster_new_env
    local start=$SECONDS i
    for i in $(seq 1 $MINIO_NODES); do
        alive "minio$i" || start_minio_node "$i"
    done
    alive haproxy || start_haproxy
    # Side by side: each `elasticsearch -d` returns only once its node has started, half a minute apiece.
    local starting=()
    for i in $(seq 1 $ES_NODES); do
        if alive "es$i"; then continue; fi
        start_es "es$i" "$(es_node_port "$i")" "$(es_node_transport "$i")" "$(es_cluster_yml "$i")" &
        starting+=($!)
    done
    for i in "${starting[@]}"; do wait "$i" || die "an Elasticsearch node did not start"; done
    alive redis || { REDIS_PORT=$CLUSTER_REDIS_PORT start_redis; }
    for i in $(seq 1 $MINIO_NODES); do
        wait_for "minio$i" "minio_node_healthy $i" "$RUN/minio$i.log"
    done
    wait_for haproxy minio_cluster_healthy "$RUN/haproxy.log"
    wait_for es1 es_cluster_green "$RUN/es1-logs/sohoa-cluster.log"
    REDIS_PORT=$CLUSTER_REDIS_PORT wait_for redis redis_healthy "$RUN/redis.log"
    log "cluster up in $((SECONDS - start))s: MinIO x$MINIO_NODES behind HAProxy, Elasticsearch x$ES_NODES, Redis (data in $RUN)"
    cat "$RUN/env"
}

cluster_names() {
    local i
    for i in $(seq 1 $MINIO_NODES); do echo "minio$i"; done
    echo haproxy
    for i in $(seq 1 $ES_NODES); do echo "es$i"; done
    echo redis
}
