//! `hoist trust check` and `hoist trust audit` through the real binary.

mod common;

use common::{hoist, project};
use hoist_testkit::github::{ClaimsBuilder, OidcIssuer};
use hoist_testkit::sandbox::{Moto, require};

const REPO: &str = "arshargithub/HindsightRoboMemSetup";
const PROVIDER: &str =
    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

/// The dev role's trust policy as the guide (and `hoist bootstrap`) writes it.
fn dev_policy() -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:{REPO}:ref:refs/heads/main"}}}}}}]}}"#
    )
}

fn prod_policy() -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}},"StringLike":{{"token.actions.githubusercontent.com:sub":"repo:{REPO}:ref:refs/tags/*"}}}}}}]}}"#
    )
}

#[test]
fn push_to_main_is_allowed_on_the_dev_role() {
    let dir = project(&[("dev.json", &dev_policy())]);
    let run = hoist(dir.path())
        .args([
            "trust",
            "check",
            "--policy",
            "dev.json",
            "--sub",
            &format!("repo:{REPO}:ref:refs/heads/main"),
        ])
        .run();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("ALLOWED"), "{}", run.stdout);
    assert!(
        run.stdout.contains("not from a signed token"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_pull_request_is_denied_on_the_dev_role_with_the_failing_condition() {
    let dir = project(&[("dev.json", &dev_policy())]);
    let run = hoist(dir.path())
        .args([
            "trust",
            "check",
            "--policy",
            "dev.json",
            "--sub",
            &format!("repo:{REPO}:pull_request"),
            "--json",
        ])
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    let v = run.json();
    assert_eq!(v["decision"], "deny");
    let explanation = v["explanation"].as_str().unwrap();
    assert!(
        explanation.contains(&format!("repo:{REPO}:ref:refs/heads/main")),
        "{explanation}"
    );
    assert!(
        explanation.contains(&format!("repo:{REPO}:pull_request")),
        "{explanation}"
    );
    assert!(
        v["statements"][0]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["key"].as_str().unwrap().ends_with(":sub"))
    );
}

#[test]
fn an_environment_job_is_told_why_the_ref_subject_does_not_apply() {
    let dir = project(&[("prod.json", &prod_policy())]);
    let run = hoist(dir.path())
        .args([
            "trust",
            "check",
            "--policy",
            "prod.json",
            "--sub",
            &format!("repo:{REPO}:environment:production"),
            "--claim",
            "environment=production",
        ])
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("environment"), "{}", run.stdout);
    let hints = hoist(dir.path())
        .args([
            "trust",
            "check",
            "--policy",
            "prod.json",
            "--sub",
            &format!("repo:{REPO}:environment:production"),
            "--json",
        ])
        .run()
        .json();
    assert!(
        hints["hints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["code"] == "environment-vs-ref"),
        "{hints}"
    );
}

#[test]
fn a_release_tag_is_allowed_on_prod_and_a_branch_is_not() {
    let dir = project(&[("prod.json", &prod_policy())]);
    let tag = hoist(dir.path())
        .args([
            "trust",
            "check",
            "--policy",
            "prod.json",
            "--sub",
            &format!("repo:{REPO}:ref:refs/tags/v1.4.0"),
        ])
        .run();
    assert_eq!(tag.code, 0, "{tag:?}");
    let branch = hoist(dir.path())
        .args([
            "trust",
            "check",
            "--policy",
            "prod.json",
            "--sub",
            &format!("repo:{REPO}:ref:refs/heads/main"),
        ])
        .run();
    assert_eq!(branch.code, 1, "{branch:?}");
}

#[test]
fn a_token_is_verified_against_the_jwks_and_its_claims_used() {
    let issuer = OidcIssuer::start_as_github();
    let dir = project(&[("dev.json", &dev_policy())]);
    let jwks = issuer.write_jwks_file(dir.path());
    let good = issuer.mint(&ClaimsBuilder::push_branch(REPO, "main"));
    let run = hoist(dir.path())
        .args(["trust", "check", "--policy", "dev.json", "--jwks"])
        .arg_path(&jwks)
        .args(["--token", "-", "--json"])
        .stdin(good.clone())
        .run();
    assert_eq!(run.code, 0, "{run:?}");
    let v = run.json();
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["claims"]["verified"], true);
    run.assert_no_secret(&good);

    // The JWKS served over HTTP works the same.
    let over_http = hoist(dir.path())
        .args([
            "trust",
            "check",
            "--policy",
            "dev.json",
            "--jwks",
            &issuer.jwks_url(),
            "--token",
            "-",
        ])
        .stdin(good)
        .run();
    assert_eq!(over_http.code, 0, "{over_http:?}");

    // A tampered token is bad input, not a decision.
    let forged = OidcIssuer::tamper(
        &issuer.mint(&ClaimsBuilder::pull_request(REPO, 7, "feature", "main")),
        "sub",
        format!("repo:{REPO}:ref:refs/heads/main"),
    );
    let run = hoist(dir.path())
        .args(["trust", "check", "--policy", "dev.json", "--jwks"])
        .arg_path(&jwks)
        .args(["--token", "-"])
        .stdin(forged)
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("rejected"), "{}", run.stderr);
}

