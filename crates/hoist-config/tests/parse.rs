//! hoist.toml parsing: the guide's file is accepted, and every bad case names its place and
//! the expected form.

use hoist_config::{DeploySource, Redeploy, Tier, Trigger, parse};

const GUIDE: &str = r#"repository = "arshargithub/HindsightRoboMemSetup"

[aws]
region = "ca-central-1"

[environments.dev]
branch = "main"
role = "GitHubActionsHindsightDev"

[environments.prod]
tag = "*"
role = "GitHubActionsHindsightProd"
"#;

#[test]
fn the_guides_setup_parses_with_defaults() {
    let c = parse(GUIDE, "hoist.toml").unwrap();
    assert_eq!(
        c.repository.full_name(),
        "arshargithub/HindsightRoboMemSetup"
    );
    assert_eq!(c.aws.region, "ca-central-1");
    assert_eq!(
        c.oidc.provider_url,
        "https://token.actions.githubusercontent.com"
    );
    assert_eq!(c.oidc.audience, "sts.amazonaws.com");
    let names: Vec<_> = c.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["dev", "prod"]);
    let dev = c.environment("dev").unwrap();
    assert_eq!(dev.tier, Tier::Dev);
    assert_eq!(dev.trigger, Trigger::Branch("main".into()));
    assert_eq!(dev.trigger.subject_suffix(), "ref:refs/heads/main");
    assert_eq!(dev.role_arn_secret_name(), "AWS_ROLE_ARN_DEV");
    let prod = c.environment("prod").unwrap();
    assert_eq!(prod.tier, Tier::Prod);
    assert_eq!(prod.trigger.subject_suffix(), "ref:refs/tags/*");
    assert_eq!(prod.session_duration, 3600);
    assert_eq!(prod.redeploy, Redeploy::OnSecretChange);
    assert_eq!(c.access_key_max_age_days, 90);
    assert!(c.images.is_none());
    assert_eq!(c.aws.cdk_qualifier, "hnb659fds");
}

#[test]
fn cdk_qualifier_is_checked_like_cdk_does() {
    let with = |q: &str| {
        GUIDE.replace(
            "region = \"ca-central-1\"",
            &format!("region = \"ca-central-1\"\ncdk_qualifier = \"{q}\""),
        )
    };
    assert_eq!(
        parse(&with("abc123"), "hoist.toml")
            .unwrap()
            .aws
            .cdk_qualifier,
        "abc123"
    );
    for bad in ["", "has-dash", "elevenchars"] {
        let (msg, expected) = error(&with(bad));
        assert!(msg.contains("invalid CDK qualifier"), "{bad}: {msg}");
        assert!(expected.contains("at most 10"), "{expected}");
    }
}

#[test]
fn environments_keep_the_files_order() {
    let text = GUIDE.replace("[environments.dev]", "[environments.zdev]");
    let c = parse(&text, "hoist.toml").unwrap();
    let names: Vec<_> = c.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["zdev", "prod"]);
}

#[test]
fn deploy_fields_and_images_parse() {
    let text = format!(
        "{GUIDE}stack = \"HindsightProdStack\"\ntemplate = \"stack.yaml\"\nredeploy = \"always\"\nservices = [{{ cluster_output = \"ClusterName\", service_output = \"ServiceName\" }}]\n[[environments.prod.secrets]]\nenv = \"LLM_API_KEY\"\noutput = \"LlmSecretArn\"\npattern = \"^sk-[a-z]+$\"\n\n[images]\nrepository = \"hindsight/{{service}}\"\npush_role = \"GitHubActionsEcrPush\"\n"
    );
    let c = parse(&text, "hoist.toml").unwrap();
    let prod = c.environment("prod").unwrap();
    assert_eq!(
        prod.deploy,
        Some(DeploySource::Template("stack.yaml".into()))
    );
    assert_eq!(prod.secrets[0].env, "LLM_API_KEY");
    assert_eq!(prod.services[0].service_output, "ServiceName");
    assert_eq!(prod.redeploy, Redeploy::Always);
    let images = c.images.unwrap();
    assert_eq!(images.repository_for("api"), "hindsight/api");
    assert_eq!(images.tags, ["{sha}", "latest"]);
    assert_eq!(images.push_branch, "main");
}

/// Parses `text`, expecting an error; returns its `file:line:column: message` line and the
/// expected form.
fn error(text: &str) -> (String, String) {
    let e = parse(text, "hoist.toml").expect_err("should be rejected");
    let first = e.to_string().lines().next().unwrap().to_owned();
    (first, e.expected.unwrap_or_default())
}

fn place(text: &str, needle: &str) -> String {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let line = text[..offset].matches('\n').count() + 1;
    let col = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("hoist.toml:{line}:{col}:")
}

