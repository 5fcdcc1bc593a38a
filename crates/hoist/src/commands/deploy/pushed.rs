//! `{image:SERVICE}` in stack parameters and CDK context: resolved to the digests `hoist push`
//! pushed in this run (`--pushed` / `HOIST_PUSH_OUTPUTS`), by `hoist_deploy::image_refs`.

use hoist_config::Environment;
use hoist_deploy::image_refs::{self, PushedImages};

use hoist_deployer::DeployError;

/// The pushed images from the flag's value (JSON or `@FILE`); none when it is absent.
pub(super) fn read(arg: Option<&str>) -> anyhow::Result<PushedImages> {
    let Some(arg) = arg else {
        return Ok(PushedImages::none());
    };
    let text = crate::secret_arg::read("--pushed", arg)?;
    Ok(PushedImages::from_push_outputs(&text).map_err(DeployError::ImageRef)?)
}

/// The environment with every `{image:…}` of its parameters resolved.
pub(super) fn resolve_parameters(
    environment: &Environment,
    pushed: &PushedImages,
) -> Result<Environment, DeployError> {
    let parameters = image_refs::resolve_all("parameter", &environment.parameters, pushed)?;
    Ok(Environment {
        parameters,
        ..environment.clone()
    })
}
