#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the checks need, skipping any already on PATH.
#   install-ci-tools.sh [package...]      default: shellcheck yamllint
set -euo pipefail

wanted=("$@")
[[ ${#wanted[@]} -gt 0 ]] || wanted=(shellcheck yamllint)

missing=()
for tool in "${wanted[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-ci-tools: ${wanted[*]} already installed"
  exit 0
fi

sudo_cmd=()
[[ "$(id -u)" -eq 0 ]] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-ci-tools: installed ${missing[*]}"
