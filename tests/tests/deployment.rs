//! template.yaml, the cargo-lambda router and openapi.yaml describe the same table
//! and routes as the code: one definition, checked.

use std::collections::BTreeSet;

use callbill::store::schema::{BILL_INDEX, BILL_INDEX_PROJECTION, UNMATCHED_INDEX, UNMATCHED_INDEX_PROJECTION};
use callbill_tests::TestApi;
use yaml_rust2::{Yaml, YamlLoader};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn yaml(file: &str) -> Yaml {
    let text = std::fs::read_to_string(format!("{ROOT}/{file}")).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

fn strings(node: &Yaml) -> Vec<String> {
    node.as_vec().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// (name, key type) pairs of a key schema, from the template or from DynamoDB.
type Keys = Vec<(String, String)>;

fn template_keys(node: &Yaml) -> Keys {
    node.as_vec()
        .unwrap()
        .iter()
        .map(|k| (k["AttributeName"].as_str().unwrap().into(), k["KeyType"].as_str().unwrap().into()))
        .collect()
}

fn table_keys(keys: &[aws_sdk_dynamodb::types::KeySchemaElement]) -> Keys {
    keys.iter().map(|k| (k.attribute_name().to_owned(), k.key_type().as_str().to_owned())).collect()
}

#[tokio::test]
async fn the_template_table_is_the_one_the_code_creates() {
    let api = TestApi::new("schema").await;
    let table =
        api.store.client().describe_table().table_name(&api.config.table_name).send().await.unwrap().table.unwrap();
    let template = yaml("template.yaml");
    let declared = &template["Resources"]["CallsTable"]["Properties"];

    assert_eq!(template_keys(&declared["KeySchema"]), table_keys(table.key_schema()));
    let attributes = |pairs: Vec<(String, String)>| pairs.into_iter().collect::<BTreeSet<_>>();
    assert_eq!(
        attributes(
            declared["AttributeDefinitions"]
                .as_vec()
                .unwrap()
                .iter()
                .map(|a| (a["AttributeName"].as_str().unwrap().into(), a["AttributeType"].as_str().unwrap().into()))
                .collect()
        ),
        attributes(
            table
                .attribute_definitions()
                .iter()
                .map(|a| (a.attribute_name().to_owned(), a.attribute_type().as_str().to_owned()))
                .collect()
        ),
    );

    let declared_indexes = declared["GlobalSecondaryIndexes"].as_vec().unwrap();
    let indexes = table.global_secondary_indexes();
    assert_eq!(declared_indexes.len(), indexes.len());
    for (name, projection_of_code) in
        [(BILL_INDEX, &BILL_INDEX_PROJECTION[..]), (UNMATCHED_INDEX, &UNMATCHED_INDEX_PROJECTION[..])]
    {
        let declared_index =
            declared_indexes.iter().find(|i| i["IndexName"].as_str() == Some(name)).expect("declared in the template");
        let index = indexes.iter().find(|i| i.index_name() == Some(name)).expect("created by create_table");
        assert_eq!(template_keys(&declared_index["KeySchema"]), table_keys(index.key_schema()), "{name}");
        let projection = index.projection().unwrap();
        assert_eq!(
            declared_index["Projection"]["ProjectionType"].as_str(),
            projection.projection_type().map(|t| t.as_str())
        );
        assert_eq!(strings(&declared_index["Projection"]["NonKeyAttributes"]), projection.non_key_attributes());
        assert_eq!(projection.non_key_attributes(), projection_of_code, "{name}");
    }

    // Each function may query exactly the index it reads: bills the bills, call-records the unmatched.
    for (function, index) in [("BillsFunction", BILL_INDEX), ("CallRecordsFunction", UNMATCHED_INDEX)] {
        let statements = template["Resources"][function]["Properties"]["Policies"][0]["Statement"].as_vec().unwrap();
        let queries: Vec<&str> = statements
            .iter()
            .filter(|s| s["Action"].as_str() == Some("dynamodb:Query"))
            .map(|s| s["Resource"].as_str().unwrap())
            .collect();
        assert_eq!(queries.len(), 1, "{function}");
        assert!(queries[0].ends_with(&format!("/index/{index}")), "{function}: {queries:?}");
    }
    // Only call-records scans (Sparrow's listing); bills reads items, never scans.
    let actions = |function: &str| -> Vec<String> {
        template["Resources"][function]["Properties"]["Policies"][0]["Statement"]
            .as_vec()
            .unwrap()
            .iter()
            .flat_map(|s| match &s["Action"] {
                Yaml::Array(list) => list.iter().map(|a| a.as_str().unwrap().to_owned()).collect(),
                action => vec![action.as_str().unwrap().to_owned()],
            })
            .collect()
    };
    assert!(actions("CallRecordsFunction").contains(&"dynamodb:Scan".to_owned()));
    // A batch reads its calls in one request (Store::read_calls).
    assert!(actions("CallRecordsFunction").contains(&"dynamodb:BatchGetItem".to_owned()));
    // Its start-up probe is a transaction of one condition (Store::probe).
    assert!(actions("CallRecordsFunction").contains(&"dynamodb:ConditionCheckItem".to_owned()));
    assert!(!actions("BillsFunction").contains(&"dynamodb:Scan".to_owned()));
}

/// Every (method, path, function) the API serves, as each document says.
type Routes = BTreeSet<(String, String, String)>;

#[test]
fn template_router_and_openapi_name_the_same_routes() {
    let template = yaml("template.yaml");
    let mut from_template = Routes::new();
    for (function, name) in [("CallRecordsFunction", "call-records"), ("BillsFunction", "bills")] {
        let events = template["Resources"][function]["Properties"]["Events"].as_hash().unwrap();
        for event in events.values() {
            let properties = &event["Properties"];
            from_template.insert((
                properties["Method"].as_str().unwrap().into(),
                properties["Path"].as_str().unwrap().into(),
                name.into(),
            ));
        }
    }

    let manifest: toml::Table = std::fs::read_to_string(format!("{ROOT}/Cargo.toml")).unwrap().parse().unwrap();
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"].as_table().unwrap();
    let mut from_router = Routes::new();
    for (path, routes) in router {
        for route in routes.as_array().unwrap() {
            from_router.insert((
                route["method"].as_str().unwrap().into(),
                path.clone(),
                route["function"].as_str().unwrap().into(),
            ));
        }
    }

    let openapi = yaml("openapi.yaml");
    let paths = &openapi["paths"];
    // A path item may refer to another one (`$ref: "#/paths/~1signaling~1"`).
    let resolve = |item: &Yaml| -> Yaml {
        match item["$ref"].as_str().and_then(|r| r.strip_prefix("#/paths/")) {
            Some(pointer) => paths[pointer.replace("~1", "/").as_str()].clone(),
            None => item.clone(),
        }
    };
    let from_openapi: BTreeSet<(String, String)> = paths
        .as_hash()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            let methods: Vec<String> =
                resolve(item).as_hash().unwrap().keys().map(|m| m.as_str().unwrap().to_uppercase()).collect();
            methods.into_iter().map(move |m| (m, path.as_str().unwrap().to_owned()))
        })
        .collect();

    assert_eq!(from_template, from_router);
    assert_eq!(from_openapi, from_template.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect());
    assert_eq!(from_template.len(), 6 + 18, "the /v1 routes and the earlier APIs' 9, each with and without its slash");
}

