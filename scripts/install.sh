#!/usr/bin/env bash
# scripts/install.sh — installs a released hoist binary; action.yml runs it, and it works
# outside Actions too (`HOIST_VERSION=1.2.3 scripts/install.sh`).
#
# Which release: HOIST_VERSION, else HOIST_ACTION_REF (the ref the action was used at):
#   1.2.3 / v1.2.3         that release exactly
#   1 / v1, 1.2 / v1.2     the newest stable release with that major (or major.minor), found with
#                          GitHub's releases API (drafts and prereleases are never chosen)
#   latest                 the newest stable release
# Anything else (a branch, a commit SHA, `uses: ./`) cannot name a release: the step fails
# and asks for the `version` input.
#
# What is trusted: the archive's sha256 must equal HOIST_SHA256 when set, else its line in the
# release's SHA256SUMS; with `gh` on PATH (and GH_TOKEN), `gh attestation verify` must also
# accept the archive as built by the repository's release workflow (HOIST_ATTESTATION=require
# makes a missing `gh` an error, =skip turns the check off). Any failure installs nothing.
#
# Where: $RUNNER_TOOL_CACHE/hoist/<version>/<x64|arm64>/ with the tool cache's `.complete`
# marker, so a self-hosted runner downloads each version once; the directory is added to
# $GITHUB_PATH and the outputs version, path and cache-hit are written to $GITHUB_OUTPUT.
#
# Test knobs: HOIST_DOWNLOAD_URL (default https://github.com), HOIST_API_URL (default
# $GITHUB_API_URL or https://api.github.com), HOIST_REPOSITORY (default hoist-dev/hoist),
# HOIST_TARGET (default: this machine's release target). Plain http is accepted only for a
# loopback host.
set -euo pipefail
shopt -s inherit_errexit 2>/dev/null || true # bash >= 4.4; the $(…) below check their status anyway

repo="${HOIST_REPOSITORY:-hoist-dev/hoist}"
download_url="${HOIST_DOWNLOAD_URL:-https://github.com}"
api_url="${HOIST_API_URL:-${GITHUB_API_URL:-https://api.github.com}}"
attestation="${HOIST_ATTESTATION:-auto}"

# fail CODE MESSAGE: an annotation in Actions (the runner reads workflow commands on stderr
# too), a plain line elsewhere; on stderr so that it escapes the $(…) it may be called in.
fail() {
  local code=$1
  shift
  if [ "${GITHUB_ACTIONS:-}" = true ]; then
    echo "::error title=hoist install::$*" >&2
  else
    echo "error: $*" >&2
  fi
  exit "$code"
}

note() { echo "hoist install: $*" >&2; }

proto_for() { # curl --proto value: https, or http too for a loopback test server
  case "$1" in
    http://127.0.0.1:* | http://127.0.0.1/* | http://localhost:* | http://localhost/* | http://\[::1\]:*) echo '=http,https' ;;
    *) echo '=https' ;;
  esac
}

# fetch URL FILE [curl args…]: prints the HTTP status; the body goes to FILE. Exits on a
# transport error.
fetch() {
  local url=$1 out=$2
  shift 2
  local status
  if ! status="$(curl --proto "$(proto_for "$url")" --tlsv1.2 -sSL --retry 3 --retry-delay 2 \
    -o "$out" -w '%{http_code}' "$@" "$url")"; then
    fail 1 "cannot download $url (network error; see the curl message above)"
  fi
  echo "$status"
}

sha256_of() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | awk '{ print $1 }'
  else
    shasum -a 256 "$1" | awk '{ print $1 }'
  fi
}

# --- which release --------------------------------------------------------------------------
requested="${HOIST_VERSION:-}"
source="the 'version' input"
if [ -z "$requested" ]; then
  requested="${HOIST_ACTION_REF:-}"
  source="the action's ref"
fi
requested="${requested#refs/tags/}"
if [ -z "$requested" ]; then
  fail 2 "cannot tell which hoist release to install: no 'version' input and the action was not used at a tag (uses: ./ or a local path); set 'with: version: 1.2.3' or use hoist-dev/hoist@v1"
fi
if [[ "$requested" =~ ^[0-9a-f]{40}$ ]]; then
  fail 2 "the action was used at commit $requested, which names no release; add 'with: version: X.Y.Z' (the release that commit is tagged as)"
fi
want="${requested#v}"

semver='^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Stable release tags of the repository, newest first as the API lists them.
release_tags() {
  local page=1 status count auth=()
  if [ -n "${GITHUB_TOKEN:-}" ]; then auth=(-H "Authorization: Bearer $GITHUB_TOKEN"); fi
  while :; do
    status="$(fetch "$api_url/repos/$repo/releases?per_page=100&page=$page" "$work/releases.json" \
      -H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' ${auth[@]+"${auth[@]}"})"
    case "$status" in
      200) ;;
      404) fail 1 "GitHub has no repository $repo (releases API answered 404 at $api_url)" ;;
      403 | 429) fail 1 "GitHub's releases API refused the request (HTTP $status, likely its rate limit); pass 'token: \${{ github.token }}' or pin 'version: X.Y.Z'" ;;
      *) fail 1 "GitHub's releases API answered HTTP $status for $repo" ;;
    esac
    if command -v jq >/dev/null; then
      jq -r '.[] | select(.draft == false and .prerelease == false) | .tag_name' "$work/releases.json" >"$work/page"
      count="$(jq 'length' "$work/releases.json")"
    else
      # Without jq: the tag names; prereleases are left out below by their semver suffix.
      grep -o '"tag_name"[[:space:]]*:[[:space:]]*"[^"]*"' "$work/releases.json" |
        sed 's/.*"\([^"]*\)"$/\1/' >"$work/page" || true
      count="$(wc -l <"$work/page" | tr -d ' ')"
    fi
    cat "$work/page"
    if [ "$count" -lt 100 ] || [ "$page" -ge 10 ]; then break; fi
    page=$((page + 1))
  done
}

