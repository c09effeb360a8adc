//! The ingestion load run (issue 13): the release call-records binary run as Lambda
//! runs it (`callbill_tests::runtime_api`), against DynamoDB Local. Run it with
//! `make bench`, which builds the binary as `sam build` does and starts DynamoDB Local.
//!
//! - first, unmeasured, rounds of 500 records, each through a fresh process, until
//!   DynamoDB Local's JIT compilers are quiet (when it runs on this machine);
//! - init: process start to its first poll for an event, over fresh processes;
//! - single: 1,000 calls (2,000 records, shuffled) as single-record POSTs from 8
//!   clients, in CPU time of the function process per record (/proc);
//! - batch: 1,000 more calls the same way, 100 records a batch;
//! - batch100@5ms: behind a proxy that holds every DynamoDB request 5 ms, a batch
//!   of 100 records of 100 different calls, from taking the event to answering it,
//!   and how much of that DynamoDB Local was at work on the batch's requests;
//! - the first and second request of fresh processes behind that proxy: their
//!   time, CPU and page faults, and where the difference between them is, split
//!   on the proxy's clock (the function before and after DynamoDB, the hold,
//!   DynamoDB Local's answer, the relay); with the second request right away,
//!   after another process's start-up (as the first came after its own), and
//!   with each request right after writes straight to DynamoDB Local;
//! - DynamoDB Local alone: its answer to a transaction after as long without a
//!   write as before those first requests, and as before the second ones;
//! - where a request's CPU goes: a refused record (no DynamoDB request) and a read
//!   of an unknown call (one GetItem), one request at a time;
//! - DynamoDB capacity units per completed call, from the function's metric lines.
//!
//! `CALL_RECORDS_BIN` names another binary (an earlier build, for a before figure);
//! `INGEST_SINGLE_ONLY` stops after the single-record run (for profiling it);
//! `INGEST_FIRST_ONLY` runs only the first and second requests of fresh processes
//! and DynamoDB Local alone (for studying them), after the warm-up;
//! `INGEST_BATCH_ONLY` runs only the batches behind the delay proxy, after the warm-up.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use callbill::store::schema::PARTITION_KEY;
use callbill_tests::runtime_api::{Answer, Function, Scheduled};
use callbill_tests::{DelayProxy, Exchange, covered, delay_proxy, endpoint, event, median, sleep_precisely};
use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;
use serde_json::{Value, json};

const CALLS: u64 = 1_000;
const DYNAMODB_WARM_UP_CALLS: u64 = 250;
/// Most time the run spends warming DynamoDB Local.
const DYNAMODB_WARM_UP_LIMIT: Duration = Duration::from_secs(90);
/// DynamoDB Local's compilers are quiet when they use less than this share of the
/// wall time of a round of warm-up load.
const QUIET_COMPILERS: f64 = 0.02;
const CLIENTS: usize = 8;
const FRESH_PROCESSES: usize = 7;
const BREAKDOWN_REQUESTS: u32 = 2_000;
const FIRST_REQUEST_PROCESSES: usize = 101;
const BATCHES_AT_5MS: u64 = 20;
const DELAY: Duration = Duration::from_millis(5);
const QUIET_ROUNDS: u32 = 50;

