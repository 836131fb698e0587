#!/usr/bin/env bash
# Says which images of a PR are deployable, on the branch the PR ApplicationSets read
# (manifests/config.yaml deployBranch, default canary-deploy):
#   record-deployable.sh write  <pr> <head-sha> '<json array of services whose images were pushed>'
#   record-deployable.sh remove <pr>                                  (PR closed)
# Run after the images are pushed: Argo CD renders the recorded tag, so a push that is still
# building keeps the canary on the last image that exists. Clones only that branch of REMOTE
# (default: origin of the current repository), commits the PR's own files and pushes, retrying on
# a race with another PR's run (each PR writes only deploy/pr-<N>/, so a rebase never conflicts).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage="usage: record-deployable.sh write <pr> <sha> <services-json> | remove <pr>"
command="${1:?$usage}"
pr="${2:?$usage}"
[[ "$pr" =~ ^[1-9][0-9]{0,8}$ ]] || { echo "record-deployable: PR number must be 1-999999999" >&2; exit 2; }
branch="${DEPLOY_BRANCH:-canary-deploy}"
remote="${REMOTE:-$(git remote get-url origin)}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if git ls-remote --exit-code --heads "$remote" "$branch" >/dev/null; then
  git clone --quiet --single-branch --branch "$branch" --depth 1 "$remote" "$work"
else
  git init --quiet -b "$branch" "$work"
  git -C "$work" remote add origin "$remote"
fi
git -C "$work" config user.name "${GIT_AUTHOR_NAME:-pr-canary CI}"
git -C "$work" config user.email "${GIT_AUTHOR_EMAIL:-pr-canary-ci@users.noreply.github.com}"

case "$command" in
  write)
    sha="${3:?$usage}"
    services="${4:?$usage}"
    node "${here}/deploy-record.mjs" write --dir "$work" --pr "$pr" --sha "$sha" --services "$services"
    message="PR ${pr}: ${sha} is deployable"
    ;;
  remove)
    node "${here}/deploy-record.mjs" remove --dir "$work" --pr "$pr"
    message="PR ${pr} closed: no canary"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac

git -C "$work" add --all deploy
if git -C "$work" diff --cached --quiet; then
  echo "record-deployable: nothing changed for PR ${pr}"
  exit 0
fi
git -C "$work" commit --quiet -m "$message"
for attempt in 1 2 3 4 5; do
  if git -C "$work" push --quiet origin "HEAD:refs/heads/${branch}" 2>/dev/null; then
    echo "record-deployable: ${message}"
    exit 0
  fi
  echo "record-deployable: ${branch} moved (attempt ${attempt}), rebasing on it"
  git -C "$work" fetch --quiet origin "$branch"
  git -C "$work" rebase --quiet FETCH_HEAD
done
echo "record-deployable: could not push to ${branch}" >&2
exit 1
