package dev.pipeplan.executor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.core.train.OptimizerSettings;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingTest {

  static List<Double> train(OptimizerSettings optimizer, int iterations) {
    ModelSpec model = ModelLoader.load("gpt-tiny", 16);
    Schedule schedule =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, 2, 4, 1));
    List<Double> losses = new ArrayList<>();
    try (PipelineRuntime runtime =
        new PipelineRuntime(
            PipelineConfig.of(model, Partition.uniform(model.layerCount(), 2), schedule, 2, 11)
                .withOptimizer(optimizer),
            NanoClock.system(),
            new dev.pipeplan.executor.cpu.Nd4jOps())) {
      for (int i = 0; i < iterations; i++) {
        losses.add(runtime.runIteration(i).loss());
      }
    }
    return losses;
  }

  @Test
  void lossOfGptTinyOnSyntheticDataFallsWithAdam() {
    List<Double> losses = train(OptimizerSettings.adam(3e-3), 12);
    // starts near ln(256) = 5.55: the model knows nothing
    assertThat(losses.get(0)).isBetween(5.3, 5.8);
    assertThat(losses.get(losses.size() - 1)).isLessThan(losses.get(0) - 1.0);
  }

  @Test
  void trainingIsDeterministic() {
    assertThat(train(OptimizerSettings.sgd(0.5), 2))
        .isEqualTo(train(OptimizerSettings.sgd(0.5), 2));
  }
}
