//! Metrics in CloudWatch's Embedded Metric Format: one structured log line per
//! request that CloudWatch turns into metrics, with no API call and no latency
//! (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
//!
//! Counts add up in the request's own task ([`measured`]) and are written with its
//! log line ([`crate::http::log_request`]), so concurrent requests never mix.

use std::cell::RefCell;
use std::future::Future;

use serde_json::{Map, Value, json};

use crate::error::ErrorCode;

/// The namespace of every callbill metric.
pub const NAMESPACE: &str = "callbill";
/// The one dimension: the function, as Lambda names it.
pub const FUNCTION_DIMENSION: &str = "Function";
/// The second dimension of [`Metric::RecordsRefused`].
pub const CODE_DIMENSION: &str = "ErrorCode";

/// What callbill counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    RecordsCreated,
    RecordsReplayed,
    RecordsRefused(ErrorCode),
    CallsCompleted,
    /// Centavos billed by the calls completed.
    CentsBilled,
    BillPagesServed,
    /// Writes tried again after contention or throttling.
    StorageRetries,
    /// Answers of 503.
    Unavailable,
    /// DynamoDB read and write capacity units the request consumed, as DynamoDB
    /// reports them; added up in thousandths, as they come in halves.
    ReadCapacityUnits,
    WriteCapacityUnits,
}

impl Metric {
    /// Every metric name, for the template's alarms and dashboard to be checked against.
    pub const NAMES: [&str; 10] = [
        "RecordsCreated",
        "RecordsReplayed",
        "RecordsRefused",
        "CallsCompleted",
        "CentsBilled",
        "BillPagesServed",
        "StorageRetries",
        "Unavailable",
        "ReadCapacityUnits",
        "WriteCapacityUnits",
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::RecordsCreated => Self::NAMES[0],
            Metric::RecordsReplayed => Self::NAMES[1],
            Metric::RecordsRefused(_) => Self::NAMES[2],
            Metric::CallsCompleted => Self::NAMES[3],
            Metric::CentsBilled => Self::NAMES[4],
            Metric::BillPagesServed => Self::NAMES[5],
            Metric::StorageRetries => Self::NAMES[6],
            Metric::Unavailable => Self::NAMES[7],
            Metric::ReadCapacityUnits => Self::NAMES[8],
            Metric::WriteCapacityUnits => Self::NAMES[9],
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Metric::CentsBilled | Metric::ReadCapacityUnits | Metric::WriteCapacityUnits => "None",
            _ => "Count",
        }
    }

    /// A total as the metric's value: capacity units are added up in thousandths.
    fn value(self, total: u64) -> Value {
        match self {
            Metric::ReadCapacityUnits | Metric::WriteCapacityUnits => json!(total as f64 / 1000.0),
            _ => json!(total),
        }
    }
}

/// What a request counted.
pub type Counts = Vec<(Metric, u64)>;

tokio::task_local! {
    static COUNTS: RefCell<Counts>;
}

/// Runs a request's work, giving its output and what it counted.
pub async fn measured<F: Future>(work: F) -> (F::Output, Counts) {
    COUNTS
        .scope(RefCell::new(Vec::new()), async {
            let output = work.await;
            (output, COUNTS.with(|counts| counts.take()))
        })
        .await
}

/// Adds `value` to `metric` for the request under way (outside [`measured`], nothing).
pub fn add(metric: Metric, value: u64) {
    let _ = COUNTS.try_with(|counts| {
        let mut counts = counts.borrow_mut();
        match counts.iter_mut().find(|(m, _)| *m == metric) {
            Some((_, total)) => *total += value,
            None => counts.push((metric, value)),
        }
    });
}

pub fn count(metric: Metric) {
    add(metric, 1);
}

/// Adds capacity units as DynamoDB reports them (`None` when it reports none).
pub fn add_capacity(metric: Metric, units: Option<f64>) {
    if let Some(units) = units {
        add(metric, (units * 1000.0).round() as u64);
    }
}

/// A request's counts as EMF lines: one for the counts by function, and one for
/// each error code records were refused with (a line holds one value per
/// dimension). `function` is the function's name.
pub fn emf_lines(function: &str, timestamp_ms: i64, counts: Counts) -> Vec<String> {
    let (refused, plain): (Vec<_>, Vec<_>) =
        counts.into_iter().partition(|(m, _)| matches!(m, Metric::RecordsRefused(_)));
    let mut lines = Vec::new();
    if !plain.is_empty() {
        lines.push(emf_line(function, timestamp_ms, None, &plain));
    }
    for (metric, value) in refused {
        let Metric::RecordsRefused(code) = metric else { continue };
        lines.push(emf_line(function, timestamp_ms, Some(code), &[(metric, value)]));
    }
    lines
}

/// One EMF line: the `_aws` metadata with one metric directive, the dimension
/// values and the metric values at the root.
fn emf_line(function: &str, timestamp_ms: i64, code: Option<ErrorCode>, values: &[(Metric, u64)]) -> String {
    let mut dimensions = vec![FUNCTION_DIMENSION];
    let mut line = Map::new();
    line.insert(FUNCTION_DIMENSION.into(), json!(function));
    if let Some(code) = code {
        dimensions.push(CODE_DIMENSION);
        line.insert(CODE_DIMENSION.into(), json!(code.as_str()));
    }
    let definitions: Vec<Value> =
        values.iter().map(|(metric, _)| json!({"Name": metric.name(), "Unit": metric.unit()})).collect();
    for (metric, value) in values {
        line.insert(metric.name().into(), metric.value(*value));
    }
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [dimensions], "Metrics": definitions}],
        }),
    );
    Value::Object(line).to_string()
}
