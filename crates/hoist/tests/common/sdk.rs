//! The AWS SDK as the tests use it to set up and read back what hoist did: a runtime of the
//! test's own and a configuration pointing at one sandbox endpoint with static test keys.

#![allow(dead_code)]

/// A current-thread runtime for the SDK calls of one test.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The SDK configuration for `endpoint` (moto, or the strict proxy in front of it) in the
/// sandbox's region, with moto's test keys.
pub fn config(rt: &tokio::runtime::Runtime, endpoint: &str) -> aws_config::SdkConfig {
    rt.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new(
                hoist_testkit::sandbox::Moto::REGION,
            ))
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load(),
    )
}

/// The id of the service's PRIMARY deployment.
pub fn primary_deployment(
    rt: &tokio::runtime::Runtime,
    conf: &aws_config::SdkConfig,
    cluster: &str,
    service: &str,
) -> String {
    let ecs = aws_sdk_ecs::Client::new(conf);
    let out = rt
        .block_on(
            ecs.describe_services()
                .cluster(cluster)
                .services(service)
                .send(),
        )
        .unwrap();
    out.services()[0]
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .unwrap()
        .id()
        .unwrap()
        .to_owned()
}
