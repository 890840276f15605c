#!/bin/bash
# zb-h2 and zb-auto on the zoo's GPT models, analytic costs, tp=1, b=1, the planner's partition
# (plan --schedules zb-h2). Table 1: one synchronous iteration, and the steady state with the
# optimizer step post-validated (simulate --optimizer-post-validation; zb-auto then orders for the
# period). Table 2: what bounds the post-validated bubble: the partition's imbalance (the bubble if
# the period were the busiest device's work), zb-auto without its default memory limit of 2p-1
# activation sets (--max-in-flight m) with its peak memory, and zb-auto on a perfectly balanced
# partition (every device the average F, I, W of this one, no transfers) with and without the limit.
cd "$(dirname "$0")/.."
tmp=${TMPDIR:-/tmp}
t1=$tmp/pipeplan-zb-table1.md
t2=$tmp/pipeplan-zb-table2.md
printf "| model | cluster | p | m | partition (layers per stage) | zb-h2 ms | zb-h2 bubble | zb-auto ms | zb-auto bubble | zb-h2 post-validated period ms | bubble | zb-auto post-validated period ms | bubble |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n" >$t1
printf "| model | cluster | p | m | imbalance (bubble at the busiest device's work) | zb-auto post-validated, cap m: bubble | its peak memory GiB (limit) | balanced partition, zb-auto post-validated, cap 2p-1 | same, cap m |\n|---|---|---|---|---|---|---|---|---|\n" >$t2
pv_of() { python3 -c "import json,sys; d=json.load(sys.stdin)['postValidation']; print('%.2f | %.2f%%' % (d['periodNanos']/1e6, 100*d['bubbleRatio']))"; }
bubble_of() { python3 -c "import json,sys; d=json.load(sys.stdin)['postValidation']; print('%.2f%%' % (100*d['bubbleRatio']))"; }
for model in gpt2-xl gpt3-13b; do
  for cl in "h100:1x8 8" "h100:2x8 16"; do
    set -- $cl; cluster=$1; p=$2
    for mul in 3 4; do
      m=$((mul * p))
      part=$(./pipeplan plan --model $model --cluster $cluster --pp $p --tp 1 --microbatches $m --microbatch-size 1 --global-batch $m --schedules zb-h2 --quiet --json 2>/dev/null | python3 -c "import json,sys; print(','.join(map(str, json.load(sys.stdin)['partition']['layerCounts'])))")
      sim="./pipeplan simulate --model $model --cluster $cluster --pp $p --microbatches $m --partition $part"
      row="| $model | $cluster | $p | $m | $part"
      pv=""
      for k in zb-h2 zb-auto; do
        # Synchronous: the schedule ordered for one iteration.
        out=$($sim --schedule $k --json --timeline $tmp/pipeplan-zb-t-$k.json 2>/dev/null)
        row="$row | $(echo "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); print('%.2f | %.2f%%' % (d['iterationNanos']/1e6, 100*d['bubbleRatio']))")"
        pv="$pv | $($sim --schedule $k --optimizer-post-validation --json 2>/dev/null | pv_of)"
      done
      echo "$row$pv |" >>$t1
      read imbalance uniform < <(python3 -c "
import json
t=json.load(open('$tmp/pipeplan-zb-t-zb-auto.json'))
busy={}; total={'F':0,'I':0,'W':0}
for a in t['actions']:
    d=a['device']; dur=a['endNanos']-a['startNanos']; busy[d]=busy.get(d,0)+dur
    total[a['action'].lstrip('0123456789')[0]]+=dur
print('%.2f%%' % (100*(1-sum(busy.values())/(len(busy)*max(busy.values())))),
      ','.join('%.6f' % (total[k]/($p*$m)/1e6) for k in 'FIW'))")
      uncapped=$($sim --schedule zb-auto --optimizer-post-validation --max-in-flight $m --json 2>/dev/null | python3 -c "
import json,sys
d=json.load(sys.stdin)
peak=max(x['peakMemoryBytes'] for x in d['devices'])
print('%.2f%% | %.1f (%.1f)' % (100*d['postValidation']['bubbleRatio'], peak/2**30, d['memoryLimitBytes']/2**30))")
      uni="./pipeplan simulate --pp $p --microbatches $m --uniform-stage-ms $uniform --schedule zb-auto --optimizer-post-validation --json"
      balanced="$($uni 2>/dev/null | bubble_of) | $($uni --max-in-flight $m 2>/dev/null | bubble_of)"
      [ -n "$VERBOSE" ] && echo "$model $cluster m=$m: average F,I,W ms per device and micro-batch: $uniform" >&2
      echo "| $model | $cluster | $p | $m | $imbalance | $uncapped | $balanced |" >>$t2
    done
  done
done
cat $t1
echo
cat $t2
