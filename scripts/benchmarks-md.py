#!/usr/bin/env python3
"""Writes BENCHMARKS.md from what `make bench` printed (scripts/bench): DIR holds
criterion.txt, bill.txt and ingest-1.txt to ingest-3.txt; each ingestion figure is
the median of the three runs. The before figures are fixed: they were measured with
the same runs on the commit before issue 13's first change to call-records (BEFORE)."""
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

# Issue 13's targets: us/record, ms, and the bill's ms of CPU.
TARGETS = {"single": 200, "batch": 100, "batch100@5ms": 60, "init": 25, "bill": 25}

# Measured three times on 507a746 (`CALL_RECORDS_BIN=<its release build>`, the same
# run) on 2026-11-25: the range of the three. It is the commit before issue 13's first
# change to call-records (4b92858, the start-up probe; 2340249 then sent a batch's
# records 32 at a time). It reports no capacity units. The bill: issue 13's figure, and
# 50 ms at 925e2e2, the first commit whose bill run serves the release binary.
BEFORE = {
    "single": "525–575 us/record",
    "batch": "340–350 us/record",
    "batch100@5ms": "1232–1299 ms (starts 627–685 ms, ends 1268–1337 ms)",
    "init": "4.6–4.7 ms, no probe",
    "first": "12.5–12.6 ms, second 6.7–6.8 ms; a process's first minus its second +5.74 to +5.85 ms: it opens the connection",
    "bill": "58 ms (issue 13); 50 ms at 925e2e2",
}


def read(directory, name):
    with open(os.path.join(directory, name), encoding="utf-8") as f:
        return f.read()


