//! Pricing speed: a 5-minute, a 1-day and a 31-day call (issue targets: < 100 ns
//! and < 2 µs median for the shortest and longest, billed in UTC).

use std::hint::black_box;

use callbill::{TariffSchedule, price_call};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use criterion::{Criterion, criterion_group, criterion_main};

fn pricing(c: &mut Criterion) {
    let schedule = TariffSchedule::default_schedule();
    let start: DateTime<Utc> = "2017-12-12T15:07:13Z".parse().unwrap();
    let tariff = schedule.in_effect_at(start);
    for (name, length) in [
        ("5-minute call", TimeDelta::minutes(5)),
        ("1-day call", TimeDelta::days(1)),
        ("31-day call", TimeDelta::days(31)),
    ] {
        let end = start + length;
        c.bench_function(&format!("price {name} (UTC)"), |b| {
            b.iter(|| price_call(black_box(start), black_box(end), tariff, Tz::UTC))
        });
        c.bench_function(&format!("price {name} (America/Sao_Paulo)"), |b| {
            b.iter(|| price_call(black_box(start), black_box(end), tariff, chrono_tz::America::Sao_Paulo))
        });
    }
}

criterion_group!(benches, pricing);
criterion_main!(benches);
