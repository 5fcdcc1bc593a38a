//! `hoist secret rotate --env E NAME [--apply]`: the guide's "rotate `LLM_API_KEY`
//! periodically and update in GitHub Secrets + Secrets Manager", as one planned command.
//!
//! The new value comes from stdin ([`input`]), is checked against the secret's pattern before
//! any network call, and is never printed. The plan ([`plan`]) names the GitHub secret, the
//! stack's secret (from the stack outputs, as a deploy finds it) and the services that read it
//! (found from the stack, as a deploy finds them); `--apply` carries it out ([`apply`]) and
//! waits until the new deployments completed. Run twice with the same value, the second run
//! finds Secrets Manager holding it and restarts nothing; the GitHub secret is written again,
//! because GitHub never returns a secret's value to compare (the plan says so).

mod apply;
mod input;
mod plan;

use std::time::Duration;

use hoist_aws::cfn::Cfn;
use hoist_aws::ecs::Ecs;
use hoist_aws::secrets::{SecretValue, Secrets};

use crate::cli::SecretRotateArgs;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::Settings;
use crate::target;

pub(crate) async fn rotate(
    settings: &Settings,
    args: SecretRotateArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let SecretRotateArgs {
        env,
        name,
        apply,
        wait_timeout,
    } = args;
    let config = settings.load_config()?;
    let environment = target::choose_environment(&config, Some(&env))?;
    let spec = plan::spec(environment, &name)?;
    // Before any network call: a bad value changes nothing.
    let value = SecretValue::new(input::read(spec)?);
    let github = crate::github::required("rotating a GitHub secret")?;
    let repository = config.repository.full_name();
    let aws = settings.aws_in(&environment.aws).await;
    let (cfn, ecs, secrets) = (Cfn::new(&aws), Ecs::new(&aws), Secrets::new(&aws));
    let reads = plan::Reads {
        env: environment,
        spec,
        repository: &repository,
        github: &github,
        cfn: &cfn,
        ecs: &ecs,
        secrets: &secrets,
    };
    let plan = plan::compute(&reads, &value, printer).await?;
    if !printer.json() {
        plan::print(&plan, printer);
    }
    let timeout = Duration::from_secs(wait_timeout.unwrap_or(environment.wait_timeout));
    let mut applied = apply::Applied::default();
    let result = apply::run(&plan, apply, &value, &reads, timeout, &mut applied, printer).await;
    match (&result, printer.json()) {
        // Under --json a failure's error document is the one JSON answer.
        (Ok(ran), true) => printer.json_value(&serde_json::json!({
            "plan": plan,
            "applied": if *ran { serde_json::to_value(&applied)? } else { false.into() },
        })),
        (Err(_), true) => {}
        (Ok(false), false) => {
            printer.out("Plan only: run again with --apply to make these changes.");
        }
        (_, false) => apply::print(&plan, &applied, printer),
    }
    result?;
    Ok(ExitStatus::Success)
}
