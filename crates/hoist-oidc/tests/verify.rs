//! JWT verification against tokens minted by the testkit's OIDC issuer, and the attacks it
//! must refuse, each with its own error.

use hoist_oidc::jwt::peek_header;
use hoist_oidc::{Jwks, JwtError, VerifyOptions, decode_unverified, verify};
use hoist_testkit::github::{ClaimsBuilder, OidcIssuer};
use serde_json::json;

const REPO: &str = "octo-org/octo-repo";

fn setup() -> (OidcIssuer, Jwks, VerifyOptions) {
    let issuer = OidcIssuer::start();
    let jwks = Jwks::from_json(&issuer.jwks_json()).unwrap();
    let opts = VerifyOptions {
        issuer: issuer.issuer().to_owned(),
        ..VerifyOptions::default()
    };
    (issuer, jwks, opts)
}

fn main_push() -> ClaimsBuilder {
    ClaimsBuilder::push_branch(REPO, "main").ids(65, 74)
}

/// Verifies and asserts the error neither echoes the token nor any of its parts.
fn refuse(token: &str, jwks: &Jwks, opts: &VerifyOptions) -> JwtError {
    let err = verify(token, jwks, opts).expect_err("token must be refused");
    let shown = format!("{err} {err:?}");
    for part in token.split('.').filter(|p| p.len() > 8) {
        assert!(
            !shown.contains(part),
            "error output leaks token bytes: {shown}"
        );
    }
    err
}

#[test]
fn accepts_valid_token_and_types_claims() {
    let (issuer, jwks, opts) = setup();
    let token = issuer.mint(&main_push());
    let claims = verify(&token, &jwks, &opts).unwrap();
    assert_eq!(
        claims.sub.as_deref(),
        Some("repo:octo-org/octo-repo:ref:refs/heads/main")
    );
    assert_eq!(claims.repository.as_deref(), Some(REPO));
    assert_eq!(claims.repository_id.as_deref(), Some("74"));
    assert_eq!(claims.repository_owner_id.as_deref(), Some("65"));
    assert_eq!(claims.git_ref.as_deref(), Some("refs/heads/main"));
    assert_eq!(claims.event_name.as_deref(), Some("push"));
    assert_eq!(claims.iss.as_deref(), Some(issuer.issuer()));
    assert!(claims.aud.as_ref().unwrap().contains("sts.amazonaws.com"));
    assert_eq!(claims.as_map()["runner_environment"], "github-hosted");
    let header = peek_header(&token).unwrap();
    assert_eq!(header.alg, "RS256");
    assert_eq!(header.kid.as_deref(), Some(issuer.kid()));
}

#[test]
fn accepts_github_issuer_with_default_options() {
    let issuer = OidcIssuer::start_as_github();
    let jwks = Jwks::from_json(&issuer.jwks_json()).unwrap();
    let token = issuer.mint(&ClaimsBuilder::tag(REPO, "v1.0.0"));
    let claims = verify(&token, &jwks, &VerifyOptions::default()).unwrap();
    assert_eq!(
        claims.iss.as_deref(),
        Some("https://token.actions.githubusercontent.com")
    );
    assert_eq!(claims.ref_type.as_deref(), Some("tag"));
}

#[test]
fn accepts_audience_list_containing_expected() {
    let (issuer, jwks, opts) = setup();
    let token =
        issuer.mint(&main_push().aud_list(&["https://github.com/octo-org", "sts.amazonaws.com"]));
    verify(&token, &jwks, &opts).unwrap();
}

#[test]
fn refuses_alg_none() {
    let (issuer, jwks, opts) = setup();
    let token = issuer.mint_alg_none(&main_push());
    assert!(matches!(refuse(&token, &jwks, &opts), JwtError::AlgNone));
    let upper = issuer.mint_with_header(&main_push(), json!({"alg": "NONE", "kid": issuer.kid()}));
    assert!(matches!(refuse(&upper, &jwks, &opts), JwtError::AlgNone));
}

#[test]
fn refuses_hs256_signed_with_public_key() {
    let (issuer, jwks, opts) = setup();
    let token = issuer.mint_hs256_with_public_key(&main_push());
    match refuse(&token, &jwks, &opts) {
        JwtError::UnsupportedAlgorithm { alg } => assert_eq!(alg, "HS256"),
        other => panic!("expected UnsupportedAlgorithm, got {other:?}"),
    }
}

