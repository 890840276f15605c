package dev.pipeplan.models;

/**
 * Argument checks that throw {@link BadInputException} with the field, value and limit in the
 * message.
 */
public final class Checks {
  private Checks() {}

  public static long nonNegative(String field, long value) {
    if (value < 0) {
      throw new BadInputException(field + " must be >= 0, got " + value);
    }
    return value;
  }

  public static double nonNegative(String field, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new BadInputException(field + " must be a finite number >= 0, got " + value);
    }
    return value;
  }

  public static long positive(String field, long value) {
    if (value <= 0) {
      throw new BadInputException(field + " must be > 0, got " + value);
    }
    return value;
  }

  public static int positive(String field, int value) {
    if (value <= 0) {
      throw new BadInputException(field + " must be > 0, got " + value);
    }
    return value;
  }

  public static double positive(String field, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new BadInputException(field + " must be a finite number > 0, got " + value);
    }
    return value;
  }

  public static String nonBlank(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new BadInputException(field + " must not be empty");
    }
    return value;
  }
}
