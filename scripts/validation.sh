#!/usr/bin/env bash
# Checks pipeplan against the published, measured training runs of docs/validation.md, device by device:
# for each run, the predicted seconds per iteration of exactly the published configuration, with the device's
# microbenchmark efficiencies (the prior), with the efficiencies fitted to these runs (what the presets carry), and
# with a fit to the device's other runs (leave-one-out: the error a new run would see). About a minute.
#
#   bash scripts/validation.sh > table.txt        (from anywhere; the first ./pipeplan call builds)
#
# The runs, their sources and the conversion of each published number to seconds per iteration are in
# scripts/validation-runs.json and docs/validation.md. Error = measured / predicted seconds - 1 (the error of the
# predicted throughput): positive means pipeplan is optimistic.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/scripts"
for device in h100-sxm a100-80gb h100-sxm-96gb-500w; do
  ../pipeplan calibrate --measurements validation-runs.json --device "$device" --leave-one-out
  echo
done
# the context-parallel long-context run, under both readings of its TFLOP/s (docs/validation.md, last section)
../pipeplan calibrate --measurements long-context-runs.json --check
