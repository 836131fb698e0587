#!/usr/bin/env bash
# Helpers shared by the localdev cluster and telepresence scripts (sourced, not run). Sourcing it also
# sets repo_root (the repository) and loads the pinned versions (localdev/cluster/versions.env).
#   run <cmd...>            runs the command, or with --dry-run / DRY_RUN=1 prints it (shell-quoted)
#   run_background <cmd...> same, in the background; wait_background waits and stops them on exit
#   pr_number <value>       exits (2) unless the value is a PR number (the contracts' grammar)
set -euo pipefail

cluster_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo_root="$(cd "${cluster_dir}/../.." && pwd)"
# shellcheck source=SCRIPTDIR/../versions.env
source "${cluster_dir}/versions.env"

DRY_RUN="${DRY_RUN:-0}"
ARGS=()
BACKGROUND_PIDS=()

die() {
  echo "error: $*" >&2
  exit 2
}

is_dry_run() {
  [[ "$DRY_RUN" == 1 ]]
}

# Removes --dry-run from the arguments (into ARGS) and turns dry-run mode on when it was there.
parse_dry_run() {
  ARGS=()
  local arg
  for arg in "$@"; do
    if [[ "$arg" == --dry-run ]]; then DRY_RUN=1; else ARGS+=("$arg"); fi
  done
  [[ "$DRY_RUN" == 0 || "$DRY_RUN" == 1 ]] || die "DRY_RUN must be 0 or 1"
}

# The PR grammar of the canary key, read from the contracts (packages/contracts/src/pr-number.json;
# by bash alone, as a dry run needs no tools).
pr_number() {
  local json
  json="$(<"${repo_root}/packages/contracts/src/pr-number.json")"
  [[ "$json" =~ \"pattern\":\ *\"([^\"]+)\" ]] || die "packages/contracts/src/pr-number.json has no pattern"
  [[ "$1" =~ ^${BASH_REMATCH[1]}$ ]] || die "PR number must be 1-999999999 without leading zeros"
}

step() {
  printf '==> %s\n' "$*"
}

print_command() {
  local quoted
  printf -v quoted ' %q' "$@"
  printf '+%s\n' "$quoted"
}

run() {
  if is_dry_run; then
    print_command "$@"
  else
    "$@"
  fi
}

run_background() {
  if is_dry_run; then
    print_command "$@" '&'
  else
    "$@" &
    BACKGROUND_PIDS+=("$!")
  fi
}

stop_background() {
  local pid
  for pid in "${BACKGROUND_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
}

wait_background() {
  is_dry_run && return 0
  trap stop_background EXIT INT TERM
  wait
}

require_tools() {
  local tool missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [[ ${#missing[@]} -eq 0 ]] || die "missing tools: ${missing[*]} (see localdev/cluster/README.md)"
}
