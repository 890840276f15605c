/**
 * The command-line pieces both entry points share ({@code pipeplan}'s CPU commands and the CUDA
 * backend's {@code pipeplan-cuda}): one exit-code and error handler, the {@code --stacktrace}
 * option, and the options of {@code run} and {@code profile} as picocli mixins. What differs per
 * backend (its {@code --backend} default, profile repeats, the checks each backend makes) stays in
 * the entry point.
 */
package dev.pipeplan.executor.core.command;
