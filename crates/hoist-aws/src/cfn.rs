//! CloudFormation: stacks, change sets, events and outputs.
//!
//! Every change goes through a change set whose type is always given (CREATE for a stack
//! that does not exist yet, UPDATE otherwise: never the API's default). The pure functions
//! ([`first_failure`], [`is_no_changes`], the status predicates) decide what a deploy
//! reports and are tested on their own. Statuses are [`Status`] values, parsed from AWS's names.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, Tag, TemplateStage};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

pub use crate::cfn_status::Status;
use crate::{Aws, AwsError};

/// A stack as `DescribeStacks` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    pub stack_id: String,
    pub name: String,
    pub status: Status,
    pub status_reason: Option<String>,
    pub outputs: BTreeMap<String, String>,
    /// `ParameterKey` → `ParameterValue` (`****` for `NoEcho` parameters).
    pub parameters: BTreeMap<String, String>,
    /// The stack's tags.
    pub tags: BTreeMap<String, String>,
}

/// One row of `DescribeChangeSet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    /// `True`, `False` or `Conditional` (modifications only).
    pub replacement: Option<String>,
}

/// Where a change set ended up once CloudFormation finished computing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSetOutcome {
    /// Ready to execute.
    Ready(Vec<Change>),
    /// CloudFormation found nothing to change (the change set is FAILED with that reason).
    NoChanges,
    /// The change set could not be created (template or parameter errors).
    Failed(String),
}

/// One `DescribeStackEvents` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEvent {
    pub event_id: String,
    /// RFC 3339.
    pub timestamp: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: Status,
    pub reason: Option<String>,
}

/// How the template reaches CloudFormation.
#[derive(Debug, Clone, Copy)]
pub enum TemplateSource<'a> {
    /// `TemplateBody`: at most 51,200 bytes.
    Body(&'a str),
    /// `TemplateURL`: an S3 object URL, at most 1 MB.
    Url(&'a str),
}

/// What a change set should do.
#[derive(Debug, Clone)]
pub struct ChangeSetRequest<'a> {
    pub stack_name: &'a str,
    pub change_set_name: &'a str,
    pub template: TemplateSource<'a>,
    pub parameters: &'a BTreeMap<String, String>,
    /// The role CloudFormation acts as (`RoleARN`: the CDK execution role).
    pub role_arn: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
    /// CREATE when the stack does not exist (or only as `REVIEW_IN_PROGRESS`), else UPDATE.
    pub create: bool,
}

/// Whether a change set's failure only means "nothing to do".
#[must_use]
pub fn is_no_changes(status_reason: &str) -> bool {
    status_reason.contains("didn't contain changes")
        || status_reason.contains("No updates are to be performed")
}

/// A status CloudFormation will not leave by itself ([`Status::is_terminal`]).
#[must_use]
pub fn is_terminal(status: &Status) -> bool {
    status.is_terminal()
}

/// A status that means the last operation did not do what was asked ([`Status::is_failed`]).
#[must_use]
pub fn is_failed(status: &Status) -> bool {
    status.is_failed()
}

/// The resource that caused a failed operation: the oldest `*_FAILED` resource event whose
/// reason is not the knock-on "Resource creation/update cancelled". `events` are newest first,
/// as `DescribeStackEvents` returns them; only those of this operation are passed.
#[must_use]
pub fn first_failure(events: &[StackEvent]) -> Option<&StackEvent> {
    let failed: Vec<&StackEvent> = events
        .iter()
        .rev()
        .filter(|e| e.status.is_failure() && e.resource_type != "AWS::CloudFormation::Stack")
        .collect();
    failed
        .iter()
        .find(|e| {
            !e.reason
                .as_deref()
                .unwrap_or_default()
                .contains("cancelled")
        })
        .or_else(|| failed.first())
        .copied()
}

/// One row of `DescribeStackResources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    pub logical_id: String,
    /// `None` while the resource has no physical id yet (or moto reports "None").
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: Status,
}

/// A CloudFormation client.
#[derive(Debug, Clone)]
pub struct Cfn {
    client: aws_sdk_cloudformation::Client,
}

impl Cfn {
    #[must_use]
    pub fn new(aws: &Aws) -> Self {
        Self {
            client: aws_sdk_cloudformation::Client::new(aws.sdk_config()),
        }
    }

    /// Wraps an SDK client (tests replaying recorded answers).
    #[must_use]
    pub fn from_client(client: aws_sdk_cloudformation::Client) -> Self {
        Self { client }
    }

