#!/usr/bin/env bash
# The trainer with default options steps while another thread forces gen0 collections, for longer than the test suite's
# 12 s: usage benchmarks/scalar-stress.sh [seconds=120] [pause between collections in ms=1]. Fails if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/Pama.TorchSharp.Tests -c Release -warnaserror >/dev/null
PAMA_SCALAR_STRESS_SECONDS="${1:-120}" PAMA_SCALAR_STRESS_PAUSE_MS="${2:-1}" dotnet test tests/Pama.TorchSharp.Tests -c Release --no-build \
  --filter "FullyQualifiedName~ScalarCollectionStressTests" --logger "console;verbosity=detailed"
