package dev.pipeplan.planner;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.pipeplan.models.Checks;

/**
 * The parallel degrees of a plan; their product is the number of devices the plan uses.
 *
 * @param pp pipeline-parallel degree: pipeline devices (each holding v virtual stages)
 * @param dp data-parallel degree: model replicas, each running the whole pipeline on its share of
 *     the batch
 * @param tp tensor-parallel degree: devices that split every layer of a stage, always inside one
 *     node
 * @param cp context-parallel degree: devices that split every sequence of a micro-batch, each
 *     holding s/cp of its tokens and passing keys and values round a ring in attention (Megatron's
 *     {@code --context-parallel-size}); 1, and left out of plan files, without it
 */
public record Parallelism(
    int pp,
    int dp,
    int tp,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = OneFilter.class) int cp) {
  public Parallelism {
    Checks.positive("pp", pp);
    Checks.positive("dp", dp);
    Checks.positive("tp", tp);
    Checks.positive("cp", cp);
  }

  /** Without context parallelism (cp = 1). */
  public Parallelism(int pp, int dp, int tp) {
    this(pp, dp, tp, 1);
  }

  /** A plan file's degrees; one written before context parallelism existed has no cp: 1. */
  @JsonCreator
  static Parallelism fromJson(
      @JsonProperty(value = "pp", required = true) int pp,
      @JsonProperty(value = "dp", required = true) int dp,
      @JsonProperty(value = "tp", required = true) int tp,
      @JsonProperty("cp") Integer cp) {
    return new Parallelism(pp, dp, tp, cp == null ? 1 : cp);
  }

  /**
   * Leaves cp = 1 out of a written plan, so that plans without context parallelism stay as were.
   */
  static final class OneFilter {
    @Override
    public boolean equals(Object value) {
      return value instanceof Integer i && i == 1;
    }

    @Override
    public int hashCode() {
      return 0;
    }
  }

  public static Parallelism of(int pp, int dp, int tp) {
    return new Parallelism(pp, dp, tp);
  }

  /** pp * dp * tp * cp. */
  public int deviceCount() {
    return pp * dp * tp * cp;
  }

  /** tp * cp: the devices of one pipeline device of one replica. */
  public int devicesPerStage() {
    return tp * cp;
  }

  /** dp * cp: the ranks that hold the same weights and reduce their gradients together. */
  public int gradientGroup() {
    return dp * cp;
  }

  /**
   * The cluster device that runs tensor rank {@code tpRank} of replica {@code replica} on pipeline
   * device {@code pipelineDevice}, context-parallel rank 0.
   */
  public int clusterDevice(int pipelineDevice, int replica, int tpRank) {
    return clusterDevice(pipelineDevice, replica, 0, tpRank);
  }

  /**
   * The cluster device that runs tensor rank {@code tpRank} of context-parallel rank {@code cpRank}
   * of replica {@code replica} on pipeline device {@code pipelineDevice}: tensor ranks are adjacent
   * (inside a node), then context-parallel ranks, then replicas, then pipeline devices (Megatron's
   * tp-cp-dp-pp order).
   */
  public int clusterDevice(int pipelineDevice, int replica, int cpRank, int tpRank) {
    return ((pipelineDevice * dp + replica) * cp + cpRank) * tp + tpRank;
  }

  @Override
  public String toString() {
    return "pp=" + pp + " dp=" + dp + " tp=" + tp + (cp > 1 ? " cp=" + cp : "");
  }
}
