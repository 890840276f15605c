package dev.pipeplan.planner.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.io.OwnedFolder;
import dev.pipeplan.models.zoo.Zoo;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanFixtures;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden files of the torch-script export for two small fixed plans of gpt-tiny. To regenerate them
 * after an intended change, run it with {@code
 * -Dpipeplan.regenerateGoldens=$PWD/planner/src/test/resources/torchscript} (an absolute path: the
 * tests run in the module folder) and review the diff.
 */
class TorchScriptExportTest {
  private static final String REGENERATE = "pipeplan.regenerateGoldens";

  /** gpt-tiny (embedding, 8 blocks, lm_head) as 1F1B on 2 ranks, 5 layers each, m = 4, b = 2. */
  static Plan oneFOneBPlan() {
    return plan("1f1b", 1, Partition.of(5, 5), List.of(0, 1));
  }

  /**
   * gpt-tiny as ZB-V on 2 ranks, four stages in a V (rank 0 holds stages 0 and 3), m = 4, b = 2.
   */
  static Plan zeroBubbleVPlan() {
    return plan("zb-v", 2, Partition.of(3, 2, 2, 3), List.of(0, 1, 1, 0));
  }

  private static Plan plan(String kind, int v, Partition partition, List<Integer> stageToDevice) {
    return plan("gpt-tiny", kind, v, partition, stageToDevice);
  }

  private static Plan plan(
      String modelName, String kind, int v, Partition partition, List<Integer> stageToDevice) {
    Plan base = PlanFixtures.twoStagePlan();
    ModelSpec model = Zoo.find(modelName).orElseThrow().build(0);
    List<StageCost> costs = new ArrayList<>();
    for (int s = 0; s < partition.stageCount(); s++) {
      costs.add(new StageCost(10_000 / v, 10_000 / v, 8_000 / v, 4096, 8192, 4096, 100_000));
    }
    return new Plan(
        Plan.FORMAT_VERSION,
        model,
        // b * m * dp = 2 * 4 * 1
        TrainingSpec.of(8, model.sequenceLength(), DType.BF16),
        base.cluster(),
        Parallelism.of(2, 1, 1),
        2,
        4,
        ScheduleKind.parse(kind),
        v,
        0,
        0,
        partition,
        stageToDevice,
        List.of(List.of(0), List.of(1)),
        costs,
        base.links(),
        base.predicted(),
        base.reason(),
        base.runnersUp(),
        base.pareto(),
        base.search(),
        Provenance.unrecorded());
  }

