#!/usr/bin/env bash
# Downloads the upstream CustomResourceDefinitions that `npm test -w @pr-canary/manifests` validates
# the rendered manifests against, byte for byte from the pinned commits of their repositories
# (upstream-crds.txt beside this script), checks every sha256, and only then installs them.
#
#   manifests/scripts/fetch-crds.sh [DEST]         download, verify, install into DEST
#                                                  (default: ../shared/crds beside the repository root,
#                                                  where the tests look for them)
#   manifests/scripts/fetch-crds.sh --verify DIR   only check the files already in DIR
#
# Needs curl and sha256sum (or shasum). Nothing is written to DEST unless every file verified.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list="$here/upstream-crds.txt"
repo_root=$(cd "$here/../.." && pwd)

die() {
  echo "fetch-crds: $*" >&2
  exit 1
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    die "needs sha256sum or shasum"
  fi
}

# Prints the entries of the list: file sha256 repository commit path (comments and blank lines skipped).
entries() {
  grep -Ev '^[[:space:]]*(#|$)' "$list"
}

# verify DIR: every listed file is present in DIR with its sha256. Reports each problem, fails if any.
verify() {
  local dir="$1" failed=0 file sha repository commit path actual
  while read -r file sha repository commit path; do
    if [ ! -f "$dir/$file" ]; then
      echo "fetch-crds: $dir/$file is missing" >&2
      failed=1
      continue
    fi
    actual=$(sha256_of "$dir/$file")
    if [ "$actual" != "$sha" ]; then
      echo "fetch-crds: $dir/$file has sha256 $actual, expected $sha ($repository@$commit:$path)" >&2
      failed=1
    fi
  done < <(entries)
  return "$failed"
}

if [ "${1:-}" = "--verify" ]; then
  [ $# -eq 2 ] || die "usage: $0 --verify DIR"
  verify "$2" || die "$2 does not hold the pinned upstream CRDs"
  echo "fetch-crds: every CRD in $2 matches its pinned sha256"
  exit 0
fi
[ $# -le 1 ] || die "usage: $0 [DEST] | $0 --verify DIR"
dest="${1:-$repo_root/../shared/crds}"
command -v curl >/dev/null 2>&1 || die "needs curl"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

while read -r file sha repository commit path; do
  url="https://raw.githubusercontent.com/$repository/$commit/$path"
  mkdir -p "$scratch/$(dirname "$file")"
  echo "fetch-crds: $url"
  curl --fail --silent --show-error --location --retry 3 --output "$scratch/$file" "$url" ||
    die "could not download $url"
done < <(entries)

verify "$scratch" || die "a download does not match its pinned sha256; nothing was installed"

while read -r file _; do
  mkdir -p "$dest/$(dirname "$file")"
  cp "$scratch/$file" "$dest/$file"
done < <(entries)
echo "fetch-crds: installed the pinned upstream CRDs into $dest"
