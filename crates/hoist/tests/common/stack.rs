//! The guide's first, manual deploy (Step 4), done with CloudFormation's CreateStack.

use std::collections::BTreeMap;

/// Creates `stack` from `body` with `params` plus `EnvName=dev`, as `npx aws-cdk deploy` would
/// the first time (the guide's manual first deploy), so hoist's deploy is an UPDATE of an
/// existing stack.
pub fn create_stack_by_hand(
    rt: &tokio::runtime::Runtime,
    conf: &aws_config::SdkConfig,
    stack: &str,
    body: &str,
    params: &BTreeMap<String, String>,
) {
    use aws_sdk_cloudformation::types::{Capability, Parameter};
    let cfn = aws_sdk_cloudformation::Client::new(conf);
    let params: Vec<_> = params
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .chain([Parameter::builder()
            .parameter_key("EnvName")
            .parameter_value("dev")
            .build()])
        .collect();
    rt.block_on(
        cfn.create_stack()
            .stack_name(stack)
            .template_body(body)
            .set_parameters(Some(params))
            .capabilities(Capability::CapabilityIam)
            .send(),
    )
    .unwrap();
}

/// Creates each `(parameter, name, value)` secret through the Secrets Manager API (moto's
/// CloudFormation cannot create `AWS::SecretsManager::Secret`) and returns parameter → ARN,
/// the template's bring-your-own-secret parameters.
pub fn create_secrets(
    rt: &tokio::runtime::Runtime,
    conf: &aws_config::SdkConfig,
    secrets: &[(&str, &str, Option<&str>)],
) -> BTreeMap<String, String> {
    let sm = aws_sdk_secretsmanager::Client::new(conf);
    secrets
        .iter()
        .map(|(param, name, value)| {
            let out = rt
                .block_on(
                    sm.create_secret()
                        .name(*name)
                        .set_secret_string(value.map(str::to_owned))
                        .send(),
                )
                .unwrap();
            ((*param).to_owned(), out.arn.unwrap())
        })
        .collect()
}
