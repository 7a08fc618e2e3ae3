#!/usr/bin/env bash
# `make run`: the whole system on this machine, end to end.
#   migrate, load the sample books, start the local Kafka broker (when KAFKA_BOOTSTRAP_SERVERS is
#   the local one), create the topic, then run the outbox relay and the trends and
#   recommendations consumers beside the web server.
# Ctrl-C stops everything this script started; a broker that was already running is left alone.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
ADDRESS="${RUN_ADDRESS:-127.0.0.1:8000}"
say() { printf '==> %s\n' "$*"; }

# The same default as the settings; the .env file may set it too.
kafka_servers="${KAFKA_BOOTSTRAP_SERVERS:-$(sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p' .env 2>/dev/null)}"
kafka_servers="${kafka_servers:-localhost:9092}"
database_url="${DATABASE_URL:-$(sed -n 's/^DATABASE_URL=//p' .env 2>/dev/null)}"

# With DEBUG off (the default) the site refuses to start without a real SECRET_KEY: make a
# random one once and keep it in .env (git-ignored), where every manage.py command finds it.
if [ -z "${SECRET_KEY:-}" ] && ! grep -q '^SECRET_KEY=' .env 2>/dev/null; then
  [ -s .env ] && [ -n "$(tail -c1 .env)" ] && echo >> .env
  echo "SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')" >> .env
  say "wrote a random SECRET_KEY to .env"
fi

children=()
stop_kafka=0
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait 2>/dev/null
  [ "$stop_kafka" = 1 ] && scripts/services.sh stop kafka
}
trap cleanup INT TERM EXIT

port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

case "$database_url" in
  *@127.0.0.1:3306/*|*@localhost:3306/*)
    scripts/services.sh start mariadb || { say "MariaDB did not start; see above."; exit 1; } ;;
esac

# Every process below writes its Prometheus series here, so that the site's /metrics shows the
# relay's and the consumers' too (prometheus_client's multiprocess mode).
export PROMETHEUS_MULTIPROC_DIR="$PWD/.services/run-metrics"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

$PY manage.py migrate --noinput || exit 1
$PY manage.py load_sample_books || exit 1
$PY manage.py collectstatic --noinput --verbosity 0 || exit 1

case "$kafka_servers" in
  localhost:9092|127.0.0.1:9092)
    if port_open 127.0.0.1 9092; then
      say "kafka: already running on 127.0.0.1:9092"
    elif scripts/services.sh start kafka; then
      stop_kafka=1
    else
      say "Kafka could not be started (see above; it needs Java 17 and Maven)."
      say "The site runs anyway: searches wait in the outbox until a broker answers."
    fi ;;
  *) say "kafka: using $kafka_servers" ;;
esac
$PY manage.py create_topic || say "The topic was not created; the relay retries until Kafka is up."

for worker in relay_events consume_trends consume_recommendations; do
  $PY manage.py "$worker" &
  children+=($!)
done
$PY manage.py runserver "$ADDRESS" --noreload &
children+=($!)
say "serving http://$ADDRESS/ — every search goes to the topic; Ctrl-C stops it all"
say "operating it: http://$ADDRESS/metrics, http://$ADDRESS/admin/pipeline/, manage.py check_workers --lag"
wait -n "${children[@]}"
