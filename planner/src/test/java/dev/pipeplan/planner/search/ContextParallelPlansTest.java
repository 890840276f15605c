package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.zoo.Zoo;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanValidator;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Plans that split each sequence over cp devices. */
class ContextParallelPlansTest {
  private static final int SEQ = 65536;
  private static final ModelSpec LLAMA = Zoo.get("llama3-8b", SEQ);
  private static final ClusterSpec NODE = Clusters.load("h100:1x8");
  // the plan command's default memory modes
  private static final TrainingSpec TRAINING =
      TrainingSpec.of(8, SEQ, DType.BF16)
          .withMemoryModes(Recompute.NONE, Attention.FLASH, OptimizerSharding.ZERO1, true);

  private static Plan plan(SearchOptions options) {
    return PlanBuilder.fromSearch(
        Planner.search(LLAMA, TRAINING, NODE, options.withThreads(1), ProgressListener.none()));
  }

  @Test
  void everyDeviceOfAPlanHoldsOneRankAndTheFileKeepsCp() {
    Plan plan = plan(SearchOptions.defaults().withContextParallel(4));
    Parallelism par = plan.parallelism();
    assertThat(par.cp()).isEqualTo(4);
    assertThat(par.deviceCount()).isEqualTo(NODE.deviceCount());
    Set<Integer> devices = new HashSet<>();
    for (List<Integer> pipelineDevice : plan.placement()) {
      assertThat(pipelineDevice).hasSize(par.dp() * par.tp() * par.cp());
      devices.addAll(pipelineDevice);
    }
    assertThat(devices).hasSize(NODE.deviceCount());
    assertThat(PlanValidator.problems(plan)).isEmpty();
    assertThat(PlanValidator.storedCostsProblem(plan)).isEmpty();
    String text = PlanJson.write(plan);
    assertThat(text).contains("\"cp\" : 4");
    // a hand-edited cp whose 2 x cp chunks do not divide the sequence
    assertThatThrownBy(() -> PlanJson.parse(text.replace("\"cp\" : 4", "\"cp\" : 3"), "plan.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("parallelism.cp is 3")
        .hasMessageContaining("2 x cp = 6 chunks");
    // cp as text, as pp would be: no Jackson remedy ("CoercionConfig")
    assertThatThrownBy(
            () -> PlanJson.parse(text.replace("\"cp\" : 4", "\"cp\" : \"4\""), "plan.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'parallelism.cp': must be a whole number, got String value (\"4\")")
        .hasMessageNotContaining("Coercion");
    // one near 2^31: the products are told as they are, not wrapped round to negatives
    long perStage = (long) par.dp() * par.tp() * (1 << 30);
    assertThatThrownBy(
            () -> PlanJson.parse(text.replace("\"cp\" : 4", "\"cp\" : 1073741824"), "plan.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("2 x cp = 2147483648 chunks")
        .hasMessageContaining("pp * dp * tp * cp is " + perStage * par.pp())
        .hasMessageContaining("dp * tp * cp is " + perStage);
    Plan back = PlanJson.parse(text, "plan.json");
    assertThat(back.parallelism()).isEqualTo(par);
    assertThat(PlanJson.write(back)).isEqualTo(text);
  }

  @Test
  void aPlanWithoutContextParallelismWritesNoCpAndReadsItAsOne() {
    Plan plan = plan(SearchOptions.defaults().withTp(8));
    String text = PlanJson.write(plan);
    assertThat(text).doesNotContain("\"cp\"");
    assertThat(PlanJson.parse(text, "plan.json").parallelism().cp()).isEqualTo(1);
  }

  @Test
  void splittingTheSequenceLowersThePeakAndKeepsTheTimeOfTheSameWork() {
    SearchOptions tp2 =
        SearchOptions.defaults()
            .withTp(2)
            .withPp(1)
            .withMicroBatchSize(1)
            .withMemoryLimitBytes(1L << 40);
    Plan whole = plan(tp2);
    Plan split = plan(tp2.withContextParallel(4));
    // a micro-batch of one sequence: a quarter of its tokens per device, so the activations
    // shrink; the weights do not
    assertThat(split.predicted().peakMemoryBytes()).isLessThan(whole.predicted().peakMemoryBytes());
    // the same work per device (eight quarter-sequences against two whole ones, one at a time) in
    // about the same
    // time: the ring's exchange hides under the attention inside a node
    assertThat((double) split.predicted().iterationNanos())
        .isCloseTo(
            whole.predicted().iterationNanos(), within(0.02 * whole.predicted().iterationNanos()));
  }

  @Test
  void autoSearchesThePowersOfTwoThatSplitTheSequenceAndFindsTheFastest() {
    SearchOptions auto = SearchOptions.defaults().withContextParallel(0);
    assertThat(Planner.contextDegrees(LLAMA, TRAINING, NODE, auto)).containsExactly(1, 2, 4, 8);
    // 4100 tokens split into 2 x 2 chunks, not into 2 x 4
    assertThat(
            Planner.contextDegrees(
                Zoo.get("llama3-8b", 4100), TrainingSpec.of(8, 4100, DType.BF16), NODE, auto))
        .containsExactly(1, 2);
    ModelSpec cnn = Zoo.get("vgg16");
    assertThat(Planner.contextDegrees(cnn, TrainingSpec.of(8, 0, cnn.dtype()), NODE, auto))
        .containsExactly(1);
    long best =
        Planner.search(LLAMA, TRAINING, NODE, auto, ProgressListener.none())
            .best()
            .iterationNanos();
    for (int cp : new int[] {2, 4}) {
      long fixed =
          Planner.search(
                  LLAMA,
                  TRAINING,
                  NODE,
                  SearchOptions.defaults().withContextParallel(cp),
                  ProgressListener.none())
              .best()
              .iterationNanos();
      assertThat(best).isLessThanOrEqualTo(fixed);
    }
  }

  @Test
  void aSearchTooLargeWithCpSearchedSuggestsFixingCp() {
    assertThatThrownBy(
            () ->
                Planner.enumerate(
                    LLAMA,
                    TrainingSpec.of(1024, SEQ, DType.BF16),
                    Clusters.load("h100:1024x8"),
                    SearchOptions.defaults().withContextParallel(0)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("candidates (the limit)")
        .hasMessageContaining("Maybe fix some of --pp, --tp, --cp, --microbatch-size");
  }

  @Test
  void aLongSequenceThatDoesNotFitIsToldToSplitIt() {
    assertThatThrownBy(
            () -> plan(SearchOptions.defaults().withTp(1).withPp(1).withContextParallel(2)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no plan fits in memory")
        .hasMessageContaining("--cp 4 (context parallelism");
    // tp 8 fills the node: --cp 2 would be refused, so it is not suggested
    assertThatThrownBy(
            () ->
                plan(SearchOptions.defaults().withTp(8).withPp(1).withMemoryLimitBytes(30L << 30)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no plan fits in memory")
        .hasMessageContaining("activation recomputation")
        .hasMessageNotContaining("--cp");
  }

  @Test
  void refusesASequenceThatDoesNotSplitIntoTwoChunksPerRank() {
    TrainingSpec odd = TrainingSpec.of(8, 4100, DType.BF16);
    assertThatThrownBy(
            () ->
                Planner.search(
                    Zoo.get("llama3-8b", 4100),
                    odd,
                    NODE,
                    SearchOptions.defaults().withContextParallel(4),
                    ProgressListener.none()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--cp 4")
        .hasMessageContaining("4100")
        .hasMessageContaining("multiple of 8");
  }

  @Test
  void refusesADegreeThatDoesNotDivideTheDevicesAndAModelWithoutAttention() {
    assertThatThrownBy(() -> plan(SearchOptions.defaults().withContextParallel(3)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--cp 3 does not divide the 8 devices");
    assertThatThrownBy(() -> plan(SearchOptions.defaults().withTp(8).withContextParallel(8)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--tp 8 x --cp 8 = 64 devices per pipeline stage");
    // a fixed pp whose product with cp leaves no devices for any tp: said so, not as a batch
    // that no data-parallel degree divides
    assertThatThrownBy(() -> plan(SearchOptions.defaults().withPp(4).withContextParallel(4)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--pp 4 x --cp 4 = 16 devices per model replica at tp 1")
        .hasMessageContaining("Maybe use a smaller --pp or --cp");
    assertThatThrownBy(
            () -> plan(SearchOptions.defaults().withPp(2).withTp(2).withContextParallel(4)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--pp 2 x --tp 2 x --cp 4 = 16 devices per model replica,")
        .hasMessageContaining("Maybe use a smaller --pp, --tp or --cp");
    ModelSpec cnn = Zoo.get("vgg16");
    assertThatThrownBy(
            () ->
                Planner.search(
                    cnn,
                    TrainingSpec.of(8, 0, cnn.dtype()),
                    NODE,
                    SearchOptions.defaults().withContextParallel(2),
                    ProgressListener.none()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--cp 2");
  }

  @Test
  void theFewestReplicasMessageCountsCpInTheDevicesOfAReplica() {
    // before: "the fewest model replicas they allow is dp 2 (pp=2 tp=2, as --pp/--tp fix)", which
    // reads as 16 / 4 = 4 replicas
    ModelSpec llama = Zoo.get("llama3-8b", 8192);
    assertThatThrownBy(
            () ->
                Planner.enumerate(
                    llama,
                    TrainingSpec.of(3, 8192, DType.BF16),
                    Clusters.load("h100:2x8"),
                    SearchOptions.defaults().withPp(2).withTp(2).withContextParallel(2)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "the fewest model replicas they allow is dp 2 (pp=2 tp=2 cp=2: 16 devices / (pp x tp"
                + " x cp), as --pp, --tp and --cp fix them), which does not divide 3.");
    // cp alone fixed: pp is searched, up to the model's layers
    assertThatThrownBy(
            () ->
                Planner.enumerate(
                    llama,
                    TrainingSpec.of(3, 8192, DType.BF16),
                    Clusters.load("h100:16x8"),
                    SearchOptions.defaults().withTp(1).withContextParallel(2)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("cp=2: 128 devices / (pp x tp x cp), as --tp and --cp fix them;")
        .hasMessageContaining("pp is at most the model's");
  }

  @Test
  void weightsThatFillTheDevicesCountOnlyTheDevicesThatSplitThem() {
    // before: "one replica's take 492.8 GiB: at least 7 devices of 78.0 GiB" for a replica of 8
    // devices already: every cp rank holds its stage's weights, so only pp x tp split them
    ModelSpec llama = Zoo.get("llama3-70b", SEQ);
    SearchOptions options =
        SearchOptions.defaults()
            .withPp(1)
            .withTp(1)
            .withContextParallel(8)
            .withKinds(List.of(ScheduleKind.ONE_F_ONE_B))
            .withThreads(1);
    Throwable thrown =
        catchThrowable(
            () -> Planner.search(llama, TRAINING, NODE, options, ProgressListener.none()));
    assertThat(thrown).isInstanceOf(BadInputException.class);
    Matcher m =
        Pattern.compile(
                ".*alone take ([0-9.]+) GiB there, so fewer activations cannot make it fit \\(each"
                    + " of the 8 cp ranks holds its stage's in full, so only pp and tp split them:"
                    + " the pp x tp = 1 device of one cp rank holds ([0-9.]+) GiB, which needs pp x"
                    + " tp of at least (\\d+) devices of ([0-9.]+) GiB, unless --zero 3 shards the"
                    + " weights and gradients over the dp x cp ranks too\\)\\. Maybe use (.*)\\.")
            .matcher(thrown.getMessage());
    assertThat(m.matches()).as(thrown.getMessage()).isTrue();
    double slice = Double.parseDouble(m.group(2));
    double limit = Double.parseDouble(m.group(4));
    // pp = tp = 1: the one device of a cp rank holds it all
    assertThat(slice).isEqualTo(Double.parseDouble(m.group(1)));
    assertThat(Integer.parseInt(m.group(3))).isEqualTo((int) Math.ceil(slice / limit));
    assertThat(thrown.getMessage()).doesNotContain("one replica's take");
    // ZeRO shards over dp x cp, so it is a hint at dp 1 too
    assertThat(m.group(5)).contains("a higher --zero stage").contains("over the dp x cp ranks");

    // ZeRO-3 shards them over the 8 cp ranks as well: the devices count in all
    TrainingSpec zero3 =
        TRAINING.withMemoryModes(Recompute.NONE, Attention.FLASH, OptimizerSharding.ZERO3, true);
    Throwable sharded =
        catchThrowable(() -> Planner.search(llama, zero3, NODE, options, ProgressListener.none()));
    Matcher z =
        Pattern.compile(
                ".*alone take ([0-9.]+) GiB there, so fewer activations cannot make it fit \\(the"
                    + " model's take ([0-9.]+) GiB in all: at least (\\d+) devices of ([0-9.]+) GiB,"
                    + " over which --zero 3 shards them\\)\\..*")
            .matcher(sharded.getMessage());
    assertThat(z.matches()).as(sharded.getMessage()).isTrue();
    double perDevice = Double.parseDouble(z.group(1));
    double total = Double.parseDouble(z.group(2));
    assertThat(total).isCloseTo(8 * perDevice, within(0.5));
    assertThat(Integer.parseInt(z.group(3)))
        .isEqualTo((int) Math.ceil(total / Double.parseDouble(z.group(4))))
        .isGreaterThan(NODE.deviceCount());
  }
}
