//! Which template parameters a stack output echoes.
//!
//! A template that lets the user bring their own secret takes its ARN as a parameter and
//! names it in an output, e.g. `!If [CreateLlmSecret, !Ref LlmApiKeySecret, !Ref
//! LlmSecretArnParam]`. `hoist bootstrap` follows a synced secret's output back to those
//! parameters so the deploy role may write exactly the secrets hoist.toml passes in them.

use serde_norway::Value as Yaml;

/// The parameters whose `Ref` appears in output `output`'s `Value` (through `Fn::If` and any
/// other function), in the order they appear; empty when the template has no such output.
/// JSON and YAML templates (short-form tags such as `!Ref` and `!If` included).
///
/// # Errors
/// The text is neither JSON nor YAML.
pub fn parameters_of_output(template: &str, output: &str) -> Result<Vec<String>, String> {
    let doc: Yaml = match serde_json::from_str::<serde_json::Value>(template) {
        Ok(v) => serde_norway::to_value(v).map_err(|e| e.to_string())?,
        Err(_) => serde_norway::from_str(template).map_err(|e| e.to_string())?,
    };
    let parameters: Vec<&str> = doc
        .get("Parameters")
        .and_then(Yaml::as_mapping)
        .map(|m| m.keys().filter_map(Yaml::as_str).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    if let Some(value) = doc
        .get("Outputs")
        .and_then(|o| o.get(output))
        .and_then(|o| o.get("Value"))
    {
        refs(value, &parameters, &mut out);
    }
    Ok(out)
}

fn push(name: &str, parameters: &[&str], out: &mut Vec<String>) {
    if parameters.contains(&name) && !out.iter().any(|o| o == name) {
        out.push(name.to_owned());
    }
}

fn refs(v: &Yaml, parameters: &[&str], out: &mut Vec<String>) {
    match v {
        Yaml::Tagged(t) => {
            if t.tag == "Ref" {
                if let Some(name) = t.value.as_str() {
                    push(name, parameters, out);
                }
            } else {
                refs(&t.value, parameters, out);
            }
        }
        Yaml::Mapping(m) => {
            for (k, v) in m {
                if k.as_str() == Some("Ref") {
                    if let Some(name) = v.as_str() {
                        push(name, parameters, out);
                    }
                } else {
                    refs(v, parameters, out);
                }
            }
        }
        Yaml::Sequence(s) => s.iter().for_each(|v| refs(v, parameters, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_yaml_if_output_echoes_its_parameter_and_a_resource_ref_is_not_one() {
        let t = "Parameters:\n  LlmSecretArnParam:\n    Type: String\nConditions:\n  Create: !Equals [!Ref LlmSecretArnParam, \"\"]\nResources:\n  LlmApiKeySecret:\n    Type: AWS::SecretsManager::Secret\nOutputs:\n  LlmSecretArn:\n    Value: !If [Create, !Ref LlmApiKeySecret, !Ref LlmSecretArnParam]\n  Plain:\n    Value: !GetAtt LlmApiKeySecret.Id\n";
        assert_eq!(
            parameters_of_output(t, "LlmSecretArn").unwrap(),
            ["LlmSecretArnParam"]
        );
        assert!(parameters_of_output(t, "Plain").unwrap().is_empty());
        assert!(parameters_of_output(t, "Missing").unwrap().is_empty());
    }

    #[test]
    fn json_long_form_functions_are_followed() {
        let t = r#"{"Parameters":{"P":{"Type":"String"},"Q":{"Type":"String"}},
          "Resources":{"S":{"Type":"AWS::SecretsManager::Secret"}},
          "Outputs":{"O":{"Value":{"Fn::If":["C",{"Ref":"S"},{"Ref":"P"}]}},
                     "R":{"Value":{"Ref":"Q"}}}}"#;
        assert_eq!(parameters_of_output(t, "O").unwrap(), ["P"]);
        assert_eq!(parameters_of_output(t, "R").unwrap(), ["Q"]);
        assert!(parameters_of_output("{{", "O").is_err());
    }
}
