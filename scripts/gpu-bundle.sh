#!/usr/bin/env bash
# Builds gpu-bundle/ (ignored by git): a jlinked JRE, executor-cuda's runtime jars (the PTX is inside its jar; the
# CUDA presets' native jar trimmed to the two JNI libraries the backend loads) and run.sh, which runs
# 'CudaMain gpu-check' on a GPU machine without Java or Maven. Carry it with the device tool: carry ["gpu-bundle"].
# The device tool takes at most 64 MiB per call, the repository's tracked files included: the bundle must stay
# under 50 MiB, and this script fails when it does not.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/gpu-bundle"
limit_bytes=$((50 * 1024 * 1024))
upload_limit_bytes=$((64 * 1024 * 1024))

# The modules the bundle's code uses, checked below against jdeps: javacpp needs jdk.unsupported (sun.misc.Unsafe)
# and java.logging; ojalgo (the planner's MIP) reads the machine through com.sun.management (jdk.management).
# jdeps also lists java.desktop, java.sql and java.net.http for ojalgo's image and HTTP packages, commons-math's 2-D
# geometry and Jackson's optional java.sql/java.beans support: none is on the CUDA path, and they would add 14 MiB.
modules="java.base,java.logging,java.management,jdk.management,jdk.unsupported"
not_needed="java.desktop java.sql java.net.http"
# The JNI libraries of org.bytedeco:cuda that the backend loads: cudart (global.cudart) and cublas (global.cublas,
# which inherits cudart). The other 25 (cusolver, cusparse, cufft, nccl, nvrtc, npp, ...) are never loaded.
jni_keep="jnicudart jnicublas"

(cd "$root" && mvn -q -B -o -DskipTests -pl executor-cuda -am install)
rm -rf "$out"
mkdir -p "$out/lib"
cp "$root/executor-cuda/target/pipeplan-executor-cuda-0.1.0-SNAPSHOT.jar" "$out/lib/"
for m in models simulator planner executor-core; do
  cp "$root/$m/target/pipeplan-$m-0.1.0-SNAPSHOT.jar" "$out/lib/"
done
native_jar=""
while read -r jar || [[ -n "$jar" ]]; do
  [[ -z "$jar" || "$(basename "$jar")" == pipeplan-* ]] && continue
  case "$(basename "$jar")" in
    jfreechart-*|nd4j-*|openblas-*|javacpp-1.5.7*)
      echo "gpu-bundle: $(basename "$jar") is on executor-cuda's runtime classpath; the CUDA path never loads it" >&2
      exit 1 ;;
    cuda-*-linux-x86_64.jar) native_jar="$jar" ;;
    *) cp "$jar" "$out/lib/" ;;
  esac
done < <(tr ':' '\n' <"$root/executor-cuda/target/runtime-classpath.txt")
[[ -n "$native_jar" ]] || { echo "gpu-bundle: no org.bytedeco:cuda linux-x86_64 jar on the classpath" >&2; exit 1; }

# The trimmed native jar keeps its file name: javacpp names its extraction cache after it.
trim="$(mktemp -d)"
trap 'rm -rf "$trim"' EXIT
(cd "$trim" && unzip -q "$native_jar" 'META-INF/MANIFEST.MF' 'META-INF/maven/*')
for lib in $jni_keep; do
  (cd "$trim" && unzip -q "$native_jar" "org/bytedeco/cuda/linux-x86_64/lib$lib.so" \
    "META-INF/native-image/linux-x86_64/$lib/*")
done
jar --create --file "$out/lib/$(basename "$native_jar")" --manifest "$trim/META-INF/MANIFEST.MF" \
  -C "$trim" org -C "$trim" META-INF/maven -C "$trim" META-INF/native-image
for lib in $jni_keep; do
  unzip -l "$out/lib/$(basename "$native_jar")" | grep -q "lib$lib.so" \
    || { echo "gpu-bundle: lib$lib.so missing from the trimmed $(basename "$native_jar")" >&2; exit 1; }
done