#[test]
fn refuses_other_algorithms_before_key_lookup() {
    let (issuer, jwks, opts) = setup();
    // Unknown kid too: the algorithm must be refused first, without consulting the JWKS.
    for alg in ["RS384", "RS512", "PS256", "ES256", "EdDSA", "rs256"] {
        let token = issuer.mint_with_header(&main_push(), json!({"alg": alg, "kid": "nope"}));
        assert!(
            matches!(
                refuse(&token, &jwks, &opts),
                JwtError::UnsupportedAlgorithm { .. }
            ),
            "{alg}"
        );
    }
}

#[test]
fn refuses_tampered_payload() {
    let (issuer, jwks, opts) = setup();
    let token = issuer.mint(&ClaimsBuilder::pull_request(REPO, 7, "feat", "main"));
    let forged = OidcIssuer::tamper(&token, "sub", "repo:octo-org/octo-repo:ref:refs/heads/main");
    assert!(matches!(
        refuse(&forged, &jwks, &opts),
        JwtError::BadSignature { .. }
    ));
    // The unverified decoder shows the forged claim: that is why it must be labelled.
    let shown = decode_unverified(&forged).unwrap();
    assert_eq!(
        shown.sub.as_deref(),
        Some("repo:octo-org/octo-repo:ref:refs/heads/main")
    );
}

#[test]
fn refuses_foreign_key_with_known_kid() {
    let (issuer, jwks, opts) = setup();
    let token = issuer.mint_with_foreign_key(&main_push());
    assert!(matches!(
        refuse(&token, &jwks, &opts),
        JwtError::BadSignature { .. }
    ));
}

#[test]
fn refuses_unknown_and_missing_kid() {
    let (issuer, jwks, opts) = setup();
    let token = issuer.mint_with_kid(&main_push(), "0000DEADBEEF");
    match refuse(&token, &jwks, &opts) {
        JwtError::UnknownKid { kid, known } => {
            assert_eq!(kid, "0000DEADBEEF");
            assert_eq!(known, vec![issuer.kid().to_owned()]);
        }
        other => panic!("expected UnknownKid, got {other:?}"),
    }
    let token = issuer.mint_with_header(&main_push(), json!({"alg": "RS256", "typ": "JWT"}));
    assert!(matches!(refuse(&token, &jwks, &opts), JwtError::MissingKid));
}

#[test]
fn refuses_expired_but_allows_leeway() {
    let (issuer, jwks, opts) = setup();
    let expired = issuer.mint(&main_push().iat_offset(-7200).exp_offset(-3600));
    assert!(matches!(
        refuse(&expired, &jwks, &opts),
        JwtError::Expired { .. }
    ));
    let barely = issuer.mint(&main_push().iat_offset(-400).exp_offset(-10));
    verify(&barely, &jwks, &opts).expect("10 s past exp is inside the 60 s leeway");
    let strict = VerifyOptions {
        leeway_secs: 0,
        ..opts.clone()
    };
    assert!(matches!(
        refuse(&barely, &jwks, &strict),
        JwtError::Expired { .. }
    ));
}

#[test]
fn refuses_not_yet_valid() {
    let (issuer, jwks, opts) = setup();
    let token = issuer.mint(&main_push().nbf_offset(3600).exp_offset(7200));
    match refuse(&token, &jwks, &opts) {
        JwtError::NotYetValid { claim, .. } => assert_eq!(claim, "nbf"),
        other => panic!("expected NotYetValid, got {other:?}"),
    }
    let token = issuer.mint(
        &main_push()
            .nbf_offset(-10)
            .iat_offset(3600)
            .exp_offset(7200),
    );
    match refuse(&token, &jwks, &opts) {
        JwtError::NotYetValid { claim, .. } => assert_eq!(claim, "iat"),
        other => panic!("expected NotYetValid, got {other:?}"),
    }
}

#[test]
fn refuses_wrong_issuer() {
    let (issuer, jwks, opts) = setup();
    let token = issuer.mint(&main_push().iss("https://token.actions.evil.example"));
    match refuse(&token, &jwks, &opts) {
        JwtError::WrongIssuer { expected, actual } => {
            assert_eq!(expected, issuer.issuer());
            assert_eq!(actual, "https://token.actions.evil.example");
        }
        other => panic!("expected WrongIssuer, got {other:?}"),
    }
    // A fixture-issued token is not a GitHub token under default options.
    let token = issuer.mint(&main_push());
    assert!(matches!(
        refuse(&token, &jwks, &VerifyOptions::default()),
        JwtError::WrongIssuer { .. }
    ));
}

