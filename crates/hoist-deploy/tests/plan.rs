//! The deploy plan from a cloud assembly shaped as `aws-cdk-lib`'s default synthesizer
//! (v2, `DefaultStackSynthesizer`, qualifier `hnb659fds`) writes it: roles, template URL,
//! assets with their publishing roles, bootstrap requirement, parameters; and the plain
//! template rules (TemplateBody up to 51,200 bytes, TemplateURL up to 1 MB).

use std::collections::BTreeMap;
use std::path::Path;

use hoist_deploy::Env;
use hoist_deploy::assembly::{self, AssemblyError};
use hoist_deploy::plan::{self, Packaging, PlanError, TemplateLocation};
use hoist_deploy::preflight::{self, BootstrapProbe, BucketProbe, Probes, RoleProbe, Severity};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";

fn manifest(environment: &str) -> String {
    format!(
        r#"{{
  "version": "38.0.1",
  "artifacts": {{
    "AppStack.assets": {{
      "type": "cdk:asset-manifest",
      "properties": {{
        "file": "AppStack.assets.json",
        "requiresBootstrapStackVersion": 6,
        "bootstrapStackVersionSsmParameter": "/cdk-bootstrap/hnb659fds/version"
      }}
    }},
    "AppStack": {{
      "type": "aws:cloudformation:stack",
      "environment": "{environment}",
      "properties": {{
        "templateFile": "AppStack.template.json",
        "terminationProtection": false,
        "validateOnSynth": false,
        "stackName": "app-dev",
        "assumeRoleArn": "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-hnb659fds-deploy-role-${{AWS::AccountId}}-${{AWS::Region}}",
        "cloudFormationExecutionRoleArn": "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-hnb659fds-cfn-exec-role-${{AWS::AccountId}}-${{AWS::Region}}",
        "stackTemplateAssetObjectUrl": "s3://cdk-hnb659fds-assets-${{AWS::AccountId}}-${{AWS::Region}}/7d3f0c.json",
        "requiresBootstrapStackVersion": 6,
        "bootstrapStackVersionSsmParameter": "/cdk-bootstrap/hnb659fds/version",
        "additionalDependencies": ["AppStack.assets"],
        "lookupRole": {{"arn": "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-hnb659fds-lookup-role-${{AWS::AccountId}}-${{AWS::Region}}", "requiresBootstrapStackVersion": 8, "bootstrapStackVersionSsmParameter": "/cdk-bootstrap/hnb659fds/version"}}
      }},
      "dependencies": ["AppStack.assets"],
      "metadata": {{}},
      "displayName": "AppStack"
    }},
    "Tree": {{"type": "cdk:tree", "properties": {{"file": "tree.json"}}}}
  }}
}}"#
    )
}

const ASSETS: &str = r#"{
  "version": "38.0.1",
  "files": {
    "a1b2c3": {
      "displayName": "Fn/Code",
      "source": {"path": "asset.a1b2c3", "packaging": "zip"},
      "destinations": {
        "current_account-current_region": {
          "bucketName": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}",
          "objectKey": "a1b2c3.zip",
          "assumeRoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-file-publishing-role-${AWS::AccountId}-${AWS::Region}"
        }
      }
    },
    "7d3f0c": {
      "displayName": "AppStack Template",
      "source": {"path": "AppStack.template.json", "packaging": "file"},
      "destinations": {
        "current_account-current_region": {
          "bucketName": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}",
          "objectKey": "7d3f0c.json",
          "assumeRoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-file-publishing-role-${AWS::AccountId}-${AWS::Region}"
        }
      }
    }
  },
  "dockerImages": {
    "d4e5f6": {
      "displayName": "Api/Image",
      "source": {"directory": "asset.d4e5f6", "dockerBuildArgs": {"MODE": "prod"}, "dockerBuildTarget": "runtime", "platform": "linux/amd64"},
      "destinations": {
        "current_account-current_region": {
          "repositoryName": "cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}",
          "imageTag": "d4e5f6",
          "assumeRoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-image-publishing-role-${AWS::AccountId}-${AWS::Region}"
        }
      }
    }
  }
}"#;

const TEMPLATE: &str = r#"{"Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"}},
  "Resources": {"B": {"Type": "AWS::S3::Bucket"}}}"#;

fn write(dir: &Path, environment: &str) {
    std::fs::write(dir.join("manifest.json"), manifest(environment)).unwrap();
    std::fs::write(dir.join("AppStack.assets.json"), ASSETS).unwrap();
    std::fs::write(dir.join("AppStack.template.json"), TEMPLATE).unwrap();
}

