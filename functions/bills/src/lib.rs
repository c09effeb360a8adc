//! `GET /v1/bills/{subscriber}`: a page of a subscriber's monthly bill, as JSON or CSV.

use std::time::Instant;

use callbill::bill_page::read_page;
use callbill::bill_query::{BillQuery, Format};
use callbill::http::{
    RouteResult, into_response, json_response, log_request, no_route, path_segments, response, with_etag,
};
use callbill::store::Store;
use callbill::{Bill, Config};
use chrono::Utc;
use lambda_http::http::{HeaderValue, Method, header};
use lambda_http::{Body, Error, Request, RequestExt, Response};

/// The response header that carries the next cursor of a CSV page.
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

pub async fn handle(store: &Store, config: &Config, request: Request) -> Result<Response<Body>, Error> {
    let started = Instant::now();
    let result = match (request.method(), path_segments(&request).as_slice()) {
        (&Method::GET, ["v1", "bills", subscriber]) => get_bill(store, config, &request, subscriber).await,
        _ => Err(no_route(&request, "GET /v1/bills/{subscriber}")),
    };
    let response = into_response(result);
    log_request("get_bill", &response, started);
    Ok(response)
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
