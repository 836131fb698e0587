#!/usr/bin/env bash
# Creates or edits the PR's canary comment in place (one comment per PR, found by its hidden marker).
#   upsert-comment.sh <pr-number> <body-file>
# Needs GH_TOKEN (issues: write / pull-requests: write) and GITHUB_REPOSITORY (owner/name).
set -euo pipefail

pr="${1:?usage: upsert-comment.sh <pr-number> <body-file>}"
body_file="${2:?usage: upsert-comment.sh <pr-number> <body-file>}"
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is required}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

node "${here}/image-ref.mjs" pr-number --pr "$pr" >/dev/null
[[ -s "$body_file" ]] || { echo "upsert-comment: body file is empty or missing" >&2; exit 2; }

comment_id="$(
  gh api --paginate "repos/${GITHUB_REPOSITORY}/issues/${pr}/comments" \
    --jq '.[] | {id, user: .user.login, body}' |
    node "${here}/canary-comment.mjs" find-id
)"

if [[ -n "$comment_id" ]]; then
  gh api --method PATCH "repos/${GITHUB_REPOSITORY}/issues/comments/${comment_id}" \
    -F "body=@${body_file}" --silent
  echo "upsert-comment: updated comment ${comment_id}"
else
  gh api --method POST "repos/${GITHUB_REPOSITORY}/issues/${pr}/comments" \
    -F "body=@${body_file}" --silent
  echo "upsert-comment: created the canary comment"
fi
