#!/usr/bin/env python3
"""Summarize the strict AWS proxy's call log (hoist-aws-proxy's /_strict_aws/calls) into the
calls that matter for a CDK deploy, as JSON: API call counts, the roles that signed each
service's calls, the bootstrap-version read, the change sets (RoleARN, TemplateURL or body),
the asset uploads and the image-asset calls.

  summarize_calls.py CALLS.json [STACK_STATE.json]        -> summary on stdout
  summarize_calls.py --compare CDK.json HOIST.json        -> differences on stdout, exit 1 if any
                                                             that matter (roles, TemplateURL,
                                                             bootstrap check, asset keys, more calls)
"""
import collections
import json
import re
import sys


def role(call):
    identity = call.get("identity")
    return identity.rsplit("/", 1)[-1] if identity else "base-credentials"


def normalize_url(url):
    # The sandbox's S3 endpoint port differs per run.
    return re.sub(r"^https?://(localhost|127\.0\.0\.1):\d+/", "S3/", url or "") or None


def summarize(calls, stack=None):
    by_action = collections.Counter(f"{c['service']}:{c['action']}" for c in calls)
    services = sorted({c["service"] for c in calls})
    change_sets = [
        {
            "identity": role(c),
            "RoleARN": c["params"].get("RoleARN"),
            "TemplateURL": normalize_url(c["params"].get("TemplateURL")),
            "TemplateBody": "TemplateBody" in c["params"],
            "ChangeSetType": c["params"].get("ChangeSetType"),
        }
        for c in calls
        if c["service"] == "cloudformation" and c["action"] == "CreateChangeSet"
    ]
    summary = {
        "api_calls": len(calls),
        "calls_by_action": dict(sorted(by_action.items())),
        "rejected_by_proxy": [f"{c['service']}:{c['action']} {c['rejected']}" for c in calls if c.get("rejected")],
        "assumed_roles": sorted({c["params"].get("RoleArn") for c in calls if c["action"].startswith("AssumeRole")}),
        "roles_by_service": {s: sorted({role(c) for c in calls if c["service"] == s}) for s in services},
        "bootstrap_version_check": [
            {"parameter": c["params"].get("Name"), "identity": role(c)}
            for c in calls
            if c["service"] == "ssm" and c["action"] == "GetParameter"
        ],
        "change_sets": change_sets,
        "change_sets_executed": by_action.get("cloudformation:ExecuteChangeSet", 0),
        "asset_uploads": sorted(
            (
                {"bucket": c["params"].get("Bucket"), "key": c["params"].get("Key"), "size": c["params"].get("Size"), "identity": role(c)}
                for c in calls
                if c["service"] == "s3" and c["action"] in ("PutObject", "CreateMultipartUpload")
            ),
            key=lambda a: a["key"] or "",
        ),
        "image_asset_calls": [f"ecr:{c['action']} as {role(c)}" for c in calls if c["service"] == "ecr"],
    }
    if stack is not None:
        summary["stack"] = stack
    return summary


def compare(cdk, hoist):
    """The differences that matter, as lines; hoist may do less only where it says why."""
    diffs = []

    def same(label, a, b):
        if a != b:
            diffs.append(f"{label}: cdk {json.dumps(a)} / hoist {json.dumps(b)}")

    same("assumed roles", cdk["assumed_roles"], hoist["assumed_roles"])
    for service in ("cloudformation", "s3", "ssm"):
        same(f"roles signing {service}", cdk["roles_by_service"].get(service), hoist["roles_by_service"].get(service))
    same("bootstrap version check", cdk["bootstrap_version_check"][:1], hoist["bootstrap_version_check"][:1])
    strip = lambda cs: [{k: v for k, v in c.items() if k != "ChangeSetType"} for c in cs]
    same("change sets", strip(cdk["change_sets"]), strip(hoist["change_sets"]))
    same("asset keys", sorted(a["key"] for a in cdk["asset_uploads"]), sorted(a["key"] for a in hoist["asset_uploads"]))
    same("asset upload roles", sorted({a["identity"] for a in cdk["asset_uploads"]}), sorted({a["identity"] for a in hoist["asset_uploads"]}))
    if "stack" in cdk and "stack" in hoist:
        same("resulting stack", cdk["stack"], hoist["stack"])
    if hoist["api_calls"] > cdk["api_calls"]:
        diffs.append(f"API calls: hoist {hoist['api_calls']} > cdk {cdk['api_calls']}")
    return diffs


def main(argv):
    if argv[:1] == ["--compare"]:
        cdk, hoist = (json.load(open(p)) for p in argv[1:3])
        diffs = compare(cdk, hoist)
        print("\n".join(diffs) if diffs else "parity: the calls that matter are the same")
        return 1 if diffs else 0
    calls = json.load(open(argv[0]))
    stack = json.load(open(argv[1])) if len(argv) > 1 else None
    json.dump(summarize(calls, stack), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