  private static String golden(String resource) throws IOException {
    try (InputStream in = TorchScriptExportTest.class.getResourceAsStream(resource)) {
      assertThat(in)
          .as("golden file " + resource + " (regenerate with -D" + REGENERATE + "=...)")
          .isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void assertMatchesGoldens(String name, Plan plan) throws IOException {
    List<ExportFile> files = TorchScriptExport.files(plan);
    String regenerate = System.getProperty(REGENERATE);
    if (regenerate != null && !regenerate.isBlank()) {
      Path dir = Path.of(regenerate);
      Files.createDirectories(dir.resolve(name));
      for (ExportFile f : files) {
        Files.writeString(
            dir.resolve(name).resolve(f.fileName()), f.content(), StandardCharsets.UTF_8);
      }
    }
    for (ExportFile f : files) {
      // the Python sources are the same for every plan: they must ship exactly as written, not be
      // templated
      boolean python =
          f.fileName().equals(TorchScriptExport.LAUNCHER)
              || f.fileName().equals(TorchScriptExport.PLAN_MODULE);
      String expected =
          python
              ? golden("/dev/pipeplan/planner/export/torchscript/" + f.fileName())
              : golden("/torchscript/" + name + "/" + f.fileName());
      assertThat(f.content()).as(name + "/" + f.fileName()).isEqualTo(expected);
    }
  }

  @Test
  void oneFOneBExportMatchesGoldenFiles() throws IOException {
    assertMatchesGoldens("1f1b", oneFOneBPlan());
  }

  @Test
  void zeroBubbleVExportMatchesGoldenFiles() throws IOException {
    assertMatchesGoldens("zb-v", zeroBubbleVPlan());
  }

  @Test
  void stagesJsonPutsVStagesOnTheirRanksWithSplitPoints() {
    String json = TorchScriptExport.stagesJson(zeroBubbleVPlan());
    String compact = json.replaceAll("\\s+", "");
    assertThat(compact).contains("\"format\":\"pipeplan-torch-stages\"");
    assertThat(compact).contains("\"splitPoints\":[\"block2\",\"block4\",\"block6\"]");
    assertThat(compact)
        .contains(
            "{\"stage\":3,\"rank\":0,\"firstLayer\":7,\"endLayer\":10,"
                + "\"layers\":[\"block6\",\"block7\",\"lm_head\"]}");
  }

  @Test
  void sameExportTwiceGivesSameBytes() {
    assertThat(TorchScriptExport.files(zeroBubbleVPlan()))
        .isEqualTo(TorchScriptExport.files(zeroBubbleVPlan()));
  }

  @Test
  void writeGivesTheFolderAndFilesTheUsualModes(@TempDir Path tmp) throws IOException {
    assumeTrue(
        Files.getFileAttributeView(tmp, java.nio.file.attribute.PosixFileAttributeView.class)
            != null);
    Path out = tmp.resolve("launcher");
    TorchScriptExport.write(oneFOneBPlan(), out);
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(out)))
        .isEqualTo("rwxr-xr-x");
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(out.resolve("README.md"))))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void readmeNamesThePlanFileTheUserGave(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("launcher");
    TorchScriptExport.write(oneFOneBPlan(), out, tmp.resolve("my plan.json"));
    String readme = Files.readString(out.resolve("README.md"));
    assertThat(readme)
        .contains("pipeplan import-trace traces/ --plan '../my plan.json' -o run.json")
        .contains("pipeplan report --plan '../my plan.json' --measured run.json")
        .doesNotContain("--plan plan.json");
  }

  @Test
  void writeReplacesAnEarlierExportWhole(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("run_pipeline");
    TorchScriptExport.write(oneFOneBPlan(), out);
    Files.writeString(out.resolve("README.md"), "edited by hand");
    List<Path> written = TorchScriptExport.write(oneFOneBPlan(), out);
    assertThat(written)
        .extracting(p -> p.getFileName().toString())
        .containsExactly(
            "run_pipeline.py", "pipeplan_plan.py", "schedule.csv", "stages.json", "README.md");
    try (Stream<Path> listing = Files.list(out)) {
      assertThat(listing.map(p -> p.getFileName().toString()).sorted())
          .containsExactly(
              OwnedFolder.MANIFEST,
              "README.md",
              "pipeplan_plan.py",
              "run_pipeline.py",
              "schedule.csv",
              "stages.json");
    }
    assertThat(Files.readString(out.resolve("README.md"))).isNotEqualTo("edited by hand");
    try (Stream<Path> siblings = Files.list(tmp)) {
      assertThat(siblings).as("no temporary folder left").hasSize(1);
    }
  }

  @Test
  void refusesAFolderWithFilesItDidNotWriteAndKeepsThem(@TempDir Path tmp) throws IOException {
    Path users = Files.createDirectories(tmp.resolve("mine"));
    Files.writeString(users.resolve("notes.txt"), "mine");
    assertThatThrownBy(() -> TorchScriptExport.write(oneFOneBPlan(), users))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("notes.txt");
    assertThat(users.resolve("notes.txt")).hasContent("mine");

    // the traces a run of the launcher leaves in its folder are measurements, not pipeplan's files
    Path out = tmp.resolve("run_pipeline");
    TorchScriptExport.write(oneFOneBPlan(), out);
    Files.createDirectories(out.resolve("traces"));
    Files.writeString(out.resolve("traces/rank0.json"), "{}");
    assertThatThrownBy(() -> TorchScriptExport.write(oneFOneBPlan(), out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("traces");
    assertThat(out.resolve("traces/rank0.json")).hasContent("{}");
  }

  @Test
  void refusesLayersTheLauncherCannotBuild() {
    assertThatThrownBy(() -> TorchScriptExport.files(PlanFixtures.twoStagePlan()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("layer 'embed' (embedding) has no shape 'vocab'");
  }

  @Test
  void refusesTensorParallelPlans() {
    Plan base = oneFOneBPlan();
    Plan tp =
        new Plan(
            Plan.FORMAT_VERSION,
            base.model(),
            base.training(),
            base.cluster(),
            Parallelism.of(2, 1, 2),
            base.microBatchSize(),
            base.microBatchCount(),
            base.scheduleKind(),
            1,
            0,
            0,
            base.partition(),
            base.stageToDevice(),
            List.of(List.of(0, 1), List.of(2, 3)),
            base.stageCosts(),
            base.links(),
            base.predicted(),
            base.reason(),
            base.runnersUp(),
            base.pareto(),
            base.search(),
            Provenance.unrecorded());
    assertThatThrownBy(() -> TorchScriptExport.files(tp))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("tp = 2")
        .hasMessageContaining("--tp 1");
  }

  /**
   * Compiles the generated Python and runs its torch-free checker, which re-reads stages.json and
   * schedule.csv.
   */
  @Test
  void generatedPythonCompilesAndItsPlanCheckerAcceptsTheFiles(@TempDir Path tmp) throws Exception {
    assumeTrue(
        python3Available(), "python3 is not on PATH: skipping the Python checks of the export");
    Path out = tmp.resolve("export");
    TorchScriptExport.write(zeroBubbleVPlan(), out);
    Result compile = python(out, "-m", "py_compile", "run_pipeline.py", "pipeplan_plan.py");
    assertThat(compile.exitCode).as(compile.output).isZero();
    Result check = python(out, "pipeplan_plan.py", out.toString());
    assertThat(check.exitCode).as(check.output).isZero();
    assertThat(check.output)
        .contains("gpt-tiny: zb-v, pp=2, v=2, m=4, b=2, partition 3,2,2,3")
        .contains("rank 0: stages [0, 3], 24 actions, first 0F0, last 0W3")
        .contains("rank 1: stages [1, 2], 24 actions, first 1F0, last 1W3")
        .endsWith("ok\n");
  }

  @Test
  void planCheckerRejectsAScheduleThatDisagreesWithStagesJson(@TempDir Path tmp) throws Exception {
    assumeTrue(
        python3Available(), "python3 is not on PATH: skipping the Python checks of the export");
    Path out = tmp.resolve("export");
    TorchScriptExport.write(zeroBubbleVPlan(), out);
    String csv = Files.readString(out.resolve("schedule.csv"));
    List<String> rows = List.of(csv.split("\n"));
    Files.writeString(out.resolve("schedule.csv"), rows.get(1) + "\n" + rows.get(0) + "\n");
    Result check = python(out, "pipeplan_plan.py", out.toString());
    assertThat(check.exitCode).isNotZero();
    assertThat(check.output)
        .contains("schedule.csv rank 0 runs 1F0, but stages.json puts stage 1 on rank 1");
  }

  /**
   * The launcher rotates a Llama-class model's queries and keys as pipeplan's executor does (it
   * built the blocks without rotary embeddings before): the block's base from stages.json, 10000
   * for a block without ropeTheta in a model whose embedding has no learned positions, none for
   * GPT-2, and the angles t * theta^(-2p / headDim) of HostOps.ropeTable.
   */
  @Test
  void llamaExportRotatesQueriesAndKeysWithTheExecutorsAngles(@TempDir Path tmp) throws Exception {
    assumeTrue(
        python3Available(), "python3 is not on PATH: skipping the Python checks of the export");
    Path llama = tmp.resolve("llama");
    TorchScriptExport.write(
        plan("llama-tiny-cpu", "1f1b", 1, Partition.of(5, 5), List.of(0, 1)), llama);
    Path gpt = tmp.resolve("gpt");
    TorchScriptExport.write(oneFOneBPlan(), gpt);
    String script =
        String.join(
            "\n",
            "import json, sys",
            "sys.path.insert(0, sys.argv[1])",
            "import pipeplan_plan as p",
            "plan = p.load_stages(sys.argv[1])",
            "block = next(l for l in plan['layers'] if l['kind'] == 'transformer_block')['shape']",
            "bare = {k: v for k, v in block.items() if k != 'ropeTheta'}",
            "gpt = p.load_stages(sys.argv[2])",
            "gpt_block = next(l for l in gpt['layers'] if l['kind'] == 'transformer_block')",
            "print(json.dumps({'theta': p.rope_theta(plan, block),",
            "    'default': p.rope_theta(plan, bare),",
            "    'gpt': p.rope_theta(gpt, gpt_block['shape']),",
            "    'seq': plan['sequenceLength'],",
            "    'angles': p.rope_angles(plan['sequenceLength'], 32, p.rope_theta(plan, block))}))");
    Result r = python(tmp, "-c", script, llama.toString(), gpt.toString());
    assertThat(r.exitCode).as(r.output).isZero();
    JsonNode result = new ObjectMapper().readTree(r.output);
    assertThat(result.get("theta").asDouble()).isEqualTo(10000);
    assertThat(result.get("default").asDouble()).isEqualTo(10000);
    assertThat(result.get("gpt").asDouble()).isZero();
    assertThat(result.get("seq").asInt()).isEqualTo(64);
    JsonNode angles = result.get("angles");
    assertThat(angles.size()).isEqualTo(64);
    for (int t = 0; t < 64; t++) {
      assertThat(angles.get(t).size()).isEqualTo(16);
      for (int pair = 0; pair < 16; pair++) {
        double expected = t * Math.pow(10000, -2.0 * pair / 32);
        assertThat(angles.get(t).get(pair).asDouble())
            .as("angle of position %d, pair %d", t, pair)
            .isCloseTo(expected, within(1e-12 * Math.max(1, expected)));
      }
    }
    String launcher = Files.readString(llama.resolve(TorchScriptExport.LAUNCHER));
    assertThat(launcher)
        .contains("q, k = self.rotary(q), self.rotary(k)")
        .contains("pipeplan_plan.rope_theta(plan, layer[\"shape\"])");
    Result odd =
        python(
            tmp,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import pipeplan_plan as p; p.rope_angles(4, 5, 10000)",
            llama.toString());
    assertThat(odd.exitCode).isNotZero();
    assertThat(odd.output).contains("headDim (5) must be even");
  }

  private record Result(int exitCode, String output) {}

  private static boolean python3Available() {
    try {
      Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static Result python(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("python3");
    command.add("-B");
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process p = builder.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("python3 finished").isTrue();
    return new Result(p.exitValue(), output);
  }
}
