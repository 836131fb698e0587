#!/usr/bin/env bash
# Runs a command until it succeeds or the deadline passes; exits with the command's last status.
#   retry-until.sh <timeout-seconds> <interval-seconds> <command> [args...]
# Used to wait for Argo CD to roll a PR canary out before the probe counts as failed.
set -euo pipefail

timeout_s="${1:?usage: retry-until.sh <timeout-seconds> <interval-seconds> <command...>}"
interval_s="${2:?usage: retry-until.sh <timeout-seconds> <interval-seconds> <command...>}"
shift 2
[[ "$timeout_s" =~ ^[0-9]+$ && "$interval_s" =~ ^[1-9][0-9]*$ ]] ||
  { echo "retry-until: timeout and interval must be whole seconds" >&2; exit 2; }
[[ $# -gt 0 ]] || { echo "retry-until: no command given" >&2; exit 2; }

deadline=$((SECONDS + timeout_s))
attempt=1
while true; do
  status=0
  "$@" || status=$?
  if [[ "$status" -eq 0 ]]; then
    echo "retry-until: succeeded on attempt ${attempt}"
    exit 0
  fi
  if (( SECONDS + interval_s > deadline )); then
    echo "retry-until: still failing (exit ${status}) after ${attempt} attempts and ${timeout_s}s" >&2
    exit "$status"
  fi
  attempt=$((attempt + 1))
  sleep "$interval_s"
done
