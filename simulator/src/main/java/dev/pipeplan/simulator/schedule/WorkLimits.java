package dev.pipeplan.simulator.schedule;

import dev.pipeplan.models.BadInputException;
import java.util.Locale;
import java.util.Objects;

/**
 * The largest sizes pipeplan builds, simulates or searches, in one place. Every entry point checks
 * a request against them <em>before</em> it allocates anything, from sizes alone, so that a huge
 * value is refused at once as bad input (naming the option, its value and the limit) instead of
 * running out of memory or running for hours. docs/design.md ("Work limits") says why each limit is
 * where it is.
 */
public final class WorkLimits {
  /** The most pipeline devices (p) of a schedule; published pipelines use 64 or fewer. */
  public static final int MAX_PIPELINE_DEVICES = 1024;

  /** The most global virtual stages (p · v) of a schedule. */
  public static final int MAX_STAGES = 4096;

  /** The most micro-batches (m) of one iteration. */
  public static final int MAX_MICRO_BATCHES = 1_000_000;

  /**
   * The most actions (p · v · m · 2, or 3 for kinds that split the backward) of one schedule: the
   * simulator keeps about 300 bytes per action for a full timeline and simulates about a million
   * actions per second with a model on a shared core, so this stays under 1 GiB of the default 4
   * GiB heap and a few seconds.
   */
  public static final long MAX_ACTIONS = 2_000_000;

  /** The largest global batch (samples per optimizer step) the planner searches. */
  public static final int MAX_GLOBAL_BATCH = 1 << 20;

  /** The largest sequence length, in tokens, a model may be planned or simulated with. */
  public static final int MAX_SEQUENCE_LENGTH = dev.pipeplan.models.ModelLimits.MAX_SEQUENCE;

  /** The most candidates (pp, dp, tp, b, m, kind, v) one search may enumerate. */
  public static final int MAX_SEARCH_CANDIDATES = 20_000;

  private WorkLimits() {}

  /**
   * The actions a schedule of this shape has: p · v · m · (3 when the kind splits backwards into I
   * and W, else 2); saturates at {@link Long#MAX_VALUE} instead of overflowing.
   */
  public static long actionCount(ScheduleKind kind, int deviceCount, int virtualStages, int m) {
    Objects.requireNonNull(kind, "kind");
    long perStageAndMicroBatch = kind.splitsBackward() ? 3 : 2;
    return saturatedProduct(
        saturatedProduct(saturatedProduct(deviceCount, virtualStages), m), perStageAndMicroBatch);
  }

  /**
   * Refuses a schedule request past the limits, from its sizes alone (nothing is allocated).
   *
   * @throws BadInputException naming the option, its value, the limit and a value that fits
   */
  public static void check(ScheduleRequest request) {
    Objects.requireNonNull(request, "request");
    check(
        request.kind(), request.deviceCount(), request.virtualStages(), request.microBatchCount());
  }

  /**
   * Refuses a schedule of kind, p, v and m past the limits, from the sizes alone.
   *
   * @throws BadInputException naming the option, its value, the limit and a value that fits
   */
  public static void check(ScheduleKind kind, int deviceCount, int virtualStages, int m) {
    checkPipelineDevices(deviceCount);
    long stages = (long) deviceCount * virtualStages;
    if (stages > MAX_STAGES) {
      throw new BadInputException(
          "--virtual-stages ("
              + virtualStages
              + ") with --pp "
              + deviceCount
              + " gives "
              + stages
              + " stages, above the limit of "
              + MAX_STAGES
              + " (pp x virtual stages). Maybe use --virtual-stages "
              + Math.max(1, MAX_STAGES / deviceCount)
              + " or fewer.");
    }
    requireSomeMicroBatchCount(kind, deviceCount, virtualStages);
    String fitting = microBatchRange(kind, deviceCount, virtualStages);
    if (m > MAX_MICRO_BATCHES) {
      throw new BadInputException(
          "--microbatches ("
              + m
              + ") is above the limit of "
              + grouped(MAX_MICRO_BATCHES)
              + " micro-batches per iteration. Maybe use --microbatches "
              + fitting
              + " (a larger micro-batch size keeps the batch).");
    }
    long actions = actionCount(kind, deviceCount, virtualStages, m);
    if (actions > MAX_ACTIONS) {
      throw new BadInputException(
          "--microbatches ("
              + m
              + ") with --pp "
              + deviceCount
              + " and "
              + virtualStages
              + " virtual stage(s) of "
              + kind.id()
              + " gives "
              + grouped(actions)
              + " actions (pp x v x m x "
              + (kind.splitsBackward() ? 3 : 2)
              + "), above the limit of "
              + grouped(MAX_ACTIONS)
              + " per schedule. Maybe use --microbatches "
              + fitting
              + " (a larger micro-batch size keeps the batch).");
    }
  }

