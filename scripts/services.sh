#!/usr/bin/env bash
# Installs and runs the project's local services on this machine (no Docker):
#   - MariaDB on 127.0.0.1:3306  (database event_books, user bookstore / password bookstore)
#   - Apache Kafka 4.1 (KRaft) on 127.0.0.1: PLAINTEXT 9092, controller 9093, and SASL_SSL 9094
#     (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; user bookstore / password bookstore-secret; TLS
#     with a CA generated on first start, client certificates verified when given)
#
# Usage: scripts/services.sh start|stop|status|restart [kafka|mariadb]  (both when not named)
#        scripts/services.sh pid kafka [NODE] | pid mariadb   (prints the pid of a running node)
#
# State lives in $SERVICES_DIR (default <repo>/.services, git-ignored):
#   mariadb/data, mariadb/mysqld.sock, mariadb/mariadb.pid
#   kafka/libs (jars from Maven Central), kafka/cluster.id, kafka/tls/ (ca.pem, client.pem,
#   client.key, broker-keystore.pem), and per node:
#     single node:   kafka/data, kafka/server.properties, kafka/kafka.pid, logs/kafka.log
#     KAFKA_NODES=N: kafka/node-<i>/{data,server.properties,kafka.pid}, logs/kafka-node-<i>.log
#   logs/mariadb.log, logs/maven.log, logs/apt.log
#
# With KAFKA_NODES=N (e.g. 3) Kafka runs as N combined broker+controller nodes, node i (0..N-1,
# node.id i) on ports KAFKA_PORT+i, KAFKA_CONTROLLER_PORT+i and KAFKA_SASL_PORT+i, with
# replication factor 3 (min.insync 2) for topics and internal topics.
#
# `start` is idempotent: services that already answer are left alone (an already
# running system MariaDB on 3306 is used as is; only the database and user are
# ensured); of the Kafka nodes only those not running are started (so a node killed
# with -9 comes back with `start kafka`), then it waits until every node answers.
# `stop` only stops processes this script started (by pid file), all Kafka nodes of
# $SERVICES_DIR.
#
# Overridable by the environment, so that a test can run services of its own beside the
# shared ones: SERVICES_DIR, DB_PORT (3306), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
# KAFKA_SASL_PORT (9094), KAFKA_NODES (1), KAFKA_LIBS (the jar cache, default
# $SERVICES_DIR/kafka/libs), KAFKA_HEAP_OPTS, KAFKA_START_TIMEOUT, KAFKA_NICE (0; the fault suite
# runs its three brokers, which stand for other machines, below the app it measures).
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd -P)"
SERVICES_DIR="${SERVICES_DIR:-$REPO_ROOT/.services}"
mkdir -p "$SERVICES_DIR"
SERVICES_DIR="$(cd "$SERVICES_DIR" && pwd -P)"
LOG_DIR="$SERVICES_DIR/logs"

DB_HOST=127.0.0.1
DB_PORT="${DB_PORT:-3306}"
DB_NAME=event_books
DB_USER=bookstore
DB_PASSWORD=bookstore
MDB_DIR="$SERVICES_DIR/mariadb"
MDB_DATA="$MDB_DIR/data"
MDB_PID="$MDB_DIR/mariadb.pid"
MDB_LOG="$LOG_DIR/mariadb.log"
SYSTEM_MDB_SOCKET=/run/mysqld/mysqld.sock
MDB_START_TIMEOUT="${MDB_START_TIMEOUT:-60}"

KAFKA_HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_SASL_PORT="${KAFKA_SASL_PORT:-9094}"
# KAFKA_NODES_GIVEN: whether the caller chose the layout (`pid` looks in both otherwise).
KAFKA_NODES_GIVEN="${KAFKA_NODES:+yes}"
KAFKA_NODES="${KAFKA_NODES:-1}"
KAFKA_CONF_SRC="$SCRIPT_DIR/kafka"
KAFKA_DIR="$SERVICES_DIR/kafka"
# Tests that start their own broker share the checkout's jar cache instead of fetching again.
KAFKA_LIBS="${KAFKA_LIBS:-$KAFKA_DIR/libs}"
KAFKA_CLUSTER_ID_FILE="$KAFKA_DIR/cluster.id"
KAFKA_TLS_DIR="$KAFKA_DIR/tls"
KAFKA_SASL_USER=bookstore
KAFKA_SASL_PASSWORD=bookstore-secret
case "$KAFKA_NODES" in
  [1-9]) ;;
  *) printf '==> ERROR: KAFKA_NODES must be 1..9, not %s\n' "$KAFKA_NODES" >&2; exit 2 ;;
esac
if [ "$KAFKA_NODES" -gt 1 ]; then
  KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
  KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-180}"
else
  KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
  KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
fi

# A unix socket path must fit in 108 bytes; deep checkouts get one under /tmp.
MDB_SOCKET="$MDB_DIR/mysqld.sock"
if [ "${#MDB_SOCKET}" -gt 100 ]; then
  MDB_SOCKET="/tmp/event-books-mariadb-$(printf '%s' "$MDB_DIR" | cksum | cut -d' ' -f1).sock"
