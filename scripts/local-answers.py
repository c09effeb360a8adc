"""Checks that the local stack loses no answer: bill pages of 1,000 lines and
batches of 100 records, sent by several clients at once; every answer must be
callbill's own (never the emulator's bare 500) and come within 30 s.

    python3 scripts/local-answers.py API_URL PAGES BATCHES
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor

import local_http

api, pages, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
SUBSCRIBER = "11991239999"
CALLS = 1000


def send(method, path, body=None):
    return local_http.send(method, api + path, body)


def records(first_call):
    out = []
    for call_id in range(first_call, first_call + 50):
        start = 1509494400 + call_id * 60  # November 2017
        out.append({"id": 2 * call_id - 1, "call_id": call_id, "timestamp": start,
                    "source": SUBSCRIBER, "destination": "2133334444"})
        out.append({"id": 2 * call_id, "type": "end", "call_id": call_id, "timestamp": start + 30})
    return {"records": out}


lost = []


def check(what, answer, want):
    status, headers, body = answer
    content_type = headers.get("content-type", "")
    if status != want or not content_type.startswith(("application/json", "text/csv")):
        lost.append((what, status, content_type, body[:200]))


started = time.time()
# Load one bill of 1,000 calls (20 batches), then replay batches and read pages.
with ThreadPoolExecutor(8) as pool:
    for answer in pool.map(lambda i: send("POST", "/v1/call-records/batch", records(1 + 50 * i)), range(CALLS // 50)):
        check("load", answer, 200)
    page = f"/v1/bills/{SUBSCRIBER}?period=2017-11&limit=1000"
    jobs = [("page", lambda: send("GET", page), 200)] * pages
    jobs += [("batch", (lambda i=i: send("POST", "/v1/call-records/batch", records(1 + 50 * (i % 20)))), 200)
             for i in range(batches)]
    for (what, _, want), answer in zip(jobs, pool.map(lambda job: job[1](), jobs)):
        check(what, answer, want)
seconds = time.time() - started
for what, status, content_type, body in lost[:10]:
    print(f"lost {what}: {status} {content_type} {body!r}", file=sys.stderr)
print(f"local-answers: {pages} pages of {CALLS} lines and {batches} batches of 100 in {seconds:.0f} s: "
      f"{len(lost)} lost or hung")
sys.exit(1 if lost else 0)