def median(values):
    return sorted(values)[len(values) // 2]


def main(directory):
    bill, criterion = (read(directory, n) for n in ("bill.txt", "criterion.txt"))
    runs = [read(directory, f"ingest-{run}.txt") for run in (1, 2, 3)]
    ingest = "\n\n".join(runs)
    lasts = [[l for l in run.splitlines() if l.startswith("ingest: ")][-1] for run in runs]
    keys = ("single", "batch", "batch100@5ms", "init", "wcu/call", "rcu/call")
    figure = "(" + "|".join(map(re.escape, keys)) + r") ([0-9.]+)"
    last_lines = [dict(re.findall(figure, l)) for l in lasts]
    figures = {k: median([float(f[k]) for f in last_lines]) for k in keys}
    def per_run(pattern, group=1):
        return [float(re.search(pattern, run).group(group)) for run in runs]
    def each(pattern, group=1):
        return median(per_run(pattern, group))
    single_ms = each(r"median ([0-9.]+)ms a request")
    # The first-request lines come three times: as they are for the second request
    # right away, begun with "after another start-up: " for the second request after
    # another process's start-up, and with "each after two writes: " for each
    # request right after writes straight to DynamoDB Local.
    def first_requests(prefix):
        start = "(?m)^" + re.escape(prefix)
        times = start + r"first request after init @5ms, [0-9]+ fresh processes: median ([0-9.]+)ms .*second: median ([0-9.]+)ms"
        parts = ("the function before DynamoDB", "the proxy's hold", "DynamoDB Local's answer", "the proxy's relay",
                 "the function after DynamoDB")
        faults = start + r"page faults of the first request after init: median ([0-9]+); of the second: median ([0-9]+)"
        parts_runs = {part: per_run(start + "of that.*" + re.escape(part) + r" ([-+0-9]+) us") for part in parts}
        def in_us(what):
            """A line of the run's `in_us`: the first's median, the second's, and the paired one."""
            line = start + re.escape(what) + r" first request after init: median ([0-9]+) us; of the second: median ([0-9]+) us; a process's first minus its second: median ([-+0-9]+) us"
            return tuple(each(line, group) for group in (1, 2, 3))
        paired_runs = per_run(start + r"first request after init @5ms.*a process's first minus its second: median ([-+0-9.]+) ms")
        return {
            "processes": int(each(start + r"first request after init @5ms, ([0-9]+) fresh processes")),
            "first": each(times, 1),
            "second": each(times, 2),
            "paired": median(paired_runs),
            "paired_runs": paired_runs,
            "parts": {part: median(runs) for part, runs in parts_runs.items()},
            "answer_runs": parts_runs["DynamoDB Local's answer"],
            "faults": (each(faults, 1), each(faults, 2)),
            "cpu": in_us("function CPU of the"),
            "wait": in_us("the function's wait for a CPU while ready to run,"),
        }
    right_away, after_start_up = first_requests(""), first_requests("after another start-up: ")
    after_writes = first_requests("each after two writes: ")
    def answer_part(f):
        """The median of DynamoDB Local's part, and each run's: it moves by tens of us from run to run."""
        answer = f["parts"]["DynamoDB Local's answer"]
        return f"{answer:+.0f} us (the runs: {', '.join(f'{us:+.0f}' for us in f['answer_runs'])} us)"
    like_for_like = (
        "Against a second that also comes after a start-up (the second pairing), the first is no slower"
        if after_start_up["paired"] <= 0 else
        "Even against a second that also comes after a start-up (the second pairing), the first is the slower"
    )
    first_processes = right_away["processes"]
    init_processes = int(each(r"init \(start to first poll\), ([0-9]+) processes"))
    batch_ms = each(r"median ([0-9.]+)ms a batch")
    alone = r"DynamoDB Local alone .*?([0-9]+) transactions each: answered ([0-9]+) us after ([0-9.]+)ms without a write .*?, ([0-9]+) us after ([0-9.]+)ms .*the later ([-+0-9]+) us"
    alone_rounds = int(each(alone, 1))
    alone_sooner, alone_sooner_ms, alone_later, alone_later_ms, alone_more = (each(alone, g) for g in range(2, 7))
    hold = each(r"\(held ([0-9.]+)ms, median\)")
    warm_up = r"DynamoDB Local warm-up: ([0-9]+) rounds of [0-9]+ calls in ([0-9.]+)s"
    warm_up_rounds, warm_up_seconds = int(each(warm_up, 1)), each(warm_up, 2)
    batches = int(each(r"batch100@5ms: ([0-9]+) batches"))
    bill_runs = int(re.search(r"bill of [0-9]+ calls, ([0-9]+) runs", bill).group(1))
    def by_kind(label):
        """A batch-at-5-ms figure for a batch of starts and for one of ends (medians)."""
        pattern = re.escape(label) + r": a batch of starts ([0-9.]+)ms, of ends ([0-9.]+)ms"
        return each(pattern, 1), each(pattern, 2)
    start_batches, end_batches = by_kind("in the function")
    start_answer, end_answer = by_kind("DynamoDB Local's longest answer")
    start_at_work, end_at_work = by_kind("DynamoDB Local at work on one of the batch's requests")
    start_alone, end_alone = by_kind("the function alone, with none outstanding")
    start_less, end_less = by_kind("the batch less DynamoDB Local's time")
    ends_met = end_batches <= TARGETS["batch100@5ms"]
    ends_over = "" if ends_met else (
        f"\nSo batches of ends take over {TARGETS['batch100@5ms']} ms here, most of it DynamoDB Local's; the figure in the\n"
        "table is the median of both kinds."
    )
    refused = each(r"([0-9]+) us for a refused record")
    breakdown_requests = int(each(r"([0-9]+) requests each, one at a time"))
    one_read = each(r"([0-9]+) us for an unknown call")
    summary = (
        f"ingest: single {figures['single']:.0f} us/record, batch {figures['batch']:.0f} us/record, "
        f"batch100@5ms {figures['batch100@5ms']:.1f} ms, init {figures['init']:.1f} ms, "
        f"wcu/call {figures['wcu/call']:.2f}, rcu/call {figures['rcu/call']:.2f}"
    )
    bill_ms = float(re.search(r"mean bills-function CPU per whole bill: ([0-9.]+)ms", bill).group(1))
    wcu, rcu = figures["wcu/call"], figures["rcu/call"]

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

    def met(after, target):
        return "yes" if after <= target else "**no**"
    def target(key, after):
        """The table's target and met cells."""
        return f"≤ {TARGETS[key]} | {met(after, TARGETS[key])}"
    def pairing_row(label, f):
        parts = " / ".join(f"{us:+.0f}" for us in f["parts"].values())
        return (
            f"| {label} | {f['processes']} | {f['first']} ms | {f['second']} ms | **{f['paired']:+.2f} ms** | {parts} | "
            f"{f['cpu'][0]:.0f} / {f['cpu'][1]:.0f} / {f['cpu'][2]:+.0f} | {f['wait'][0]:.0f} / {f['wait'][1]:.0f} / "
            f"{f['wait'][2]:+.0f} | {f['faults'][0]:.0f} / {f['faults'][1]:.0f} |"
        )
    first_verdict = (
        f"The first request after init is no slower than the second: {right_away['paired']:+.2f} ms."
        if right_away["paired"] <= 0 else
        f"Deliver 3's first-request figure is not met here: the first request after init takes\n"
        f"{right_away['paired']:.2f} ms longer than the second (each process's first minus its second, the median over\n"
        f"{first_processes} processes; the three runs {', '.join(f'{ms:+.2f}' for ms in right_away['paired_runs'])} ms). "
        f"[The first request after init](#the-first-request-after-init) says where it goes."
    )

    batch_runs = ", ".join(f"{float(line['batch100@5ms']):.1f}" for line in last_lines)
    batch_verdict = (
        "" if figures["batch100@5ms"] <= TARGETS["batch100@5ms"] else
        f"\n\nDeliver 2's figure is not met in this run: {figures['batch100@5ms']:.1f} ms (the three runs "
        f"{batch_runs} ms). The function's own part of a\n"
        f"batch, less DynamoDB Local's time, is {start_less:.1f} ms for starts and {end_less:.1f} ms for ends; the rest is "
        f"DynamoDB Local's\n([Batches behind the 5 ms proxy](#batches-behind-the-5-ms-proxy))."
    )

    print(f"""# Benchmarks

Written by `make bench` ({datetime.date.today()}) on {machine}. Release builds, each function built
as `sam build` builds it (`-p`: no test-only features); an in-memory DynamoDB Local started
for each run. The after column and every run's output below come from that `make bench`;
`scripts/bench` holds the commands it runs, and `make bench` reproduces them. The before
column is fixed: the same runs against the release build of 507a746, the commit before
issue 13's first change to call-records (`CALL_RECORDS_BIN=<that build>`), three times on
2026-11-25 (issue 13 itself measured 855 and 405 us/record with `cargo lambda watch
--release`). What explains some of these figures, found with diagnostic builds and
settings that `make bench` does not repeat, is in
[docs/benchmark-investigations.md](docs/benchmark-investigations.md), dated.

## Issue 13's figures

| deliver | figure | before | after | target | met |
|---|---|---|---|---|---|
| 1 | function CPU per record, single-record POSTs (2,000 records of 1,000 calls, shuffled, 8 clients) | {BEFORE['single']} | {figures['single']:.0f} us/record | {target('single', figures['single'])} |
| 1 | function CPU per record, batches of 100 (2,000 more records the same way) | {BEFORE['batch']} | {figures['batch']:.0f} us/record | {target('batch', figures['batch'])} |
| 2 | a batch of 100 records of 100 calls, 5 ms added to each DynamoDB request (median of {batches}: {batches // 2} batches of starts, {batches // 2} of the same calls' ends) | {BEFORE['batch100@5ms']} | {figures['batch100@5ms']:.1f} ms (starts {start_batches:.1f} ms, ends {end_batches:.1f} ms) | {target('batch100@5ms', figures['batch100@5ms'])}{'' if ends_met else '; a batch of ends alone: **no** (below)'} |
| 3 | init: process start to first poll, with the start-up probe (median of {init_processes} processes) | {BEFORE['init']} | {figures['init']:.1f} ms | {target('init', figures['init'])} |
| 3 | the first request after init, 5 ms added, and the second right after it (median of {first_processes} fresh processes) | {BEFORE['first']} | {right_away['first']} ms, second {right_away['second']} ms; a process's first minus its second {right_away['paired']:+.2f} ms | first ≤ second | {met(right_away['paired'], 0)} |
| 5 | bills-function CPU for a 10,000-call bill in 10 pages (mean of {bill_runs}) | {BEFORE['bill']} | {bill_ms} ms | {target('bill', bill_ms)} |

The after column is the median of three ingestion runs, whose last lines' medians are:

```
{summary}
```

{first_verdict}{batch_verdict}

## Reproducing a figure

`make bench` runs all of them and writes this file. One at a time, from the repository's root:

| figures | command |
|---|---|
| Deliver 1, 2 and 3, the capacity units and each run's output | `cargo build --release --locked -p call-records && cargo build --release --locked -p callbill-tests --example ingest_load && scripts/with-dynamodb-local target/release/examples/ingest_load` (two builds, so that the function gets only its own features; the first and second requests alone: `INGEST_FIRST_ONLY=1`; the batches behind the proxy alone: `INGEST_BATCH_ONLY=1`; a before figure: `CALL_RECORDS_BIN=<an earlier release build>`) |
| Deliver 5, the bill | `make bench-bill` |
| pricing and bill rendering | `cargo bench --locked -p callbill --bench bill --bench pricing` |

## How the ingestion run measures

`tests/examples/ingest_load.rs` runs `target/release/call-records` as Lambda runs it: the
process polls a Runtime API served by the run, one event at a time. CPU is the function
process's user and system time from `/proc/<pid>/stat` (for a process's first and second
requests, its threads' `schedstat`, to the nanosecond); time in the function runs from its taking an event
(`/next`) to its answer. On this 2-core machine DynamoDB Local's JVM shares the
function's cores, and the function's CPU per record varies from run to run, so the table
compares medians.

Each run first warms DynamoDB Local: rounds of single records, each round through a fresh
process, until its JVM's JIT compiler threads use under 2 % of a round's time (read from
/proc; at most 90 s). That took {warm_up_rounds} rounds in {warm_up_seconds:.0f} s (medians).

The delay proxy (`callbill_tests::delay_proxy`, on 127.0.0.1) holds each DynamoDB request
{hold:.2f} ms (median) before passing it on, and a new connection's first bytes one delay
more, as a client waits a round trip for TCP's handshake before it sends (TLS's round
trips, which DynamoDB also needs, are left out); a connection's opening counts in its
first request's part before DynamoDB. Each of the function's connections is new to it,
as it would be to DynamoDB; it passes requests on over a connection to DynamoDB Local
that an earlier connection used, once that one closed with every request answered, as
DynamoDB's front end passes requests on over connections that serve others all the time.

## Batches behind the 5 ms proxy

A batch of starts is one transaction of 100 actions, one for each call (the run's
records carry no record id). A batch of ends completes its 100 calls: one BatchGetItem
reads them, then transactions of up to 100 actions, sent at once, write them (the
completed calls and their subscribers' bill summaries). A batch of starts took
{start_batches:.1f} ms, one of ends {end_batches:.1f} ms (medians of {batches // 2}). On the proxy's clock, DynamoDB Local
had at least one of the batch's requests in hand for {start_at_work:.1f} ms of a batch of starts and
{end_at_work:.1f} ms of one of ends; its longest answer to one request was {start_answer:.1f} ms and {end_answer:.1f} ms.
The function worked with none of its requests outstanding for {start_alone:.1f} ms and {end_alone:.1f} ms; the
rest is the proxy's holds, one for each round of requests, and its relays. So a batch
less DynamoDB Local's own time, as it would take if the store answered the moment the
5 ms were up, is {start_less:.1f} ms for starts and {end_less:.1f} ms for ends: two rounds of requests for
ends (the read, then the writes), one for starts, not 100.{ends_over}

## Where a single record's CPU goes

Medians of the three runs, {breakdown_requests:,} requests each, one at a time: a request that reaches no
DynamoDB (a refused record) costs {refused:.0f} us: the Runtime API's two requests, the event, the
answer and the log lines. A read of an unknown call, one GetItem, costs {one_read:.0f} us, so one
DynamoDB request costs about {one_read - refused:.0f} us. A start is one TransactWriteItems, an end a
GetItem and one; a start that finds its call already opened by its end sends a second.
These two requests go over the store's own wire (`shared/src/store/wire`): DynamoDB's JSON
protocol with the SDK's credentials and HTTP connector and a SigV4 signature held to the
SDK's signer, without the SDK's per-request orchestration. Profiles, before and after,
are in the investigations.

## The first request after init

The probe opens the DynamoDB connection at init, so the first request pays no handshake:
each process opens one connection, and the run fails unless it carries the probe and
both requests. Each fresh process gets two start records behind the 5 ms proxy, in one of
three pairings, taken in turn:
- **right after**: the first once the process has initialised, the second as soon as the
  first is answered (the figure in the table above);
- **after another start-up**: the second only after another process has started and
  initialised, as the first came after its own start-up, so that the machine does the
  same work before either and DynamoDB Local sees one probe and no write;
- **each after two writes**: as right after, but each request right after two
  transactions of the run's own, straight to DynamoDB Local and 6 ms apart, as the
  second comes after the first's.

Each request's time is split on the proxy's clock: the function from taking the event to
its transaction reaching the proxy, the hold, DynamoDB Local's answer, the relay back, and
the function from the answer to answering the event (with the Runtime API's part).
Medians over the processes, then over the three runs:

| pairing | processes | first | second | first − second | split, us: function before / hold / DynamoDB Local / relay / function after | function CPU, us: first / second / paired | wait for a core, us: first / second / paired | page faults: first / second |
|---|---|---|---|---|---|---|---|---|
{pairing_row("right after", right_away)}
{pairing_row("after another start-up", after_start_up)}
{pairing_row("each after two writes", after_writes)}

DynamoDB Local alone, with no function and no proxy ({alone_rounds} transactions of each, in random
order, medians), answered a transaction {alone_later:.0f} us after {alone_later_ms:.1f} ms without a write, as long
as a first request comes after the last process's write, and {alone_sooner:.0f} us after {alone_sooner_ms:.1f} ms, as a
second sent right after comes after the first's: {alone_more:+.0f} us. The probe at init writes
nothing and takes part of that off. So a second request sent right after the first finds
DynamoDB Local, and the function's caches, warmer than a first can, since a first comes
after a process start; in the right-after pairing DynamoDB Local's answer is
{answer_part(right_away)} of the difference and the function's wait for one of the two cores it
shares with DynamoDB Local {right_away['wait'][2]:+.0f} us. {like_for_like}: {after_start_up['paired']:+.2f} ms.
The function runs the same instructions for both requests (callgrind's count is in the
investigations, with every change tried against the difference).

## Each run's output

```
{ingest.strip()}
```

## Cost per million calls

DynamoDB request units as the function's `ReadCapacityUnits`/`WriteCapacityUnits` metrics
report them (`ReturnConsumedCapacity`): {wcu:.2f} write and {rcu:.2f} read units a completed
call (a transactional write costs two units per item, and the indexes' entries count).
Prices: on-demand writes ${WRITE_UNIT:.3f} and reads ${READ_UNIT:.3f} per million units; Lambda arm64
${LAMBDA_GB_SECOND:.10f} per GB-second at {int(MEMORY_GB * 1024)} MB and ${LAMBDA_REQUESTS:.2f} per million
requests; HTTP API ${HTTP_API_REQUESTS:.2f} per million requests. Lambda time is the median time in
the function here ({single_ms} ms a single record, {batch_ms} ms a batch); on Lambda it runs on
a share of a core and waits on DynamoDB's real latency, so treat it as a floor.

| per million calls | DynamoDB | Lambda | HTTP API | total |
|---|---|---|---|---|
| two single-record POSTs a call | ${storage:.2f} | ${single_lambda:.2f} | ${single_api:.2f} | ${storage + single_lambda + single_api:.2f} |
| batches of {RECORDS_PER_BATCH} records | ${storage:.2f} | ${batch_lambda:.2f} | ${batch_api:.2f} | ${storage + batch_lambda + batch_api:.2f} |

## Bills

`tests/examples/bill_load.rs`: one subscriber-month of 10,000 calls fetched whole
(`limit=1000`, 10 pages) from `target/release/bills` run as Lambda runs it, against
DynamoDB Local, {bill_runs} times after one warm-up; CPU is the bills process's, from /proc.

```
{bill.strip()}
```

## Pricing and bill rendering (criterion)

`cargo bench -p callbill --bench bill --bench pricing`: the time of one run, with criterion's 95 % confidence interval.

| benchmark | time | interval |
|---|---|---|
{chr(10).join(f"| {name} | {estimate} | {low} – {high} |" for name, low, estimate, high in criterion_results(criterion))}
""")


def criterion_results(output):
    """Each benchmark's name and criterion's (low, estimate, high) times, from what
    `cargo bench` printed. Criterion prints the name before `time:` on the same line
    when it is short, else on the line above."""
    results, line_before = [], ""
    for line in output.splitlines():
        found = re.match(r"^(\S.*?)?\s+time:\s+\[(\S+ \S+) (\S+ \S+) (\S+ \S+)\]$", line)
        if found:
            name = found.group(1) or line_before.strip()
            if not name or name.startswith("Benchmarking"):
                raise SystemExit(f"criterion printed a time without a benchmark's name: {line!r}")
            results.append((name, *found.group(2, 3, 4)))
        if line.strip():
            line_before = line
    if not results:
        raise SystemExit("criterion printed no results")
    return results


if __name__ == "__main__":
    main(sys.argv[1])
