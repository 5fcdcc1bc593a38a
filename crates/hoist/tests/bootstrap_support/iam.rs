//! Direct IAM query-API calls to moto, independent of the code under test: to check what
//! hoist wrote and to inject drift the way a person with the console or CLI would.

pub(crate) struct IamApi {
    port: u16,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn xml_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text of every `<tag>…</tag>` in `xml`.
pub(crate) fn all_tags(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(xml_unescape(&after[..j]));
        rest = &after[j + close.len()..];
    }
    out
}

pub(crate) fn tag(xml: &str, tag: &str) -> Option<String> {
    all_tags(xml, tag).into_iter().next()
}

impl IamApi {
    pub(crate) fn new(port: u16) -> Self {
        Self { port }
    }

    /// POSTs `Action=…` with `params`; (HTTP status, body).
    pub(crate) fn call(&self, action: &str, params: &[(&str, &str)]) -> (u16, String) {
        crate::common::raw_aws::query(self.port, "iam", "2010-05-08", action, params)
    }

    fn ok(&self, action: &str, params: &[(&str, &str)]) -> String {
        let (status, body) = self.call(action, params);
        assert_eq!(status, 200, "{action} failed: {body}");
        body
    }

    /// The role's trust policy as JSON, or `None` when the role does not exist.
    pub(crate) fn trust_policy(&self, role: &str) -> Option<serde_json::Value> {
        let (status, body) = self.call("GetRole", &[("RoleName", role)]);
        if status == 404 {
            return None;
        }
        assert_eq!(status, 200, "GetRole: {body}");
        let encoded = tag(&body, "AssumeRolePolicyDocument").expect("AssumeRolePolicyDocument");
        Some(serde_json::from_str(&percent_decode(&encoded)).unwrap())
    }

    /// The whole GetRole answer.
    pub(crate) fn get_role(&self, role: &str) -> String {
        self.ok("GetRole", &[("RoleName", role)])
    }

    pub(crate) fn role_exists(&self, role: &str) -> bool {
        self.call("GetRole", &[("RoleName", role)]).0 == 200
    }

    pub(crate) fn providers(&self) -> Vec<String> {
        all_tags(&self.ok("ListOpenIDConnectProviders", &[]), "Arn")
    }

    pub(crate) fn provider_client_ids(&self, arn: &str) -> Vec<String> {
        let body = self.ok(
            "GetOpenIDConnectProvider",
            &[("OpenIDConnectProviderArn", arn)],
        );
        let list = tag(&body, "ClientIDList").unwrap_or_default();
        all_tags(&list, "member")
    }

    pub(crate) fn role_policy(&self, role: &str, name: &str) -> Option<serde_json::Value> {
        let (status, body) =
            self.call("GetRolePolicy", &[("RoleName", role), ("PolicyName", name)]);
        if status == 404 {
            return None;
        }
        assert_eq!(status, 200, "GetRolePolicy: {body}");
        Some(serde_json::from_str(&percent_decode(&tag(&body, "PolicyDocument").unwrap())).unwrap())
    }

    pub(crate) fn user_policy(&self, user: &str, name: &str) -> Option<serde_json::Value> {
        let (status, body) =
            self.call("GetUserPolicy", &[("UserName", user), ("PolicyName", name)]);
        if status == 404 {
            return None;
        }
        assert_eq!(status, 200, "GetUserPolicy: {body}");
        Some(serde_json::from_str(&percent_decode(&tag(&body, "PolicyDocument").unwrap())).unwrap())
    }

    pub(crate) fn attached_policies(&self, role: &str) -> Vec<String> {
        all_tags(
            &self.ok("ListAttachedRolePolicies", &[("RoleName", role)]),
            "PolicyArn",
        )
    }

    pub(crate) fn update_trust_policy(&self, role: &str, document: &str) {
        self.ok(
            "UpdateAssumeRolePolicy",
            &[("RoleName", role), ("PolicyDocument", document)],
        );
    }

    pub(crate) fn create_provider(&self, url: &str, client_id: &str) {
        self.ok(
            "CreateOpenIDConnectProvider",
            &[("Url", url), ("ClientIDList.member.1", client_id)],
        );
    }
}
