#!/usr/bin/env bash
# How far the a100-80gb preset, fitted to Megatron-family runs, carries to another engine: MosaicML llm-foundry's
# published MPT benchmarks (Composer + PyTorch FSDP) on one DGX A100 node. Like the independent check, these runs are
# never a calibration input: `calibrate --check` fits nothing. About ten seconds.
#
#   bash scripts/engine-check.sh > engine-check.txt        (from anywhere; the first ./pipeplan call builds)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/scripts/engine-check"
../../pipeplan calibrate --measurements llm-foundry-a100.json --check
