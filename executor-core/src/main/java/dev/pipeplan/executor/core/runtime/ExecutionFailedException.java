package dev.pipeplan.executor.core.runtime;

/**
 * A pipeline run stopped because a worker failed; the message names the device, stage and action.
 */
public final class ExecutionFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ExecutionFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