#[tokio::main]
async fn main() {
    let earlier_binary = std::env::var_os("CALL_RECORDS_BIN").map(PathBuf::from);
    let earlier_build = earlier_binary.is_some();
    let binary = earlier_binary
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/call-records"));
    let dynamodb = endpoint();
    let table = format!("bench-ingest-{:08x}", fastrand::u32(..));
    // The functions' credentials and region, which DynamoDB Local keeps tables apart by.
    let store = callbill::store::Store::from_env(&table).await;
    callbill::store::create_table(store.client(), &table).await.expect("a table in DynamoDB Local");
    let proxy = delay_proxy(&dynamodb, DELAY).await;
    println!("function: {}", binary.display());
    let mut bench = Bench { binary, earlier_build, table, dynamodb, store, proxy, next_call: 1 };

    // A fresh DynamoDB Local's JIT compilers take about half a core for its first
    // 20 to 30 s of load. On this machine's two cores that slows the function
    // beside it (the same build: 220 us a record in a first run, 185-195 in the
    // three after it on one DynamoDB Local, 2026-11-24). The figures are the
    // function's, so DynamoDB Local is warmed first, until its compilers are quiet.
    let warm_up = warm_up_dynamodb_local(&bench.dynamodb.clone(), || {
        let mut first = bench.next_call;
        bench.next_call += DYNAMODB_WARM_UP_CALLS;
        let start = bench.start(&bench.dynamodb);
        async move {
            let mut function = start.await;
            function.init_time().await;
            post_singles(&function, records(&mut first, DYNAMODB_WARM_UP_CALLS)).await;
        }
    })
    .await;
    println!("{warm_up}");

    if std::env::var_os("INGEST_FIRST_ONLY").is_some() {
        first_requests(&mut bench).await;
        return;
    }
    if std::env::var_os("INGEST_BATCH_ONLY").is_some() {
        batches_at_5ms(&mut bench).await;
        return;
    }
    let init = init(&bench).await;
    let mut function = bench.start(&bench.dynamodb).await;
    function.init_time().await;
    let SingleRecords { cpu_a_record: single, wcu, rcu } = single_records(&mut bench, &function).await;
    if std::env::var_os("INGEST_SINGLE_ONLY").is_some() {
        return;
    }
    let batch = batches(&mut bench, &function).await;
    drop(function);
    let batch100 = batches_at_5ms(&mut bench).await;
    first_requests(&mut bench).await;
    println!(
        "ingest: single {:.0} us/record, batch {:.0} us/record, batch100@5ms {:.1} ms, init {:.1} ms, wcu/call {wcu:.2}, rcu/call {rcu:.2}",
        micros(single),
        micros(batch),
        millis(batch100),
        millis(init),
    );
}

/// What every part of the run shares: the binary it runs, its table, DynamoDB
/// Local straight and behind the delay proxy, and the next call id to post.
struct Bench {
    binary: PathBuf,
    /// The binary is one named by `CALL_RECORDS_BIN`, which may predate the start-up probe.
    earlier_build: bool,
    table: String,
    dynamodb: String,
    store: callbill::store::Store,
    proxy: DelayProxy,
    next_call: u64,
}

impl Bench {
    /// A fresh function process that reaches DynamoDB at `endpoint`. The future
    /// holds none of the bench, so the warm-up's rounds can move its call ids on.
    fn start(&self, endpoint: &str) -> impl Future<Output = Function> + use<> {
        let (binary, table, endpoint) = (self.binary.clone(), self.table.clone(), endpoint.to_owned());
        async move {
            Function::start(
                &binary,
                "call-records",
                &[("TABLE_NAME", &table), ("AWS_ENDPOINT_URL_DYNAMODB", &endpoint)],
            )
            .await
        }
    }
}

/// The median init of fresh processes.
async fn init(bench: &Bench) -> Duration {
    let mut inits = Vec::new();
    for _ in 0..FRESH_PROCESSES {
        inits.push(bench.start(&bench.dynamodb).await.init_time().await);
    }
    let init = median(&mut inits);
    println!("init (start to first poll), {FRESH_PROCESSES} processes: median {init:.1?}, all {inits:.1?}");
    init
}

/// The single-record run's figures: the function's CPU a record, and the write
/// and read capacity units a completed call.
struct SingleRecords {
    cpu_a_record: Duration,
    wcu: f64,
    rcu: f64,
}

