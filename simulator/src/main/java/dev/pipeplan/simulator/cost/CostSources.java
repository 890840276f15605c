package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.TrainingSpec;
import java.util.Objects;
import java.util.Optional;

/**
 * The one place that decides which cost model prices a model: the planner's search and the {@code
 * simulate} command both ask here, so that a plan and its simulation are priced alike.
 */
public final class CostSources {
  private CostSources() {}

  /**
   * A profile's fitted lines when one is given; else the model's own measured times when every
   * layer has them; else the analytic roofline.
   */
  public static CostModel choose(
      ModelSpec model, TrainingSpec training, ClusterSpec cluster, Optional<Profile> profile) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(profile, "profile");
    if (profile.isPresent()) {
      return MeasuredCostModel.fromProfile(model, profile.get(), training, cluster);
    }
    if (model.fullyMeasured()) {
      return MeasuredCostModel.fromLayers(model, training, cluster);
    }
    return new AnalyticCostModel(model, training, cluster);
  }
}
