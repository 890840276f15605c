package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.io.ProfileJson;
import dev.pipeplan.simulator.cost.roofline.RooflineParameters;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that decides which cost model prices a model: the planner's search and the {@code
 * simulate} command both ask here, so that a plan and its simulation are priced alike.
 */
public final class CostSources {
  /** How {@link #describe} starts for the analytic roofline. */
  private static final String ANALYTIC = "analytic roofline";

  /** One device's part of an analytic description: "; h100-sxm: GEMM 0.523, ...". */
  private static final Pattern ANALYTIC_DEVICE = Pattern.compile("; ([^;]+?): GEMM [0-9]");

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

  /**
   * The cost source {@link #choose} picks, in one line for a plan's provenance: the profile and the
   * SHA-256 digest of its canonical JSON, the model's own measured times, or the analytic roofline
   * with each device's efficiencies and where they come from.
   */
  public static String describe(ModelSpec model, ClusterSpec cluster, Optional<Profile> profile) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(profile, "profile");
    if (profile.isPresent()) {
      return "measured profile of "
          + profile.get().modelName()
          + " on "
          + profile.get().machine()
          + " (sha256 "
          + sha256(ProfileJson.write(profile.get()))
          + ")";
    }
    if (model.fullyMeasured()) {
      return "the model's measured per-layer times";
    }
    StringBuilder b = new StringBuilder(ANALYTIC);
    Set<String> seen = new TreeSet<>();
    for (DeviceGroup g : cluster.groups()) {
      RooflineParameters r = RooflineParameters.of(g.device());
      if (seen.add(g.device().name())) {
        b.append(
            String.format(
                Locale.ROOT,
                "; %s: GEMM %.3f, HBM %.3f, attention %.3f/%.3f (%s)",
                g.device().name(),
                r.peakGemmEfficiency(),
                r.hbmEfficiency(),
                r.flashForwardEfficiency(),
                r.flashBackwardEfficiency(),
                r.source()));
      }
    }
    return b.toString();
  }

  /**
   * The devices whose analytic roofline priced a plan, read back from {@link #describe}'s line (a
   * plan's provenance {@code costSource}), in the order written; empty for a profile or the model's
   * measured times (their times were measured, not derived from a device) and for a provenance not
   * recorded.
   */
  public static List<String> analyticDevices(String costSource) {
    Objects.requireNonNull(costSource, "costSource");
    if (!costSource.startsWith(ANALYTIC)) {
      return List.of();
    }
    List<String> devices = new ArrayList<>();
    Matcher m = ANALYTIC_DEVICE.matcher(costSource);
    while (m.find()) {
      devices.add(m.group(1));
    }
    return List.copyOf(devices);
  }

  private static String sha256(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      StringBuilder hex = new StringBuilder();
      for (byte x : digest) {
        hex.append(String.format(Locale.ROOT, "%02x", x));
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