fn env() -> Env {
    Env::new(ACCOUNT, REGION)
}

fn role(kind: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-{kind}-role-{ACCOUNT}-{REGION}")
}

#[test]
fn assembly_plan_uses_the_roles_template_url_and_assets_of_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "aws://unknown-account/unknown-region");
    // By artifact id and by stack name alike.
    for name in ["AppStack", "app-dev"] {
        let asm = assembly::load(dir.path(), name).unwrap();
        assert_eq!(asm.stack_name, "app-dev");
        let extra = BTreeMap::from([("EnvName".to_owned(), "dev".to_owned())]);
        let plan = plan::for_assembly(&asm, &extra, env(), None).unwrap();
        assert_eq!(plan.deploy_role.as_deref(), Some(role("deploy").as_str()));
        assert_eq!(
            plan.execution_role.as_deref(),
            Some(role("cfn-exec").as_str())
        );
        let bucket = format!("cdk-hnb659fds-assets-{ACCOUNT}-{REGION}");
        assert_eq!(
            plan.location,
            TemplateLocation::Url {
                bucket: bucket.clone(),
                key: "7d3f0c.json".into(),
                url: format!("https://s3.{REGION}.amazonaws.com/{bucket}/7d3f0c.json"),
                upload: false,
            },
            "the template is one of the file assets, published with them"
        );
        assert_eq!(plan.bucket_required, None);
        let bootstrap = plan.bootstrap.as_ref().unwrap();
        assert_eq!(bootstrap.required, 6);
        assert_eq!(bootstrap.parameter, "/cdk-bootstrap/hnb659fds/version");
        let files: Vec<_> = plan
            .files
            .iter()
            .map(|f| {
                (
                    f.id.as_str(),
                    f.packaging,
                    f.bucket.as_str(),
                    f.key.as_str(),
                    f.role.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            files,
            [
                (
                    "7d3f0c",
                    Packaging::File,
                    bucket.as_str(),
                    "7d3f0c.json",
                    role("file-publishing")
                ),
                (
                    "a1b2c3",
                    Packaging::Zip,
                    bucket.as_str(),
                    "a1b2c3.zip",
                    role("file-publishing")
                ),
            ]
        );
        assert_eq!(plan.files[1].source, dir.path().join("asset.a1b2c3"));
        let image = &plan.images[0];
        assert_eq!(
            image.repository,
            format!("cdk-hnb659fds-container-assets-{ACCOUNT}-{REGION}")
        );
        assert_eq!(
            (
                image.tag.as_str(),
                image.target.as_deref(),
                image.platform.as_deref()
            ),
            ("d4e5f6", Some("runtime"), Some("linux/amd64"))
        );
        assert_eq!(image.build_args["MODE"], "prod");
        assert_eq!(
            image.role.as_deref(),
            Some(role("image-publishing").as_str())
        );
        assert_eq!(plan.parameters, extra);
        assert_eq!(
            plan.roles().into_iter().map(|(r, _)| r).collect::<Vec<_>>(),
            [
                role("deploy"),
                role("file-publishing"),
                role("image-publishing")
            ]
        );
    }
}

#[test]
fn template_url_endpoint_override_is_only_the_cloudformation_one() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "aws://unknown-account/unknown-region");
    let asm = assembly::load(dir.path(), "AppStack").unwrap();
    let plan =
        plan::for_assembly(&asm, &BTreeMap::new(), env(), Some("http://localhost:5000")).unwrap();
    let TemplateLocation::Url { url, .. } = plan.location else {
        panic!()
    };
    assert_eq!(
        url,
        format!("http://localhost:5000/cdk-hnb659fds-assets-{ACCOUNT}-{REGION}/7d3f0c.json")
    );
}

#[test]
fn a_stack_synthesized_for_another_account_or_region_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "aws://999999999999/eu-west-1");
    let asm = assembly::load(dir.path(), "AppStack").unwrap();
    let err = plan::for_assembly(&asm, &BTreeMap::new(), env(), None).unwrap_err();
    assert!(matches!(err, PlanError::WrongAccount { .. }), "{err}");
    write(dir.path(), &format!("aws://{ACCOUNT}/us-east-1"));
    let asm = assembly::load(dir.path(), "AppStack").unwrap();
    let err = plan::for_assembly(&asm, &BTreeMap::new(), env(), None).unwrap_err();
    assert!(matches!(err, PlanError::WrongRegion { .. }), "{err}");
    write(dir.path(), &format!("aws://{ACCOUNT}/{REGION}"));
    let asm = assembly::load(dir.path(), "AppStack").unwrap();
    assert!(plan::for_assembly(&asm, &BTreeMap::new(), env(), None).is_ok());
}

