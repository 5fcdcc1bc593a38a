//! Each audit rule, firing and not firing.

mod common;

use common::*;
use hoist_policy::PolicyDocument;
use hoist_policy::audit::{
    AuditContext, Finding, RULES, Severity, Tier, audit, guardrail_violation,
};
use hoist_policy::generate::github_trust_policy;
use serde_json::json;

fn ctx() -> AuditContext {
    AuditContext::default()
}

fn prod_ctx() -> AuditContext {
    AuditContext {
        tier: Some(Tier::Prod),
        ..Default::default()
    }
}

fn policy(statement: serde_json::Value) -> PolicyDocument {
    PolicyDocument::parse(&json!({"Version": "2012-10-17", "Statement": [statement]}).to_string())
        .unwrap()
}

fn stmt(condition: serde_json::Value) -> serde_json::Value {
    json!({
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition
    })
}

fn good_condition() -> serde_json::Value {
    json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}})
}

fn rules_of(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.rule).collect()
}

fn fires(findings: &[Finding], rule: &str, severity: Severity) -> bool {
    findings
        .iter()
        .any(|f| f.rule == rule && f.severity == severity)
}

#[test]
fn the_good_policy_has_no_findings() {
    assert!(audit(&policy(stmt(good_condition())), &ctx()).is_empty());
}

