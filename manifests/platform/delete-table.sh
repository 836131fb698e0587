#!/bin/sh
# Deletes a PR canary's DynamoDB table after its Argo CD Application is gone. Idempotent: a table
# that is already gone counts as deleted. Refuses any name that is not a PR canary table, so a bad
# parameter can never delete the stable table.
set -eu

: "${TABLE_NAME:?TABLE_NAME must name the PR canary table}"

case "$TABLE_NAME" in
  pr-canary-items-pr-[1-9]*) ;;
  *)
    echo "refusing to delete '$TABLE_NAME': not a PR canary table (pr-canary-items-pr-<N>)" >&2
    exit 1
    ;;
esac

errors="$(mktemp)"
if aws dynamodb delete-table --table-name "$TABLE_NAME" >/dev/null 2>"$errors"; then
  echo "deleting table $TABLE_NAME"
  aws dynamodb wait table-not-exists --table-name "$TABLE_NAME"
  echo "deleted table $TABLE_NAME"
elif grep -q ResourceNotFoundException "$errors"; then
  echo "table $TABLE_NAME is already gone"
else
  cat "$errors" >&2
  exit 1
fi
