//! `hoist push`: build the compose services (or take `--image NAME=PATH`), then let the push
//! engine (`hoist-push`) compare each image's content with what `latest` references in the
//! registry and push only what changed.
//!
//! Parts: `source` (the images named on the command line or in the compose file), `output`
//! (table, JSON, Actions), `progress` (bars on a TTY, plain lines otherwise). Reading,
//! deciding, exporting and uploading belong to `hoist-push`.

mod output;
mod progress;
mod source;

use std::sync::Arc;

use anyhow::Context as _;

use crate::cli::PushArgs;
use crate::env_vars;
use crate::exit::{BadInput, ExitStatus, Failed};
use crate::printer::Printer;
use crate::settings::Settings;

use hoist_push::{Outcome, PushError, ServiceResult};

/// Blobs uploaded at the same time: enough to keep a registry's cores busy.
const PARALLEL_UPLOADS: usize = 4;

pub(crate) async fn run(
    settings: &Settings,
    args: PushArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let PushArgs {
        images,
        services,
        explain,
        no_build,
        dry_run,
    } = args;
    // Compose services live in the engine: its /_ping goes out now and is answered while
    // hoist.toml and the compose file are read (yielding once lets the request leave).
    let early_engine = images
        .is_empty()
        .then(|| tokio::spawn(hoist_docker::Engine::connect()));
    if early_engine.is_some() {
        tokio::task::yield_now().await;
    }
    let config = settings.load_config()?;
    let Some(images_cfg) = config.images.clone() else {
        return Err(BadInput::new(format!(
            "{} has no [images] section",
            settings.config_path.display()
        ))
        .hint("add [images] with compose_file = \"docker-compose.yml\" (see `hoist init`)")
        .into());
    };
    let sha = commit_sha(settings)?;
    let tags = hoist_push::expand_tags(&images_cfg.tags, &sha);
    if explain {
        printer.info(hoist_push::EXPLAIN_INTRO);
    }

    let base_dir = settings.project_dir();
    let platform = source::default_platform(&images_cfg)?;
    let mut local = if images.is_empty() {
        source::from_compose(
            &images_cfg,
            &base_dir,
            &services,
            no_build,
            &platform,
            printer,
        )
        .await?
    } else {
        if !services.is_empty() || no_build {
            return Err(
                BadInput::new("--image cannot be combined with --service or --no-build").into(),
            );
        }
        source::from_paths(&images, &platform)?
    };
    for l in &mut local {
        l.repository = images_cfg.repository_for(&l.service);
    }
    tracing::debug!(images = local.len(), "push: config and images read");

    let profile = settings
        .profile
        .clone()
        .or_else(|| config.aws.profile.clone());
    let region = settings
        .region
        .clone()
        .or_else(|| Some(config.aws.region.clone()));
    let control = Arc::new(hoist_push::Control::new(profile, region));
    let target = env_vars::push_target(&images_cfg);
    let reporter = Arc::new(progress::Progress::new(settings.json));
    let registry = hoist_push::connect(&control, &target, reporter.clone())
        .await
        .map_err(push_error)?;
    let registry_url = registry.url;
    let compression = match images_cfg.compression {
        hoist_config::LayerCompression::Gzip => hoist_registry::Compression::Gzip,
        hoist_config::LayerCompression::Zstd => hoist_registry::Compression::Zstd,
        hoist_config::LayerCompression::None => hoist_registry::Compression::None,
    };
    let ctx = Arc::new(hoist_push::Ctx {
        client: registry.client,
        registry_url: registry_url.clone(),
        target,
        control,
        images: images_cfg,
        tags,
        shared: hoist_registry::BlobRegistry::new(),
        siblings: local.iter().map(|l| l.repository.clone()).collect(),
        explain,
        dry_run,
        parallel_uploads: PARALLEL_UPLOADS,
        compression,
        events: reporter.clone(),
    });
    let (results, explained) = hoist_push::push_all(&ctx, &local, early_engine)
        .await
        .map_err(push_error)?;
    reporter.finish();
    for line in explained {
        printer.info(&line);
    }

    let failed: Vec<&ServiceResult> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
        .collect();
    let failure = failed.first().map(|first| {
        let Outcome::Failed {
            ref error,
            ref hint,
        } = first.outcome
        else {
            unreachable!("filtered on Failed")
        };
        (
            format!(
                "{} of {} image(s) failed; {}: {error}",
                failed.len(),
                results.len(),
                first.service
            ),
            hint.clone(),
        )
    });
    output::print(&results, &registry_url, failure.as_ref(), printer)?;
    if let Some((message, hint)) = failure {
        // One JSON document on stdout even on failure: the results carry the error.
        printer.error(&format!("error: {message}"));
        if let Some(h) = hint {
            printer.error(&format!("  hint: {h}"));
        }
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}

/// A push engine error as the CLI reports it: its sentence and its fix, exit 2 for bad input.
fn push_error(e: PushError) -> anyhow::Error {
    let (message, hint) = (e.to_string(), e.hint());
    if e.is_bad_input() {
        let b = BadInput::new(message);
        match hint {
            Some(h) => b.hint(h).into(),
            None => b.into(),
        }
    } else {
        let f = Failed::new(message);
        match hint {
            Some(h) => f.hint(h).into(),
            None => f.into(),
        }
    }
}

/// The commit's short SHA for `{sha}`: `GITHUB_SHA` in Actions, else `git rev-parse`.
fn commit_sha(settings: &Settings) -> anyhow::Result<String> {
    if let Some(sha) = env_vars::get(env_vars::GITHUB_SHA) {
        return Ok(sha.chars().take(7).collect());
    }
    let dir = settings.project_dir();
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short=7", "HEAD"])
        .current_dir(dir)
        .output()
        .context("cannot run git to find the commit SHA")?;
    let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || sha.is_empty() {
        return Err(BadInput::new("no commit SHA for the {sha} tag")
            .hint("set GITHUB_SHA (GitHub Actions sets it), or run hoist inside a git checkout with a commit")
            .into());
    }
    Ok(sha)
}
