package dev.pipeplan.executor.core.profile;

import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The layers a profiler measures: one per kind and shape (the blocks of a transformer are measured
 * once and share the result), in model order.
 *
 * @param firstLayers the model index of each distinct layer's first occurrence, ascending
 * @param distinctOf for each model layer, the index into {@code firstLayers} of its kind and shape
 */
public record DistinctLayers(List<Integer> firstLayers, List<Integer> distinctOf) {
  public DistinctLayers {
    firstLayers = List.copyOf(firstLayers);
    distinctOf = List.copyOf(distinctOf);
  }

  /** Groups {@code model}'s layers by kind and shape. */
  public static DistinctLayers of(ModelSpec model) {
    Objects.requireNonNull(model, "model");
    Map<List<Object>, Integer> byShape = new HashMap<>();
    List<Integer> firsts = new ArrayList<>();
    List<Integer> of = new ArrayList<>(model.layerCount());
    for (int l = 0; l < model.layerCount(); l++) {
      LayerSpec spec = model.layer(l);
      List<Object> shapeKey = List.of(spec.kind(), spec.shape());
      Integer known = byShape.get(shapeKey);
      if (known == null) {
        known = firsts.size();
        byShape.put(shapeKey, known);
        firsts.add(l);
      }
      of.add(known);
    }
    return new DistinctLayers(firsts, of);
  }

  /** How many layers are measured. */
  public int count() {
    return firstLayers.size();
  }

  /**
   * Every layer of {@code model}'s profile, from the profiles of the distinct layers (in the order
   * of {@link #firstLayers}), each under its own name.
   */
  public List<Profile.LayerProfile> expand(ModelSpec model, List<Profile.LayerProfile> measured) {
    if (measured.size() != count() || model.layerCount() != distinctOf.size()) {
      throw new IllegalArgumentException(
          measured.size()
              + " measured layers for "
              + count()
              + " distinct ones of "
              + model.layerCount());
    }
    List<Profile.LayerProfile> layers = new ArrayList<>(model.layerCount());
    for (int l = 0; l < model.layerCount(); l++) {
      Profile.LayerProfile m = measured.get(distinctOf.get(l));
      layers.add(
          new Profile.LayerProfile(
              model.layer(l).name(),
              m.samples(),
              m.forward(),
              m.backwardInput(),
              m.backwardWeight()));
    }
    return layers;
  }
}
