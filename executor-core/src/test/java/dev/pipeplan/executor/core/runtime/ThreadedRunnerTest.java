package dev.pipeplan.executor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.train.OptimizerSettings;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared runner on the pure-Java reference ops: any backend whose ops block can use it. */
class ThreadedRunnerTest {
  private static final ThreadedRunner.Backend HOST =
      new ThreadedRunner.Backend() {
        @Override
        public String name() {
          return "host";
        }

        @Override
        public String describeMachine() {
          return "the JVM";
        }

        @Override
        public String configureThreads(int threadsPerWorker) {
          return "pure Java, one thread per worker";
        }

        @Override
        public Ops newOps() {
          return new HostOps();
        }

        @Override
        public int cores() {
          return 2;
        }

        @Override
        public String loadAverage() {
          return "";
        }
      };

  @Test
  void runsAPlanOnTheHostOpsAndComparesEveryAction() {
    Plan plan =
        PlanBuilder.fromSearch(
            Planner.search(
                ModelLoader.load("gpt-tiny", 8),
                new TrainingSpec(8, 8, DType.FP32, Optimizer.adamFp32(), false),
                Clusters.load("cpu:1x2"),
                SearchOptions.defaults()
                    .withPp(2)
                    .withTp(1)
                    .withKinds(List.of(ScheduleKind.ZB_H1))
                    .withMicroBatchSize(2),
                ProgressListener.none()));
    PipelineConfig config =
        new PipelineConfig(
            plan.model(),
            plan.partition(),
            PlanPrediction.schedule(plan),
            plan.microBatchSize(),
            5L,
            OptimizerSettings.forOptimizerName(plan.training().optimizer().name(), 1e-3),
            PipelineConfig.DEFAULT_WAIT);
    List<String> progress = new ArrayList<>();
    MeasuredRun run =
        ThreadedRunner.run(plan, config, 2, 1, 1, 5L, NanoClock.system(), progress::add, HOST);

    assertThat(run.backend()).isEqualTo("host");
    // Every attempt at the machine's usual speed is kept: at least the two asked for.
    assertThat(progress).hasSize(1 + run.noise().iterationSlowdowns().size());
    assertThat(run.iterations())
        .hasSizeGreaterThanOrEqualTo(2)
        .hasSize(run.noise().iterationSlowdowns().size() - run.noise().discardedIterations());
    assertThat(run.comparison().unmatchedActions()).isZero();
    assertThat(run.comparison().actions()).hasSize(run.predicted().actions().size());
    assertThat(run.losses()).allSatisfy(loss -> assertThat(loss).isPositive().isFinite());
    assertThat(run.noise().probeMedianNanos()).isPositive();
  }
}
