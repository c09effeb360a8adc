#!/usr/bin/env python3
"""Writes BENCHMARKS.md from what `make bench` printed (scripts/bench): DIR holds
criterion.txt, bill.txt and ingest.txt. The before figures are fixed: they were
measured once with the same runs on the commit before issue 13's work."""
import datetime
import os
import platform
import re
import sys

# On-demand prices, us-east-1: DynamoDB per million write/read request units;
# Lambda arm64 per GB-second and per million requests; HTTP API per million requests.
WRITE_UNIT, READ_UNIT = 0.625, 0.125
LAMBDA_GB_SECOND, LAMBDA_REQUESTS, HTTP_API_REQUESTS = 0.0000133334, 0.20, 1.00
MEMORY_GB = 256 / 1024  # template.yaml's MemorySize
RECORDS_PER_BATCH = 100

# Measured on 82220f7 with `CALL_RECORDS_BIN=<its release build>` and the same run.
BEFORE = {
    "single": "860 us/record",
    "batch": "470 us/record",
    "batch100@5ms": "207.5 ms",
    "init": "14.5 ms",
    "bill": "58 ms (issue 13)",
}


def read(directory, name):
    with open(os.path.join(directory, name), encoding="utf-8") as f:
        return f.read()


def main(directory):
    ingest, bill, criterion = (read(directory, n) for n in ("ingest.txt", "bill.txt", "criterion.txt"))
    last = [l for l in ingest.splitlines() if l.startswith("ingest: ")][-1]
    figures = dict(re.findall(r"(single|batch|batch100@5ms|init|wcu/call|rcu/call) ([0-9.]+)", last))
    single_ms = float(re.search(r"median ([0-9.]+)ms a request", ingest).group(1))
    batch_ms = float(re.search(r"median ([0-9.]+)ms a batch", ingest).group(1))
    bill_cpu = re.search(r"mean bills-function CPU per whole bill: ([0-9.]+)ms", bill)
    wcu, rcu = float(figures["wcu/call"]), float(figures["rcu/call"])

    storage = wcu * WRITE_UNIT + rcu * READ_UNIT
    def compute(requests_per_call, ms_per_request):
        lambda_cost = requests_per_call * (LAMBDA_REQUESTS + ms_per_request / 1000 * MEMORY_GB * LAMBDA_GB_SECOND * 1e6)
        return lambda_cost, requests_per_call * HTTP_API_REQUESTS
    single_lambda, single_api = compute(2, single_ms)
    batch_lambda, batch_api = compute(2 / RECORDS_PER_BATCH, batch_ms)

    cpu = "unknown"
    for line in open("/proc/cpuinfo", encoding="utf-8"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    machine = f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}"

    print(f"""# Benchmarks

Written by `make bench` ({datetime.date.today()}) on {machine}. Release builds; DynamoDB Local
(in memory) started for each run. Every figure below is reproduced by `make bench`; the
commands it runs are in `scripts/bench`.

## Ingestion (issue 13)

`tests/examples/ingest_load.rs` runs `target/release/call-records`, built with
`cargo build --release -p call-records` (the features `sam build` gives it), as Lambda runs
it: the process polls a Runtime API served by the run, one event at a time. CPU is the
function process's user and system time from `/proc/<pid>/stat`; time in the function runs
from its taking an event (`/next`) to its answer.

| figure | before | after | target |
|---|---|---|---|
| CPU per record, single-record POSTs (2,000 records of 1,000 calls, shuffled, 8 clients) | {BEFORE['single']} | {figures['single']} us/record | ≤ 200 |
| CPU per record, batches of 100 (2,000 more records the same way) | {BEFORE['batch']} | {figures['batch']} us/record | ≤ 100 |
| a batch of 100 records of 100 calls, 5 ms added to each DynamoDB request (median of 20) | {BEFORE['batch100@5ms']} | {figures['batch100@5ms']} ms | ≤ 60 |
| init: process start to first poll, with the start-up probe (median of 7) | {BEFORE['init']} | {figures['init']} ms | ≤ 25 |
| bills: CPU of the bills function for a 10,000-call bill in 10 pages (mean of 20) | {BEFORE['bill']} | {bill_cpu.group(1) if bill_cpu else '?'} ms | ≤ 25 |

Before: the same runs against the release build of commit 82220f7; issue 13 measured
855 and 405 us/record with `cargo lambda watch --release`.

```
{ingest.strip()}
```

### Cost per million calls

DynamoDB request units as the function's `ReadCapacityUnits`/`WriteCapacityUnits` metrics
report them (`ReturnConsumedCapacity`): {wcu:.2} write and {rcu:.2} read units a completed
call (a transactional write costs two units per item, and the indexes' entries count).
Prices: on-demand writes ${WRITE_UNIT} and reads ${READ_UNIT} per million units; Lambda arm64
${LAMBDA_GB_SECOND} per GB-second at {int(MEMORY_GB * 1024)} MB and ${LAMBDA_REQUESTS} per million
requests; HTTP API ${HTTP_API_REQUESTS} per million requests. Lambda time is the median time in
the function here ({single_ms} ms a single record, {batch_ms} ms a batch); on Lambda it runs on
a share of a core and waits on DynamoDB's real latency, so treat it as a floor.

| per million calls | DynamoDB | Lambda | HTTP API | total |
|---|---|---|---|---|
| two single-record POSTs a call | ${storage:.2} | ${single_lambda:.2} | ${single_api:.2} | ${storage + single_lambda + single_api:.2} |
| batches of {RECORDS_PER_BATCH} records | ${storage:.2} | ${batch_lambda:.2} | ${batch_api:.2} | ${storage + batch_lambda + batch_api:.2} |

## Bills

`tests/examples/bill_load.rs`: one subscriber-month of 10,000 calls fetched whole
(`limit=1000`, 10 pages) from `target/release/bills` run as Lambda runs it, against
DynamoDB Local, 20 times after one warm-up; CPU is the bills process's, from /proc.

```
{bill.strip()}
```

## Pricing and bill rendering (criterion)

```
{chr(10).join(l for l in criterion.splitlines() if re.search(r'time:|^[a-z].*/', l)).strip()}
```
""")


if __name__ == "__main__":
    main(sys.argv[1])
