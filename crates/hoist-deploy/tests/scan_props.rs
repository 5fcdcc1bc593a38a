//! Properties of the secret scan: a synced secret's value placed anywhere in a template's
//! strings (resource properties, outputs, keys) is always found, and no finding ever prints it.

use std::collections::BTreeMap;

use proptest::prelude::*;

proptest! {
    #[test]
    fn a_value_anywhere_is_found_and_never_printed(
        secret in "[A-Za-z0-9_-]{8,40}",
        prefix in "[ -~]{0,20}",
        suffix in "[ -~]{0,20}",
        resource in "[A-Za-z][A-Za-z0-9]{0,15}",
        property in "[A-Za-z][A-Za-z0-9]{0,15}",
        place in 0usize..3,
    ) {
        // Names the test builds from must not themselves hold the value.
        prop_assume!(!resource.contains(&secret) && !property.contains(&secret));
        let text = format!("{prefix}{secret}{suffix}");
        let doc = match place {
            0 => serde_json::json!({"Resources": {resource.clone(): {"Type": "AWS::SSM::Parameter", "Properties": {property.clone(): text}}}}),
            1 => serde_json::json!({"Outputs": {resource.clone(): {"Value": {"Fn::Join": ["", [text]]}}}}),
            _ => serde_json::json!({"Metadata": {text: 1}}),
        }
        .to_string();
        let hits = hoist_deploy::scan::scan(&[("KEY", &secret)], &[("template".into(), &doc)], &BTreeMap::new());
        prop_assert!(!hits.is_empty());
        if place == 0 {
            prop_assert_eq!(&hits[0].location, &format!("resource {resource}, property {property}"));
        }
        for h in &hits {
            prop_assert!(!h.to_string().contains(&secret));
        }
    }
}
