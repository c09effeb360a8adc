//! `cargo lambda watch`, and nothing else of cargo-lambda: the same start-up as
//! cargo-lambda 1.9.2's own `run_watch` (crates/cargo-lambda-cli/src/main.rs),
//! over the patched cargo-lambda-watch crate.

use cargo_lambda_metadata::cargo::{load_metadata, watch::Watch};
use cargo_lambda_metadata::config::{load_config, Config, ConfigOptions, FunctionNames};
use clap::{Parser, Subcommand};
use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt};

#[derive(Parser)]
#[command(name = "cargo", bin_name = "cargo")]
enum Cargo {
    Lambda(Lambda),
}

#[derive(Parser)]
struct Lambda {
    #[command(subcommand)]
    command: LambdaCommand,
}

#[derive(Subcommand)]
enum LambdaCommand {
    Watch(Watch),
}

#[tokio::main]
async fn main() -> miette::Result<()> {
    let Cargo::Lambda(Lambda { command: LambdaCommand::Watch(watch) }) = Cargo::parse();
    // Errors as sentences with their causes, not miette's Debug dump of the report.
    miette::set_hook(Box::new(|_| Box::new(miette::NarratableReportHandler::new())))?;

    let log_filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "cargo_lambda=info".into());
    let log_lines = tracing_subscriber::fmt::layer().with_target(false).without_time().with_ansi(false);
    tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new(log_filter))
        .with(log_lines)
        .with(cargo_lambda_watch::xray_layer(&watch))
        .init();

    let options = ConfigOptions { names: FunctionNames::new(watch.pkg_name(), watch.bin_name()), ..Default::default() };
    let metadata = load_metadata(watch.manifest_path(), watch.cargo_opts.common.target_dir.as_deref())?;
    let config = Config { watch, ..Default::default() };
    let config = load_config(&config, &metadata, &options)?;
    cargo_lambda_watch::run(&config.watch, &config.env, &metadata, "never").await
}