newest_matching() { # newest_matching PREFIX: newest stable X.Y.Z starting with PREFIX.
  release_tags | sed -n 's/^v\{0,1\}\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\)$/\1/p' |
    { if [ -n "$1" ]; then grep -F -e "$1." | awk -v p="$1." 'index($0, p) == 1'; else cat; fi } |
    sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1
}

if [[ "$want" =~ $semver ]]; then
  version="$want"
elif [[ "$want" =~ ^[0-9]+(\.[0-9]+)?$ ]] || [ "$want" = latest ]; then
  prefix="$want"
  [ "$want" = latest ] && prefix=""
  version="$(newest_matching "$prefix")"
  if [ -z "$version" ]; then
    fail 1 "no stable hoist release matches $requested (from $source) in $repo; see https://github.com/$repo/releases"
  fi
  note "$requested resolves to $version"
else
  fail 2 "'$requested' (from $source) names no hoist release: use X.Y.Z, a major such as v1, or latest"
fi

# --- which build ----------------------------------------------------------------------------
target="${HOIST_TARGET:-}"
if [ -z "$target" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-musl ;;
    Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-musl ;;
    Darwin-arm64) target=aarch64-apple-darwin ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    *) fail 1 "hoist has no release build for $(uname -s) $(uname -m); install it with 'cargo install hoist --locked'" ;;
  esac
fi
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch="$(uname -m)" ;;
esac

cache_root="${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hoist-tool-cache}"
dest="$cache_root/hoist/$version/$arch"

publish() { # publish DIR CACHE_HIT
  if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$1" >>"$GITHUB_PATH"
  else
    note "installed in $1 (add it to PATH)"
  fi
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
      echo "version=$version"
      echo "path=$1"
      echo "cache-hit=$2"
    } >>"$GITHUB_OUTPUT"
  fi
  "$1/hoist" --version
}

if [ -f "$dest.complete" ] && [ -x "$dest/hoist" ]; then
  note "hoist $version is in the tool cache ($dest)"
  publish "$dest" true
  exit 0
fi

# --- download and verify --------------------------------------------------------------------
archive="hoist-$version-$target.tar.gz"
base="$download_url/$repo/releases/download/v$version"
expected="${HOIST_SHA256:-}"
if [ -z "$expected" ]; then
  status="$(fetch "$base/SHA256SUMS" "$work/SHA256SUMS")"
  case "$status" in
    200) ;;
    404) fail 1 "hoist $version is not released in $repo (no SHA256SUMS at $base/); see https://github.com/$repo/releases" ;;
    *) fail 1 "cannot download $base/SHA256SUMS (HTTP $status)" ;;
  esac
  expected="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")"
  if [ -z "$expected" ]; then
    fail 1 "hoist $version has no build for $target (SHA256SUMS lists no $archive)"
  fi
fi
if ! [[ "$expected" =~ ^[0-9a-fA-F]{64}$ ]]; then
  fail 2 "the expected sha256 '$expected' is not 64 hex digits"
fi

status="$(fetch "$base/$archive" "$work/$archive")"
case "$status" in
  200) ;;
  404) fail 1 "hoist $version has no $archive at $base/" ;;
  *) fail 1 "cannot download $base/$archive (HTTP $status)" ;;
esac
actual="$(sha256_of "$work/$archive")"
expected="$(echo "$expected" | tr 'A-F' 'a-f')"
if [ "$actual" != "$expected" ]; then
  fail 1 "sha256 mismatch for $archive: downloaded $actual, expected $expected (${HOIST_SHA256:+the sha256 input}${HOIST_SHA256:-SHA256SUMS}); refusing to install it"
fi
note "sha256 of $archive verified ($actual)"

case "$attestation" in
  skip) note "attestation check skipped (HOIST_ATTESTATION=skip)" ;;
  auto | require)
    if command -v gh >/dev/null && [ -n "${GH_TOKEN:-${GITHUB_TOKEN:-}}" ]; then
      if ! GH_TOKEN="${GH_TOKEN:-${GITHUB_TOKEN:-}}" gh attestation verify "$work/$archive" --repo "$repo" >"$work/attestation.log" 2>&1; then
        cat "$work/attestation.log" >&2
        fail 1 "gh attestation verify refused $archive: it has no valid build provenance from $repo; refusing to install it"
      fi
      note "build provenance of $archive verified (gh attestation verify --repo $repo)"
    elif [ "$attestation" = require ]; then
      fail 1 "HOIST_ATTESTATION=require, but gh (with GH_TOKEN) is not available to verify $archive's build provenance"
    else
      note "build provenance not checked: gh or a token is missing (the sha256 was)"
    fi
    ;;
  *) fail 2 "HOIST_ATTESTATION=$attestation: use auto, require or skip" ;;
esac

# --- unpack into the tool cache -------------------------------------------------------------
mkdir -p "$work/unpacked"
tar -xzf "$work/$archive" -C "$work/unpacked"
top="$work/unpacked/hoist-$version-$target"
[ -f "$top/hoist" ] || fail 1 "$archive does not hold hoist-$version-$target/hoist"
rm -rf "$dest" "$dest.complete"
mkdir -p "$(dirname "$dest")"
mv "$top" "$dest"
chmod 0755 "$dest/hoist"
: >"$dest.complete"
publish "$dest" false
