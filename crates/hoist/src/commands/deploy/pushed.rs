//! `{image:SERVICE}` in stack parameters and CDK context: resolved to the digests `hoist push`
//! pushed in this run (`--pushed` / `HOIST_PUSH_OUTPUTS`), by `hoist_deploy::image_refs`.

use hoist_config::Environment;
use hoist_deploy::image_refs::{self, ImageRefError, PushedImages};
use hoist_deploy::synth::App;

use crate::exit::BadInput;

const HINT: &str = "run `hoist push` first in the same job and hand its step outputs to the deploy (`HOIST_PUSH_OUTPUTS: ${{ toJSON(steps.push.outputs) }}`, as `hoist workflow` writes it), or `--pushed @FILE` with that JSON object";

/// The pushed images from the flag's value (JSON or `@FILE`); none when it is absent.
pub(super) fn read(arg: Option<&str>) -> Result<PushedImages, BadInput> {
    let Some(arg) = arg else {
        return Ok(PushedImages::none());
    };
    let text = crate::secret_arg::read("--pushed", arg)?;
    PushedImages::from_push_outputs(&text).map_err(refused)
}

/// The environment with every `{image:…}` of its parameters resolved.
pub(super) fn resolve_parameters(
    environment: &Environment,
    pushed: &PushedImages,
) -> Result<Environment, BadInput> {
    let parameters =
        image_refs::resolve_all("parameter", &environment.parameters, pushed).map_err(refused)?;
    Ok(Environment {
        parameters,
        ..environment.clone()
    })
}

/// The app with every `{image:…}` of its context values resolved.
pub(super) fn resolve_context(app: App, pushed: &PushedImages) -> Result<App, BadInput> {
    let context = image_refs::resolve_context(&app.context, pushed).map_err(refused)?;
    Ok(App { context, ..app })
}

fn refused(e: ImageRefError) -> BadInput {
    BadInput::new(e.to_string()).hint(HINT)
}
