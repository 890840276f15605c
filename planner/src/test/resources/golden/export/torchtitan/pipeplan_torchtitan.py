# torchtitan settings for the plan of 'four-layers' on 'test-gpu:2x2', written by pipeplan.
#
# Checked against torchtitan's torchtitan/config/configs.py (ParallelismConfig,
# TrainingConfig), torchtitan/distributed/pipeline_parallel.py, fsdp.py and
# activation_checkpoint.py, and PyTorch's torch/distributed/pipelining/schedules.py
# (get_schedule_class); see pipeplan's docs/formats.md, "Exports", for the versions.
#
# Use it from your own torchtitan config function, e.g. in my_runs.py:
#     from pipeplan_torchtitan import apply_pipeplan_plan
#     def my_run():
#         return apply_pipeplan_plan(llama3_8b())  # your base Trainer.Config
# then: NGPU=4 MODULE=my_runs CONFIG=my_run ./run_train.sh
#
# torchtitan runs schedule.csv with _PipelineScheduleRuntime whenever
# pipeline_parallel_schedule_csv is set; pipeline_parallel_schedule then only says
# how stages sit on ranks, and must be a name get_schedule_class knows.
# "PipelineScheduleSingle" puts stage s on rank s, as the plan does.
# The CSV replays pipeplan's '1f1b' order exactly; torchtitan's built-in equivalent is "1F1B".
# Module names follow torchtitan's decoder (tok_embeddings, layers.N, norm, lm_head).

import os

SCHEDULE_CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schedule.csv")


def apply_pipeplan_plan(config):
    p = config.parallelism
    p.pipeline_parallel_degree = 2
    p.tensor_parallel_degree = 1
    p.data_parallel_replicate_degree = 2
    p.data_parallel_shard_degree = 1
    p.num_pp_microbatches = 4
    p.pipeline_parallel_schedule = "PipelineScheduleSingle"
    p.pipeline_parallel_schedule_csv = SCHEDULE_CSV
    p.module_fqns_per_model_part = [
        ["tok_embeddings", "layers.0"],
        ["layers.1", "norm", "lm_head"],
    ]
    t = config.training
    # bf16 compute over fp32 weights, gradients and optimizer state
    t.dtype = "float32"
    t.mixed_precision_param = "bfloat16"
    t.mixed_precision_reduce = "float32"
    t.max_context_length = 128
    # b = 2 sequences per micro-batch, global batch 16 sequences
    t.num_tokens_per_microbatch_per_dp_rank = 256
    t.num_tokens_per_train_step = 2048
    # no activation checkpointing, as planned (torchtitan's default is SelectiveAC)
    config.activation_checkpoint = None
    return config