#[test]
fn unknown_key_names_its_place_and_the_known_keys() {
    let text = GUIDE.replace(
        "role = \"GitHubActionsHindsightDev\"",
        "role = \"GitHubActionsHindsightDev\"\nrole_name = \"x\"",
    );
    let (msg, expected) = error(&text);
    assert!(msg.starts_with(&place(&text, "role_name")), "{msg}");
    assert!(msg.contains("unknown field `role_name`"), "{msg}");
    assert!(expected.contains("`role`"), "{expected}");
}

#[test]
fn wrong_type_names_its_place() {
    let text = GUIDE.replace("region = \"ca-central-1\"", "region = 5");
    let (msg, _) = error(&text);
    assert!(msg.starts_with(&place(&text, "5")), "{msg}");
    assert!(msg.contains("invalid type"), "{msg}");
}

#[test]
fn prod_triggered_by_a_branch_is_refused() {
    let text = GUIDE.replace("tag = \"*\"", "branch = \"main\"");
    // Two environments on main would also clash; the prod rule is checked first.
    let (msg, expected) = error(&text);
    let prod_branch = text.rfind("branch = \"main\"").unwrap() + "branch = ".len();
    let line = text[..prod_branch].matches('\n').count() + 1;
    assert!(msg.starts_with(&format!("hoist.toml:{line}:10:")), "{msg}");
    assert!(msg.contains("prod role must trust release tags"), "{msg}");
    assert!(expected.contains("tag = \"*\""), "{expected}");
}

#[test]
fn invalid_role_name_is_refused() {
    let text = GUIDE.replace(
        "GitHubActionsHindsightDev",
        "arn:aws:iam::123456789012:role/Dev",
    );
    let (msg, expected) = error(&text);
    assert!(msg.starts_with(&place(&text, "\"arn:aws")), "{msg}");
    assert!(msg.contains("invalid IAM role name"), "{msg}");
    assert!(expected.contains("not an ARN"), "{expected}");
}

#[test]
fn invalid_repositories_are_refused() {
    for bad in [
        "arshargithub",
        "-bad/repo",
        "owner/",
        "own er/repo",
        "owner/re po",
        "a--b/c",
        "owner/..",
    ] {
        let text = GUIDE.replace("arshargithub/HindsightRoboMemSetup", bad);
        let (msg, expected) = error(&text);
        assert!(msg.starts_with("hoist.toml:1:14:"), "{bad}: {msg}");
        assert!(expected.contains("OWNER/NAME"), "{bad}: {expected}");
    }
}

#[test]
fn invalid_region_and_account_are_refused() {
    let (msg, _) = error(&GUIDE.replace("ca-central-1", "canada"));
    assert!(
        msg.starts_with("hoist.toml:4:10:") && msg.contains("invalid AWS region"),
        "{msg}"
    );
    let text = GUIDE.replace(
        "region = \"ca-central-1\"",
        "region = \"ca-central-1\"\naccount_id = \"12345\"",
    );
    let (msg, expected) = error(&text);
    assert!(
        msg.starts_with("hoist.toml:5:14:") && msg.contains("account id"),
        "{msg}"
    );
    assert!(expected.contains("12 digits"));
}

#[test]
fn triggers_must_be_exactly_one_and_distinct() {
    let none = GUIDE.replace("branch = \"main\"\n", "");
    assert!(error(&none).0.contains("has no trigger"));
    let two = GUIDE.replace("branch = \"main\"", "branch = \"main\"\ntag = \"v*\"");
    let (msg, _) = error(&two);
    assert!(
        msg.starts_with(&place(&two, "\"v*\"")) && msg.contains("more than one trigger"),
        "{msg}"
    );
    let pattern = GUIDE.replace("branch = \"main\"", "branch = \"*\"");
    assert!(error(&pattern).0.contains("is a pattern"));
    let same_role = GUIDE.replace("GitHubActionsHindsightProd", "GitHubActionsHindsightDev");
    assert!(error(&same_role).0.contains("share the role"));
}

#[test]
fn id_subjects_need_both_ids() {
    let text = format!("{GUIDE}\n[github]\nsubject_format = \"id\"\nowner_id = 5\n");
    let (msg, expected) = error(&text);
    assert!(msg.contains("needs the numeric ids"), "{msg}");
    assert!(expected.contains("repository_id"));
    let ok =
        format!("{GUIDE}\n[github]\nsubject_format = \"id\"\nowner_id = 5\nrepository_id = 7\n");
    let c = parse(&ok, "hoist.toml").unwrap();
    assert_eq!(c.repository.repository_id, Some(7));
}

