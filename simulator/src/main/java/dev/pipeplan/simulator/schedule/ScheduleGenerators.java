package dev.pipeplan.simulator.schedule;

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
    WorkLimits.check(request);
    return forKind(request.kind()).generate(request);
  }

  /** The generator of one kind. */
  public static ScheduleGenerator forKind(ScheduleKind kind) {
    switch (Objects.requireNonNull(kind, "kind")) {
      case GPIPE:
        return new GPipeGenerator();
      case ONE_F_ONE_B:
        return new OneFOneBGenerator();
      case INTERLEAVED_1F1B:
        return new InterleavedGenerator();
      case LOOPED_BFS:
        return new LoopedBfsGenerator();
      case ZB_H1:
        return new ZeroBubbleH1Generator();
      case ZB_H2:
        return new ZeroBubbleH2Generator();
      case ZB_AUTO:
        return new ZeroBubbleAutoGenerator();
      case ZB_V:
        return new ZeroBubbleVGenerator();
      case V_HALF:
      case V_MIN:
        return new VShapeMemoryGenerator(kind);
      case DUALPIPE_V:
        return new DualPipeVGenerator();
      default:
        throw new IllegalStateException("no generator for " + kind);
    }
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    RequestChecks.requireAccepted(request);
    switch (request.kind()) {
      case GPIPE:
        return GPipeGenerator.maxInFlight(request, device);
      case ONE_F_ONE_B:
        return OneFOneBGenerator.maxInFlight(request, device);
      case INTERLEAVED_1F1B:
        return InterleavedGenerator.maxInFlight(request, device);
      case LOOPED_BFS:
        return LoopedBfsGenerator.maxInFlight(request, device);
      case ZB_H1:
        return ZeroBubbleH1Generator.maxInFlight(request, device);
      case ZB_H2:
        return ZeroBubbleH2Generator.maxInFlight(request, device);
      case ZB_AUTO:
        return ZeroBubbleAutoGenerator.maxInFlight(request, device);
      case ZB_V:
        return ZeroBubbleVGenerator.maxInFlight(request, device);
      case V_HALF:
      case V_MIN:
        return VShapeMemoryGenerator.maxInFlight(request, device);
      case DUALPIPE_V:
        return DualPipeVGenerator.maxInFlight(request, device);
      default:
        throw new IllegalStateException("no generator for " + request.kind());
    }
  }
}
