package dev.pipeplan.cli;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.SubLayerPieces;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * What a stage boundary may cut, shared by {@code plan} and {@code simulate} ({@code
 * docs/design.md}, "Sub-layer partitions").
 */
final class PartitionUnitOption {
  @Option(
      names = "--partition-unit",
      paramLabel = "UNIT",
      defaultValue = "layer",
      description =
          "What a stage boundary may cut: layer (default: whole layers, as every engine's export"
              + " can express), sublayer (each transformer block as its attention and MLP"
              + " sub-layers, where only the residual stream crosses) or step (each block as its"
              + " five steps: QKV, attention, output projection, MLP up, MLP down). With sublayer"
              + " and step the LM head is cut into vocabulary slices no heavier than a piece of a"
              + " block. For models whose blocks the stage count does not divide; analytic costs"
              + " only; export, run and the cuda run take whole layers only.")
  String unit;

  /** The unit asked for: empty for {@code layer}. */
  Optional<SubLayers.Unit> pieces() {
    String u = unit == null ? "layer" : unit.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    switch (u) {
      case "layer":
        return Optional.empty();
      case "sublayer":
      case "sub-layer":
        return Optional.of(SubLayers.Unit.SUBLAYER);
      case "step":
        return Optional.of(SubLayers.Unit.STEP);
      default:
        throw new BadInputException(
            "--partition-unit '" + unit + "' is not a partition unit; use layer, sublayer or step");
    }
  }

  /** True for {@code sublayer} and {@code step}. */
  boolean subLayer() {
    return pieces().isPresent();
  }

  /**
   * The model to partition: as loaded, or cut into pieces for {@code sublayer} and {@code step}.
   *
   * @param profiled whether costs come from a profile (refused with pieces)
   */
  ModelSpec apply(ModelSpec model, TrainingSpec training, ClusterSpec cluster, boolean profiled) {
    Optional<SubLayers.Unit> pieces = pieces();
    if (pieces.isEmpty()) {
      return model;
    }
    if (profiled || model.fullyMeasured()) {
      throw new BadInputException(
          "--partition-unit "
              + unit.trim()
              + " needs analytic costs: a profile measures whole layers. Drop --profile, or use"
              + " --partition-unit layer.");
    }
    return SubLayerPieces.split(model, pieces.get(), training, cluster);
  }

  /**
   * The line {@code plan} and {@code simulate} print for a model cut into pieces: what the unit is,
   * how many pieces, and that the counts per stage are pieces.
   */
  Optional<String> describe(ModelSpec model) {
    Optional<SubLayers.Unit> pieces = pieces();
    if (pieces.isEmpty()) {
      return Optional.empty();
    }
    if (!SubLayers.hasPieces(model)) {
      return Optional.of(
          "Partition unit: "
              + unit.trim()
              + " asked for, but model '"
              + model.name()
              + "' has no fully described transformer block or LM head to cut: whole layers.");
    }
    long slices =
        model.layers().stream()
            .filter(l -> l.shape() instanceof LayerShape.LmHead h && h.isSlice())
            .count();
    return Optional.of(
        "Partition unit: "
            + (pieces.get() == SubLayers.Unit.SUBLAYER
                ? "sub-layer (each block as its attention and MLP sub-layers"
                : "step (each block as its five steps")
            + (slices > 0 ? ", the LM head as " + slices + " vocabulary slices" : "")
            + "): the counts per stage are pieces, "
            + model.layerCount()
            + " in all. Export and run take whole layers only.");
  }
}