#[test]
fn t001_no_sub_condition() {
    let f = audit(
        &policy(stmt(json!({"StringEquals": {AUD: "sts.amazonaws.com"}}))),
        &ctx(),
    );
    assert!(fires(&f, "HOIST-T001", Severity::Error), "{f:#?}");
    let t001 = f.iter().find(|f| f.rule == "HOIST-T001").unwrap();
    assert_eq!(t001.name, "no-sub-condition");
    assert_eq!(t001.statement, Some(0));
    assert!(t001.fragment.contains("sts.amazonaws.com"));
    let f = audit(
        &policy(stmt(
            json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringNotLike": {SUB: "repo:evil/*"}}),
        )),
        &ctx(),
    );
    assert!(
        f.iter()
            .any(|f| f.rule == "HOIST-T001" && f.message.contains("negated")),
        "{f:#?}"
    );
    assert!(!rules_of(&audit(&policy(stmt(good_condition())), &ctx())).contains(&"HOIST-T001"));
}

#[test]
fn t002_sub_reaching_other_repositories() {
    for (op, sub) in [
        ("StringLike", "*"),
        ("StringLike", "repo:*"),
        ("StringLike", "repo:octo-org/*"),
        ("StringLike", "repo:octo*"),
        ("StringLike", "repo:octo-org/octo-repo*"),
        ("StringLike", "repo:octo-org/*:ref:refs/heads/main"),
        ("StringLike", "repository_owner_id:65:*"),
    ] {
        let f = audit(
            &policy(stmt(
                json!({"StringEquals": {AUD: "sts.amazonaws.com"}, op: {SUB: sub}}),
            )),
            &ctx(),
        );
        assert!(fires(&f, "HOIST-T002", Severity::Error), "{sub}: {f:#?}");
    }
    let f = audit(
        &policy(stmt(
            json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "repo:octo*"}}),
        )),
        &ctx(),
    );
    assert!(f.iter().any(|f| f.message.contains("octo-evil")), "{f:#?}");
    for sub in [
        "repo:octo-org/octo-repo:*",
        "repo:octo-org/octo-repo:ref:refs/tags/*",
        "repository_owner_id:65:repository_id:74:*",
    ] {
        let f = audit(
            &policy(stmt(
                json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: sub}}),
            )),
            &ctx(),
        );
        assert!(!rules_of(&f).contains(&"HOIST-T002"), "{sub}: {f:#?}");
    }
}

#[test]
fn t003_t004_pull_requests_and_every_branch() {
    let f = audit(
        &policy(stmt(
            json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "repo:octo-org/octo-repo:*"}}),
        )),
        &ctx(),
    );
    assert!(fires(&f, "HOIST-T003", Severity::Warning), "{f:#?}");
    assert!(fires(&f, "HOIST-T004", Severity::Warning), "{f:#?}");
    let f = audit(
        &policy(stmt(
            json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "repo:octo-org/octo-repo:ref:refs/heads/*"}}),
        )),
        &ctx(),
    );
    assert!(!rules_of(&f).contains(&"HOIST-T003"));
    assert!(fires(&f, "HOIST-T004", Severity::Warning));
    let f = audit(
        &policy(stmt(
            json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:pull_request"}}),
        )),
        &ctx(),
    );
    assert!(fires(&f, "HOIST-T003", Severity::Warning), "{f:#?}");
    let f = audit(
        &policy(stmt(
            json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "repo:octo-org/octo-repo:*"}}),
        )),
        &prod_ctx(),
    );
    assert!(fires(&f, "HOIST-T003", Severity::Error), "{f:#?}");
    let f = audit(&policy(stmt(good_condition())), &ctx());
    assert!(
        !rules_of(&f)
            .iter()
            .any(|r| *r == "HOIST-T003" || *r == "HOIST-T004")
    );
}

#[test]
fn t005_wildcard_in_string_equals() {
    let f = audit(
        &policy(stmt(
            json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:*"}}),
        )),
        &ctx(),
    );
    assert!(fires(&f, "HOIST-T005", Severity::Warning), "{f:#?}");
    assert!(!rules_of(&audit(&policy(stmt(good_condition())), &ctx())).contains(&"HOIST-T005"));
}

#[test]
fn t006_audience() {
    let f = audit(
        &policy(stmt(
            json!({"StringEquals": {SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}}),
        )),
        &ctx(),
    );
    assert!(fires(&f, "HOIST-T006", Severity::Warning), "{f:#?}");
    let f = audit(
        &policy(stmt(
            json!({"StringEquals": {AUD: "https://github.com/octo-org", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}}),
        )),
        &ctx(),
    );
    assert!(fires(&f, "HOIST-T006", Severity::Error), "{f:#?}");
    let custom = AuditContext {
        expected_audience: "https://github.com/octo-org".into(),
        ..Default::default()
    };
    assert!(audit(&policy(stmt(json!({"StringEquals": {AUD: "https://github.com/octo-org", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}}))), &custom).is_empty());
    assert!(!rules_of(&audit(&policy(stmt(good_condition())), &ctx())).contains(&"HOIST-T006"));
}

#[test]
fn t007_prod_role_admitting_branches() {
    let cond = good_condition();
    let f = audit(&policy(stmt(cond.clone())), &prod_ctx());
    assert!(fires(&f, "HOIST-T007", Severity::Error), "{f:#?}");
    let by_name = AuditContext {
        role_name: Some("GitHubActionsHindsightProd".into()),
        ..Default::default()
    };
    assert!(fires(
        &audit(&policy(stmt(cond.clone())), &by_name),
        "HOIST-T007",
        Severity::Error
    ));
    // Same policy on a dev role is fine.
    let dev = AuditContext {
        role_name: Some("GitHubActionsHindsightDev".into()),
        ..Default::default()
    };
    assert!(audit(&policy(stmt(cond)), &dev).is_empty());
    // Tags only: fine on prod once the tags are protected; without
    // protection, every tag is a warning (HOIST-T019).
    let tags = json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "repo:octo-org/octo-repo:ref:refs/tags/*"}});
    assert!(
        hoist_policy::audit_with_protection(&policy(stmt(tags.clone())), &prod_ctx(), true)
            .is_empty()
    );
    let f = audit(&policy(stmt(tags)), &prod_ctx());
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        (f[0].rule, f[0].severity),
        ("HOIST-T019", Severity::Warning)
    );
    let any_env = json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "repo:octo-org/octo-repo:environment:*"}});
    assert!(
        audit(&policy(stmt(any_env.clone())), &prod_ctx())
            .iter()
            .any(|f| f.rule == "HOIST-T019")
    );
    assert!(
        hoist_policy::audit_with_protection(&policy(stmt(any_env)), &prod_ctx(), true).is_empty()
    );
    let env = json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:environment:production"}});
    assert!(audit(&policy(stmt(env)), &prod_ctx()).is_empty());
}

#[test]
fn t008_principal() {
    let mut s = stmt(good_condition());
    s["Principal"] = json!("*");
    assert!(fires(
        &audit(&policy(s), &ctx()),
        "HOIST-T008",
        Severity::Error
    ));
    let mut s = stmt(good_condition());
    s["Principal"] = json!({"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"});
    let f = audit(&policy(s), &ctx());
    assert!(fires(&f, "HOIST-T008", Severity::Warning), "{f:#?}");
    let mut s = stmt(good_condition());
    s["Principal"] = json!({"Federated": "arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com"});
    let expect = AuditContext {
        expected_provider_arn: Some(PROVIDER.into()),
        ..Default::default()
    };
    assert!(fires(
        &audit(&policy(s), &expect),
        "HOIST-T008",
        Severity::Error
    ));
    let mut s = stmt(good_condition());
    s.as_object_mut().unwrap().remove("Principal");
    s["NotPrincipal"] = json!({"AWS": "arn:aws:iam::1:root"});
    assert!(fires(
        &audit(&policy(s), &ctx()),
        "HOIST-T008",
        Severity::Error
    ));
    assert!(audit(&policy(stmt(good_condition())), &expect).is_empty());
}

#[test]
fn t009_broad_actions() {
    for action in [
        json!("*"),
        json!("sts:*"),
        json!(["sts:AssumeRole*"]),
        json!("STS:*"),
    ] {
        let mut s = stmt(good_condition());
        s["Action"] = action.clone();
        assert!(
            fires(&audit(&policy(s), &ctx()), "HOIST-T009", Severity::Error),
            "{action}"
        );
    }
    let mut s = stmt(good_condition());
    s.as_object_mut().unwrap().remove("Action");
    s["NotAction"] = json!("iam:*");
    assert!(fires(
        &audit(&policy(s), &ctx()),
        "HOIST-T009",
        Severity::Error
    ));
    let mut s = stmt(good_condition());
    s["Action"] = json!(["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]);
    assert!(audit(&policy(s), &ctx()).is_empty());
}

#[test]
fn t010_for_all_values_on_single_valued_keys() {
    let f = audit(
        &policy(stmt(
            json!({"ForAllValues:StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}}),
        )),
        &ctx(),
    );
    assert!(fires(&f, "HOIST-T010", Severity::Error), "{f:#?}");
    let ok = json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}, "ForAllValues:StringEquals": {"token.actions.githubusercontent.com:amr": "x"}});
    assert!(!rules_of(&audit(&policy(stmt(ok)), &ctx())).contains(&"HOIST-T010"));
}

#[test]
fn t011_unknown_keys() {
    for key in [
        "token.actions.githubusercontent.com:subject",
        "token.actions.githubusercontent.com:sub ",
        "token.actions.githubusercontent.com:repository_owner",
        "token.actions.github.com:sub",
        "token.actions.githubusercontent.co:sub",
        "accounts.google.com:sub",
        "sub",
    ] {
        let cond = json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main", key: "x"}});
        let f = audit(&policy(stmt(cond)), &ctx());
        assert!(fires(&f, "HOIST-T011", Severity::Error), "{key}: {f:#?}");
    }
    let ok = json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main",
        "token.actions.githubusercontent.com:repository_id": "74", "token.actions.githubusercontent.com:job_workflow_ref": "x",
        "aws:SourceIp": "x"}});
    assert!(audit(&policy(stmt(ok)), &ctx()).is_empty());
}

#[test]
fn t012_mixed_tight_and_wide_values() {
    let cond = json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: ["repo:octo-org/octo-repo:ref:refs/heads/main", "repo:*"]}});
    let p = policy(stmt(cond));
    let f = audit(&p, &ctx());
    assert!(fires(&f, "HOIST-T012", Severity::Error), "{f:#?}");
    assert!(fires(&f, "HOIST-T002", Severity::Error));
    // The guardrail only reads the first value, so AWS accepts this one.
    assert_eq!(guardrail_violation(&p), None);
    let two_tight = json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: ["repo:octo-org/octo-repo:ref:refs/heads/main", "repo:octo-org/octo-repo:environment:prod"]}});
    assert!(audit(&policy(stmt(two_tight)), &ctx()).is_empty());
}

#[test]
fn t013_unknown_operator() {
    let cond = json!({"StringEquals": {AUD: "sts.amazonaws.com", SUB: "repo:octo-org/octo-repo:ref:refs/heads/main"}, "StringMatches": {SUB: "x"}});
    assert!(fires(
        &audit(&policy(stmt(cond)), &ctx()),
        "HOIST-T013",
        Severity::Error
    ));
}

#[test]
fn t014_resource_in_trust_policy() {
    let mut s = stmt(good_condition());
    s["Resource"] = json!("*");
    assert!(fires(
        &audit(&policy(s), &ctx()),
        "HOIST-T014",
        Severity::Error
    ));
}

#[test]
fn t015_guardrail() {
    let none = policy(stmt(json!({"StringEquals": {AUD: "sts.amazonaws.com"}})));
    let msg = guardrail_violation(&none).unwrap();
    assert!(msg.starts_with("MalformedPolicyDocument"), "{msg}");
    assert!(fires(&audit(&none, &ctx()), "HOIST-T015", Severity::Error));
    let star = policy(stmt(
        json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "*"}}),
    ));
    assert!(guardrail_violation(&star).unwrap().contains("not scoped"));
    let repo_star = policy(stmt(
        json!({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "repo:*"}}),
    ));
    assert_eq!(
        guardrail_violation(&repo_star),
        None,
        "AWS's check accepts repo:*; hoist's T002 catches it"
    );
    assert!(fires(
        &audit(&repo_star, &ctx()),
        "HOIST-T002",
        Severity::Error
    ));
    // Roles that do not trust GitHub are not subject to the guardrail.
    let mut other = stmt(json!({}));
    other["Principal"] = json!({"Service": "ecs-tasks.amazonaws.com"});
    other["Action"] = json!("sts:AssumeRole");
    assert_eq!(guardrail_violation(&policy(other)), None);
}

#[test]
fn t016_other_repository() {
    let c = AuditContext {
        repository: Some("octo-org/other".into()),
        ..Default::default()
    };
    assert!(fires(
        &audit(&policy(stmt(good_condition())), &c),
        "HOIST-T016",
        Severity::Warning
    ));
    let same = AuditContext {
        repository: Some("Octo-Org/Octo-Repo".into()),
        ..Default::default()
    };
    assert!(audit(&policy(stmt(good_condition())), &same).is_empty());
}

#[test]
fn the_guides_prod_role_left_blank_is_flagged() {
    // Step 2, prod: "GitHub branch: Leave blank" produces repo:ORG/REPO:* in the console form.
    let p = github_trust_policy(
        PROVIDER,
        &["repo:arshargithub/HindsightRoboMemSetup:*".into()],
        "sts.amazonaws.com",
    );
    let c = AuditContext {
        role_name: Some("GitHubActionsHindsightProd".into()),
        ..Default::default()
    };
    let f = audit(&p, &c);
    assert!(fires(&f, "HOIST-T007", Severity::Error), "{f:#?}");
    assert!(fires(&f, "HOIST-T003", Severity::Error), "{f:#?}");
}

#[test]
fn rule_table_is_complete_and_findings_serialize() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    for n in 1..=20 {
        assert!(ids.contains(&format!("HOIST-T{n:03}").as_str()), "T{n:03}");
    }
    let f = audit(&policy(stmt(json!({"StringLike": {SUB: "*"}}))), &ctx());
    let v = serde_json::to_value(&f).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|x| x["rule"].is_string() && x["severity"].is_string() && x["fix"].is_string())
    );
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|x| x["severity"] == "error")
    );
}

#[test]
fn tier_from_role_names() {
    assert_eq!(
        Tier::from_role_name("GitHubActionsHindsightProd"),
        Some(Tier::Prod)
    );
    assert_eq!(Tier::from_role_name("deploy-production"), Some(Tier::Prod));
    assert_eq!(
        Tier::from_role_name("GitHubActionsHindsightDev"),
        Some(Tier::Dev)
    );
    assert_eq!(Tier::from_role_name("ProductApiDeploy"), None);
    assert_eq!(Tier::from_role_name("reproduce"), None);
}
