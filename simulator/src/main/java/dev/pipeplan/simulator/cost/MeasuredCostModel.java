package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Stage costs from measured per-layer times: either each layer's own {@link MeasuredTimes} (one
 * micro-batch size, scaled linearly in b: a layer measured at b0 costs time·b/b0), or a {@link
 * Profile}'s fitted lines ({@code fixed + perSample·b}, which interpolate between and extrapolate
 * beyond the measured sizes). A stage's time is the sum of its layers' times; measured times
 * already hold the launch overheads, so none is added. With t > 1 the compute divides by t and the
 * tensor-parallel all-reduces of the analytic model are added (over the cluster's intra-node link);
 * with recompute I pays the forward again. Links come from the profile's measured hand-off when
 * there is a profile, else from the cluster. Memory follows the analytic rules ({@code
 * LayerSums.withMemory}).
 */
public final class MeasuredCostModel implements CostModel {
  private final ModelSpec model;
  private final TrainingSpec training;
  private final ClusterSpec cluster;
  private final Profile profile;
  private final LayerSums sums;

  /** Per layer: forward, input-gradient and weight-gradient time as {fixed, perSample} pairs. */
  private final double[][] lines;

  private MeasuredCostModel(
      ModelSpec model, TrainingSpec training, ClusterSpec cluster, Profile profile) {
    this.model = Objects.requireNonNull(model, "model");
    this.training = Objects.requireNonNull(training, "training");
    this.cluster = cluster;
    this.profile = profile;
    this.sums = new LayerSums(model);
    this.lines = new double[model.layerCount()][];
    if (profile == null) {
      for (int i = 0; i < model.layerCount(); i++) {
        LayerSpec layer = model.layer(i);
        MeasuredTimes m = layer.measured();
        if (m == null) {
          throw new BadInputException(
              "layer '"
                  + layer.name()
                  + "' of model '"
                  + model.name()
                  + "' has no measured times. Maybe use the"
                  + " analytic cost model, or a profile of this model.");
        }
        double b0 = m.microBatchSize();
        lines[i] =
            new double[] {
              0,
              m.forwardNanos() / b0,
              0,
              m.backwardInputNanos() / b0,
              0,
              m.backwardWeightNanos() / b0
            };
      }
    } else {
      Map<String, Profile.LayerProfile> byName = new HashMap<>();
      for (Profile.LayerProfile layer : profile.layers()) {
        byName.put(layer.layerName(), layer);
      }
      // fromProfile has checked that every layer of the model is in the profile (requireFits)
      for (int i = 0; i < model.layerCount(); i++) {
        Profile.LayerProfile measured = byName.get(model.layer(i).name());
        lines[i] =
            new double[] {
              measured.forward().fixedNanos(), measured.forward().perSampleNanos(),
              measured.backwardInput().fixedNanos(), measured.backwardInput().perSampleNanos(),
              measured.backwardWeight().fixedNanos(), measured.backwardWeight().perSampleNanos()
            };
      }
    }
  }

  /**
   * From each layer's own measured times; {@code cluster} gives the links (and may be null for one
   * device).
   */
  public static MeasuredCostModel fromLayers(
      ModelSpec model, TrainingSpec training, ClusterSpec cluster) {
    return new MeasuredCostModel(model, training, cluster, null);
  }

  /**
   * From a profile's fitted lines; links from the profile's hand-off, {@code cluster} (optional)
   * for t > 1.
   */
  public static MeasuredCostModel fromProfile(
      ModelSpec model, Profile profile, TrainingSpec training, ClusterSpec cluster) {
    Objects.requireNonNull(profile, "profile");
    requireFits(model, profile, "the profile");
    return new MeasuredCostModel(model, training, cluster, profile);
  }

  /**
   * A profile's times hold for the sequence length it was measured at: attention grows with its
   * square and everything else with it, so a model planned at another length is refused rather than
   * priced with the wrong times (a profile that does not record its length is taken as it is).
   */
  public static void requireFits(ModelSpec model, Profile profile, String source) {
    int measured = profile.sequenceLength();
    if (measured > 0 && model.sequenceLength() > 0 && measured != model.sequenceLength()) {
      throw new BadInputException(
          source
              + " (a profile of model '"
              + profile.modelName()
              + "') was measured at sequence length "
              + measured
              + ", but the model is planned at "
              + model.sequenceLength()
              + "; its times do not hold there. Maybe use --seq "
              + measured
              + ", or profile again with --seq "
              + model.sequenceLength());
    }
    Set<String> profiled = new HashSet<>();
    for (Profile.LayerProfile layer : profile.layers()) {
      profiled.add(layer.layerName());
    }
    for (int i = 0; i < model.layerCount(); i++) {
      if (!profiled.contains(model.layer(i).name())) {
        throw new BadInputException(
            source
                + " (a profile of model '"
                + profile.modelName()
                + "') has no layer '"
                + model.layer(i).name()
                + "' of model '"
                + model.name()
                + "'. Maybe profile this model again.");
      }
    }
  }

  @Override
  public StageCosts stageCosts(CostRequest request) {
    Objects.requireNonNull(request, "request");
    Partition partition = request.partition();
    partition.requireCovers(model);
    int b = request.microBatchSize();
    int t = request.tensorParallel();
    if (request.contextParallel() > 1) {
      throw new BadInputException(
          "context-parallel degree "
              + request.contextParallel()
              + " needs the roofline cost model: "
              + (profile != null
                  ? "a profile measures"
                  : "model '" + model.name() + "' gives measured times for")
              + " each layer over whole sequences, not a rank's share of them and its key/value"
              + " exchange. Maybe "
              + (profile != null ? "drop --profile" : "use a model file without measured times")
              + ", or use --cp 1.");
    }
    if (t > 1 && cluster == null) {
      throw new BadInputException(
          "tensor-parallel degree "
              + t
              + " needs a cluster for its intra-node link. Maybe use --tp 1.");
    }
    List<StageCost> stages = new ArrayList<>(partition.stageCount());
    int first = 0;
    for (int s = 0; s < partition.stageCount(); s++) {
      int end = first + partition.layerCounts().get(s);
      double forward = 0;
      double input = 0;
      double weight = 0;
      for (int i = first; i < end; i++) {
        double[] line = lines[i];
        forward += Math.max(0, line[0] + line[1] * b);
        input += Math.max(0, line[2] + line[3] * b);
        weight += Math.max(0, line[4] + line[5] * b);
      }
      forward /= t;
      input /= t;
      weight /= t;
      if (t > 1) {
        double tp = sums.tensorParallelNanos(first, end, b, t, cluster.intraNodeLink());
        forward += tp;
        input += tp;
      }
      input += forward * sums.recomputedForwardFraction(first, end, training);
      stages.add(
          sums.withMemory(
                  first,
                  end,
                  b,
                  t,
                  request.dataParallel(),
                  1,
                  training,
                  Math.round(forward),
                  Math.round(input),
                  Math.round(weight))
              .withHandOffGatherNanos(
                  t > 1
                      ? HandOffGathers.afterStage(
                          model, end, b, t, 1, training, cluster.intraNodeLink())
                      : 0));
      first = end;
    }
    return new StageCosts(stages, links(request), training.blockingSends());
  }

  private LinkModel links(CostRequest request) {
    if (profile != null) {
      return ClusterLinkModel.uniform(request.deviceCount(), profile.handoffLink());
    }
    if (cluster != null) {
      return ClusterLinkModel.of(cluster, request.clusterDevices());
    }
    if (request.deviceCount() == 1) {
      return ClusterLinkModel.uniform(1, new LinkSpec("none", 1, 0));
    }
    throw new BadInputException(
        "measured costs for "
            + request.deviceCount()
            + " pipeline devices need a cluster or a profile for the"
            + " links between them. Maybe pass --cluster.");
  }
}
