"""`make chaos`: a bounded fault run against the local stack.

    python3 scripts/chaos.py API_URL DYNAMODB_PID PIDFILE -- DYNAMODB_COMMAND...

Posts the records of CALLS calls (shuffled, with ids) from 8 clients while
DynamoDB Local is paused (SIGSTOP) and later killed (SIGKILL) and restarted on its
data. Each fault comes when a share of the records has been answered, so that it
falls inside the load however fast callbill is, and each must cost the load at
least one answer (else the run proved nothing of it). Every answer is counted;
every 5xx must be a truthful 503: the envelope with code `unavailable` and
`Retry-After`. What failed is sent again (safe: every record has an id). Then every
record is sent once more (replays), and the run converges: every call completed
once at its quoted price, every bill exact. Bounded in count and time; stops by
itself.
"""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import local_http

api, dynamodb_pid, pidfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
dynamodb_command = sys.argv[sys.argv.index("--") + 1:]
CALLS, CLIENTS, DEADLINE = 300, 8, time.time() + 240
# Longer than a record waits on a DynamoDB that does not answer (a write's 3 s,
# then a read's 6 s, at most), so that every record in flight when the pause begins
# is answered 503 before it ends; a shorter pause lets a record's last try succeed
# after it, and the pause then costs the load nothing.
PAUSE = 12
SUBSCRIBERS = ["11991230001", "11991230002", "11991230003"]
statuses, problems, lock = Counter(), [], threading.Lock()
resent = Counter()
# The fault under way when an answer came, and the answers other than 200 and 201
# that came during each fault.
fault = None
failed_during = Counter()
# First-pass records answered for good; the faults wait on it.
answered, progress = 0, threading.Condition()


def send(method, path, body=None):
    return local_http.send(method, api + path, body, timeout=20)


def post_until_answered(record):
    """Posts a record until callbill answers it for good (bounded)."""
    for attempt in range(60):
        status, headers, body = send("POST", "/v1/call-records", record)
        with lock:
            statuses[status] += 1
            if status not in (200, 201) and fault:
                failed_during[fault] += 1
        if status in (200, 201):
            return status
        if status == 503:
            envelope = json.loads(body)
            retry_after = headers.get("retry-after")
            if envelope.get("error", {}).get("code") != "unavailable" or not retry_after:
                with lock:
                    problems.append(f"an untruthful 503: {dict(headers)} {body[:200]!r}")
            time.sleep(min(float(retry_after or 1), 2))
        elif status is None:
            time.sleep(0.5)  # no answer in time: callbill's is unknown
        else:
            with lock:
                problems.append(f"record {record['id']}: {status} {body[:300]!r}")
            return status
        with lock:
            resent[status] += 1
        if time.time() > DEADLINE:
            break
    with lock:
        problems.append(f"record {record['id']} never answered")
    return None


def first_pass(record):
    global answered
    status = post_until_answered(record)
    with progress:
        answered += 1
        progress.notify_all()
    return status


def when_answered(share):
    """Waits until `share` of the first pass is answered; False if the load ended first."""
    with progress:
        progress.wait_for(lambda: answered >= share * len(records), timeout=max(DEADLINE - time.time(), 0))
        return answered < len(records)


def during(name, seconds):
    global fault
    with lock:
        fault = name
    time.sleep(seconds)
    with lock:
        fault = None


def faults():
    if not when_answered(0.25):
        return
    print(f"chaos: pausing DynamoDB Local (pid {dynamodb_pid}) for {PAUSE} s, {answered} records answered", flush=True)
    os.kill(dynamodb_pid, signal.SIGSTOP)
    during("pause", PAUSE)
    os.kill(dynamodb_pid, signal.SIGCONT)
    if not when_answered(0.5):
        return
    print(f"chaos: killing DynamoDB Local, restarting it on its data in 3 s, {answered} records answered", flush=True)
    os.kill(dynamodb_pid, signal.SIGKILL)
    during("kill", 3)
    restarted = subprocess.Popen(dynamodb_command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
    with open(pidfile, "w") as out:
        out.write(str(restarted.pid))


rng = random.Random(2017)
calls = {}
records = []
for call_id in range(1, CALLS + 1):
    start = 1512086400 + rng.randrange(25 * 86400)  # December 2017
    end = start + rng.randrange(3 * 3600)
    subscriber = rng.choice(SUBSCRIBERS)
    calls[call_id] = (subscriber, start, end)
    records.append({"id": 2 * call_id - 1, "call_id": call_id, "timestamp": start, "source": subscriber,
                    "destination": "2133334444"})
    records.append({"id": 2 * call_id, "type": "end", "call_id": call_id, "timestamp": end})
rng.shuffle(records)

fault_thread = threading.Thread(target=faults, daemon=True)
fault_thread.start()
started = time.time()
with ThreadPoolExecutor(CLIENTS) as pool:
    list(pool.map(first_pass, records))
fault_thread.join()
for name in ("pause", "kill"):
    if not failed_during[name]:
        problems.append(f"the {name} cost the load no answer (it came after the load, or the load waited it "
                        "out): it proved nothing")
# Every record once more: replays (200) must change nothing. A record DynamoDB Local
# acknowledged within a millisecond of its kill can be missing after the restart (it
# answers before its write is on disk; 4 runs on 2026-11-25, each one such record):
# it is stored now (201).
with ThreadPoolExecutor(CLIENTS) as pool:
    again = list(pool.map(post_until_answered, records))
print(f"chaos: {2 * len(records)} records posted in {time.time() - started:.0f} s; answers {dict(statuses)}; "
      f"sent again {dict(resent)}; failed during the faults {dict(failed_during)}; "
      f"second pass {dict(Counter(again))}", flush=True)

# Convergence: each call completed once at its quoted price, each bill exact.
expected_bills = {s: [0, 0] for s in SUBSCRIBERS}
for call_id, (subscriber, start, end) in calls.items():
    status, _, quote = send("POST", "/v1/quote", {"start": start, "end": end})
    status_call, _, call = send("GET", f"/v1/calls/{call_id}")
    quote, call = json.loads(quote), json.loads(call)
    if status != 200 or status_call != 200 or call.get("status") != "completed" or call.get("price_cents") != quote.get("price_cents"):
        problems.append(f"call {call_id}: {status_call} {call} vs quote {quote}")
        continue
    expected_bills[subscriber][0] += 1
    expected_bills[subscriber][1] += quote["price_cents"]
for subscriber, (count, total) in expected_bills.items():
    status, _, bill = send("GET", f"/v1/bills/{subscriber}?period=2017-12&limit=1")
    bill = json.loads(bill)
    if status != 200 or (bill.get("call_count"), bill.get("total_cents")) != (count, total):
        problems.append(f"bill of {subscriber}: {status} {bill.get('call_count')} {bill.get('total_cents')} vs {count} {total}")
print(f"chaos: {CALLS} calls checked: {sum(c for c, _ in expected_bills.values())} completed at their quoted price; "
      f"bills {dict((s, tuple(v)) for s, v in expected_bills.items())}", flush=True)
for problem in problems[:20]:
    print(f"chaos: PROBLEM {problem}", file=sys.stderr)
print(f"chaos: {len(problems)} problems")
sys.exit(1 if problems else 0)
