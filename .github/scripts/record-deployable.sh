#!/usr/bin/env bash
# Says which images of a PR are deployable, on the branch the PR ApplicationSets read
# (manifests/config.yaml deployBranch, default canary-deploy):
#   record-deployable.sh write  <pr> <head-sha> '<json array of services whose images were pushed>'
#   record-deployable.sh remove <pr>                                  (PR closed)
# Run after the images are pushed: Argo CD renders the recorded tag, so a push that is still
# building keeps the canary on the last image that exists. Clones only that branch of REMOTE
# (default: origin of the current repository), commits the PR's own files and pushes, retrying on
# a lost race with another PR's run (or a remote that did not answer). With GITHUB_TOKEN set (the
# job's token, `contents: write`), every command that talks to the remote authenticates with it: the
# fresh clone does not have the credentials actions/checkout keeps in the checkout's own git config.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage="usage: record-deployable.sh write <pr> <sha> <services-json> | remove <pr>"
command="${1:?$usage}"
pr="${2:?$usage}"
node "${here}/image-ref.mjs" pr-number --pr "$pr" >/dev/null
branch="${DEPLOY_BRANCH:-canary-deploy}"
remote="${REMOTE:-$(git remote get-url origin)}"

# git, for the commands that reach the remote: never a prompt (CI has no terminal; a missing
# credential is an error at once — no askpass program either, whatever the shell set), and
# GITHUB_TOKEN, when set, as the password a credential helper hands git — read from the environment
# by the helper, so the token is in no command line and no URL.
remote_git() {
  if [ -n "${GITHUB_TOKEN:-}" ]; then
    # shellcheck disable=SC2016 # expanded by the helper's shell, not here
    GIT_TERMINAL_PROMPT=0 GIT_ASKPASS='' git -c credential.helper= \
      -c 'credential.helper=!f() { test "$1" = get && printf "username=x-access-token\npassword=%s\n" "$GITHUB_TOKEN"; }; f' "$@"
  else
    GIT_TERMINAL_PROMPT=0 GIT_ASKPASS='' git "$@"
  fi
}

# What a remote says when it refuses us for good: no credential, a wrong one, no write access, no such
# repository (GitHub: "Permission to o/r.git denied to …", "The requested URL returned error: 403").
# Retrying cannot change these. Anything else — a lost race with another PR's run, a dropped
# connection, a 5xx — is worth another attempt.
REFUSED_PATTERN='Authentication failed|could not read (Username|Password)|Permission to .* denied|[Rr]epository not found|returned error: 40[134]'
REFUSED_FOR_GOOD=100

# Runs git against the remote, its messages on stderr. Its exit status is git's, or REFUSED_FOR_GOOD.
reach() {
  local said status=0
  said="$(remote_git "$@" 2>&1 >/dev/null)" || status=$?
  if [ -n "$said" ]; then echo "$said" >&2; fi
  if [ "$status" -ne 0 ] && grep -qE "$REFUSED_PATTERN" <<<"$said"; then return "$REFUSED_FOR_GOOD"; fi
  return "$status"
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

# One attempt: the branch as it is now (or a new one), this PR's files, one commit, push. An attempt
# that fails — mostly a push that lost a race with another PR's run — is redone from a fresh clone
# (each PR writes only deploy/pr-<N>/, so redoing it on top of the other run's commit is always right,
# also when two runs create the branch at once); a remote that refuses us for good ends the run.
attempt_once() {
  rm -rf "$work/repo"
  # (errexit does not apply inside a function whose status is tested: every step says so itself.)
  local heads=0
  reach ls-remote --exit-code --heads "$remote" "$branch" || heads=$?
  case "$heads" in
    0) reach clone --quiet --single-branch --branch "$branch" --depth 1 "$remote" "$work/repo" || return $? ;;
    2) # the remote answered: no such branch yet
      git init --quiet -b "$branch" "$work/repo" || return 1
      git -C "$work/repo" remote add origin "$remote" || return 1
      ;;
    *) return "$heads" ;;
  esac
  git -C "$work/repo" config user.name "${GIT_AUTHOR_NAME:-pr-canary CI}" || return 1
  git -C "$work/repo" config user.email "${GIT_AUTHOR_EMAIL:-pr-canary-ci@users.noreply.github.com}" || return 1
  node "${here}/deploy-record.mjs" "${edit[@]}" --dir "$work/repo" || return 1
  git -C "$work/repo" add --all || return 1
  if git -C "$work/repo" diff --cached --quiet; then
    echo "record-deployable: nothing changed for PR ${pr}"
    return 0
  fi
  git -C "$work/repo" commit --quiet -m "$message" || return 1
  reach -C "$work/repo" push --quiet origin "HEAD:refs/heads/${branch}"
}

for attempt in 1 2 3 4 5; do
  status=0
  attempt_once || status=$?
  if [ "$status" -eq 0 ]; then
    echo "record-deployable: ${message}"
    exit 0
  fi
  if [ "$status" -eq "$REFUSED_FOR_GOOD" ]; then
    echo "record-deployable: the remote refused PR ${pr}'s record on ${branch} (above); retrying cannot change that" >&2
    exit 1
  fi
  echo "record-deployable: attempt ${attempt} failed (another run moved ${branch}, or the remote did not answer), trying again"
done
echo "record-deployable: could not record PR ${pr} on ${branch} in 5 attempts" >&2
exit 1
