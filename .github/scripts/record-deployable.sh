#!/usr/bin/env bash
# Says which images of a PR are deployable, on the branch the PR ApplicationSets read
# (manifests/config.yaml deployBranch, default canary-deploy):
#   record-deployable.sh write  <pr> <head-sha> '<json array of services whose images were pushed>'
#   record-deployable.sh remove <pr>                                  (PR closed)
# Run after the images are pushed: Argo CD renders the recorded tag, so a push that is still
# building keeps the canary on the last image that exists. Clones only that branch of REMOTE
# (default: origin of the current repository), commits the PR's own files and pushes, retrying on
# a race with another PR's run. With GITHUB_TOKEN set (the job's token, `contents: write`), every
# command that talks to the remote authenticates with it: the fresh clone does not have the
# credentials actions/checkout keeps in the checkout's own git config.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage="usage: record-deployable.sh write <pr> <sha> <services-json> | remove <pr>"
command="${1:?$usage}"
pr="${2:?$usage}"
node "${here}/image-ref.mjs" pr-number --pr "$pr" >/dev/null
branch="${DEPLOY_BRANCH:-canary-deploy}"
remote="${REMOTE:-$(git remote get-url origin)}"

# git, for the commands that reach the remote: never a prompt (CI has no terminal; a missing
# credential is an error at once), and GITHUB_TOKEN, when set, as the password a credential helper
# hands git — read from the environment by the helper, so the token is in no command line and no URL.
remote_git() {
  if [ -n "${GITHUB_TOKEN:-}" ]; then
    # shellcheck disable=SC2016 # expanded by the helper's shell, not here
    GIT_TERMINAL_PROMPT=0 git -c credential.helper= \
      -c 'credential.helper=!f() { test "$1" = get && printf "username=x-access-token\npassword=%s\n" "$GITHUB_TOKEN"; }; f' "$@"
  else
    GIT_TERMINAL_PROMPT=0 git "$@"
  fi
}

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
# runs create the branch at once). Anything else the remote says (no access, no such repository) is
# printed and ends the run: retrying cannot change it.
RACE_LOST=3
attempt_once() {
  rm -rf "$work/repo"
  # (errexit does not apply inside a function called from `if`: every step says so itself.)
  local heads=0
  remote_git ls-remote --exit-code --heads "$remote" "$branch" >/dev/null || heads=$?
  if [ "$heads" -eq 0 ]; then
    remote_git clone --quiet --single-branch --branch "$branch" --depth 1 "$remote" "$work/repo" || return 1
  elif [ "$heads" -eq 2 ]; then # the remote answered: no such branch yet
    git init --quiet -b "$branch" "$work/repo" || return 1
    git -C "$work/repo" remote add origin "$remote" || return 1
  else
    return 1
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
  local said
  if said="$(remote_git -C "$work/repo" push --quiet origin "HEAD:refs/heads/${branch}" 2>&1)"; then
    return 0
  fi
  # Another run pushed first: the ref moved under us (or was created meanwhile).
  if grep -qE 'fetch first|non-fast-forward|\[rejected\]|cannot lock ref|failed to update ref' <<<"$said"; then
    return "$RACE_LOST"
  fi
  echo "$said" >&2
  return 1
}

for attempt in 1 2 3 4 5; do
  status=0
  attempt_once || status=$?
  if [ "$status" -eq 0 ]; then
    echo "record-deployable: ${message}"
    exit 0
  fi
  if [ "$status" -ne "$RACE_LOST" ]; then
    echo "record-deployable: could not record PR ${pr} on ${branch} (above)" >&2
    exit 1
  fi
  echo "record-deployable: ${branch} moved (attempt ${attempt}), trying again"
done
echo "record-deployable: could not push to ${branch}: it kept moving" >&2
exit 1
