//! Policy variables in trust policies (IAM User Guide, "IAM policy elements:
//! Variables and tags"): substituted claims are literal text, the `${*}`,
//! `${?}`, `${$}` escapes are the literal characters, a variable with no
//! value never helps a request, Bool takes variables. Plus action matching
//! by service prefix and name. Pure evaluation; no AWS.

mod common;

use common::*;
use hoist_policy::{PolicyDocument, evaluate};
use serde_json::json;

#[test]
fn a_claim_with_a_wildcard_matches_only_itself() {
    // The repository claim is substituted into a StringLike pattern; a
    // claim holding `*` must not turn into a wildcard.
    let cond = json!({"StringLike": {SUB: "repo:${token.actions.githubusercontent.com:repository}:ref:refs/heads/main"}});
    let mut evil = claims("repo:octo-org/evil:ref:refs/heads/main");
    evil.insert("repository".into(), json!("octo-org/*"));
    let req = hoist_policy::request::WebIdentityRequest::from_github_claims(PROVIDER, &evil);
    assert!(!allows(cond.clone(), &req));
    // The honest token (repository claim equal to its sub's repository) is admitted.
    assert!(allows(
        cond,
        &gh_request("repo:octo-org/octo-repo:ref:refs/heads/main")
    ));
}

#[test]
fn escapes_are_the_literal_characters() {
    let cond = json!({"StringLike": {SUB: "repo:octo-org/octo-repo:ref:refs/tags/v${*}"}});
    assert!(!allows(
        cond.clone(),
        &gh_request("repo:octo-org/octo-repo:ref:refs/tags/v1")
    ));
    assert!(allows(
        cond,
        &gh_request("repo:octo-org/octo-repo:ref:refs/tags/v*")
    ));
    let cond = json!({"StringLike": {SUB: "repo:octo-org/octo-repo:ref:refs/tags/v${?}"}});
    assert!(!allows(
        cond.clone(),
        &gh_request("repo:octo-org/octo-repo:ref:refs/tags/v1")
    ));
    assert!(allows(
        cond,
        &gh_request("repo:octo-org/octo-repo:ref:refs/tags/v?")
    ));
    let cond = json!({"StringEquals": {SUB: "repo:octo-org/octo-repo:ref:refs/tags/${$}1"}});
    assert!(allows(
        cond,
        &gh_request("repo:octo-org/octo-repo:ref:refs/tags/$1")
    ));
}

#[test]
fn a_variable_with_no_value_never_helps_under_negated_operators() {
    let main = "repo:octo-org/octo-repo:ref:refs/heads/main";
    // The token has no `enterprise_id` claim: the variable has no value.
    for op in [
        "StringNotEquals",
        "StringNotLike",
        "StringNotEqualsIgnoreCase",
        "ArnNotLike",
        "ArnNotEquals",
        "StringNotEqualsIfExists",
    ] {
        let cond = json!({
            "StringEquals": {SUB: main},
            op: {"token.actions.githubusercontent.com:actor": "${token.actions.githubusercontent.com:enterprise_id}"}
        });
        assert!(!allows(cond, &gh_request(main)), "{op}");
    }
    // Under a positive operator the null value matches nothing either.
    let cond = json!({"StringLike": {SUB: ["${token.actions.githubusercontent.com:enterprise_id}", "nothing"]}});
    assert!(!allows(cond, &gh_request(main)));
    // A default fills the gap.
    let cond = json!({"StringEquals": {SUB: "repo:octo-org/octo-repo:ref:refs/heads/${token.actions.githubusercontent.com:enterprise_id, 'main'}"}});
    assert!(allows(cond, &gh_request(main)));
}

#[test]
fn a_deny_whose_variable_has_no_value_still_denies() {
    let main = "repo:octo-org/octo-repo:ref:refs/heads/main";
    let doc = PolicyDocument::parse(&json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringEquals": {SUB: main}}},
            {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringEquals": {"token.actions.githubusercontent.com:actor": "${token.actions.githubusercontent.com:enterprise_id}"}}}
        ]
    }).to_string()).unwrap();
    assert!(!evaluate(&doc, &gh_request(main)).allowed());
}

#[test]
fn bool_substitutes_variables() {
    let r = bare_request(&[("k:flag", "true"), ("k:want", "true")]);
    assert!(allows(json!({"Bool": {"k:flag": "${k:want}"}}), &r));
    let r = bare_request(&[("k:flag", "false"), ("k:want", "true")]);
    assert!(!allows(json!({"Bool": {"k:flag": "${k:want}"}}), &r));
}

#[test]
fn variables_are_literal_text_in_2008_policies() {
    let main = "repo:octo-org/octo-repo:ref:refs/heads/main";
    let doc = PolicyDocument::parse(&json!({
        "Version": "2008-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringEquals": {SUB: "${token.actions.githubusercontent.com:sub}"}}}]
    }).to_string()).unwrap();
    assert!(!evaluate(&doc, &gh_request(main)).allowed());
}

#[test]
fn action_service_prefix_is_a_word() {
    let main = "repo:octo-org/octo-repo:ref:refs/heads/main";
    let with_action = |action: &str| {
        PolicyDocument::parse(&json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": action,
                 "Condition": {"StringEquals": {SUB: main}}}]
        }).to_string()).unwrap()
    };
    // IAM refuses a wildcard inside the service prefix; hoist never lets it allow.
    assert!(
        !evaluate(
            &with_action("*:AssumeRoleWithWebIdentity"),
            &gh_request(main)
        )
        .allowed()
    );
    assert!(
        !evaluate(
            &with_action("s*:AssumeRoleWithWebIdentity"),
            &gh_request(main)
        )
        .allowed()
    );
    assert!(
        !evaluate(
            &with_action("st?:AssumeRoleWithWebIdentity"),
            &gh_request(main)
        )
        .allowed()
    );
    // Prefix and name are case-insensitive; wildcards in the name work.
    assert!(evaluate(&with_action("STS:assumerolewith*"), &gh_request(main)).allowed());
    assert!(evaluate(&with_action("*"), &gh_request(main)).allowed());
    assert!(!evaluate(&with_action("sts:AssumeRole"), &gh_request(main)).allowed());
}
