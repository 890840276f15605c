package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.WorkLimits;

/**
 * The constraint checks the generators share; each message names the parameter, its value and the
 * limit. A parameter is named by its command-line option ("--group-size (3)"), as {@link
 * dev.pipeplan.simulator.schedule.WorkLimits} names them, so that a reader of another source (a
 * plan file) can put its own name for it in one place.
 */
final class RequestChecks {
  private RequestChecks() {}

  static void requireKind(ScheduleRequest request, ScheduleKind kind) {
    if (request.kind() != kind) {
      throw new IllegalArgumentException(
          "a " + kind.id() + " generator got a request for " + request.kind().id());
    }
  }

  /**
   * The kind takes the request's v at all: checked before the work limits, whose hints assume a v
   * the kind runs.
   */
  static void requireAcceptedVirtualStages(ScheduleRequest request) {
    ScheduleKind kind = request.kind();
    if (kind.acceptsVirtualStages(request.virtualStages())) {
      return;
    }
    throw new BadInputException(
        "--virtual-stages ("
            + request.virtualStages()
            + ") must be "
            + (kind.minVirtualStages() == kind.maxVirtualStages() ? "" : "at least ")
            + kind.minVirtualStages()
            + " for "
            + kind.id()
            + ". Maybe use --virtual-stages "
            + kind.minVirtualStages()
            + ".");
  }

  static void requireVirtualStages(ScheduleRequest request, int required, String hint) {
    if (request.virtualStages() != required) {
      throw new BadInputException(
          "--virtual-stages ("
              + request.virtualStages()
              + ") must be "
              + required
              + " for "
              + request.kind().id()
              + "."
              + hint);
    }
  }

  static void requireNoGroupSize(ScheduleRequest request) {
    if (request.groupSize() != 0) {
      throw new BadInputException(
          "--group-size ("
              + request.groupSize()
              + ") applies only to interleaved, not to "
              + request.kind().id()
              + ". Maybe drop --group-size.");
    }
  }

  /**
   * Refuses fewer micro-batches than the kind's minimum ({@link ScheduleKind#minMicroBatches}); the
   * hint names the counts that also stay within {@link WorkLimits}, or, where there are none, the
   * refusal says so.
   */
  static void requireMinimumMicroBatches(ScheduleRequest request, String why) {
    ScheduleKind kind = request.kind();
    int p = request.deviceCount();
    int least = kind.minMicroBatches(p);
    if (request.microBatchCount() < least) {
      WorkLimits.requireSomeMicroBatchCount(kind, p, request.virtualStages());
      throw new BadInputException(
          "--microbatches ("
              + request.microBatchCount()
              + ") must be >= "
              + least
              + " for "
              + kind.id()
              + " with pp "
              + p
              + why
              + ". Maybe use --microbatches "
              + WorkLimits.microBatchRange(kind, p, request.virtualStages())
              + ".");
    }
  }

  /**
   * The constraints of the request's kind on v, m and the group size (not the in-flight limit), as
   * its generator checks them; {@link ScheduleKind#maxInFlight} uses it so that it refuses what the
   * generator refuses.
   */
  static void requireAccepted(ScheduleRequest request) {
    ScheduleKind kind = request.kind();
    if (kind == ScheduleKind.INTERLEAVED_1F1B) {
      InterleavedGenerator.check(request);
      return;
    }
    if (!kind.acceptsVirtualStages(request.virtualStages())) {
      String range =
          kind.maxVirtualStages() == Integer.MAX_VALUE
              ? ">= " + kind.minVirtualStages()
              : String.valueOf(kind.minVirtualStages());
      throw new BadInputException(
          "--virtual-stages ("
              + request.virtualStages()
              + ") must be "
              + range
              + " for "
              + kind.id()
              + ". Maybe use --virtual-stages "
              + kind.defaultVirtualStages()
              + ".");
    }
    requireNoGroupSize(request);
    if (kind == ScheduleKind.DUALPIPE_V) {
      requireMinimumMicroBatches(request, DualPipeVGenerator.WHY_MINIMUM);
    }
  }

  /**
   * Rejects a request whose in-flight limit is below what the kind keeps in flight: only the
   * zero-bubble heuristic adapts to the limit, every other kind has a fixed count.
   */
  static void requireInFlightWithinLimit(ScheduleRequest request) {
    int limit = request.maxInFlightMicroBatches();
    if (limit == 0) {
      return;
    }
    for (int d = 0; d < request.deviceCount(); d++) {
      int inFlight = ScheduleGenerators.maxInFlight(request, d);
      if (inFlight > limit) {
        throw new BadInputException(
            "--max-in-flight ("
                + limit
                + ") is below the "
                + inFlight
                + " that "
                + request.kind().id()
                + " keeps on device "
                + d
                + ". Maybe use schedule kind zb-auto, which fits a limit.");
      }
    }
  }

  /**
   * The checks of every one-stage-per-device generator: the right kind, v = 1 ({@code hint} says
   * which kind has more stages per device), no micro-batch group size, and an in-flight limit the
   * schedule can keep.
   */
  static void requireOneStagePerDevice(ScheduleRequest request, ScheduleKind kind, String hint) {
    requireKind(request, kind);
    requireVirtualStages(request, 1, hint);
    requireNoGroupSize(request);
    requireInFlightWithinLimit(request);
  }
}
