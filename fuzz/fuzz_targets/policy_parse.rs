//! Arbitrary bytes → policy parser (plain and percent-encoded). A document
//! that parses must re-serialize to a document that parses to itself, and
//! normalize without panicking.
#![no_main]

use hoist_policy::PolicyDocument;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = PolicyDocument::parse_iam_encoded(&text);
    if let Ok(doc) = PolicyDocument::parse(&text) {
        let again = PolicyDocument::parse(&doc.to_json()).expect("a parsed document re-parses");
        assert_eq!(again, doc);
        let normalized = doc.normalized();
        if let Ok(n) = PolicyDocument::parse(&normalized.to_string()) {
            assert_eq!(n.normalized(), normalized);
        }
    }
});
