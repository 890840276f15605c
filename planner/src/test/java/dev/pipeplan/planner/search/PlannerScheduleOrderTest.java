package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The order of {@code --schedules} must not matter: every candidate is costed under every requested
 * kind, single-stage candidates included.
 */
class PlannerScheduleOrderTest {
  private static final long SEED = 20240611L;
  private static final int SUBSETS = 3;
  private static final int PERMUTATIONS = 3;

  private record Case(String model, int seq, String cluster, int globalBatch) {}

  private static final List<Case> CASES =
      List.of(
          new Case("llama3-8b", 0, "dgx-h100", 128),
          new Case("gpt2-small", 1024, "h100:2x4", 32),
          new Case("gpt3-1.3b", 2048, "a100-40gb:1x8", 64));

  /** The plan JSON of the search, or the error's message: either must not depend on the order. */
  private static String outcome(Case c, List<ScheduleKind> kinds) {
    ModelSpec model = ModelLoader.load(c.model(), c.seq());
    return outcome(
        c, kinds, TrainingSpec.of(c.globalBatch(), model.sequenceLength(), model.dtype()));
  }

  /** As {@code pipeplan plan} runs it: flash attention, ZeRO-1, sequence parallelism. */
  private static String commandOutcome(Case c, List<ScheduleKind> kinds) {
    ModelSpec model = ModelLoader.load(c.model(), c.seq());
    return outcome(
        c,
        kinds,
        TrainingSpec.of(c.globalBatch(), model.sequenceLength(), model.dtype())
            .withMemoryModes(
                dev.pipeplan.models.Recompute.NONE,
                dev.pipeplan.models.Attention.FLASH,
                dev.pipeplan.models.OptimizerSharding.ZERO1,
                true));
  }

  private static String outcome(Case c, List<ScheduleKind> kinds, TrainingSpec training) {
    ModelSpec model = ModelLoader.load(c.model(), c.seq());
    ClusterSpec cluster = Clusters.load(c.cluster());
    try {
      SearchResult r =
          Planner.search(
              model,
              training,
              cluster,
              SearchOptions.defaults().withKinds(kinds),
              ProgressListener.none());
      return PlanJson.write(PlanBuilder.fromSearch(r));
    } catch (BadInputException e) {
      return "error: " + e.getMessage();
    }
  }

  private static <T> List<T> shuffled(List<T> items, SplittableRandom random) {
    List<T> out = new ArrayList<>(items);
    for (int i = out.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      T t = out.get(i);
      out.set(i, out.get(j));
      out.set(j, t);
    }
    return out;
  }

  @Test
  void anyOrderOfTheScheduleKindsGivesTheSamePlanByteForByte() {
    SplittableRandom random = new SplittableRandom(SEED);
    List<ScheduleKind> available = Planner.availableKinds();
    for (Case c : CASES) {
      for (int s = 0; s < SUBSETS; s++) {
        // the full set once, then random subsets of two or more kinds
        List<ScheduleKind> kinds =
            s == 0
                ? available
                : shuffled(available, random).subList(0, 2 + random.nextInt(available.size() - 1));
        List<ScheduleKind> canonical =
            available.stream().filter(kinds::contains).toList(); // enum order
        String expected = outcome(c, canonical);
        for (int p = 0; p < PERMUTATIONS; p++) {
          List<ScheduleKind> order = shuffled(kinds, random);
          assertThat(outcome(c, order))
              .as("seed %d, %s, --schedules %s vs %s", SEED, c, ids(order), ids(canonical))
              .isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void llama3EightBFindsAPlanAsGoodAsTheOneFOneBPlanWhateverTheOrder() {
    // issue 11: gpipe,1f1b said "no plan fits", 1f1b,gpipe found pp=1 tp=8 at 17.7 s. With the
    // command's default modes, every order must find a plan within those 17.7 s, and every set
    // that offers 1f1b (the empty set offers all kinds) one at least as fast as the 1f1b-only
    // search's, under the current cost model
    Case c = CASES.get(0);
    long oneFOneB =
        PlanJson.parse(commandOutcome(c, List.of(ScheduleKind.ONE_F_ONE_B)), "search")
            .predicted()
            .iterationNanos();
    List<List<ScheduleKind>> orders =
        List.of(
            List.of(ScheduleKind.GPIPE, ScheduleKind.ONE_F_ONE_B),
            List.of(ScheduleKind.ONE_F_ONE_B, ScheduleKind.GPIPE),
            List.of(ScheduleKind.ONE_F_ONE_B),
            List.of(ScheduleKind.GPIPE),
            List.of(ScheduleKind.ZB_AUTO, ScheduleKind.GPIPE),
            List.of());
    for (List<ScheduleKind> order : orders) {
      String json = commandOutcome(c, order);
      assertThat(json).as("--schedules %s", ids(order)).doesNotStartWith("error:");
      var plan = PlanJson.parse(json, "search");
      assertThat(plan.predicted().iterationNanos())
          .as("--schedules %s", ids(order))
          .isLessThanOrEqualTo(17_700_000_000L);
      if (order.isEmpty() || order.contains(ScheduleKind.ONE_F_ONE_B)) {
        assertThat(plan.predicted().iterationNanos())
            .as("--schedules %s", ids(order))
            .isLessThanOrEqualTo(oneFOneB);
      }
    }
  }

  @Test
  void singleStageCandidatesAreCostedOnceAsGradientAccumulation() {
    ModelSpec model = ModelLoader.load("gpt2-small", 1024);
    TrainingSpec training = TrainingSpec.of(32, 1024, model.dtype());
    ClusterSpec cluster = Clusters.load("h100:2x4");
    for (List<ScheduleKind> kinds :
        List.of(
            List.of(ScheduleKind.GPIPE),
            List.of(ScheduleKind.ZB_H1, ScheduleKind.GPIPE),
            List.of(ScheduleKind.INTERLEAVED_1F1B, ScheduleKind.LOOPED_BFS))) {
      List<Candidate> all =
          Planner.enumerate(model, training, cluster, SearchOptions.defaults().withKinds(kinds));
      List<Candidate> single = all.stream().filter(x -> x.parallelism().pp() == 1).toList();
      assertThat(single)
          .as("%s", ids(kinds))
          .isNotEmpty()
          .allMatch(x -> x.kind() == ScheduleKind.ONE_F_ONE_B && x.virtualStages() == 1)
          .doesNotHaveDuplicates();
      assertThat(all.stream().filter(x -> x.parallelism().pp() > 1))
          .allMatch(x -> kinds.contains(x.kind()));
    }
    // kinds that all need virtual stages have no single-stage form
    assertThat(
            Planner.enumerate(
                model,
                training,
                cluster,
                SearchOptions.defaults().withKinds(List.of(ScheduleKind.ZB_V))))
        .noneMatch(x -> x.parallelism().pp() == 1);
  }

  private static String ids(List<ScheduleKind> kinds) {
    return String.join(",", kinds.stream().map(ScheduleKind::id).toList());
  }
}
