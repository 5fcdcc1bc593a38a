//! The `${AWS::AccountId}`, `${AWS::Partition}` and `${AWS::Region}` placeholders the CDK's
//! default synthesizer writes into role ARNs, bucket names and object keys, resolved for
//! the target environment as the CDK CLI resolves them.

/// The target environment of a deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Env {
    pub account: String,
    pub region: String,
}

impl Env {
    #[must_use]
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            account: account.into(),
            region: region.into(),
        }
    }

    /// The partition of the region (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, `aws-iso-b`).
    #[must_use]
    pub fn partition(&self) -> &'static str {
        partition(&self.region)
    }

    /// `s` with every placeholder replaced.
    #[must_use]
    pub fn resolve(&self, s: &str) -> String {
        s.replace("${AWS::AccountId}", &self.account)
            .replace("${AWS::Region}", &self.region)
            .replace("${AWS::Partition}", self.partition())
    }

    /// The S3 REST URL CloudFormation is given as `TemplateURL` for `s3://bucket/key`: the
    /// regional path-style endpoint of the partition, as the CDK CLI builds it. An
    /// `endpoint_override` (the CDK CLI's `AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION`) replaces
    /// the endpoint; the CLI's ordinary `AWS_ENDPOINT_URL_S3` must not, since CloudFormation
    /// itself fetches the URL.
    #[must_use]
    pub fn template_url(&self, bucket: &str, key: &str, endpoint_override: Option<&str>) -> String {
        let base = endpoint_override.map_or_else(
            || {
                format!(
                    "https://s3.{}.{}",
                    self.region,
                    dns_suffix(self.partition())
                )
            },
            |e| e.trim_end_matches('/').to_owned(),
        );
        format!("{base}/{bucket}/{key}")
    }
}

/// The partition a region belongs to.
#[must_use]
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

/// The DNS suffix of a partition's endpoints.
#[must_use]
pub fn dns_suffix(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "amazonaws.com.cn",
        "aws-iso" => "c2s.ic.gov",
        "aws-iso-b" => "sc2s.sgov.gov",
        _ => "amazonaws.com",
    }
}

/// Splits `s3://bucket/key` into bucket and key.
#[must_use]
pub fn split_s3_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_resolve_per_partition() {
        let table = [
            (
                "us-east-1",
                "arn:aws:iam::111111111111:role/cdk-hnb659fds-deploy-role-111111111111-us-east-1",
            ),
            (
                "cn-north-1",
                "arn:aws-cn:iam::111111111111:role/cdk-hnb659fds-deploy-role-111111111111-cn-north-1",
            ),
            (
                "us-gov-west-1",
                "arn:aws-us-gov:iam::111111111111:role/cdk-hnb659fds-deploy-role-111111111111-us-gov-west-1",
            ),
        ];
        for (region, want) in table {
            let env = Env::new("111111111111", region);
            assert_eq!(
                env.resolve("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-deploy-role-${AWS::AccountId}-${AWS::Region}"),
                want
            );
        }
    }

    #[test]
    fn template_urls_like_the_cdk_cli() {
        let env = Env::new("123456789012", "us-east-1");
        assert_eq!(
            env.template_url("my-bucket", "object", None),
            "https://s3.us-east-1.amazonaws.com/my-bucket/object"
        );
        assert_eq!(
            env.template_url("my-bucket", "object", Some("https://boop.com/")),
            "https://boop.com/my-bucket/object"
        );
        assert_eq!(
            Env::new("1", "cn-north-1").template_url("b", "k.json", None),
            "https://s3.cn-north-1.amazonaws.com.cn/b/k.json"
        );
    }

    #[test]
    fn s3_urls_split() {
        assert_eq!(split_s3_url("s3://b/k/x.json"), Some(("b", "k/x.json")));
        assert_eq!(split_s3_url("s3://b/"), None);
        assert_eq!(split_s3_url("https://b/k"), None);
    }
}
