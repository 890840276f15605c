#!/usr/bin/env bash
# The PyTorch check of docs/pytorch.md and issue 8: run pipeplan's plans with torch.distributed.pipelining on a
# machine that has PyTorch (4 ranks, gloo on CPU cores), then compare the measured traces with the predictions.
#
# Steps, alternating between this machine (Java, Maven) and the PyTorch machine (python3 with torch, no Java):
#   here:   scripts/torch-check.sh prepare               plans with the analytic CPU model, exports to torch-check/
#   there:  bash scripts/torch-check.sh profile           the launcher's per-layer profile -> $OUT/profile.json
#   here:   scripts/torch-check.sh prepare PROFILE.json   re-plans on the measured profile, exports again
#   there:  bash scripts/torch-check.sh run               torchrun each exported plan -> $OUT/<kind>/rank<R>.json
#   here:   scripts/torch-check.sh compare RESULTS_DIR    import-trace, report, accuracy table
#
# torch-check/ is ignored by git; carry it to the PyTorch machine with the repository.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/torch-check"
kinds=(1f1b zb-h1)
model=gpt-small-cpu
pp=4
microbatches=8
global_batch=32

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

prepare() {
  local profile="${1:-}"
  local profile_args=()
  if [[ -n "$profile" ]]; then
    [[ -f "$profile" ]] || { echo "torch-check: profile $profile does not exist" >&2; exit 2; }
    profile_args=(--profile "$profile")
  fi
  rm -rf "$work.tmp"
  mkdir -p "$work.tmp"
  for kind in "${kinds[@]}"; do
    "$root/pipeplan" plan --model "$model" --cluster "cpu:1x$pp" --global-batch "$global_batch" --pp "$pp" \
      --microbatches "$microbatches" --schedules "$kind" "${profile_args[@]}" --quiet -o "$work.tmp/$kind.plan.json" \
      | tail -1
    "$root/pipeplan" export --to torch-script --plan "$work.tmp/$kind.plan.json" -o "$work.tmp/$kind" >/dev/null
  done
  [[ -n "$profile" ]] && cp "$profile" "$work.tmp/profile.json"
  rm -rf "$work"
  mv "$work.tmp" "$work"
  echo "torch-check: plans and launchers in $work"
}

require_export() {
  [[ -d "$work/${kinds[0]}" ]] || { echo "torch-check: no $work; run 'scripts/torch-check.sh prepare' first" >&2; exit 2; }
  python3 -c 'import torch; print("torch", torch.__version__)' || { echo "torch-check: no PyTorch here" >&2; exit 1; }
  : "${OUT:?set OUT to the folder for the results}"
}

profile() {
  require_export
  (cd "$work/${kinds[0]}" && python3 pipeplan_plan.py && \
    python3 run_pipeline.py --profile --device cpu --threads 1 --profile-sizes 1,2,4,8 --profile-out "$OUT/profile.json")
}

run() {
  require_export
  for kind in "${kinds[@]}"; do
    echo "== $kind"
    rm -rf "$work/$kind/traces"
    (cd "$work/$kind" && python3 pipeplan_plan.py && OMP_NUM_THREADS=1 timeout 240 \
      torchrun --standalone --nproc-per-node "$pp" run_pipeline.py --device cpu --threads 1 --iterations 10 --warmup 3)
    mkdir -p "$OUT/$kind"
    cp "$work/$kind"/traces/rank*.json "$OUT/$kind/"
  done
  nproc > "$OUT/cores.txt"
  uptime >> "$OUT/cores.txt"
}

compare() {
  local results="${1:?give the folder the PyTorch machine wrote}"
  for kind in "${kinds[@]}"; do
    echo "== $kind"
    "$root/pipeplan" import-trace "$results/$kind" --plan "$work/$kind.plan.json" -o "$work/$kind.run.json"
    "$root/pipeplan" report --plan "$work/$kind.plan.json" --measured "$work/$kind.run.json" -o "$work/$kind-report"
  done
}

case "${1:-}" in
  prepare) prepare "${2:-}" ;;
  profile) profile ;;
  run) run ;;
  compare) compare "${2:-}" ;;
  *) usage ;;
esac
