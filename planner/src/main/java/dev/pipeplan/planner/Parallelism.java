package dev.pipeplan.planner;

import dev.pipeplan.models.Checks;

/**
 * The three parallel degrees of a plan; their product is the number of devices the plan uses.
 *
 * @param pp pipeline-parallel degree: pipeline devices (each holding v virtual stages)
 * @param dp data-parallel degree: model replicas, each running the whole pipeline on its share of
 *     the batch
 * @param tp tensor-parallel degree: devices that split every layer of a stage, always inside one
 *     node
 */
public record Parallelism(int pp, int dp, int tp) {
  public Parallelism {
    Checks.positive("pp", pp);
    Checks.positive("dp", dp);
    Checks.positive("tp", tp);
  }

  public static Parallelism of(int pp, int dp, int tp) {
    return new Parallelism(pp, dp, tp);
  }

  /** pp * dp * tp. */
  public int deviceCount() {
    return pp * dp * tp;
  }

  /**
   * The cluster device that runs tensor rank {@code tpRank} of replica {@code replica} on pipeline
   * device {@code pipelineDevice}: tensor ranks are adjacent (inside a node), then replicas, then
   * pipeline devices (Megatron's tp-dp-pp order).
   */
  public int clusterDevice(int pipelineDevice, int replica, int tpRank) {
    return (pipelineDevice * dp + replica) * tp + tpRank;
  }

  @Override
  public String toString() {
    return "pp=" + pp + " dp=" + dp + " tp=" + tp;
  }
}
