#!/usr/bin/env bash
# Runs one service on this machine in place of the cluster's, for one PR's requests only.
#
#   intercept.sh [--dry-run] <service> <pr-number> [namespace]
#
# <service> is any service of the registry (packages/contracts/src/services.json) that gets PR canaries,
# e.g. api-service or store-service.
#
# Requests (or gRPC calls) carrying `X-Canary: <pr>` that reach the service's pods in <namespace>
# (default: apps, i.e. stable) are sent to the local process; everyone else keeps using the cluster.
# The local process gets the pod's environment (saved to localdev/.data/telepresence/<service>.env),
# with CANARY_TRACK=pr-<N> and SERVICE_VERSION=local so X-Served-By shows where the answer came from,
# and METRICS_PORT=0 so it does not clash with anything on this machine. Ctrl-C ends the intercept.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../cluster/lib/run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib/run.sh" # also repo_root and versions.env

usage="usage: intercept.sh [--dry-run] <service> <pr-number> [namespace]"

# "<protocol> <workspace package>" of a service that gets PR canaries, from the registry; exits 2 and
# names the ones there are otherwise. The Service's port is named for the protocol (http or grpc).
canary_service() {
  node -e '
    const [file, name] = process.argv.slice(1);
    const services = JSON.parse(require("node:fs").readFileSync(file, "utf8")).services;
    const canaries = services.filter((s) => s.canary);
    const found = canaries.find((s) => s.name === name);
    if (found) console.log(found.protocol + " " + found.package);
    else {
      console.error("error: not a service with PR canaries; the registry has: " + canaries.map((s) => s.name).join(", "));
      process.exit(2);
    }
  ' "${repo_root}/packages/contracts/src/services.json" "$1"
}
parse_dry_run "$@"
set -- "${ARGS[@]}"
service="${1:-}"
pr="${2:-}"
namespace="${3:-apps}"

[[ -n "$service" ]] || die "$usage"
facts="$(canary_service "$service")" || die "$usage"
read -r port_name package <<<"$facts"
pr_number "$pr"
[[ "$namespace" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "namespace must be a Kubernetes namespace name"

state_dir="${STATE_DIR:-${repo_root}/localdev/.data/telepresence}"
env_file="${state_dir}/${service}.env"

leave() {
  run telepresence leave "$service" || true
}

if ! is_dry_run; then
  require_tools telepresence npm
  installed="$(telepresence version 2>/dev/null | sed -n 's/^Client[^0-9]*\([0-9][0-9.]*\).*/\1/p')"
  [[ "$installed" == "$TELEPRESENCE_VERSION" ]] ||
    echo "warning: telepresence ${installed:-unknown} installed, ${TELEPRESENCE_VERSION} pinned (localdev/cluster/versions.env)" >&2
fi

cd "$repo_root" # npm start --workspace runs from the repository root
step "telepresence ${TELEPRESENCE_VERSION}: ${service} in ${namespace}, requests with X-Canary: ${pr} → this machine"
run mkdir -p "$state_dir"
run telepresence connect --namespace "$namespace"
trap leave EXIT
# The header match is exact, like the edge's and the mesh's; for gRPC it matches the x-canary
# metadata entry (HTTP/2 headers). The local process listens on the pod's PORT (8080).
# The intercept ends when the command exits (Ctrl-C); `leave` on exit covers a failed start.
run telepresence intercept "$service" \
  --http-header "X-Canary=${pr}" --port "8080:${port_name}" \
  --env-file "$env_file" --mount=false \
  -- env CANARY_TRACK="pr-${pr}" SERVICE_VERSION=local METRICS_PORT=0 \
  npm start --workspace "$package"
