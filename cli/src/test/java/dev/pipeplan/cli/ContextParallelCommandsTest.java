package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ProfileJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command that reads a plan, given one that splits each sequence over cp = 2 devices. */
class ContextParallelCommandsTest {
  @TempDir Path dir;

  private StringWriter out = new StringWriter();
  private StringWriter err = new StringWriter();
  private Path plan;

  private int run(String... args) {
    out = new StringWriter();
    err = new StringWriter();
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private int run(String line) {
    return run(line.split(" "));
  }

  /** gpt-tiny (s = 32) on four H100s: pp 2 x cp 2, so dp 1 and tp 1. */
  @BeforeEach
  void makePlan() throws Exception {
    plan = dir.resolve("plan.json");
    assertThat(
            run(
                "plan --model gpt-tiny --cluster h100:1x4 --global-batch 8 --pp 2 --cp 2 --tp 1"
                    + " --microbatches 2 --schedules 1f1b --quiet -o "
                    + plan))
        .as(err.toString())
        .isZero();
    JsonNode par = Json.json().readTree(plan.toFile()).get("parallelism");
    assertThat(par.get("cp").asInt()).isEqualTo(2);
    assertThat(par.get("dp").asInt()).isEqualTo(1);
  }

  @Test
  void planPrintsTheContextParallelColumn() {
    assertThat(
            run(
                "plan --model gpt-tiny --cluster h100:1x4 --global-batch 8 --pp 2 --cp 2 --tp 1"
                    + " --microbatches 2 --schedules 1f1b"))
        .isZero();
    assertThat(out.toString())
        .contains("rank   pp   dp  tp  cp    b     m schedule")
        .containsPattern("\n   1    2    1   1   2    4     2 1f1b ");
    assertThat(
            run(
                "plan --model gpt-tiny --cluster h100:1x4 --global-batch 8 --pp 2 --tp 1"
                    + " --microbatches 2 --schedules 1f1b"))
        .isZero();
    assertThat(out.toString()).contains("rank   pp   dp  tp    b     m schedule");
  }

  @Test
  void megatronTorchtitanAndPytorchCsvExportIt() throws Exception {
    for (String target : new String[] {"megatron", "torchtitan", "pytorch-csv"}) {
      Path outDir = dir.resolve(target);
      assertThat(run("export", "--plan", plan.toString(), "--to", target, "-o", outDir.toString()))
          .as(target + ": " + err)
          .isZero();
    }
    assertThat(Files.readString(dir.resolve("megatron/megatron-args.sh")))
        .contains("  --context-parallel-size 2\n  --cp-comm-type p2p\n");
    assertThat(Files.readString(dir.resolve("torchtitan/pipeplan_torchtitan.py")))
        .contains("    p.context_parallel_degree = 2\n");
    assertThat(
            Json.json()
                .readTree(dir.resolve("pytorch-csv/stages.json").toFile())
                .get("contextParallelDegree")
                .asInt())
        .isEqualTo(2);
  }

  @Test
  void enginesWithoutContextParallelismRefuseWithExit2AndWriteNothing() {
    for (String target : new String[] {"deepspeed", "torchgpipe", "torch-script"}) {
      Path outDir = dir.resolve(target);
      assertThat(run("export", "--plan", plan.toString(), "--to", target, "-o", outDir.toString()))
          .as(target)
          .isEqualTo(2);
      assertThat(err.toString())
          .as(target)
          .startsWith("error: plan has cp = 2 (each sequence split over 2 devices); ")
          .contains("Maybe re-plan with --cp 1, or export to megatron or torchtitan.")
          .doesNotContain("at dev.pipeplan");
      assertThat(outDir).as(target).doesNotExist();
    }
  }

  @Test
  void runRefusesWithExit2AndWritesNoRun() {
    Path runFile = dir.resolve("run.json");
    assertThat(run("run", "--plan", plan.toString(), "-o", runFile.toString())).isEqualTo(2);
    assertThat(err.toString())
        .contains("the plan uses dp 1, tp 1 and cp 2; the CPU executor runs one pipeline replica")
        .doesNotContain("at dev.pipeplan");
    assertThat(runFile).doesNotExist();
  }

  @Test
  void simulateWithCpMatchesThePlansPipelineAndSimulatePlanSaysItsCp() throws Exception {
    JsonNode p = Json.json().readTree(plan.toFile());
    long pipelineNanos = p.at("/predicted/pipelineNanos").asLong();
    List<String> counts = new ArrayList<>();
    p.at("/partition/layerCounts").forEach(n -> counts.add(n.asText()));
    String partition = String.join(",", counts);
    String model =
        "simulate --model gpt-tiny --schedule 1f1b --pp 2 --microbatches 2 --microbatch-size "
            + p.get("microBatchSize").asInt()
            + " --partition "
            + partition
            + " --cluster h100:1x4 --json";
    // dp 1: the plan's one replica sits where simulate puts it, device d from d x tp x cp
    assertThat(run(model + " --cp 2")).as(err.toString()).isZero();
    JsonNode withCp = Json.json().readTree(out.toString());
    assertThat(withCp.get("iterationNanos").asLong()).isEqualTo(pipelineNanos);
    assertThat(withCp.get("contextParallel").asInt()).isEqualTo(2);
    assertThat(run(model)).isZero();
    JsonNode without = Json.json().readTree(out.toString());
    assertThat(without.get("iterationNanos").asLong()).isNotEqualTo(pipelineNanos);
    assertThat(without.has("contextParallel")).isFalse();

    assertThat(run("simulate", "--plan", plan.toString(), "--json")).isZero();
    JsonNode simulated = Json.json().readTree(out.toString());
    assertThat(simulated.get("contextParallel").asInt()).isEqualTo(2);
    assertThat(simulated.get("iterationNanos").asLong()).isEqualTo(pipelineNanos);
    assertThat(run("simulate", "--plan", plan.toString())).isZero();
    assertThat(out.toString()).contains("context parallel cp=2");
  }

  @Test
  void simulateWarnsOfEagerAttentionWithCpAndPlanOfADegreeAboveTheDevices() {
    err.getBuffer().setLength(0);
    assertThat(
            run(
                "simulate --model gpt-tiny --schedule 1f1b --pp 2 --microbatches 2 --cp 2"
                    + " --attention eager"))
        .isZero();
    // before: "the plan splits each sequence ...", with no plan in sight
    assertThat(err.toString())
        .startsWith("warning: this simulation splits each sequence over cp = 2 devices with eager")
        .contains("so neither can run it as priced (a plan of it could not be exported to them)")
        .doesNotContain("the plan");
    err.getBuffer().setLength(0);
    assertThat(run("plan --model gpt-tiny --cluster h100:1x4 --global-batch 4 --cp 8"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--cp 8 exceeds the 4 devices");
  }

  @Test
  void cpOutOfRangeOrAutoNamesTheRangeOnPlanAndSimulate() {
    String simulate = "simulate --model gpt-tiny --schedule 1f1b --pp 2 --microbatches 2 --cp ";
    // before: picocli's "Invalid value for option '--cp': '2147483648' is not an int"
    for (String value : new String[] {"2147483648", "1000001", "two", "-1"}) {
      assertThat(run(simulate + value)).as(value).isEqualTo(2);
      assertThat(err.toString())
          .as(value)
          .isEqualTo(
              "error: --cp must be a whole number from 1 to 1000000 (the most devices of a"
                  + " cluster; 1: no context parallelism), got '"
                  + value
                  + "'\n");
    }
    assertThat(run(simulate + "auto")).isEqualTo(2);
    assertThat(err.toString())
        .startsWith("error: --cp auto searches the context-parallel degree, which only")
        .contains("'pipeplan plan --cp auto'")
        .contains("simulate prices one given degree")
        .contains("Maybe use --cp with a whole number from 1 to 1000000")
        .doesNotContain("not an int");
    // plan takes auto, and names the same range otherwise
    assertThat(run("plan --model gpt-tiny --cluster h100:1x4 --global-batch 4 --cp 2147483648"))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("--cp must be a whole number from 1 to 1000000")
        .contains("or 'auto', got '2147483648'");
  }

  @Test
  void simulateRefusesACpItCannotPrice() throws Exception {
    String base = "simulate --model gpt-tiny --schedule 1f1b --pp 2 --microbatches 2";
    assertThat(run(base + " --cp 3")).isEqualTo(2);
    assertThat(err.toString())
        .contains("--cp 3 splits each sequence into 2 x cp = 6 chunks")
        .contains("the sequence length 32 is not a multiple of 6")
        .contains("Maybe use --seq 30");
    assertThat(run(base + " --cp 0")).isEqualTo(2);
    assertThat(err.toString())
        .contains("--cp must be a whole number from 1 to 1000000")
        .contains("1: no context parallelism), got '0'");
    assertThat(run("simulate --model vgg16 --schedule 1f1b --pp 2 --microbatches 2 --cp 2"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("model 'vgg16' has none with its heads");
    assertThat(
            run("simulate --uniform-stage-ms 1,2 --schedule 1f1b --pp 2 --microbatches 2 --cp 2"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--cp does not apply to --uniform-stage-ms");
    assertThat(run("simulate", "--plan", plan.toString(), "--cp", "2")).isEqualTo(2);
    assertThat(err.toString()).contains("--cp does not apply to --plan");
    // a profile times whole sequences, not a rank's share
    Path profile = dir.resolve("profile.json");
    ProfileJson.write(profile, TestProfiles.flat("gpt-tiny", new Profile.LinearFit(1000, 100)));
    assertThat(run(base + " --cp 2 --profile " + profile)).isEqualTo(2);
    assertThat(err.toString())
        .contains("context-parallel degree 2 needs the roofline cost model")
        .doesNotContain("at dev.pipeplan");
  }

  @Test
  void aModelOfMeasuredTimesIsToldSoNotToDropAProfileItNeverGave() throws Exception {
    Path model = dir.resolve("measured.yaml");
    StringBuilder yaml =
        new StringBuilder("name: measured-gpt\ndtype: fp32\nsequenceLength: 64\nlayers:\n");
    for (String layer :
        List.of(
            "emb, kind: embedding, shape: {vocab: 100, hidden: 64, seq: 64}",
            "block0, kind: transformer_block, shape: {hidden: 64, heads: 4, seq: 64}",
            "head, kind: lm_head, shape: {vocab: 100, hidden: 64, seq: 64}")) {
      yaml.append("  - {name: ")
          .append(layer)
          .append(", forwardMs: 1, backwardMs: 2, parameterCount: 6400, outputBytes: 1000}\n");
    }
    Files.writeString(model, yaml.toString());
    assertThat(run("plan --cluster h100:1x4 --global-batch 8 --cp 2 --model " + model))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("--cp 2 needs the roofline cost model")
        .contains("model 'measured-gpt' gives times for each layer over whole sequences")
        .contains("Maybe use --cp 1, or a model file without measured times.")
        .doesNotContain("--profile");
    assertThat(run("simulate --schedule 1f1b --pp 1 --microbatches 2 --cp 2 --model " + model))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("model 'measured-gpt' gives measured times for each layer")
        .contains("Maybe use a model file without measured times, or use --cp 1.")
        .doesNotContain("--profile");
  }

  @Test
  void aModelFileWithoutASequenceLengthIsToldToGiveOne() throws Exception {
    // its blocks give their own seq, but the model none: --seq cannot set a model file's
    Path model = dir.resolve("no-length.yaml");
    Files.writeString(
        model,
        "name: no-length\ndtype: fp32\nlayers:\n"
            + "  - {name: block0, kind: transformer_block, shape: {hidden: 64, heads: 4, seq: 64},"
            + " forwardMs: 1, backwardMs: 2, parameterCount: 6400, outputBytes: 1000}\n");
    assertThat(run("plan --cluster h100:1x4 --global-batch 8 --cp 2 --model " + model))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("--cp 2 splits each sequence into 2 x cp = 4 chunks, but model 'no-length'")
        .contains("gives no sequence length (sequenceLength 0)")
        .contains("Maybe give the model file a sequenceLength that is a multiple of 4")
        .doesNotContain("--seq")
        .doesNotContain("divides 0");
  }

  @Test
  void reportShowsTheContextParallelDegree() throws Exception {
    Path report = dir.resolve("report");
    assertThat(run("report", "--plan", plan.toString(), "-o", report.toString()))
        .as(err.toString())
        .isZero();
    assertThat(Files.readString(report.resolve("index.html")))
        .contains("pp=2 dp=1 tp=1 cp=2")
        .contains("context parallel cp=2");
  }
}
