//! Merging compose documents as the Compose specification's merge rules say
//! (`13-merge.md`), for override files and for `extends`: mappings merge key by key, a later
//! scalar replaces an earlier one, sequences are appended without repeating an item, except
//! `command`, `entrypoint` and `healthcheck.test`, which the later file replaces. `!reset`
//! removes a value and `!override` replaces it whole. Short forms are made long first
//! (`build: DIR`, `extends: NAME`, `KEY=VALUE` lists of `environment`, `labels`,
//! `build.args`, …), so either form merges with the other.

use serde_norway::{Mapping, Value};

/// Sequences the later value replaces instead of extending (the path below a service).
const REPLACED: &[&[&str]] = &[&["command"], &["entrypoint"], &["healthcheck", "test"]];

/// Service keys whose `KEY=VALUE` list form is a mapping.
const KEY_VALUE: &[&[&str]] = &[
    &["environment"],
    &["labels"],
    &["annotations"],
    &["build", "args"],
    &["build", "labels"],
];

/// Long forms of a service's short-form values, in place.
pub(crate) fn normalize_service(service: &mut Value) {
    let Some(map) = service.as_mapping_mut() else {
        return;
    };
    if let Some(Value::String(dir)) = map.get("build") {
        let mut long = Mapping::new();
        long.insert("context".into(), Value::String(dir.clone()));
        map.insert("build".into(), Value::Mapping(long));
    }
    if let Some(Value::String(name)) = map.get("extends") {
        let mut long = Mapping::new();
        long.insert("service".into(), Value::String(name.clone()));
        map.insert("extends".into(), Value::Mapping(long));
    }
    for path in KEY_VALUE {
        if let Some(v) = get_mut(map, path)
            && let Value::Sequence(items) = v
        {
            let mut out = Mapping::new();
            for item in items.iter() {
                if let Value::String(s) = item {
                    match s.split_once('=') {
                        Some((k, val)) => out.insert(k.into(), Value::String(val.to_owned())),
                        None => out.insert(s.as_str().into(), Value::Null),
                    };
                }
            }
            *v = Value::Mapping(out);
        }
    }
}

fn get_mut<'a>(map: &'a mut Mapping, path: &[&str]) -> Option<&'a mut Value> {
    let (first, rest) = path.split_first()?;
    let v = map.get_mut(*first)?;
    if rest.is_empty() {
        Some(v)
    } else {
        get_mut(v.as_mapping_mut()?, rest)
    }
}

/// Merges the later service definition `over` into `base`.
pub(crate) fn merge_service(base: &mut Value, over: Value) {
    merge(base, over, &mut Vec::new());
}

/// Merges a later compose document into `base`: top-level mappings key by key, each service
/// by the service rules.
pub(crate) fn merge_document(base: &mut Mapping, over: Mapping) {
    for (key, value) in over {
        if key.as_str() == Some("services")
            && let Value::Mapping(services) = value
        {
            let slot = base
                .entry("services".into())
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            if !slot.is_mapping() {
                *slot = Value::Mapping(Mapping::new());
            }
            let target = slot.as_mapping_mut().expect("made a mapping");
            for (name, service) in services {
                match target.get_mut(&name) {
                    Some(existing) => merge_service(existing, service),
                    None => {
                        target.insert(name, untag(service));
                    }
                }
            }
        } else {
            merge_key(base, key, value, &mut vec!["<top>".to_owned()]);
        }
    }
}

fn merge(base: &mut Value, over: Value, path: &mut Vec<String>) {
    if let Value::Tagged(t) = &over
        && t.tag == "override"
    {
        *base = untag(over);
        return;
    }
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (key, value) in o {
                merge_key(b, key, value, path);
            }
        }
        (Value::Sequence(b), Value::Sequence(o)) => {
            let replaced = REPLACED
                .iter()
                .any(|p| p.iter().copied().eq(path.iter().map(String::as_str)));
            if replaced {
                *b = o;
            } else {
                for item in o {
                    if !b.contains(&item) {
                        b.push(item);
                    }
                }
            }
        }
        (b, o) => *b = untag(o),
    }
}

fn merge_key(base: &mut Mapping, key: Value, value: Value, path: &mut Vec<String>) {
    if let Value::Tagged(t) = &value
        && t.tag == "reset"
    {
        base.remove(&key);
        return;
    }
    match base.get_mut(&key) {
        Some(existing) => {
            path.push(key.as_str().unwrap_or_default().to_owned());
            merge(existing, value, path);
            path.pop();
        }
        None => {
            base.insert(key, untag(value));
        }
    }
}

/// A value without a `!override` tag (kept as written otherwise).
fn untag(v: Value) -> Value {
    match v {
        Value::Tagged(t) if t.tag == "override" => t.value,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(yaml: &str) -> Value {
        let mut v: Value = serde_norway::from_str(yaml).unwrap();
        normalize_service(&mut v);
        v
    }

    #[test]
    fn scalars_replace_mappings_merge_sequences_append() {
        let mut base = service(
            "build: ./web\nimage: web:1\nports: ['80']\ncommand: [a, b]\nenvironment: [A=1, B=2]\nhealthcheck: {test: [CMD, x], interval: 5s}\nprofiles: [dev]\n",
        );
        let over = service(
            "build: {dockerfile: Other}\nimage: web:2\nports: ['80', '443']\ncommand: [c]\nenvironment: {B: '3', C: '4'}\nhealthcheck: {test: [CMD, y]}\nplatform: linux/arm64\n",
        );
        merge_service(&mut base, over);
        let want = service(
            "build: {context: ./web, dockerfile: Other}\nimage: web:2\nports: ['80', '443']\ncommand: [c]\nenvironment: {A: '1', B: '3', C: '4'}\nhealthcheck: {test: [CMD, y], interval: 5s}\nprofiles: [dev]\nplatform: linux/arm64\n",
        );
        assert_eq!(base, want);
    }

    #[test]
    fn reset_removes_and_override_replaces() {
        let mut base =
            service("image: web\nprofiles: [dev]\nbuild: {context: ., args: {A: '1'}}\n");
        let over = service("profiles: !reset []\nbuild: !override {context: ./other}\n");
        merge_service(&mut base, over);
        assert_eq!(base, service("image: web\nbuild: {context: ./other}\n"));
    }

    #[test]
    fn documents_merge_service_by_service() {
        let mut base: Mapping =
            serde_norway::from_str("name: app\nservices:\n  web: {build: ., image: w}\n").unwrap();
        let over: Mapping = serde_norway::from_str(
            "services:\n  web: {image: w2}\n  extra: {build: ./extra}\nvolumes: {data: {}}\n",
        )
        .unwrap();
        merge_document(&mut base, over);
        let want: Mapping = serde_norway::from_str(
            "name: app\nservices:\n  web: {build: ., image: w2}\n  extra: {build: ./extra}\nvolumes: {data: {}}\n",
        )
        .unwrap();
        assert_eq!(base, want);
    }
}
