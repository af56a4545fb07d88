#!/usr/bin/env bash
# Data-parallel throughput of the sample: the same PAMA run (1 seed, --steps steps, the default 64 prompts per step,
# one torch thread per rank) on 1 and on 2 MPI ranks. Prints each run's seconds per training step (from summary.json,
# held-out evaluation and pretraining excluded), the speed-up, and the time rank 0 spent in communication.
# Usage: bash benchmarks/DataParallel/run.sh [steps]   (needs MPICH: bash .ci/install-mpi)
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-10}
dotnet build samples/Pama.FineTune -c Release -nologo -v q >/dev/null
dll=samples/Pama.FineTune/bin/Release/net10.0/Pama.FineTune.dll
work=$(mktemp -d /tmp/pama-dp-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
for ranks in 1 2; do
  out="$work/np$ranks"
  CI=true mpirun -np "$ranks" dotnet "$dll" --data-parallel --method pama --seeds 1 --steps "$steps" --threads 1 --out "$out" > "$work/np$ranks.log" 2>&1 \
    || { cat "$work/np$ranks.log"; exit 1; }
  seconds=$(python3 -c "import json,sys; print(json.load(open('$out/summary.json'))['methods']['pama']['secondsPerStep']['mean'])")
  comm=$(sed -n 's/.*rank 0 spent \([0-9.]*\) s in communication.*/\1 s/p' "$work/np$ranks.log" | head -1)
  echo "$ranks rank(s): $seconds s per step; rank 0 communication over the whole run: $comm"
  eval "s$ranks=$seconds"
done
python3 -c "print(f'speed-up, 2 ranks over 1: {$s1 / $s2:.2f}x')"
