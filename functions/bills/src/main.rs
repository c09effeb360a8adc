use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt().json().init();
    run(service_fn(|_: Request| async { Ok::<_, Error>(Response::builder().status(501).body(Body::from("not yet"))?) }))
        .await
}
