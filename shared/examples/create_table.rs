//! Creates `$TABLE_NAME` with its index unless it exists, wherever the AWS
//! environment points (`AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local). `make run`
//! uses it; a deployed table comes from template.yaml.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use callbill::store::{Store, create_table};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let store = Store::from_env(&table).await;
    match create_table(store.client(), &table).await {
        Ok(()) => println!("created table {table}"),
        Err(e) if e.code() == Some("ResourceInUseException") => println!("table {table} is there"),
        Err(e) => {
            return Err(
                format!("cannot create table {table}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e)).into()
            );
        }
    }
    Ok(())
}
