#!/bin/sh
# Deletes a PR canary's DynamoDB table after its Argo CD Application is gone (the PostDelete hook
# pr-canary/store/cleanup-job.yaml). Idempotent: a table that is already gone counts as deleted.
# Refuses any name that is not a PR canary table, so a bad parameter can never delete the stable
# table (exit 1: a manifests bug, which the manifests tests rule out).
#
# Bounded on purpose: an AWS error (the janitor role's ARN, its trust policy, throttling) is retried
# DELETE_ATTEMPTS times, then the script gives up *successfully*, saying the table is left for the
# table janitor (tools/table-janitor lists the tables of closed PRs): Argo CD 3.3+ deletes and
# re-creates a failed PostDelete hook, keeping the Application Terminating, and 3.0-3.2 drop the app
# and leave the failed Job (manifests/README.md), so the hook does not fail for that. The wait for the deletion is bounded too (DynamoDB finishes a deletion it accepted);
# at the defaults the whole run stays under the Job's activeDeadlineSeconds (300).
set -eu

: "${TABLE_NAME:?TABLE_NAME must name the PR canary table}"
attempts="${DELETE_ATTEMPTS:-3}"
pause="${RETRY_PAUSE_SECONDS:-20}"
polls="${GONE_POLLS:-8}"

# <N> as the canary key has it: 1-9 digits, no leading zero (a glob like pr-[1-9]* would also take
# pr-canary-items-pr-1-stable-backup).
pr="${TABLE_NAME#pr-canary-items-pr-}"
case "$pr" in
  "$TABLE_NAME" | "" | 0* | *[!0-9]* | ??????????*)
    echo "refusing to delete '$TABLE_NAME': not a PR canary table (pr-canary-items-pr-<N>)" >&2
    exit 1
    ;;
esac

errors="$(mktemp)"
attempt=1
while ! aws dynamodb delete-table --table-name "$TABLE_NAME" >/dev/null 2>"$errors"; do
  if grep -q ResourceNotFoundException "$errors"; then
    echo "table $TABLE_NAME is already gone"
    exit 0
  fi
  echo "attempt $attempt/$attempts to delete table $TABLE_NAME failed:" >&2
  cat "$errors" >&2
  if [ "$attempt" -ge "$attempts" ]; then
    echo "giving up: table $TABLE_NAME is left for the table janitor (tools/table-janitor)"
    exit 0
  fi
  attempt=$((attempt + 1))
  sleep "$pause"
done

echo "deleting table $TABLE_NAME"
poll=0
while [ "$poll" -lt "$polls" ]; do
  if ! aws dynamodb describe-table --table-name "$TABLE_NAME" >/dev/null 2>"$errors" &&
    grep -q ResourceNotFoundException "$errors"; then
    echo "deleted table $TABLE_NAME"
    exit 0
  fi
  poll=$((poll + 1))
  sleep "$pause"
done
echo "table $TABLE_NAME is still being deleted (DynamoDB finishes it; the table janitor lists it if not)"
