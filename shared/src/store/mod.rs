//! callbill's storage: one DynamoDB table (see `schema` for its items and keys).
//! The functions reach DynamoDB only through [`Store`], which implements the
//! domain's [`crate::ingest::CallStore`] and serves the bill queries.

mod dynamodb;
mod errors;
mod item;
pub mod schema;
mod wire;

pub use dynamodb::{ProbePath, StartupError, Store};
pub use schema::create_table;
