"""Checks the fixes the local emulator carries (tools/cargo-lambda-watch), each
against the stock cargo-lambda 1.9.2 behaviour that lost or refused answers, or
stopped without a word:

- answer-after-reading: the emulator acknowledges a function's answer only once it
  has read all of it, and a client whose function dropped its answer halfway gets
  an error at once. RUNTIME_URL is an emulator started with --only-lambda-apis,
  and this script plays the function's runtime.
- base64-binary-bodies: a JSON body that is not UTF-8 reaches callbill, which
  answers 400 invalid_json in its envelope. API_URL is the whole local stack.
- stop-reason: started on a port it cannot bind, the emulator exits non-zero and
  says why. EMULATOR... is its command line but the port.

    python3 scripts/local-emulator.py RUNTIME_URL API_URL EMULATOR...
"""

import json
import select
import socket
import subprocess
import sys
import threading
import urllib.parse
import urllib.request

import local_http

runtime_url, api_url, emulator = sys.argv[1], sys.argv[2], sys.argv[3:]
FUNCTION = "call-records"
ANSWER_BYTES = 300_000
failures = []


def invoke_in_background():
    """A client request through the emulator; the answer lands in the list."""
    answer = []
    client = threading.Thread(target=lambda: answer.append(local_http.send("POST", runtime_url + "/v1/call-records", b"{}")))
    client.start()
    return client, answer


def take_invocation():
    """GET .../next as the function's runtime does: the id of the waiting request."""
    url = f"{runtime_url}/.rt/{FUNCTION}/2018-06-01/runtime/invocation/next"
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        return response.headers["lambda-runtime-aws-request-id"]


def start_answer(request_id, answer):
    """Opens the function's POST .../response with all its headers and half its body."""
    address = urllib.parse.urlsplit(runtime_url)
    connection = socket.create_connection((address.hostname, address.port), timeout=30)
    head = (f"POST /.rt/{FUNCTION}/2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\n"
            f"host: {address.netloc}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(answer)}\r\n\r\n").encode()
    connection.sendall(head + answer[: len(answer) // 2])
    return connection


def answered_within(connection, seconds):
    readable, _, _ = select.select([connection], [], [], seconds)
    return bool(readable)


def function_answer():
    body = json.dumps({"filler": "x" * ANSWER_BYTES})
    answer = {"statusCode": 200, "headers": {"content-type": "application/json"}, "cookies": [],
              "isBase64Encoded": False, "body": body}
    return json.dumps(answer).encode(), body


def acknowledged_only_when_read_whole():
    client, client_answer = invoke_in_background()
    answer, body = function_answer()
    connection = start_answer(take_invocation(), answer)
    acknowledged_early = answered_within(connection, 2)
    acknowledgement = connection.recv(200) if acknowledged_early else b""
    if acknowledged_early:
        failures.append(f"the emulator acknowledged half an answer: {acknowledgement!r}")
    connection.sendall(answer[len(answer) // 2:])
    if not acknowledged_early:
        acknowledgement = connection.recv(200) if answered_within(connection, 30) else b"nothing in 30 s"
    connection.close()
    if not acknowledgement.startswith(b"HTTP/1.1 200 OK"):
        failures.append(f"the function's whole answer was acknowledged with {acknowledgement!r}")
    client.join()
    status, _, client_body = client_answer[0]
    if (status, client_body) != (200, body.encode()):
        failures.append(f"the client did not get the function's answer: {status} {client_body[:200]!r}")


def half_an_answer_is_an_error():
    client, client_answer = invoke_in_background()
    answer, _ = function_answer()
    start_answer(take_invocation(), answer).close()
    client.join()
    status, _, client_body = client_answer[0]
    if status is None or status < 500:
        failures.append(f"a function's half answer did not reach the client as an error: {status} {client_body[:200]!r}")


def binary_json_reaches_callbill():
    status, headers, body = local_http.send("POST", api_url + "/v1/call-records", b'{"type": "start", "id": "\xff\xfe"}')
    content_type = headers.get("content-type", "")
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    if (status, code) != (400, "invalid_json") or not content_type.startswith("application/json"):
        failures.append(f"a JSON body that is not UTF-8 got {status} {content_type} {body[:200]!r}")


def a_taken_port_stops_it_with_the_reason():
    # The port a connection's own end holds, as when a random port falls in the
    # kernel's ephemeral range: stock 1.9.2 dropped the bind error and exited 0.
    with socket.create_server(("127.0.0.1", 0)) as listener, socket.create_connection(listener.getsockname()) as held:
        port = held.getsockname()[1]
        try:
            run = subprocess.run([*emulator, "--invoke-port", str(port)], capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            failures.append(f"started on port {port}, which a connection holds, the emulator ran on for 120 s")
            return
    output = run.stdout + run.stderr
    if run.returncode == 0 or "address already in use" not in output.lower():
        failures.append(f"started on port {port}, which a connection holds, the emulator exited {run.returncode}: {output[-300:]!r}")


for check in (acknowledged_only_when_read_whole, half_an_answer_is_an_error, binary_json_reaches_callbill,
              a_taken_port_stops_it_with_the_reason):
    before = len(failures)
    check()
    print(f"local emulator: {check.__name__}: {'ok' if len(failures) == before else 'FAILED'}")
for failure in failures:
    print(f"local emulator: {failure}", file=sys.stderr)
sys.exit(1 if failures else 0)