  /**
   * The most micro-batches a schedule of this kind, p and v may have: {@link #MAX_MICRO_BATCHES},
   * or fewer where {@link #MAX_ACTIONS} binds first. Together with {@link
   * ScheduleKind#minMicroBatches} it bounds the counts a request may ask for.
   */
  public static int maxMicroBatches(ScheduleKind kind, int deviceCount, int virtualStages) {
    long perMicroBatch = actionCount(kind, deviceCount, virtualStages, 1);
    return (int) Math.min(MAX_MICRO_BATCHES, MAX_ACTIONS / Math.max(1, perMicroBatch));
  }

  /**
   * The most micro-batches a schedule of this one's shape (its stages, and its actions per
   * micro-batch) may have under {@link #check(Schedule)}: for a schedule read from a file, whose
   * kind is not known.
   */
  public static int maxMicroBatches(Schedule schedule) {
    Objects.requireNonNull(schedule, "schedule");
    long perMicroBatch =
        Math.max(
            -Math.floorDiv(-(long) schedule.actionCount(), schedule.microBatchCount()),
            2L * schedule.stageCount());
    return (int) Math.min(MAX_MICRO_BATCHES, MAX_ACTIONS / perMicroBatch);
  }

  /**
   * The micro-batch counts within every limit, for a "Maybe use --microbatches ..." hint: "between
   * L and M" where the kind has a minimum L above 1, "M" where that is the only one, "M or fewer"
   * where any count up to M will do, and "a multiple of S between L and M" for a kind whose counts
   * go in steps ({@link ScheduleKind#microBatchStep}). Call it only where {@link
   * #requireSomeMicroBatchCount} holds.
   */
  public static String microBatchRange(ScheduleKind kind, int deviceCount, int virtualStages) {
    int least = kind.minMicroBatches(deviceCount);
    int step = kind.microBatchStep(deviceCount);
    int most = maxMicroBatches(kind, deviceCount, virtualStages) / step * step;
    if (least == most) {
      return Integer.toString(most);
    }
    if (step > 1) {
      return "a multiple of " + step + " between " + least + " and " + most;
    }
    return least > 1 ? "between " + least + " and " + most : most + " or fewer";
  }

  /**
   * Refuses a kind, p and v for which no micro-batch count is allowed: the kind's minimum ({@link
   * ScheduleKind#minMicroBatches}, which grows with p) already gives more actions than {@link
   * #MAX_ACTIONS}. DualPipeV from p = 409 and interleaved from v·p² > 1,000,000 are such.
   *
   * @throws BadInputException naming both limits, with a p (and, where it helps, a v) that fits
   */
  public static void requireSomeMicroBatchCount(
      ScheduleKind kind, int deviceCount, int virtualStages) {
    int least = kind.minMicroBatches(deviceCount);
    int most = maxMicroBatches(kind, deviceCount, virtualStages);
    if (least <= most) {
      return;
    }
    int fewerDevices = deviceCount - 1;
    while (fewerDevices > 1
        && kind.minMicroBatches(fewerDevices)
            > maxMicroBatches(kind, fewerDevices, virtualStages)) {
      fewerDevices--;
    }
    int fewerStages = virtualStages - 1;
    while (fewerStages >= kind.minVirtualStages()
        && least > maxMicroBatches(kind, deviceCount, fewerStages)) {
      fewerStages--;
    }
    throw new BadInputException(
        kind.id()
            + " with --pp "
            + deviceCount
            + " and "
            + virtualStages
            + " virtual stage(s) has no micro-batch count within the limits: it needs at least "
            + grouped(least)
            + " micro-batches with --pp "
            + deviceCount
            + ", and the limit of "
            + grouped(MAX_ACTIONS)
            + " actions per schedule (pp x v x m x "
            + (kind.splitsBackward() ? 3 : 2)
            + ") allows at most "
            + grouped(most)
            + ". Maybe use "
            + (fewerStages >= kind.minVirtualStages()
                ? "--virtual-stages " + fewerStages + " or fewer, or "
                : "")
            + "--pp "
            + fewerDevices
            + " or fewer.");
  }