# jdeps on the code the CUDA path runs (ours, picocli, javacpp, the presets): nothing outside $modules.
core_jars=()
for j in "$out"/lib/*.jar; do
  case "$(basename "$j")" in ojalgo-*|commons-math3-*|jackson-*|snakeyaml-*) ;; *) core_jars+=("$j") ;; esac
done
# each jar's own dependencies (with --class-path jdeps follows every reachable class, ojalgo's images included)
found="$(for j in "${core_jars[@]}"; do
  jdeps --multi-release 17 --ignore-missing-deps --print-module-deps "$j" 2>/dev/null | tail -1
done | tr ',' '\n' | grep -v '^$' | sort -u | paste -sd, -)"
for m in ${found//,/ }; do
  [[ ",$modules," == *",$m,"* ]] || { echo "gpu-bundle: jdeps says the code needs $m, not in $modules" >&2; exit 1; }
done
echo "gpu-bundle: jdeps on pipeplan, picocli, javacpp, cuda presets: $found (linking $modules; not $not_needed)"

compress="--compress=2"
if [[ "$(jlink --version | cut -d. -f1)" -ge 21 ]]; then
  compress="--compress=zip-6"
fi
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages "$compress" --output "$out/jre"
# Debian's libjvm.so keeps its symbol table (4 MiB); the JVM does not need it.
if command -v strip >/dev/null 2>&1; then
  find "$out/jre" -name '*.so' -exec strip --strip-unneeded {} +
fi

cat >"$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the GPU check on a machine without Java: finds libcudart, libcublas and the driver's libcuda, then runs
# 'CudaMain gpu-check -o $OUT [arguments]' and exits with its exit code. Everything goes into ${OUT:-./gpu-out}:
# run.log (all of this output), environment.txt, gpu-check.log, profile.json, plan-*.json, run-*.json and
# accuracy-gpu.md, whose first 40 lines are printed at the end.
#   run.sh --dry-run     checks the libraries and the JRE, plans gpu-check's model and runs the self-check on GPU 0
#                        (every kernel and cuBLAS product against the host reference, events, the pool; 20 s)
#   PIPEPLAN_CUDA_SYNC=1 synchronizes after every kernel, so that a fault names its kernel (slow; for a rerun)
#   run.sh [options]     gpu-check; options pass through (see 'run.sh --help')
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$PWD/gpu-out}"
mkdir -p "$out"
dry=0
args=()
for a in "$@"; do
  if [[ "$a" == "--dry-run" ]]; then dry=1; else args+=("$a"); fi
done
required=(libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcuda.so.1)

# Folders that may hold the CUDA 13 libraries, most specific first: the caller's LD_LIBRARY_PATH, CUDA toolkits,
# PyTorch's NVIDIA wheels, the system's library folders.
candidates() {
  local d py nv
  IFS=: read -r -a ld <<<"${LD_LIBRARY_PATH:-}"
  for d in "${ld[@]}"; do [[ -n "$d" ]] && echo "$d"; done
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64 \
    /usr/local/cuda-*/targets/x86_64-linux/lib; do
    echo "$d"
  done
  for py in python3 python; do
    command -v "$py" >/dev/null 2>&1 || continue
    # nvidia is a namespace package in the wheels (no __file__): read __path__, else go through torch
    for nv in $("$py" -c 'import nvidia; print(" ".join(list(nvidia.__path__)))' 2>/dev/null) \
      $("$py" -c 'import torch, os; print(os.path.join(os.path.dirname(os.path.dirname(torch.__file__)), "nvidia"))' 2>/dev/null) \
      $("$py" -c 'import site; print(" ".join(p + "/nvidia" for p in site.getsitepackages()))' 2>/dev/null); do
      [[ -d "$nv" ]] || continue
      find "$nv" -maxdepth 3 -type d \( -name lib -o -name lib64 \) 2>/dev/null | sort
    done
    "$py" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null
    break
  done
  for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /usr/lib/wsl/lib; do echo "$d"; done
}

main() {
  local dirs="" lib d chosen rc missing=()
  declare -A seen=()
  mapfile -t cands < <(candidates)
  echo "run.sh: bundle $here, output $out"
  for lib in "${required[@]}"; do
    chosen=""
    for d in "${cands[@]}"; do
      if [[ -e "$d/$lib" ]]; then chosen="$d"; break; fi
    done
    if [[ -z "$chosen" ]] && command -v ldconfig >/dev/null 2>&1; then
      chosen="$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l { print $NF; exit }')"
      [[ -n "$chosen" ]] && chosen="$(dirname "$chosen")"
    fi
    if [[ -n "$chosen" ]]; then
      echo "run.sh: $lib: $(readlink -f "$chosen/$lib")"
      seen[$chosen]=1
    else
      echo "run.sh: $lib: NOT FOUND (looked in: $(printf '%s ' "${cands[@]}"))"
      missing+=("$lib")
    fi
  done
  # the chosen folders in search order, so that the loader, which tries every folder for every library, takes
  # each library from the folder printed above (not from another chosen folder listed earlier)
  for d in "${cands[@]}"; do
    if [[ -n "${seen[$d]:-}" ]]; then dirs="$dirs:$d"; unset "seen[$d]"; fi
  done
  for d in "${!seen[@]}"; do dirs="$dirs:$d"; done
  export LD_LIBRARY_PATH="${dirs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  {
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi -L; nvidia-smi; else echo "nvidia-smi: not available"; fi
  } >"$out/environment.txt" 2>&1
  echo "run.sh: LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi -L 2>&1 | sed 's/^/run.sh: nvidia-smi: /'
  else
    echo "run.sh: nvidia-smi: not available"
  fi
  if ! "$here/jre/bin/java" -version >/dev/null 2>&1; then
    echo "run.sh: the bundled JRE does not start:"; "$here/jre/bin/java" -version; return 1
  fi
  echo "run.sh: JRE $("$here/jre/bin/java" -version 2>&1 | head -1)"
  local java=("$here/jre/bin/java" -Xmx8g -Dorg.bytedeco.javacpp.cachedir="${TMPDIR:-/tmp}/pipeplan-javacpp"
    -cp "$here/lib/*" dev.pipeplan.cuda.CudaMain)
  if [[ "$dry" == 1 ]]; then
    "${java[@]}" probe -o "$out" 2>&1 | tee "$out/probe.log"
    rc=${PIPESTATUS[0]}
    echo "run.sh: dry run: probe exit code $rc (0: GPU usable, 1: not); missing: ${missing[*]:-none}"
    return "$rc"
  fi
  # ${args[@]+...}: an empty array is "unbound" under set -u in bash before 4.4
  "${java[@]}" gpu-check -o "$out" ${args[@]+"${args[@]}"} 2>&1 | tee "$out/gpu-check.log"
  rc=${PIPESTATUS[0]}
  echo "run.sh: gpu-check exit code $rc"
  if [[ -f "$out/accuracy-gpu.md" ]]; then
    echo "run.sh: first 40 lines of $out/accuracy-gpu.md:"
    head -n 40 "$out/accuracy-gpu.md"
  fi
  return "$rc"
}

