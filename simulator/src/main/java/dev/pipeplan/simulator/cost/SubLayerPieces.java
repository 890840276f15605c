package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.roofline.DeviceRoofline;
import dev.pipeplan.simulator.cost.roofline.LayerRoofline;
import dev.pipeplan.simulator.cost.roofline.Pass;
import dev.pipeplan.simulator.cost.roofline.RooflineOptions;
import java.util.Objects;

/**
 * The pieces of a sub-layer partition ({@link SubLayers}) for a device: how many vocabulary slices
 * the LM head is cut into, so that no slice outweighs an average piece of a block there.
 */
public final class SubLayerPieces {
  private SubLayerPieces() {}

  /**
   * The model cut into {@code unit}'s pieces and head slices sized for the cluster's first device.
   */
  public static ModelSpec split(
      ModelSpec model, SubLayers.Unit unit, TrainingSpec training, ClusterSpec cluster) {
    return SubLayers.split(model, unit, headSlices(model, unit.parts().size(), training, cluster));
  }

  /**
   * The fewest slices such that no slice's F, I or W outweighs the same action of an average piece
   * of a block: the largest over the three actions of ceil(head's / (block's / pieces per block)),
   * by the roofline's times of one sample on one tensor rank of the cluster's first device, between
   * 1 and {@link SubLayers#MAX_HEAD_SLICES}; 1 for a model without a whole head or without whole
   * blocks, or a profiled one. Each action on its own, not their sum: a head whose loss is
   * memory-bound is F-heavy, and a zero-bubble period is bounded by the chain of forwards and input
   * gradients through the devices, not by each device's total alone (docs/design.md, "Sub-layer
   * partitions").
   */
  public static int headSlices(
      ModelSpec model, int piecesPerBlock, TrainingSpec training, ClusterSpec cluster) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(training, "training");
    Objects.requireNonNull(cluster, "cluster");
    if (model.fullyMeasured()) {
      return 1;
    }
    LayerRoofline roofline =
        new LayerRoofline(
            model, training.dtype(), RooflineOptions.of(training), cluster.intraNodeLink());
    DeviceRoofline device = DeviceRoofline.of(cluster.device(0), training.dtype());
    double[] head = new double[Pass.values().length];
    double[] blocks = new double[Pass.values().length];
    int blockCount = 0;
    for (int i = 0; i < model.layerCount(); i++) {
      LayerSpec layer = model.layer(i);
      boolean whole =
          layer.shape() instanceof LayerShape.TransformerBlock b && b.blockPart().whole();
      boolean wholeHead =
          layer.kind() == LayerKind.LM_HEAD
              && layer.shape() instanceof LayerShape.LmHead h
              && !h.isSlice();
      if (!whole && !wholeHead) {
        continue;
      }
      for (Pass pass : Pass.values()) {
        double nanos = roofline.nanos(device, i, pass, 1, 1);
        if (whole) {
          blocks[pass.ordinal()] += nanos;
        } else {
          head[pass.ordinal()] = nanos;
        }
      }
      blockCount += whole ? 1 : 0;
    }
    long slices = 1;
    for (Pass pass : Pass.values()) {
      double piece = blocks[pass.ordinal()] / Math.max(1, blockCount) / piecesPerBlock;
      if (piece > 0 && head[pass.ordinal()] > 0) {
        slices = Math.max(slices, (long) Math.ceil(head[pass.ordinal()] / piece - 1e-9));
      }
    }
    return (int) Math.min(SubLayers.MAX_HEAD_SLICES, slices);
  }
}
