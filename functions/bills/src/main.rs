use callbill::Config;
use callbill::store::{ProbePath, Store};
use lambda_http::{Error, run, service_fn};

// A request allocates thousands of small objects (the SDK's items, headers and
// JSON): mimalloc serves them faster than glibc's malloc (issue 13's profile).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One thread: Lambda runs one event at a time on a share of a core, and hand-offs
// between worker threads would cost more CPU than the work (issue 13's profile).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    callbill::log::init();
    let config = Config::from_env().inspect_err(|e| tracing::error!(error = %e, "refusing to start"))?;
    let store = Store::from_env(&config.table_name).await;
    store.probe(ProbePath::Reads).await.inspect_err(|e| tracing::error!(error = %e, "refusing to start"))?;
    let (store, config) = (&store, &config);
    run(service_fn(move |request| bills::handle(store, config, request))).await
}
