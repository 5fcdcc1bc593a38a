//! What IAM authorizes for each call the strict proxy recorded: the `service:Action`, the
//! resource ARN and the condition keys AWS sets, per the Service Authorization Reference
//! ("Actions, resources, and condition keys for …") of each service.
//!
//! A call maps to zero or more requests: `sts:GetCallerIdentity` needs no permission ("No
//! permissions are required to perform this operation", STS API reference), a change set or
//! `DeleteStack` naming a `RoleARN` also needs `iam:PassRole` of that role to
//! `cloudformation.amazonaws.com`. A call this module does not know is an error, never
//! skipped, so a deploy that starts making a new call fails the test that maps it until the
//! call is mapped here.
//!
//! Names become ARNs through a [`Resolve`] the test builds from the sandbox (stack ids,
//! secret ARNs, which stack owns a resource): CloudFormation tags every resource it creates
//! with `aws:cloudformation:stack-name` (CloudFormation User Guide, "Resource tag"), which moto
//! does not, so `aws:ResourceTag/aws:cloudformation:stack-name` is the owning stack the
//! sandbox's `DescribeStackResources` names.

use serde_json::Value;

use crate::aws_proxy::RecordedCall;

/// One authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamRequest {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN (`*` where the action takes none).
    pub resource: String,
    /// Condition keys and their values.
    pub context: Vec<(String, Vec<String>)>,
}

impl IamRequest {
    fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        IamRequest {
            action: action.into(),
            resource: resource.into(),
            context: Vec::new(),
        }
    }

    fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.context.push((key.to_owned(), vec![value.into()]));
        self
    }

    fn with_tag(self, owner: Option<String>) -> Self {
        match owner {
            Some(stack) => self.with("aws:ResourceTag/aws:cloudformation:stack-name", stack),
            None => self,
        }
    }
}

/// What the test knows about the sandbox.
pub trait Resolve {
    /// The account id.
    fn account(&self) -> String;
    /// The region.
    fn region(&self) -> String;
    /// The ARN of the stack named (or identified by) `name_or_id`.
    fn stack_arn(&self, name_or_id: &str) -> Option<String>;
    /// The stack a change set ARN belongs to.
    fn change_set_stack(&self, change_set_arn: &str) -> Option<String>;
    /// The ARN of the secret named (or identified by) `id`.
    fn secret_arn(&self, id: &str) -> Option<String>;
    /// The stack that created the resource with this physical id or ARN.
    fn owning_stack(&self, physical_id: &str) -> Option<String>;
}

fn text<'v>(params: &'v Value, key: &str) -> Option<&'v str> {
    params.get(key).and_then(Value::as_str)
}

fn need<'v>(call: &'v RecordedCall, key: &str) -> Result<&'v str, String> {
    text(&call.params, key).ok_or_else(|| format!("{}:{} without {key}", call.service, call.action))
}

/// Form fields `PREFIX.member.N[.SUFFIX]` in order.
fn members(params: &Value, prefix: &str, suffix: &str) -> Vec<String> {
    (1..)
        .map_while(|n| {
            let key = if suffix.is_empty() {
                format!("{prefix}.member.{n}")
            } else {
                format!("{prefix}.member.{n}.{suffix}")
            };
            text(params, &key).map(str::to_owned)
        })
        .collect()
}

/// The IAM requests `call` needs, or why it cannot be mapped.
///
/// # Errors
/// An unknown service or action, a missing parameter, or a name `r` cannot resolve.
pub fn iam_requests(call: &RecordedCall, r: &dyn Resolve) -> Result<Vec<IamRequest>, String> {
    match call.service.as_str() {
        "sts" => sts(call),
        "cloudformation" => cloudformation(call, r),
        "secretsmanager" => secrets(call, r),
        "ecs" => ecs(call, r),
        "ssm" => ssm(call, r),
        "s3" => s3(call),
        "ecr" => ecr(call, r),
        other => Err(format!(
            "no IAM mapping for service {other} ({})",
            call.action
        )),
    }
}

