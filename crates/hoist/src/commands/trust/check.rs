//! `hoist trust check`: would these claims be allowed to assume the role, and why.

use hoist_policy::{WebIdentityRequest, evaluate};
use serde_json::json;

use super::claims::{self, LoadedClaims};
use super::policy_source::{self, LoadedPolicy};
use crate::cli::TrustCheckArgs;
use crate::exit::{BadInput, ExitStatus};
use crate::printer::Printer;
use crate::settings::Settings;

pub(crate) async fn check(
    settings: &Settings,
    args: TrustCheckArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let TrustCheckArgs {
        policy,
        role,
        claims: claims_file,
        token,
        jwks,
        sub,
        aud,
        claims_kv,
        provider_arn,
    } = args;

    // Input first, so bad input fails before any AWS call.
    let token = token.as_deref().map(claims::read_token_arg).transpose()?;
    let loaded_claims: LoadedClaims = match (claims_file, token, sub) {
        (Some(path), _, _) => claims::from_file(&path)?,
        (None, Some(token), _) => claims::from_token(&token, jwks.as_deref()).await?,
        (None, None, Some(sub)) => claims::from_flags(&sub, &aud, &claims_kv)?,
        (None, None, None) => unreachable!("clap requires one claims source"),
    };
    let loaded_policy: LoadedPolicy = match (policy, role) {
        (Some(path), _) => policy_source::from_file(&path)?,
        (None, Some(role)) => {
            let config = settings
                .config_path
                .exists()
                .then(|| settings.load_config())
                .transpose()?;
            let aws = settings.aws(config.as_ref()).await;
            policy_source::from_role(&aws, &role).await?
        }
        (None, None) => unreachable!("clap requires one policy source"),
    };

    let provider_arn = match provider_arn {
        Some(arn) => arn,
        None => default_provider_arn(&loaded_policy, &loaded_claims)?,
    };
    let request = WebIdentityRequest::from_github_claims(&provider_arn, &loaded_claims.claims);
    let decision = evaluate(&loaded_policy.document, &request);

    if printer.json() {
        printer.json_value(&json!({
            "decision": if decision.allowed() { "allow" } else { "deny" },
            "outcome": decision.outcome,
            "policy": loaded_policy.label,
            "role_arn": loaded_policy.role_arn,
            "claims": {
                "source": loaded_claims.provenance,
                "verified": loaded_claims.provenance.verified(),
                "sub": request.subject(),
            },
            "federated_principal": provider_arn,
            "explanation": decision.to_string(),
            "statements": decision.statements,
            "hints": decision.hints,
        }));
    } else {
        // Claims (and a live policy) are someone else's text: escaped for the terminal and
        // the workflow log; the decision above was made on the raw values.
        let escape = crate::untrusted::escape;
        printer.out(&format!("policy: {}", escape(&loaded_policy.label)));
        printer.out(&format!(
            "token sub: {}",
            request
                .subject()
                .map_or_else(|| "(none)".to_owned(), escape)
        ));
        printer.out(&format!("provider: {}", escape(&provider_arn)));
        printer.out(loaded_claims.provenance.note());
        printer.out("");
        printer.out(
            crate::untrusted::escape_decision(&decision)
                .to_string()
                .trim_end(),
        );
    }
    Ok(if decision.allowed() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The provider the token would come through: the account of the role (or of the policy's
/// first OIDC principal), and the host of the token's issuer, as IAM names providers.
fn default_provider_arn(policy: &LoadedPolicy, claims: &LoadedClaims) -> anyhow::Result<String> {
    let issuer = claims
        .claims
        .get("iss")
        .and_then(|v| v.as_str())
        .unwrap_or("https://token.actions.githubusercontent.com");
    let host = issuer.trim_start_matches("https://").trim_end_matches('/');
    let account = policy
        .role_arn
        .as_deref()
        .and_then(|arn| arn.split(':').nth(4).map(str::to_owned))
        .or_else(|| first_oidc_account(&policy.document));
    let account = account.ok_or_else(|| {
        BadInput::new("cannot tell which account's OIDC provider the token comes through")
            .hint("pass --provider-arn arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com")
    })?;
    Ok(format!("arn:aws:iam::{account}:oidc-provider/{host}"))
}

fn first_oidc_account(policy: &hoist_policy::PolicyDocument) -> Option<String> {
    let json = serde_json::to_value(policy).ok()?;
    let mut found = None;
    find_strings(&json, &mut |s| {
        if found.is_none() && s.starts_with("arn:") && s.contains(":oidc-provider/") {
            found = s.split(':').nth(4).map(str::to_owned);
        }
    });
    found
}

fn find_strings(v: &serde_json::Value, f: &mut impl FnMut(&str)) {
    match v {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| find_strings(x, f)),
        serde_json::Value::Object(o) => o.values().for_each(|x| find_strings(x, f)),
        _ => {}
    }
}
