//! callbill's storage: one DynamoDB table (see `schema` for its items and keys).
//! The functions reach DynamoDB only through [`Store`].

mod dynamodb;
mod errors;
mod item;
pub mod schema;

pub use dynamodb::{Ingested, Store};
pub use schema::create_table;
