package dev.pipeplan.planner;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Checks that the parts of a {@link Plan} agree with each other: the partition covers the model,
 * there are pp * v stages with a device and a cost each, the stages sit on the devices the schedule
 * kind places them on, every pipeline device has dp * tp distinct cluster devices, b * m * dp is
 * the global batch, and a post-validated optimizer step goes with a kind that allows it.
 */
public final class PlanValidator {
  private PlanValidator() {}

  /** Every inconsistency, in a fixed order; empty when the plan is consistent. */
  public static List<String> problems(Plan plan) {
    Objects.requireNonNull(plan, "plan");
    List<String> out = new ArrayList<>();
    Parallelism par = plan.parallelism();
    int stages = plan.partition().stageCount();
    int seq = plan.model().sequenceLength();
    for (LayerSpec layer : plan.model().layers()) {
      if (layer.shape() instanceof LayerShape.Embedding e
          && e.positions().isPresent()
          && e.positions().getAsLong() > 0
          && seq > e.positions().getAsLong()) {
        out.add(
            "the model's sequenceLength "
                + seq
                + " exceeds layer '"
                + layer.name()
                + "''s "
                + e.positions().getAsLong()
                + " learned positions");
      }
    }
    if (plan.partition().layerCount() != plan.model().layerCount()) {
      out.add(
          "partition covers "
              + plan.partition().layerCount()
              + " layers, model '"
              + plan.model().name()
              + "' has "
              + plan.model().layerCount());
    }
    if (stages != par.pp() * plan.virtualStages()) {
      out.add(
          "partition has "
              + stages
              + " stages, pp * virtualStages is "
              + par.pp() * plan.virtualStages());
    }
    if (plan.stageToDevice().size() != stages) {
      out.add(
          "stageToDevice has "
              + plan.stageToDevice().size()
              + " entries, the partition has "
              + stages
              + " stages");
    }
    for (int s = 0; s < plan.stageToDevice().size(); s++) {
      int d = plan.stageToDevice().get(s);
      if (d < 0 || d >= par.pp()) {
        out.add("stageToDevice[" + s + "] is " + d + ", outside 0.." + (par.pp() - 1));
      }
    }
    List<Integer> implied = impliedPlacement(plan);
    boolean devicesInRange = plan.stageToDevice().stream().allMatch(d -> d >= 0 && d < par.pp());
    if (plan.stageToDevice().size() == stages
        && devicesInRange
        && !plan.stageToDevice().equals(implied)) {
      out.add(
          "stageToDevice is "
              + plan.stageToDevice()
              + ", but the '"
              + plan.scheduleKind()
              + "' schedule with pp "
              + par.pp()
              + " and virtualStages "
              + plan.virtualStages()
              + " places stages "
              + implied
              + (plan.kind().vShaped() ? " (V-shaped)" : " (looped: stage s on device s mod pp)")
              + "; was the plan edited by hand? Maybe re-run 'pipeplan plan'");
    }
    if (plan.stageCosts().size() != stages) {
      out.add(
          "stageCosts has "
              + plan.stageCosts().size()
              + " entries, the partition has "
              + stages
              + " stages");
    }
    if (par.deviceCount() > plan.cluster().deviceCount()) {
      out.add(
          "pp * dp * tp is "
              + par.deviceCount()
              + ", cluster '"
              + plan.cluster().name()
              + "' has "
              + plan.cluster().deviceCount()
              + " devices");
    }
    if (plan.placement().size() != par.pp()) {
      out.add("placement has " + plan.placement().size() + " pipeline devices, pp is " + par.pp());
    }
    boolean[] used = new boolean[plan.cluster().deviceCount()];
    for (int d = 0; d < plan.placement().size(); d++) {
      List<Integer> devices = plan.placement().get(d);
      if (devices.size() != par.dp() * par.tp()) {
        out.add(
            "placement["
                + d
                + "] has "
                + devices.size()
                + " cluster devices, dp * tp is "
                + par.dp() * par.tp());
      }
      for (int c : devices) {
        if (c < 0 || c >= used.length) {
          out.add(
              "placement["
                  + d
                  + "] names cluster device "
                  + c
                  + ", outside 0.."
                  + (used.length - 1));
        } else if (used[c]) {
          out.add("placement[" + d + "] names cluster device " + c + " a second time");
        } else {
          used[c] = true;
        }
      }
    }
    if (plan.links().deviceNodes().size() != par.pp()) {
      out.add(
          "links.deviceNodes has "
              + plan.links().deviceNodes().size()
              + " entries, pp is "
              + par.pp());
    }
    long samples = (long) plan.microBatchSize() * plan.microBatchCount() * par.dp();
    if (samples != plan.training().globalBatch()) {
      out.add(
          "microBatchSize * microBatchCount * dp is "
              + samples
              + ", the global batch is "
              + plan.training().globalBatch());
    }
    if (plan.predicted().devices().size() != par.pp()) {
      out.add(
          "predicted.devices has "
              + plan.predicted().devices().size()
              + " entries, pp is "
              + par.pp());
    }
    if (plan.optimizerPostValidation() && !plan.kind().allowsOptimizerPostValidation()) {
      out.add(
          "optimizerPostValidation is true, but schedule kind '"
              + plan.kind()
              + "' steps the optimizer synchronously (only zb-h1, zb-h2, zb-auto, zb-v, v-half and"
              + " v-min post-validate it). Maybe remove the field or re-run 'pipeplan plan'");
    }
    return out;
  }

  /**
   * The stage to device map the plan's schedule kind implies: V-shaped kinds put stages d and
   * 2p-1-d on device d, every other kind puts stage s on device s mod p (see {@link Schedule}).
   */
  public static List<Integer> impliedPlacement(Plan plan) {
    int pp = plan.parallelism().pp();
    return plan.kind().vShaped()
        ? Schedule.vShapePlacement(pp)
        : Schedule.loopedPlacement(pp, plan.virtualStages());
  }

  /**
   * Throws {@link BadInputException} listing every inconsistency; returns the plan when there is
   * none.
   */
  public static Plan validate(Plan plan) {
    List<String> found = problems(plan);
    if (!found.isEmpty()) {
      throw new BadInputException("plan is inconsistent: " + String.join("; ", found));
    }
    return plan;
  }
}