#[test]
fn session_duration_is_bounded_by_the_roles_maximum() {
    let text = GUIDE.replace("tag = \"*\"", "tag = \"*\"\nsession_duration = 7200");
    assert!(error(&text).0.contains("longer than the role allows"));
    let text = GUIDE.replace("tag = \"*\"", "tag = \"*\"\nsession_duration = 60");
    assert!(error(&text).1.contains("900"));
}

#[test]
fn secrets_are_checked() {
    let text = format!(
        "{GUIDE}[[environments.prod.secrets]]\nenv = \"llm key\"\noutput = \"LlmSecretArn\"\n"
    );
    assert!(error(&text).0.contains("invalid environment variable name"));
    let text = format!(
        "{GUIDE}[[environments.prod.secrets]]\nenv = \"LLM_API_KEY\"\noutput = \"LlmSecretArn\"\npattern = \"(\"\n"
    );
    assert!(error(&text).0.contains("invalid pattern"));
}

#[test]
fn immutable_tags_with_latest_are_refused() {
    let text = format!("{GUIDE}[images]\ntag_mutability = \"IMMUTABLE\"\n");
    let (msg, expected) = error(&text);
    assert!(msg.contains("IMMUTABLE"), "{msg}");
    assert!(expected.contains("MUTABLE"));
}

#[test]
fn missing_environments_and_empty_file() {
    let (msg, _) = error("repository = \"a/b\"\n[aws]\nregion = \"ca-central-1\"\n");
    assert!(msg.contains("missing field `environments`"), "{msg}");
    assert!(error("").0.contains("missing field"));
}

#[test]
fn init_template_is_valid_and_has_the_guides_triggers() {
    let text = hoist_config::init_template("arshargithub/HindsightRoboMemSetup", "ca-central-1");
    let c = parse(&text, "hoist.toml").unwrap();
    assert_eq!(
        c.environment("dev").unwrap().trigger,
        Trigger::Branch("main".into())
    );
    assert_eq!(
        c.environment("prod").unwrap().trigger,
        Trigger::Tag("*".into())
    );
    assert_eq!(
        c.environment("prod").unwrap().role,
        "GitHubActionsHindsightRoboMemSetupProd"
    );
    assert_eq!(
        c.variables.get("AWS_REGION").map(String::as_str),
        Some("ca-central-1")
    );
}

#[test]
fn cdk_app_is_a_deploy_source_of_its_own() {
    let text = format!("{GUIDE}stack = \"HindsightProdStack\"\ncdk_app = \"cdk\"\n");
    let c = parse(&text, "hoist.toml").unwrap();
    assert_eq!(
        c.environment("prod").unwrap().deploy,
        Some(DeploySource::CdkApp("cdk".into()))
    );
    // With another source: refused at the second one's value.
    let text = format!("{GUIDE}stack = \"S\"\ncdk_out = \"cdk.out\"\ncdk_app = \"cdk\"\n");
    let (msg, expected) = error(&text);
    assert!(msg.starts_with(&place(&text, "\"cdk\"\n")), "{msg}");
    assert!(msg.contains("more than one way to deploy"), "{msg}");
    assert!(expected.contains("cdk_app"), "{expected}");
}

/// `{image:SERVICE}` in parameters: checked where hoist.toml can check it, with its place.
#[test]
fn image_references_in_parameters_name_their_place() {
    let with = |params: &str, images: &str| {
        GUIDE.replace(
            "role = \"GitHubActionsHindsightDev\"",
            &format!("role = \"GitHubActionsHindsightDev\"\nstack = \"S\"\ntemplate = \"t.yaml\"\nparameters = {{ {params} }}"),
        ) + images
    };
    let listed = "\n[images]\nservices = [\"api\", \"web\"]\n";
    let ok = parse(
        &with("Image = \"{image:api}\", Env = \"dev\"", listed),
        "hoist.toml",
    )
    .unwrap();
    assert_eq!(
        ok.environment("dev").unwrap().parameters["Image"],
        "{image:api}",
        "kept as written: the deploy resolves it"
    );
    // Without `services`, any compose service may be pushed: the deploy checks it.
    parse(
        &with("Image = \"{image:worker}\"", "\n[images]\n"),
        "hoist.toml",
    )
    .unwrap();

    let table: &[(&str, &str, &str, &str)] = &[
        (
            "Image = \"{image:api}\"",
            "",
            "has no [images] table",
            "an [images] table",
        ),
        (
            "Image = \"{image:worker}\"",
            listed,
            "[images] services does not list \"worker\"",
            "api, web",
        ),
        (
            "Image = \"repo:{image:api\"",
            listed,
            "is not closed",
            "{image:SERVICE}",
        ),
        (
            "Image = \"{image:a b}\"",
            listed,
            "does not name a service",
            "{image:SERVICE}",
        ),
    ];
    for (params, images, message, expected_form) in table {
        let text = with(params, images);
        let (msg, expected) = error(&text);
        let value = params.split_once(" = ").unwrap().1;
        assert!(msg.starts_with(&place(&text, value)), "{msg}");
        assert!(msg.contains("parameter Image of environment dev"), "{msg}");
        assert!(msg.contains(message), "{msg}");
        assert!(expected.contains(expected_form), "{expected}");
    }
}

