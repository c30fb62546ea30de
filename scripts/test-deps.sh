#!/bin/sh
# Installs the Debian packages the tests need (listed in .ci/apt-packages.txt) when any is
# missing. Runs before `bun test` in `npm test`, so the README's test command works on a fresh
# Debian machine. Needs root for apt-get; otherwise it names what is missing and stops.
set -eu
list="$(dirname "$0")/../.ci/apt-packages.txt"
missing=""
for package in $(sed -e 's/#.*//' "$list"); do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "test-deps: missing Debian packages:$missing (install them as root: apt-get install$missing)" >&2
  exit 1
fi
echo "test-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
