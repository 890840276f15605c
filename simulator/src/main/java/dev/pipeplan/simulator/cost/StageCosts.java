package dev.pipeplan.simulator.cost;

import java.util.List;
import java.util.Objects;

/**
 * The costs of every global virtual stage, plus how long a transfer between two pipeline devices
 * takes.
 *
 * @param stages one entry per global virtual stage, in stage order
 * @param links transfer times between pipeline devices
 */
public record StageCosts(List<StageCost> stages, LinkModel links) {
  public StageCosts {
    stages = List.copyOf(Objects.requireNonNull(stages, "stages"));
    Objects.requireNonNull(links, "links");
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
