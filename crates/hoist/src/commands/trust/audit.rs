//! `hoist trust audit`: weaknesses in trust policies and privilege-escalation paths in
//! permission policies, from files (a file whose statements name no principal is a permission
//! policy) or from every role in the account that GitHub tokens can reach (its trust policy and
//! its inline and attached managed permission policies).

use hoist_policy::{AuditContext, Finding, Severity, Tier, audit as run_rules};
use serde_json::json;

use super::policy_source;
use crate::cli::TrustAuditArgs;
use crate::exit::{BadInput, ExitStatus};
use crate::printer::Printer;
use crate::settings::Settings;

/// Findings for one policy.
struct Audited {
    source: String,
    findings: Vec<Finding>,
}

pub(crate) async fn audit(
    settings: &Settings,
    args: TrustAuditArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let TrustAuditArgs { files, account } = args;
    if files.is_empty() && !account {
        return Err(BadInput::new("nothing to audit")
            .hint("pass trust policy files, or --account to audit every GitHub-trusting role")
            .into());
    }
    // hoist.toml, when there is one, tells the audit which repository the roles are for.
    let config = settings
        .config_path
        .exists()
        .then(|| settings.load_config())
        .transpose()?;
    let base = AuditContext {
        repository: config.as_ref().map(|c| c.repository.full_name()),
        expected_audience: config.as_ref().map_or_else(
            || "sts.amazonaws.com".to_owned(),
            |c| c.oidc.audience.clone(),
        ),
        ..AuditContext::default()
    };

    let mut audited = Vec::new();
    // Every file is read before any AWS call, so a bad file fails fast.
    for path in &files {
        let loaded = policy_source::from_file(path)?;
        let ctx = AuditContext {
            role_name: file_stem(path),
            ..base.clone()
        };
        let findings = if is_permission_policy(&loaded.document) {
            hoist_policy::audit_permission_policy(&loaded.document)
        } else {
            run_rules(&loaded.document, &ctx)
        };
        audited.push(Audited {
            source: loaded.label,
            findings,
        });
    }
    if account {
        let aws = settings.aws(config.as_ref()).await;
        let host = config
            .as_ref()
            .map_or("token.actions.githubusercontent.com", |c| {
                c.oidc.provider_host()
            })
            .to_owned();
        let iam = hoist_aws::iam::Iam::new(&aws);
        // Every role is read: a role trusting "*" (or NotPrincipal) admits GitHub tokens
        // without naming the provider, and a role hoist cannot parse is reported rather
        // than skipped or allowed to stop the audit.
        for role in iam.list_roles().await? {
            let source = format!("role {}", role.name);
            let document = match hoist_policy::PolicyDocument::parse_iam_encoded(&role.trust_policy)
            {
                Ok(d) => d,
                Err(e) => {
                    audited.push(Audited {
                        findings: vec![hoist_policy::unparseable_policy(&source, &e)],
                        source,
                    });
                    continue;
                }
            };
            if !hoist_policy::admits_provider_or_anyone(&document, &host) {
                continue;
            }
            // ListRoles carries no tags: read the role for its hoist:tier tag.
            let tags = iam
                .get_role(&role.name)
                .await?
                .map(|r| r.tags)
                .unwrap_or_default();
            let tier = match tags.get("hoist:tier").map(String::as_str) {
                Some("prod") => Some(Tier::Prod),
                Some("dev") => Some(Tier::Dev),
                _ => None,
            };
            let ctx = AuditContext {
                role_name: Some(role.name.clone()),
                tier,
                ..base.clone()
            };
            audited.push(Audited {
                source,
                findings: run_rules(&document, &ctx),
            });
            // What the role may do once assumed: its inline policies' escalation paths.
            for (name, text) in iam.role_inline_policies(&role.name).await? {
                let source = format!("role {} inline policy {name}", role.name);
                let findings = match hoist_policy::PolicyDocument::parse_iam_encoded(&text) {
                    Ok(p) => hoist_policy::audit_permission_policy(&p),
                    Err(e) => vec![hoist_policy::unparseable_policy(&source, &e)],
                };
                audited.push(Audited { source, findings });
            }
            // And its attached managed policies: the default version's document, or, for
            // AWS's admin-class policies, the document AWS publishes when it cannot be read.
            for arn in iam.list_attached_role_policies(&role.name).await? {
                let source = format!("role {} managed policy {arn}", role.name);
                let known = hoist_policy::known_aws_managed_policy(&arn);
                let document = match (iam.get_managed_policy(&arn).await, known) {
                    (Ok(Some(p)), _) => hoist_policy::PolicyDocument::parse(&p.document),
                    (Ok(None) | Err(_), Some(doc)) => Ok(doc),
                    // An unreadable policy is never reported clean.
                    (Err(e), None) => return Err(e.into()),
                    (Ok(None), None) => continue,
                };
                let findings = match document {
                    Ok(p) => hoist_policy::audit_permission_policy(&p),
                    Err(e) => vec![hoist_policy::unparseable_policy(&source, &e)],
                };
                audited.push(Audited { source, findings });
            }
        }
    }

    let errors = audited
        .iter()
        .flat_map(|a| &a.findings)
        .filter(|f| f.severity == Severity::Error)
        .count();
    if printer.json() {
        let findings: Vec<serde_json::Value> = audited
            .iter()
            .flat_map(|a| {
                a.findings.iter().map(move |f| {
                    let mut v = serde_json::to_value(f).expect("findings serialize");
                    v["source"] = json!(a.source);
                    v
                })
            })
            .collect();
        printer.json_value(&json!({ "audited": audited.iter().map(|a| &a.source).collect::<Vec<_>>(), "findings": findings }));
    } else {
        render(printer, &audited);
    }
    Ok(if errors > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn render(printer: &Printer, audited: &[Audited]) {
    if audited.is_empty() {
        printer.out("no role in this account trusts a GitHub OIDC provider");
        return;
    }
    for a in audited {
        if a.findings.is_empty() {
            printer.out(&format!("{}: no findings", a.source));
            continue;
        }
        printer.out(&format!("{}:", a.source));
        for f in &a.findings {
            let severity = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let place = f
                .statement
                .map(|i| format!(" statement #{i}"))
                .unwrap_or_default();
            printer.out(&format!(
                "  {} {severity} [{}]{place}: {}",
                f.rule, f.name, f.message
            ));
            printer.out(&format!("      in: {}", f.fragment));
            printer.out(&format!("      fix: {}", f.fix));
        }
    }
    let count = |s: Severity| {
        audited
            .iter()
            .flat_map(|a| &a.findings)
            .filter(|f| f.severity == s)
            .count()
    };
    printer.out(&format!(
        "{} polic{} audited: {} error(s), {} warning(s), {} info",
        audited.len(),
        if audited.len() == 1 { "y" } else { "ies" },
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    ));
}

/// A policy none of whose statements names a principal is an identity-based (permission)
/// policy; a trust policy always names one.
fn is_permission_policy(doc: &hoist_policy::PolicyDocument) -> bool {
    !doc.statements.is_empty()
        && doc
            .statements
            .iter()
            .all(|s| s.principal.is_none() && s.not_principal.is_none())
}

fn file_stem(path: &std::path::Path) -> Option<String> {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| s != "-")
}
