#!/bin/bash
# zb-auto vs zb-h2 on the zoo's GPT models, analytic costs, tp=1, b=1, the planner's partition.
cd "$(dirname "$0")/.."
printf "| model | cluster | p | m | partition (layers per stage) | zb-h2 ms | zb-h2 bubble | zb-auto ms | zb-auto bubble | lower bound ms | bubble at the bound |\n"
printf "|---|---|---|---|---|---|---|---|---|---|---|\n"
for model in gpt2-xl gpt3-13b; do
  for cl in "h100:1x8 8" "h100:2x8 16"; do
    set -- $cl; cluster=$1; p=$2
    for mul in 3 4; do
      m=$((mul * p))
      part=$(./pipeplan plan --model $model --cluster $cluster --pp $p --tp 1 --microbatches $m --microbatch-size 1 --global-batch $m --schedules zb-h2 --quiet --json 2>/dev/null | python3 -c "import json,sys; print(','.join(map(str, json.load(sys.stdin)['partition']['layerCounts'])))")
      row="| $model | $cluster | $p | $m | $part"
      for k in zb-h2 zb-auto; do
        out=$(./pipeplan simulate --model $model --cluster $cluster --pp $p --microbatches $m --partition $part --schedule $k --json --timeline ${TMPDIR:-/tmp}/pipeplan-zb-t-$k.json 2>/dev/null)
        row="$row | $(echo "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); print('%.2f | %.2f%%' % (d['iterationNanos']/1e6, 100*d['bubbleRatio']))")"
      done
      bound=$(python3 -c "
import json
t=json.load(open('${TMPDIR:-/tmp}/pipeplan-zb-t-zb-auto.json'))
first={}; busy={}
for a in t['actions']:
    d=a['device']; first[d]=min(first.get(d, a['startNanos']), a['startNanos']); busy[d]=busy.get(d,0)+a['endNanos']-a['startNanos']
lb=max(first[d]+busy[d] for d in busy)
print('%.2f | %.2f%%' % (lb/1e6, 100*(1-sum(busy.values())/(len(busy)*lb))))")
      echo "$row | $bound |"
    done
  done
done