fi

say() { printf '==> %s\n' "$*"; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# port_open HOST PORT: true if something accepts TCP connections there.
port_open() {
  # shellcheck disable=SC2016  # $0/$1 expand in the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# pid_alive PIDFILE PATTERN: true if the pid in PIDFILE runs a command line matching PATTERN.
pid_alive() {
  local pidfile="$1" pattern="$2" pid
  [ -s "$pidfile" ] || return 1
  pid="$(tr -dc '0-9' <"$pidfile")"
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

pid_of() { tr -dc '0-9' <"$1"; }

# ---------------------------------------------------------------- installing

APT_UPDATED=0
apt_install() {
  if ! is_root; then
    die "need to install: $* -- run as root, or: sudo apt-get install -y $*"
  fi
  command -v apt-get >/dev/null || die "apt-get not found; install by hand: $*"
  mkdir -p "$LOG_DIR"
  say "apt: installing $* (log: $LOG_DIR/apt.log)"
  # DPkg::Lock::Timeout waits for a concurrent apt/dpkg run instead of failing on the lock.
  if [ "$APT_UPDATED" -eq 0 ]; then
    if ! apt-get -o DPkg::Lock::Timeout=900 update >>"$LOG_DIR/apt.log" 2>&1; then
      tail -n 20 "$LOG_DIR/apt.log" >&2 || true
      die "apt-get update failed (see $LOG_DIR/apt.log)"
    fi
    APT_UPDATED=1
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y "$@" \
      >>"$LOG_DIR/apt.log" 2>&1; then
    tail -n 20 "$LOG_DIR/apt.log" >&2 || true
    die "apt-get install $* failed (see $LOG_DIR/apt.log); fix that and rerun $0 start"
  fi
}

missing_debs() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$p"
  done
}

ensure_mariadb_installed() {
  local missing=""
  if command -v dpkg-query >/dev/null; then
    # client + headers/pkg-config are needed by the Python driver (mysqlclient) too.
    missing="$(missing_debs mariadb-server mariadb-client libmariadb-dev pkg-config)"
  elif ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    missing="mariadb-server mariadb-client libmariadb-dev pkg-config"
  fi
  if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    apt_install $missing
  fi
  MARIADBD="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
  [ -x "$MARIADBD" ] || die "mariadbd not found after install; try: apt-get install -y mariadb-server"
  command -v mariadb-install-db >/dev/null || die "mariadb-install-db not found; try: apt-get install -y mariadb-server"
  command -v mariadb >/dev/null || die "mariadb client not found; try: apt-get install -y mariadb-client"
}

find_java() {
  if command -v java >/dev/null; then JAVA="$(command -v java)"; return 0; fi
  local j
  for j in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/java-17-openjdk-amd64/bin/java /usr/lib/jvm/default-java/bin/java; do
    if [ -x "$j" ]; then JAVA="$j"; return 0; fi
  done
  return 1
}

ensure_java_installed() {
  local need=""
  find_java || need="openjdk-17-jre-headless"
  if [ ! -f "$KAFKA_LIBS/.complete" ] || ! kafka_libs_current; then
    command -v mvn >/dev/null || need="$need maven"
  fi
  if [ -n "$need" ]; then
    # shellcheck disable=SC2086
    apt_install $need || die "could not install $need (Kafka needs java 17+ and, for the first start, mvn)"
  fi
  find_java || die "java not found after install; install a JDK/JRE 17+ and rerun"
}

# ---------------------------------------------------------------- MariaDB

mdb_ours() { pid_alive "$MDB_PID" mariadbd; }

# mdb_sql SQL: runs SQL as an admin on whichever server serves 127.0.0.1:3306.
mdb_sql() {
  local sql="$1"
  if mdb_ours && [ -S "$MDB_SOCKET" ]; then
    mariadb --no-defaults --protocol=socket --socket="$MDB_SOCKET" -uroot -e "$sql"
  elif [ -S "$SYSTEM_MDB_SOCKET" ] && mariadb --protocol=socket --socket="$SYSTEM_MDB_SOCKET" -uroot -e 'select 1' >/dev/null 2>&1; then
    mariadb --protocol=socket --socket="$SYSTEM_MDB_SOCKET" -uroot -e "$sql"
  else
    mariadb --no-defaults -h"$DB_HOST" -P"$DB_PORT" -u"$DB_USER" -p"$DB_PASSWORD" -e "$sql"
  fi
}

ensure_mdb_database() {
  local sql
  sql="CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  local h
  for h in 127.0.0.1 localhost; do
    sql="$sql CREATE USER IF NOT EXISTS '$DB_USER'@'$h' IDENTIFIED BY '$DB_PASSWORD';"
    sql="$sql ALTER USER '$DB_USER'@'$h' IDENTIFIED BY '$DB_PASSWORD';"
    sql="$sql GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'$h' WITH GRANT OPTION;"
  done
  sql="$sql FLUSH PRIVILEGES;"
  if ! mdb_sql "$sql" 2>"$LOG_DIR/mariadb-setup.err"; then
    cat "$LOG_DIR/mariadb-setup.err" >&2 || true
    die "could not create database $DB_NAME / user $DB_USER on $DB_HOST:$DB_PORT. \
If that is a MariaDB not started by this script, create them as its admin: \
CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; \
CREATE USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD'; GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1';"
  fi
  # The login the app uses must work over TCP.
  mariadb --no-defaults -h"$DB_HOST" -P"$DB_PORT" -u"$DB_USER" -p"$DB_PASSWORD" -e "USE \`$DB_NAME\`" \
    || die "user $DB_USER cannot log in to $DB_HOST:$DB_PORT/$DB_NAME (see above)"
  say "mariadb: database $DB_NAME and user $DB_USER@127.0.0.1/localhost ready"
}

# Which OS user mariadbd runs as: mysql, unless it cannot reach $MDB_DIR (then root).
mdb_run_user() {
  if ! is_root; then id -un; return; fi
  if id mysql >/dev/null 2>&1 && runuser -u mysql -- test -x "$MDB_DIR" 2>/dev/null; then
    echo mysql
  else
    echo root
  fi
}

start_mariadb() {
  mkdir -p "$LOG_DIR"
  if port_open "$DB_HOST" "$DB_PORT"; then
    if mdb_ours; then
      say "mariadb: already running (pid $(pid_of "$MDB_PID"), $DB_HOST:$DB_PORT)"
    else
      say "mariadb: something already listens on $DB_HOST:$DB_PORT (not started by this script); using it"
    fi
    ensure_mariadb_client_only
    ensure_mdb_database
    return 0
  fi

  ensure_mariadb_installed
  mkdir -p "$MDB_DIR"
  chmod 755 "$MDB_DIR"
  local run_user
  run_user="$(mdb_run_user)"
  if is_root; then
    if [ "$run_user" = root ]; then
      warn "mariadb: user mysql cannot reach $MDB_DIR; running mariadbd as root"
    fi
    chown "$run_user": "$MDB_DIR"
  fi

  if mdb_ours; then
    say "mariadb: process $(pid_of "$MDB_PID") exists but does not answer yet; waiting"
  else
    if [ ! -d "$MDB_DATA/mysql" ]; then
      say "mariadb: initializing data dir $MDB_DATA"
      rm -rf "$MDB_DATA"
      mkdir -p "$MDB_DATA"
      is_root && chown "$run_user": "$MDB_DATA"
      if ! mariadb-install-db --no-defaults --user="$run_user" --datadir="$MDB_DATA" \
          --auth-root-authentication-method=socket --skip-test-db \
          >"$LOG_DIR/mariadb-install-db.log" 2>&1; then
        tail -n 30 "$LOG_DIR/mariadb-install-db.log" >&2 || true
        rm -rf "$MDB_DATA"
        die "mariadb-install-db failed (see $LOG_DIR/mariadb-install-db.log)"
      fi
    fi
    rm -f "$MDB_PID" "$MDB_SOCKET"
    touch "$MDB_LOG"
    is_root && chown "$run_user": "$MDB_LOG"
    say "mariadb: starting on $DB_HOST:$DB_PORT (data $MDB_DATA, log $MDB_LOG)"
    local user_opt=()
    is_root && user_opt=(--user="$run_user")
    setsid nohup "$MARIADBD" --no-defaults "${user_opt[@]}" \
      --datadir="$MDB_DATA" --socket="$MDB_SOCKET" --pid-file="$MDB_PID" \
      --port="$DB_PORT" --bind-address="$DB_HOST" --log-error="$MDB_LOG" \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
      --innodb-buffer-pool-size=1G --max-connections=300 \
      </dev/null >>"$MDB_LOG" 2>&1 &
  fi

  local waited=0
  until [ -S "$MDB_SOCKET" ] && mariadb-admin --no-defaults --socket="$MDB_SOCKET" -uroot ping >/dev/null 2>&1 \
        && port_open "$DB_HOST" "$DB_PORT"; do
    if [ "$waited" -ge "$MDB_START_TIMEOUT" ]; then
      tail -n 30 "$MDB_LOG" >&2 || true
      die "mariadb did not become ready in ${MDB_START_TIMEOUT}s (log above, full log $MDB_LOG). \
Check that port $DB_PORT is free, then: $0 stop && $0 start"
    fi
    if [ "$waited" -gt 2 ] && [ ! -s "$MDB_PID" ] && ! pgrep -f -- "--datadir=$MDB_DATA" >/dev/null; then
      tail -n 30 "$MDB_LOG" >&2 || true
      die "mariadbd exited during startup (log above, full log $MDB_LOG)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "mariadb: up (pid $(pid_of "$MDB_PID"), ${waited}s)"
  ensure_mdb_database
}

ensure_mariadb_client_only() {
  command -v mariadb >/dev/null || ensure_mariadb_installed
}

# wait_exit NAME TIMEOUT PID...: waits until every PID has exited; those still running after
# TIMEOUT seconds (one budget for all) get SIGKILL.
wait_exit() {
  local name="$1" timeout="$2" pid waited=0
  shift 2
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$waited" -ge "$timeout" ]; then
        warn "$name: pid $pid still running after ${timeout}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
        break
      fi
      sleep 1
      waited=$((waited + 1))
    done
  done
}

stop_pidfile() { # NAME PIDFILE PATTERN TIMEOUT
  local name="$1" pidfile="$2" pattern="$3" timeout="$4" pid
  if ! pid_alive "$pidfile" "$pattern"; then
    say "$name: not running (nothing started by this script)"
    rm -f "$pidfile"
    return 0
  fi
  pid="$(pid_of "$pidfile")"
  say "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  kill -CONT "$pid" 2>/dev/null || true
  wait_exit "$name" "$timeout" "$pid"
  rm -f "$pidfile"
  say "$name: stopped"
}

# ---------------------------------------------------------------- Kafka

# One node (KAFKA_NODES=1) keeps the original layout directly under $KAFKA_DIR, node.id 1;
# in a cluster node i lives in $KAFKA_DIR/node-<i>, node.id i.
kafka_single() { [ "$KAFKA_NODES" -eq 1 ]; }
node_dir() { if kafka_single; then echo "$KAFKA_DIR"; else echo "$KAFKA_DIR/node-$1"; fi; }
node_suffix() { kafka_single || echo "-node-$1"; }
node_name() { echo "kafka$(node_suffix "$1" | tr '-' ' ')"; }
node_id() { if kafka_single; then echo 1; else echo "$1"; fi; }
node_log() { echo "$LOG_DIR/kafka$(node_suffix "$1").log"; }
node_port() { echo $((KAFKA_PORT + $1)); }
node_controller_port() { echo $((KAFKA_CONTROLLER_PORT + $1)); }
node_sasl_port() { echo $((KAFKA_SASL_PORT + $1)); }
kafka_node_indexes() { seq 0 $((KAFKA_NODES - 1)); }

# pidfile_ours PIDFILE: a live kafka.Kafka started with the server.properties beside PIDFILE.
pidfile_ours() { pid_alive "$1" "kafka.Kafka $(dirname "$1")/server.properties"; }
node_ours() { pidfile_ours "$(node_dir "$1")/kafka.pid"; }

kafka_libs_current() {
  [ -f "$KAFKA_LIBS/.complete" ] && [ "$(cat "$KAFKA_LIBS/.complete")" = "$(sha256sum <"$KAFKA_CONF_SRC/pom.xml" | cut -d' ' -f1)" ]
}

ensure_kafka_libs() {
  if kafka_libs_current; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found; apt-get install -y maven"
  # Several checkouts' tests may share one cache (KAFKA_LIBS): one fetches, the others wait.
  mkdir -p "$(dirname "$KAFKA_LIBS")"
  exec 8>"$KAFKA_LIBS.lock"
  flock -w 1800 8 || die "kafka: waited 30 min for another fetch into $KAFKA_LIBS ($KAFKA_LIBS.lock)"
  if ! kafka_libs_current; then
    say "kafka: fetching jars from Maven Central into $KAFKA_LIBS (once; log $LOG_DIR/maven.log)"
    rm -rf "$KAFKA_LIBS"
    mkdir -p "$KAFKA_LIBS"
    if ! mvn -q -B -f "$KAFKA_CONF_SRC/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$KAFKA_LIBS" >"$LOG_DIR/maven.log" 2>&1; then
      tail -n 30 "$LOG_DIR/maven.log" >&2 || true
      rm -rf "$KAFKA_LIBS"
      die "mvn could not fetch the Kafka jars (see $LOG_DIR/maven.log); check access to Maven Central and rerun $0 start"
    fi
    ls "$KAFKA_LIBS"/kafka_2.13-*.jar >/dev/null 2>&1 || die "kafka_2.13 jar missing in $KAFKA_LIBS after mvn"
    sha256sum <"$KAFKA_CONF_SRC/pom.xml" | cut -d' ' -f1 >"$KAFKA_LIBS/.complete"
    say "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars fetched"
  fi
  exec 8>&-
}

kafka_java() { # runs a kafka class with the cached jars
  "$JAVA" -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$KAFKA_CONF_SRC/log4j2.yaml" "$@"
}

# ensure_kafka_tls: a CA, the brokers' key + certificate (SAN IP:127.0.0.1, DNS:localhost) and
# a client key + certificate, all PEM, generated once into $KAFKA_TLS_DIR. Delete the directory
# and restart Kafka to make new ones.
ensure_kafka_tls() {
  local f missing=0
  for f in ca.pem broker-keystore.pem client.pem client.key; do
    [ -s "$KAFKA_TLS_DIR/$f" ] || missing=1
  done
  [ "$missing" -eq 1 ] || return 0
  command -v openssl >/dev/null || apt_install openssl
  local tmp="$KAFKA_TLS_DIR.tmp"
  say "kafka: generating a CA and broker/client certificates in $KAFKA_TLS_DIR"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! (
    set -e
    cd "$tmp"
    umask 077
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -subj "/CN=event-books local Kafka CA" -keyout ca.key -out ca.pem \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >broker.ext
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=clientAuth" >client.ext
    for f in broker client; do
      # PKCS#8 keys without a passphrase: what Kafka's PEM keystore and Python's ssl both read.
      openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$([ "$f" = broker ] && echo localhost || echo "$KAFKA_SASL_USER")" \
        -keyout "$f.key" -out "$f.csr"
      openssl x509 -req -in "$f.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
        -days 825 -sha256 -extfile "$f.ext" -out "$f.pem"
    done
    cat broker.key broker.pem >broker-keystore.pem
    rm -f ./*.csr ./*.ext broker.key
    chmod 644 ca.pem broker.pem client.pem
  ) >"$LOG_DIR/kafka-tls.log" 2>&1; then
    tail -n 20 "$LOG_DIR/kafka-tls.log" >&2 || true
    rm -rf "$tmp"
    die "kafka: could not generate the TLS files (see $LOG_DIR/kafka-tls.log)"
  fi
  chmod 755 "$tmp"
  rm -rf "$KAFKA_TLS_DIR"
  mv "$tmp" "$KAFKA_TLS_DIR"
}

# kafka_ready HOST PORT [BROKERS]: the broker answers a Metadata request listing at least
# BROKERS (default 1) live brokers. Uses only the Python stdlib (Metadata v4, no topics).
kafka_ready() {
  local host="$1" port="$2" brokers="${3:-1}"
  port_open "$host" "$port" || return 1
  # Without python3 an open port has to do.
  command -v python3 >/dev/null || return 0
  python3 - "$host" "$port" "$brokers" <<'PY' 2>/dev/null
import socket, struct, sys
host, port, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
client = b"services.sh"
# request header v1: api_key=3 (Metadata), api_version=4, correlation_id, client_id
# body v4: topics = [] (int32 0), allow_auto_topic_creation = false
body = struct.pack(">hhih", 3, 4, 7, len(client)) + client + struct.pack(">ib", 0, 0)
with socket.create_connection((host, port), timeout=3) as s:
    s.settimeout(3)
    s.sendall(struct.pack(">i", len(body)) + body)
    def recv(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf
    size, = struct.unpack(">i", recv(4))
    data = recv(size)
corr, throttle, nbrokers = struct.unpack(">iii", data[:12])
sys.exit(0 if corr == 7 and nbrokers >= want else 1)
PY
}

# node_ready I: node I answers and sees every node of the cluster as a live broker.
node_ready() { kafka_ready "$KAFKA_HOST" "$(node_port "$1")" "$KAFKA_NODES"; }

all_nodes_ready() {
  local i
  for i in $(kafka_node_indexes); do node_ready "$i" || return 1; done
}

prepare_node_config() { # I
  local i="$1" dir props voters="" j rf isr
  dir="$(node_dir "$i")"
  props="$dir/server.properties"
  for j in $(kafka_node_indexes); do
    voters="$voters${voters:+,}$(node_id "$j")@$KAFKA_HOST:$(node_controller_port "$j")"
  done
  rf=$((KAFKA_NODES < 3 ? KAFKA_NODES : 3))
  isr=$((rf > 1 ? 2 : 1))
  mkdir -p "$dir/data"
  sed -e "s#@KAFKA_DATA_DIR@#$dir/data#g" -e "s#@NODE_ID@#$(node_id "$i")#g" -e "s#@QUORUM_VOTERS@#$voters#g" \
    -e "s#@PLAINTEXT_PORT@#$(node_port "$i")#g" -e "s#@CONTROLLER_PORT@#$(node_controller_port "$i")#g" \
    -e "s#@SASL_PORT@#$(node_sasl_port "$i")#g" -e "s#@TLS_DIR@#$KAFKA_TLS_DIR#g" \
    -e "s#@REPLICATION_FACTOR@#$rf#g" -e "s#@MIN_ISR@#$isr#g" \
    "$KAFKA_CONF_SRC/server.properties" >"$props.tmp"
  mv "$props.tmp" "$props"
}

# The SCRAM users live in the cluster metadata. A fresh data dir gets them when formatted; one
# formatted before they existed gets them through the admin API once the node is up. The file
# scram-users beside the data dir records the data dir (its directory.id) that has them.
node_directory_id() { sed -n 's/^directory\.id=//p' "$(node_dir "$1")/data/meta.properties" 2>/dev/null; }
node_has_scram() {
  local id
  id="$(node_directory_id "$1")"
  [ -n "$id" ] && [ "$(cat "$(node_dir "$1")/scram-users" 2>/dev/null)" = "$id" ]
}
mark_node_scram() { node_directory_id "$1" >"$(node_dir "$1")/scram-users"; }

format_node() { # I CLUSTER_ID
  local i="$1" dir log
  dir="$(node_dir "$i")"
  log="$LOG_DIR/kafka-format$(node_suffix "$i").log"
  [ -f "$dir/data/meta.properties" ] && return 0
  if ! kafka_java kafka.tools.StorageTool format -t "$2" -c "$dir/server.properties" --ignore-formatted \
      --add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]" \
      --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]" \
      >>"$log" 2>&1; then
    tail -n 30 "$log" >&2 || true
    warn "kafka storage format failed (see $log); to start over: $0 stop kafka; rm -rf $dir/data $KAFKA_CLUSTER_ID_FILE"
    return 1
  fi
  mark_node_scram "$i"
}

# format_nodes I...: formats the nodes' fresh data dirs (in parallel), one cluster id for all.
format_nodes() {
  local i cid fresh=() jobs=() failed=0
  for i in "$@"; do [ -f "$(node_dir "$i")/data/meta.properties" ] || fresh+=("$i"); done
  [ "${#fresh[@]}" -gt 0 ] || return 0
  if [ -s "$KAFKA_CLUSTER_ID_FILE" ]; then
    cid="$(cat "$KAFKA_CLUSTER_ID_FILE")"
  else
    cid="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$LOG_DIR/kafka-format.log" | tail -n 1)"
    [ -n "$cid" ] || die "kafka: could not generate a cluster id (see $LOG_DIR/kafka-format.log)"
    echo "$cid" >"$KAFKA_CLUSTER_ID_FILE"
  fi
  say "kafka: formatting storage of node(s) ${fresh[*]} (cluster id $cid)"
  for i in "${fresh[@]}"; do
    format_node "$i" "$cid" &
    jobs+=($!)
  done
  for i in "${jobs[@]}"; do wait "$i" || failed=1; done
  [ "$failed" -eq 0 ] || die "kafka: storage format failed (see above)"
}

ensure_scram_users() {
  local i need=0 up="" mechanism failed=0
  for i in $(kafka_node_indexes); do
    node_ours "$i" || continue
    node_has_scram "$i" || need=1
    up="${up:-$(node_port "$i")}"
  done
  [ "$need" -eq 1 ] || return 0
  say "kafka: adding SCRAM-SHA-256/512 user $KAFKA_SASL_USER (data dir formatted before SASL was set up)"
  ensure_java_installed
  ensure_kafka_libs
  # One mechanism per request: the broker refuses to alter a user twice in one.
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    kafka_java kafka.admin.ConfigCommand --bootstrap-server "$KAFKA_HOST:$up" --alter \
      --add-config "$mechanism=[password=$KAFKA_SASL_PASSWORD]" \
      --entity-type users --entity-name "$KAFKA_SASL_USER" >>"$LOG_DIR/kafka-admin.log" 2>&1 || failed=1
  done
  if [ "$failed" -eq 0 ]; then
    for i in $(kafka_node_indexes); do
      if node_ours "$i"; then mark_node_scram "$i"; fi
    done
  else
    tail -n 20 "$LOG_DIR/kafka-admin.log" >&2 || true
    warn "kafka: could not add the SCRAM users (see $LOG_DIR/kafka-admin.log); SASL PLAIN works, SCRAM will not. \
The next '$0 start kafka' tries again."
  fi
}

launch_node() { # I
  local i="$1" dir log
  dir="$(node_dir "$i")"
  log="$(node_log "$i")"
  [ -f "$log" ] && mv -f "$log" "$log.1"
  : >"$log"
  say "$(node_name "$i"): starting on $KAFKA_HOST:$(node_port "$i") (SASL_SSL $(node_sasl_port "$i"), \
controller $(node_controller_port "$i"); data $dir/data, log $log)"
  # The inner bash writes its own pid (= java's after exec) to kafka.pid; fd 9 (the start
  # lock) is not inherited.
  # shellcheck disable=SC2086,SC2016
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$dir/kafka.pid" \
    nice -n "${KAFKA_NICE:-0}" "$JAVA" $KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_CONF_SRC/log4j2.yaml" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >>"$log" 2>&1 9>&- &
}

start_kafka() {
  mkdir -p "$LOG_DIR" "$KAFKA_DIR"
  # Two starts of the same $SERVICES_DIR at once: the second waits, then finds the nodes up.
  exec 9>"$KAFKA_DIR/.start.lock"
  flock -w "$((KAFKA_START_TIMEOUT * 2))" 9 || die "kafka: another '$0 start' holds $KAFKA_DIR/.start.lock"
  local i t0=$SECONDS starting=() pids="" ready=1
  for i in $(kafka_node_indexes); do
    if node_ours "$i"; then
      if node_ready "$i"; then
        say "$(node_name "$i"): already running (pid $(pid_of "$(node_dir "$i")/kafka.pid"), $KAFKA_HOST:$(node_port "$i"))"
      elif kafka_ready "$KAFKA_HOST" "$(node_port "$i")"; then
        say "$(node_name "$i"): running (pid $(pid_of "$(node_dir "$i")/kafka.pid")) but sees fewer than $KAFKA_NODES live brokers"
        ready=0
      else
        say "$(node_name "$i"): process $(pid_of "$(node_dir "$i")/kafka.pid") exists but does not answer yet; waiting"
        ready=0
      fi
    elif kafka_ready "$KAFKA_HOST" "$(node_port "$i")"; then
      say "$(node_name "$i"): something already answers on $KAFKA_HOST:$(node_port "$i") (not started by this script); using it"
      node_ready "$i" || ready=0
    elif port_open "$KAFKA_HOST" "$(node_port "$i")" || port_open "$KAFKA_HOST" "$(node_controller_port "$i")" \
        || port_open "$KAFKA_HOST" "$(node_sasl_port "$i")"; then
      die "$(node_name "$i"): port $(node_port "$i"), $(node_controller_port "$i") or $(node_sasl_port "$i") is taken by \
a process that is not a ready Kafka broker; free it (ss -ltnp | grep -E ':($(node_port "$i")|$(node_controller_port "$i")|$(node_sasl_port "$i"))') and rerun $0 start"
    else
      starting+=("$i")
    fi
  done

  if [ "${#starting[@]}" -gt 0 ]; then
    ensure_java_installed
    ensure_kafka_libs
    ensure_kafka_tls
    for i in "${starting[@]}"; do prepare_node_config "$i"; done
    format_nodes "${starting[@]}"
    for i in "${starting[@]}"; do launch_node "$i"; done
  fi

  [ "${#starting[@]}" -eq 0 ] || ready=0
  local waited=0
  until [ "$ready" -eq 1 ] || all_nodes_ready; do
    if [ "$((SECONDS - t0))" -ge "$KAFKA_START_TIMEOUT" ]; then
      for i in $(kafka_node_indexes); do
        node_ready "$i" && continue
        warn "$(node_name "$i") is not ready; last lines of $(node_log "$i"):"
        tail -n 20 "$(node_log "$i")" >&2 || true
      done
      die "kafka did not become ready in ${KAFKA_START_TIMEOUT}s (every node must answer and see $KAFKA_NODES broker(s); \
one stopped with kill -STOP never answers: kill -CONT it). Try: $0 stop kafka && $0 start kafka"
    fi
    if [ "$waited" -gt 3 ]; then
      for i in "${starting[@]}"; do
        node_ours "$i" && continue
        tail -n 40 "$(node_log "$i")" >&2 || true
        die "$(node_name "$i") exited during startup (log above, full log $(node_log "$i")). \
If the storage is broken: $0 stop kafka; rm -rf $(node_dir "$i")/data; $0 start kafka"
      done
    fi
    sleep 1
    waited=$((waited + 1))
  done
  ensure_scram_users
  for i in $(kafka_node_indexes); do
    if node_ours "$i"; then
      pids="$pids${pids:+, }$(pid_of "$(node_dir "$i")/kafka.pid")"
      port_open "$KAFKA_HOST" "$(node_sasl_port "$i")" \
        || warn "$(node_name "$i"): no SASL_SSL listener on $(node_sasl_port "$i") (started from an older config); $0 restart kafka adds it"
    fi
  done
  exec 9>&-
  if kafka_single; then
    say "kafka: up (pid ${pids:-not ours}, $((SECONDS - t0))s)"
  else
    say "kafka: $KAFKA_NODES nodes up (pids ${pids:-not ours}, $((SECONDS - t0))s): PLAINTEXT $KAFKA_HOST:$KAFKA_PORT-$(node_port $((KAFKA_NODES - 1))), \
SASL_SSL $KAFKA_SASL_PORT-$(node_sasl_port $((KAFKA_NODES - 1)))"
  fi
}

# stop_kafka: every Kafka node of $SERVICES_DIR (single node and cluster nodes alike) gets SIGTERM
# at once (one by one, the last nodes of a cluster would wait for a controller quorum that is
# gone); those still alive after 60s get SIGKILL.
stop_kafka() {
  local f pid stopping=()
  for f in "$KAFKA_DIR/kafka.pid" "$KAFKA_DIR"/node-*/kafka.pid; do
    [ -e "$f" ] || continue
    if pidfile_ours "$f"; then
      pid="$(pid_of "$f")"
      say "kafka$(basename "$(dirname "$f")" | sed -n 's/^node-/ node /p'): stopping pid $pid"
      kill -TERM "$pid" 2>/dev/null || true
      kill -CONT "$pid" 2>/dev/null || true # one frozen with kill -STOP handles the TERM too
      stopping+=("$pid")
    fi
    rm -f "$f"
  done
  if [ "${#stopping[@]}" -eq 0 ]; then
    say "kafka: not running (nothing started by this script)"
    return 0
  fi
  wait_exit kafka 60 "${stopping[@]}"
  say "kafka: stopped"
}

# cmd_pid_kafka NODE: the pid of node NODE. Without KAFKA_NODES in the environment it looks in
# both layouts (node 0 of a single-node Kafka, then $KAFKA_DIR/node-<NODE>).
cmd_pid_kafka() {
  local node="$1" f candidates=()
  case "$node" in ''|*[!0-9]*) die "pid kafka: NODE must be a number, not '$node'" ;; esac
  if [ "$KAFKA_NODES_GIVEN" = yes ]; then
    [ "$node" -lt "$KAFKA_NODES" ] || die "pid kafka: node $node does not exist (KAFKA_NODES=$KAFKA_NODES)"
    candidates=("$(node_dir "$node")/kafka.pid")
  else
    [ "$node" -eq 0 ] && candidates=("$KAFKA_DIR/kafka.pid")
    candidates+=("$KAFKA_DIR/node-$node/kafka.pid")
  fi
  for f in "${candidates[@]}"; do
    if pidfile_ours "$f"; then pid_of "$f"; echo; return 0; fi
  done
  echo "kafka node $node: not running (no live pid file in $KAFKA_DIR)" >&2
  return 1
}

# ---------------------------------------------------------------- commands

cmd_start() {
  local t0=$SECONDS
  mkdir -p "$LOG_DIR"
  case "${1:-all}" in
    kafka) start_kafka; return 0 ;;
    mariadb) start_mariadb; return 0 ;;
  esac
  if port_open "$DB_HOST" "$DB_PORT" && all_nodes_ready; then
    say "mariadb ($DB_HOST:$DB_PORT) and kafka ($KAFKA_HOST:$KAFKA_PORT) already running"
    ensure_mariadb_client_only
    ensure_mdb_database
    return 0
  fi
  start_mariadb
  start_kafka
  say "all services up in $((SECONDS - t0))s: mariadb $DB_HOST:$DB_PORT db=$DB_NAME user=$DB_USER; \
kafka $KAFKA_HOST:$KAFKA_PORT (SASL_SSL $KAFKA_SASL_PORT)"
}

