#!/usr/bin/env bash
# How far the presets carry to runs they were not fitted on: on the a100-80gb preset (fitted mostly to Megatron-LM
# runs), MosaicML llm-foundry's published MPT benchmarks (Composer + PyTorch FSDP) on one DGX A100 node and the
# Megatron-Turing NLG 530B runs (Megatron-LM inside DeepSpeed's pipeline engine, 2021) on Selene; on H100, torchtitan's
# Float8 Llama 3.1 runs and Megatron-Bridge's published FP8 Llama 3 / 3.1 pre-training throughput on DGX-H100
# (Megatron-Core + Transformer Engine, releases 25.09 to 26.06). Like the independent check, these runs are never a
# calibration input: `calibrate --check` fits nothing. About twenty seconds.
#
#   bash scripts/engine-check.sh > engine-check.txt        (from anywhere; the first ./pipeplan call builds)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/scripts/engine-check"
../../pipeplan calibrate --measurements llm-foundry-a100.json --check
echo
../../pipeplan calibrate --measurements megatron-deepspeed-a100.json --check
echo
../../pipeplan calibrate --measurements torchtitan-fp8-h100.json --check
echo
../../pipeplan calibrate --measurements megatron-bridge-h100-fp8.json --check
