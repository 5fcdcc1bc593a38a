//! Tag rulesets and environments against the testkit's REST fixture, which follows GitHub's
//! documented ruleset and environment shapes (and refuses bodies GitHub refuses).

use hoist_github::rulesets::{BypassActor, Ruleset};
use hoist_github::{GithubClient, GithubToken};
use hoist_testkit::github::GithubApi;
use serde_json::json;

const REPO: &str = "octo-org/octo-repo";

fn setup() -> (GithubApi, GithubClient) {
    let api = GithubApi::start(REPO, 74, 65);
    let client = GithubClient::new(&api.url(), GithubToken::new(api.token())).unwrap();
    (api, client)
}

#[tokio::test]
async fn creates_the_release_tag_ruleset_and_reads_it_back() {
    let (api, client) = setup();
    assert!(client.rulesets(REPO).await.unwrap().is_empty());
    let wanted = Ruleset::for_release_tags("hoist: prod release tags v*", "v*");
    let created = client.put_ruleset(REPO, None, &wanted).await.unwrap();
    assert!(created.id.is_some());
    assert_eq!(created.tag_protection_gap("v*"), None);
    // The body GitHub received is the documented shape.
    let stored = &api.rulesets()[0];
    assert_eq!(stored["target"], "tag");
    assert_eq!(stored["enforcement"], "active");
    assert_eq!(
        stored["conditions"]["ref_name"]["include"],
        json!(["refs/tags/v*"])
    );
    assert_eq!(
        stored["rules"],
        json!([{"type": "creation"}, {"type": "update"}, {"type": "deletion"}])
    );
    assert_eq!(
        stored["bypass_actors"],
        json!([{"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}])
    );
    let read = client.rulesets(REPO).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].tag_protection_gap("v*"), None);
    assert!(read[0].tag_protection_gap("release-*").is_some());
    // A second create with the same name is refused, as GitHub does.
    let err = client.put_ruleset(REPO, None, &wanted).await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    // Replacing it by id works.
    let mut weaker = wanted.clone();
    weaker.enforcement = "evaluate".into();
    let id = created.id.unwrap();
    client.put_ruleset(REPO, Some(id), &weaker).await.unwrap();
    let read = client.get_ruleset(REPO, id).await.unwrap();
    assert_eq!(
        read.tag_protection_gap("v*").as_deref(),
        Some("enforcement is evaluate, not active")
    );
}

#[test]
fn protection_gaps_name_what_is_missing() {
    let good = Ruleset::for_release_tags("r", "*");
    assert_eq!(good.tag_protection_gap("*"), None);
    let mut all = good.clone();
    all.conditions.ref_name.include = vec!["~ALL".into()];
    assert_eq!(all.tag_protection_gap("v*"), None);
    let mut excluded = all.clone();
    excluded.conditions.ref_name.exclude = vec!["refs/tags/v*".into()];
    assert!(
        excluded
            .tag_protection_gap("v*")
            .unwrap()
            .contains("excludes")
    );
    let mut no_delete = good.clone();
    no_delete.rules.retain(|r| r.kind != "deletion");
    assert!(
        no_delete
            .tag_protection_gap("*")
            .unwrap()
            .contains("deletion")
    );
    let mut writers = good.clone();
    writers.bypass_actors.push(BypassActor {
        actor_id: Some(3),
        actor_type: "RepositoryRole".into(),
        bypass_mode: "always".into(),
    });
    assert!(
        writers
            .tag_protection_gap("*")
            .unwrap()
            .contains("repository role 3")
    );
    let mut branch = good.clone();
    branch.target = "branch".into();
    assert!(branch.tag_protection_gap("*").is_some());
}

#[tokio::test]
async fn the_fixture_refuses_what_github_refuses() {
    let (_api, client) = setup();
    let mut bad = Ruleset::for_release_tags("x", "v*");
    bad.conditions.ref_name.include = vec!["refs/heads/main".into()];
    assert_eq!(
        client
            .put_ruleset(REPO, None, &bad)
            .await
            .unwrap_err()
            .status(),
        Some(422)
    );
    let mut bad = Ruleset::for_release_tags("x", "v*");
    bad.enforcement = "on".into();
    assert_eq!(
        client
            .put_ruleset(REPO, None, &bad)
            .await
            .unwrap_err()
            .status(),
        Some(422)
    );
}

#[tokio::test]
async fn reads_environment_reviewers_and_deployment_policies() {
    let (api, client) = setup();
    assert_eq!(client.environment(REPO, "prod").await.unwrap(), None);
    api.insert_environment("prod", 2, Some(false), &[("v*", "tag")]);
    let env = client.environment(REPO, "prod").await.unwrap().unwrap();
    assert_eq!(env.reviewers, 2);
    let policy = env.branch_policy.unwrap();
    assert!(policy.custom_branch_policies && !policy.protected_branches);
    let refs = client.deployment_ref_policies(REPO, "prod").await.unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(
        (refs[0].name.as_str(), refs[0].kind.as_str()),
        ("v*", "tag")
    );
    api.insert_environment("staging", 0, None, &[]);
    let env = client.environment(REPO, "staging").await.unwrap().unwrap();
    assert_eq!(env.reviewers, 0);
    assert_eq!(env.branch_policy, None);
}