/// The error codes of the code are the ones openapi.yaml and the README list.
#[test]
fn openapi_and_readme_list_the_error_codes_of_the_code() {
    let codes: BTreeSet<&str> = callbill::ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let openapi = yaml("openapi.yaml");
    let listed = &openapi["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"];
    let from_openapi: BTreeSet<String> = strings(listed).into_iter().collect();
    assert_eq!(from_openapi, codes.iter().map(|c| c.to_string()).collect(), "openapi.yaml's code enum");

    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let errors = readme.split("### Errors").nth(1).expect("README has an Errors section");
    let section = errors.split("\n## ").next().unwrap();
    for code in &codes {
        assert!(section.contains(&format!("`{code}`")), "README's Errors section does not list {code}");
    }
}

/// Metrics AWS emits that the template's alarms and dashboard may name, by
/// namespace (from the CloudWatch documentation of each service).
const AWS_METRICS: [(&str, &[&str]); 3] = [
    ("AWS/ApiGateway", &["Count", "4xx", "5xx", "Latency", "IntegrationLatency", "DataProcessed"]),
    ("AWS/Lambda", &["Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"]),
    (
        "AWS/DynamoDB",
        &[
            "ConsumedReadCapacityUnits",
            "ConsumedWriteCapacityUnits",
            "ReadThrottleEvents",
            "WriteThrottleEvents",
            "ThrottledRequests",
            "SystemErrors",
            "UserErrors",
            "SuccessfulRequestLatency",
        ],
    ),
];

