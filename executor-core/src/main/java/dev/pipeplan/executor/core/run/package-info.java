/**
 * What every backend's plan runner checks before it allocates anything: that the plan is one
 * pipeline replica without tensor parallelism, which is what the executors run. Each backend adds
 * its own limits (the CPU its memory, CUDA its layer kinds); the fp32 memory of a layer, which the
 * CPU's memory check and the profiler both estimate with, is here too.
 */
package dev.pipeplan.executor.core.run;