#[test]
fn a_missing_stack_names_the_stacks_there() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "aws://unknown-account/unknown-region");
    let err = assembly::load(dir.path(), "Other").unwrap_err();
    assert!(
        matches!(err, AssemblyError::NoSuchStack { ref have, .. } if have == "app-dev"),
        "{err}"
    );
    let err = assembly::load(&dir.path().join("nope"), "AppStack").unwrap_err();
    assert!(matches!(err, AssemblyError::Read { .. }), "{err}");
}

#[test]
fn plain_templates_body_url_or_refused_by_size() {
    let filler = |n: usize| format!("{{\"Description\": \"{}\"}}", "x".repeat(n - 19));
    let cases = [
        (51_200, "body"),
        (51_201, "url"),
        (1_048_576, "url"),
        (1_048_577, "too large"),
    ];
    for (size, want) in cases {
        let body = filler(size);
        assert_eq!(body.len(), size);
        let got = match plan::for_template("S", body.clone(), BTreeMap::new(), env(), None) {
            Ok(p) if p.location == TemplateLocation::Body => "body",
            Ok(p) => {
                let TemplateLocation::Url {
                    bucket,
                    key,
                    upload,
                    ..
                } = &p.location
                else {
                    unreachable!()
                };
                assert!(upload);
                assert_eq!(p.bucket_required.as_deref(), Some(bucket.as_str()));
                assert_eq!(*key, plan::template_key(&body));
                assert!(key.starts_with("hoist-templates/") && key.ends_with(".json"));
                "url"
            }
            Err(PlanError::TemplateTooLarge { bytes, max, .. }) => {
                assert_eq!((bytes, max), (size, 1_048_576));
                "too large"
            }
            Err(e) => panic!("{e}"),
        };
        assert_eq!(got, want, "{size} bytes");
    }
}

#[test]
fn preflight_findings_each_with_its_fix() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "aws://unknown-account/unknown-region");
    let asm = assembly::load(dir.path(), "AppStack").unwrap();
    let plan = plan::for_assembly(&asm, &BTreeMap::new(), env(), None).unwrap();
    let all_assumed: Vec<_> = plan
        .roles()
        .into_iter()
        .map(|(r, _)| (r, RoleProbe::Assumed))
        .collect();
    let probes = |b: BootstrapProbe| Probes {
        bootstrap: Some(b),
        roles: all_assumed.clone(),
        bucket: None,
    };

    assert!(
        preflight::evaluate(&plan, &probes(BootstrapProbe::Found("6".into())), None).is_empty()
    );
    assert!(
        preflight::evaluate(&plan, &probes(BootstrapProbe::Found("21".into())), None).is_empty()
    );

    let missing = preflight::evaluate(&plan, &probes(BootstrapProbe::Missing), Some("prod"));
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].severity, Severity::Failed);
    assert!(
        missing[0].what.contains("not bootstrapped"),
        "{}",
        missing[0].what
    );
    assert_eq!(
        missing[0].fix,
        format!(
            "run `cdk bootstrap aws://{ACCOUNT}/{REGION} --profile prod` once, then deploy again"
        )
    );
    let missing = preflight::evaluate(&plan, &probes(BootstrapProbe::Missing), None);
    assert!(
        missing[0]
            .fix
            .contains(&format!("`cdk bootstrap aws://{ACCOUNT}/{REGION}`"))
    );

    let old = preflight::evaluate(&plan, &probes(BootstrapProbe::Found("5".into())), None);
    assert!(
        old[0].what.contains("version 5") && old[0].what.contains("needs 6"),
        "{}",
        old[0].what
    );

    let mut refused = probes(BootstrapProbe::Found("6".into()));
    refused.roles[1].1 = RoleProbe::Refused("AccessDenied: not authorized".into());
    let found = preflight::evaluate(&plan, &refused, None);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].what.contains(&format!(
            "asset publishing role {}",
            role("file-publishing")
        )),
        "{}",
        found[0].what
    );

    let plain = plan::for_template("S", "x".repeat(60_000), BTreeMap::new(), env(), None).unwrap();
    let found = preflight::evaluate(
        &plain,
        &Probes {
            bucket: Some(BucketProbe::Missing),
            ..Probes::default()
        },
        None,
    );
    assert!(
        found[0].what.contains("does not exist") && found[0].fix.contains("cdk bootstrap"),
        "{found:?}"
    );
    assert!(
        preflight::evaluate(
            &plain,
            &Probes {
                bucket: Some(BucketProbe::Present),
                ..Probes::default()
            },
            None
        )
        .is_empty()
    );
}
