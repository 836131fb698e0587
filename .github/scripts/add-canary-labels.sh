#!/usr/bin/env bash
# Adds canary labels to a PR, creating any label the repository does not have yet.
#   add-canary-labels.sh <pr-number> '<json array of labels>'
# Needs GH_TOKEN (issues: write, pull-requests: write) and GITHUB_REPOSITORY.
set -euo pipefail

pr="${1:?usage: add-canary-labels.sh <pr-number> <labels-json>}"
labels_json="${2:?usage: add-canary-labels.sh <pr-number> <labels-json>}"
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is required}"

node "$(dirname "${BASH_SOURCE[0]}")/image-ref.mjs" pr-number --pr "$pr" >/dev/null

mapfile -t labels < <(node -e '
  const labels = JSON.parse(process.argv[1]);
  for (const label of labels) {
    if (!/^canary\/[a-z0-9-]+$/.test(label)) throw new Error("refusing a label that is not canary/<service>");
    console.log(label);
  }' "$labels_json")

if [[ "${#labels[@]}" -eq 0 ]]; then
  echo "add-canary-labels: nothing to add"
  exit 0
fi

for label in "${labels[@]}"; do
  gh label create "$label" --repo "$GITHUB_REPOSITORY" --color FBCA04 \
    --description "Deploy a PR canary of ${label#canary/}" --force
done
gh pr edit "$pr" --repo "$GITHUB_REPOSITORY" --add-label "$(IFS=,; echo "${labels[*]}")"
echo "add-canary-labels: added ${labels[*]}"
