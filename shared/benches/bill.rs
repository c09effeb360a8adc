//! The CPU a bill page costs the handler once the lines are read: 1,000 lines
//! rendered as JSON and as CSV (issue target: under 20 ms for 1,000 lines).

use std::hint::black_box;

use callbill::{Bill, BillLine, CallDuration, CallId, Cents};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use criterion::{Criterion, criterion_group, criterion_main};

fn page_of_1000_lines() -> Bill {
    let start: DateTime<Utc> = "2017-12-01T00:00:00Z".parse().unwrap();
    let lines: Vec<BillLine> = (0..1000)
        .map(|i| BillLine {
            call_id: CallId(i + 1),
            destination: "9993468278".parse().unwrap(),
            start: start + TimeDelta::minutes(i as i64 * 37),
            duration: CallDuration(463 + i),
            price: Cents(99 + i as i64),
        })
        .collect();
    Bill {
        subscriber: "99988526423".parse().unwrap(),
        period: "2017-12".parse().unwrap(),
        call_count: 10_000,
        total: lines.iter().map(|l| l.price).sum(),
        lines,
        next_cursor: Some("djF8OTk5ODg1MjY0MjN8".into()),
    }
}

fn rendering(c: &mut Criterion) {
    let bill = page_of_1000_lines();
    c.bench_function("bill page of 1,000 lines as JSON", |b| {
        b.iter(|| serde_json::to_string(&black_box(&bill).view(Tz::UTC)).unwrap())
    });
    c.bench_function("bill page of 1,000 lines as CSV", |b| b.iter(|| black_box(&bill).to_csv(Tz::UTC)));
}

criterion_group!(benches, rendering);
criterion_main!(benches);