fn emitted(namespace: &str, metric: &str) -> bool {
    if namespace == callbill::metrics::NAMESPACE {
        return callbill::metrics::Metric::NAMES.contains(&metric);
    }
    AWS_METRICS.iter().any(|(ns, names)| *ns == namespace && names.contains(&metric))
}

/// Every alarm and dashboard widget names a metric that the functions or AWS emit,
/// and every alarm notifies the optional topic.
#[test]
fn alarms_and_dashboard_name_metrics_that_exist() {
    let template = yaml("template.yaml");
    let resources = template["Resources"].as_hash().unwrap();
    let mut alarms = 0;
    for (name, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::CloudWatch::Alarm") {
            continue;
        }
        alarms += 1;
        let properties = &resource["Properties"];
        let mut named = Vec::new();
        if let Some(metric) = properties["MetricName"].as_str() {
            named.push((properties["Namespace"].as_str().unwrap().to_owned(), metric.to_owned()));
        }
        for query in properties["Metrics"].as_vec().into_iter().flatten() {
            let metric = &query["MetricStat"]["Metric"];
            if let Some(metric_name) = metric["MetricName"].as_str() {
                named.push((metric["Namespace"].as_str().unwrap().to_owned(), metric_name.to_owned()));
            }
        }
        assert!(!named.is_empty(), "{name:?} names no metric");
        for (namespace, metric) in named {
            assert!(emitted(&namespace, &metric), "{name:?}: {namespace} {metric} is not emitted");
        }
        assert!(!properties["AlarmActions"].is_badvalue(), "{name:?} notifies the alarm topic");
    }
    assert_eq!(
        alarms, 9,
        "API 5xx, errors and throttles of 2 functions, DynamoDB read/write throttles and system errors, 503s"
    );

    let body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"].as_str().unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(body).expect("the dashboard body is JSON");
    let mut checked = 0;
    for widget in dashboard["widgets"].as_array().unwrap() {
        for line in widget["properties"]["metrics"].as_array().unwrap() {
            let line = line.as_array().unwrap();
            match line[0].as_str() {
                Some(namespace) => {
                    assert!(emitted(namespace, line[1].as_str().unwrap()), "{line:?}");
                    checked += 1;
                }
                None => {
                    // SEARCH('{Namespace,Dimensions...} MetricName="X" ...')
                    let expression = line[0]["expression"].as_str().unwrap();
                    let namespace = expression.split('{').nth(1).unwrap().split(',').next().unwrap();
                    let metric = expression.split("MetricName=\"").nth(1).unwrap().split('"').next().unwrap();
                    assert!(emitted(namespace, metric), "{expression}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 15, "{checked} widget metrics");
}
