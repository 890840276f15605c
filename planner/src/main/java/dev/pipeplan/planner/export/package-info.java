/**
 * Turns a plan into the settings of other training engines (PyTorch pipelining CSV, torchtitan,
 * Megatron-LM, DeepSpeed, torchgpipe), so that a plan found here can run on the engines users
 * already have; and into the torch-script launcher, a small Python package that trains the plan's
 * GPT with PyTorch's {@code torch.distributed.pipelining} under {@code torchrun} and traces every
 * action for {@code pipeplan import-trace} (its Python sources are the resources under {@code
 * dev/pipeplan/planner/export/torchscript/}; see {@code docs/pytorch.md}).
 */
package dev.pipeplan.planner.export;