/// Single-record POSTs to `function`, then where a request's CPU goes.
async fn single_records(bench: &mut Bench, function: &Function) -> SingleRecords {
    // The process's own first requests are not part of the figure.
    post_singles(function, records(&mut bench.next_call, 10)).await;
    let (cpu, capacity) = (function.cpu_time(), function.capacity().await);
    let mut single_times = post_singles(function, records(&mut bench.next_call, CALLS)).await;
    let single = (function.cpu_time() - cpu) / (2 * CALLS as u32);
    let (after, calls) = (function.capacity().await, CALLS as f64);
    let (wcu, rcu) = ((after.write - capacity.write) / calls, (after.read - capacity.read) / calls);
    println!(
        "single: {} records, {:.0} us CPU a record, median {:.2?} a request; {wcu:.2} WCU and {rcu:.2} RCU a call",
        2 * CALLS,
        micros(single),
        median(&mut single_times)
    );
    let refused = cpu_a_request(function, "POST", "/v1/call-records", Some(r#"{"type":"start"}"#)).await;
    let unknown = cpu_a_request(function, "GET", "/v1/calls/999999999", None).await;
    println!(
        "where a request's CPU goes: {:.0} us for a refused record (no DynamoDB request), {:.0} us for an unknown \
         call (one GetItem); {BREAKDOWN_REQUESTS} requests each, one at a time",
        micros(refused),
        micros(unknown)
    );
    SingleRecords { cpu_a_record: single, wcu, rcu }
}

/// Batches of 100 records to `function`: the CPU a record.
async fn batches(bench: &mut Bench, function: &Function) -> Duration {
    let cpu = function.cpu_time();
    let mut times = post_batches(function, records(&mut bench.next_call, CALLS)).await;
    let batch = (function.cpu_time() - cpu) / (2 * CALLS as u32);
    println!(
        "batch: {} records in batches of 100, {:.0} us CPU a record; median {:.1?} a batch",
        2 * CALLS,
        micros(batch),
        median(&mut times)
    );
    batch
}

/// Batches of 100 records of 100 calls behind the delay proxy: the median time
/// in the function.
async fn batches_at_5ms(bench: &mut Bench) -> Duration {
    let mut function = bench.start(&bench.proxy.url).await;
    function.init_time().await;
    post_batches(&function, one_record_a_call(&mut bench.next_call, 100, true)).await;
    let mut times = Vec::new();
    let (mut starts, mut ends) = (Vec::new(), Vec::new());
    for round in 0..BATCHES_AT_5MS {
        let is_starts = round % 2 == 0;
        let calls = if is_starts { bench.next_call } else { bench.next_call - 100 };
        let mut first = calls;
        let batch = one_record_a_call(&mut first, 100, is_starts);
        if is_starts {
            bench.next_call = first;
        }
        let answer = post_batch(&function, &batch).await;
        let exchanges: Vec<Exchange> =
            bench.proxy.exchanges().into_iter().flatten().filter(|e| e.arrived >= answer.handed).collect();
        assert!(!exchanges.is_empty(), "a batch sends DynamoDB requests");
        times.push(answer.in_function);
        let split = BatchSplit::of(&answer, &exchanges);
        if is_starts { starts.push(split) } else { ends.push(split) }
    }
    let batch100 = median(&mut times);
    let by_kind = |label: &str, part: fn(&BatchSplit) -> f64| {
        let of = |splits: &[BatchSplit]| median(&mut splits.iter().map(part).collect::<Vec<_>>());
        format!("{label}: a batch of starts {:.1}ms, of ends {:.1}ms", of(&starts), of(&ends))
    };
    let parts = [
        by_kind("in the function", |s| s.took_ms),
        by_kind("DynamoDB Local's longest answer", |s| s.longest_answer_ms),
        by_kind("DynamoDB Local at work on one of the batch's requests", |s| s.dynamodb_local_ms),
        by_kind("the function alone, with none outstanding", |s| s.function_alone_ms),
        by_kind("the batch less DynamoDB Local's time", |s| s.less_dynamodb_local_ms),
    ];
    println!(
        "batch100@5ms: {BATCHES_AT_5MS} batches of 100 records of 100 calls, {DELAY:?} added to each DynamoDB request \
         (held {:.2?}, median): median {batch100:.1?}, slowest {:.1?}; {} (medians)",
        bench.proxy.median_hold(),
        times.last().unwrap(),
        parts.join("; "),
    );
    batch100
}

/// The first and second requests of fresh processes behind the delay proxy, in
/// each [`Pairing`], then DynamoDB Local alone after as long without a write.
async fn first_requests(bench: &mut Bench) {
    // Each process opens one DynamoDB connection at init: its probe, then one
    // transaction for each start record. The proxy's clock splits each request's
    // time into the function's part before its transaction, the hold, DynamoDB
    // Local's answer, the relay back and the function's part after it. Processes
    // take the pairings in turn (`Pairing::ALL`).
    let connections_before = bench.proxy.exchanges().len();
    let mut processes = Vec::new();
    for process in 0..Pairing::ALL.len() * FIRST_REQUEST_PROCESSES {
        let pairing = Pairing::ALL[process % Pairing::ALL.len()];
        let mut function = bench.start(&bench.proxy.url).await;
        function.init_time().await;
        let two = one_record_a_call(&mut bench.next_call, 2, true);
        if pairing == Pairing::EachAfterWrites {
            write_twice(bench.store.client(), &bench.table).await;
        }
        let first = timed_post(&function, &two[0]).await;
        // Held until the round ends (see `Pairing::AfterAnotherStartUp`).
        let _another = match pairing {
            Pairing::RightAway => None,
            Pairing::AfterAnotherStartUp => {
                let mut another = bench.start(&bench.proxy.url).await;
                another.init_time().await;
                Some(another)
            }
            Pairing::EachAfterWrites => {
                write_twice(bench.store.client(), &bench.table).await;
                None
            }
        };
        let second = timed_post(&function, &two[1]).await;
        processes.push((pairing, first, second));
    }
    // The other start-ups' connections carry their probe alone. A build without the
    // probe opens its connection for its first request, which pays for opening it.
    let (exchanges, probes_alone): (Vec<_>, Vec<_>) =
        bench.proxy.exchanges().split_off(connections_before).into_iter().partition(|e| e.len() >= 2);
    assert!(
        exchanges.len() == processes.len()
            && exchanges.iter().all(|e| e.len() <= 3)
            && probes_alone.iter().all(|e| e.len() == 1),
        "one connection a process, with its two transactions after the probe if any: {exchanges:?}; {probes_alone:?}"
    );
    let opened_at_init = exchanges.iter().filter(|e| e.len() == 3).count();
    println!(
        "the first request's DynamoDB connection opened at init, by the start-up probe: {opened_at_init} of {} processes",
        processes.len()
    );
    assert!(
        bench.earlier_build || opened_at_init == processes.len(),
        "every process opens its DynamoDB connection at init (SPEC §8)"
    );
    // How long DynamoDB Local wrote nothing before each request of the processes
    // that sent their second right away (a first request's: since the process
    // before it, which wrote last through the proxy; the probe between writes nothing).
    let quiet = |process: usize, request: usize| {
        let before = match request {
            0 => two_requests(&exchanges[process - 1])[1].answered,
            _ => two_requests(&exchanges[process])[0].answered,
        };
        two_requests(&exchanges[process])[request].passed - before
    };
    let sent_right_away = (1..processes.len()).filter(|&p| processes[p].0 == Pairing::RightAway);
    let quiet_before_first = median(&mut sent_right_away.clone().map(|p| quiet(p, 0)).collect::<Vec<_>>());
    let quiet_before_second = median(&mut sent_right_away.map(|p| quiet(p, 1)).collect::<Vec<_>>());
    let (mut right_away, mut after_another_start_up, mut each_after_writes) = (Vec::new(), Vec::new(), Vec::new());
    for ((pairing, first, second), exchanges) in processes.into_iter().zip(&exchanges) {
        let [first_exchange, second_exchange] = two_requests(exchanges);
        let pair = (Split::of(first, first_exchange), Split::of(second, second_exchange));
        match pairing {
            Pairing::RightAway => right_away.push(pair),
            Pairing::AfterAnotherStartUp => after_another_start_up.push(pair),
            Pairing::EachAfterWrites => each_after_writes.push(pair),
        }
    }
    report_first_requests("", &right_away);
    report_first_requests("after another start-up: ", &after_another_start_up);
    report_first_requests("each after two writes: ", &each_after_writes);

    let (sooner, later) =
        transactions_after(bench.store.client(), &bench.table, quiet_before_second, quiet_before_first).await;
    println!(
        "DynamoDB Local alone (no function, no proxy), {QUIET_ROUNDS} transactions each: answered {:.0} us after \
         {:.1?} without a write (as before a second request), {:.0} us after {:.1?} (as before a first); \
         medians, the later {:+.0} us",
        micros(sooner),
        quiet_before_second,
        micros(later),
        quiet_before_first,
        micros(later) - micros(sooner),
    );
}

/// A process's two requests on its connection: the last two exchanges, after the
/// probe when the build has one.
fn two_requests(connection: &[Exchange]) -> [Exchange; 2] {
    [connection[connection.len() - 2], connection[connection.len() - 1]]
}

/// Sends `round`s of load until DynamoDB Local's JIT compilers are quiet through
/// one ([`QUIET_COMPILERS`]), within [`DYNAMODB_WARM_UP_LIMIT`]; what it did. When
/// no DynamoDB Local listens on `endpoint`'s port on this machine, one round.
async fn warm_up_dynamodb_local<F: Future<Output = ()>>(endpoint: &str, mut round: impl FnMut() -> F) -> String {
    let port = endpoint.rsplit(':').next().unwrap_or_default();
    let jvm = dynamodb_local_process(port);
    let started = Instant::now();
    let mut rounds = 0;
    loop {
        let (before, wall) = (jvm.map(|jvm| (jvm, compilers_cpu_time(jvm))), Instant::now());
        round().await;
        rounds += 1;
        let share =
            before.map(|(jvm, before)| (compilers_cpu_time(jvm) - before).as_secs_f64() / wall.elapsed().as_secs_f64());
        if share.is_none_or(|share| share < QUIET_COMPILERS) || started.elapsed() > DYNAMODB_WARM_UP_LIMIT {
            let compilers = match share {
                Some(share) => format!("its compilers at {:.1}% of the last round's time", share * 100.0),
                None => format!("its compilers not watched: no DynamoDB Local process on port {port} here"),
            };
            return format!(
                "DynamoDB Local warm-up: {rounds} rounds of {DYNAMODB_WARM_UP_CALLS} calls in {:.1?}, {compilers}",
                started.elapsed()
            );
        }
    }
}

/// The process of the DynamoDB Local that listens on `port` on this machine.
fn dynamodb_local_process(port: &str) -> Option<u32> {
    let mut pids = std::fs::read_dir("/proc").ok()?.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok());
    pids.find(|pid: &u32| {
        let command_line = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = command_line.split(|byte| *byte == 0).collect();
        args.iter().any(|arg| arg.ends_with(b"DynamoDBLocal.jar"))
            && args.windows(2).any(|pair| pair[0] == b"-port" && pair[1] == port.as_bytes())
    })
}

/// The CPU time the JIT compiler threads of the JVM `jvm` have used so far.
fn compilers_cpu_time(jvm: u32) -> Duration {
    let compiler =
        |thread: &Path| std::fs::read_to_string(thread.join("comm")).is_ok_and(|n| n.contains("CompilerThre"));
    Scheduled::of_threads(jvm, compiler).on_cpu
}

/// When a fresh process gets its first and second requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pairing {
    /// The first once it has initialised, the second as soon as the first is answered.
    RightAway,
    /// The second after another process has started and initialised, as the first
    /// came after its own start-up: the machine does the same work between the
    /// answer before and either request, and DynamoDB Local sees one probe and no write.
    /// The other process is stopped only once the second is answered, as the process
    /// before a first was stopped well before that first: stopped at once, its exit
    /// ran beside the second request.
    AfterAnotherStartUp,
    /// As [`Pairing::RightAway`], but each request right after two transactions
    /// of the run's own, straight to DynamoDB Local and 6 ms apart, as a second
    /// request sent right away comes after the first's. DynamoDB Local answers a
    /// transaction more slowly the longer it has written nothing, and a first
    /// request otherwise comes after a process start; the real service, writing
    /// for others all the time, does not. (With one write before each request, the
    /// first's was the slow one and DynamoDB Local's work after it delayed the
    /// proxy's hold of the first request by 20 to 290 us.)
    EachAfterWrites,
}

