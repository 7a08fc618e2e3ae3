#!/usr/bin/env bash
# Installs and runs the project's local services on this machine (no Docker):
#   - MariaDB on 127.0.0.1:3306  (database event_books, user bookstore / password bookstore)
#   - Apache Kafka 4.1 (single-node KRaft) on 127.0.0.1:9092
#
# Usage: scripts/services.sh start|stop|status|restart [kafka|mariadb]  (both when not named)
#
# State lives in $SERVICES_DIR (default <repo>/.services, git-ignored):
#   mariadb/data, mariadb/mysqld.sock, mariadb/mariadb.pid
#   kafka/libs (jars from Maven Central), kafka/data, kafka/cluster.id,
#   kafka/server.properties, kafka/kafka.pid
#   logs/mariadb.log, logs/kafka.log, logs/maven.log, logs/apt.log
#
# `start` is idempotent: services that already answer are left alone (an already
# running system MariaDB on 3306 is used as is; only the database and user are
# ensured). `stop` only stops processes this script started (by pid file).
#
# Overridable by the environment, so that a test can run services of its own beside the
# shared ones: SERVICES_DIR, DB_PORT (3306), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
# KAFKA_LIBS (the jar cache, default $SERVICES_DIR/kafka/libs).
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
KAFKA_CONF_SRC="$SCRIPT_DIR/kafka"
KAFKA_DIR="$SERVICES_DIR/kafka"
# Tests that start their own broker share the checkout's jar cache instead of fetching again.
KAFKA_LIBS="${KAFKA_LIBS:-$KAFKA_DIR/libs}"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_CLUSTER_ID_FILE="$KAFKA_DIR/cluster.id"
KAFKA_LOG="$LOG_DIR/kafka.log"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"

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

stop_pidfile() { # NAME PIDFILE PATTERN TIMEOUT
  local name="$1" pidfile="$2" pattern="$3" timeout="$4" pid waited=0
  if ! pid_alive "$pidfile" "$pattern"; then
    say "$name: not running (nothing started by this script)"
    rm -f "$pidfile"
    return 0
  fi
  pid="$(pid_of "$pidfile")"
  say "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
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
  rm -f "$pidfile"
  say "$name: stopped"
}

# ---------------------------------------------------------------- Kafka

kafka_ours() { pid_alive "$KAFKA_PID" kafka.Kafka; }

kafka_libs_current() {
  [ -f "$KAFKA_LIBS/.complete" ] && [ "$(cat "$KAFKA_LIBS/.complete")" = "$(sha256sum <"$KAFKA_CONF_SRC/pom.xml" | cut -d' ' -f1)" ]
}

ensure_kafka_libs() {
  if kafka_libs_current; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found; apt-get install -y maven"
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
}

kafka_java() { # runs a kafka class with the cached jars
  "$JAVA" -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$KAFKA_CONF_SRC/log4j2.yaml" "$@"
}

# kafka_ready: the broker answers a Metadata request listing at least one broker.
# Uses only the Python stdlib (Kafka wire protocol: Metadata v4, no topics).
kafka_ready() {
  port_open "$KAFKA_HOST" "$KAFKA_PORT" || return 1
  if ! command -v python3 >/dev/null; then
    grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null
    return
  fi
  python3 - "$KAFKA_HOST" "$KAFKA_PORT" <<'PY' 2>/dev/null
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
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
sys.exit(0 if corr == 7 and nbrokers >= 1 else 1)
PY
}

prepare_kafka_config() {
  mkdir -p "$KAFKA_DATA"
  sed -e "s#@KAFKA_DATA_DIR@#$KAFKA_DATA#g" -e "s#:9092#:$KAFKA_PORT#g" -e "s#:9093#:$KAFKA_CONTROLLER_PORT#g" \
    "$KAFKA_CONF_SRC/server.properties" >"$KAFKA_PROPS.tmp"
  mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"
  if [ ! -f "$KAFKA_DATA/meta.properties" ]; then
    local cid
    if [ -s "$KAFKA_CLUSTER_ID_FILE" ]; then
      cid="$(cat "$KAFKA_CLUSTER_ID_FILE")"
    else
      cid="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOG" | tail -n 1)"
      [ -n "$cid" ] || die "kafka: could not generate a cluster id (see $KAFKA_LOG)"
      echo "$cid" >"$KAFKA_CLUSTER_ID_FILE"
    fi
    say "kafka: formatting storage $KAFKA_DATA (cluster id $cid)"
    if ! kafka_java kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_PROPS" --ignore-formatted \
        >>"$LOG_DIR/kafka-format.log" 2>&1; then
      tail -n 30 "$LOG_DIR/kafka-format.log" >&2 || true
      die "kafka storage format failed (see $LOG_DIR/kafka-format.log); to start over: $0 stop; rm -rf $KAFKA_DATA $KAFKA_CLUSTER_ID_FILE"
    fi
  fi
}

