#!/usr/bin/env bash
# Deletes a closed PR's images (tags pr-<N>-*) from GitHub Container Registry.
#   delete-pr-images.sh <pr-number>
# Env: GH_TOKEN (packages: write, admin on the packages), OWNER, OWNER_TYPE (Organization|User),
#      SERVICES (space-separated; defaults to the registry's canary services).
set -euo pipefail

pr="${1:?usage: delete-pr-images.sh <pr-number>}"
: "${OWNER:?OWNER is required}"
: "${OWNER_TYPE:?OWNER_TYPE is required (Organization or User)}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case "$OWNER_TYPE" in
  Organization) scope="orgs/${OWNER}" ;;
  User) scope="users/${OWNER}" ;;
  *) echo "delete-pr-images: OWNER_TYPE must be Organization or User" >&2; exit 2 ;;
esac
if [[ -n "${SERVICES:-}" ]]; then
  read -r -a services <<< "$SERVICES"
else
  mapfile -t services < <(node "${here}/services.mjs" names --canary)
fi

deleted=0
for service in "${services[@]}"; do
  versions_path="${scope}/packages/container/${service}/versions"
  if ! listing="$(gh api --paginate "$versions_path" --jq '.[] | {id, tags: .metadata.container.tags}' 2>/dev/null)"; then
    echo "delete-pr-images: no package ${service} (nothing pushed yet?) — skipping"
    continue
  fi
  mapfile -t ids < <(node "${here}/pr-image-versions.mjs" --pr "$pr" <<< "$listing")
  for id in "${ids[@]}"; do
    gh api --method DELETE "${versions_path}/${id}" --silent
    deleted=$((deleted + 1))
  done
  echo "delete-pr-images: ${service}: deleted ${#ids[@]} version(s)"
done
echo "delete-pr-images: ${deleted} version(s) deleted for PR ${pr}"