impl Pairing {
    /// In the order the fresh processes take them, one after another.
    const ALL: [Pairing; 3] = [Pairing::RightAway, Pairing::AfterAnotherStartUp, Pairing::EachAfterWrites];
}

/// The first and second requests of fresh processes, each line begun with `prefix`.
fn report_first_requests(prefix: &str, requests: &[(Split, Split)]) {
    let firsts = |part: fn(&Split) -> f64| requests.iter().map(|(first, _)| part(first)).collect::<Vec<_>>();
    let seconds = |part: fn(&Split) -> f64| requests.iter().map(|(_, second)| part(second)).collect::<Vec<_>>();
    let paired = |part: fn(&Split) -> f64| {
        median(&mut requests.iter().map(|(first, second)| part(first) - part(second)).collect::<Vec<_>>())
    };
    let in_us = |what: &str, part: fn(&Split) -> f64| {
        println!(
            "{prefix}{what} first request after init: median {:.0} us; of the second: median {:.0} us; \
             a process's first minus its second: median {:+.0} us",
            median(&mut firsts(part)),
            median(&mut seconds(part)),
            paired(part),
        );
    };
    in_us("function CPU of the", |s| s.cpu_us);
    in_us("the function's wait for a CPU while ready to run,", |s| s.waiting_us);
    println!(
        "{prefix}page faults of the first request after init: median {:.0}; of the second: median {:.0}",
        median(&mut firsts(|s| s.faults)),
        median(&mut seconds(|s| s.faults)),
    );
    let mut first_times = firsts(|s| s.total_us / 1e3);
    let first_median = median(&mut first_times);
    let quartile = |q: usize| first_times[(first_times.len() - 1) * q / 4];
    println!(
        "{prefix}first request after init @5ms, {} fresh processes: median {:.1}ms (middle half {:.1}–{:.1}ms, slowest {:.1}ms); \
         second: median {:.1}ms; a process's first minus its second: median {:+.2} ms",
        requests.len(),
        first_median,
        quartile(1),
        quartile(3),
        quartile(4),
        median(&mut seconds(|s| s.total_us / 1e3)),
        paired(|s| s.total_us / 1e3),
    );
    println!(
        "{prefix}of that, a process's first minus its second (medians): the function before DynamoDB {:+.0} us, \
         the proxy's hold {:+.0} us, DynamoDB Local's answer {:+.0} us, the proxy's relay {:+.0} us, \
         the function after DynamoDB {:+.0} us",
        paired(|s| s.before_us),
        paired(|s| s.held_us),
        paired(|s| s.upstream_us),
        paired(|s| s.relay_us),
        paired(|s| s.after_us),
    );
}

