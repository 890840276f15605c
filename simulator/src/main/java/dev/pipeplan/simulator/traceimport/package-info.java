/**
 * Imports measured traces of pipeline runs on other engines into pipeplan's {@code Timeline}: the
 * per-rank trace files of the torch-script launcher ({@code run_pipeline.py}) and Chrome trace JSON
 * from the PyTorch profiler, whose {@code PP:<action>} events {@code torch.distributed.pipelining}
 * writes. The result becomes a measured run that {@code pipeplan report} compares with the plan's
 * prediction. See docs/formats.md, "PyTorch launcher traces".
 */
package dev.pipeplan.simulator.traceimport;
