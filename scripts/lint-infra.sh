#!/usr/bin/env bash
# npm run lint:infra — builds infra/main.bicep (and through it every module) where a Bicep
# compiler exists: the standalone `bicep` CLI, or `az bicep` when it is already installed.
# No Bicep compiler reaches the test machines (it is a .NET binary downloaded from GitHub), so
# there it says it skipped and exits 0; the checks that do run everywhere are in `npm test`
# (test/unit/infra-*.test.ts). Nothing is written to the repository (--stdout).
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v bicep >/dev/null 2>&1; then
  echo "lint:infra: $(bicep --version)" >&2
  bicep build infra/main.bicep --stdout >/dev/null
  echo "lint:infra: infra/main.bicep builds" >&2
# `az bicep version` only reports; it does not download the compiler (az bicep build would).
elif command -v az >/dev/null 2>&1 && az bicep version >/dev/null 2>&1; then
  echo "lint:infra: $(az bicep version 2>/dev/null | head -n 1)" >&2
  az bicep build --file infra/main.bicep --stdout >/dev/null
  echo "lint:infra: infra/main.bicep builds" >&2
else
  echo "lint:infra: skipped: no Bicep compiler here (neither 'bicep' nor an installed 'az bicep')" >&2
fi
