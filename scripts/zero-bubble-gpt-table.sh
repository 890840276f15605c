#!/bin/bash
# zb-h2 and zb-auto on the zoo's GPT models (issue 13): analytic costs, H100, tp=1, b=1, m = 3p and
# 4p, with the optimizer step post-validated (the steady state of back-to-back iterations; neither
# the optimizer step nor the gradient sync is in these numbers). For each partition unit (whole
# layers, and blocks cut into their five steps with the LM head in vocabulary slices) the planner
# picks the partition and zb-auto's in-flight cap (plan --schedules zb-auto
# --optimizer-post-validation), and simulate times zb-h2 and zb-auto on that partition.
# "imbalance" is the bubble a period equal to the busiest device's work would have: no schedule of
# the partition beats it. Deterministic: the same bytes on every run.
cd "$(dirname "$0")/.."
tmp=${TMPDIR:-/tmp}
printf "| model | cluster | p | m | unit | pieces per stage | imbalance | zb-h2 bubble | zb-auto cap | zb-auto period ms | zb-auto bubble | zb-auto peak GiB |\n"
printf "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
for model in gpt2-xl gpt3-13b; do
  for cl in "h100:1x8 8" "h100:2x8 16"; do
    set -- $cl; cluster=$1; p=$2
    for mul in 3 4; do
      m=$((mul * p))
      for unit in layer step; do
        planfile=$tmp/pipeplan-zb-$model-$p-$m-$unit.json
        ./pipeplan plan --model $model --cluster $cluster --pp $p --tp 1 --microbatches $m \
          --microbatch-size 1 --global-batch $m --schedules zb-auto --optimizer-post-validation \
          --partition-unit $unit --quiet -o $planfile >/dev/null 2>&1 || { echo "plan failed: $model $cluster $m $unit" >&2; exit 1; }
        read part cap < <(python3 -c "import json; d=json.load(open('$planfile')); print(','.join(map(str, d['partition']['layerCounts'])), d['maxInFlightMicroBatches'])")
        sim="./pipeplan simulate --model $model --cluster $cluster --pp $p --microbatches $m --partition $part --partition-unit $unit --optimizer-post-validation --json"
        capopt=""; [ "$cap" != 0 ] && capopt="--max-in-flight $cap"
        h2=$($sim --schedule zb-h2 2>/dev/null | python3 -c "import json,sys; print('%.2f%%' % (100*json.load(sys.stdin)['postValidation']['bubbleRatio']))")
        auto=$($sim --schedule zb-auto $capopt --timeline $tmp/pipeplan-zb-t.json 2>/dev/null | python3 -c "
import json,sys
d=json.load(sys.stdin)
peak=max(x['peakMemoryBytes'] for x in d['devices'])
print('%.2f | %.2f%% | %.1f' % (d['postValidation']['periodNanos']/1e6, 100*d['postValidation']['bubbleRatio'], peak/2**30))")
        imbalance=$(python3 -c "
import json
t=json.load(open('$tmp/pipeplan-zb-t.json'))
busy={}
for a in t['actions']:
    busy[a['device']]=busy.get(a['device'],0)+a['endNanos']-a['startNanos']
print('%.2f%%' % (100*(1-sum(busy.values())/(len(busy)*max(busy.values())))))")
        [ "$cap" = 0 ] && cap="2p-1"
        echo "| $model | $cluster | $p | $m | $unit | $part | $imbalance | $h2 | $cap | $auto |"
      done
    done
  done
done
