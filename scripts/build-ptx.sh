#!/usr/bin/env bash
# Regenerates the committed PTX of the CUDA backend's kernels from executor-cuda/src/main/cuda/*.cu.
# Needs nvcc (CUDA 12.8 or newer); CI does not run this: the PTX is a committed, generated resource.
# compute_90 PTX is JIT-compiled by the driver for the GPU it runs on (sm_90 and newer).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/executor-cuda/src/main/cuda/pipeplan_kernels.cu"
out="$root/executor-cuda/src/main/resources/dev/pipeplan/cuda/kernels/pipeplan_kernels.ptx"
nvcc="${NVCC:-nvcc}"
mkdir -p "$(dirname "$out")"
tmp="$out.tmp"
"$nvcc" -ptx -arch=compute_90 -O3 -lineinfo -o "$tmp" "$src"
mv "$tmp" "$out"
echo "wrote $out ($(wc -c <"$out") bytes, $(grep -c '^.visible .entry' "$out") kernels) with $("$nvcc" --version | tail -1)"
