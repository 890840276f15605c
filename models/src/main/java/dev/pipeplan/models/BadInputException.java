package dev.pipeplan.models;

/**
 * Input that pipeplan cannot accept: a malformed file, a missing or out-of-range field, an unknown
 * name, or a request that no plan can satisfy. The command line maps it to exit code 2 and prints
 * only the message, which names the field, its value and the limit (and a hint where there is an
 * obvious fix).
 */
public class BadInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BadInputException(String message) {
    super(message);
  }

  public BadInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
