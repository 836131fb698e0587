#!/usr/bin/env bash
# Local Kubernetes cluster for pr-canary: the same platform as integration-001, sized for a laptop.
#
#   bootstrap.sh [--dry-run] up             create (or update) the cluster and install everything
#   bootstrap.sh [--dry-run] down           delete the cluster (and nothing else)
#   bootstrap.sh [--dry-run] register-apps  point Argo CD at this repository's manifests
#   bootstrap.sh [--dry-run] port-forward   Argo CD, Grafana and Prometheus on localhost (foreground)
#   bootstrap.sh versions                   print every pinned version (from versions.env)
#   bootstrap.sh check-versions             ask the chart repositories whether each pin exists (online)
#
# Every step is idempotent (create-if-missing, `helm upgrade --install`, `kubectl apply`), so `up`
# also repairs or upgrades a cluster after versions.env changes. --dry-run (or DRY_RUN=1) prints each
# command with its pinned version instead of running it, and needs none of the tools.
#
# Environment: CLUSTER_PROVIDER (k3d|kind, default k3d), CLUSTER_NAME (default pr-canary),
# HTTP_PORT / HTTPS_PORT (host ports of Traefik's web and websecure entry points, default 8081 / 8443),
# GITHUB_TOKEN (optional: lets the
# PR ApplicationSets list pull requests), STATE_DIR (default localdev/.data/cluster).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/lib/run.sh
source "${here}/lib/run.sh" # also repo_root and versions.env

CLUSTER_PROVIDER="${CLUSTER_PROVIDER:-k3d}"
CLUSTER_NAME="${CLUSTER_NAME:-pr-canary}"
HTTP_PORT="${HTTP_PORT:-8081}"
HTTPS_PORT="${HTTPS_PORT:-8443}"
STATE_DIR="${STATE_DIR:-${repo_root}/localdev/.data/cluster}"
VALUES="${here}/values"

readonly CHART_REPO_TRAEFIK=https://traefik.github.io/charts
readonly CHART_REPO_LINKERD=https://helm.linkerd.io/edge
readonly CHART_REPO_ARGO=https://argoproj.github.io/argo-helm
readonly CHART_REPO_JETSTACK=https://charts.jetstack.io
readonly CHART_REPO_FLAGGER=https://flagger.app
readonly CHART_REPO_PROMETHEUS=https://prometheus-community.github.io/helm-charts
readonly CHART_REPO_GRAFANA=https://grafana.github.io/helm-charts

# helm_install <release> <chart> <repo> <version> <namespace> [extra helm args...]
# Uses values/<release>.yaml when it exists.
helm_install() {
  local release="$1" chart="$2" repo="$3" version="$4" namespace="$5"
  shift 5
  local args=(upgrade --install "$release" "$chart" --repo "$repo" --version "$version"
    --namespace "$namespace" --create-namespace --wait --timeout 10m)
  [[ ! -f "${VALUES}/${release}.yaml" ]] || args+=(--values "${VALUES}/${release}.yaml")
  run helm "${args[@]}" "$@"
}

cluster_exists() {
  case "$CLUSTER_PROVIDER" in
    k3d) k3d cluster get "$CLUSTER_NAME" >/dev/null 2>&1 ;;
    kind) kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME" ;;
  esac
}

create_cluster() {
  step "cluster ${CLUSTER_NAME} (${CLUSTER_PROVIDER})"
  if ! is_dry_run && cluster_exists; then
    echo "    already exists"
    return
  fi
  case "$CLUSTER_PROVIDER" in
    k3d)
      # k3s's bundled Traefik is disabled: the pinned Traefik v3 below replaces it. Host HTTP_PORT /
      # HTTPS_PORT → Traefik's web / websecure entry points (NodePorts 30080 / 30443,
      # values/traefik.yaml), the same as with kind. The integration routes live on websecure.
      run k3d cluster create "$CLUSTER_NAME" --image "$K3S_IMAGE" --servers 1 --agents 0 \
        --port "${HTTP_PORT}:30080@server:0" --port "${HTTPS_PORT}:30443@server:0" \
        --k3s-arg "--disable=traefik@server:0" --wait
      ;;
    kind)
      run kind create cluster --name "$CLUSTER_NAME" --image "$KIND_NODE_IMAGE" \
        --config "${here}/kind-config.yaml" --wait 120s
      ;;
  esac
}

