# Shared settings for the local servers; sourced by infra/up, infra/down, ./run and ./test.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA="$ROOT/.data"
PG_PORT=${PG_PORT:-55432}
RABBIT_PORT=${RABBIT_PORT:-55672}
RABBIT_MGMT_PORT=${RABBIT_MGMT_PORT:-55673}
RABBIT_DIST_PORT=${RABBIT_DIST_PORT:-55674}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
RABBIT_DIR="$DATA/rabbitmq"
RABBIT_NODE="broker-dev@localhost"
export ERL_EPMD_ADDRESS=127.0.0.1

# PostgreSQL (and the dedicated servers the local backend starts) refuse to run as root: as root they run as the
# postgres user, which must be able to reach their data directories. When the checkout's parents are closed to it
# (e.g. under /root), the servers' data lives under /var/lib/esb/<hash> instead.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# The local PostgreSQL's unix socket lives in its data directory ($PG_DATA/.s.PGSQL.<port>) and a socket path holds at
# most 107 bytes: a checkout whose .data path is longer than 70 characters keeps its servers under /var/lib/esb/<hash>.
# (The dedicated servers' sockets live apart, under /tmp/esb-sockets, whatever the data root.)
if [ ${#DATA} -gt 70 ] || { [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; }; then
  SERVERS_DIR="/var/lib/esb/$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"
else
  SERVERS_DIR="$DATA/servers"
fi
PG_DATA="$SERVERS_DIR/postgres"
INSTANCES_DIR="$SERVERS_DIR/instances"

rabbit_env() {
  env HOME="$RABBIT_DIR/home" RABBITMQ_NODENAME="$RABBIT_NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$RABBIT_PORT" RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT" \
    RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia" RABBITMQ_LOG_BASE="$RABBIT_DIR/log" \
    RABBITMQ_PID_FILE="$RABBIT_DIR/rabbitmq.pid" RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins" RABBITMQ_CONF_ENV_FILE="$RABBIT_DIR/rabbitmq-env.conf" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" ERL_EPMD_ADDRESS=127.0.0.1 "$@"
}
rabbitmqctl_local() { rabbit_env /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBIT_NODE" "$@"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The settings the broker and the tests read (ASP.NET Core configuration through environment variables). A variable
# the user already set wins, as with dotenv tools and docker compose.
export_settings() {
  export_default ConnectionStrings__Postgres "Host=127.0.0.1;Port=$PG_PORT;Username=broker;Password=broker;Database=broker"
  export_default RabbitMq__Host 127.0.0.1
  export_default RabbitMq__Port "$RABBIT_PORT"
  export_default RabbitMq__ManagementPort "$RABBIT_MGMT_PORT"
  export_default RabbitMq__Username broker
  export_default RabbitMq__Password broker
  export_default Provisioners__Local__DataRoot "$INSTANCES_DIR"
}

export_default() { if [ -z "${!1+set}" ]; then export "$1=$2"; fi; }

# KEY=VALUE lines of a .env file, each exported unless the environment already has it.
load_dotenv() {
  local key value
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue ;; esac
    key=${line%%=*}; value=${line#*=}
    export_default "$key" "$value"
  done < "$1"
}
