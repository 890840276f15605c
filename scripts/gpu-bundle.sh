#!/usr/bin/env bash
# Builds gpu-bundle/: a jlinked JRE, executor-cuda's runtime jars (the PTX is inside its jar) and run.sh, which runs
# 'CudaMain gpu-check' on a GPU machine without Java or Maven. Carry it with the device tool: carry ["gpu-bundle"].
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/gpu-bundle"
(cd "$root" && mvn -q -B -o -DskipTests -pl executor-cuda -am install)
rm -rf "$out"
mkdir -p "$out/lib"
cp "$root/executor-cuda/target/pipeplan-executor-cuda-0.1.0-SNAPSHOT.jar" "$out/lib/"
for m in models simulator planner; do
  cp "$root/$m/target/pipeplan-$m-0.1.0-SNAPSHOT.jar" "$out/lib/"
done
tr ':' '\n' <"$root/executor-cuda/target/runtime-classpath.txt" | grep -v 'pipeplan-' | while read -r jar; do
  [[ -n "$jar" ]] && cp "$jar" "$out/lib/"
done
modules="$(jdeps --multi-release 17 --ignore-missing-deps --print-module-deps --class-path "$out/lib/*" \
  "$out"/lib/pipeplan-*.jar)"
# javacpp reflects on jdk.unsupported (sun.misc.Unsafe) and reads its cache with java.logging
jlink --add-modules "$modules,jdk.unsupported,java.logging" --strip-debug --no-header-files --no-man-pages \
  --compress=2 --output "$out/jre"
cat >"$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the GPU check: finds libcudart/libcublas (system CUDA or PyTorch's wheels) and writes into ${OUT:-./gpu-out}.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/gpu-out}"
mkdir -p "$out"
dirs=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [[ -d "$d" ]] && dirs="$dirs:$d"
done
for py in python3 python; do
  if command -v "$py" >/dev/null 2>&1; then
    site="$("$py" -c 'import nvidia, os; print(os.pathsep.join(nvidia.__path__))' 2>/dev/null || true)"
    for s in ${site//:/ }; do
      for lib in "$s"/*/lib; do
        [[ -d "$lib" ]] && dirs="$dirs:$lib"
      done
    done
    break
  fi
done
export LD_LIBRARY_PATH="${dirs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" | tee "$out/environment.txt"
(nvidia-smi || echo "nvidia-smi: not available") >>"$out/environment.txt" 2>&1
if ! ls ${LD_LIBRARY_PATH//:/ } 2>/dev/null | grep -q 'libcublas.so.13'; then
  echo "run.sh: libcublas.so.13 not found (no CUDA 13 toolkit and no PyTorch nvidia-cublas wheel); the check needs a GPU machine" >&2
fi
"$here/jre/bin/java" -Xmx8g -Dorg.bytedeco.javacpp.cachedir="${TMPDIR:-/tmp}/pipeplan-javacpp" \
  -cp "$here/lib/*" dev.pipeplan.cuda.CudaMain gpu-check -o "$out" "$@" 2>&1 | tee "$out/gpu-check.log"
rc=${PIPESTATUS[0]}
echo "gpu-check exit code $rc" | tee -a "$out/gpu-check.log"
exit "$rc"
RUN
chmod +x "$out/run.sh"
echo "gpu-bundle: $(du -sh "$out" | cut -f1) ($(du -sb "$out" | cut -f1) bytes); JRE modules: $modules,jdk.unsupported,java.logging"
