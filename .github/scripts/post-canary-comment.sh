#!/usr/bin/env bash
# Renders the canary comment for this run and creates or edits it on the PR.
# Env: PR, HEAD_SHA, OWNER, BUILD (JSON array), OUTCOME (success|failure|skipped|''), GITHUB_REPOSITORY,
#      GH_TOKEN, and optional API_URL, WEB_URL, ARGOCD_URL, GRAFANA_URL, RUN_URL, VERDICT_FILE
#      (the markdown of pr-canary analyze --markdown), PROBE_FILE (what pr-canary probe --json printed).
set -euo pipefail

: "${PR:?PR is required}" "${HEAD_SHA:?HEAD_SHA is required}" "${OWNER:?OWNER is required}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case "${OUTCOME:-}" in
  success) probe=passed ;;
  failure) probe=failed ;;
  *) probe=skipped ;;
esac

args=(render --pr "$PR" --sha "$HEAD_SHA" --owner "$OWNER" --build "${BUILD:-[]}" --probe "$probe")
[[ -z "${API_URL:-}" ]] || args+=(--api-url "$API_URL")
[[ -z "${WEB_URL:-}" ]] || args+=(--web-url "$WEB_URL")
[[ -z "${ARGOCD_URL:-}" ]] || args+=(--argocd-url "$ARGOCD_URL")
[[ -z "${GRAFANA_URL:-}" ]] || args+=(--grafana-url "$GRAFANA_URL")
[[ -z "${RUN_URL:-}" ]] || args+=(--run-url "$RUN_URL")
[[ -z "${VERDICT_FILE:-}" || ! -s "${VERDICT_FILE}" ]] || args+=(--verdict "$VERDICT_FILE")
[[ -z "${PROBE_FILE:-}" || ! -s "${PROBE_FILE}" || "$probe" != passed ]] || args+=(--probe-result "$PROBE_FILE")

body_file="$(mktemp)"
trap 'rm -f "$body_file"' EXIT
node "${here}/canary-comment.mjs" "${args[@]}" > "$body_file"
"${here}/upsert-comment.sh" "$PR" "$body_file"
