#!/usr/bin/env bash
# Says which images of a PR are deployable, on the branch the PR ApplicationSets read
# (manifests/config.yaml deployBranch, default canary-deploy):
#   record-deployable.sh write  <pr> <head-sha> '<json array of services whose images were pushed>'
#   record-deployable.sh remove <pr>                                  (PR closed)
# Run after the images are pushed: Argo CD renders the recorded tag, so a push that is still
# building keeps the canary on the last image that exists. Clones only that branch of REMOTE
# (default: origin of the current repository), commits the PR's own files and pushes, retrying on
# a race with another PR's run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage="usage: record-deployable.sh write <pr> <sha> <services-json> | remove <pr>"
command="${1:?$usage}"
pr="${2:?$usage}"
node "${here}/image-ref.mjs" pr-number --pr "$pr" >/dev/null
branch="${DEPLOY_BRANCH:-canary-deploy}"
remote="${REMOTE:-$(git remote get-url origin)}"

case "$command" in
  write)
    sha="${3:?$usage}"
    services="${4:?$usage}"
    edit=(write --pr "$pr" --sha "$sha" --services "$services")
    message="PR ${pr}: ${sha} is deployable"
    ;;
  remove)
    edit=(remove --pr "$pr")
    message="PR ${pr} closed: no canary"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Refuse bad input once, up front (exit 2), rather than retrying it.
node "${here}/deploy-record.mjs" "${edit[@]}" --dir "$work/check" >/dev/null

# One attempt: the branch as it is now (or a new one), this PR's files, one commit, push. A push
# that loses a race with another PR's run is retried from a fresh clone (each PR writes only
# deploy/pr-<N>/, so redoing it on top of the other run's commit is always right — also when two
# runs create the branch at once).
attempt_once() {
  rm -rf "$work/repo"
  # (errexit does not apply inside a function called from `if`: every step says so itself.)
  if git ls-remote --exit-code --heads "$remote" "$branch" >/dev/null; then
    git clone --quiet --single-branch --branch "$branch" --depth 1 "$remote" "$work/repo" || return 1
  else
    git init --quiet -b "$branch" "$work/repo" || return 1
    git -C "$work/repo" remote add origin "$remote" || return 1
  fi
  git -C "$work/repo" config user.name "${GIT_AUTHOR_NAME:-pr-canary CI}" || return 1
  git -C "$work/repo" config user.email "${GIT_AUTHOR_EMAIL:-pr-canary-ci@users.noreply.github.com}" || return 1
  node "${here}/deploy-record.mjs" "${edit[@]}" --dir "$work/repo" || return 1
  git -C "$work/repo" add --all || return 1
  if git -C "$work/repo" diff --cached --quiet; then
    echo "record-deployable: nothing changed for PR ${pr}"
    return 0
  fi
  git -C "$work/repo" commit --quiet -m "$message" || return 1
  git -C "$work/repo" push --quiet origin "HEAD:refs/heads/${branch}" 2>/dev/null
}

for attempt in 1 2 3 4 5; do
  if attempt_once; then
    echo "record-deployable: ${message}"
    exit 0
  fi
  echo "record-deployable: ${branch} moved (attempt ${attempt}), trying again"
done
echo "record-deployable: could not push to ${branch}" >&2
exit 1