/// The median time DynamoDB Local takes to answer a transaction of two new items
/// that comes `sooner` after the one before it, and one that comes `later`: the
/// same client, connection and table, no function and no proxy, [`QUIET_ROUNDS`]
/// rounds of one of each in a random order.
async fn transactions_after(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    sooner: Duration,
    later: Duration,
) -> (Duration, Duration) {
    let (mut sooner_times, mut later_times) = (Vec::new(), Vec::new());
    for _ in 0..QUIET_ROUNDS {
        let mut quiets = [(sooner, &mut sooner_times), (later, &mut later_times)];
        fastrand::shuffle(&mut quiets);
        for (quiet, times) in quiets {
            write_two_items(client, table).await;
            sleep_precisely(quiet).await;
            let sent = Instant::now();
            write_two_items(client, table).await;
            times.push(sent.elapsed());
        }
    }
    (median(&mut sooner_times), median(&mut later_times))
}

/// [`write_two_items`] twice, 6 ms apart.
async fn write_twice(client: &aws_sdk_dynamodb::Client, table: &str) {
    write_two_items(client, table).await;
    sleep_precisely(Duration::from_millis(6)).await;
    write_two_items(client, table).await;
}

/// One transaction of two new items, straight to DynamoDB Local.
async fn write_two_items(client: &aws_sdk_dynamodb::Client, table: &str) {
    let put = |kind: &str| {
        let put = Put::builder()
            .table_name(table)
            .item(PARTITION_KEY, AttributeValue::S(format!("QUIET#{kind}#{:016x}", fastrand::u64(..))))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .expect("table, item and condition are set");
        TransactWriteItem::builder().put(put).build()
    };
    let transaction = client.transact_write_items().transact_items(put("call")).transact_items(put("record"));
    transaction.send().await.expect("DynamoDB Local writes");
}

