#!/usr/bin/env python3
"""Writes BENCHMARKS.md from what `make bench` printed (scripts/bench): DIR holds
criterion.txt, bill.txt and ingest-1.txt to ingest-3.txt; each ingestion figure is
the median of the three runs. The before figures are fixed: they were measured with
the same runs on the commit before issue 13's work (BEFORE)."""
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

# Measured three times on 82220f7 (`CALL_RECORDS_BIN=<its release build>`, the same
# run, DynamoDB Local warmed until its compilers were quiet) on 2026-11-24: the range
# of the three; in brackets, twice on 2026-11-23 with DynamoDB Local cold (and the
# proxy's 6.1 ms hold). It has no start-up probe, and no capacity lines. The bill:
# issue 13's figure, and 50 ms at 925e2e2, the first commit whose bill run serves the
# release binary (one thread already).
BEFORE = {
    "single": "570–595 us/record (cold: 785–845)",
    "batch": "275–310 us/record (cold: 405–465)",
    "batch100@5ms": "121–134 ms (cold: 174–182)",
    "init": "6.6–7.9 ms, no probe (cold: 14.2–15.1)",
    "first": "9.0 ms, second 8.7–8.8 ms",
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
        return {
            "processes": int(each(start + r"first request after init @5ms, ([0-9]+) fresh processes")),
            "first": each(times, 1),
            "second": each(times, 2),
            "paired": each(start + r"first request after init @5ms.*a process's first minus its second: median ([-+0-9.]+) ms"),
            "parts": {part: median(runs) for part, runs in parts_runs.items()},
            "answer_runs": parts_runs["DynamoDB Local's answer"],
            "faults": (each(faults, 1), each(faults, 2)),
            "cpu": in_us("function CPU of the"),
            "wait": in_us("the function's wait for a CPU while ready to run,"),
        }
    def first_requests_figures(f):
        return (
            f"{f['first']} ms, second {f['second']} ms; a process's first minus its second: median {f['paired']:+.2f} ms; "
            f"split: {', '.join(f'{part} {us:+.0f} us' for part, us in f['parts'].items())}; the function's CPU: first {f['cpu'][0]:.0f} us, second {f['cpu'][1]:.0f} us, "
            f"paired {f['cpu'][2]:+.0f} us; its wait for a CPU: first {f['wait'][0]:.0f} us, second {f['wait'][1]:.0f} us, "
            f"paired {f['wait'][2]:+.0f} us; page faults: first {f['faults'][0]:.0f}, second {f['faults'][1]:.0f}"
        )
    right_away, after_start_up = first_requests(""), first_requests("after another start-up: ")
    after_writes = first_requests("each after two writes: ")
    def function_part(f):
        return round(f["parts"]["the function before DynamoDB"] + f["parts"]["the function after DynamoDB"])
    def answer_part(f):
        """The median of DynamoDB Local's part, and each run's: it moves by tens of us from run to run."""
        answer = f["parts"]["DynamoDB Local's answer"]
        return f"{answer:+.0f} us (the runs: {', '.join(f'{us:+.0f}' for us in f['answer_runs'])} us)"
    like_for_like = (
        "The first request is no slower than a second that also comes after a start-up: init has\n"
        "warmed its process, while the second's process waited through another's start-up"
        if after_start_up["paired"] <= 0 else
        "Even against a second that also comes after a start-up, the first request is the slower here"
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
    ends_over = (
        "\nSo batches of ends take over 60 ms here, most of it DynamoDB Local's; the figure in the\n"
        "table is the median of both kinds." if end_batches > 60 else ""
    )
    refused = each(r"([0-9]+) us for a refused record")
    one_read = each(r"([0-9]+) us for an unknown call")
    summary = (
        f"ingest: single {figures['single']:.0f} us/record, batch {figures['batch']:.0f} us/record, "
        f"batch100@5ms {figures['batch100@5ms']:.1f} ms, init {figures['init']:.1f} ms, "
        f"wcu/call {figures['wcu/call']:.2f}, rcu/call {figures['rcu/call']:.2f}"
    )
    bill_cpu = re.search(r"mean bills-function CPU per whole bill: ([0-9.]+)ms", bill)
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
| CPU per record, single-record POSTs (2,000 records of 1,000 calls, shuffled, 8 clients) | {BEFORE['single']} | {figures['single']:.0f} us/record | ≤ 200 |
| CPU per record, batches of 100 (2,000 more records the same way) | {BEFORE['batch']} | {figures['batch']:.0f} us/record | ≤ 100 |
| a batch of 100 records of 100 calls, 5 ms added to each DynamoDB request (median of {batches}: {batches // 2} batches of starts, {batches // 2} of the same calls' ends) | {BEFORE['batch100@5ms']} | {figures['batch100@5ms']:.1f} ms (starts {start_batches:.1f} ms, ends {end_batches:.1f} ms); less DynamoDB Local's own time: starts {start_less:.1f} ms, ends {end_less:.1f} ms | ≤ 60 |
| init: process start to first poll, with the start-up probe (median of {init_processes}) | {BEFORE['init']} | {figures['init']:.1f} ms | ≤ 25 |
| first request after init, 5 ms added, the second right after it (median of {first_processes} fresh processes; before: of 15) | {BEFORE['first']} | {first_requests_figures(right_away)} | first ≤ second |
| the same, the second after another process's start-up, as the first came after its own (median of {after_start_up['processes']} more fresh processes, alternating with those above) | — | {first_requests_figures(after_start_up)} | first ≤ second |
| the same, each request right after two writes straight to DynamoDB Local, 6 ms apart (median of {after_writes['processes']} more fresh processes, alternating with those above) | — | {first_requests_figures(after_writes)} | first ≤ second |
| bills: CPU of the bills function for a 10,000-call bill in 10 pages (mean of {bill_runs}) | {BEFORE['bill']} | {bill_cpu.group(1) if bill_cpu else '?'} ms | ≤ 25 |

The proxy holds each request {hold:.2f} ms (median): it sleeps on tokio's timer, which
counts whole milliseconds and rounds up, only up to the last two milliseconds. Before
2026-11-24 it held 6.1 ms, which the 5 ms figures in the before column and in the
2026-11-23 runs below include.

Each of the function's connections is new to the proxy, as it would be to DynamoDB. The
proxy passes its requests on over a connection to DynamoDB Local that an earlier
connection used, once that one closed with every request answered, as DynamoDB's front
end passes requests on over connections that serve others all the time. DynamoDB Local
answers the first requests on a new connection more slowly: until 2026-11-25 each
process had a fresh one, and with each request right after two writes (the third
comparison below) a process's first transaction took DynamoDB Local +15, +73 and +58 us
longer than its second, against -10, -7 and -48 us on reused ones, and the first request
minus the second went from +0.08, +0.09 and +0.07 ms to -0.00, +0.02 and -0.01 ms (the
first-request part of the run alone, as `INGEST_FIRST_ONLY=1` runs it, three times each
way, alternately).

A batch of starts is one transaction of 100 actions. A batch of ends completes its 100
calls: one BatchGetItem reads them, then transactions of up to 100 actions, sent at once,
write them (a completed call's item and its subscriber's bill summary). A batch of
starts took {start_batches:.1f} ms, one of ends {end_batches:.1f} ms (medians of {batches // 2}). On the proxy's clock,
DynamoDB Local had at least one of the batch's requests in hand for {start_at_work:.1f} ms of a batch
of starts and {end_at_work:.1f} ms of one of ends; its longest answer to one request was {start_answer:.1f} ms and
{end_answer:.1f} ms. The function worked with none of its requests outstanding for {start_alone:.1f} ms and
{end_alone:.1f} ms; the rest is the proxy's holds, one for each round of requests, and its relays.
So a batch less DynamoDB Local's own time, as it would take if the store answered the
moment the 5 ms were up, is {start_less:.1f} ms for starts and {end_less:.1f} ms for ends: two rounds
of requests for ends (the read, then the writes), one for starts, not 100.{ends_over}

**Where a single record's CPU goes** (medians of the three runs, one request at a
time): a request that reaches no DynamoDB (a refused record) costs {refused:.0f} us: the Runtime
API's two requests, the event, the answer and the log lines. A read of an unknown call,
one GetItem, costs {one_read:.0f} us, so one DynamoDB request costs about
{one_read - refused:.0f} us. A start is one TransactWriteItems, an end a GetItem and one; a start
that finds its call already opened by its end sends a second. These two requests go
over the store's own wire (`shared/src/store/wire`): DynamoDB's JSON protocol with the
SDK's credentials and HTTP connector and a SigV4 signature held to the SDK's signer,
but not the SDK's orchestrator, whose per-request work made one GetItem cost about
145 us before (2026-11-24's first runs). The profile of single records at 1ed8127
(`perf record -a -g -F 2000` through an `INGEST_SINGLE_ONLY=1` run of a release build
with symbols and frame pointers, the function's samples only) is flat: no entry above
3.1 % (`_mi_page_malloc_zero`); by area, the kernel about a fifth (loopback TCP, epoll,
the log's pipe writes), hyper and `http` about a fifth, mimalloc a tenth, serde_json
8 %, formatting and tokio 5 % each, and tracing, the SigV4 signature and lambda_runtime
2 % each. Issue 13's profile, before: 47 % kernel (switches between tokio's threads,
epoll, futex wake-ups), 13 % libc, 39 % the binary.

After: the median of three runs; each run's output follows. Before: the same run
against the release build of commit 82220f7, three times; issue 13 measured 855 and 405
us/record with `cargo lambda watch --release`. On this 2-core machine DynamoDB Local's
JVM shares the function's cores, and the function's CPU per record varies by a third
between runs (345 to 570 us/record for the same single-record build in one evening),
so compare medians.

Each run first warms DynamoDB Local: rounds of 500 single records, each round through a
fresh process, until its JVM's JIT compiler threads use under 2% of a round's time (read
from /proc; at most 90 s). That took {warm_up_rounds} rounds in {warm_up_seconds:.0f} s (medians). A fresh DynamoDB
Local's compilers take about half a core for its first 20 to 30 s of load, and on two cores
that slowed the function beside it: the same build, four runs on one DynamoDB Local on
2026-11-24, 220 us/record in the first, 185–195 in the three after it. Runs before
2026-11-24 evening, and the bracketed before figures, had a cold DynamoDB Local.

Back to back on 2026-11-23, before and after alternately (cold, and the machine slower
than when the before column was measured):

| run | single us/record | batch us/record | batch100@5ms ms |
|---|---|---|---|
| before (82220f7) | 1025, 1120 | 560, 630 | 212.7, 215.6 |
| after (45f703f) | 655, 810 | 75, 65 | 61.7, 59.5 |

The store's wire, back to back on 2026-11-24 with `INGEST_SINGLE_ONLY=1` (the single-record
run only), each build alternately, three times (the second pairing while another build
ran on the machine, which slowed both alike):

| build | single us/record |
|---|---|
| the SDK for every request (d951d1e) | 445, 420, 410 |
| the wire, signed by `aws-sigv4` (546d004) | 255, 240, 320 |
| second pairing: the wire, signed by `aws-sigv4` (546d004) | 235, 255, 245 |
| second pairing: the wire with its own SigV4 (4c1f61c) | 225, 240, 230 |

**The first request after init.** The probe opens the DynamoDB connection at init, so the
first request pays no handshake. What is left of its difference from the second is split
in the table above on the proxy's clock, for each of {first_processes} fresh processes: the function
from taking the event to its transaction reaching the proxy, the hold, DynamoDB Local's
answer (from the transaction passed on to the first bytes of the answer), the relay back,
and the function from the answer to answering the event (with the Runtime API's part).
The function's CPU for each request is read to the nanosecond from its threads'
`schedstat`, and its page faults from /proc/<pid>/stat.

What call-records does at init for its first request: since 0288caf it answers itself a
quote and a refused record with the log held back (nothing is stored or written); since
5e43271 it answers them through lambda_http's adapter, to the JSON the runtime posts, so
the response conversion is not first-time code either; since 098ac98 it maps 256 KiB
of its stack, because the runtime polls a request 20 KiB deeper than init reaches and
those first touches were five page faults in the first request; and since 9868cea each
warm-up event gets a context made from the Runtime API's headers and runs inside
lambda_runtime's request span, as a real event does, so that the span's first use is
not in the first request either. With 201 fresh processes a build (a diagnostic run,
not committed; DynamoDB Local warmed by 3,000 records), the first request's extra
function CPU over the second's went from +35 and +21 us at fe8cc1e to +3 and +15 us
with the adapter and the stack, and its page faults from 7 to 0 or 1 (the one left is
glibc's `setenv` of the trace id, in lambda_runtime). Ten interleaved runs of this
benchmark for each build put that extra CPU at a median of +9.5 us before the request
span and +1.5 us after it.

With the second request sent right after the first, the first minus the second is a
median of {right_away['paired']:+.2f} ms, DynamoDB Local's answer {answer_part(right_away)} of it. That part is DynamoDB
Local's, not the function's: DynamoDB Local answers a transaction more slowly the longer it has
written nothing. Alone, with no function and no proxy ({alone_rounds} transactions of each, in
random order, medians), it answered a transaction {alone_later:.0f} us after {alone_later_ms:.1f} ms without a
write, as long as a first request comes after the process before it wrote (that process
stopped, this one started and initialised), and {alone_sooner:.0f} us after {alone_sooner_ms:.1f} ms, as a second
request sent right away comes after the first: {alone_more:+.0f} us. The probe at init, a
transaction that writes nothing, comes between, and takes part of that off. The
earlier diagnostics agree: 30 ms of quiet before each process made DynamoDB Local's part
+186, +212 and +201 us, against +31, +78 and +51 us without.

So a second request sent right after the first finds DynamoDB Local, and the function's
caches, warmer than a first request can find them, since a first comes after a process
start. The like-for-like comparison puts the same work before both: each of another
{after_start_up['processes']} fresh processes, alternating with the ones above, gets its second request only after
another process has started and initialised, as its first came after
its own start-up. Between the answer before and either request the machine does the same
work, and DynamoDB Local sees one probe and no write. The other process is stopped once
the second is answered: until 2026-11-24 it was stopped at once, and its exit ran beside
the second request (holding it moved this comparison from -0.20, -0.09 and -0.20 ms to
-0.10 and -0.09 ms in runs that evening, within their spread). Then the first minus the second is a
median of {after_start_up['paired']:+.2f} ms, DynamoDB Local's answer {answer_part(after_start_up)} of it,
and the function's CPU {after_start_up['cpu'][2]:+.0f} us.
{like_for_like}.
The comparison is not even in one way: before a first request the process's own init
ran last, before the second another process's init did, and the function's part before
DynamoDB is {after_start_up['parts']['the function before DynamoDB']:+.0f} us of the difference.

The third comparison takes most of DynamoDB Local's quiet spell out and leaves the
function as it is back to back (the proxy's reused connections take DynamoDB Local's
young connection out of all three): each of another {after_writes['processes']} fresh processes gets each of its
two requests right after two transactions of the run's own, straight to DynamoDB Local and 6 ms apart,
as a second request comes after the first's (with one write before each, the first's
was the slow one and the proxy's hold of the first request grew by 20 to 290 us). Then the
first minus the second is a median of {after_writes['paired']:+.2f} ms, DynamoDB Local's answer
{answer_part(after_writes)} of it, and the function's two parts, before and after DynamoDB,
{function_part(after_writes):+d} us together ({function_part(right_away):+d} us back to back). Of that, the function's
CPU is {after_writes['cpu'][2]:+.0f} us ({right_away['cpu'][2]:+.0f} us back to back), and its wait for a CPU while
ready to run (schedstat's run-queue time) {after_writes['wait'][2]:+.0f} us ({right_away['wait'][2]:+.0f} us): on two cores
shared with DynamoDB Local's JVM, the proxy and the run, the function waits about
{right_away['wait'][1]:.0f} us a request for a core, and a first request a little longer.
The extra CPU is the function's own,
and it is not in the handler: a diagnostic build (not committed) that timed the handler's
stages in 303 fresh processes on 2026-11-24 found each within 3 us of the second
request's (paired medians: from taking the request to sending its transaction +0.9 us,
the answer's parse +0.1 us, the response +0.4 us, the log lines +2.7 us). The rest is
outside the handler, where init's warm-up does not reach without a real event:
lambda_runtime taking its first event and posting its first answer over its Runtime API
client. A second diagnostic build (not committed) later the same day put the function's
instants and the run's on one clock (both `CLOCK_MONOTONIC`), in six runs of 101 fresh
processes on a slower spell of the machine (the first request's function CPU 200 to
370 us): the first was +0.12 to +0.16 ms slower, DynamoDB Local's answer +20 to
+146 us of it and the function's own time +20 to +39 us, spread over every stage by a
few microseconds each (paired medians, lowest to highest run): lambda_runtime taking the
event -7 to +11 us, the handler up to sending its transaction -2 to +5 us, reading
DynamoDB's answer off the connection +3 to +11 us, the answer's parse +0.1 us, the
response +1 to +2 us, the log lines +7 to +10 us, and lambda_runtime posting the answer
until the run has it +8 to +12 us. No one step stands out, as a first-time cost would;
every step is a little slower, as on caches still holding init's work rather than the
request's. Started 40 ms after the process before it was stopped (two runs, alternating
with two without the pause), the function's part grew to +33 and +54 us, against +20
and +24 us: the longer the machine has been quiet, the colder a first request finds it.

Three more changes were tried against that extra CPU on 2026-11-24 and left out, each
with the same run 3 to 6 times alternately against the build without it (not committed;
medians of the runs' paired medians): the start-up probe sent after the warm-up, just
before the first poll (+41 us against +13 us); the warm-up reading its events with
`serde_path_to_error`, as lambda_runtime reads an event (+14.5 us against +13 us); and,
besides that, a poll and an answer sent at init over lambda_runtime's own Runtime API
client type to a stand-in on 127.0.0.1 (+10 us, with the back-to-back figure +0.12 ms
against +0.13 ms, inside the runs' spread). The probe itself became a transaction whose
condition holds (a9d8b52), as a record's successful write is, instead of one cancelled
by its condition; in those runs DynamoDB Local's part of the back-to-back difference was
+67 to +93 us with it and +100 us without, within the runs' spread.

Two more were tried the same evening and left out: the delay proxy's last two milliseconds
slept with a timer slack of 1 ns instead of Linux's default 50 us (three runs each,
alternating): the proxy's hold of the first request minus the second's was -7, -0 and
-5 us without and +2, +2 and +9 us with, so the hold was not the first request's
extra time that evening; and a log line written at the end of init, so that the first
request's lines are not the process's first write to its log pipe: the log lines' part
of the difference went from +9 to +11 us to +5 to +6 us, and the whole difference
(+0.12 to +0.18 ms against +0.13 to +0.16 ms) stayed within the runs' spread.

A scheduler trace of the first-request part on 2026-11-25 (`perf sched record -a`, not
part of `make bench`; reused connections, the 97 processes whose second request was sent
right away) shows where DynamoDB Local's slower answer comes from: from a process's event
to DynamoDB's answer, DynamoDB Local's request threads (its Jetty threads and its SQLite
queue) were on a CPU a median 1,767 us for a first request and 1,623 us for a second
(paired +101 us), on the two cores the function shares. The function waited a median 13 us
for a core after its event woke it and 14 us after DynamoDB's answer (7 and 14 us for the
second), and ran 119 and 79 us in those two wakes (124 and 72 us). On the same evening,
DynamoDB Local pinned to one core and the run with the function to the other (`taskset`,
one run) did not take it out: the first minus the second +0.17 ms, DynamoDB Local's answer
+105 us of it; alone on one core, DynamoDB Local answered +587 us more slowly after 20 ms
without a write than after 6 ms.

Four more on the morning of 2026-11-25, each the first-request part alone
(`INGEST_FIRST_ONLY=1`), alternating with the build as it is, in a slower spell of the
machine (first minus second +0.07 to +0.17 ms as it is). None brought the first request to
the second, so none is kept:
- the guest's halt polling at the kernel's default of 200 us (this machine is a
  Firecracker guest booted with `haltpoll.guest_halt_poll_ns=0`), three runs each: +0.17,
  +0.17 and +0.12 ms with it against +0.13, +0.17 and +0.12 ms without; DynamoDB Local
  alone was no less slow after a quiet spell with it (+634 to +740 us) than without (+322
  to +596 us), so its slower answer is not its cores halting;
- mimalloc without transparent huge pages (`MIMALLOC_ALLOW_THP=0`; init faults in four
  2 MiB pages, 8 MiB of zeroed memory), three runs each: +0.10, +0.18 and +0.11 ms against
  +0.14, +0.14 and +0.15 ms;
- init reading no CA certificates (`SSL_CERT_DIR` unset and an empty `SSL_CERT_FILE`;
  otherwise rustls-native-certs reads the bundle and every file in `/etc/ssl/certs`, about
  150 here, which is about half of init's 5.7 ms of CPU), two runs each: +0.12 and
  +0.13 ms against +0.15 and +0.16 ms;
- a start-up probe that deletes the probe key under `attribute_not_exists` instead of
  checking it: it writes nothing either, but goes through DynamoDB Local's write path,
  three runs each: +0.09, +0.00 and +0.07 ms against +0.12, +0.07 and +0.14 ms, DynamoDB
  Local's answer +50, +14 and -52 us against +70, +47 and +20 us. It would also give a
  function that never deletes `dynamodb:DeleteItem`.

The function does no more work for its first request than for its second. The same
morning the first-request part ran with 3 processes a pairing, each process under
valgrind's callgrind, which counts every user-space instruction. The build was the release
build with symbols (`CARGO_PROFILE_RELEASE_STRIP=false`). Its counters were dumped before
each `lambda_runtime::types::Context::new`, where an event's handling starts, and before each
Runtime API call, where it ends. Over the 9 processes that took two events:
- handling the first event took 279,576 to 279,673 instructions;
- handling the second took 279,083 to 279,201;
- the difference, about 450 (0.16%), is glibc's first `setenv` of the trace id (its
  `malloc` and `realloc`) and mimalloc's page bookkeeping.
The first poll took 45,883 instructions and the second 30,152 to 30,154. That difference is
the Runtime API connection opened at the end of init, before the first event is sent.
So the first request's extra CPU time is the same user-space instructions run more slowly,
not more of them. Callgrind does not count the kernel's part, which holds the one page
fault and the Runtime API quick-ACK.

The page fault left in the first request is glibc's first `setenv` of the trace id, in
lambda_runtime; taking it at init needs `std::env::set_var`, which is `unsafe`, and the
workspace forbids unsafe code.

```
{summary}
```

```
{ingest.strip()}
```

### Cost per million calls

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

```
{chr(10).join(l for l in criterion.splitlines() if re.search(r'time:|^[a-z].*/', l)).strip()}
```
""")


if __name__ == "__main__":
    main(sys.argv[1])
