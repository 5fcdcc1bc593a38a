//! A stack's template as CloudFormation holds it (`GetTemplate`), so teardown reads the
//! relations between the stack's resources from the stack itself.

use crate::{Aws, AwsError};

/// The stack's original template body (JSON or YAML, as it was submitted).
///
/// AWS: `cloudformation:GetTemplate` (stage `Original`, the default) answers the body for
/// stacks in any state but `DELETE_COMPLETE`.
///
/// # Errors
/// The AWS error; an answer without a body is [`AwsError::Unexpected`].
pub async fn template_body(aws: &Aws, stack: &str) -> Result<String, AwsError> {
    let out = aws_sdk_cloudformation::Client::new(aws.sdk_config())
        .get_template()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudformation:GetTemplate", e))?;
    out.template_body()
        .map(str::to_owned)
        .ok_or(AwsError::Unexpected {
            action: "cloudformation:GetTemplate",
            detail: "no TemplateBody".to_owned(),
        })
}
