package dev.pipeplan.cli;

import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.ModelLoader;
import java.util.ArrayList;
import java.util.List;

/** Profiles for command tests: every layer of a model on the same line. */
final class TestProfiles {
  private TestProfiles() {}

  /** A CPU profile of {@code model} whose F, I and W all take {@code fit}, hand-off 20 us. */
  static Profile flat(String model, Profile.LinearFit fit) {
    ModelSpec m = ModelLoader.load(model);
    List<Profile.LayerProfile> layers = new ArrayList<>();
    for (int i = 0; i < m.layerCount(); i++) {
      layers.add(new Profile.LayerProfile(m.layer(i).name(), List.of(), fit, fit, fit));
    }
    return new Profile(
        m.name(),
        "cpu",
        "test",
        layers,
        20_000,
        1e12,
        Profile.Repeatability.unknown(),
        List.of(),
        0);
  }
}
