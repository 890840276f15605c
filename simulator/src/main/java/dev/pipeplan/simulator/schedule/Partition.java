package dev.pipeplan.simulator.schedule;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A split of a model's layers into contiguous global virtual stages: stage s holds {@code
 * layerCounts.get(s)} layers, starting where stage s-1 ended. No stage is empty.
 *
 * @param layerCounts layers per stage, each at least 1
 */
public record Partition(List<Integer> layerCounts) {
  public Partition {
    layerCounts = List.copyOf(Objects.requireNonNull(layerCounts, "layerCounts"));
    if (layerCounts.isEmpty()) {
      throw new BadInputException("partition has no stages");
    }
    for (int s = 0; s < layerCounts.size(); s++) {
      if (layerCounts.get(s) < 1) {
        throw new BadInputException(
            "partition stage "
                + s
                + " has "
                + layerCounts.get(s)
                + " layers; every stage needs at least 1");
      }
    }
    long total = layerCounts.stream().mapToLong(Integer::longValue).sum();
    if (total > Integer.MAX_VALUE) {
      // summed as int, 2147483647,2 covered -2147483647 layers
      throw new BadInputException(
          "partition "
              + layerCounts.stream().map(String::valueOf).collect(Collectors.joining(","))
              + " covers "
              + total
              + " layers, more than any model has");
    }
  }

  public static Partition of(int... counts) {
    List<Integer> list = new ArrayList<>(counts.length);
    for (int c : counts) {
      list.add(c);
    }
    return new Partition(list);
  }

  /**
   * Layers split as evenly as possible, earlier stages taking the remainder (Megatron's uniform
   * split).
   */
  public static Partition uniform(int layerCount, int stageCount) {
    if (stageCount > layerCount) {
      throw new BadInputException(
          "stage count ("
              + stageCount
              + ") exceeds the layer count ("
              + layerCount
              + ")."
              + " Maybe use fewer pipeline stages.");
    }
    List<Integer> list = new ArrayList<>(stageCount);
    for (int s = 0; s < stageCount; s++) {
      list.add(layerCount / stageCount + (s < layerCount % stageCount ? 1 : 0));
    }
    return new Partition(list);
  }

  /** Reads "3,3,2,2". */
  public static Partition parse(String text) {
    List<Integer> list = new ArrayList<>();
    // -1 keeps trailing empty items: "5,5," is refused as "5,,5" is, not read as "5,5"
    for (String part : Objects.requireNonNull(text, "text").split(",", -1)) {
      try {
        list.add(Integer.parseInt(part.trim()));
      } catch (NumberFormatException e) {
        throw new BadInputException(
            "partition '" + text + "': '" + part.trim() + "' is not a layer count", e);
      }
    }
    return new Partition(list);
  }

  public int stageCount() {
    return layerCounts.size();
  }

  public int layerCount() {
    int n = 0;
    for (int c : layerCounts) {
      n += c;
    }
    return n;
  }

  /** Index of the first layer of a stage. */
  public int firstLayer(int stage) {
    int first = 0;
    for (int s = 0; s < stage; s++) {
      first += layerCounts.get(s);
    }
    return first;
  }

  /** Index one past the last layer of a stage. */
  public int endLayer(int stage) {
    return firstLayer(stage) + layerCounts.get(stage);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (int c : layerCounts) {
      b.append(b.length() == 0 ? "" : ",").append(c);
    }
    return b.toString();
  }

  /** Refuses this partition unless it covers exactly {@code model}'s layers. */
  public void requireCovers(ModelSpec model) {
    Objects.requireNonNull(model, "model");
    if (layerCount() != model.layerCount()) {
      throw new BadInputException(
          "partition "
              + this
              + " covers "
              + layerCount()
              + " layers but model '"
              + model.name()
              + "' has "
              + model.layerCount());
    }
  }

  /** Refuses this partition unless it has one stage per stage of {@code schedule}. */
  public void requireStagesOf(Schedule schedule) {
    Objects.requireNonNull(schedule, "schedule");
    if (stageCount() != schedule.stageCount()) {
      throw new BadInputException(
          "partition "
              + this
              + " has "
              + stageCount()
              + " stages but schedule '"
              + schedule.name()
              + "' has "
              + schedule.stageCount());
    }
  }
}