/// A start record posted to a fresh process behind the delay proxy: its answer, and
/// how long the function ran and waited to run for it, and its page faults.
struct Timed {
    answer: Answer,
    scheduled: Scheduled,
    faults: u64,
}

async fn timed_post(function: &Function, record: &Value) -> Timed {
    let (scheduled, faults) = (function.scheduled(), function.minor_faults());
    let answer = post(function, "/v1/call-records", record).await;
    Timed { answer, scheduled: function.scheduled() - scheduled, faults: function.minor_faults() - faults }
}

/// A [`Timed`] request split at the proxy, in microseconds (faults counted).
struct Split {
    total_us: f64,
    /// From taking the event to its transaction reaching the proxy.
    before_us: f64,
    held_us: f64,
    upstream_us: f64,
    relay_us: f64,
    /// From the answer passed back to answering the event (with the Runtime API's part).
    after_us: f64,
    cpu_us: f64,
    /// Ready to run while the machine's two CPUs ran something else.
    waiting_us: f64,
    faults: f64,
}

impl Split {
    fn of(timed: Timed, exchange: Exchange) -> Split {
        let Timed { answer, scheduled, faults } = timed;
        let answered = answer.answered();
        Split {
            total_us: micros(answer.in_function),
            before_us: micros(exchange.arrived - answer.handed),
            held_us: micros(exchange.held()),
            upstream_us: micros(exchange.upstream()),
            relay_us: micros(exchange.relay()),
            after_us: micros(answered - exchange.relayed),
            cpu_us: micros(scheduled.on_cpu),
            waiting_us: micros(scheduled.waiting),
            faults: faults as f64,
        }
    }
}

