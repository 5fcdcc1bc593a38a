//! The three ways credentials leave hoist: `$GITHUB_ENV` (after `::add-mask::`), shell
//! `export` lines, and the `credential_process` JSON. Nothing else ever prints them.

use anyhow::Context;
use hoist_aws::web_identity::Credentials;

use crate::exit::Failed;
use crate::gha;
use crate::printer::Printer;

/// Masks each secret part, then appends the four variables to `$GITHUB_ENV`.
pub(crate) fn github_env(
    printer: &Printer,
    creds: &Credentials,
    region: &str,
) -> anyhow::Result<()> {
    gha::add_mask(printer, creds.access_key_id());
    gha::add_mask(printer, creds.expose_secret_access_key());
    gha::add_mask(printer, creds.expose_session_token());
    let vars = [
        ("AWS_ACCESS_KEY_ID", creds.access_key_id()),
        ("AWS_SECRET_ACCESS_KEY", creds.expose_secret_access_key()),
        ("AWS_SESSION_TOKEN", creds.expose_session_token()),
        ("AWS_REGION", region),
    ];
    for (name, value) in vars {
        let written = gha::set_env(name, value).with_context(|| format!("cannot export {name}"))?;
        if !written {
            return Err(Failed::new(
                "GITHUB_ENV is not set, so the credentials cannot reach later steps",
            )
            .hint("run hoist inside a GitHub Actions step, or pass --credential-process")
            .into());
        }
    }
    printer.info("exported AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION to $GITHUB_ENV");
    Ok(())
}

/// `export NAME='value'` lines for `eval "$(hoist credentials --env dev)"`.
pub(crate) fn export_lines(printer: &Printer, creds: &Credentials, region: &str) {
    let quote = |v: &str| format!("'{}'", v.replace('\'', r"'\''"));
    printer.raw(&format!(
        "export AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={}\nexport AWS_SESSION_TOKEN={}\nexport AWS_REGION={}\n",
        quote(creds.access_key_id()),
        quote(creds.expose_secret_access_key()),
        quote(creds.expose_session_token()),
        quote(region),
    ));
}

/// The JSON an AWS `credential_process` prints.
pub(crate) fn credential_process(printer: &Printer, creds: &Credentials) {
    let doc = serde_json::json!({
        "Version": 1,
        "AccessKeyId": creds.access_key_id(),
        "SecretAccessKey": creds.expose_secret_access_key(),
        "SessionToken": creds.expose_session_token(),
        "Expiration": creds.expiration(),
    });
    printer.raw(&format!("{doc}\n"));
}
