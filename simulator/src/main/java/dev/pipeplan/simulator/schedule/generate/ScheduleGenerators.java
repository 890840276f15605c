package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.WorkLimits;
import java.util.Objects;

/**
 * The entry point to every schedule generator: {@link #generate(ScheduleRequest)} picks the
 * request's kind's.
 */
public final class ScheduleGenerators {
  private ScheduleGenerators() {}

  /**
   * Generates the schedule the request asks for.
   *
   * @throws dev.pipeplan.models.BadInputException naming the parameter, its value and the limit, if
   *     the kind does not accept the request or the schedule would be past {@link WorkLimits}
   *     (checked from the sizes, before anything is allocated)
   */
  public static Schedule generate(ScheduleRequest request) {
    Objects.requireNonNull(request, "request");
    RequestChecks.requireAcceptedVirtualStages(request);
    WorkLimits.check(request);
    return forKind(request.kind()).generate(request);
  }

  /** The generator of one kind. */
  public static ScheduleGenerator forKind(ScheduleKind kind) {
    return switch (Objects.requireNonNull(kind, "kind")) {
      case GPIPE -> new GPipeGenerator();
      case ONE_F_ONE_B -> new OneFOneBGenerator();
      case INTERLEAVED_1F1B -> new InterleavedGenerator();
      case LOOPED_BFS -> new LoopedBfsGenerator();
      case ZB_H1 -> new ZeroBubbleH1Generator();
      case ZB_H2 -> new ZeroBubbleH2Generator();
      case ZB_AUTO -> new ZeroBubbleAutoGenerator();
      case ZB_V -> new ZeroBubbleVGenerator();
      case V_HALF, V_MIN -> new VShapeMemoryGenerator(kind);
      case DUALPIPE_V -> new DualPipeVGenerator();
    };
  }

  /**
   * The most activation sets device {@code device} holds at once under the request's kind, counted
   * by walking its order: a forward adds one, the backward that finishes the (stage, micro-batch)
   * (B, or W when the backward is split) removes one. With v = 1 this is the number of
   * micro-batches in flight; with v chunks per device it counts (chunk, micro-batch) pairs, each
   * about 1/v of the device's activations for one micro-batch. For zb-auto it is the limit the
   * heuristic keeps to.
   *
   * @throws dev.pipeplan.models.BadInputException if the kind rejects the request
   */
  public static int maxInFlight(ScheduleRequest request, int device) {
    Objects.requireNonNull(request, "request");
    if (device < 0 || device >= request.deviceCount()) {
      throw new IllegalArgumentException(
          "device " + device + " is outside 0.." + (request.deviceCount() - 1));
    }
    RequestChecks.requireAccepted(request);
    return switch (request.kind()) {
      case GPIPE -> GPipeGenerator.maxInFlight(request, device);
      case ONE_F_ONE_B -> OneFOneBGenerator.maxInFlight(request, device);
      case INTERLEAVED_1F1B -> InterleavedGenerator.maxInFlight(request, device);
      case LOOPED_BFS -> LoopedBfsGenerator.maxInFlight(request, device);
      case ZB_H1 -> ZeroBubbleH1Generator.maxInFlight(request, device);
      case ZB_H2 -> ZeroBubbleH2Generator.maxInFlight(request, device);
      case ZB_AUTO -> ZeroBubbleAutoGenerator.maxInFlight(request, device);
      case ZB_V -> ZeroBubbleVGenerator.maxInFlight(request, device);
      case V_HALF, V_MIN -> VShapeMemoryGenerator.maxInFlight(request, device);
      case DUALPIPE_V -> DualPipeVGenerator.maxInFlight(request, device);
    };
  }
}