install_gateway_api() {
  step "Gateway API CRDs ${GATEWAY_API_VERSION}"
  run kubectl apply --server-side \
    -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/standard-install.yaml"
}

install_cert_manager() {
  step "cert-manager ${CERT_MANAGER_VERSION} + local self-signed issuer"
  helm_install cert-manager cert-manager "$CHART_REPO_JETSTACK" "$CERT_MANAGER_VERSION" cert-manager
  run kubectl apply -f "${here}/platform/selfsigned-issuer.yaml"
}

# Linkerd's trust anchor and issuer: generated once per machine, kept under STATE_DIR (not in git).
linkerd_certificates() {
  local dir="${STATE_DIR}/linkerd"
  if ! is_dry_run && [[ -s "${dir}/issuer.key" ]]; then
    return
  fi
  run mkdir -p "$dir"
  run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=root.linkerd.cluster.local" -keyout "${dir}/ca.key" -out "${dir}/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  run openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=identity.linkerd.cluster.local" -keyout "${dir}/issuer.key" -out "${dir}/issuer.csr"
  run openssl x509 -req -in "${dir}/issuer.csr" -CA "${dir}/ca.crt" -CAkey "${dir}/ca.key" -days 365 \
    -extfile "${here}/platform/linkerd-issuer.ext" -out "${dir}/issuer.crt"
}

install_linkerd() {
  step "Linkerd ${LINKERD_CHART_VERSION} (edge charts) with the Linkerd CNI plugin"
  linkerd_certificates
  local dir="${STATE_DIR}/linkerd"
  # The CNI plugin sets up each meshed pod's iptables, so pods need no linkerd-init container
  # (NET_ADMIN/NET_RAW), which Pod Security `restricted` — the level of apps and every PR
  # namespace — refuses (linkerd/linkerd2#10232). Installed before the control plane, which then
  # runs with cniEnabled (values/linkerd-control-plane.yaml). k3s keeps CNI files elsewhere.
  local cni_paths=()
  [[ "$CLUSTER_PROVIDER" != k3d ]] ||
    cni_paths=(--set destCNINetDir=/var/lib/rancher/k3s/agent/etc/cni/net.d --set destCNIBinDir=/bin)
  helm_install linkerd2-cni linkerd2-cni "$CHART_REPO_LINKERD" "$LINKERD_CHART_VERSION" linkerd-cni "${cni_paths[@]}"
  helm_install linkerd-crds linkerd-crds "$CHART_REPO_LINKERD" "$LINKERD_CHART_VERSION" linkerd
  helm_install linkerd-control-plane linkerd-control-plane "$CHART_REPO_LINKERD" "$LINKERD_CHART_VERSION" linkerd \
    --set-file "identityTrustAnchorsPEM=${dir}/ca.crt" \
    --set-file "identity.issuer.tls.crtPEM=${dir}/issuer.crt" \
    --set-file "identity.issuer.tls.keyPEM=${dir}/issuer.key"
}

install_traefik() {
  step "Traefik chart ${TRAEFIK_CHART_VERSION}"
  helm_install traefik traefik "$CHART_REPO_TRAEFIK" "$TRAEFIK_CHART_VERSION" traefik
}