fn sts(call: &RecordedCall) -> Result<Vec<IamRequest>, String> {
    match call.action.as_str() {
        "GetCallerIdentity" => Ok(Vec::new()),
        "AssumeRole" => Ok(vec![
            IamRequest::new("sts:AssumeRole", need(call, "RoleArn")?)
                .with("sts:RoleSessionName", need(call, "RoleSessionName")?),
        ]),
        a => Err(format!("no IAM mapping for sts:{a}")),
    }
}

fn cloudformation(call: &RecordedCall, r: &dyn Resolve) -> Result<Vec<IamRequest>, String> {
    let a = call.action.as_str();
    let action = format!("cloudformation:{a}");
    let stack = |call: &RecordedCall| -> Result<String, String> {
        if let Some(name) = text(&call.params, "StackName") {
            return r
                .stack_arn(name)
                .ok_or_else(|| format!("{action}: unknown stack {name}"));
        }
        let cs = need(call, "ChangeSetName")?;
        r.change_set_stack(cs)
            .ok_or_else(|| format!("{action}: change set {cs} names no stack"))
    };
    match a {
        "ValidateTemplate" => Ok(vec![IamRequest::new(action.clone(), "*")]),
        "GetTemplateSummary" => Ok(vec![match text(&call.params, "StackName") {
            Some(_) => IamRequest::new(action.clone(), stack(call)?),
            None => IamRequest::new(action.clone(), "*"),
        }]),
        "DescribeStacks"
        | "DescribeStackEvents"
        | "DescribeStackResource"
        | "DescribeStackResources"
        | "GetTemplate"
        | "ListChangeSets"
        | "ListStackResources"
        | "DescribeChangeSet"
        | "ExecuteChangeSet"
        | "DeleteChangeSet" => Ok(vec![IamRequest::new(action.clone(), stack(call)?)]),
        "CreateChangeSet" | "DeleteStack" => {
            let arn = stack(call)?;
            let mut main = IamRequest::new(&action, &arn);
            if let Some(name) = text(&call.params, "ChangeSetName") {
                main = main.with("cloudformation:ChangeSetName", name);
            }
            if let Some(url) = text(&call.params, "TemplateURL") {
                main = main.with("cloudformation:TemplateUrl", url);
            }
            if text(&call.params, "ChangeSetType") == Some("IMPORT") {
                let types = members(&call.params, "ResourcesToImport", "ResourceType");
                main.context
                    .push(("cloudformation:ImportResourceTypes".to_owned(), types));
            }
            let mut out = Vec::new();
            if let Some(role) = text(&call.params, "RoleARN") {
                main = main.with("cloudformation:RoleArn", role);
                out.push(
                    IamRequest::new("iam:PassRole", role)
                        .with("iam:PassedToService", "cloudformation.amazonaws.com"),
                );
            }
            out.insert(0, main);
            Ok(out)
        }
        _ => Err(format!("no IAM mapping for {action}")),
    }
}

fn secrets(call: &RecordedCall, r: &dyn Resolve) -> Result<Vec<IamRequest>, String> {
    let a = call.action.as_str();
    match a {
        "DescribeSecret" | "GetSecretValue" | "PutSecretValue" => {
            let id = need(call, "SecretId")?;
            let arn = r
                .secret_arn(id)
                .ok_or_else(|| format!("secretsmanager:{a}: unknown secret {id}"))?;
            Ok(vec![
                IamRequest::new(format!("secretsmanager:{a}"), &arn)
                    .with("secretsmanager:SecretId", &arn)
                    .with_tag(r.owning_stack(&arn)),
            ])
        }
        _ => Err(format!("no IAM mapping for secretsmanager:{a}")),
    }
}

fn ecs_cluster_arn(r: &dyn Resolve, cluster: &str) -> String {
    if cluster.starts_with("arn:") {
        cluster.to_owned()
    } else {
        format!(
            "arn:aws:ecs:{}:{}:cluster/{cluster}",
            r.region(),
            r.account()
        )
    }
}

fn ecs_last(name_or_arn: &str) -> &str {
    name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
}

