//! `extends` (the Compose specification's `05-services.md`): a service starts from another
//! service, of the same file or of the file `extends.file` names (relative to the file that
//! says it), and its own values merge on top by the merge rules. The base may extend in
//! turn; a circle is an error. A relative `build.context` of a service taken from another
//! file stays relative to that file (it is made absolute), as Docker rebases it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_norway::{Mapping, Value};

use super::error::{At, ComposeError};
use super::merge::merge_service;

/// Reads another compose file's services, interpolated and in long form.
pub(crate) trait Files {
    fn services(&mut self, path: &Path) -> Result<Rc<Mapping>, ComposeError>;
}

/// Resolves the `extends` of every service of `services` (from `file`).
pub(crate) fn resolve_all(
    file: &Path,
    services: Mapping,
    files: &mut dyn Files,
) -> Result<Mapping, ComposeError> {
    let services = Rc::new(services);
    let mut cache = HashMap::new();
    let mut out = Mapping::new();
    for (name, _) in services.iter() {
        let name_str = name.as_str().unwrap_or_default();
        let mut stack = Vec::new();
        let resolved = resolve(file, name_str, &services, &mut stack, files, &mut cache)?;
        out.insert(name.clone(), resolved);
    }
    Ok(out)
}

type Cache = HashMap<(PathBuf, String), Value>;

fn resolve(
    file: &Path,
    name: &str,
    services: &Rc<Mapping>,
    stack: &mut Vec<(PathBuf, String)>,
    files: &mut dyn Files,
    cache: &mut Cache,
) -> Result<Value, ComposeError> {
    let key = (file.to_owned(), name.to_owned());
    if let Some(done) = cache.get(&key) {
        return Ok(done.clone());
    }
    if stack.contains(&key) {
        let mut chain: Vec<String> = stack.iter().map(|(_, s)| s.clone()).collect();
        chain.push(name.to_owned());
        let (first_file, first) = &stack[0];
        return Err(ComposeError::ExtendsCycle {
            at: At::service(first_file, first),
            chain: chain.join(" → "),
        });
    }
    let mut service = services.get(name).cloned().unwrap_or(Value::Null);
    let at = At::service(file, name);
    let extends = match service.as_mapping_mut() {
        Some(map) => map.remove("extends"),
        None => None,
    };
    let resolved = match extends {
        None | Some(Value::Null) => service,
        Some(ext) => {
            let (target, target_file) = target(&ext, file, &at)?;
            let target_services = if target_file == file {
                services.clone()
            } else {
                files.services(&target_file)?
            };
            if !target_services.contains_key(target.as_str()) {
                return Err(ComposeError::UnknownExtends {
                    at,
                    target,
                    file: target_file,
                });
            }
            stack.push(key.clone());
            let mut base = resolve(&target_file, &target, &target_services, stack, files, cache)?;
            stack.pop();
            if target_file != file {
                rebase_context(&mut base, &target_file);
            }
            merge_service(&mut base, service);
            base
        }
    };
    cache.insert(key, resolved.clone());
    Ok(resolved)
}

/// The service and file an `extends` (long form) names.
fn target(ext: &Value, file: &Path, at: &At) -> Result<(String, PathBuf), ComposeError> {
    let service = ext
        .get("service")
        .and_then(Value::as_str)
        .ok_or_else(|| ComposeError::invalid(at.clone(), "extends names no service"))?;
    let target_file = match ext.get("file") {
        None | Some(Value::Null) => file.to_owned(),
        Some(Value::String(f)) => file.parent().unwrap_or(Path::new(".")).join(f),
        Some(_) => {
            return Err(ComposeError::invalid(
                at.clone(),
                "extends.file is not a path",
            ));
        }
    };
    Ok((service.to_owned(), target_file))
}

/// A relative local `build.context` made absolute against the directory of `file`.
fn rebase_context(service: &mut Value, file: &Path) {
    let Some(Value::String(ctx)) = service.get_mut("build").and_then(|b| b.get_mut("context"))
    else {
        return;
    };
    let remote = ctx.contains("://") || ctx.starts_with("git@");
    if !remote && Path::new(ctx.as_str()).is_relative() {
        let dir = file.parent().unwrap_or(Path::new("."));
        *ctx = dir.join(ctx.as_str()).display().to_string();
    }
}
