//! The permissions boundary on every role a plain template creates.
//!
//! `hoist bootstrap` gives a template environment a CloudFormation execution role that may
//! create or change a role only when the role carries the environment's boundary
//! (`iam:PermissionsBoundary`). So that the stack's own roles pass that condition, the
//! deploy sets `PermissionsBoundary` on each `AWS::IAM::Role` before the template is sent
//! and shows which roles it changed in the plan. It also sets the role's `Path` to the
//! boundary's ([`hoist_policy::bounded_role_path`]): the execution role may pass or re-trust
//! only roles under that path, which all carry the boundary (CloudFormation replaces a role
//! whose path changes). JSON templates go through
//! [`hoist_policy::add_permissions_boundary`]; YAML templates keep their short-form tags
//! (`!Ref`, `!Sub`, `!GetAtt`) and are written back as YAML.

use serde_norway::Value as Yaml;

/// A template with the boundary on every role, and the logical ids it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounded {
    /// The template to send.
    pub template: String,
    /// Roles whose `PermissionsBoundary` or `Path` was missing or different.
    pub changed_roles: Vec<String>,
}

/// A template hoist cannot put the boundary into.
#[derive(Debug, thiserror::Error)]
pub enum BoundaryError {
    /// Neither JSON nor YAML.
    #[error("the template is neither JSON nor YAML")]
    Unreadable(#[source] serde_norway::Error),
    /// JSON, but not a template with resources.
    #[error("the JSON template cannot take a permissions boundary")]
    Json(#[source] hoist_policy::BoundaryError),
    /// YAML without a `Resources` mapping, or a role whose `Properties` is not a mapping.
    #[error("the YAML template {0}")]
    YamlShape(String),
    /// Writing the YAML back failed.
    #[error("the YAML template could not be written back")]
    YamlWrite(#[source] serde_norway::Error),
}

/// Sets `PermissionsBoundary` to `boundary_arn` and `Path` to its
/// [`hoist_policy::bounded_role_path`] on every `AWS::IAM::Role` of `template`.
/// A template whose roles already carry it is returned unchanged, byte for byte.
///
/// # Errors
/// [`BoundaryError`] when the template cannot be read or has no `Resources`.
pub fn with_boundary(template: &str, boundary_arn: &str) -> Result<Bounded, BoundaryError> {
    if serde_json::from_str::<serde_json::Value>(template).is_ok() {
        let out = hoist_policy::add_permissions_boundary(template, boundary_arn)
            .map_err(BoundaryError::Json)?;
        if out.changed_roles.is_empty() {
            return Ok(Bounded {
                template: template.to_owned(),
                changed_roles: Vec::new(),
            });
        }
        return Ok(Bounded {
            template: out.template,
            changed_roles: out.changed_roles,
        });
    }
    let mut doc: Yaml = serde_norway::from_str(template).map_err(BoundaryError::Unreadable)?;
    let resources = doc
        .get_mut("Resources")
        .and_then(Yaml::as_mapping_mut)
        .ok_or_else(|| BoundaryError::YamlShape("has no Resources mapping".to_owned()))?;
    let wanted = [
        ("PermissionsBoundary", boundary_arn.to_owned()),
        ("Path", hoist_policy::bounded_role_path(boundary_arn)),
    ];
    let mut changed_roles = Vec::new();
    for (id, resource) in resources.iter_mut() {
        if resource.get("Type").and_then(Yaml::as_str) != Some("AWS::IAM::Role") {
            continue;
        }
        let id = id.as_str().unwrap_or_default().to_owned();
        let Some(resource) = resource.as_mapping_mut() else {
            continue;
        };
        let props = resource
            .entry(Yaml::String("Properties".to_owned()))
            .or_insert_with(|| Yaml::Mapping(serde_norway::Mapping::new()));
        let props = props.as_mapping_mut().ok_or_else(|| {
            BoundaryError::YamlShape(format!("role {id} has no Properties mapping"))
        })?;
        let mut changed = false;
        for (key, value) in &wanted {
            let key = Yaml::String((*key).to_owned());
            let value = Yaml::String(value.clone());
            if props.get(&key) != Some(&value) {
                props.insert(key, value);
                changed = true;
            }
        }
        if changed {
            changed_roles.push(id);
        }
    }
    if changed_roles.is_empty() {
        return Ok(Bounded {
            template: template.to_owned(),
            changed_roles,
        });
    }
    let template = serde_norway::to_string(&doc).map_err(BoundaryError::YamlWrite)?;
    Ok(Bounded {
        template,
        changed_roles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:iam::123456789012:policy/GitHubActionsDev-Boundary";

    #[test]
    fn yaml_roles_get_the_boundary_and_keep_their_short_form_tags() {
        let yaml = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  TaskRole:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Sub '${AWS::StackName}-task'\n      AssumeRolePolicyDocument: {}\n  Bucket:\n    Type: AWS::S3::Bucket\n  Bare:\n    Type: AWS::IAM::Role\nOutputs:\n  Arn:\n    Value: !GetAtt TaskRole.Arn\n";
        let out = with_boundary(yaml, ARN).unwrap();
        assert_eq!(out.changed_roles, ["TaskRole", "Bare"]);
        let back: Yaml = serde_norway::from_str(&out.template).unwrap();
        for role in ["TaskRole", "Bare"] {
            assert_eq!(
                back["Resources"][role]["Properties"]["PermissionsBoundary"].as_str(),
                Some(ARN)
            );
            assert_eq!(
                back["Resources"][role]["Properties"]["Path"].as_str(),
                Some("/GitHubActionsDev-Boundary/")
            );
        }
        assert!(back["Resources"]["Bucket"].get("Properties").is_none());
        assert!(out.template.contains("!Sub"), "{}", out.template);
        assert!(out.template.contains("!GetAtt"), "{}", out.template);
        // Converges: a second pass changes nothing.
        let again = with_boundary(&out.template, ARN).unwrap();
        assert!(again.changed_roles.is_empty());
        assert_eq!(again.template, out.template);
    }

    #[test]
    fn json_roles_get_the_boundary_and_an_unchanged_template_stays_byte_identical() {
        let json = r#"{"Resources":{"R":{"Type":"AWS::IAM::Role","Properties":{}}}}"#;
        let out = with_boundary(json, ARN).unwrap();
        assert_eq!(out.changed_roles, ["R"]);
        let again = with_boundary(&out.template, ARN).unwrap();
        assert!(again.changed_roles.is_empty());
        assert_eq!(again.template, out.template);
        // A role with the boundary but at another path is moved under the boundary's path.
        let at_root = format!(
            r#"{{"Resources":{{"R":{{"Type":"AWS::IAM::Role","Properties":{{"PermissionsBoundary":"{ARN}","Path":"/"}}}}}}}}"#
        );
        let moved = with_boundary(&at_root, ARN).unwrap();
        assert_eq!(moved.changed_roles, ["R"]);
        assert!(
            moved
                .template
                .contains(r#""Path":"/GitHubActionsDev-Boundary/""#)
        );
        let none = r#"{"Resources":{"B":{"Type":"AWS::S3::Bucket"}}}"#;
        assert_eq!(with_boundary(none, ARN).unwrap().template, none);
    }

    #[test]
    fn a_template_without_resources_is_refused() {
        assert!(with_boundary("Outputs: {}\n", ARN).is_err());
        assert!(with_boundary("{\"Outputs\":{}}", ARN).is_err());
        assert!(with_boundary(": : :\n\t-", ARN).is_err());
    }
}