fn ecs(call: &RecordedCall, r: &dyn Resolve) -> Result<Vec<IamRequest>, String> {
    let a = call.action.as_str();
    let action = format!("ecs:{a}");
    let cluster = text(&call.params, "cluster").unwrap_or("default");
    let cluster_arn = ecs_cluster_arn(r, cluster);
    let cluster_name = ecs_last(&cluster_arn).to_owned();
    let service_arn = |s: &str| {
        format!(
            "arn:aws:ecs:{}:{}:service/{cluster_name}/{}",
            r.region(),
            r.account(),
            ecs_last(s)
        )
    };
    let list = |key: &str| -> Vec<String> {
        call.params
            .get(key)
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    match a {
        "UpdateService" => {
            let arn = service_arn(need(call, "service")?);
            let owner = r.owning_stack(&arn);
            Ok(vec![
                IamRequest::new(action, arn)
                    .with("ecs:cluster", &cluster_arn)
                    .with_tag(owner),
            ])
        }
        "DescribeServices" => Ok(list("services")
            .iter()
            .map(|s| {
                let arn = service_arn(s);
                let owner = r.owning_stack(&arn);
                IamRequest::new(&action, arn)
                    .with("ecs:cluster", &cluster_arn)
                    .with_tag(owner)
            })
            .collect()),
        "DescribeTasks" => Ok(list("tasks")
            .iter()
            .map(|t| {
                let arn = if t.starts_with("arn:") {
                    t.clone()
                } else {
                    format!(
                        "arn:aws:ecs:{}:{}:task/{cluster_name}/{t}",
                        r.region(),
                        r.account()
                    )
                };
                IamRequest::new(&action, arn).with("ecs:cluster", &cluster_arn)
            })
            .collect()),
        // ListTasks is authorized on the cluster's container instances, which a list call
        // does not name: the policy must allow it on `*`, conditioned on `ecs:cluster` if at all.
        "ListTasks" => Ok(vec![
            IamRequest::new(action, "*").with("ecs:cluster", &cluster_arn),
        ]),
        _ => Err(format!("no IAM mapping for {action}")),
    }
}

fn ssm(call: &RecordedCall, r: &dyn Resolve) -> Result<Vec<IamRequest>, String> {
    match call.action.as_str() {
        "GetParameter" => {
            let name = need(call, "Name")?;
            let path = name.trim_start_matches('/');
            Ok(vec![IamRequest::new(
                "ssm:GetParameter",
                format!(
                    "arn:aws:ssm:{}:{}:parameter/{path}",
                    r.region(),
                    r.account()
                ),
            )])
        }
        a => Err(format!("no IAM mapping for ssm:{a}")),
    }
}

fn s3(call: &RecordedCall) -> Result<Vec<IamRequest>, String> {
    let bucket = need(call, "Bucket")?;
    let object = |action: &str| -> Result<Vec<IamRequest>, String> {
        let key = need(call, "Key")?;
        Ok(vec![IamRequest::new(
            action,
            format!("arn:aws:s3:::{bucket}/{key}"),
        )])
    };
    match call.action.as_str() {
        "PutObject" | "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => {
            object("s3:PutObject")
        }
        "GetObject" => object("s3:GetObject"),
        // HeadObject is authorized as GetObject (S3 API reference, HeadObject "Permissions").
        "HeadObject" => object("s3:GetObject"),
        "ListObjectsV2" | "ListObjects" => Ok(vec![IamRequest::new(
            "s3:ListBucket",
            format!("arn:aws:s3:::{bucket}"),
        )]),
        "GetBucketLocation" => Ok(vec![IamRequest::new(
            "s3:GetBucketLocation",
            format!("arn:aws:s3:::{bucket}"),
        )]),
        a => Err(format!("no IAM mapping for s3 {a}")),
    }
}