/// Where a batch's time in the function went, on the proxy's clock, in milliseconds.
struct BatchSplit {
    took_ms: f64,
    /// DynamoDB Local's longest answer to one of the batch's requests.
    longest_answer_ms: f64,
    /// How long DynamoDB Local had at least one of the batch's requests in hand
    /// (passed on, not yet answered).
    dynamodb_local_ms: f64,
    /// How long the function worked with none of its DynamoDB requests outstanding.
    function_alone_ms: f64,
    /// The batch's time but DynamoDB Local's: the function's own, the 5 ms holds
    /// and the relays, as the batch would take if DynamoDB answered at once.
    less_dynamodb_local_ms: f64,
}

impl BatchSplit {
    fn of(answer: &Answer, exchanges: &[Exchange]) -> BatchSplit {
        let longest_answer = exchanges.iter().map(Exchange::upstream).max().unwrap_or_default();
        let outstanding = covered(exchanges.iter().map(|e| (e.arrived, e.relayed)).collect());
        let dynamodb_local = covered(exchanges.iter().map(|e| (e.passed, e.answered)).collect());
        BatchSplit {
            took_ms: millis(answer.in_function),
            longest_answer_ms: millis(longest_answer),
            dynamodb_local_ms: millis(dynamodb_local),
            function_alone_ms: millis(answer.in_function.saturating_sub(outstanding)),
            less_dynamodb_local_ms: millis(answer.in_function.saturating_sub(dynamodb_local)),
        }
    }
}

