# Megatron-LM arguments for plan of 'four-layers' on 'test-gpu:2x2', written by pipeplan.
# Layout stages are global virtual stages in order; stage s runs on pipeline rank s mod 2.
PIPEPLAN_ARGS=(
  --tensor-model-parallel-size 1
  --pipeline-model-parallel-size 2
  --num-layers 2
  --pipeline-model-parallel-layout "E|t|t|L"
  --micro-batch-size 2
  --global-batch-size 16
  --seq-length 128
  --bf16
  --attention-backend auto
  --overlap-grad-reduce
)
# Note: the model's blocks state no hidden size, heads and FFN width, so the model arguments are yours to give.