cmd_stop() {
  local which="${1:-all}"
  if [ "$which" != mariadb ]; then stop_kafka; fi
  if [ "$which" != kafka ]; then stop_pidfile mariadb "$MDB_PID" mariadbd 60; fi
}

status_kafka() {
  local i rc=0 where
  for i in $(kafka_node_indexes); do
    where="$KAFKA_HOST:$(node_port "$i"), SASL_SSL $(node_sasl_port "$i")"
    port_open "$KAFKA_HOST" "$(node_sasl_port "$i")" || where="$KAFKA_HOST:$(node_port "$i"), no SASL_SSL listener"
    if node_ready "$i"; then
      if node_ours "$i"; then say "$(node_name "$i"): up ($where, pid $(pid_of "$(node_dir "$i")/kafka.pid"), started by this script)"
      else say "$(node_name "$i"): up ($where, not started by this script)"; fi
    elif node_ours "$i"; then
      say "$(node_name "$i"): starting or degraded (pid $(pid_of "$(node_dir "$i")/kafka.pid"); \
not answering, or not seeing all $KAFKA_NODES broker(s))"; rc=1
    else
      say "$(node_name "$i"): down"; rc=1
    fi
  done
  return "$rc"
}

cmd_status() {
  local rc=0
  if [ "${1:-all}" != kafka ]; then
    if port_open "$DB_HOST" "$DB_PORT"; then
      if mdb_ours; then say "mariadb: up ($DB_HOST:$DB_PORT, pid $(pid_of "$MDB_PID"), started by this script)"
      else say "mariadb: up ($DB_HOST:$DB_PORT, not started by this script)"; fi
    else
      say "mariadb: down"; rc=1
    fi
  fi
  if [ "${1:-all}" != mariadb ]; then status_kafka || rc=1; fi
  return "$rc"
}

cmd_pid() {
  case "${1:-kafka}" in
    kafka) cmd_pid_kafka "${2:-0}" ;;
    mariadb)
      if mdb_ours; then pid_of "$MDB_PID"; echo; else echo "mariadb: not running (not started by this script)" >&2; return 1; fi ;;
    *) usage ;;
  esac
}

usage() {
  echo "usage: $0 start|stop|status|restart [kafka|mariadb]   or   $0 pid kafka [NODE] | pid mariadb" >&2
  exit 2
}

case "${1:-}" in
  pid) cmd_pid "${2:-kafka}" "${3:-0}"; exit ;;
esac
case "${2:-all}" in
  all|kafka|mariadb) ;;
  *) usage ;;
esac
case "${1:-}" in
  start) cmd_start "${2:-all}" ;;
  stop) cmd_stop "${2:-all}" ;;
  restart) cmd_stop "${2:-all}"; cmd_start "${2:-all}" ;;
  status) cmd_status "${2:-all}" ;;
  *) usage ;;
esac