/// Both records of `n` calls from `first` on, in one random order: starts and ends
/// mixed, each call within a few days of November 2017.
fn records(first: &mut u64, n: u64) -> Vec<Value> {
    let month: DateTime<Utc> = "2017-11-01T00:00:00Z".parse().unwrap();
    let mut rng = fastrand::Rng::with_seed(*first);
    let mut records = Vec::new();
    for call_id in *first..*first + n {
        let start = month + TimeDelta::seconds(rng.i64(0..28 * 86_400));
        let end = start + TimeDelta::seconds(rng.i64(0..7200));
        let source = format!("2199{:07}", rng.u32(0..50));
        records.push(json!({"type": "start", "call_id": call_id, "timestamp": start.to_rfc3339(), "source": source, "destination": "2133334444"}));
        records.push(json!({"type": "end", "call_id": call_id, "timestamp": end.to_rfc3339()}));
    }
    *first += n;
    rng.shuffle(&mut records);
    records
}

/// One record of each of `n` calls from `first` on: their starts, or their ends.
fn one_record_a_call(first: &mut u64, n: u64, starts: bool) -> Vec<Value> {
    let calls = records(first, n);
    calls.into_iter().filter(|r| (r["type"] == "start") == starts).collect()
}

async fn post(function: &Function, path: &str, body: &Value) -> Answer {
    let answer = function.invoke(&event("POST", path, &[], Some(&body.to_string()), &[])).await;
    assert!(matches!(answer.response["statusCode"].as_u64(), Some(200 | 201)), "{path}: {}", answer.response);
    answer
}

async fn post_batch(function: &Function, records: &[Value]) -> Answer {
    let answer = post(function, "/v1/call-records/batch", &json!({"records": records})).await;
    let reply: Value = serde_json::from_str(answer.response["body"].as_str().unwrap()).unwrap();
    assert!(reply["results"].as_array().unwrap().iter().all(|r| r["status"] == 201), "{reply}");
    answer
}

/// Posts `records` one a request; the time each took in the function.
async fn post_singles(function: &Function, records: Vec<Value>) -> Vec<Duration> {
    let times = std::sync::Mutex::new(Vec::new());
    by_clients(records, |record| {
        let times = &times;
        async move {
            let answer = post(function, "/v1/call-records", &record).await;
            times.lock().unwrap().push(answer.in_function);
        }
    })
    .await;
    times.into_inner().unwrap()
}

/// Posts `records` in batches of 100; the time each batch took in the function.
async fn post_batches(function: &Function, records: Vec<Value>) -> Vec<Duration> {
    let batches: Vec<Vec<Value>> = records.chunks(100).map(<[Value]>::to_vec).collect();
    let times = std::sync::Mutex::new(Vec::new());
    by_clients(batches, |batch| {
        let times = &times;
        async move {
            let answer = post_batch(function, &batch).await;
            times.lock().unwrap().push(answer.in_function);
        }
    })
    .await;
    times.into_inner().unwrap()
}

/// Sends every item of `queue`, from [`CLIENTS`] clients at once.
async fn by_clients<T, F: Future<Output = ()>>(queue: Vec<T>, send: impl FnMut(T) -> F) {
    futures::stream::iter(queue).for_each_concurrent(CLIENTS, send).await;
}

/// The function's CPU time a request over [`BREAKDOWN_REQUESTS`] of the same request.
async fn cpu_a_request(function: &Function, method: &str, path: &str, body: Option<&str>) -> Duration {
    let request = event(method, path, &[], body, &[]);
    let cpu = function.cpu_time();
    for _ in 0..BREAKDOWN_REQUESTS {
        let answer = function.invoke(&request).await;
        assert!(matches!(answer.response["statusCode"].as_u64(), Some(400 | 404)), "{path}: {}", answer.response);
    }
    (function.cpu_time() - cpu) / BREAKDOWN_REQUESTS
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