#[test]
fn an_unverified_token_says_so() {
    let issuer = OidcIssuer::start_as_github();
    let dir = project(&[("dev.json", &dev_policy())]);
    let token = issuer.mint(&ClaimsBuilder::pull_request(REPO, 7, "feature", "main"));
    let run = hoist(dir.path())
        .args(["trust", "check", "--policy", "dev.json", "--token", "-"])
        .stdin(token.clone())
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("NOT verified"), "{}", run.stdout);
    run.assert_no_secret(&token);
}

#[test]
fn bad_input_exits_2() {
    let dir = project(&[
        (
            "bad.json",
            "{\"Version\": \"2012-10-17\", \"Statement\": 5}",
        ),
        ("dev.json", &dev_policy()),
    ]);
    let run = hoist(dir.path())
        .args([
            "trust",
            "check",
            "--policy",
            "bad.json",
            "--sub",
            "repo:a/b:ref:refs/heads/main",
        ])
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("bad.json"), "{}", run.stderr);
    let garbage = hoist(dir.path())
        .args([
            "trust",
            "check",
            "--policy",
            "dev.json",
            "--token",
            "not-a-jwt",
        ])
        .run();
    assert_eq!(garbage.code, 2, "{garbage:?}");
    let no_source = hoist(dir.path())
        .args(["trust", "check", "--policy", "dev.json"])
        .run();
    assert_eq!(no_source.code, 2, "{no_source:?}");
    let bad_claim = hoist(dir.path())
        .args([
            "trust", "check", "--policy", "dev.json", "--sub", "x", "--claim", "novalue",
        ])
        .run();
    assert_eq!(bad_claim.code, 2, "{bad_claim:?}");
}

#[test]
fn audit_flags_a_wide_open_policy_and_passes_the_guides() {
    let wide = dev_policy()
        .replace(
            &format!("repo:{REPO}:ref:refs/heads/main"),
            "repo:arshargithub/*",
        )
        .replace(
            "StringEquals\":{\"token.actions.githubusercontent.com:aud\":\"sts.amazonaws.com\",",
            "StringLike\":{",
        );
    let dir = project(&[
        ("wide.json", &wide),
        ("dev.json", &dev_policy()),
        ("prod.json", &prod_policy()),
    ]);
    let run = hoist(dir.path())
        .args(["trust", "audit", "wide.json", "--json"])
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    let v = run.json();
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["severity"] == "error" && f["source"] == "wide.json"),
        "{v}"
    );
    assert!(
        findings
            .iter()
            .all(|f| f["rule"].as_str().unwrap().starts_with("HOIST-")),
        "{v}"
    );
    assert!(
        findings
            .iter()
            .all(|f| !f["fix"].as_str().unwrap().is_empty()),
        "{v}"
    );

    let guide = hoist(dir.path())
        .args(["trust", "audit", "dev.json", "prod.json"])
        .run();
    assert_eq!(guide.code, 0, "{guide:?}");
    assert!(guide.stdout.contains("0 error(s)"), "{}", guide.stdout);
    let nothing = hoist(dir.path()).args(["trust", "audit"]).run();
    assert_eq!(nothing.code, 2, "{nothing:?}");
}

