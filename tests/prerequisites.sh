#!/usr/bin/env bash
# Installs the outside programs the tests drive, when missing. Needs root for apt-get (CI runs as root).
set -euo pipefail
missing=()
for tool in python3 swaks curl nats-server; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
command -v dotnet >/dev/null 2>&1 || { echo "the .NET SDK 10 (dotnet) is required" >&2; exit 1; }
