#!/usr/bin/env bash
# Creates the GitHub release for a version tag: the released image references, then GitHub's
# generated notes (merged pull requests since the previous release).
#   create-release.sh <tag>
# Env: GH_TOKEN (contents: write), GITHUB_REPOSITORY, OWNER.
set -euo pipefail

tag="${1:?usage: create-release.sh <tag>}"
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is required}"
: "${OWNER:?OWNER is required}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

version="$(node "${here}/image-ref.mjs" version --ref "$tag")"
notes="$(mktemp)"
trap 'rm -f "$notes"' EXIT
{
  echo "## Images"
  echo
  # Every registered service's image (packages/contracts/src/services.json).
  mapfile -t services < <(node "${here}/services.mjs" names)
  for service in "${services[@]}"; do
    echo "- \`$(node "${here}/image-ref.mjs" release --owner "$OWNER" --service "$service" --ref "$tag")\`"
  done
  echo
  echo "Pull requests that move staging and production to ${version} are opened by the release workflow."
} > "$notes"

flags=(--repo "$GITHUB_REPOSITORY" --verify-tag --title "$tag" --generate-notes --notes-file "$notes")
[[ "$version" != *-* ]] || flags+=(--prerelease)
gh release create "$tag" "${flags[@]}"
