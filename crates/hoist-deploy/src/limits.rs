//! CloudFormation's documented template size quotas ("CloudFormation quotas", AWS
//! CloudFormation User Guide): a template passed in the request (`TemplateBody`) may hold
//! 51,200 bytes; one read from S3 (`TemplateURL`) 1 MB.

/// Largest `TemplateBody` CloudFormation accepts, in bytes.
pub const TEMPLATE_BODY_MAX: usize = 51_200;

/// Largest template CloudFormation reads from S3 (`TemplateURL`), in bytes (1 MB).
pub const TEMPLATE_URL_MAX: usize = 1_048_576;
