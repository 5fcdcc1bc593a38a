//! ECR repositories from `[images]` (present, holding `latest`) and the age of the ECR guide's
//! access keys.

use super::super::check::{CheckResult, Fix};
use super::super::context::Ctx;

/// The compose services with a `build:` (what `hoist push` pushes when `services` is unset).
fn compose_services(path: &std::path::Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc: serde_json::Value = serde_norway::from_str(&text)
        .map_err(|e| format!("{} is not YAML: {e}", path.display()))?;
    Ok(doc
        .get("services")
        .and_then(|s| s.as_object())
        .map(|m| {
            m.iter()
                .filter(|(_, v)| v.get("build").is_some())
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default())
}

pub(crate) async fn ecr(ctx: &Ctx<'_>, config_dir: &std::path::Path) -> Vec<CheckResult> {
    let Some(images) = &ctx.config.images else {
        return Vec::new();
    };
    let services = match &images.services {
        Some(s) => s.clone(),
        None => match compose_services(&config_dir.join(&images.compose_file)) {
            Ok(s) => s,
            Err(e) => {
                return vec![CheckResult::skip(
                    "ecr",
                    format!("the services to check are unknown: {e}"),
                )];
            }
        },
    };
    // Where `hoist push` sends images is where `latest` must be: a registry override
    // (HOIST_REGISTRY or [images] registry) is read through its data plane.
    let target = crate::env_vars::push_target(images);
    let data_plane = if target.overridden() {
        let control = std::sync::Arc::new(hoist_push::Control::from_aws(&ctx.aws));
        let reporter = std::sync::Arc::new(hoist_registry::NoReporter);
        match hoist_push::connect(&control, &target, reporter).await {
            Ok(registry) => Some((registry.client, registry.url)),
            Err(e) => return vec![CheckResult::fail("registry", e.to_string())],
        }
    } else {
        None
    };
    let mut out = Vec::new();
    for svc in services {
        let repo = images.repository_for(&svc);
        if let Some((client, url)) = &data_plane {
            let name = format!("registry/{repo}");
            out.push(match client.get_manifest(&repo, "latest").await {
                Ok(Some(m)) => CheckResult::ok(
                    name,
                    format!(
                        "{repo}:latest exists in {url} (manifest {})",
                        m.digest.short()
                    ),
                ),
                Ok(None) => CheckResult::fail(
                    name,
                    format!("{repo} holds no `latest` image in {url}: nothing was pushed yet"),
                )
                .fix(Fix::Manual(
                    "push: `hoist push` (or run the images workflow)".into(),
                )),
                Err(e) => {
                    let f = target.failure(e, url);
                    let r = CheckResult::fail(
                        name,
                        format!("cannot read {repo}:latest from {url}: {f}"),
                    );
                    match f.hint() {
                        Some(h) => r.fix(Fix::Manual(h)),
                        None => r,
                    }
                }
            });
            continue;
        }
        let name = format!("ecr/{repo}");
        out.push(match hoist_aws::ecr::Ecr::new(&ctx.aws).image_tag_exists(&repo, "latest").await {
            Ok(None) => CheckResult::fail(name, format!("ECR repository {repo} does not exist"))
                .fix(Fix::Manual("`hoist push` creates it (or `aws ecr create-repository --repository-name REPO`)".replace("REPO", &repo))),
            Ok(Some(false)) => CheckResult::fail(name, format!("{repo} holds no `latest` image: nothing was pushed yet"))
                .fix(Fix::Manual("push: `hoist push` (or run the images workflow)".into())),
            Ok(Some(true)) => CheckResult::ok(name, format!("{repo}:latest exists")),
            Err(e) => CheckResult::fail(name, format!("cannot read {repo}: {}", crate::hints::chain(&e))),
        });
    }
    out
}

pub(crate) async fn access_keys(ctx: &Ctx<'_>) -> Vec<CheckResult> {
    let max = ctx.config.access_key_max_age_days;
    let mut users: Vec<String> = ctx.config.legacy_ecr_user.iter().cloned().collect();
    for u in &ctx.users {
        if !users.contains(u) {
            users.push(u.clone());
        }
    }
    let now = crate::clock::now_secs();
    let mut out = Vec::new();
    for user in users {
        let name = format!("access-keys/{user}");
        let keys = match hoist_aws::iam_keys::list_access_keys(&ctx.aws, &user).await {
            Ok(k) => k,
            Err(e) => {
                out.push(CheckResult::fail(
                    name,
                    format!("cannot list {user}'s keys: {e}"),
                ));
                continue;
            }
        };
        let old: Vec<String> = keys
            .iter()
            .filter(|k| k.active && k.age_days(now).is_some_and(|a| a > i64::from(max)))
            .map(|k| {
                format!(
                    "{} ({} days)",
                    k.access_key_id,
                    k.age_days(now).unwrap_or_default()
                )
            })
            .collect();
        let mut r = if old.is_empty() {
            CheckResult::ok(
                &name,
                format!(
                    "{} key(s), none active and older than {max} days",
                    keys.len()
                ),
            )
        } else {
            CheckResult::warn(&name, format!("active keys older than {max} days: {}", old.join(", ")))
                .fix(Fix::Manual(format!("`hoist keys rotate --user {user} --apply`, or retire them: `hoist keys migrate --user {user}`")))
        };
        for k in &keys {
            r = r.evidence(format!(
                "{} {} created {} last used {}",
                k.access_key_id,
                if k.active { "Active" } else { "Inactive" },
                hoist_plan::keys::ago(k.created, now),
                hoist_plan::keys::ago(k.last_used, now)
            ));
        }
        out.push(r);
    }
    out
}
