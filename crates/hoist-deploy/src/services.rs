//! Which ECS services of a stack read a secret: a container's `secrets[].valueFrom` names a
//! Secrets Manager secret by its full ARN, by its partial ARN (without the six random
//! characters Secrets Manager appends to the name), either of them followed by
//! `:json-key:version-stage:version-id` (fields may be empty), as the ECS developer guide
//! ("Pass Secrets Manager secrets through Amazon ECS environment variables") documents.

/// The cluster and service names of an `AWS::ECS::Service`'s physical id, the service ARN
/// in the long format `arn:PARTITION:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE`. The old
/// short format names no cluster: `None`.
#[must_use]
pub fn service_from_arn(arn: &str) -> Option<(String, String)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("service"), Some(cluster), Some(service), None)
            if !cluster.is_empty() && !service.is_empty() =>
        {
            Some((cluster.to_owned(), service.to_owned()))
        }
        _ => None,
    }
}

/// Whether `value_from` refers to the secret whose full ARN is `secret_arn`.
#[must_use]
pub fn reads_secret(value_from: &str, secret_arn: &str) -> bool {
    // arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key:stage:version]
    let fields: Vec<&str> = value_from.split(':').collect();
    if fields.len() < 7 || fields[2] != "secretsmanager" || fields[5] != "secret" {
        return false;
    }
    let referenced = fields[..7].join(":");
    if referenced == secret_arn {
        return true;
    }
    // A partial ARN: the full one without its `-XXXXXX` suffix.
    secret_arn
        .len()
        .checked_sub(7)
        .and_then(|cut| secret_arn.get(..cut).map(|p| (p, &secret_arn[cut..])))
        .is_some_and(|(partial, suffix)| {
            suffix.starts_with('-')
                && suffix[1..].chars().all(|c| c.is_ascii_alphanumeric())
                && partial == referenced
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str =
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:hindsight-dev-llm-AbC123";

    #[test]
    fn value_from_table() {
        let partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hindsight-dev-llm";
        let cases = [
            (ARN.to_owned(), true),
            (format!("{ARN}:api_key::"), true),
            (format!("{ARN}:api_key:AWSCURRENT:"), true),
            (format!("{ARN}::AWSPREVIOUS:"), true),
            (partial.to_owned(), true),
            (format!("{partial}:api_key::"), true),
            (
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:hindsight-dev-rds-XyZ789"
                    .to_owned(),
                false,
            ),
            (
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:hindsight-dev".to_owned(),
                false,
            ),
            (
                "arn:aws:ssm:us-east-1:123456789012:parameter/hindsight-dev-llm".to_owned(),
                false,
            ),
            ("hindsight-dev-llm".to_owned(), false),
        ];
        for (value_from, want) in cases {
            assert_eq!(reads_secret(&value_from, ARN), want, "{value_from}");
        }
    }

    #[test]
    fn service_arns() {
        assert_eq!(
            service_from_arn("arn:aws:ecs:us-east-1:123456789012:service/hindsight-dev/api"),
            Some(("hindsight-dev".into(), "api".into()))
        );
        assert_eq!(
            service_from_arn("arn:aws:ecs:us-east-1:123456789012:service/api"),
            None
        );
        assert_eq!(service_from_arn("api"), None);
    }
}
