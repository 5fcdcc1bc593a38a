//! Who signed a request and for which service: the SigV4 credential scope.
//!
//! AWS Signature Version 4 names the signer's access key id and the scope
//! `KEY/DATE/REGION/SERVICE/aws4_request` either in the `Authorization` header
//! (`AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`) or, for presigned URLs, in the
//! `X-Amz-Credential` query parameter. The proxy only reads the scope; it verifies no signature
//! (moto does not either), which is enough to attribute each call to its identity.

/// The parts of a SigV4 credential scope the proxy records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    pub(crate) access_key: String,
    pub(crate) region: String,
    pub(crate) service: String,
}

/// Parses `KEY/DATE/REGION/SERVICE/aws4_request`.
fn parse_credential(credential: &str) -> Option<Scope> {
    let mut parts = credential.trim().split('/');
    let access_key = parts.next()?.to_owned();
    let _date = parts.next()?;
    let region = parts.next()?.to_owned();
    let service = parts.next()?.to_owned();
    (parts.next()? == "aws4_request" && !access_key.is_empty() && !service.is_empty()).then_some(
        Scope {
            access_key,
            region,
            service,
        },
    )
}

/// The scope in an `Authorization: AWS4-HMAC-SHA256 Credential=…, …` header value.
pub(crate) fn from_authorization(value: &str) -> Option<Scope> {
    let rest = value.trim().strip_prefix("AWS4-HMAC-SHA256")?;
    rest.split(',')
        .map(str::trim)
        .find_map(|field| field.strip_prefix("Credential="))
        .and_then(parse_credential)
}

/// The scope in a presigned URL's query (`X-Amz-Credential=KEY%2F…`), already form-decoded.
pub(crate) fn from_query(pairs: &[(String, String)]) -> Option<Scope> {
    pairs
        .iter()
        .find(|(k, _)| k == "X-Amz-Credential")
        .and_then(|(_, v)| parse_credential(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example header from AWS's SigV4 documentation ("Authorization header" section).
    const DOC_EXAMPLE: &str = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";

    #[test]
    fn reads_the_documented_example() {
        assert_eq!(
            from_authorization(DOC_EXAMPLE),
            Some(Scope {
                access_key: "AKIAIOSFODNN7EXAMPLE".into(),
                region: "us-east-1".into(),
                service: "s3".into(),
            })
        );
    }

    #[test]
    fn reads_a_presigned_query() {
        let q = vec![(
            "X-Amz-Credential".to_owned(),
            "ASIAX/20261201/ca-central-1/cloudformation/aws4_request".to_owned(),
        )];
        assert_eq!(from_query(&q).unwrap().service, "cloudformation");
    }

    #[test]
    fn refuses_what_is_not_a_v4_scope() {
        assert_eq!(from_authorization("AWS AKIA:sig"), None);
        assert_eq!(
            from_authorization("AWS4-HMAC-SHA256 Credential=AKIA/20130524/us-east-1/s3"),
            None
        );
        assert_eq!(from_authorization("Bearer x"), None);
    }
}