main 2>&1 | tee "$out/run.log"
exit "${PIPESTATUS[0]}"
RUN
chmod +x "$out/run.sh"

size() { du -sb "$1" | cut -f1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
jre_bytes="$(size "$out/jre")"
lib_bytes="$(size "$out/lib")"
bundle_bytes="$(size "$out")"
tracked_bytes="$(cd "$root" && git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)"
echo "gpu-bundle: JRE $(mib "$jre_bytes") ($modules), jars $(mib "$lib_bytes"), bundle $(mib "$bundle_bytes");"
echo "gpu-bundle: with the tracked files ($(mib "$tracked_bytes")) one upload is $(mib $((bundle_bytes + tracked_bytes)))" \
  "of $(mib "$upload_limit_bytes")"
du -b "$out"/lib/*.jar | sort -n -r | awk '{ printf "  %8.1f KiB  %s\n", $1 / 1024, $2 }' | sed "s|$out/||"
if ((bundle_bytes > limit_bytes)); then
  echo "gpu-bundle: the bundle is over $(mib "$limit_bytes"); trim it" >&2
  exit 1
fi

# Self-check on this machine, with the bundle's own JRE and jars: gpu-check's planning and plan reading run (no
# module missing from the JRE), and, where libcudart.so.13 is here but no driver, the trimmed native jar's JNI
# libraries load against an empty stand-in libcuda.so.1 and the probe gets as far as cudaGetDeviceCount.
check="$(mktemp -d)"
trap 'rm -rf "$trim" "$check"' EXIT
java_cmd=("$out/jre/bin/java" -Dorg.bytedeco.javacpp.cachedir="$check/cache" -cp "$out/lib/*" dev.pipeplan.cuda.CudaMain)
set +e
"${java_cmd[@]}" probe -o "$check" >"$check/probe.log" 2>&1
rc=$?
set -e
if [[ $rc -gt 1 ]] || ! grep -q "planning interleaved: partition" "$check/probe.log"; then
  cat "$check/probe.log" >&2
  echo "gpu-bundle: self-check failed: probe exit code $rc" >&2
  exit 1
fi
set +e
"${java_cmd[@]}" run --plan "$check/probe-plan-interleaved.json" -o "$check/run.json" >"$check/run.log" 2>&1
rc=$?
set -e
if [[ $rc -ne 1 && $rc -ne 0 ]] || grep -q "Exception" "$check/run.log"; then
  cat "$check/run.log" >&2
  echo "gpu-bundle: self-check failed: 'run --plan' exit code $rc" >&2
  exit 1
fi
echo "gpu-bundle: self-check: probe planned 3 schedules and 'run' read a plan: $(head -1 "$check/run.log")"
cudart_dir=""
for d in $(tr : " " <<<"${LD_LIBRARY_PATH:-}") /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [[ -e "$d/libcudart.so.13" ]] && { cudart_dir="$d"; break; }
done
# (grep reads ldconfig's whole output: 'ldconfig | grep -q' under pipefail can fail with SIGPIPE when found)
if [[ -n "$cudart_dir" ]] && command -v gcc >/dev/null 2>&1 && ! grep -q 'libcuda.so.1 ' <(ldconfig -p 2>/dev/null); then
  echo 'int pipeplan_stand_in_driver;' >"$check/driver.c"
  gcc -shared -fPIC -o "$check/libcuda.so.1" "$check/driver.c"
  set +e
  LD_LIBRARY_PATH="$check:$cudart_dir" "${java_cmd[@]}" probe --kinds 1f1b >"$check/probe2.log" 2>&1
  set -e
  if ! grep -q "cudaGetDeviceCount returned" "$check/probe2.log"; then
    cat "$check/probe2.log" >&2
    echo "gpu-bundle: self-check failed: the trimmed JNI libraries did not load against $cudart_dir" >&2
    exit 1
  fi
  echo "gpu-bundle: self-check: jnicudart loads from the trimmed jar; $(head -1 "$check/probe2.log")"
else
  echo "gpu-bundle: self-check: no libcudart.so.13 or gcc here (or a real driver): JNI loading not checked"
fi
