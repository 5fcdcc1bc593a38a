//! AWS managed policies whose grant is an escalation path by itself, as AWS publishes them
//! (the IAM console's JSON of `arn:aws:iam::aws:policy/NAME`, default version), so the audit
//! finds them from the ARN alone — when the auditor may not read the policy version, or the
//! attached policy's document is not at hand.
//!
//! Only policies whose documents are stable and whose grant is the escalation are listed:
//! AdministratorAccess (everything), IAMFullAccess (`iam:*`), PowerUserAccess (everything
//! but IAM, Organizations and Account, so `sts:AssumeRole` of any role that trusts the
//! account).

use crate::model::PolicyDocument;

const ADMINISTRATOR_ACCESS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

const IAM_FULL_ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
  "iam:*","organizations:DescribeAccount","organizations:DescribeOrganization",
  "organizations:DescribeOrganizationalUnit","organizations:DescribePolicy",
  "organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget",
  "organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],
  "Resource":"*"}]}"#;

const POWER_USER_ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},
  {"Effect":"Allow","Action":["account:GetAccountInformation","account:GetPrimaryEmail",
   "account:ListRegions","iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole",
   "iam:ListRoles","organizations:DescribeOrganization"],"Resource":"*"}]}"#;

/// The document of a known AWS managed policy (any partition), `None` for any other ARN.
#[must_use]
pub fn known_aws_managed_policy(arn: &str) -> Option<PolicyDocument> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("iam"), Some(""), Some("aws"), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let text = match resource {
        "policy/AdministratorAccess" => ADMINISTRATOR_ACCESS,
        "policy/IAMFullAccess" => IAM_FULL_ACCESS,
        "policy/PowerUserAccess" => POWER_USER_ACCESS,
        _ => return None,
    };
    PolicyDocument::parse(text).ok()
}
