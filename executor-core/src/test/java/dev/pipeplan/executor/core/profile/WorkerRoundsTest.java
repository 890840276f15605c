package dev.pipeplan.executor.core.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.ModelLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The synchronous backends' measuring loop on {@link HostOps}, timed by a clock that advances 1 us
 * per reading: every measured action is exactly two readings apart.
 */
class WorkerRoundsTest {
  private static final ModelSpec MODEL = ModelLoader.load("gpt-tiny", 4);

  @Test
  void measuresEachDistinctLayerOnceAndProfilesEveryLayerInOrder() {
    AtomicLong ticks = new AtomicLong();
    List<String> progress = new ArrayList<>();
    HostOps ops = new HostOps();
    WorkerRounds.Result r =
        WorkerRounds.measure(
            MODEL,
            ops,
            new WorkerRounds.Settings(List.of(1, 2), 0, 2, 5L, 1, 2),
            () -> LayerMarks.clock(() -> ticks.addAndGet(1000)),
            progress::add);
    assertThat(r.layers())
        .extracting(Profile.LayerProfile::layerName)
        .containsExactlyElementsOf(MODEL.layers().stream().map(LayerSpec::name).toList());
    // embedding, one block shared by all, head
    assertThat(progress).hasSize(3);
    assertThat(progress.get(1)).startsWith(MODEL.layer(1).name() + ": b=2 F 0.001 ms");
    for (Profile.LayerProfile layer : r.layers()) {
      assertThat(layer.samples()).extracting(MeasuredTimes::microBatchSize).containsExactly(1, 2);
      assertThat(layer.samples())
          .allSatisfy(
              s -> {
                assertThat(s.forwardNanos()).isEqualTo(1000);
                assertThat(s.backwardInputNanos()).isEqualTo(1000);
                assertThat(s.backwardWeightNanos()).isEqualTo(1000);
              });
    }
    Profile.Repeatability rep = r.repeatability();
    assertThat(rep.repeatsPerPass()).isEqualTo(2);
    assertThat(rep.medianPassDifference()).isZero();
    assertThat(rep.medianRepeatSpread()).isZero();
    // every buffer the loop made is freed: layers, data, activations, gradients
    assertThat(ops.liveTensors()).isZero();
  }

  @Test
  void concurrentWorkersRunTogetherAndKeepTheFirstWorkersTimes() {
    HostOps ops = new HostOps();
    WorkerRounds.Result r =
        WorkerRounds.measure(
            MODEL,
            ops,
            new WorkerRounds.Settings(List.of(1), 1, 1, 5L, 3, 1),
            () -> LayerMarks.clock(System::nanoTime),
            s -> {});
    assertThat(r.layers()).hasSize(MODEL.layerCount());
    assertThat(r.layers().get(1).samples().get(0).forwardNanos()).isPositive();
    // HostOps counts its buffers without locks, so three threads on it leave no exact count here
  }

  @Test
  void distinctLayersGroupByKindAndShape() {
    DistinctLayers d = DistinctLayers.of(MODEL);
    assertThat(d.count()).isEqualTo(3);
    assertThat(d.firstLayers()).containsExactly(0, 1, MODEL.layerCount() - 1);
    assertThat(d.distinctOf().get(2)).isEqualTo(1);
    assertThat(d.distinctOf().get(MODEL.layerCount() - 1)).isEqualTo(2);
  }
}