    /// The stack, or `None` when CloudFormation says it does not exist.
    ///
    /// # Errors
    /// The AWS error.
    pub async fn describe_stack(&self, name: &str) -> Result<Option<Stack>, AwsError> {
        let out = match self.client.describe_stacks().stack_name(name).send().await {
            Ok(out) => out,
            Err(err) => {
                let missing = err.as_service_error().is_some_and(|e| {
                    e.code() == Some("ValidationError")
                        && e.message().is_some_and(|m| m.contains("does not exist"))
                });
                if missing {
                    return Ok(None);
                }
                return Err(AwsError::from_sdk("cloudformation:DescribeStacks", err));
            }
        };
        Ok(out.stacks().first().map(|s| Stack {
            stack_id: s.stack_id().unwrap_or_default().to_owned(),
            name: s.stack_name().unwrap_or_default().to_owned(),
            status: Status::parse(s.stack_status().map_or("", |x| x.as_str())),
            status_reason: s.stack_status_reason().map(str::to_owned),
            outputs: s
                .outputs()
                .iter()
                .filter_map(|o| {
                    Some((
                        o.output_key()?.to_owned(),
                        o.output_value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect(),
            parameters: s
                .parameters()
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_key()?.to_owned(),
                        p.parameter_value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect(),
            tags: s
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                .collect(),
        }))
    }

    /// The template the stack was last deployed with, as it was submitted (`GetTemplate`,
    /// stage `Original`).
    ///
    /// # Errors
    /// The AWS error.
    pub async fn get_template(&self, stack: &str) -> Result<String, AwsError> {
        let out = self
            .client
            .get_template()
            .stack_name(stack)
            .template_stage(TemplateStage::Original)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("cloudformation:GetTemplate", e))?;
        Ok(out.template_body().unwrap_or_default().to_owned())
    }

    /// Creates a change set (type always explicit) and returns its id.
    ///
    /// # Errors
    /// The AWS error (template errors come back here as `ValidationError`).
    pub async fn create_change_set(&self, req: &ChangeSetRequest<'_>) -> Result<String, AwsError> {
        let params: Vec<Parameter> = req
            .parameters
            .iter()
            .map(|(k, v)| {
                Parameter::builder()
                    .parameter_key(k)
                    .parameter_value(v)
                    .build()
            })
            .collect();
        let tags: Vec<Tag> = req
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let mut call = self
            .client
            .create_change_set()
            .stack_name(req.stack_name)
            .change_set_name(req.change_set_name)
            .set_role_arn(req.role_arn.map(str::to_owned));
        if !tags.is_empty() {
            call = call.set_tags(Some(tags));
        }
        call = match req.template {
            TemplateSource::Body(b) => call.template_body(b),
            TemplateSource::Url(u) => call.template_url(u),
        };
        let out = call
            .set_parameters(Some(params))
            .change_set_type(if req.create {
                ChangeSetType::Create
            } else {
                ChangeSetType::Update
            })
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .capabilities(Capability::CapabilityAutoExpand)
            .description("hoist deploy")
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("cloudformation:CreateChangeSet", e))?;
        out.id.ok_or_else(|| AwsError::Unexpected {
            action: "cloudformation:CreateChangeSet",
            detail: "no Id".into(),
        })
    }

    /// Polls the change set until CloudFormation has computed it (or `timeout` passes).
    ///
    /// # Errors
    /// The AWS error, or `Unexpected` on timeout.
    pub async fn wait_change_set(
        &self,
        id: &str,
        timeout: std::time::Duration,
    ) -> Result<ChangeSetOutcome, AwsError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut delay = std::time::Duration::from_millis(200);
        loop {
            let mut changes = Vec::new();
            let mut token: Option<String> = None;
            let (status, reason) = loop {
                let out = self
                    .client
                    .describe_change_set()
                    .change_set_name(id)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("cloudformation:DescribeChangeSet", e))?;
                for c in out.changes() {
                    if let Some(rc) = c.resource_change() {
                        changes.push(Change {
                            action: rc
                                .action()
                                .map(|a| a.as_str().to_owned())
                                .unwrap_or_default(),
                            logical_id: rc.logical_resource_id().unwrap_or_default().to_owned(),
                            physical_id: rc.physical_resource_id().map(str::to_owned),
                            resource_type: rc.resource_type().unwrap_or_default().to_owned(),
                            replacement: rc.replacement().map(|r| r.as_str().to_owned()),
                        });
                    }
                }
                let status = out
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default();
                let reason = out.status_reason().unwrap_or_default().to_owned();
                match out.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                    _ => break (status, reason),
                }
            };
            match status.as_str() {
                "CREATE_COMPLETE" => return Ok(ChangeSetOutcome::Ready(changes)),
                "FAILED" if is_no_changes(&reason) => return Ok(ChangeSetOutcome::NoChanges),
                "FAILED" => return Ok(ChangeSetOutcome::Failed(reason)),
                _ => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(AwsError::Unexpected {
                    action: "cloudformation:DescribeChangeSet",
                    detail: format!("change set still {status} after {}s", timeout.as_secs()),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(std::time::Duration::from_secs(5));
        }
    }

    /// Starts the change set.
    ///
    /// # Errors
    /// The AWS error.
    pub async fn execute_change_set(&self, id: &str) -> Result<(), AwsError> {
        self.client
            .execute_change_set()
            .change_set_name(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("cloudformation:ExecuteChangeSet", e))?;
        Ok(())
    }

    /// Deletes a change set that will not be executed.
    ///
    /// # Errors
    /// The AWS error.
    pub async fn delete_change_set(&self, id: &str) -> Result<(), AwsError> {
        self.client
            .delete_change_set()
            .change_set_name(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("cloudformation:DeleteChangeSet", e))?;
        Ok(())
    }

    /// Deletes change set `change_set_name` of `stack` by name (when its id is not known).
    ///
    /// # Errors
    /// The AWS error (`ChangeSetNotFound` included: callers decide).
    pub async fn delete_change_set_named(
        &self,
        stack: &str,
        change_set_name: &str,
    ) -> Result<(), AwsError> {
        self.client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set_name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("cloudformation:DeleteChangeSet", e))?;
        Ok(())
    }

    /// Deletes a stack: the empty `REVIEW_IN_PROGRESS` stack a planned CREATE change set
    /// leaves behind, or an environment's stack on `hoist teardown`.
    ///
    /// # Errors
    /// The AWS error.
    pub async fn delete_stack(&self, name: &str, role_arn: Option<&str>) -> Result<(), AwsError> {
        self.delete_stack_retaining(name, &[], role_arn).await
    }

    /// `DeleteStack`, keeping the resources named in `retain` (logical ids), as the
    /// execution role `role_arn` when given (a template environment's deploy role may delete
    /// its stack only through that role). CloudFormation accepts `retain` only for a stack in
    /// `DELETE_FAILED`.
    ///
    /// # Errors
    /// The AWS error.
    pub async fn delete_stack_retaining(
        &self,
        name: &str,
        retain: &[String],
        role_arn: Option<&str>,
    ) -> Result<(), AwsError> {
        let mut req = self
            .client
            .delete_stack()
            .stack_name(name)
            .set_role_arn(role_arn.map(str::to_owned));
        if !retain.is_empty() {
            req = req.set_retain_resources(Some(retain.to_vec()));
        }
        req.send()
            .await
            .map_err(|e| AwsError::from_sdk("cloudformation:DeleteStack", e))?;
        Ok(())
    }

    /// The stack's resources (`DescribeStackResources`).
    ///
    /// # Errors
    /// The AWS error.
    pub async fn stack_resources(&self, stack: &str) -> Result<Vec<StackResource>, AwsError> {
        let out = self
            .client
            .describe_stack_resources()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("cloudformation:DescribeStackResources", e))?;
        Ok(out
            .stack_resources()
            .iter()
            .filter_map(|r| {
                Some(StackResource {
                    logical_id: r.logical_resource_id()?.to_owned(),
                    physical_id: r
                        .physical_resource_id()
                        .filter(|p| !p.is_empty() && *p != "None")
                        .map(str::to_owned),
                    resource_type: r.resource_type()?.to_owned(),
                    status: Status::parse(r.resource_status().map_or("", |s| s.as_str())),
                })
            })
            .collect())
    }

