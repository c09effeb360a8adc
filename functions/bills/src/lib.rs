//! `GET /v1/bills/{subscriber}`: a page of a subscriber's monthly bill, as JSON or CSV.

use std::time::Instant;

use callbill::bill_page::{read_page, read_whole};
use callbill::bill_query::{BillQuery, Format};
use callbill::http::{
    RouteResult, into_response, json_response, log_request, no_route, path_segments, response, with_etag,
};
use callbill::legacy::olist::GetPhoneBill;
use callbill::legacy::signaling::BillingBill;
use callbill::legacy::sparrow::TelephoneBill;
use callbill::legacy::telephony::BillReport;
use callbill::legacy::{BillApi, is_storage_failure};
use callbill::metrics::{self, Metric};
use callbill::store::Store;
use callbill::{Bill, Config};
use chrono::Utc;
use lambda_http::http::{HeaderValue, Method, header};
use lambda_http::{Body, Error, Request, RequestExt, Response};

/// The response header that carries the next cursor of a CSV page.
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

pub async fn handle(store: &Store, config: &Config, request: Request) -> Result<Response<Body>, Error> {
    let started = Instant::now();
    // Boxed: the routes' futures together are large, and a request's should not sit on the stack.
    let ((route, result), mut counts) = Box::pin(metrics::measured(async {
        match (request.method(), path_segments(&request).as_slice()) {
            (&Method::GET, ["v1", "bills", subscriber]) => {
                ("get_bill", get_bill(store, config, &request, subscriber).await)
            }
            // The earlier systems' bill routes (SPEC §10), with or without the trailing slash.
            (&Method::GET, ["api", "v1", "get_phone_bill"]) => {
                ("get_phone_bill", Ok(legacy_bill(&GetPhoneBill, None, store, config, &request).await))
            }
            (&Method::GET, ["billing", "bill"]) => {
                ("billing_bill", Ok(legacy_bill(&BillingBill, None, store, config, &request).await))
            }
            (&Method::GET, ["v1", "telephony", "bill-report", number]) => {
                ("bill_report", Ok(legacy_bill(&BillReport, Some(number), store, config, &request).await))
            }
            (&Method::GET, ["call_records", "telephone_bill"]) => {
                ("telephone_bill", Ok(legacy_bill(&TelephoneBill, None, store, config, &request).await))
            }
            _ => ("none", Err(no_route(&request, ROUTES))),
        }
    }))
    .await;
    let mut response = into_response(result);
    if response.status().is_success() {
        counts.push((Metric::BillPagesServed, 1));
    }
    log_request(route, &mut response, counts, started);
    Ok(response)
}

const ROUTES: &str = "GET /v1/bills/{subscriber}, GET /api/v1/get_phone_bill/, GET /billing/bill, \
     GET /v1/telephony/bill-report/{number}/, GET /call_records/telephone_bill/";

/// An earlier API's bill route: its adapter reads whose bill and which period, the
/// domain reads the whole month, the adapter answers in its own shapes. Storage
/// failures keep the /v1 envelope and `Retry-After`.
async fn legacy_bill(
    api: &impl BillApi,
    number: Option<&str>,
    store: &Store,
    config: &Config,
    request: &Request,
) -> Response<Body> {
    let query = request.query_string_parameters();
    let (subscriber, period) = match api.query(number, &query, Utc::now(), config.zone) {
        Ok(asked) => asked,
        Err(reply) => return reply.into_response(),
    };
    match read_whole(store, &subscriber, period).await {
        Err(error) if is_storage_failure(&error) => into_response(Err(error)),
        bill => with_etag(request, api.answer(bill, config.zone).into_response()),
    }
}

async fn get_bill(store: &Store, config: &Config, request: &Request, subscriber: &str) -> RouteResult {
    let accept = request.headers().get(header::ACCEPT).and_then(|a| a.to_str().ok());
    let query = BillQuery::parse(subscriber, &request.query_string_parameters(), accept, Utc::now(), config.zone)?;
    let bill = read_page(store, &query).await?;
    Ok(with_etag(request, render(&bill, query.format, config)))
}

fn render(bill: &Bill, format: Format, config: &Config) -> Response<Body> {
    match format {
        Format::Json => json_response(200, &bill.view(config.zone)),
        Format::Csv => {
            let mut csv = response(200, "text/csv; charset=utf-8", bill.to_csv(config.zone));
            if let Some(cursor) = &bill.next_cursor {
                let value = HeaderValue::from_str(cursor).expect("cursors are base64url");
                csv.headers_mut().insert(NEXT_CURSOR_HEADER, value);
            }
            csv
        }
    }
}
