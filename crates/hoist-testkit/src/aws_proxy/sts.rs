//! The access key id an STS `AssumeRole*` answer issues.
//!
//! STS answers in the query protocol's XML (`…<Credentials><AccessKeyId>ASIA…</AccessKeyId>…`);
//! a JSON answer (`{"Credentials": {"AccessKeyId": …}}`) is read too. Only this one element is
//! needed, so it is found by its tags rather than through an XML parser.

/// The issued access key id, if the answer carries credentials.
pub(crate) fn issued_access_key(answer: &str) -> Option<String> {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(answer) {
        let creds = json
            .pointer("/Credentials")
            .or_else(|| json.pointer("/AssumeRoleResult/Credentials"))
            .or_else(|| json.pointer("/AssumeRoleWithWebIdentityResult/Credentials"))?;
        return creds
            .get("AccessKeyId")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
    }
    let credentials = &answer[answer.find("<Credentials>")?..];
    let start = credentials.find("<AccessKeyId>")? + "<AccessKeyId>".len();
    let len = credentials[start..].find("</AccessKeyId>")?;
    let key = credentials[start..start + len].trim();
    (!key.is_empty()).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape of AWS's documented AssumeRoleWithWebIdentity example response.
    const XML: &str = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2014-10-24T23:00:23Z</Expiration>
      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"#;

    #[test]
    fn reads_the_documented_xml_answer() {
        assert_eq!(
            issued_access_key(XML).as_deref(),
            Some("ASgeIAIOSFODNN7EXAMPLE")
        );
    }

    #[test]
    fn reads_a_json_answer() {
        let json = r#"{"Credentials":{"AccessKeyId":"ASIAJSON","SecretAccessKey":"x"}}"#;
        assert_eq!(issued_access_key(json).as_deref(), Some("ASIAJSON"));
    }

    #[test]
    fn no_credentials_no_key() {
        assert_eq!(issued_access_key("<ErrorResponse/>"), None);
        assert_eq!(issued_access_key("{}"), None);
    }
}
