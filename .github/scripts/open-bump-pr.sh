#!/usr/bin/env bash
# Opens a pull request that moves one environment overlay to a released version.
#   open-bump-pr.sh <environment> <tag>       e.g. open-bump-pr.sh staging v1.2.3
# Env: GH_TOKEN (contents: write, pull-requests: write), GITHUB_REPOSITORY, OWNER,
#      OVERLAYS_DIR (default manifests/overlays), BASE_BRANCH (default main).
set -euo pipefail

environment="${1:?usage: open-bump-pr.sh <environment> <tag>}"
tag="${2:?usage: open-bump-pr.sh <environment> <tag>}"
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is required}"
: "${OWNER:?OWNER is required}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base="${BASE_BRANCH:-main}"

[[ "$environment" =~ ^[a-z][a-z0-9-]*$ ]] || { echo "open-bump-pr: bad environment name" >&2; exit 2; }
version="$(node "${here}/image-ref.mjs" version --ref "$tag")"
kustomization="${OVERLAYS_DIR:-manifests/overlays}/${environment}/kustomization.yaml"
[[ -f "$kustomization" ]] || { echo "open-bump-pr: ${kustomization} not found" >&2; exit 2; }
branch="release/${environment}-v${version}"

git fetch --quiet origin "$base"
git switch --quiet -C "$branch" "origin/${base}"
if [[ "$(node "${here}/bump-overlay-images.mjs" --kustomization "$kustomization" --owner "$OWNER" --ref "$tag")" == unchanged ]]; then
  echo "open-bump-pr: ${environment} already runs ${version}"
  exit 0
fi

git -c user.name="github-actions[bot]" -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
  commit --quiet -m "deploy: ${environment} → ${version}" -- "$kustomization"
git push --quiet --force origin "$branch"
if [[ -n "$(gh pr list --repo "$GITHUB_REPOSITORY" --head "$branch" --state open --json number --jq '.[].number')" ]]; then
  echo "open-bump-pr: the pull request for ${branch} is already open (branch updated)"
  exit 0
fi
gh pr create --repo "$GITHUB_REPOSITORY" --base "$base" --head "$branch" \
  --title "deploy: ${environment} → ${version}" \
  --body "Moves the \`${environment}\` overlay to the images released as ${tag}. Merging rolls it out through Argo CD (progressively, with Flagger analysis, where the overlay enables it)."
