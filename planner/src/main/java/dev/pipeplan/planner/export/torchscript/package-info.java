/**
 * The torch-script export: a plan as a small Python package that trains the plan's GPT with
 * PyTorch's {@code torch.distributed.pipelining} under {@code torchrun}, replaying the plan's
 * schedule CSV and tracing every action, so that {@code pipeplan import-trace} can compare
 * PyTorch's measured run with the prediction. The Python sources are resources beside this package;
 * see {@code docs/pytorch.md}.
 */
package dev.pipeplan.planner.export.torchscript;