start_kafka() {
  mkdir -p "$LOG_DIR" "$KAFKA_DIR"
  if kafka_ready; then
    if kafka_ours; then
      say "kafka: already running (pid $(pid_of "$KAFKA_PID"), $KAFKA_HOST:$KAFKA_PORT)"
    else
      say "kafka: something already answers on $KAFKA_HOST:$KAFKA_PORT (not started by this script); using it"
    fi
    return 0
  fi

  if kafka_ours; then
    say "kafka: process $(pid_of "$KAFKA_PID") exists but does not answer yet; waiting"
  else
    if port_open "$KAFKA_HOST" "$KAFKA_PORT" || port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT"; then
      die "kafka: port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by a process that is not a ready Kafka broker; \
free it (ss -ltnp | grep -E ':909[23]') and rerun $0 start"
    fi
    ensure_java_installed
    ensure_kafka_libs
    [ -f "$KAFKA_LOG" ] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
    : >"$KAFKA_LOG"
    prepare_kafka_config
    say "kafka: starting on $KAFKA_HOST:$KAFKA_PORT (data $KAFKA_DATA, log $KAFKA_LOG)"
    # The inner bash writes its own pid (= java's after exec) to $KAFKA_PID.
    # shellcheck disable=SC2086,SC2016
    setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID" \
      "$JAVA" $KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$KAFKA_CONF_SRC/log4j2.yaml" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" \
      </dev/null >>"$KAFKA_LOG" 2>&1 &
  fi

  local waited=0
  until kafka_ready; do
    if [ "$waited" -ge "$KAFKA_START_TIMEOUT" ]; then
      tail -n 40 "$KAFKA_LOG" >&2 || true
      die "kafka did not become ready in ${KAFKA_START_TIMEOUT}s (log above, full log $KAFKA_LOG). Try: $0 stop && $0 start"
    fi
    if [ "$waited" -gt 3 ] && ! kafka_ours; then
      tail -n 40 "$KAFKA_LOG" >&2 || true
      die "kafka exited during startup (log above, full log $KAFKA_LOG). \
If the storage is broken: $0 stop; rm -rf $KAFKA_DATA $KAFKA_CLUSTER_ID_FILE; $0 start"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "kafka: up (pid $(pid_of "$KAFKA_PID"), ${waited}s)"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  local t0=$SECONDS
  mkdir -p "$LOG_DIR"
  case "${1:-all}" in
    kafka) start_kafka; return 0 ;;
    mariadb) start_mariadb; return 0 ;;
  esac
  if port_open "$DB_HOST" "$DB_PORT" && kafka_ready; then
    say "mariadb ($DB_HOST:$DB_PORT) and kafka ($KAFKA_HOST:$KAFKA_PORT) already running"
    ensure_mariadb_client_only
    ensure_mdb_database
    return 0
  fi
  start_mariadb
  start_kafka
  say "all services up in $((SECONDS - t0))s: mariadb $DB_HOST:$DB_PORT db=$DB_NAME user=$DB_USER; kafka $KAFKA_HOST:$KAFKA_PORT"
}

cmd_stop() {
  local which="${1:-all}"
  if [ "$which" != mariadb ]; then stop_pidfile kafka "$KAFKA_PID" kafka.Kafka 60; fi
  if [ "$which" != kafka ]; then stop_pidfile mariadb "$MDB_PID" mariadbd 60; fi
}

cmd_status() {
  local rc=0
  if port_open "$DB_HOST" "$DB_PORT"; then
    if mdb_ours; then say "mariadb: up ($DB_HOST:$DB_PORT, pid $(pid_of "$MDB_PID"), started by this script)"
    else say "mariadb: up ($DB_HOST:$DB_PORT, not started by this script)"; fi
  else
    say "mariadb: down"; rc=1
  fi
  if kafka_ready; then
    if kafka_ours; then say "kafka: up ($KAFKA_HOST:$KAFKA_PORT, pid $(pid_of "$KAFKA_PID"), started by this script)"
    else say "kafka: up ($KAFKA_HOST:$KAFKA_PORT, not started by this script)"; fi
  elif kafka_ours; then
    say "kafka: starting (pid $(pid_of "$KAFKA_PID"), not answering yet)"; rc=1
  else
    say "kafka: down"; rc=1
  fi
  return "$rc"
}

case "${2:-all}" in
  all|kafka|mariadb) ;;
  *) echo "usage: $0 start|stop|status|restart [kafka|mariadb]" >&2; exit 2 ;;
esac
case "${1:-}" in
  start) cmd_start "${2:-all}" ;;
  stop) cmd_stop "${2:-all}" ;;
  restart) cmd_stop "${2:-all}"; cmd_start "${2:-all}" ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status|restart [kafka|mariadb]" >&2; exit 2 ;;
esac
