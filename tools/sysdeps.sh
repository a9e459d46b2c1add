#!/usr/bin/env bash
# Install the Debian packages the test suite needs. As root: apt-get installs what is missing.
# Otherwise: one line per missing package; the tests that need it are skipped with that reason.
set -euo pipefail
PACKAGES=(bubblewrap chromium)
# Container images tier (tier 2, tests/containers): rootful podman on runc, debootstrap for the
# stand-in base image. MLOPS_CONTAINER_TESTS=0 turns that tier (and these packages) off.
if [ "${MLOPS_CONTAINER_TESTS:-1}" != 0 ]; then
  PACKAGES+=(podman runc debootstrap uidmap netavark aardvark-dns iptables)
fi
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "note: not a Debian system; install ${missing[*]} yourself (tests needing them are skipped)" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "note: missing ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' (tests needing them are skipped)" >&2
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
start=$SECONDS
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed in $((SECONDS - start)) s"
