package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.ProfileJson;
import dev.pipeplan.simulator.timeline.Timeline;
import dev.pipeplan.simulator.timeline.TimelineJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {
  @TempDir Path dir;

  private StringWriter out = new StringWriter();
  private StringWriter err = new StringWriter();

  private int run(String... args) {
    out = new StringWriter();
    err = new StringWriter();
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private JsonNode json(String... args) throws Exception {
    assertThat(run(args)).as(err.toString()).isZero();
    return Json.json().readTree(out.toString());
  }

  @Test
  void saysWhichDtypeItTrainsInAndWhy() throws Exception {
    assertThat(run("simulate --model gpt-tiny --pp 2 --microbatches 4 --schedule 1f1b".split(" ")))
        .isZero();
    assertThat(out.toString()).contains("dtype: fp32 (the zoo model's)");
    assertThat(err.toString()).doesNotContain("warning");

    Path hf = Files.createDirectories(dir.resolve("hf"));
    Files.writeString(
        hf.resolve("config.json"),
        "{\"model_type\": \"gpt2\", \"n_embd\": 64, \"n_layer\": 2, \"n_head\": 2,"
            + " \"n_positions\": 64, \"vocab_size\": 256, \"torch_dtype\": \"float32\"}");
    assertThat(
            run(
                "simulate",
                "--model",
                hf.toString(),
                "--pp",
                "2",
                "--microbatches",
                "4",
                "--schedule",
                "1f1b"))
        .isZero();
    assertThat(out.toString())
        .contains("dtype: fp32 (torch_dtype float32 in " + hf.resolve("config.json") + ")");
    assertThat(err.toString())
        .contains("warning: model 'hf' trains in fp32 here", "against 692.6 in bf16");
  }

  @Test
  void thePlansJsonNamesTheRunLikeTheModelsDoes() throws Exception {
    // formats.md, "Simulation metrics JSON": the run's keys, tensorParallel among them, with --plan
    // as with --model.
    Path plan = dir.resolve("tp2.json");
    assertThat(
            run(
                ("plan --model gpt2-small --cluster h100:1x4 --global-batch 8 --pp 2 --tp 2 --schedules 1f1b --quiet -o "
                        + plan.toString())
                    .split(" ")))
        .as(err.toString())
        .isZero();
    JsonNode metrics = json("simulate", "--plan", plan.toString(), "--json");
    for (String key :
        List.of(
            "schedule",
            "pp",
            "microbatches",
            "virtualStages",
            "microBatchSize",
            "tensorParallel",
            "model",
            "partition")) {
      assertThat(metrics.has(key)).as(key).isTrue();
    }
    assertThat(metrics.get("tensorParallel").asInt()).isEqualTo(2);
    assertThat(metrics.get("pp").asInt()).isEqualTo(2);
  }

  @Test
  void gpipeAndOneFOneBMatchTheClosedForm() throws Exception {
    for (String kind : new String[] {"gpipe", "1f1b"}) {
      JsonNode metrics =
          json(
              "simulate",
              "--pp",
              "4",
              "--microbatches",
              "8",
              "--schedule",
              kind,
              "--uniform-stage-ms",
              "1,2",
              "--json");

      assertThat(metrics.get("iterationTimeMs").asDouble()).as(kind).isEqualTo(33.0);
      assertThat(metrics.get("bubbleRatio").asDouble())
          .as(kind)
          .isCloseTo(3.0 / 11.0, within(1e-12));
      assertThat(metrics.get("devices")).hasSize(4);
      assertThat(metrics.get("devices").get(0).get("busyMs").asDouble()).isEqualTo(24.0);
    }
  }

  @Test
  void jitterTimesTheScheduleWithRandomDurationsAroundTheCosts() throws Exception {
    String[] base =
        "simulate --pp 4 --microbatches 8 --schedule 1f1b --uniform-stage-ms 1,2 --json --jitter"
            .split(" ");
    JsonNode none = json(append(base, "0"));
    // no jitter: every draw is the closed form's 33 ms
    assertThat(none.get("jitter").get("medianNanos").asLong()).isEqualTo(33_000_000);
    assertThat(none.get("jitter").get("p90Nanos").asLong()).isEqualTo(33_000_000);
    JsonNode some = json(append(base, "0.1"));
    assertThat(some.get("iterationTimeMs").asDouble()).isEqualTo(33.0);
    JsonNode j = some.get("jitter");
    assertThat(j.get("draws").asInt()).isEqualTo(200);
    // with noise the waits take the later of two actions: the iteration gets longer
    assertThat(j.get("meanNanos").asLong()).isGreaterThan(33_000_000);
    assertThat(j.get("p90Nanos").asLong()).isGreaterThan(j.get("p10Nanos").asLong());
    assertThat(json(append(base, "0.1"))).isEqualTo(some);
    assertThat(
            run(
                "simulate --pp 4 --microbatches 8 --schedule 1f1b --uniform-stage-ms 1,2 --jitter 0.1"
                    .split(" ")))
        .isZero();
    assertThat(out.toString())
        .contains("with 10.0% jitter per action (200 draws): iteration median");
    assertThat(run(append(base, "-0.5"))).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(err.toString())
        .contains("--jitter must be a coefficient of variation from 0 to 1.0");
  }

  private static String[] append(String[] args, String last) {
    String[] all = Arrays.copyOf(args, args.length + 1);
    all[args.length] = last;
    return all;
  }

  @Test
  void zbAutoPlansWithTheModelsCostsAndIsNeverSlowerThanZbH2() throws Exception {
    double[] ms = new double[2];
    String[] kinds = {"zb-h2", "zb-auto"};
    for (int k = 0; k < 2; k++) {
      ms[k] =
          json(
                  "simulate",
                  "--model",
                  "gpt2-small",
                  "--pp",
                  "4",
                  "--microbatches",
                  "8",
                  "--partition",
                  "5,3,3,3",
                  "--schedule",
                  kinds[k],
                  "--json")
              .get("iterationTimeMs")
              .asDouble();
    }
    // Unequal stages (the embedding on the first, the head on the last): zb-auto plans with the
    // simulated costs and has zb-h2 among its candidates, so it never loses to it; twice, the same.
    assertThat(ms[1]).isLessThanOrEqualTo(ms[0]);
    JsonNode auto =
        json(
            "simulate --model gpt2-small --pp 4 --microbatches 8 --partition 5,3,3,3 --schedule zb-auto --json"
                .split(" "));
    assertThat(auto.get("iterationTimeMs").asDouble()).isEqualTo(ms[1]);
  }

  @Test
  void postValidationReportsTheSteadyStatePeriodBesideTheUnchangedSynchronousIteration()
      throws Exception {
    String[] base =
        "simulate --pp 4 --microbatches 8 --schedule zb-h2 --uniform-stage-ms 1,1,1 --json"
            .split(" ");
    JsonNode off = json(base);
    List<String> withFlag = new ArrayList<>(List.of(base));
    withFlag.add("--optimizer-post-validation");
    JsonNode on = json(withFlag.toArray(String[]::new));

    // ZB-H2 on T_F = T_I = T_W: one synchronous iteration is 3m + p - 1 = 27 ms; iterations back to
    // back repeat every 3m = 24 ms, the devices' own work, with no bubble.
    assertThat(off.get("optimizerPostValidation").asBoolean()).isFalse();
    assertThat(off.has("postValidation")).isFalse();
    assertThat(on.get("iterationTimeMs").asDouble())
        .isEqualTo(off.get("iterationTimeMs").asDouble());
    assertThat(on.get("iterationTimeMs").asDouble()).isEqualTo(27.0);
    assertThat(on.get("optimizerPostValidation").asBoolean()).isTrue();
    assertThat(on.get("postValidation").get("periodMs").asDouble()).isEqualTo(24.0);
    assertThat(on.get("postValidation").get("bubbleRatio").asDouble()).isEqualTo(0.0);

    assertThat(run(withFlag.subList(0, withFlag.size() - 2).toArray(String[]::new))).isZero();
    assertThat(out.toString()).contains("optimizer post-validation: off");
    List<String> text = new ArrayList<>(withFlag);
    text.remove("--json");
    assertThat(run(text.toArray(String[]::new))).isZero();
    assertThat(out.toString())
        .contains("optimizer post-validation: on  steady-state period 24.000 ms  bubble 0.00%")
        // said, so that it is not read as a plan's period, which holds its sync and step
        .contains("back to back of the pipeline alone: no optimizer step or gradient sync");
  }

  @Test
  void postValidationIsRefusedForKindsTheZeroBubbleCodeDoesNotPostValidateAndABadCapToo() {
    int exit =
        run(
            "simulate --pp 4 --microbatches 8 --schedule 1f1b --uniform-stage-ms 1,2 --optimizer-post-validation"
                .split(" "));

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString())
        .contains("--optimizer-post-validation is not available for schedule kind '1f1b'")
        .contains("Maybe use --schedule zb-auto")
        .doesNotContain("Exception");

    assertThat(
            run(
                "simulate --pp 4 --microbatches 8 --schedule zb-auto --uniform-stage-ms 1,1,1 --max-in-flight -1"
                    .split(" ")))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--max-in-flight must be >= 0").contains("got -1");
  }

  @Test
  void interleavedAndZeroBubbleMatchTheClosedForm() throws Exception {
    assertThat(
            json("simulate --pp 4 --microbatches 8 --schedule interleaved --virtual-stages 2 --uniform-stage-ms 1,2 --json"
                    .split(" "))
                .get("iterationTimeMs")
                .asDouble())
        .isEqualTo(28.5);
    assertThat(
            json("simulate --pp 4 --microbatches 8 --schedule zb-h1 --uniform-stage-ms 1,1,1 --json"
                    .split(" "))
                .get("iterationTimeMs")
                .asDouble())
        .isEqualTo(27.0);
  }

  @Test
  void reportsInFlightMicroBatchesPerDevice() throws Exception {
    JsonNode oneFOneB =
        json(
            "simulate --pp 4 --microbatches 8 --schedule 1f1b --uniform-stage-ms 1,2 --json"
                .split(" "));
    JsonNode gpipe =
        json(
            "simulate --pp 4 --microbatches 8 --schedule gpipe --uniform-stage-ms 1,2 --json"
                .split(" "));

    for (int r = 0; r < 4; r++) {
      assertThat(oneFOneB.get("devices").get(r).get("peakInFlightMicroBatches").asInt())
          .isEqualTo(4 - r);
      assertThat(gpipe.get("devices").get(r).get("peakInFlightMicroBatches").asInt()).isEqualTo(8);
    }
    assertThat(oneFOneB.get("throughputSamplesPerSecond").asDouble())
        .isCloseTo(8 / 0.033, within(1e-9));
  }

  @Test
  void simulatesAZooModelAndWritesTheTimeline() throws Exception {
    Path file = dir.resolve("timeline.json");
    JsonNode metrics =
        json(
            "simulate",
            "--model",
            "gpt2-small",
            "--pp",
            "2",
            "--microbatches",
            "4",
            "--schedule",
            "1f1b",
            "--partition",
            "8,6",
            "--json",
            "--timeline",
            file.toString());

    Timeline timeline = TimelineJson.read(file);
    assertThat(timeline.actions()).hasSize(2 * 4 * 2);
    assertThat(timeline.transfers()).hasSize(2 * 4);
    assertThat(metrics.get("iterationNanos").asLong())
        .isEqualTo(timeline.makespanNanos())
        .isPositive();
    assertThat(metrics.get("partition").asText()).isEqualTo("8,6");
    assertThat(metrics.get("devices").get(0).get("peakMemoryBytes").asLong())
        .isGreaterThan(metrics.get("devices").get(1).get("peakMemoryBytes").asLong() / 2);
  }

  @Test
  void sameInputGivesTheSameBytes() throws Exception {
    Path first = dir.resolve("a.json");
    Path second = dir.resolve("b.json");
    String[] args = {
      "simulate",
      "--model",
      "gpt2-small",
      "--pp",
      "4",
      "--microbatches",
      "8",
      "--schedule",
      "zb-h1",
      "--json",
      "--timeline",
      ""
    };
    args[args.length - 1] = first.toString();
    run(args);
    String firstOut = out.toString();
    args[args.length - 1] = second.toString();
    run(args);

    assertThat(out.toString()).isEqualTo(firstOut);
    assertThat(Files.readString(second)).isEqualTo(Files.readString(first));
  }

  @Test
  void printsASummaryTable() {
    assertThat(
            run(
                "simulate --pp 2 --microbatches 4 --schedule 1f1b --uniform-stage-ms 1,2"
                    .split(" ")))
        .isZero();

    assertThat(out.toString()).contains("iteration 15.000 ms", "bubble 20.00%", "busy ms");
  }

  @Test
  void importsAPyTorchCsv() throws Exception {
    Path csv = dir.resolve("1f1b.csv");
    Files.writeString(csv, "0F0,0F1,0B0,0B1\n,1F0,1B0,1F1,1B1\n");

    JsonNode metrics =
        json(
            "simulate",
            "--pp",
            "2",
            "--microbatches",
            "2",
            "--schedule",
            csv.toString(),
            "--uniform-stage-ms",
            "1,2",
            "--json");

    assertThat(metrics.get("iterationTimeMs").asDouble()).isEqualTo(9.0);
  }

  @Test
  void costsWithAMeasuredProfile() throws Exception {
    List<Profile.LayerProfile> layers = new ArrayList<>();
    for (LayerSpec layer : ModelLoader.load("gpt-tiny").layers()) {
      Profile.LinearFit line = new Profile.LinearFit(1000, 100);
      layers.add(new Profile.LayerProfile(layer.name(), List.of(), line, line, line));
    }
    Path file = dir.resolve("profile.json");
    ProfileJson.write(
        file,
        new Profile(
            "gpt-tiny",
            "cpu",
            "test",
            layers,
            0,
            1e18,
            Profile.Repeatability.unknown(),
            List.of(),
            0));

    JsonNode metrics =
        json(
            "simulate",
            "--model",
            "gpt-tiny",
            "--pp",
            "2",
            "--microbatches",
            "4",
            "--schedule",
            "1f1b",
            "--partition",
            "5,5",
            "--microbatch-size",
            "2",
            "--profile",
            file.toString(),
            "--json");

    // Five layers of 1000 + 100 x 2 ns each for F, I and W: 4 micro-batches x (6 + 6 + 6) us per
    // device.
    assertThat(metrics.get("devices").get(0).get("busyNanos").asLong()).isEqualTo(4 * 18_000L);
    assertThat(metrics.get("devices").get(1).get("busyNanos").asLong()).isEqualTo(4 * 18_000L);
  }

  @Test
  void rejectsAPartitionOfTheWrongLength() {
    assertThat(
            run(
                "simulate --model gpt2-small --pp 2 --microbatches 4 --schedule 1f1b --partition 5,5,4"
                    .split(" ")))
        .isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(err.toString()).contains("3 stages", "Maybe give 2 layer counts");
  }

  @Test
  void needsAModelOrFixedStageTimes() {
    assertThat(run("simulate", "--pp", "2", "--microbatches", "4", "--schedule", "1f1b"))
        .isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(err.toString()).contains("--model", "--uniform-stage-ms");
  }

  @Test
  void memoryWarningComparesEachDeviceWithItsOwnLimit() throws Exception {
    // two 80 GB H100s then two 32 GB V100s: about 40 GiB per device is within the H100s' limit
    // and over the V100s' (the old check compared the highest peak with device 0's limit only);
    // eager attention keeps GPT-2's s² scores, which flash (the default) does not
    Path cluster = dir.resolve("mixed.yaml");
    java.nio.file.Files.writeString(
        cluster,
        "name: mixed\n"
            + "groups:\n"
            + "  - device: h100\n"
            + "    devicesPerNode: 2\n"
            + "  - device: v100\n"
            + "    devicesPerNode: 2\n");
    assertThat(
            run(
                ("simulate --model gpt2-xl --pp 4 --microbatches 8 --microbatch-size 2 --schedule gpipe --attention eager --cluster "
                        + cluster.toString())
                    .split(" ")))
        .as(err.toString())
        .isZero();
    assertThat(out.toString())
        .containsPattern(
            "warning: 2 of 4 pipeline devices exceed their memory; worst: device [23] \\(v100\\)")
        .contains("over its 30.00 GiB");
  }

  @Test
  void aPlansJsonCarriesItsParallelismAndThePricedIterationBesideThePipeline() throws Exception {
    Path planFile = dir.resolve("plan.json");
    assertThat(
            run(
                ("plan --model gpt-tiny --cluster h100:1x8 --global-batch 32 --pp 2 --tp 2 --schedules 1f1b --quiet -o "
                        + planFile.toString())
                    .split(" ")))
        .as(err.toString())
        .isZero();
    JsonNode plan = Json.json().readTree(Files.readString(planFile));
    JsonNode predicted = plan.get("predicted");
    int dp = plan.get("parallelism").get("dp").asInt();
    assertThat(dp).isEqualTo(2);

    JsonNode metrics = json("simulate", "--plan", planFile.toString(), "--json");
    // the pipeline alone, as before; the plan's own iteration and throughput beside it
    assertThat(metrics.get("iterationNanos").asLong())
        .isEqualTo(predicted.get("pipelineNanos").asLong());
    assertThat(metrics.get("tensorParallel").asInt()).isEqualTo(2);
    assertThat(metrics.get("dataParallel").asInt()).isEqualTo(dp);
    assertThat(metrics.get("cluster").asText()).isEqualTo("h100:1x8");
    assertThat(metrics.get("memoryLimitBytes").asLong())
        .isEqualTo(predicted.get("memoryLimitBytes").asLong());
    JsonNode priced = metrics.get("plan");
    assertThat(priced.get("iterationNanos").asLong())
        .isEqualTo(predicted.get("iterationNanos").asLong())
        .isGreaterThan(metrics.get("iterationNanos").asLong());
    assertThat(priced.get("throughputSamplesPerSecond").asDouble())
        .isEqualTo(predicted.get("throughputSamplesPerSecond").asDouble());
    assertThat(priced.get("samplesPerIteration").asInt()).isEqualTo(32);

    assertThat(run("simulate", "--plan", planFile.toString())).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "the plan's throughput %.1f samples/s: dp=2 replicas of 16 samples each",
                predicted.get("throughputSamplesPerSecond").asDouble()))
        // the MFU over the plan's whole iteration, as plan prints it
        .containsPattern(
            "the plan's model FLOPs: [0-9.]+ [GT]FLOP/s per device, [0-9.]+% of the dense [a-z0-9]+"
                + " peak \\(MFU\\) over its iteration");
  }

  @Test
  void aSmallModelsPeaksReadInMebibytesNotAsZeroGibibytes() {
    assertThat(run("simulate --model gpt-tiny --pp 4 --microbatches 4 --schedule 1f1b".split(" ")))
        .as(err.toString())
        .isZero();
    // each device holds a few MiB: the table read "0.00 GiB" on every row
    assertThat(out.toString())
        .doesNotContain("0.00 GiB")
        .containsPattern("(?m)^\\s+0\\s+[0-9.]+\\s+[1-9][0-9]*\\.[0-9]{2} MiB\\s+4$");
  }

  @Test
  void onSeveralNodesThePlacementSaysWhyAPlanAndTheSameFlagsDiffer() throws Exception {
    // pp 2, dp 4, tp 2 on two nodes of 8: the plan puts pipeline device 1 on node 1, the flags
    // (one replica) on node 0, so the iterations differ by the hop; both outputs say where
    Path planFile = dir.resolve("two-nodes.json");
    assertThat(
            run(
                ("plan --model gpt2-small --cluster h100:2x8 --global-batch 64 --pp 2 --tp 2 --schedules 1f1b --quiet -o "
                        + planFile.toString())
                    .split(" ")))
        .as(err.toString())
        .isZero();
    assertThat(run("simulate", "--plan", planFile.toString())).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("placement: the plan's pipeline devices on nodes 0,1 (hops between nodes over");
    assertThat(
            run(
                "simulate --model gpt2-small --cluster h100:2x8 --pp 2 --tp 2 --microbatches 4 --schedule 1f1b"
                    .split(" ")))
        .as(err.toString())
        .isZero();
    assertThat(out.toString())
        .contains("placement: one replica (dp=1)", "on nodes 0,0 (every hop over nvlink4)");
  }
}
