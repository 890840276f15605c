package dev.pipeplan.benchmarks;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.planner.search.SearchResult;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The planner's full search for GPT-3 175B on 1024 H100s ({@code h100:128x8}), global batch 1536,
 * sequence 2048: every pp x dp x tp, micro-batch size, schedule kind and v, with pruning and
 * refinement, as {@code pipeplan plan} runs it. The score is milliseconds per search; the {@code
 * simulated}, {@code considered} and {@code pruned} counters are the search's candidate counts per
 * search. {@code threads} is the search's own thread count ({@link SearchOptions#threads}); JMH
 * runs one search at a time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 4)
public class PlannerBenchmark {
  private ModelSpec model;
  private ClusterSpec cluster;
  private TrainingSpec training;

  @Param({"1", "2"})
  public int threads;

  /** Candidate counts of the searches in one iteration, averaged per search. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Counts {
    public long simulated;
    public long considered;
    public long pruned;

    @Setup(Level.Iteration)
    public void reset() {
      simulated = 0;
      considered = 0;
      pruned = 0;
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    model = ModelLoader.load("gpt3-175b", 2048);
    cluster = Clusters.load("h100:128x8");
    training = TrainingSpec.of(1536, 2048, model.dtype());
  }

  @Benchmark
  public SearchResult fullSearch(Counts counts) {
    SearchResult result =
        Planner.search(
            model,
            training,
            cluster,
            SearchOptions.defaults().withThreads(threads),
            ProgressListener.none());
    counts.simulated += result.stats().candidatesSimulated();
    counts.considered += result.stats().candidatesConsidered();
    counts.pruned += result.stats().candidatesPruned();
    return result;
  }
}
