#!/usr/bin/env bash
# Installs the outside programs the tests drive, when missing. Needs root for apt-get (CI runs as root).
set -euo pipefail
missing=()
for tool in python3 swaks curl nats-server; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
# The browser tests drive Debian's headless Chromium (tests/Host.Tests/Support/Browser.cs). Installed
# without its recommends (some 40 packages: a notification daemon, printer settings, udev, upower), which
# headless needs none of. A font is needed, or the screenshots show text as boxes.
browser=()
command -v chromium >/dev/null 2>&1 || browser+=(chromium)
dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q 'ok installed' || browser+=(fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ] || [ "${#browser[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]} ${browser[*]}" >&2
  apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
if [ "${#browser[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${browser[@]}"
fi
command -v dotnet >/dev/null 2>&1 || { echo "the .NET SDK 10 (dotnet) is required" >&2; exit 1; }