install_observability() {
  step "Prometheus + Grafana ${KUBE_PROMETHEUS_STACK_CHART_VERSION}, Tempo ${TEMPO_CHART_VERSION}, Loki ${LOKI_CHART_VERSION}, Alloy ${ALLOY_CHART_VERSION}"
  helm_install kube-prometheus-stack kube-prometheus-stack "$CHART_REPO_PROMETHEUS" \
    "$KUBE_PROMETHEUS_STACK_CHART_VERSION" monitoring
  helm_install tempo tempo "$CHART_REPO_GRAFANA" "$TEMPO_CHART_VERSION" monitoring
  helm_install loki loki "$CHART_REPO_GRAFANA" "$LOKI_CHART_VERSION" monitoring
  helm_install alloy alloy "$CHART_REPO_GRAFANA" "$ALLOY_CHART_VERSION" monitoring
  # The collector name the manifests send traces to, pointed at Tempo.
  run kubectl apply -f "${here}/platform/otel-collector.yaml"
  # The canary-vs-stable dashboard, picked up by Grafana's sidecar (label grafana_dashboard=1).
  run kubectl apply -k "${here}/dashboards"
}

install_flagger() {
  step "Flagger ${FLAGGER_CHART_VERSION} + load tester ${FLAGGER_LOADTESTER_CHART_VERSION}"
  helm_install flagger flagger "$CHART_REPO_FLAGGER" "$FLAGGER_CHART_VERSION" flagger-system
  helm_install flagger-loadtester loadtester "$CHART_REPO_FLAGGER" "$FLAGGER_LOADTESTER_CHART_VERSION" flagger-system
}

install_argocd() {
  step "Argo CD chart ${ARGOCD_CHART_VERSION} (with ApplicationSets)"
  helm_install argocd argo-cd "$CHART_REPO_ARGO" "$ARGOCD_CHART_VERSION" argocd
}

# Registers this cluster with Argo CD under the name the manifests deploy to (integration-001), adds
# the GitHub token the PR generator needs (if GITHUB_TOKEN is set), then applies the app of apps.
register_apps() {
  step "Argo CD applications (this cluster plays integration-001)"
  run kubectl apply -f "${here}/platform/argocd-local-cluster.yaml"
  if is_dry_run; then
    print_command kubectl -n argocd create secret generic cluster-integration-001 \
      --from-literal=name=integration-001 --from-literal=server=https://kubernetes.default.svc.cluster.local \
      '--from-literal=config=<bearer token and CA of argocd-manager>' '|' kubectl apply -f -
  else
    local token ca
    token="$(kubectl -n kube-system get secret argocd-manager-token -o jsonpath='{.data.token}' | base64 -d)"
    ca="$(kubectl -n kube-system get secret argocd-manager-token -o jsonpath='{.data.ca\.crt}')"
    kubectl -n argocd create secret generic cluster-integration-001 \
      --from-literal=name=integration-001 \
      --from-literal=server=https://kubernetes.default.svc.cluster.local \
      --from-literal=config="{\"bearerToken\":\"${token}\",\"tlsClientConfig\":{\"caData\":\"${ca}\"}}" \
      --dry-run=client -o yaml |
      kubectl label --local -f - argocd.argoproj.io/secret-type=cluster -o yaml |
      kubectl apply -f -
  fi
  if [[ -n "${GITHUB_TOKEN:-}" ]]; then
    if is_dry_run; then
      print_command kubectl -n argocd create secret generic github-token '--from-literal=token=<GITHUB_TOKEN>' \
        '|' kubectl apply -f -
    else
      kubectl -n argocd create secret generic github-token --from-literal=token="$GITHUB_TOKEN" \
        --dry-run=client -o yaml | kubectl apply -f -
    fi
  else
    echo "    GITHUB_TOKEN not set: the PR ApplicationSets cannot list pull requests until it is"
  fi
  run kubectl apply -n argocd -f "${repo_root}/manifests/argocd/applications/root.yaml"
}