  /**
   * Refuses a schedule that was built elsewhere (read from a CSV file, a plan file) whose shape is
   * past the limits: too many devices or stages, or more actions, or more (stage, micro-batch)
   * pairs than {@link #MAX_ACTIONS} / 2 (each pair has at least an F and a backward), which is what
   * the validator and the simulator allocate for.
   */
  public static void check(Schedule schedule) {
    Objects.requireNonNull(schedule, "schedule");
    checkPipelineDevices(schedule.deviceCount());
    checkMicroBatches(schedule.microBatchCount());
    if (schedule.stageCount() > MAX_STAGES) {
      throw new BadInputException(
          "schedule '"
              + schedule.name()
              + "' has "
              + schedule.stageCount()
              + " stages, above the limit of "
              + MAX_STAGES
              + ". Maybe use fewer virtual stages.");
    }
    long pairs = saturatedProduct(schedule.stageCount(), schedule.microBatchCount());
    long actions = Math.max(schedule.actionCount(), saturatedProduct(pairs, 2));
    if (actions > MAX_ACTIONS) {
      throw new BadInputException(
          "schedule '"
              + schedule.name()
              + "' has "
              + schedule.stageCount()
              + " stages and "
              + schedule.microBatchCount()
              + " micro-batches, at least "
              + grouped(actions)
              + " actions, above the limit of "
              + grouped(MAX_ACTIONS)
              + " per schedule. Maybe use fewer micro-batches.");
    }
  }

  /** Refuses a pipeline degree past {@link #MAX_PIPELINE_DEVICES}. */
  public static void checkPipelineDevices(int deviceCount) {
    if (deviceCount > MAX_PIPELINE_DEVICES) {
      throw new BadInputException(
          "--pp ("
              + deviceCount
              + ") is above the limit of "
              + MAX_PIPELINE_DEVICES
              + " pipeline devices. Maybe use --pp "
              + MAX_PIPELINE_DEVICES
              + " or fewer (with data or tensor parallelism for the other devices).");
    }
  }

  /** Refuses a micro-batch count past {@link #MAX_MICRO_BATCHES}. */
  public static void checkMicroBatches(int m) {
    if (m > MAX_MICRO_BATCHES) {
      throw new BadInputException(
          "--microbatches ("
              + m
              + ") is above the limit of "
              + grouped(MAX_MICRO_BATCHES)
              + " micro-batches per iteration. Maybe use --microbatches "
              + MAX_MICRO_BATCHES
              + " or fewer (a larger micro-batch size keeps the batch).");
    }
  }

  /** Refuses a global batch (given as {@code --global-batch}) past {@link #MAX_GLOBAL_BATCH}. */
  public static void checkGlobalBatch(long globalBatch) {
    checkSamples("--global-batch", globalBatch);
  }

  /**
   * Refuses samples per optimizer step past {@link #MAX_GLOBAL_BATCH}; {@code option} names the
   * option (or the product of options) the user gave.
   */
  public static void checkSamples(String option, long samples) {
    if (samples > MAX_GLOBAL_BATCH) {
      throw new BadInputException(
          option
              + " ("
              + samples
              + ") is above the limit of "
              + grouped(MAX_GLOBAL_BATCH)
              + " samples per optimizer step. Maybe use "
              + grouped(MAX_GLOBAL_BATCH)
              + " or fewer (or accumulate gradients over several steps).");
    }
  }

  /**
   * The sequence length a {@code --seq} option asks for: 0 (the model's own) when it was left out;
   * a given value must be from 1 to {@link #MAX_SEQUENCE_LENGTH} (a given 0 used to mean the
   * model's own length without a word, and a negative one was refused as "must be > 0 (or 0 ...)").
   *
   * @param given the option's value, null when it was not given
   */
  public static int sequenceLengthOption(Integer given) {
    if (given == null) {
      return 0;
    }
    if (given <= 0) {
      throw new BadInputException(
          "--seq must be > 0, got "
              + given
              + ". Maybe leave --seq out for the model's own sequence length ('pipeplan models"
              + " show MODEL' prints it).");
    }
    checkSequenceLength(given);
    return given;
  }

  /** Refuses a sequence length past {@link #MAX_SEQUENCE_LENGTH}. */
  public static void checkSequenceLength(long tokens) {
    if (tokens > MAX_SEQUENCE_LENGTH) {
      throw new BadInputException(
          "--seq ("
              + tokens
              + ") is above the limit of "
              + grouped(MAX_SEQUENCE_LENGTH)
              + " tokens. Maybe use --seq "
              + MAX_SEQUENCE_LENGTH
              + " or fewer.");
    }
  }

  /** a · b, or {@link Long#MAX_VALUE} where it would overflow; both must be >= 0. */
  static long saturatedProduct(long a, long b) {
    long high = Math.multiplyHigh(a, b);
    long low = a * b;
    return high != 0 || low < 0 ? Long.MAX_VALUE : low;
  }

  /** 4000000 as "4,000,000". */
  static String grouped(long value) {
    return String.format(Locale.ROOT, "%,d", value);
  }
}