#[test]
fn refuses_wrong_audience() {
    let (issuer, jwks, opts) = setup();
    let token = issuer.mint(&main_push().aud("https://github.com/octo-org"));
    let err = refuse(&token, &jwks, &opts);
    assert!(matches!(err, JwtError::WrongAudience { .. }));
    assert!(err.to_string().contains("sts.amazonaws.com"), "{err}");
}

#[test]
fn refuses_missing_required_claims() {
    let (issuer, jwks, opts) = setup();
    for claim in ["sub", "aud", "exp", "iat", "iss"] {
        let token = issuer.mint(&main_push().without(claim));
        match refuse(&token, &jwks, &opts) {
            JwtError::MissingClaim { claim: missing } => assert_eq!(missing, claim),
            other => panic!("{claim}: expected MissingClaim, got {other:?}"),
        }
    }
}

#[test]
fn refuses_garbage() {
    let (_issuer, jwks, opts) = setup();
    assert!(matches!(
        refuse("", &jwks, &opts),
        JwtError::MalformedShape { parts: 1 }
    ));
    assert!(matches!(
        refuse("not-a-jwt", &jwks, &opts),
        JwtError::MalformedShape { .. }
    ));
    assert!(matches!(
        refuse("a.b.c.d", &jwks, &opts),
        JwtError::MalformedShape { parts: 4 }
    ));
    assert!(matches!(
        refuse("!!!.e30.sig", &jwks, &opts),
        JwtError::MalformedBase64 { part: "header", .. }
    ));
    // "bm90IGpzb24" = base64url("not json")
    assert!(matches!(
        refuse("bm90IGpzb24.e30.c2ln", &jwks, &opts),
        JwtError::MalformedJson { part: "header", .. }
    ));
    // header {"alg":"RS256"}, payload `null`
    assert!(matches!(
        refuse("eyJhbGciOiJSUzI1NiJ9.bnVsbA.c2ln", &jwks, &opts),
        JwtError::MalformedJson {
            part: "payload",
            ..
        }
    ));
    assert!(matches!(
        refuse("e30.e30.c2ln", &jwks, &opts),
        JwtError::MissingAlg
    ));
    assert!(decode_unverified("garbage").is_err());
}

#[test]
fn tokens_from_another_issuer_key_are_refused() {
    // Two fixture issuers share the process key, so use the foreign-key forgery above for
    // "other signer"; here: a JWKS lacking the kid entirely.
    let (issuer, _jwks, opts) = setup();
    let empty_kid =
        Jwks::from_json(r#"{"keys":[{"kty":"RSA","kid":"other","n":"AQAB","e":"AQAB"}]}"#).unwrap();
    let token = issuer.mint(&main_push());
    assert!(matches!(
        refuse(&token, &empty_kid, &opts),
        JwtError::UnknownKid { .. }
    ));
}

#[test]
fn each_trigger_verifies_with_githubs_subject() {
    let (issuer, jwks, opts) = setup();
    let cases = [
        (
            ClaimsBuilder::push_branch(REPO, "main"),
            "repo:octo-org/octo-repo:ref:refs/heads/main",
            "push",
            "refs/heads/main",
        ),
        (
            ClaimsBuilder::tag(REPO, "v2.0.0"),
            "repo:octo-org/octo-repo:ref:refs/tags/v2.0.0",
            "push",
            "refs/tags/v2.0.0",
        ),
        (
            ClaimsBuilder::release(REPO, "v2.0.0"),
            "repo:octo-org/octo-repo:ref:refs/tags/v2.0.0",
            "release",
            "refs/tags/v2.0.0",
        ),
        (
            ClaimsBuilder::pull_request(REPO, 12, "feat", "main"),
            "repo:octo-org/octo-repo:pull_request",
            "pull_request",
            "refs/pull/12/merge",
        ),
        (
            ClaimsBuilder::workflow_dispatch(REPO, "main").environment("prod"),
            "repo:octo-org/octo-repo:environment:prod",
            "workflow_dispatch",
            "refs/heads/main",
        ),
        (
            ClaimsBuilder::push_branch(REPO, "main").id_based_subject(65, 74),
            "repository_owner_id:65:repository_id:74:ref:refs/heads/main",
            "push",
            "refs/heads/main",
        ),
    ];
    for (builder, sub, event, git_ref) in cases {
        let claims = verify(&issuer.mint(&builder), &jwks, &opts).unwrap();
        assert_eq!(claims.sub.as_deref(), Some(sub));
        assert_eq!(claims.event_name.as_deref(), Some(event));
        assert_eq!(claims.git_ref.as_deref(), Some(git_ref));
    }
}
