//! `GET /v1/bills/{subscriber}`.

use callbill::Config;
use callbill::store::Store;
use lambda_http::{Body, Error, Request, Response};

pub async fn handle(_store: &Store, _config: &Config, request: Request) -> Result<Response<Body>, Error> {
    Ok(callbill::http::error_response(&callbill::http::no_route(&request, "GET /v1/bills/{subscriber}")))
}
