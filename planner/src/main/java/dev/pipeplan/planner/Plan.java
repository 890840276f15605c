package dev.pipeplan.planner;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.engine.GeneratorCosts;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A training plan, self-contained: everything {@code simulate}, {@code report} and {@code run}
 * need, and the prediction it was chosen by. The stage costs and links stored here are the ones the
 * prediction used, so {@link PlanPrediction#predict(Plan)} reproduces it exactly without
 * re-costing. Cross-field consistency is checked by {@link PlanValidator}; the file format is
 * {@link PlanJson}.
 *
 * @param formatVersion the plan file's format version, {@link #FORMAT_VERSION}
 * @param model the whole model
 * @param training global batch, sequence length, dtype, optimizer
 * @param cluster the cluster the plan was made for
 * @param parallelism pp, dp, tp
 * @param microBatchSize b, samples per micro-batch
 * @param microBatchCount m, micro-batches per replica per iteration; b * m * dp = global batch
 * @param scheduleKind the schedule kind (written as its id: "1f1b", "interleaved", "zb-v", ...)
 * @param virtualStages v, chunks per pipeline device; pp * v global virtual stages
 * @param groupSize the interleaved schedule's micro-batch group size (0: the kind's default)
 * @param maxInFlightMicroBatches the memory-limited zero-bubble heuristic's cap (0: none)
 * @param partition layers per global virtual stage, in stage order
 * @param stageToDevice for each global virtual stage, its pipeline device
 * @param placement for each pipeline device, its cluster devices, replica by replica, tensor rank
 *     fastest
 * @param stageCosts the per-micro-batch cost of each global virtual stage on one tensor rank
 * @param links the link parameters between pipeline devices
 * @param predicted the predicted metrics
 * @param reason one sentence on why this plan beat the runner-up
 * @param runnersUp the ranked candidates, the winner first
 * @param pareto the candidates no other candidate beats in both time and peak memory, fastest first
 * @param search how much work the search did
 * @param provenance which pipeplan, cost source, search options and cluster made the plan; {@link
 *     Provenance#unrecorded} for a plan file written before pipeplan kept it
 * @param optimizerPostValidation whether the plan runs iterations back to back with the optimizer
 *     step post-validated (Zero Bubble §4, {@code plan --optimizer-post-validation}): the schedule
 *     is generated for, and {@code predicted.iterationNanos} is, the steady-state period. Only for
 *     the kinds that allow it; absent from the file when false, so plans made without it keep their
 *     bytes
 */
public record Plan(
    int formatVersion,
    ModelSpec model,
    TrainingSpec training,
    ClusterSpec cluster,
    Parallelism parallelism,
    int microBatchSize,
    int microBatchCount,
    ScheduleKind scheduleKind,
    int virtualStages,
    int groupSize,
    int maxInFlightMicroBatches,
    Partition partition,
    List<Integer> stageToDevice,
    List<List<Integer>> placement,
    List<StageCost> stageCosts,
    PlanLinks links,
    PredictedMetrics predicted,
    String reason,
    List<PlanSummary> runnersUp,
    List<PlanSummary> pareto,
    SearchStats search,
    Provenance provenance,
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        boolean optimizerPostValidation) {

  /** The plan file format this code writes and reads. */
  public static final int FORMAT_VERSION = 1;

  @JsonCreator
  public Plan {
    if (formatVersion != FORMAT_VERSION) {
      throw new BadInputException(
          "formatVersion is "
              + formatVersion
              + ", this pipeplan reads version "
              + FORMAT_VERSION
              + ". Maybe re-run 'pipeplan plan' to write the plan again.");
    }
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(training, "training");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(parallelism, "parallelism");
    Checks.positive("microBatchSize", microBatchSize);
    Checks.positive("microBatchCount", microBatchCount);
    Objects.requireNonNull(scheduleKind, "scheduleKind");
    Checks.positive("virtualStages", virtualStages);
    Checks.nonNegative("groupSize", groupSize);
    Checks.nonNegative("maxInFlightMicroBatches", maxInFlightMicroBatches);
    Objects.requireNonNull(partition, "partition");
    stageToDevice = List.copyOf(Objects.requireNonNull(stageToDevice, "stageToDevice"));
    List<List<Integer>> placementCopy = new ArrayList<>();
    for (List<Integer> devices : Objects.requireNonNull(placement, "placement")) {
      placementCopy.add(List.copyOf(devices));
    }
    placement = List.copyOf(placementCopy);
    stageCosts = List.copyOf(Objects.requireNonNull(stageCosts, "stageCosts"));
    Objects.requireNonNull(links, "links");
    Objects.requireNonNull(predicted, "predicted");
    reason = Objects.requireNonNullElse(reason, "");
    runnersUp = List.copyOf(Objects.requireNonNull(runnersUp, "runnersUp"));
    pareto = List.copyOf(Objects.requireNonNull(pareto, "pareto"));
    Objects.requireNonNull(search, "search");
    provenance = provenance == null ? Provenance.unrecorded() : provenance;
  }

  /**
   * A plan with a synchronous optimizer step, as every plan was before the step could be
   * post-validated.
   */
  public Plan(
      int formatVersion,
      ModelSpec model,
      TrainingSpec training,
      ClusterSpec cluster,
      Parallelism parallelism,
      int microBatchSize,
      int microBatchCount,
      ScheduleKind scheduleKind,
      int virtualStages,
      int groupSize,
      int maxInFlightMicroBatches,
      Partition partition,
      List<Integer> stageToDevice,
      List<List<Integer>> placement,
      List<StageCost> stageCosts,
      PlanLinks links,
      PredictedMetrics predicted,
      String reason,
      List<PlanSummary> runnersUp,
      List<PlanSummary> pareto,
      SearchStats search,
      Provenance provenance) {
    this(
        formatVersion,
        model,
        training,
        cluster,
        parallelism,
        microBatchSize,
        microBatchCount,
        scheduleKind,
        virtualStages,
        groupSize,
        maxInFlightMicroBatches,
        partition,
        stageToDevice,
        placement,
        stageCosts,
        links,
        predicted,
        reason,
        runnersUp,
        pareto,
        search,
        provenance,
        false);
  }

  /** The schedule kind as an enum. */
  public ScheduleKind kind() {
    return scheduleKind;
  }

  /**
   * What a schedule generator is asked for to rebuild this plan's schedule: for the kinds that
   * order by costs (zb-auto, V-Half, V-Min), with the stored stage costs and links and for the
   * period when the step is post-validated, exactly as the search asked.
   */
  public ScheduleRequest scheduleRequest() {
    ScheduleRequest request =
        new ScheduleRequest(
                kind(),
                parallelism.pp(),
                microBatchCount,
                virtualStages,
                groupSize,
                maxInFlightMicroBatches)
            .withOptimizerPostValidation(optimizerPostValidation);
    return GeneratorCosts.forCosts(request, costs(), stageToDevice);
  }

  /** The stored stage costs with the stored links, as the simulator takes them. */
  public StageCosts costs() {
    return new StageCosts(stageCosts, links.toLinkModel(), training.blockingSends());
  }

  /** Global virtual stages, pp * v. */
  public int stageCount() {
    return partition.stageCount();
  }
}
