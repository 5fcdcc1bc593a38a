//! ECR's data plane in the sandbox: moto has none (its repositories' `repositoryUri` and
//! `proxyEndpoint` name `ACCOUNT.dkr.ecr.REGION.amazonaws.com`, which does not resolve here), so
//! when the proxy is given a Distribution registry it rewrites those host names in ECR's
//! answers to the registry's `127.0.0.1:PORT` (plain HTTP, which Docker allows on loopback).
//! Clients that push images by what ECR tells them (the CDK CLI's `docker login` / `docker push`)
//! then reach a real registry. Nothing else in the answers changes.

/// `answer` with every `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]` host replaced by `registry`
/// (and `https://` before it by `http://`); `None` when there is none.
pub(crate) fn rewrite_registry_hosts(answer: &str, registry: &str) -> Option<String> {
    const MARK: &str = ".dkr.ecr.";
    let mut out = String::with_capacity(answer.len());
    let mut rest = answer;
    let mut changed = false;
    while let Some(at) = rest.find(MARK) {
        let account_start = rest[..at]
            .rfind(|c: char| !c.is_ascii_digit())
            .map_or(0, |i| i + 1);
        let tail = &rest[at + MARK.len()..];
        let host_len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .unwrap_or(tail.len());
        let host_tail = &tail[..host_len];
        let is_ecr = account_start < at
            && (host_tail.ends_with(".amazonaws.com") || host_tail.ends_with(".amazonaws.com.cn"));
        if !is_ecr {
            out.push_str(&rest[..at + MARK.len()]);
            rest = tail;
            continue;
        }
        let mut before = &rest[..account_start];
        if let Some(b) = before.strip_suffix("https://") {
            before = b;
            out.push_str(before);
            out.push_str("http://");
        } else {
            out.push_str(before);
        }
        out.push_str(registry);
        rest = &tail[host_len..];
        changed = true;
    }
    out.push_str(rest);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_repository_uris_and_proxy_endpoints() {
        let answer = r#"{"repositories":[{"repositoryUri":"123456789012.dkr.ecr.ca-central-1.amazonaws.com/cdk-hnb659fds-container-assets-123456789012-ca-central-1"}],"authorizationData":[{"proxyEndpoint":"https://123456789012.dkr.ecr.ca-central-1.amazonaws.com"}]}"#;
        let got = rewrite_registry_hosts(answer, "127.0.0.1:5001").unwrap();
        assert_eq!(
            got,
            r#"{"repositories":[{"repositoryUri":"127.0.0.1:5001/cdk-hnb659fds-container-assets-123456789012-ca-central-1"}],"authorizationData":[{"proxyEndpoint":"http://127.0.0.1:5001"}]}"#
        );
    }

    #[test]
    fn leaves_other_text_alone() {
        assert_eq!(
            rewrite_registry_hosts(r#"{"a":"x.dkr.ecr.example"}"#, "r"),
            None
        );
        assert_eq!(rewrite_registry_hosts("{}", "r"), None);
        assert_eq!(
            rewrite_registry_hosts("see .dkr.ecr.ca-central-1.amazonaws.com", "r"),
            None,
            "no account id before the mark"
        );
    }
}