    /// The stack's events newer than `after` (an event id), newest first; all of them on the
    /// first page when `after` is `None`.
    ///
    /// # Errors
    /// The AWS error.
    pub async fn events_since(
        &self,
        stack: &str,
        after: Option<&str>,
    ) -> Result<Vec<StackEvent>, AwsError> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .describe_stack_events()
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("cloudformation:DescribeStackEvents", e))?;
            for e in out.stack_events() {
                if after.is_some_and(|a| e.event_id() == Some(a)) {
                    return Ok(events);
                }
                events.push(StackEvent {
                    event_id: e.event_id().unwrap_or_default().to_owned(),
                    timestamp: e
                        .timestamp()
                        .and_then(|t| t.fmt(Format::DateTime).ok())
                        .unwrap_or_default(),
                    logical_id: e.logical_resource_id().unwrap_or_default().to_owned(),
                    physical_id: e.physical_resource_id().map(str::to_owned),
                    resource_type: e.resource_type().unwrap_or_default().to_owned(),
                    status: Status::parse(e.resource_status().map_or("", |s| s.as_str())),
                    reason: e.resource_status_reason().map(str::to_owned),
                });
            }
            match out.next_token() {
                Some(t) if !t.is_empty() && after.is_some() => token = Some(t.to_owned()),
                _ => return Ok(events),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web_identity::recorded;

    /// A `DescribeStackEvents` answer in AWS's wire format (query protocol XML, as in the
    /// CloudFormation API reference example), for a first deploy of the guide's stack whose
    /// RDS instance failed: the status reasons are written the way AWS writes them
    /// ("Resource handler returned message: …", "Resource creation cancelled", "The following
    /// resource(s) failed to create: […]"). It is not a capture from a live account: moto
    /// emits no resource events at all, so this path is tested on AWS's documented shape.
    const AWS_FAILED_CREATE_EVENTS: &str = r#"<DescribeStackEventsResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStackEventsResult>
    <StackEvents>
      <member>
        <StackId>arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/5b1e3c70-8a2f-11f0-9d41-0a1b2c3d4e5f</StackId>
        <EventId>e9</EventId>
        <StackName>HindsightDevStack</StackName>
        <LogicalResourceId>HindsightDevStack</LogicalResourceId>
        <PhysicalResourceId>arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/5b1e3c70-8a2f-11f0-9d41-0a1b2c3d4e5f</PhysicalResourceId>
        <ResourceType>AWS::CloudFormation::Stack</ResourceType>
        <Timestamp>2026-11-20T14:07:41.402Z</Timestamp>
        <ResourceStatus>ROLLBACK_COMPLETE</ResourceStatus>
      </member>
      <member>
        <StackId>arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/5b1e3c70-8a2f-11f0-9d41-0a1b2c3d4e5f</StackId>
        <EventId>e8</EventId>
        <StackName>HindsightDevStack</StackName>
        <LogicalResourceId>HindsightDevStack</LogicalResourceId>
        <ResourceType>AWS::CloudFormation::Stack</ResourceType>
        <Timestamp>2026-11-20T14:06:02.118Z</Timestamp>
        <ResourceStatus>ROLLBACK_IN_PROGRESS</ResourceStatus>
        <ResourceStatusReason>The following resource(s) failed to create: [RdsInstance, EcsSecurityGroup]. Rollback requested by user.</ResourceStatusReason>
      </member>
      <member>
        <StackId>arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/5b1e3c70-8a2f-11f0-9d41-0a1b2c3d4e5f</StackId>
        <EventId>EcsSecurityGroup-CREATE_FAILED-2026-11-20T14:06:01.530Z</EventId>
        <StackName>HindsightDevStack</StackName>
        <LogicalResourceId>EcsSecurityGroup</LogicalResourceId>
        <PhysicalResourceId></PhysicalResourceId>
        <ResourceType>AWS::EC2::SecurityGroup</ResourceType>
        <Timestamp>2026-11-20T14:06:01.530Z</Timestamp>
        <ResourceStatus>CREATE_FAILED</ResourceStatus>
        <ResourceStatusReason>Resource creation cancelled</ResourceStatusReason>
      </member>
      <member>
        <StackId>arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/5b1e3c70-8a2f-11f0-9d41-0a1b2c3d4e5f</StackId>
        <EventId>RdsInstance-CREATE_FAILED-2026-11-20T14:06:00.871Z</EventId>
        <StackName>HindsightDevStack</StackName>
        <LogicalResourceId>RdsInstance</LogicalResourceId>
        <PhysicalResourceId></PhysicalResourceId>
        <ResourceType>AWS::RDS::DBInstance</ResourceType>
        <Timestamp>2026-11-20T14:06:00.871Z</Timestamp>
        <ResourceStatus>CREATE_FAILED</ResourceStatus>
        <ResourceStatusReason>Resource handler returned message: "Cannot find version 15.2 for postgres (Service: Rds, Status Code: 400, Request ID: 3f0c7a52-1d8e-4b2a-9c6f-7e5d4c3b2a19)" (RequestToken: 8e2d1c0b-5a4f-4e3d-9c2b-1a0f9e8d7c6b, HandlerErrorCode: InvalidRequest)</ResourceStatusReason>
      </member>
      <member>
        <StackId>arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/5b1e3c70-8a2f-11f0-9d41-0a1b2c3d4e5f</StackId>
        <EventId>RdsInstance-CREATE_IN_PROGRESS-2026-11-20T14:05:58.208Z</EventId>
        <StackName>HindsightDevStack</StackName>
        <LogicalResourceId>RdsInstance</LogicalResourceId>
        <PhysicalResourceId></PhysicalResourceId>
        <ResourceType>AWS::RDS::DBInstance</ResourceType>
        <Timestamp>2026-11-20T14:05:58.208Z</Timestamp>
        <ResourceStatus>CREATE_IN_PROGRESS</ResourceStatus>
      </member>
      <member>
        <StackId>arn:aws:cloudformation:ca-central-1:123456789012:stack/HindsightDevStack/5b1e3c70-8a2f-11f0-9d41-0a1b2c3d4e5f</StackId>
        <EventId>e1</EventId>
        <StackName>HindsightDevStack</StackName>
        <LogicalResourceId>HindsightDevStack</LogicalResourceId>
        <ResourceType>AWS::CloudFormation::Stack</ResourceType>
        <Timestamp>2026-11-20T14:05:51.004Z</Timestamp>
        <ResourceStatus>CREATE_IN_PROGRESS</ResourceStatus>
        <ResourceStatusReason>User Initiated</ResourceStatusReason>
      </member>
    </StackEvents>
  </DescribeStackEventsResult>
  <ResponseMetadata>
    <RequestId>b7a3c2d1-0e9f-4a8b-8c7d-6e5f4a3b2c1d</RequestId>
  </ResponseMetadata>
</DescribeStackEventsResponse>
"#;

    fn cfn_answering(body: &'static str) -> Cfn {
        let conf = recorded::sdk_config(recorded::answering(200, body));
        Cfn::from_client(aws_sdk_cloudformation::Client::new(&conf))
    }

    #[tokio::test]
    async fn first_failure_from_aws_shaped_events_names_the_resource_and_reason() {
        let cfn = cfn_answering(AWS_FAILED_CREATE_EVENTS);
        let events = cfn
            .events_since("HindsightDevStack", Some("e0"))
            .await
            .unwrap();
        assert_eq!(events.len(), 6);
        let f = first_failure(&events).expect("a failed resource");
        assert_eq!(f.logical_id, "RdsInstance");
        assert_eq!(f.resource_type, "AWS::RDS::DBInstance");
        assert!(
            f.reason
                .as_deref()
                .unwrap()
                .contains("Cannot find version 15.2 for postgres")
        );
        assert_eq!(events[0].status, Status::RollbackComplete);
        assert!(is_failed(&events[0].status) && is_terminal(&events[0].status));
    }

    #[tokio::test]
    async fn events_stop_at_the_last_seen_event() {
        let cfn = cfn_answering(AWS_FAILED_CREATE_EVENTS);
        let events = cfn
            .events_since(
                "HindsightDevStack",
                Some("RdsInstance-CREATE_IN_PROGRESS-2026-11-20T14:05:58.208Z"),
            )
            .await
            .unwrap();
        assert_eq!(
            events
                .iter()
                .map(|e| e.event_id.as_str())
                .collect::<Vec<_>>()
                .len(),
            4
        );
    }

    #[test]
    fn status_predicates() {
        assert!(is_no_changes(
            "The submitted information didn't contain changes. Submit different information to create a change set."
        ));
        assert!(!is_no_changes(
            "Template format error: Unresolved resource dependencies [X]"
        ));
        let s = Status::parse;
        assert!(is_terminal(&s("UPDATE_COMPLETE")) && !is_failed(&s("UPDATE_COMPLETE")));
        assert!(!is_terminal(&s("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")));
        assert!(is_failed(&s("UPDATE_ROLLBACK_COMPLETE")) && is_failed(&s("CREATE_FAILED")));
    }
}
