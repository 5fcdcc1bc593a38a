//! `hoist init`: writes a commented hoist.toml with the guide's two environments.

use crate::cli::InitArgs;
use crate::exit::{BadInput, ExitStatus};
use crate::printer::Printer;
use crate::settings::Settings;

pub(crate) fn run(
    settings: &Settings,
    args: InitArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let InitArgs { repository, force } = args;
    let Some(region) = settings.region.clone() else {
        return Err(BadInput::new("hoist init needs the AWS region")
            .hint("pass --region, such as --region ca-central-1")
            .into());
    };
    let path = &settings.init_path;
    if path.exists() && !force {
        return Err(BadInput::new(format!("{} already exists", path.display()))
            .hint("pass --force to overwrite it, or edit it by hand")
            .into());
    }
    let text = hoist_config::init_template(&repository, &region);
    // The template must describe a valid configuration: check it before writing anything.
    hoist_config::parse(&text, &path.display().to_string())?;
    std::fs::write(path, &text)?;
    if printer.json() {
        printer.json_value(&serde_json::json!({ "written": path.display().to_string() }));
    } else {
        printer.out(&format!("wrote {}", path.display()));
        printer.info("next: `hoist bootstrap` shows the plan for the OIDC provider and the roles; `hoist bootstrap --apply` makes it");
    }
    Ok(ExitStatus::Success)
}
