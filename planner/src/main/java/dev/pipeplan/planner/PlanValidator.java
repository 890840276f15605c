package dev.pipeplan.planner;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.simulator.cost.CostRequest;
import dev.pipeplan.simulator.cost.CostSources;
import dev.pipeplan.simulator.cost.HandOffGathers;
import dev.pipeplan.simulator.cost.StageBytes;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.roofline.LayerOps;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * Checks that the parts of a {@link Plan} agree with each other: the partition covers the model,
 * there are pp * v stages with a device and a cost each, the stages sit on the devices the schedule
 * kind places them on, every pipeline device has dp * tp distinct cluster devices, b * m * dp is
 * the global batch, a post-validated optimizer step goes with a kind that allows it, and FP8
 * linears go with 16-bit training on devices with an FP8 rate; and, separately ({@link
 * #storedCostsProblem}), that the stored stage costs' bytes are the ones the partition and
 * micro-batch size give.
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
    // the model is stored at the plan's length: a run trains at training.sequenceLength, the
    // prediction and the layers' shapes are priced at the model's
    if (plan.training().sequenceLength() != seq) {
      out.add(
          "training.sequenceLength is "
              + plan.training().sequenceLength()
              + ", but the plan's model was priced at sequenceLength "
              + seq
              + "; was the plan edited by hand? Maybe re-run 'pipeplan plan' with --seq "
              + plan.training().sequenceLength());
    }
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
    // in long: a hand-edited pp near 2^31 would wrap
    long placedStages = (long) par.pp() * plan.virtualStages();
    if (stages != placedStages) {
      out.add("partition has " + stages + " stages, pp * virtualStages is " + placedStages);
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
    boolean devicesInRange = plan.stageToDevice().stream().allMatch(d -> d >= 0 && d < par.pp());
    // the implied placement has pp * v entries: built only when that is the partition's count
    List<Integer> implied = stages == placedStages ? impliedPlacement(plan) : List.of();
    if (plan.stageToDevice().size() == stages
        && stages == placedStages
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
    // in long: a hand-edited degree near 2^31 must not wrap round to a small or negative product
    long perStage = (long) par.dp() * par.tp() * par.cp();
    long devicesUsed = perStage * par.pp();
    if (devicesUsed > plan.cluster().deviceCount()) {
      out.add(
          (par.cp() > 1 ? "pp * dp * tp * cp is " : "pp * dp * tp is ")
              + devicesUsed
              + ", cluster '"
              + plan.cluster().name()
              + "' has "
              + plan.cluster().deviceCount()
              + " devices");
    }
    if (par.cp() > 1 && seq % (2L * par.cp()) != 0) {
      out.add(
          "parallelism.cp is "
              + par.cp()
              + ", but the sequence length "
              + seq
              + " does not split into 2 x cp = "
              + 2L * par.cp()
              + " chunks (Megatron-Core's load-balanced context parallelism)");
    }
    summariesOutsideTheCluster(plan, "runnersUp", plan.runnersUp(), out);
    summariesOutsideTheCluster(plan, "pareto", plan.pareto(), out);
    if (plan.placement().size() != par.pp()) {
      out.add("placement has " + plan.placement().size() + " pipeline devices, pp is " + par.pp());
    }
    boolean[] used = new boolean[plan.cluster().deviceCount()];
    for (int d = 0; d < plan.placement().size(); d++) {
      List<Integer> devices = plan.placement().get(d);
      if (devices.size() != perStage) {
        out.add(
            "placement["
                + d
                + "] has "
                + devices.size()
                + " cluster devices, "
                + (par.cp() > 1 ? "dp * tp * cp is " : "dp * tp is ")
                + perStage);
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
    PredictedMetrics predicted = plan.predicted();
    long parts =
        predicted.pipelineNanos()
            + predicted.dataParallelSyncNanos()
            + predicted.optimizerStepNanos();
    // a synchronous iteration is its three parts in a row; a post-validated one is the period
    if (!plan.optimizerPostValidation() && predicted.iterationNanos() != parts) {
      out.add(
          "predicted.iterationNanos is "
              + predicted.iterationNanos()
              + ", but pipelineNanos + dataParallelSyncNanos + optimizerStepNanos is "
              + parts
              + "; was the plan edited by hand? Maybe re-run 'pipeplan plan'");
    }
    if (plan.optimizerPostValidation() && !plan.kind().allowsOptimizerPostValidation()) {
      out.add(
          "optimizerPostValidation is true, but schedule kind '"
              + plan.kind()
              + "' steps the optimizer synchronously (only zb-h1, zb-h2, zb-auto, zb-v, v-half and"
              + " v-min post-validate it). Maybe remove the field or re-run 'pipeplan plan'");
    }
    if (plan.training().fp8Linears()) {
      // plan and simulate price FP8 linears only in 16-bit training on devices with an FP8 rate
      if (plan.training().dtype().bytes() != 2) {
        out.add(
            "training.fp8Linears is true, but training.dtype is "
                + plan.training().dtype().id()
                + ": FP8 linears cast 16-bit inputs, so 'pipeplan plan --fp8' prices them only in"
                + " bf16 or fp16 training; was the plan edited by hand? Maybe re-run 'pipeplan"
                + " plan' with --dtype bf16, or without --fp8");
      }
      for (DeviceGroup group : plan.cluster().groups()) {
        if (!group.device().sustainedFlopsPerSecond().containsKey(DType.FP8)) {
          out.add(
              "training.fp8Linears is true, but device '"
                  + group.device().name()
                  + "' of cluster '"
                  + plan.cluster().name()
                  + "' has no FP8 rate; was the plan edited by hand? Maybe re-run 'pipeplan plan'"
                  + " without --fp8");
        }
      }
      if (!LayerOps.hasFp8Linears(plan.model())) {
        out.add(
            "training.fp8Linears is true, but model '"
                + plan.model().name()
                + "' has no transformer block whose linear layers could run in FP8; was the plan"
                + " edited by hand? Maybe re-run 'pipeplan plan' without --fp8");
      }
    }
    return out;
  }

  /**
   * The ranked or Pareto candidates whose devices (pp · dp · tp · cp, in long: a hand-edited degree
   * near 2^31 must not wrap) are more than the cluster has: the report shows them as plans.
   */
  private static void summariesOutsideTheCluster(
      Plan plan, String field, List<PlanSummary> summaries, List<String> out) {
    for (int i = 0; i < summaries.size(); i++) {
      Parallelism p = summaries.get(i).parallelism();
      long devices = (long) p.pp() * p.dp() * p.tp() * p.cp();
      if (devices > plan.cluster().deviceCount()) {
        out.add(
            field
                + "["
                + i
                + "].parallelism needs pp * dp * tp * cp = "
                + devices
                + " devices, cluster '"
                + plan.cluster().name()
                + "' has "
                + plan.cluster().deviceCount());
      }
    }
  }

  /** The byte fields of a stage cost, in the order a mismatch is looked for. */
  private static final List<Map.Entry<String, ToLongFunction<StageBytes>>> BYTE_FIELDS =
      List.of(
          Map.entry("staticBytes", StageBytes::staticBytes),
          Map.entry("activationBytes", StageBytes::activationBytes),
          Map.entry("inputGradFreedBytes", StageBytes::inputGradFreedBytes),
          Map.entry("outputBytes", StageBytes::outputBytes),
          Map.entry("workspaceBytes", StageBytes::workspaceBytes));

  /**
   * Whether the bytes of the stored stage costs are the ones the plan's partition, micro-batch
   * size, tp and dp give. Every cost source computes a stage's bytes by the same rules from what
   * the plan holds ({@link StageBytes}), so a mismatch means the costs were priced for another
   * partition, micro-batch size or memory mode: a plan edited by hand after it was written. The
   * durations cannot be checked this way (a profile's are not in the plan). A stored workspace of 0
   * is accepted: plans written before the field existed have none.
   */
  public static Optional<String> storedCostsProblem(Plan plan) {
    Objects.requireNonNull(plan, "plan");
    if (plan.stageCosts().size() != plan.partition().stageCount()
        || plan.partition().layerCount() != plan.model().layerCount()) {
      return Optional.empty(); // problems() names these
    }
    Parallelism par = plan.parallelism();
    List<StageBytes> expected;
    try {
      expected =
          StageBytes.of(
              plan.model(),
              plan.training(),
              plan.partition(),
              plan.microBatchSize(),
              par.tp(),
              par.dp(),
              par.cp());
    } catch (ArithmeticException e) {
      return Optional.of(
          "the stage sizes of partition.layerCounts "
              + plan.partition().layerCounts()
              + " with microBatchSize "
              + plan.microBatchSize()
              + " overflow a long");
    }
    String first = null;
    String firstField = null;
    int differing = 0;
    int layer = 0;
    for (int s = 0; s < expected.size(); s++) {
      StageBytes stored = StageBytes.of(plan.stageCosts().get(s));
      StageBytes want = expected.get(s);
      String mismatch = null;
      for (Map.Entry<String, ToLongFunction<StageBytes>> field : BYTE_FIELDS) {
        long got = field.getValue().applyAsLong(stored);
        long wanted = field.getValue().applyAsLong(want);
        boolean olderWorkspace = field.getKey().equals("workspaceBytes") && got == 0;
        if (got != wanted && !olderWorkspace) {
          int count = plan.partition().layerCounts().get(s);
          mismatch =
              "stageCosts["
                  + s
                  + "]."
                  + field.getKey()
                  + " is "
                  + got
                  + ", but stage "
                  + s
                  + " of partition.layerCounts "
                  + plan.partition().layerCounts()
                  + " (layers "
                  + layer
                  + ".."
                  + (layer + count - 1)
                  + ") with microBatchSize "
                  + plan.microBatchSize()
                  + ", tp "
                  + par.tp()
                  + " and dp "
                  + par.dp()
                  + (par.cp() > 1 ? " and cp " + par.cp() : "")
                  + " takes "
                  + wanted;
          break;
        }
      }
      if (mismatch != null) {
        differing++;
        if (first == null) {
          first = mismatch;
          firstField = mismatch.substring(mismatch.indexOf('.') + 1, mismatch.indexOf(' '));
        }
      }
      layer += plan.partition().layerCounts().get(s);
    }
    if (first == null) {
      return Optional.empty();
    }
    return Optional.of(
        first
            + " ("
            + differing
            + " of "
            + expected.size()
            + " stages differ): the stage costs were priced for another partition,"
            + " micro-batch size or memory mode"
            + ("outputBytes".equals(firstField)
                ? " or another hand-off between stages (training.wholeHandOffs, sequenceParallel)"
                : "")
            + "; was the plan edited by hand? Maybe re-run 'pipeplan plan'");
  }

  /**
   * Whether the stored stage durations are the ones the analytic roofline gives for what the plan
   * holds, when its provenance says the analytic roofline priced it with the cluster's devices as
   * they are: a mismatch means a field that changes the time but not the memory (FP8 linears, the
   * attention kernel, the collectives' overlap, the cross-entropy) was edited by hand after the
   * plan was written. Plans priced by a profile or by the model's own measured times are not
   * checked: their times are not in the plan. A relative difference of 1e-6 is tolerated.
   */
  public static Optional<String> storedDurationsProblem(Plan plan) {
    Objects.requireNonNull(plan, "plan");
    String analytic = CostSources.describe(plan.model(), plan.cluster(), Optional.empty());
    if (!plan.provenance().costSource().equals(analytic)
        || plan.stageCosts().size() != plan.partition().stageCount()) {
      return Optional.empty();
    }
    Parallelism par = plan.parallelism();
    List<Integer> clusterDevices = new ArrayList<>();
    for (List<Integer> devices : plan.placement()) {
      clusterDevices.add(devices.get(0));
    }
    List<StageCost> priced;
    try {
      priced =
          CostSources.choose(plan.model(), plan.training(), plan.cluster(), Optional.empty())
              .stageCosts(
                  new CostRequest(
                      plan.partition(),
                      plan.microBatchSize(),
                      plan.stageToDevice(),
                      clusterDevices,
                      par.tp(),
                      par.dp(),
                      par.cp()))
              .stages();
    } catch (BadInputException | IllegalArgumentException e) {
      return Optional.of("its stage costs cannot be priced again: " + e.getMessage());
    }
    for (int s = 0; s < priced.size(); s++) {
      StageCost stored = plan.stageCosts().get(s);
      StageCost want = priced.get(s);
      long[][] pairs = {
        {stored.forwardNanos(), want.forwardNanos()},
        {stored.backwardInputNanos(), want.backwardInputNanos()},
        {stored.backwardWeightNanos(), want.backwardWeightNanos()}
      };
      String[] names = {"forwardNanos", "backwardInputNanos", "backwardWeightNanos"};
      for (int f = 0; f < pairs.length; f++) {
        long got = pairs[f][0];
        long wanted = pairs[f][1];
        if (Math.abs(got - wanted) > 1 && Math.abs(got - wanted) > 1e-6 * Math.abs(wanted)) {
          return Optional.of(
              "stageCosts["
                  + s
                  + "]."
                  + names[f]
                  + " is "
                  + got
                  + ", but the analytic roofline the plan says priced it gives "
                  + wanted
                  + " for its training ("
                  + plan.training().describeMemoryModes(par.dp(), par.tp(), par.cp())
                  + "): a field that changes the time but not the memory (training.fp8Linears,"
                  + " attention, tensorParallelOverlap, crossEntropy, the cluster's devices or links)"
                  + " was edited by hand? Maybe re-run 'pipeplan plan'");
        }
      }
    }
    return Optional.empty();
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
    return refuse(problems(plan), plan);
  }

  /**
   * {@link #validate}, and then {@link #storedCostsProblem}: what a plan built by the planner is
   * held to (its durations are the ones the search priced).
   */
  public static Plan validateWithStoredCosts(Plan plan) {
    List<String> found = new ArrayList<>(problems(plan));
    if (found.isEmpty()) {
      storedCostsProblem(plan).or(() -> storedGathersProblem(plan)).ifPresent(found::add);
    }
    return refuse(found, plan);
  }

  /**
   * Whether the stored gathers of the stages' hand-offs ({@code stageCosts[].handOffGatherNanos})
   * are the ones the plan's hand-off mode, partition, micro-batch size, tp, cp and the cluster's
   * node link give ({@link HandOffGathers}), whatever priced the stages: only a scattered hand-off
   * (tp > 1, no sequence parallelism, {@code training.wholeHandOffs} false) has one, and never the
   * last stage. A difference of 1 ns is tolerated. A scattered plan whose stages store none was
   * written before the gather was priced.
   */
  public static Optional<String> storedGathersProblem(Plan plan) {
    Objects.requireNonNull(plan, "plan");
    if (plan.stageCosts().size() != plan.partition().stageCount()
        || plan.partition().layerCount() != plan.model().layerCount()) {
      return Optional.empty(); // problems() names these
    }
    Parallelism par = plan.parallelism();
    List<Long> expected =
        HandOffGathers.of(
            plan.model(),
            plan.training(),
            plan.partition(),
            plan.microBatchSize(),
            par.tp(),
            par.cp(),
            plan.cluster().intraNodeLink());
    boolean noneStored = plan.stageCosts().stream().allMatch(c -> c.handOffGatherNanos() == 0);
    for (int s = 0; s < expected.size(); s++) {
      long got = plan.stageCosts().get(s).handOffGatherNanos();
      long wanted = expected.get(s);
      // a rounding's nanosecond either way, where there is a gather at all
      if (got == wanted || (wanted > 0 && Math.abs(got - wanted) <= 1)) {
        continue;
      }
      if (noneStored) {
        return Optional.of(
            "its stages store no handOffGatherNanos, but its scattered hand-off (tp "
                + par.tp()
                + ", training.wholeHandOffs false, no sequence parallelism) gathers the shares on"
                + " the receiving ranks, "
                + wanted
                + " ns after stage "
                + s
                + ": the plan was written before pipeplan priced that gather (2026-12-03), so its"
                + " predicted times leave it out. Maybe re-run 'pipeplan plan' to price it");
      }
      LinkSpec link = plan.cluster().intraNodeLink();
      String rule;
      if (s + 1 == expected.size()) {
        rule = "the last stage hands nothing on, so it must be 0";
      } else if (wanted == 0) {
        rule =
            "only a scattered hand-off is gathered, and this plan's is not ("
                + (par.tp() <= 1
                    ? "tp " + par.tp()
                    : plan.training().sequenceParallel()
                        ? "sequence parallelism: each rank sends its own share"
                        : "training.wholeHandOffs: every rank sends all of it")
                + "), so it must be 0";
      } else {
        rule =
            String.format(
                Locale.ROOT,
                "the receivers' ring all-gather of its output over tp %d on the cluster's %s link"
                    + " (%.4g GB/s, %d ns latency) takes %d: the stored value was priced with"
                    + " another link (cluster.intraNodeLink) or micro-batch size, or edited",
                par.tp(),
                link.name(),
                link.bandwidthBytesPerSecond() / 1e9,
                link.latencyNanos(),
                wanted);
      }
      return Optional.of(
          "stageCosts["
              + s
              + "].handOffGatherNanos is "
              + got
              + ", but "
              + rule
              + "; was the plan edited by hand? Maybe re-run 'pipeplan plan'");
    }
    return Optional.empty();
  }

  /**
   * {@link #validateWithStoredCosts}, and then {@link #storedDurationsProblem}: what a plan read
   * from a file is held to, since it may have been edited after it was written.
   */
  public static Plan validateAsRead(Plan plan) {
    validateWithStoredCosts(plan);
    storedDurationsProblem(plan).ifPresent(p -> refuse(List.of(p), plan));
    return plan;
  }

  private static Plan refuse(List<String> found, Plan plan) {
    if (!found.isEmpty()) {
      throw new BadInputException("plan is inconsistent: " + String.join("; ", found));
    }
    return plan;
  }
}