fn ecr(call: &RecordedCall, r: &dyn Resolve) -> Result<Vec<IamRequest>, String> {
    let a = call.action.as_str();
    let repo = |name: &str| {
        format!(
            "arn:aws:ecr:{}:{}:repository/{name}",
            r.region(),
            r.account()
        )
    };
    match a {
        "GetAuthorizationToken" => Ok(vec![IamRequest::new("ecr:GetAuthorizationToken", "*")]),
        "DescribeRepositories" => Ok(call
            .params
            .get("repositoryNames")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(Value::as_str)
                    .map(|n| IamRequest::new("ecr:DescribeRepositories", repo(n)))
                    .collect()
            })
            .unwrap_or_else(|| vec![IamRequest::new("ecr:DescribeRepositories", "*")])),
        "DescribeImages"
        | "BatchGetImage"
        | "BatchCheckLayerAvailability"
        | "PutImage"
        | "InitiateLayerUpload"
        | "UploadLayerPart"
        | "CompleteLayerUpload" => Ok(vec![IamRequest::new(
            format!("ecr:{a}"),
            repo(need(call, "repositoryName")?),
        )]),
        _ => Err(format!("no IAM mapping for ecr:{a}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Sandbox;

    impl Resolve for Sandbox {
        fn account(&self) -> String {
            "123456789012".into()
        }
        fn region(&self) -> String {
            "ca-central-1".into()
        }
        fn stack_arn(&self, name: &str) -> Option<String> {
            (name == "S")
                .then(|| "arn:aws:cloudformation:ca-central-1:123456789012:stack/S/1".to_owned())
        }
        fn change_set_stack(&self, _: &str) -> Option<String> {
            None
        }
        fn secret_arn(&self, id: &str) -> Option<String> {
            Some(format!(
                "arn:aws:secretsmanager:ca-central-1:123456789012:secret:{id}-AbCdEf"
            ))
        }
        fn owning_stack(&self, id: &str) -> Option<String> {
            id.contains("owned").then(|| "S".to_owned())
        }
    }

    fn call(service: &str, action: &str, params: Value) -> RecordedCall {
        RecordedCall {
            service: service.into(),
            action: action.into(),
            identity: None,
            access_key: None,
            params,
            status: 200,
            rejected: None,
            upstream_ms: 0.0,
        }
    }

    #[test]
    fn change_set_with_role_needs_pass_role_and_import_types_are_set() {
        let got = iam_requests(
            &call(
                "cloudformation",
                "CreateChangeSet",
                json!({"StackName": "S", "ChangeSetName": "c", "RoleARN": "arn:aws:iam::123456789012:role/X",
                       "ChangeSetType": "IMPORT", "ResourcesToImport.member.1.ResourceType": "AWS::Lambda::Function"}),
            ),
            &Sandbox,
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].action, "cloudformation:CreateChangeSet");
        assert!(got[0].context.contains(&(
            "cloudformation:ImportResourceTypes".into(),
            vec!["AWS::Lambda::Function".into()]
        )));
        assert_eq!(got[1].action, "iam:PassRole");
        assert_eq!(got[1].resource, "arn:aws:iam::123456789012:role/X");
    }

    #[test]
    fn owned_resources_carry_the_stack_tag_and_unknown_calls_are_errors() {
        let got = iam_requests(
            &call(
                "secretsmanager",
                "PutSecretValue",
                json!({"SecretId": "owned"}),
            ),
            &Sandbox,
        )
        .unwrap();
        assert!(got[0].context.contains(&(
            "aws:ResourceTag/aws:cloudformation:stack-name".into(),
            vec!["S".into()]
        )));
        let free = iam_requests(
            &call("secretsmanager", "PutSecretValue", json!({"SecretId": "x"})),
            &Sandbox,
        )
        .unwrap();
        assert_eq!(free[0].context.len(), 1);
        assert!(iam_requests(&call("iam", "CreateRole", json!({})), &Sandbox).is_err());
        assert!(iam_requests(&call("cloudformation", "UpdateStack", json!({})), &Sandbox).is_err());
        assert!(
            iam_requests(
                &call(
                    "cloudformation",
                    "DescribeStacks",
                    json!({"StackName": "T"})
                ),
                &Sandbox
            )
            .is_err()
        );
    }
}