/// A file without principals is a permission policy: its escalation paths are findings.
#[test]
fn permission_policy_files_are_audited_for_escalation_paths() {
    let escalate = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateRole","iam:AttachRolePolicy"],"Resource":"arn:aws:iam::123456789012:role/app-*"}]}"#;
    let scoped = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudformation:*","Resource":"arn:aws:cloudformation:eu-west-1:123456789012:stack/app-dev/*"},{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/app-dev-cfn-exec","Condition":{"StringEquals":{"iam:PassedToService":"cloudformation.amazonaws.com"}}}]}"#;
    let dir = project(&[("escalate.json", escalate), ("scoped.json", scoped)]);
    let run = hoist(dir.path())
        .args(["trust", "audit", "escalate.json", "--json"])
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    let v = run.json();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"HOIST-P005") && rules.contains(&"HOIST-P003"),
        "{v}"
    );
    let ok = hoist(dir.path())
        .args(["trust", "audit", "scoped.json"])
        .run();
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("no findings"), "{}", ok.stdout);
}

/// Live roles: `--role` reads IAM's percent-encoded trust policy; `--account` finds every role
/// that trusts GitHub's provider.
#[test]
fn live_roles_are_checked_and_audited() {
    // moto loads AWS's managed policies (AdministratorAccess, …) only when asked.
    let Some(moto) = require(
        "moto_server",
        Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]),
    ) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .endpoint_url(moto.endpoint())
            .region(aws_sdk_iam::config::Region::new("ca-central-1"))
            .credentials_provider(aws_sdk_iam::config::Credentials::new("testing", "testing", None, None, "test"))
            .build();
        let sdk = aws_sdk_iam::Client::from_conf(config);
        let wide = dev_policy().replace(&format!("repo:{REPO}:ref:refs/heads/main"), "*");
        let unrelated = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.to_owned();
        // A role trusting "*" names no provider but admits GitHub tokens; a role whose
        // policy repeats a condition key is one hoist refuses to read (moto stores the
        // text unchecked; IAM documents no meaning for repeated keys).
        let star = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}"#.to_owned();
        let repeated = dev_policy().replace(
            "\"token.actions.githubusercontent.com:aud\"",
            "\"token.actions.githubusercontent.com:sub\":\"*\",\"token.actions.githubusercontent.com:aud\"",
        );
        for (name, policy) in [("GitHubActionsHindsightDev", dev_policy()), ("wide-open", wide), ("unrelated", unrelated), ("star-trust", star), ("repeated-keys", repeated)] {
            sdk.create_role().role_name(name).assume_role_policy_document(policy).send().await.unwrap();
        }
        // What the dev role may do once assumed: an inline policy with an escalation path.
        let escalate = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*"}]}"#;
        sdk.put_role_policy().role_name("GitHubActionsHindsightDev").policy_name("escalate").policy_document(escalate).send().await.unwrap();
        // Attached managed policies count too: AWS's own admin-class policies by ARN.
        for arn in ["arn:aws:iam::aws:policy/IAMFullAccess", "arn:aws:iam::aws:policy/PowerUserAccess"] {
            sdk.attach_role_policy().role_name("GitHubActionsHindsightDev").policy_arn(arn).send().await.unwrap();
        }
        sdk.attach_role_policy().role_name("wide-open").policy_arn("arn:aws:iam::aws:policy/AdministratorAccess").send().await.unwrap();
    });
    let dir = project(&[]);
    let run = hoist(dir.path())
        .envs(moto.env())
        .args([
            "trust",
            "check",
            "--role",
            "GitHubActionsHindsightDev",
            "--sub",
            &format!("repo:{REPO}:ref:refs/heads/main"),
        ])
        .run();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("role GitHubActionsHindsightDev"),
        "{}",
        run.stdout
    );

    let missing = hoist(dir.path())
        .envs(moto.env())
        .args(["trust", "check", "--role", "NoSuchRole", "--sub", "x"])
        .run();
    assert_eq!(missing.code, 2, "{missing:?}");

    let audit = hoist(dir.path())
        .envs(moto.env())
        .args(["trust", "audit", "--account", "--json"])
        .run();
    assert_eq!(audit.code, 1, "{audit:?}");
    let v = audit.json();
    let audited: Vec<&str> = v["audited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        audited.contains(&"role wide-open") && audited.contains(&"role GitHubActionsHindsightDev"),
        "{v}"
    );
    assert!(!audited.contains(&"role unrelated"), "{v}");
    let finding = |source: &str, rule: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["source"] == source && f["rule"] == rule && f["severity"] == "error")
    };
    assert!(finding("role star-trust", "HOIST-T008"), "{v}");
    assert!(finding("role repeated-keys", "HOIST-T018"), "{v}");
    assert!(
        finding(
            "role GitHubActionsHindsightDev inline policy escalate",
            "HOIST-P005"
        ),
        "{v}"
    );
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["source"] == "role wide-open" && f["severity"] == "error"),
        "{v}"
    );
    let managed = |role: &str, name: &str| {
        format!("role {role} managed policy arn:aws:iam::aws:policy/{name}")
    };
    for rule in [
        "HOIST-P001",
        "HOIST-P003",
        "HOIST-P004",
        "HOIST-P005",
        "HOIST-P006",
        "HOIST-P007",
        "HOIST-P008",
    ] {
        assert!(
            finding(&managed("wide-open", "AdministratorAccess"), rule),
            "{rule}: {v}"
        );
    }
    for rule in [
        "HOIST-P001",
        "HOIST-P003",
        "HOIST-P004",
        "HOIST-P005",
        "HOIST-P007",
    ] {
        assert!(
            finding(&managed("GitHubActionsHindsightDev", "IAMFullAccess"), rule),
            "{rule}: {v}"
        );
    }
    assert!(
        finding(
            &managed("GitHubActionsHindsightDev", "PowerUserAccess"),
            "HOIST-P008"
        ),
        "{v}"
    );
}

#[test]
fn claims_with_control_characters_print_escaped() {
    let issuer = OidcIssuer::start_as_github();
    let dir = project(&[("dev.json", &dev_policy())]);
    let jwks = issuer.write_jwks_file(dir.path());
    // A signed token whose claims carry a newline, a workflow command and an ANSI escape:
    // GitHub never mints these, but hoist must not print them raw.
    let hostile = format!("repo:{REPO}:ref:refs/heads/x\n::set-output name=role::admin\x1b[31m");
    let token = issuer.mint(
        &ClaimsBuilder::push_branch(REPO, "main")
            .custom_subject(&hostile)
            .claim("environment", "\n::add-mask::\x1b]0;title\x07"),
    );
    let run = hoist(dir.path())
        .args(["trust", "check", "--policy", "dev.json", "--jwks"])
        .arg_path(&jwks)
        .args(["--token", "-"])
        .stdin(token)
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
        assert!(
            text.lines().all(|l| !l.trim_start().starts_with("::")),
            "a line starts a workflow command: {text}"
        );
    }
    assert!(
        run.stdout
            .contains("x\\n::set-output name=role::admin\\u{1b}[31m"),
        "{}",
        run.stdout
    );
    // --json carries the raw value, escaped by JSON itself.
    let json = hoist(dir.path())
        .args([
            "trust", "check", "--policy", "dev.json", "--sub", &hostile, "--json",
        ])
        .run();
    assert_eq!(json.json()["claims"]["sub"], hostile.as_str());
    assert!(!json.stdout.contains('\x1b'));
}

#[test]
fn a_jwks_over_plain_http_to_another_host_is_refused() {
    let dir = project(&[("dev.json", &dev_policy())]);
    let run = hoist(dir.path())
        .args([
            "trust",
            "check",
            "--policy",
            "dev.json",
            "--jwks",
            "http://token.actions.githubusercontent.com/.well-known/jwks",
            "--token",
            "eyJhbGciOiJSUzI1NiJ9.e30.sig",
        ])
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("https"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("hint: use https://token.actions.githubusercontent.com/.well-known/jwks"),
        "{}",
        run.stderr
    );
}
