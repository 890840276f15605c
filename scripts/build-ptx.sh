#!/usr/bin/env bash
# Regenerates the committed PTX of the CUDA backend's kernels from executor-cuda/src/main/cuda/pipeplan_kernels.cu.
# CI does not run this: the PTX is a committed, generated resource. compute_90 PTX is JIT-compiled by the driver for
# the GPU it runs on (sm_90 and newer). No GPU is needed, by either compiler:
#
# - nvcc (CUDA 12.8 or newer), when it is on the PATH or NVCC names it: nvcc -ptx -arch=compute_90 -O3 -lineinfo.
# - otherwise NVIDIA's runtime compiler NVRTC, through the JavaCPP CUDA presets (scripts/NvrtcPtx.java), with the
#   same options in NVRTC's spelling: --gpu-architecture=compute_90 --generate-line-info (NVRTC optimises device
#   code by default; nvcc's -O3 is a host-code option). It needs a JDK and, in the local Maven repository, the
#   presets' jars and org.bytedeco:cuda-redist's linux-x86_64 jar (380 MB, which holds libnvrtc):
#     mvn -B dependency:get -Dartifact=org.bytedeco:cuda-redist:13.1-9.19-1.5.13:jar:linux-x86_64
#   NVRTC 13.1 writes '.version 9.1' (the PTX ISA of CUDA 13.1, which a driver older than CUDA 13.1's refuses).
#   For the same source it writes the same instructions as nvcc 13.0, which wrote '.version 9.0' (checked entry by
#   entry when this path was added, docs/gpu.md), so the script writes 9.0, which CUDA 13.0 drivers load too;
#   PTX_VERSION=keep leaves NVRTC's own, PTX_VERSION=x.y writes another.
#
# USE_NVRTC=1 takes the NVRTC path even where nvcc is installed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/executor-cuda/src/main/cuda/pipeplan_kernels.cu"
out="$root/executor-cuda/src/main/resources/dev/pipeplan/cuda/kernels/pipeplan_kernels.ptx"
nvcc="${NVCC:-nvcc}"
mkdir -p "$(dirname "$out")"
tmp="$out.tmp"

if [[ "${USE_NVRTC:-0}" != 1 ]] && command -v "$nvcc" >/dev/null 2>&1; then
  "$nvcc" -ptx -arch=compute_90 -O3 -lineinfo -o "$tmp" "$src"
  mv "$tmp" "$out"
  echo "wrote $out ($(wc -c <"$out") bytes, $(grep -c '^.visible .entry' "$out") kernels) with $("$nvcc" --version | tail -1)"
  exit 0
fi

# NVRTC through the JavaCPP presets, at the versions executor-cuda builds with
presets="$(sed -n 's:.*<cuda-presets.version>\(.*\)</cuda-presets.version>.*:\1:p' "$root/pom.xml")"
javacpp="$(sed -n 's:.*<javacpp-cuda.version>\(.*\)</javacpp-cuda.version>.*:\1:p' "$root/pom.xml")"
repo="${MAVEN_REPOSITORY:-$HOME/.m2/repository}/org/bytedeco"
jars=(
  "$repo/javacpp/$javacpp/javacpp-$javacpp.jar"
  "$repo/javacpp/$javacpp/javacpp-$javacpp-linux-x86_64.jar"
  "$repo/cuda/$presets/cuda-$presets.jar"
  "$repo/cuda/$presets/cuda-$presets-linux-x86_64.jar"
  "$repo/cuda-redist/$presets/cuda-redist-$presets-linux-x86_64.jar"
)
for jar in "${jars[@]}"; do
  if [[ ! -f "$jar" ]]; then
    echo "build-ptx: no nvcc, and $jar is missing for the NVRTC path;" \
      "fetch it with: mvn -B dependency:get -Dartifact=org.bytedeco:$(basename "$(dirname "$(dirname "$jar")")"):$presets:jar:linux-x86_64" \
      "(or the presets' jars: mvn -o -B -q package -pl executor-cuda -am)" >&2
    exit 1
  fi
done
classpath="$(IFS=:; echo "${jars[*]}")"
classes="$(mktemp -d)"
trap 'rm -rf "$classes"; rm -f "$tmp"' EXIT
javac -d "$classes" -cp "$classpath" "$root/scripts/NvrtcPtx.java"
java -cp "$classes:$classpath" NvrtcPtx "$src" "$tmp" --gpu-architecture=compute_90 --generate-line-info
version="${PTX_VERSION:-9.0}"
if [[ "$version" != keep ]]; then
  sed -i "s/^\.version [0-9.]*\$/.version $version/" "$tmp"
fi
mv "$tmp" "$out"
echo "wrote $out ($(wc -c <"$out") bytes, $(grep -c '^.visible .entry' "$out") kernels, $(grep '^\.version' "$out")) with NVRTC"
