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

  /**
   * How long the hand-off between stage {@code s} and stage {@code s + 1} spends on the link from
   * device {@code from} to device {@code to} (stage s's output going forward, or the gradient sent
   * back for it, the same size): the receiving action waits this long after the sending one ends,
   * and a blocking send holds its sender as long. 0 on one device.
   */
  public long handOffNanos(int s, int from, int to) {
    if (from == to) {
      return 0;
    }
    long nanos = links.transferNanos(from, to, stage(s).outputBytes());
    if (nanos < 0) {
      throw new IllegalStateException(
          "link model returned a negative transfer time ("
              + nanos
              + " ns) from device "
              + from
              + " to "
              + to);
    }
    return nanos;
  }

  /**
   * The receivers' gather of that hand-off's shares ({@link StageCost#handOffGatherNanos}): work on
   * the receiving device, before the action that uses it. 0 on one device, where nothing is sent.
   */
  public long gatherNanos(int s, int from, int to) {
    return from == to ? 0 : stage(s).handOffGatherNanos();
  }
}