#[test]
fn an_environment_may_live_in_its_own_account_region_and_profile() {
    let text = GUIDE.replace(
        "role = \"GitHubActionsHindsightProd\"",
        "role = \"GitHubActionsHindsightProd\"\naccount_id = \"210987654321\"\nregion = \"us-east-1\"\nprofile = \"prod-admin\"",
    );
    let c = parse(&text, "hoist.toml").unwrap();
    let dev = c.environment("dev").unwrap();
    assert_eq!(dev.aws, c.aws, "dev inherits [aws]");
    let prod = c.environment("prod").unwrap();
    assert_eq!(prod.aws.account_id.as_deref(), Some("210987654321"));
    assert_eq!(prod.aws.region, "us-east-1");
    assert_eq!(prod.aws.profile.as_deref(), Some("prod-admin"));
    assert_eq!(prod.aws.cdk_qualifier, c.aws.cdk_qualifier);
    assert!(c.has_several_accounts());
    let groups = c.accounts();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].0, c.aws);
    assert_eq!(
        groups[0]
            .1
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["dev"]
    );
    assert_eq!(
        groups[1]
            .1
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["prod"]
    );

    // Only the region differs: still its own group (its own provider and roles are global, but
    // the stack and the CDK bootstrap are regional).
    let region_only = GUIDE.replace(
        "role = \"GitHubActionsHindsightProd\"",
        "role = \"GitHubActionsHindsightProd\"\nregion = \"eu-west-1\"",
    );
    let c = parse(&region_only, "hoist.toml").unwrap();
    assert_eq!(c.accounts().len(), 2);
    assert!(!parse(GUIDE, "hoist.toml").unwrap().has_several_accounts());
    assert_eq!(parse(GUIDE, "hoist.toml").unwrap().accounts().len(), 1);
}

#[test]
fn an_environments_account_and_region_are_checked_where_they_are_written() {
    for (line, needle, message, expected) in [
        (
            "account_id = \"12345\"",
            "\"12345\"",
            "invalid AWS account id",
            "12 digits",
        ),
        (
            "region = \"Mars\"",
            "\"Mars\"",
            "invalid AWS region",
            "region code",
        ),
        (
            "url_output = \"Service-Url\"",
            "\"Service-Url\"",
            "invalid stack output name",
            "letters and digits",
        ),
    ] {
        let text = GUIDE.replace(
            "role = \"GitHubActionsHindsightProd\"",
            &format!("role = \"GitHubActionsHindsightProd\"\n{line}"),
        );
        let (msg, exp) = error(&text);
        assert!(msg.starts_with(&place(&text, needle)), "{msg}");
        assert!(msg.contains(message), "{msg}");
        assert!(exp.contains(expected), "{exp}");
    }
}

#[test]
fn url_output_names_the_output_recorded_as_the_deployments_url() {
    let text = GUIDE.replace(
        "role = \"GitHubActionsHindsightDev\"",
        "role = \"GitHubActionsHindsightDev\"\nurl_output = \"ServiceUrl\"",
    );
    let c = parse(&text, "hoist.toml").unwrap();
    assert_eq!(
        c.environment("dev").unwrap().url_output.as_deref(),
        Some("ServiceUrl")
    );
    assert_eq!(c.environment("prod").unwrap().url_output, None);
}

#[test]
fn images_platform_and_zstd_compression() {
    let c = parse(
        &format!("{GUIDE}[images]\ncompression = \"zstd\"\nplatform = \"linux/arm64\"\n"),
        "hoist.toml",
    )
    .unwrap();
    let images = c.images.unwrap();
    assert_eq!(images.compression, hoist_config::LayerCompression::Zstd);
    assert_eq!(images.platform.as_deref(), Some("linux/arm64"));
    let defaults = parse(&format!("{GUIDE}[images]\n"), "hoist.toml").unwrap();
    assert_eq!(defaults.images.unwrap().platform, None);

    let text = format!("{GUIDE}[images]\nplatform = \"arm64\"\n");
    let (msg, expected) = error(&text);
    assert_eq!(
        msg,
        format!("{} invalid platform \"arm64\"", place(&text, "\"arm64\""))
    );
    assert!(expected.contains("os/arch[/variant]"), "{expected}");
    let text = format!("{GUIDE}[images]\ncompression = \"lz4\"\n");
    assert!(error(&text).1.contains("\"zstd\""));
}
