//! Metrics in CloudWatch's Embedded Metric Format: one structured log line per
//! request that CloudWatch turns into metrics, with no API call and no latency
//! (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
//!
//! Counts add up in the request's own task ([`measured`]) and are written with its
//! log line ([`crate::http::log_request`]), so concurrent requests never mix.

use std::cell::RefCell;
use std::future::Future;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};

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

/// One EMF line: the dimension values and the metric values at the root, and the
/// `_aws` metadata with one metric directive. Written straight from the counts:
/// building it as a `serde_json::Value` first took most of its time (issue 13).
fn emf_line(function: &str, timestamp_ms: i64, code: Option<ErrorCode>, values: &[(Metric, u64)]) -> String {
    let line = EmfLine { function, timestamp_ms, code, values };
    serde_json::to_string(&line).expect("an EMF line is strings and numbers")
}

struct EmfLine<'a> {
    function: &'a str,
    timestamp_ms: i64,
    code: Option<ErrorCode>,
    values: &'a [(Metric, u64)],
}

impl Serialize for EmfLine<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut line = serializer.serialize_map(None)?;
        line.serialize_entry(FUNCTION_DIMENSION, self.function)?;
        if let Some(code) = self.code {
            line.serialize_entry(CODE_DIMENSION, code.as_str())?;
        }
        for (metric, total) in self.values {
            line.serialize_entry(metric.name(), &metric.value(*total))?;
        }
        line.serialize_entry("_aws", &Metadata::new(self.timestamp_ms, self.code.is_some(), self.values))?;
        line.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata<'a> {
    timestamp: i64,
    cloud_watch_metrics: [Directive<'a>; 1],
}

impl<'a> Metadata<'a> {
    fn new(timestamp_ms: i64, by_code: bool, values: &'a [(Metric, u64)]) -> Self {
        const BY_FUNCTION: &[&str] = &[FUNCTION_DIMENSION];
        const BY_FUNCTION_AND_CODE: &[&str] = &[FUNCTION_DIMENSION, CODE_DIMENSION];
        let dimensions = if by_code { BY_FUNCTION_AND_CODE } else { BY_FUNCTION };
        let metrics = Definitions(values);
        Metadata {
            timestamp: timestamp_ms,
            cloud_watch_metrics: [Directive { namespace: NAMESPACE, dimensions: [dimensions], metrics }],
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directive<'a> {
    namespace: &'static str,
    dimensions: [&'static [&'static str]; 1],
    metrics: Definitions<'a>,
}

/// Each metric's name and unit.
struct Definitions<'a>(&'a [(Metric, u64)]);

impl Serialize for Definitions<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Definition {
            name: &'static str,
            unit: &'static str,
        }
        serializer.collect_seq(self.0.iter().map(|(metric, _)| Definition { name: metric.name(), unit: metric.unit() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_lines_are_written_in_the_order_counted_with_one_line_per_refusal_code() {
        let cases: [(Counts, &[&str]); 3] = [
            (vec![], &[]),
            (
                vec![(Metric::RecordsCreated, 1), (Metric::WriteCapacityUnits, 4500), (Metric::CentsBilled, 86)],
                &[concat!(
                    r#"{"Function":"call-records","RecordsCreated":1,"WriteCapacityUnits":4.5,"CentsBilled":86,"#,
                    r#""_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"callbill","#,
                    r#""Dimensions":[["Function"]],"Metrics":[{"Name":"RecordsCreated","Unit":"Count"},"#,
                    r#"{"Name":"WriteCapacityUnits","Unit":"None"},{"Name":"CentsBilled","Unit":"None"}]}]}}"#
                )],
            ),
            (
                vec![(Metric::RecordsRefused(ErrorCode::InvalidRecord), 2), (Metric::ReadCapacityUnits, 500)],
                &[
                    concat!(
                        r#"{"Function":"call-records","ReadCapacityUnits":0.5,"_aws":{"Timestamp":1700000000000,"#,
                        r#""CloudWatchMetrics":[{"Namespace":"callbill","Dimensions":[["Function"]],"#,
                        r#""Metrics":[{"Name":"ReadCapacityUnits","Unit":"None"}]}]}}"#
                    ),
                    concat!(
                        r#"{"Function":"call-records","ErrorCode":"invalid_record","RecordsRefused":2,"#,
                        r#""_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"callbill","#,
                        r#""Dimensions":[["Function","ErrorCode"]],"Metrics":[{"Name":"RecordsRefused","Unit":"Count"}]}]}}"#
                    ),
                ],
            ),
        ];
        for (counts, expected) in cases {
            assert_eq!(emf_lines("call-records", 1_700_000_000_000, counts), expected);
        }
    }
}