cmd_up() {
  is_dry_run || require_tools "$CLUSTER_PROVIDER" kubectl helm openssl
  print_versions
  create_cluster
  install_gateway_api
  install_cert_manager
  # Before Traefik: its chart renders a ServiceMonitor and refuses to install ("You have to deploy
  # monitoring.coreos.com/v1 first") until kube-prometheus-stack has added the CRD.
  install_observability
  install_linkerd
  install_traefik
  install_flagger
  install_argocd
  register_apps
  step "done"
  cat <<EOF
    Edge (Traefik):  curl -k --resolve api.int-001.example.com:${HTTPS_PORT}:127.0.0.1 \\
                       -H 'X-Canary: <PR>' https://api.int-001.example.com:${HTTPS_PORT}/api/route
    Dashboards etc.: ${here}/bootstrap.sh port-forward   (Argo CD :8080, Grafana :3000, Prometheus :9090)
EOF
}

cmd_down() {
  is_dry_run || require_tools "$CLUSTER_PROVIDER"
  step "delete cluster ${CLUSTER_NAME} (${CLUSTER_PROVIDER})"
  if ! is_dry_run && ! cluster_exists; then
    echo "    no such cluster"
    return
  fi
  case "$CLUSTER_PROVIDER" in
    k3d) run k3d cluster delete "$CLUSTER_NAME" ;;
    kind) run kind delete cluster --name "$CLUSTER_NAME" ;;
  esac
}

cmd_port_forward() {
  is_dry_run || require_tools kubectl
  step "port-forwards (Ctrl-C stops them all)"
  run_background kubectl -n argocd port-forward svc/argocd-server 8080:80
  run_background kubectl -n monitoring port-forward svc/kube-prometheus-stack-grafana 3000:80
  run_background kubectl -n monitoring port-forward svc/prometheus-operated 9090:9090
  wait_background
}

print_versions() {
  step "pinned versions (localdev/cluster/versions.env)"
  local name
  while IFS= read -r name; do
    printf '    %s=%s\n' "$name" "${!name}"
  done < <(grep -oE '^[A-Z0-9_]+=' "${here}/versions.env" | tr -d '=')
}

cmd_check_versions() {
  require_tools helm
  local failed=0 chart repo version
  while read -r chart repo version; do
    if helm show chart "$chart" --repo "$repo" --version "$version" >/dev/null 2>&1; then
      echo "ok       ${chart} ${version}"
    else
      echo "MISSING  ${chart} ${version} (${repo})"
      failed=1
    fi
  done <<EOF
traefik ${CHART_REPO_TRAEFIK} ${TRAEFIK_CHART_VERSION}
linkerd2-cni ${CHART_REPO_LINKERD} ${LINKERD_CHART_VERSION}
linkerd-crds ${CHART_REPO_LINKERD} ${LINKERD_CHART_VERSION}
linkerd-control-plane ${CHART_REPO_LINKERD} ${LINKERD_CHART_VERSION}
argo-cd ${CHART_REPO_ARGO} ${ARGOCD_CHART_VERSION}
cert-manager ${CHART_REPO_JETSTACK} ${CERT_MANAGER_VERSION}
flagger ${CHART_REPO_FLAGGER} ${FLAGGER_CHART_VERSION}
loadtester ${CHART_REPO_FLAGGER} ${FLAGGER_LOADTESTER_CHART_VERSION}
kube-prometheus-stack ${CHART_REPO_PROMETHEUS} ${KUBE_PROMETHEUS_STACK_CHART_VERSION}
tempo ${CHART_REPO_GRAFANA} ${TEMPO_CHART_VERSION}
loki ${CHART_REPO_GRAFANA} ${LOKI_CHART_VERSION}
alloy ${CHART_REPO_GRAFANA} ${ALLOY_CHART_VERSION}
EOF
  return "$failed"
}

main() {
  parse_dry_run "$@"
  set -- "${ARGS[@]}"
  case "$CLUSTER_PROVIDER" in
    k3d | kind) ;;
    *) die "CLUSTER_PROVIDER must be k3d or kind" ;;
  esac
  case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    register-apps) register_apps ;;
    port-forward) cmd_port_forward ;;
    versions) print_versions ;;
    check-versions) cmd_check_versions ;;
    *) die "usage: bootstrap.sh [--dry-run] up|down|register-apps|port-forward|versions|check-versions" ;;
  esac
}

main "$@"
