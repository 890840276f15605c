package dev.pipeplan.simulator.schedule;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.pipeplan.models.BadInputException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Every schedule kind pipeplan can generate, with the name used on the command line and in plan
 * files, and what each kind uses: its virtual-stage counts, whether it splits the backward into I
 * and W, its stage placement, and how many micro-batches it keeps in flight per device (for the
 * planner's memory check).
 */
public enum ScheduleKind {
  GPIPE("gpipe"),
  ONE_F_ONE_B("1f1b"),
  INTERLEAVED_1F1B("interleaved"),
  LOOPED_BFS("looped-bfs"),
  ZB_H1("zb-h1"),
  ZB_H2("zb-h2"),
  ZB_AUTO("zb-auto"),
  ZB_V("zb-v"),
  V_HALF("v-half"),
  V_MIN("v-min"),
  DUALPIPE_V("dualpipev");

  private final String id;

  ScheduleKind(String id) {
    this.id = id;
  }

  /** The kind's name in files and on the command line ("1f1b"). */
  @JsonValue
  public String id() {
    return id;
  }

  /** The id, so that messages name the kind as the user writes it. */
  @Override
  public String toString() {
    return id;
  }

  /** The smallest virtual-stage count v the kind accepts. */
  public int minVirtualStages() {
    return switch (this) {
      case INTERLEAVED_1F1B, ZB_V, V_HALF, V_MIN, DUALPIPE_V -> 2;
      case GPIPE, ONE_F_ONE_B, LOOPED_BFS, ZB_H1, ZB_H2, ZB_AUTO -> 1;
    };
  }

  /** The largest virtual-stage count v the kind accepts ({@link Integer#MAX_VALUE}: no limit). */
  public int maxVirtualStages() {
    return switch (this) {
      case INTERLEAVED_1F1B, LOOPED_BFS -> Integer.MAX_VALUE;
      case GPIPE, ONE_F_ONE_B, ZB_H1, ZB_H2, ZB_AUTO, ZB_V, V_HALF, V_MIN, DUALPIPE_V ->
          minVirtualStages();
    };
  }

  /** Whether the kind accepts {@code virtualStages} chunks per device. */
  public boolean acceptsVirtualStages(int virtualStages) {
    return virtualStages >= minVirtualStages() && virtualStages <= maxVirtualStages();
  }

  /** The v used when none is given: 2 for the V-shaped kinds and interleaved, else 1. */
  public int defaultVirtualStages() {
    return minVirtualStages();
  }

  /**
   * The fewest micro-batches the kind accepts on {@code deviceCount} devices: interleaved sends
   * them round the devices in groups of at least p, DualPipeV needs one for each of its 2p stages;
   * the other kinds take any count (with fewer than p, most of the iteration is bubble).
   */
  public int minMicroBatches(int deviceCount) {
    return switch (this) {
      case INTERLEAVED_1F1B -> deviceCount;
      case DUALPIPE_V -> 2 * deviceCount;
      case GPIPE, ONE_F_ONE_B, LOOPED_BFS, ZB_H1, ZB_H2, ZB_AUTO, ZB_V, V_HALF, V_MIN -> 1;
    };
  }

  /**
   * The micro-batch counts the kind takes with its default settings are multiples of this:
   * interleaved's micro-batches go round in groups of its default group size p, and a last group
   * must not be smaller than p (a larger {@code --group-size} allows other counts); the other kinds
   * take any count from {@link #minMicroBatches}.
   */
  public int microBatchStep(int deviceCount) {
    return switch (this) {
      case INTERLEAVED_1F1B -> deviceCount;
      case GPIPE, ONE_F_ONE_B, LOOPED_BFS, ZB_H1, ZB_H2, ZB_AUTO, ZB_V, V_HALF, V_MIN, DUALPIPE_V ->
          1;
    };
  }

  /**
   * The action types the kind's schedules use: F and B for the kinds with a fused backward; F, I
   * and W for the zero-bubble kinds; all four for DualPipeV, which fuses some backwards and splits
   * others.
   */
  public List<ActionType> actionTypes() {
    return switch (this) {
      case GPIPE, ONE_F_ONE_B, INTERLEAVED_1F1B, LOOPED_BFS -> List.of(ActionType.F, ActionType.B);
      case DUALPIPE_V -> List.of(ActionType.F, ActionType.I, ActionType.W, ActionType.B);
      case ZB_H1, ZB_H2, ZB_AUTO, ZB_V, V_HALF, V_MIN ->
          List.of(ActionType.F, ActionType.I, ActionType.W);
    };
  }

  /**
   * Whether the kind splits backwards into I (input gradient) and W (weight gradient), for some or
   * all of them.
   */
  public boolean splitsBackward() {
    return actionTypes().contains(ActionType.I);
  }

  /**
   * Whether stages are placed in a V ({@link Schedule#vShapePlacement}); else looped ({@code s mod
   * p}).
   */
  public boolean vShaped() {
    return switch (this) {
      case ZB_V, V_HALF, V_MIN, DUALPIPE_V -> true;
      case GPIPE, ONE_F_ONE_B, INTERLEAVED_1F1B, LOOPED_BFS, ZB_H1, ZB_H2, ZB_AUTO -> false;
    };
  }

  /**
   * Whether the kind's order depends on the stage costs ({@link ScheduleRequest#costs()}): the
   * searched kinds (zb-auto, v-half, v-min) do; the fixed patterns do not. A caller that has stage
   * costs should pass them to these kinds, and simulate the result with the same costs.
   */
  public boolean plansWithCosts() {
    return switch (this) {
      case ZB_AUTO, V_HALF, V_MIN -> true;
      case GPIPE, ONE_F_ONE_B, INTERLEAVED_1F1B, LOOPED_BFS, ZB_H1, ZB_H2, ZB_V, DUALPIPE_V ->
          false;
    };
  }

  /**
   * Whether the kind may run with its optimizer step post-validated ({@link
   * dev.pipeplan.simulator.engine.SteadyStateSimulator}): the kinds the Zero Bubble code runs with
   * {@code --enable-optimizer-post-validation}, which it honours only with {@code
   * --enable-zero-bubble} (its ZB-H1/H2/automatic schedules and its V schedules, ZB-V, V-Half and
   * V-Min), refuses for 1F1B-V and switches off otherwise ({@code megatron/core/zbpp_utils.py}).
   */
  public boolean allowsOptimizerPostValidation() {
    return switch (this) {
      case ZB_H1, ZB_H2, ZB_AUTO, ZB_V, V_HALF, V_MIN -> true;
      case GPIPE, ONE_F_ONE_B, INTERLEAVED_1F1B, LOOPED_BFS, DUALPIPE_V -> false;
    };
  }

  /** The kind with this id, for the command line and for files ({@code "scheduleKind": "1f1b"}). */
  @JsonCreator
  public static ScheduleKind parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    Optional<ScheduleKind> found = byId(t);
    if (found.isPresent()) {
      return found.get();
    }
    StringBuilder names = new StringBuilder();
    for (ScheduleKind k : values()) {
      names.append(names.length() == 0 ? "" : ", ").append(k.id);
    }
    throw new BadInputException("schedule kind '" + text + "' is unknown; use one of " + names);
  }

  /** The kind whose id is exactly {@code id} ("1f1b"); empty for any other name ("pytorch"). */
  public static Optional<ScheduleKind> byId(String id) {
    for (ScheduleKind k : values()) {
      if (k.id.equals(id)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
