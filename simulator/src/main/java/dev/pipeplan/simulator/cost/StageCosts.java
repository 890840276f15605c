package dev.pipeplan.simulator.cost;

import java.util.List;
import java.util.Objects;

/**
 * The costs of every global virtual stage, plus how long a transfer between two pipeline devices
 * takes.
 *
 * @param stages one entry per global virtual stage, in stage order
 * @param links transfer times between pipeline devices
 * @param blockingSends whether a send holds the sending device until its transfer ends, on top of
 *     the receiver waiting for it
 */
public record StageCosts(List<StageCost> stages, LinkModel links, boolean blockingSends) {
  public StageCosts {
    stages = List.copyOf(Objects.requireNonNull(stages, "stages"));
    Objects.requireNonNull(links, "links");
  }

  /** Sends beside the compute: only the receiver waits for a transfer. */
  public StageCosts(List<StageCost> stages, LinkModel links) {
    this(stages, links, false);
  }

  /** Every stage the same cost, no communication. */
  public static StageCosts uniform(int stageCount, StageCost cost) {
    return new StageCosts(java.util.Collections.nCopies(stageCount, cost), LinkModel.free());
  }

  public int stageCount() {
    return stages.size();
  }

  public StageCost stage(int s) {
    return stages.get(s);
  }
}
