package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-input corpus: for every command, command lines a careless or malicious user could
 * type (negative, zero, huge and overflowing sizes, wrong units, existing and unwritable paths,
 * truncated and contradictory plan files). Each must end with exit code 2 within 5 seconds, an
 * "error:" line that names what was wrong, no stack trace, and no file created, changed or deleted.
 *
 * <p>In a case's arguments, {@code @/name} stands for a path inside the test's folder.
 */
class HostileCommandLinesTest {
  @TempDir static Path dir;

  /** What each refusal must stay within: the bound for an answer to bad input. */
  private static final Duration ANSWER_WITHIN = Duration.ofSeconds(5);

  @BeforeAll
  static void fixtures() throws IOException {
    // a plan of the tiny GPT, and one whose blocks are cut into steps
    planFixture("plan.json", "h100:1x4 --pp 4");
    planFixture("plan-pieces.json", "h100:1x2 --pp 2 --partition-unit step");
    planFixture("plan-zero3.json", "h100:1x4 --pp 2 --zero 3");
    planFixture("plan-cp2.json", "cpu:1x4 --pp 2 --cp 2");
    String plan = Files.readString(dir.resolve("plan.json"));
    Files.writeString(dir.resolve("truncated.json"), plan.substring(0, plan.length() / 2));
    Files.writeString(dir.resolve("contradictory.json"), contradictory(plan));
    Files.writeString(
        dir.resolve("bad-enum.json"),
        plan.replace("\"attention\" : \"FLASH\"", "\"attention\" : \"SPARSE\""));
    Files.createDirectories(dir.resolve("existing"));
    Files.createDirectories(dir.resolve("sub"));
    Path hf = Files.createDirectories(dir.resolve("hf-model"));
    Files.writeString(
        hf.resolve("config.json"),
        "{\"model_type\": \"gpt2\", \"n_embd\": 8, \"n_layer\": 2, \"n_head\": 1,"
            + " \"n_positions\": 8, \"vocab_size\": 16}");
    // a hand edit that left a key twice: the last value used to win silently
    Files.writeString(
        Files.createDirectories(dir.resolve("hf-dup")).resolve("config.json"),
        "{\"model_type\": \"gpt2\", \"n_embd\": 8, \"n_layer\": 12, \"n_head\": 1,"
            + " \"n_layer\": 2, \"n_positions\": 8, \"vocab_size\": 16}");
    Files.writeString(dir.resolve("a-file"), "not a folder\n");
    Path users = Files.createDirectories(dir.resolve("users-folder"));
    Files.writeString(users.resolve("index.html"), "<html>my own page</html>\n");
    Files.writeString(users.resolve("notes.txt"), "my notes\n");
    Files.createDirectories(users.resolve("sub")).resolve("keep.txt");
    Files.writeString(users.resolve("sub").resolve("keep.txt"), "keep\n");
    Files.writeString(dir.resolve("empty.json"), "");
    // a Hugging Face config with the most blocks it may have: with the embedding and the head,
    // more layers than a model file may list
    Files.writeString(
        dir.resolve("most-blocks.json"),
        "{\"model_type\": \"gpt2\", \"n_embd\": 8, \"n_layer\": 100000, \"n_head\": 1,"
            + " \"n_positions\": 8, \"vocab_size\": 16}");
    Files.writeString(
        dir.resolve("cluster.json"),
        dev.pipeplan.models.io.Json.write(
            dev.pipeplan.models.cluster.ClusterFile.toTree(
                dev.pipeplan.models.cluster.Clusters.load("h100:1x8"))));
    Files.createSymbolicLink(dir.resolve("link-cluster.json"), dir.resolve("cluster.json"));
    String run =
        "{\"id\": \"r1\", \"model\": \"gpt2-small\", \"cluster\": \"a100:1x8\", \"tp\": 1,"
            + " \"pp\": 1, \"microBatchSize\": 1, \"globalBatch\": 8, \"sequenceLength\": 1024,"
            + " \"iterationSeconds\": ";
    Files.writeString(dir.resolve("runs.json"), "{\"runs\": [" + run + "0.5}]}");
    Files.writeString(dir.resolve("runs-negative.json"), "{\"runs\": [" + run + "-1}]}");
    Files.writeString(dir.resolve("runs-huge.json"), "{\"runs\": [" + run + "1e300}]}");
    Files.writeString(dir.resolve("runs-tiny.json"), "{\"runs\": [" + run + "1e-300}]}");
    Files.writeString(dir.resolve("runs-quoted.json"), "{\"runs\": [" + run + "\"5\"}]}");
    Files.writeString(
        dir.resolve("runs-quoted-cp.json"),
        "{\"runs\": [" + run.replace("\"pp\": 1", "\"pp\": 1, \"cp\": \"2\"") + "0.5}]}");
    Files.writeString(
        dir.resolve("runs-quoted-fp8.json"),
        "{\"runs\": [" + run.replace("\"pp\": 1", "\"pp\": 1, \"fp8\": \"true\"") + "0.5}]}");
    Files.writeString(
        dir.resolve("runs-fp8linears.json"),
        "{\"runs\": [" + run.replace("\"pp\": 1", "\"pp\": 1, \"fp8Linears\": true") + "0.5}]}");
    // runs that name a model file and a cluster file beside them, the cluster as FILE:NxP
    Path measured = Files.createDirectories(dir.resolve("measured"));
    dev.pipeplan.models.io.ModelLoader.write(
        dev.pipeplan.models.io.ModelLoader.load("gpt2-small"), measured.resolve("model.json"));
    Files.writeString(
        measured.resolve("a100.json"),
        dev.pipeplan.models.io.Json.write(
            dev.pipeplan.models.cluster.ClusterFile.toTree(
                dev.pipeplan.models.cluster.Clusters.load("a100:1x8"))));
    Files.writeString(
        measured.resolve("runs.json"),
        "{\"runs\": ["
            + run.replace("\"gpt2-small\"", "\"model.json\"")
                .replace("\"a100:1x8\"", "\"a100.json:1x8\"")
            + "0.5}]}");
    dev.pipeplan.models.io.ModelLoader.write(
        dev.pipeplan.models.io.ModelLoader.load("gpt-tiny"), dir.resolve("tiny-model.json"));
    Files.writeString(dir.resolve("runs-empty.json"), "{\"runs\": []}");
    Files.writeString(
        dir.resolve("runs-split.json"),
        "{\"runs\": ["
            + run.replace("\"pp\": 1", "\"pp\": 2, \"stageBlocks\": \"3,x\"")
            + "0.5}]}");
    Files.writeString(
        dir.resolve("runs-twice.json"),
        "{\"runs\": ["
            + run.replace("\"pp\": 1", "\"pp\": 1, \"schedule\": \"1f1b,1f1b\"")
            + "0.5}]}");
    Files.writeString(
        dir.resolve("runs-emptykind.json"),
        "{\"runs\": ["
            + run.replace("\"pp\": 1", "\"pp\": 1, \"schedule\": \"1f1b,,zb-v\"")
            + "0.5}]}");
    Files.writeString(
        dir.resolve("runs-reduce.json"),
        "{\"runs\": ["
            + run.replace("\"pp\": 1", "\"pp\": 1, \"gradientReduce\": \"allreduce\"")
            + "0.5}]}");
    Files.writeString(
        dir.resolve("runs-accumulation.json"),
        "{\"runs\": ["
            + run.replace("\"pp\": 1", "\"pp\": 1, \"gradientAccumulation\": \"lazy\"")
            + "0.5}]}");
    Files.writeString(
        dir.resolve("runs-dualpipev.json"),
        "{\"runs\": ["
            + run.replace("\"pp\": 1", "\"pp\": 1, \"schedule\": \"dualpipev\"")
            + "0.5}]}");
    Files.writeString(
        dir.resolve("runs-b0.json"),
        "{\"runs\": [" + run.replace("\"microBatchSize\": 1", "\"microBatchSize\": 0") + "0.5}]}");
    // gpt2-small's 12 blocks do not divide over 8 chunks: Megatron could not have run it
    Files.writeString(
        dir.resolve("runs-unequal.json"),
        "{\"runs\": ["
            + run.replace("\"pp\": 1", "\"pp\": 8, \"stageBlocks\": \"equal\"")
            + "0.5}]}");
    StringWriter err = new StringWriter();
    int big =
        Main.execute(
            new String[] {
              "plan",
              "--model",
              "gpt2-xl",
              "--cluster",
              "h100:1x4",
              "--global-batch",
              "64",
              "--pp",
              "4",
              "--schedules",
              "1f1b",
              "--quiet",
              "-o",
              dir.resolve("gpu-plan.json").toString()
            },
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true));
    assertThat(big).as(err.toString()).isZero();
    calibrationFixtures();
    // a torch-script export, which a report must not replace
    StringWriter exportErr = new StringWriter();
    int exported =
        Main.execute(
            new String[] {
              "export",
              "--plan",
              dir.resolve("plan.json").toString(),
              "--to",
              "torch-script",
              "-o",
              dir.resolve("ts-export").toString()
            },
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(exportErr, true));
    assertThat(exported).as(exportErr.toString()).isZero();
    // the plan with its micro-batch size edited far past what its stored prediction describes
    writeEdited(
        plan,
        "plan-b-huge.json",
        root -> {
          int m = root.get("microBatchCount").asInt();
          root.put("microBatchSize", 1_000_000);
          ((ObjectNode) root.get("training")).put("globalBatch", 1_000_000 * m);
        });
    // the plan (b 8, m 2, layers 3,2,2,3) with its micro-batch size and count edited, keeping the
    // global batch, and with a layer moved from its first stage to its second: the stage costs are
    // still those of the plan as written
    assertThat(plan).contains("\"microBatchSize\" : 8").contains("\"microBatchCount\" : 2");
    writeEdited(plan, "plan-grouped.json", root -> root.put("groupSize", 3));
    // a runner-up that needs more devices than the cluster has (the report lists it as a plan)
    writeEdited(
        plan,
        "plan-runner-up-cp.json",
        root ->
            ((ObjectNode) root.get("runnersUp").get(0).get("parallelism"))
                .put("cp", Integer.MAX_VALUE));
    writeEdited(plan, "plan-capped.json", root -> root.put("maxInFlightMicroBatches", 1));
    writeEdited(
        plan,
        "plan-b-edited.json",
        root -> {
          root.put("microBatchSize", 4);
          root.put("microBatchCount", 4);
        });
    writeEdited(
        plan,
        "plan-moved.json",
        root -> {
          ArrayNode counts = (ArrayNode) root.get("partition").get("layerCounts");
          assertThat(counts.toString()).isEqualTo("[3,2,2,3]");
          counts.set(0, 2);
          counts.set(1, 3);
        });
    // the plan with a sequence past gpt-tiny's 64 learned positions
    writeEdited(
        plan,
        "plan-long.json",
        root -> {
          ((ObjectNode) root.get("model")).put("sequenceLength", 4096);
          ((ObjectNode) root.get("training")).put("sequenceLength", 4096);
        });
    // hand edits that bind to no plan: a field left out, null, of the wrong shape, misspelt
    writeEdited(plan, "plan-no-b.json", root -> root.remove("microBatchSize"));
    writeEdited(plan, "plan-null-model.json", root -> root.putNull("model"));
    writeEdited(plan, "plan-list-partition.json", root -> root.putArray("partition"));
    writeEdited(plan, "plan-typo.json", root -> root.put("microBatchSise", 4));
    // a 1F1B schedule of 4 micro-batches whose first forward was edited to micro-batch 9
    Files.writeString(
        dir.resolve("gap.csv"),
        "0F9,0F1,,0B0,0F2,0B1,0F3,0B2,,0B3\n,1F0,1B0,1F1,1B1,1F2,1B2,1F3,1B3\n");
    // a hand edit that left text after the document: the first value used to be read, the rest
    // ignored
    Files.writeString(dir.resolve("plan-trailing.json"), plan + "{\"microBatchSize\" : 4}\n");
    Files.writeString(
        dir.resolve("model-trailing.json"),
        Files.readString(dir.resolve("tiny-model.json")) + "garbage\n");
    Files.writeString(
        dir.resolve("cluster-trailing.json"),
        Files.readString(dir.resolve("cluster.json")) + "]\n");
    Files.writeString(
        dir.resolve("profile-trailing.json"),
        Files.readString(dir.resolve("tiny-profile.json")) + "{}\n");
    Files.writeString(
        dir.resolve("model-two-documents.yaml"),
        "name: two\nlayers:\n  - name: a\n    forwardMs: 1\n---\nname: other\n");
    // model files whose block shapes the cost model cannot price
    String tinyModel = Files.readString(dir.resolve("tiny-model.json"));
    assertThat(tinyModel).contains("\"heads\" : 4,").contains("\"ffn\" : 256,");
    Files.writeString(
        dir.resolve("model-heads0.json"),
        tinyModel.replaceFirst("\"heads\" : 4,", "\"heads\" : 0,"));
    Files.writeString(
        dir.resolve("model-heads7.json"),
        tinyModel.replaceFirst("\"heads\" : 4,", "\"heads\" : 7,"));
    Files.writeString(
        dir.resolve("model-kv64.json"),
        tinyModel.replaceFirst("\"kvHeads\" : 4,", "\"kvHeads\" : 64,"));
    Files.writeString(
        dir.resolve("model-ffn0.json"), tinyModel.replaceFirst("\"ffn\" : 256,", "\"ffn\" : 0,"));
    Files.writeString(
        dir.resolve("model-slice.json"),
        tinyModel.replaceFirst("\"tied\" :", "\"slice\" : 1, \"tied\" :"));
    // cluster files with sizes past what an int, a long or the simulator holds
    String clusterJson = Files.readString(dir.resolve("cluster.json"));
    assertThat(clusterJson).contains("\"nodes\" : 1,").contains("\"launchOverheadNanos\" : ");
    Files.writeString(
        dir.resolve("cluster-nodes.json"),
        clusterJson.replace("\"nodes\" : 1,", "\"nodes\" : 2147483647,"));
    Files.writeString(
        dir.resolve("cluster-memory.json"),
        clusterJson.replaceFirst("\"memoryBytes\" : [0-9]+", "\"memoryGiB\" : 1e30"));
    Files.writeString(
        dir.resolve("cluster-slow.json"),
        clusterJson.replaceFirst("\"fp32\" : [0-9.E]+", "\"fp32\" : 1e-300"));
    Files.writeString(
        dir.resolve("cluster-launch.json"),
        clusterJson.replaceFirst(
            "\"launchOverheadNanos\" : [0-9]+", "\"launchOverheadNanos\" : 4611686018427387904"));
    Files.writeString(
        dir.resolve("cluster-tflops.json"),
        "{\"groups\": [{\"device\": {\"name\": \"x\", \"sustainedTflops\": {\"bf16\": 1e300},"
            + " \"memoryGiB\": 80, \"memoryBandwidthGBps\": 3000}, \"devicesPerNode\": 8}],"
            + " \"intraNodeLink\": \"nvlink4\", \"interNodeLink\": \"ib-ndr\"}\n");
    // a node of 4 devices, then two nodes of 2: a tensor-parallel group of 4 after the first node
    // spans two nodes
    Files.writeString(
        dir.resolve("cluster-uneven-nodes.json"),
        "{\"groups\": [{\"device\": \"h100\", \"devicesPerNode\": 4},"
            + " {\"device\": \"h100\", \"nodes\": 2, \"devicesPerNode\": 2}]}\n");
    // a plan whose I and W each fit a long, but whose fused B does not; priced (it says) by a
    // profile, whose times the plan reader cannot check against the analytic roofline
    writeEdited(
        plan,
        "plan-long-backward.json",
        root -> {
          ObjectNode first = (ObjectNode) root.get("stageCosts").get(0);
          first.put("backwardInputNanos", 1L << 62);
          first.put("backwardWeightNanos", 1L << 62);
          ((ObjectNode) root.get("provenance")).put("costSource", "profile p.json");
        });
    Files.writeString(
        dir.resolve("two-ranks.csv"),
        "0F0,0F1,,0B0,0F2,0B1,0F3,0B2,,0B3\n,1F0,1B0,1F1,1B1,1F2,1B2,1F3,1B3\n");
    // a folder where an export writes one of its files
    Files.createDirectories(dir.resolve("csv-out").resolve("stages.json"));
    Files.writeString(dir.resolve("csv-out").resolve("schedule.csv"), "the user's own\n");
  }

  /**
   * A run of gpt-tiny (its plan's prediction, as if measured), profiles of gpt-tiny and of
   * gpt-small-cpu.
   */
  private static void calibrationFixtures() {
    dev.pipeplan.planner.Plan plan = dev.pipeplan.planner.PlanJson.read(dir.resolve("plan.json"));
    dev.pipeplan.simulator.timeline.Timeline predicted =
        dev.pipeplan.planner.PlanPrediction.predict(plan).timeline();
    dev.pipeplan.simulator.timeline.Timeline measured =
        new dev.pipeplan.simulator.timeline.Timeline(
            dev.pipeplan.simulator.timeline.Timeline.MEASURED,
            predicted.scheduleName(),
            predicted.deviceCount(),
            predicted.actions(),
            List.of(),
            List.of());
    dev.pipeplan.simulator.compare.RunJson.write(
        dir.resolve("run.json"),
        new dev.pipeplan.simulator.compare.MeasuredRun(
            "gpt-tiny",
            "1f1b",
            plan.parallelism().pp(),
            plan.virtualStages(),
            plan.microBatchCount(),
            plan.microBatchSize(),
            plan.partition().toString(),
            predicted,
            List.of(measured),
            0,
            List.of(1.0),
            0,
            "cpu",
            "test",
            "test",
            1L,
            List.of(),
            dev.pipeplan.simulator.compare.RunNoise.unknown(),
            dev.pipeplan.models.Provenance.unrecorded(),
            0));
    dev.pipeplan.models.io.ProfileJson.write(
        dir.resolve("tiny-profile.json"), profileOf("gpt-tiny"));
    dev.pipeplan.models.io.ProfileJson.write(
        dir.resolve("small-profile.json"), profileOf("gpt-small-cpu"));
    dev.pipeplan.models.io.ProfileJson.write(
        dir.resolve("tiny-profile-at-64.json"), profileOf("gpt-tiny").withSequenceLength(64));
    dev.pipeplan.models.Profile tiny = profileOf("gpt-tiny");
    dev.pipeplan.models.io.ProfileJson.write(
        dir.resolve("tiny-profile-two-layers.json"),
        new dev.pipeplan.models.Profile(
            tiny.modelName(),
            "cpu",
            "test",
            tiny.layers().subList(0, 2),
            20_000,
            1e12,
            dev.pipeplan.models.Profile.Repeatability.unknown(),
            List.of(),
            0));
  }

  private static dev.pipeplan.models.Profile profileOf(String model) {
    dev.pipeplan.models.ModelSpec m = dev.pipeplan.models.io.ModelLoader.load(model);
    List<dev.pipeplan.models.Profile.LayerProfile> layers = new ArrayList<>();
    dev.pipeplan.models.Profile.LinearFit fit =
        new dev.pipeplan.models.Profile.LinearFit(10_000, 100_000);
    for (int i = 0; i < m.layerCount(); i++) {
      layers.add(
          new dev.pipeplan.models.Profile.LayerProfile(
              m.layer(i).name(), List.of(), fit, fit, fit));
    }
    return new dev.pipeplan.models.Profile(
        m.name(),
        "cpu",
        "test",
        layers,
        20_000,
        1e12,
        dev.pipeplan.models.Profile.Repeatability.unknown(),
        List.of(),
        0);
  }

  /** The plan with its first stage moved to another device than its schedule kind puts it on. */
  private static String contradictory(String plan) {
    int at = plan.indexOf("\"stageToDevice\"");
    assertThat(at).as("plan has a stageToDevice field").isPositive();
    int open = plan.indexOf('[', at);
    int close = plan.indexOf(']', open);
    String[] devices = plan.substring(open + 1, close).split(",");
    devices[0] = devices[0].replace("0", "3");
    return plan.substring(0, open + 1) + String.join(",", devices) + plan.substring(close);
  }

  static Stream<Arguments> corpus() {
    List<Arguments> c = new ArrayList<>();
    // the top level
    c.add(of("plna", "did you mean", "plna"));
    // schedule
    c.add(of("schedule --kind 1f1b --pp -3 --microbatches 8", "-3"));
    c.add(of("schedule --kind 1f1b --pp 0 --microbatches 8", "0"));
    c.add(of("schedule --kind 1f1b --pp 4 --microbatches 0", "0"));
    c.add(of("schedule --kind 1f1b --pp 4 --microbatches 99999999999", "99999999999"));
    c.add(of("schedule --kind 1f1b --pp 4x --microbatches 8", "4x"));
    c.add(of("schedule --kind 1f1b --pp 100000 --microbatches 8", "100000"));
    c.add(of("schedule --kind 1f1b --pp 4 --microbatches 100000000", "100000000"));
    c.add(of("schedule --kind interleaved --pp 4 --microbatches 8 --virtual-stages -1", "-1"));
    c.add(of("schedule --kind 1f1b --pp 4 --microbatches 8 --format xml", "xml"));
    c.add(of("schedule --kind 1f1bb --pp 4 --microbatches 8", "1f1bb"));
    c.add(
        of("schedule --kind 1f1b --pp 4 --microbatches 8 --virtual-stages 0", "--virtual-stages"));
    c.add(of("schedule --kind 1f1b --pp 4 --microbatches 8 --legacy-csv", "--legacy-csv", "text"));
    c.add(
        of(
            "simulate --uniform-stage-ms 0,0 --pp 2 --microbatches 4 --schedule 1f1b",
            "--uniform-stage-ms",
            "0,0"));
    c.add(of("profile --model gpt-tiny --in-flight 0 -o @/p.json", "--in-flight", "16", "0"));
    c.add(
        of("profile --model gpt-tiny --concurrent-workers 0 -o @/p.json", "--concurrent-workers"));
    // the kind's minimum (2p) is past the action limit: no count fits, and the refusal says so
    c.add(
        of(
            "schedule --kind dualpipev --pp 1024 --microbatches 8",
            "no micro-batch count",
            "at least 2,048",
            "2,000,000 actions",
            "--pp 408 or fewer"));
    c.add(
        of(
            "schedule --kind dualpipev --pp 1024 --microbatches 2048",
            "no micro-batch count",
            "--pp 408"));
    // simulate
    c.add(of("simulate --model gpt2-xl --microbatches 8 --schedule 1f1b", "--pp is required"));
    c.add(of("simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --tp 0", "--tp"));
    c.add(
        of(
            "simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --microbatch-size -1",
            "--microbatch-size"));
    c.add(of("simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --seq -5", "-5"));
    // a given 0 meant the model's own sequence length without a word
    for (String command :
        List.of(
            "simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --timeline @/t.json",
            "plan --model gpt-tiny --cluster h100:1x2 --global-batch 8 -o @/p.json",
            "models show gpt-tiny",
            "models import gpt-tiny -o @/m.json",
            "profile --model gpt-tiny -o @/p.json",
            "demo -o @/demo-seq")) {
      c.add(
          of(
              command + " --seq 0",
              "--seq must be > 0, got 0",
              "leave --seq out for the model's own sequence length"));
    }
    c.add(of("profile --model gpt-tiny --seq -1 -o @/p.json", "--seq must be > 0, got -1"));

    c.add(
        of(
            "simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --seq 999999999",
            "999999999"));
    c.add(
        of("simulate --model gpt2-xl --pp 4 --microbatches 10000000 --schedule 1f1b", "10000000"));
    c.add(
        of(
            "simulate --uniform-stage-ms 1,2 --pp 100000 --microbatches 8 --schedule 1f1b",
            "100000"));
    c.add(of("simulate --uniform-stage-ms 1ms,2 --pp 4 --microbatches 8 --schedule 1f1b", "1ms"));
    c.add(of("simulate --uniform-stage-ms -1,2 --pp 4 --microbatches 8 --schedule 1f1b", "-1"));
    c.add(
        of(
            "simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --partition 1,2,3",
            "--partition"));
    c.add(
        of(
            "simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --timeline @/existing",
            "is a folder"));
    c.add(
        of(
            "simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --gantt @/a-file/g.png",
            "is a file, not a folder"));
    c.add(
        of(
            "simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --gantt @/g.bmp",
            "g.bmp"));
    c.add(
        of(
            "simulate --model gpt-tiny --pp 2 --microbatches 4 --schedule 1f1b --partition"
                + " 2147483647,2",
            "covers 2147483649 layers"));
    c.add(
        of(
            "simulate --pp 2 --microbatches 4 --schedule @/gap.csv --uniform-stage-ms 1,2",
            "numbers its micro-batches up to 9 but has no action of micro-batch 4"
                + " (--microbatches is 4)"));
    c.add(of("simulate --plan @/truncated.json", "is truncated (ends inside"));
    c.add(of("simulate --plan @/contradictory.json", "contradictory.json"));
    c.add(of("simulate --plan @/empty.json", "empty"));
    // was "profile empty.json: No content to map due to end-of-input" and "run file empty.json must
    // hold one JSON object"
    c.add(
        of(
            "plan --model gpt-tiny --cluster cpu:1x2 --global-batch 8 --profile @/empty.json",
            "error: profile ",
            "empty.json is empty. Maybe run 'pipeplan profile' again."));
    c.add(
        of(
            "report --plan @/plan.json --measured @/empty.json -o @/re",
            "error: run file ",
            "empty.json is empty"));

    c.add(
        of(
            "simulate --plan @/plan-trailing.json",
            "plan-trailing.json is not valid JSON",
            "more text after the end of the document"));
    c.add(of("models show @/model-trailing.json", "model-trailing.json", "not valid JSON"));
    c.add(
        of(
            "clusters show @/cluster-trailing.json",
            "cluster-trailing.json is not valid JSON",
            "no open array to close"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster cpu:1x2 --global-batch 8 --pp 2 --profile"
                + " @/profile-trailing.json",
            "profile-trailing.json is not valid JSON",
            "more text after the end of the document"));
    c.add(
        of(
            "models show @/model-two-documents.yaml",
            "model-two-documents.yaml: malformed YAML",
            "a second document"));
    // Jackson's words (class names, settings to change) replaced by the file's
    c.add(
        of(
            "simulate --plan @/plan-no-b.json",
            "plan-no-b.json: field 'microBatchSize' is missing"));
    c.add(of("simulate --plan @/plan-null-model.json", "field 'model' is missing"));
    c.add(
        of(
            "simulate --uniform-stage-ms 1 --pp 2 --microbatches 4 --schedule 1f1b --dtype bf16",
            "--dtype does not apply to --uniform-stage-ms"));
    c.add(
        of(
            "simulate --model gpt-tiny --pp 2 --microbatches 4 --schedule 1f1b --dtype int8",
            "--dtype 'int8' is not a dtype to train in; use one of fp32, tf32, fp16, bf16"));
    c.add(
        of(
            "simulate --plan @/plan-list-partition.json",
            "field 'partition' must be an object, got a list"));
    c.add(
        of(
            "simulate --plan @/plan-typo.json",
            "field 'microBatchSise' is not a field of this file"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster cpu:1x2 --global-batch 8 --pp 2 --profile"
                + " @/plan-no-b.json",
            "profile",
            "field 'handoffLatencyNanos' is missing"));
    // plan
    c.add(of("plan --model gpt2-xl --cluster h100:1x4 --global-batch -1", "--global-batch"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:1x4 --global-batch 2000000000 --quiet",
            "2000000000"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --memory-limit 80XB",
            "80XB"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --memory-limit 99999999TiB",
            "99999999TiB"));
    c.add(of("plan --model gpt2-xl --cluster h100:0x4 --global-batch 64", "0x4"));
    // a limit of one byte was reported as "its limit of 0.0 GiB"
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x2 --global-batch 8 --memory-limit 1B",
            "over its limit of 1 B;"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:99999999x99999999 --global-batch 64",
            "at most 1000000"));
    c.add(of("plan --model gpt2-xl --cluster dgx-a100-80 --global-batch 64", "dgx-a100-80gb"));
    c.add(of("plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --pp 3", "--pp 2"));
    c.add(of("plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --top 0", "--top"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --threads 100000",
            "--threads must be between 0 (the available processors) and 256, got 100000"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --threads -1",
            "--threads must be between 0"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --virtual-stages 100000",
            "--virtual-stages 100000",
            "Maybe use --virtual-stages"));
    c.add(
        of("plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --memory-limit 70", "70GiB"));
    c.add(of("plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --zero 4", "--zero"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --grad-accumulation lazy",
            "--grad-accumulation 'lazy' is not a gradient accumulation"));
    c.add(
        of(
            "simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --cross-entropy liger",
            "--cross-entropy 'liger' is not a cross-entropy implementation; use unfused or fused"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster cpu:1x2 --global-batch 8 --pp 2 --seq 32 --profile"
                + " @/tiny-profile-at-64.json",
            "was measured at sequence length 64, but the model is planned at 32"));
    c.add(
        of(
            "simulate --model gpt-tiny --cluster cpu:1x2 --pp 2 --microbatches 4 --schedule 1f1b"
                + " --profile @/tiny-profile-two-layers.json",
            "--profile",
            "tiny-profile-two-layers.json (a profile of model 'gpt-tiny') has no layer"));
    c.add(
        of(
            "schedule --kind dualpipev --pp 1024 --microbatches 3 --virtual-stages 4",
            "--virtual-stages (4) must be 2 for dualpipev. Maybe use --virtual-stages 2."));
    c.add(
        of(
            "simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --timeline @/t.png"
                + " --gantt @/t.png",
            "--gantt",
            "is also the --timeline output; one would replace the other"));
    c.add(
        of(
            "simulate --plan @/plan.json --no-pp-comm-overlap",
            "--no-pp-comm-overlap does not apply to --plan"));
    c.add(of("demo --seq 5000000 -o @/demo-seq", "--seq (5000000) is above the limit"));
    c.add(
        of("simulate --model gpt2-xl --pp 4 --microbatches 8 --schedule 1f1b --attention x", "x"));
    c.add(of("plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --optimizer lion", "lion"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 --profile @/truncated.json",
            "is truncated"));
    c.add(of("plan --model @/truncated.json --cluster h100:1x4 --global-batch 64", "truncated"));
    c.add(of("plan --model gpt2-xl --cluster @/truncated.json --global-batch 64", "truncated"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 -o @/existing",
            "is a folder"));
    c.add(
        of(
            "plan --model gpt2-xl --cluster h100:1x4 --global-batch 64 -o @/a-file/plan.json",
            "is a file, not a folder"));
    // export
    c.add(of("export --plan @/truncated.json --to megatron -o @/out", "is truncated"));
    c.add(of("export --plan @/contradictory.json --to pytorch-csv -o @/out", "contradictory"));
    c.add(of("export --plan @/plan.json --to nosuch -o @/out", "nosuch"));
    c.add(
        of(
            "export --plan @/plan-pieces.json --to megatron -o @/out",
            "sub-layer pieces",
            "--partition-unit layer"));
    c.add(of("export --plan @/plan-pieces.json --to torch-script -o @/out", "sub-layer pieces"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x4 --global-batch 16 --partition-unit atom",
            "--partition-unit 'atom'",
            "layer, sublayer or step"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x4 --global-batch 16 --partition-unit step"
                + " --profile @/tiny-profile.json",
            "needs analytic costs"));
    c.add(of("simulate --plan @/plan-pieces.json --partition-unit step", "--partition-unit"));
    c.add(
        of(
            "simulate --model gpt-tiny --pp 2 --microbatches 4 --schedule 1f1b --partition 3,3"
                + " --partition-unit sublayer",
            "covers 6 pieces",
            "--partition-unit sublayer"));
    c.add(of("export --plan @/plan.json --to torchgpipe -o @/out", "--schedules gpipe"));
    c.add(of("export --plan @/missing.json --to megatron -o @/out", "missing.json"));
    c.add(of("export --plan @/plan.json --to torch-script -o @/users-folder", "not pipeplan's"));
    // import-trace
    c.add(of("import-trace @/no-traces -o @/run.json", "no-traces"));
    c.add(of("import-trace @/truncated.json -o @/run.json", "truncated.json"));
    // report
    c.add(of("report --plan @/truncated.json -o @/report", "is truncated"));
    c.add(of("report --plan @/contradictory.json -o @/report", "contradictory"));
    c.add(of("report --plan @/plan.json -o @/a-file", "a-file"));
    // a folder below a file: the folder writers name the file, as the file writers do
    c.add(
        of(
            "report --plan @/plan.json -o @/a-file/sub",
            "report output",
            "cannot write there, because",
            "a-file is a file, not a folder"));
    c.add(
        of(
            "export --plan @/plan.json --to torch-script -o @/a-file/sub",
            "torch-script export",
            "cannot write there, because",
            "a-file is a file, not a folder"));
    c.add(of("report --plan @/plan.json -o @/users-folder", "users-folder"));
    c.add(
        of("report --plan @/plan.json --measured @/truncated.json -o @/report", "truncated.json"));
    // profile
    c.add(of("profile --model gpt-tiny --backend tpu -o @/p.json", "tpu"));
    c.add(of("profile --model nosuch -o @/p.json", "nosuch"));
    c.add(of("profile --model gpt-tiny -o @/existing", "is a folder"));
    c.add(of("profile --model gpt-tiny --repeats -1 -o @/p.json", "-1"));
    c.add(
        of(
            "profile --model gpt-tiny --repeats 99999999 -o @/p.json",
            "--repeats must be between 1 and 1000, got 99999999"));
    c.add(
        of(
            "profile --model gpt-tiny --warmup 99999999 -o @/p.json",
            "--warmup must be between 0 and 1000, got 99999999"));
    c.add(
        of(
            "profile --model gpt-tiny --microbatch-sizes 99999999 -o @/p.json",
            "--microbatch-sizes up to 99999999",
            "this machine gives the CPU executor"));
    c.add(
        of(
            "profile --model gpt-tiny --concurrent-workers 99999 -o @/p.json",
            "--concurrent-workers (99999) is over the limit of 64"));
    c.add(
        of(
            "profile --model gpt-tiny --microbatch-sizes 0 -o @/p.json",
            "--microbatch-sizes",
            "> 0, got 0"));
    // run
    c.add(of("run --plan @/truncated.json -o @/run.json", "is truncated"));
    c.add(of("run --plan @/plan-pieces.json -o @/run.json", "sub-layer pieces", "whole layers"));
    // tp is 1 already: the hint must ask for cp 1, not tp 1
    c.add(
        of(
            "run --plan @/plan-cp2.json -o @/run.json",
            "tp 1 and cp 2",
            "Maybe plan with --cp 1 --pp 2 on a cluster of 2 devices, for example --cluster"
                + " cpu:1x2."));
    c.add(of("run --plan @/contradictory.json -o @/run.json", "contradictory"));
    c.add(of("run --plan @/plan.json --iterations 0 -o @/run.json", "iterations"));
    c.add(of("run --plan @/plan.json --iterations 3 -o @/run.json", "between 5 and 1000", "3"));
    c.add(
        of(
            "run --plan @/plan.json --iterations 99999999 -o @/run.json",
            "--iterations must be between 5 and 1000, got 99999999"));
    c.add(
        of(
            "run --plan @/plan.json --warmup 5000 -o @/run.json",
            "--warmup must be between 0 and 1000, got 5000"));
    c.add(of("run --plan @/plan.json --warmup -1 -o @/run.json", "warmup"));
    c.add(of("run --plan @/plan.json -o @/existing", "is a folder"));
    c.add(of("run --plan @/plan.json --backend tpu -o @/run.json", "tpu"));
    c.add(of("run --plan @/gpu-plan.json -o @/run.json", "GiB this machine gives", "cpu:1x4"));
    // calibrate
    c.add(of("calibrate -o @/cal.json", "--run", "--profile"));
    c.add(of("calibrate --run @/run.json -o @/cal.json", "--run needs --profile"));
    c.add(of("calibrate --profile @/tiny-profile.json -o @/cal.json", "--profile needs --run"));
    c.add(
        of(
            "calibrate --run @/missing-run.json --profile @/tiny-profile.json -o @/cal.json",
            "missing-run.json",
            "does not exist"));
    c.add(
        of(
            "calibrate --run @/run.json --profile @/missing-profile.json -o @/cal.json",
            "missing-profile.json"));
    c.add(
        of(
            "calibrate --run @/run.json --profile @/small-profile.json -o @/cal.json",
            "gpt-small-cpu",
            "gpt-tiny"));
    c.add(
        of(
            "calibrate --run @/plan.json --profile @/tiny-profile.json -o @/cal.json",
            "not a run file",
            "pipeplan-run"));
    // the run's times are an H100's, the profile's a CPU's: factors far outside the bounds
    c.add(
        of(
            "calibrate --run @/run.json --profile @/tiny-profile.json -o @/cal.json",
            "outside",
            "do not describe the same machine"));
    c.add(
        of(
            "calibrate --run @/run.json --profile @/tiny-profile.json --model gpt2-xl -o"
                + " @/cal.json",
            "--model gpt2-xl is model 'gpt2-xl', but --run",
            "is a run of model 'gpt-tiny'",
            "Maybe drop --model"));
    c.add(
        of(
            "calibrate --run @/truncated.json --profile @/tiny-profile.json -o @/cal.json",
            "truncated"));
    c.add(
        of("calibrate --run @/run.json --profile @/run.json -o @/cal.json", "profile", "run.json"));
    c.add(
        of(
            "calibrate --run @/run.json --profile @/tiny-profile.json --time cycles -o @/cal.json",
            "cycles"));
    c.add(
        of(
            "calibrate --run @/run.json --profile @/tiny-profile.json --time cpu -o @/cal.json",
            "no cpu times"));
    c.add(
        of(
            "calibrate --run @/run.json --profile @/tiny-profile.json -o @/existing",
            "is a folder"));
    // models and clusters
    c.add(of("models show nosuch", "nosuch"));
    // a given 0 used to mean the default, 1, without a word
    c.add(
        of(
            "models show ../models/src/test/resources/pipedream/gnmt-graph.txt --batch-size 0",
            "--batch-size must be >= 1",
            "got 0"));
    c.add(of("models import @/truncated.json -o @/m.json", "is truncated"));
    c.add(of("models import gpt2-xl -o @/existing", "is a folder"));
    c.add(
        of(
            "models import @/most-blocks.json -o @/m.json",
            "100002 layers",
            "limit of 100000 layers in a model file"));
    c.add(of("clusters show nosuch", "nosuch"));
    c.add(of("models show @/hf-dup", "config.json is not valid JSON", "Duplicate field 'n_layer'"));
    c.add(
        of(
            "plan --model @/hf-dup --cluster h100:1x2 --global-batch 8 -o @/p.json",
            "Duplicate field 'n_layer'"));
    // a cluster file on another number of nodes
    c.add(of("plan --model gpt-tiny --cluster @/cluster.json:0x8 --global-batch 8", "0x8", ">= 1"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster @/cluster.json:99999999999x8 --global-batch 8",
            "at most 1000000"));
    c.add(of("plan --model gpt-tiny --cluster @/nosuch.json:2x8 --global-batch 8", "no such file"));
    // calibrate
    c.add(of("calibrate --measurements @/nosuch.json", "nosuch.json"));
    c.add(of("calibrate --measurements @/truncated.json", "truncated"));
    c.add(of("calibrate --measurements @/runs-empty.json", "runs", "empty"));
    c.add(
        of(
            "calibrate --measurements @/runs-negative.json",
            "runs[0].iterationSeconds",
            "between 0.000001 (1 µs) and 604800 (a week), got -1"));
    c.add(
        of(
            "calibrate --measurements @/runs-huge.json --check",
            "runs[0].iterationSeconds",
            "604800 (a week), got 1.0E300",
            "not in seconds"));
    c.add(
        of(
            "calibrate --measurements @/runs-tiny.json --check",
            "runs[0].iterationSeconds",
            "0.000001 (1 µs)",
            "got 1.0E-300"));
    c.add(
        of(
            "calibrate --measurements @/runs-quoted.json --check",
            "runs[0].iterationSeconds",
            "got '5' (a string: write the number without quotes)"));
    c.add(
        of(
            "calibrate --measurements @/runs-quoted-cp.json --check",
            "runs[0].cp must be a whole number between 1 and 2147483647, got '2' (a string"));
    c.add(
        of(
            "calibrate --measurements @/runs-quoted-fp8.json --check",
            "runs[0].fp8 must be true or false, got 'true' (a string"));
    c.add(
        of(
            "calibrate --measurements @/runs-fp8linears.json --check",
            "runs[0].fp8Linears is not a known field. Maybe you meant 'fp8'?"));
    c.add(of("calibrate --measurements @/runs-split.json", "stageBlocks", "3,x"));
    c.add(of("calibrate --measurements @/runs.json --device v100", "v100", "a100-80gb"));
    c.add(of("calibrate --measurements @/runs-twice.json", "schedule", "1f1b twice"));
    c.add(of("calibrate --measurements @/runs-b0.json", "microBatchSize", "0"));
    // the file's fields, not the plan command's options
    c.add(
        of(
            "calibrate --measurements @/runs-dualpipev.json",
            "no form of dualpipev",
            "Check the run's"));
    c.add(of("calibrate --measurements @/runs-emptykind.json", "schedule", "empty kind"));
    c.add(of("calibrate --measurements @/runs-reduce.json", "gradientReduce", "allreduce"));
    c.add(
        of(
            "simulate --plan @/bad-enum.json",
            "training.attention' has value 'SPARSE', expected one of FLASH, FLASH2, EAGER"));
    c.add(
        of(
            "calibrate --measurements @/runs-accumulation.json",
            ".gradientAccumulation 'lazy' is not a gradient accumulation"));
    c.add(of("calibrate --measurements @/runs-unequal.json", "r1", "published configuration"));
    c.add(of("calibrate --measurements @/runs.json --check --leave-one-out", "--check"));
    c.add(of("calibrate --measurements @/runs.json --check -o @/cal.json", "--check"));
    c.add(of("calibrate --measurements @/runs.json -o @/existing", "is a folder"));
    c.add(of("calibrate --measurements @/runs.json -o @/a-file/x.json", "a-file"));
    c.add(of("calibrate", "--measurements", "--run"));
    c.add(
        of(
            "calibrate --measurements @/runs.json --run @/run.json --profile @/tiny-profile.json",
            "--run does not go with --measurements"));
    c.add(
        of(
            "calibrate --run @/run.json --profile @/tiny-profile.json --device a100",
            "--device does not go with --run"));
    // demo
    c.add(of("demo --workers -1 -o @/demo", "--workers"));
    c.add(of("demo --workers 100000 -o @/demo", "--workers", "100000"));
    c.add(of("demo --global-batch -1 -o @/demo", "-1"));
    c.add(of("demo --global-batch 2000000000 -o @/demo", "2000000000"));
    c.add(of("demo --iterations 0 -o @/demo", "--iterations"));
    c.add(of("demo --iterations 4 -o @/demo", "--iterations must be between 5 and 1000, got 4"));
    c.add(of("demo --warmup 100000 -o @/demo", "--warmup must be between 0 and 1000"));
    c.add(
        of(
            "demo --calibration-time gpu -o @/demo",
            "--calibration-time 'gpu' is unknown; use auto, cpu or wall"));
    c.add(of("demo --global-batch 16 --microbatches 5 -o @/demo", "not divisible"));
    c.add(of("demo -o @/a-file", "a-file"));
    c.add(of("demo -o @/users-folder", "users-folder", "not pipeplan's"));
    // an output that is one of the inputs would destroy it
    c.add(
        of(
            "calibrate --run @/run.json --profile @/tiny-profile.json -o @/run.json",
            "also the --run input"));
    c.add(
        of(
            "calibrate --run @/run.json --profile @/tiny-profile.json -o @/tiny-profile.json",
            "also the --profile input"));
    // options the plan fixes would be ignored: each one given is named
    c.add(
        of(
            "simulate --plan @/plan.json --pp 2 --microbatches 8 --tp 2 --seq 32 --zero 1"
                + " --attention eager --recompute full --cross-entropy fused --timeline @/t.json",
            "--pp, --microbatches, --seq, --tp, ",
            "--zero",
            "--attention",
            "--recompute",
            "--cross-entropy",
            "do not apply to --plan",
            "Maybe drop --pp --microbatches --seq --tp"));
    c.add(
        of(
            "simulate --plan @/plan.json --optimizer-sharding=1",
            "--optimizer-sharding does not apply to --plan"));
    c.add(
        of(
            "simulate --plan @/plan.json --partition-unit layer --microbatch-size 2 --json",
            "--microbatch-size",
            "--partition-unit",
            "do not apply to --plan"));
    c.add(of("run --plan @/plan.json -o @/plan.json", "also the --plan input"));
    c.add(
        of(
            "calibrate --measurements @/measured/runs.json -o @/measured/a100.json",
            "-o",
            "a100.json is also the --measurements runs[0].cluster input"));
    c.add(
        of(
            "calibrate --measurements @/measured/runs.json -o @/measured/../measured/model.json",
            "also the --measurements runs[0].model input"));
    c.add(
        of(
            "calibrate --run @/run.json --profile @/tiny-profile.json --model @/tiny-model.json -o"
                + " @/tiny-model.json",
            "also the --model input"));
    c.add(of("simulate --plan @/plan.json --timeline @/plan.json", "also the --plan input"));
    c.add(of("simulate --plan @/plan.json --timeline @/sub/../plan.json", "also the --plan input"));
    for (String cluster : List.of("@/cluster.json", "@/cluster.json:1x2", "@/link-cluster.json")) {
      c.add(
          of(
              "plan --model gpt-tiny --cluster "
                  + cluster
                  + " --global-batch 8 --pp 2 -o @/cluster.json",
              "-o",
              "also the --cluster input"));
      c.add(
          of(
              "simulate --model gpt-tiny --cluster "
                  + cluster
                  + " --schedule 1f1b --pp 2 --microbatches 4 --timeline @/cluster.json",
              "--timeline",
              "also the --cluster input"));
    }
    c.add(
        of(
            "simulate --model @/hf-model --schedule 1f1b --pp 2 --microbatches 4 --timeline"
                + " @/hf-model/config.json",
            "also the --model input"));
    c.add(
        of(
            "plan --model @/hf-model --cluster h100:1x2 --global-batch 8 -o @/hf-model/config.json",
            "also the --model input"));
    c.add(of("models import @/hf-model -o @/hf-model/config.json", "also the MODEL input"));
    c.add(of("export --plan @/plan.json --to megatron -o @/plan.json", "also the --plan input"));
    // Megatron-LM's validate_args refuses --use-torch-fsdp2 with pipeline parallelism
    c.add(
        of(
            "export --plan @/plan-zero3.json --to megatron -o @/m.sh",
            "--use-torch-fsdp2 with pipeline parallelism",
            "pp = 2",
            "--zero 1"));
    // a multi-file export is written whole or not at all
    c.add(of("export --plan @/plan.json --to pytorch-csv -o @/csv-out", "stages.json", "folder"));
    c.add(
        of(
            "export --plan @/plan.json --to pytorch-csv -o @/single.csv",
            "looks like a file name",
            "2 files"));
    // checked before the simulation, so that --timeline is not written either
    c.add(
        of(
            "simulate --model gpt-tiny --pp 2 --microbatches 4 --schedule 1f1b --timeline @/t.json"
                + " --gantt @/g.txt",
            "g.txt",
            "extension"));
    c.add(
        of(
            "simulate --model llama2-7b --pp 2 --microbatches 4 --schedule 1f1b --tp 3",
            "--tp 3",
            "32 heads"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x2 --global-batch 8 --schedules 1f1b,,gpipe",
            "empty kind"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x2 --global-batch 8 --memory-limit"
                + " 9999999999GiB",
            "9999999999GiB",
            "too large"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x2 --global-batch 8 --zero 0 --dp-all-reduce",
            "--dp-all-reduce",
            "--zero 1 or 2"));
    // Megatron-LM's --tp-comm-overlap overlaps sequence parallelism's collectives: it asserts both
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x2 --global-batch 8 --tp 2 --tp-comm-overlap"
                + " --no-sequence-parallel -o @/p.json",
            "--tp-comm-overlap goes with sequence parallelism, not --no-sequence-parallel (--tp 2)",
            "reduce-scatter"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x2 --global-batch 8 --no-sequence-parallel"
                + " --tp-comm-overlap",
            "--tp-comm-overlap goes with sequence parallelism, not --no-sequence-parallel:",
            "Maybe drop"));
    c.add(
        of(
            "simulate --model llama2-7b --pp 2 --microbatches 4 --schedule 1f1b --tp 2"
                + " --tp-comm-overlap --no-sequence-parallel --timeline @/t.json",
            "--tp-comm-overlap",
            "--no-sequence-parallel (--tp 2)"));
    c.add(of("calibrate --device a100-80gb", "--measurements", "--run"));
    c.add(of("demo --accuracy 1f1b,1f1b -o @/demo-dup", "lists 1f1b twice"));
    c.add(of("demo --model llama2-7b -o @/demo-big", "too large for the CPU demo", "gpt-tiny"));
    // demo has no --microbatch-sizes: the profiler's message is put in the demo's words
    c.add(
        of(
            "demo --model gpt2-xl -o @/demo-big",
            "too large for the CPU demo: profiling micro-batch sizes up to 8"));
    c.add(of("report --plan @/run.json -o @/rq", "is a measured run", "not a plan"));
    c.add(of("run --plan @/plan-long.json -o @/r.json", "4096", "64 learned positions"));
    // stage costs priced for another micro-batch size or partition than the plan now names
    c.add(
        of(
            "run --plan @/plan-b-huge.json -o @/r.json",
            "plan-b-huge.json",
            "stageCosts[0].activationBytes",
            "microBatchSize 1000000"));
    for (String command :
        List.of("simulate --plan", "report -o @/rb --plan", "run -o @/rb --plan")) {
      // a schedule the plan's own fields cannot make, named by those fields, not by options
      c.add(
          of(
              command + " @/plan-grouped.json",
              "plan-grouped.json",
              "groupSize (3) applies only to interleaved, not to 1f1b. Maybe drop groupSize."));
      c.add(
          of(
              command + " @/plan-capped.json",
              "plan-capped.json",
              "maxInFlightMicroBatches (1) is below the"));
      c.add(
          of(
              command + " @/plan-b-edited.json",
              "plan-b-edited.json",
              "stageCosts[0].activationBytes is ",
              "microBatchSize 4",
              "priced for another partition, micro-batch size"));
      c.add(
          of(
              command + " @/plan-moved.json",
              "plan-moved.json",
              "stageCosts[0].staticBytes is ",
              "partition.layerCounts [2, 3, 2, 3]"));
    }
    c.add(of("run --plan @/plan.json --threads 1000000 -o @/r.json", "--threads", "256"));
    c.add(
        of("report --plan @/plan.json -o @/ts-export", "holds a torch-script export", "same kind"));
    c.add(
        of(
            "calibrate --run @/run.json --run @/run.json --profile @/tiny-profile.json -o"
                + " @/cal.json",
            "given twice"));
    c.add(
        of(
            "simulate --pp 2 --microbatches 4 --schedule 1f1b --uniform-stage-ms 1,2 --tp 4"
                + " --zero 2",
            "--tp",
            "--zero",
            "do not apply to --uniform-stage-ms"));
    // the message names the real cause, not the global batch
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x8 --global-batch 8 --pp 8 --tp 2",
            "--pp 8 x --tp 2 = 16",
            "8 devices"));
    // 'failed: / by zero' and 'failed: GEMM n must be >= 1, got 0' (exit 1); heads that do not
    // divide the width, or key/value heads that do not divide the heads, were priced as given
    String tinyBlock =
        "simulate --pp 2 --microbatches 4 --schedule 1f1b --timeline @/t.json --model @/model-";
    c.add(
        of(
            tinyBlock + "heads0.json",
            "model-heads0.json: layers[1].shape is refused",
            "'heads' must be >= 1, got 0"));
    c.add(of(tinyBlock + "ffn0.json", "layers[1].shape", "'ffn' must be >= 1, got 0"));
    c.add(of(tinyBlock + "heads7.json", "'hidden' (64) must be a multiple of its 'heads' (7)"));
    c.add(of(tinyBlock + "kv64.json", "'kvHeads' (64) must divide its 'heads' (4)"));
    // the shape's rule was reported without the file or the layer
    c.add(
        of(
            "models show @/model-slice.json",
            "model-slice.json: layers[9].shape is refused",
            "'slice' and 'slices' go together"));
    // options a schedule file (or a kind) would ignore were dropped without a word
    c.add(
        of(
            "simulate --pp 2 --microbatches 4 --schedule @/two-ranks.csv --uniform-stage-ms 1,2"
                + " --virtual-stages 2 --group-size 2",
            "--virtual-stages, --group-size do not apply to --schedule",
            "a schedule file fixes its own order, chunks and placement"));
    c.add(
        of(
            "simulate --pp 2 --microbatches 4 --schedule 1f1b --uniform-stage-ms 1,2 --legacy-csv",
            "--legacy-csv does not apply to --schedule 1f1b"));
    // a trailing comma was dropped ('5,5,' read as '5,5') where a doubled one is refused
    c.add(
        of(
            "simulate --model gpt-tiny --pp 2 --microbatches 4 --schedule 1f1b --partition 5,5,",
            "partition '5,5,': '' is not a layer count"));
    c.add(
        of(
            "simulate --pp 2 --microbatches 4 --schedule 1f1b --uniform-stage-ms 1,2,",
            "--uniform-stage-ms '1,2,': '' is not a number"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x2 --global-batch 8 --schedules 1f1b,",
            "--schedules has an empty kind in '1f1b,'"));
    // 'failed: long overflow' (exit 1): the activation bytes of a micro-batch past a long
    c.add(
        of(
            "simulate --model llama2-70b --pp 8 --microbatches 1 --microbatch-size 1048576 --seq"
                + " 4194304 --schedule gpipe --tp 8 --zero 3",
            "at micro-batch size 1048576 and sequence length 4194304 overflows a 64-bit count",
            "Maybe use a smaller micro-batch size or sequence length"));
    // the tensor-parallel collectives of a group across two nodes were priced on NVLink
    c.add(
        of(
            "simulate --model llama2-7b --cluster @/cluster-uneven-nodes.json --pp 2 --tp 4"
                + " --microbatches 8 --schedule 1f1b",
            "the tensor-parallel group of pipeline device 1 (cluster devices 4..7) spans nodes 1"
                + " and 2"));
    c.add(
        of(
            "plan --model llama2-7b --cluster @/cluster-uneven-nodes.json --global-batch 16 --tp 4",
            "--tp 4 must divide the 2 devices per node that every group of cluster",
            "--tp 1 or 2."));
    // int overflow: 2147483647 nodes of 8 made a cluster of -8 devices
    c.add(
        of(
            "clusters show @/cluster-nodes.json",
            "groups[0] has nodes x devicesPerNode = 2147483647 x 8",
            "at most 1000000"));
    c.add(of("clusters show @/cluster-memory.json", "memoryGiB must be below", "1.0E30"));
    // was 'device 'x' sustainedFlopsPerSecond.bf16 must be ... got Infinity', without the file
    c.add(
        of(
            "clusters show @/cluster-tflops.json",
            "cluster-tflops.json: groups[0].device.sustainedTflops.bf16 is too large"));
    // a pass longer than a long: 'forwardNanos must be >= 0, got -9223372036854...'
    c.add(
        of(
            "simulate --model gpt-tiny --cluster @/cluster-slow.json --pp 2 --microbatches 4"
                + " --schedule 1f1b",
            "the forward pass of stage 0",
            "limit of 2^62 ns",
            "sustained FLOP/s"));
    // 'failed: long overflow' (exit 1)
    c.add(
        of(
            "simulate --model gpt-tiny --cluster @/cluster-launch.json --pp 2 --microbatches 4"
                + " --schedule 1f1b",
            "limit of 2^62 ns",
            "launch overhead"));
    c.add(of("simulate --plan @/plan-long-backward.json", "limit of 2^62 ns"));
    c.add(
        of(
            "report --plan @/plan-runner-up-cp.json -o @/report-runner-up",
            "runnersUp[0].parallelism needs pp * dp * tp * cp = ",
            "devices, cluster"));
    // more stages than layers: the option and the model named, and no warning before the error
    c.add(
        of(
            "simulate --model gpt-tiny --pp 11 --microbatches 4 --schedule 1f1b",
            "--pp 11 exceeds the 10 layers of model 'gpt-tiny'",
            "--pp 10 or fewer."));
    c.add(
        of(
            "simulate --model gpt-tiny --pp 4 --microbatches 8 --schedule interleaved"
                + " --virtual-stages 3",
            "--pp 4 x 3 virtual stages = 12 stages exceeds the 10 layers",
            "--pp 3 or fewer (or fewer --virtual-stages)."));
    // a micro-batch larger than the batch was refused with no reason
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x8 --global-batch 8 --microbatch-size 16",
            "microbatch size (16) does not divide",
            "fewer than one micro-batch",
            "--microbatch-size 2, 4 or 8",
            "--global-batch 16"));
    // a tensor-parallel degree refused for the right reason, with the degrees that work
    c.add(
        of(
            "plan --model llama2-7b --cluster h100:1x6 --global-batch 8 --tp 6",
            "--tp 6 must divide the model's 32 attention heads",
            "--tp 1 or 2."));
    c.add(
        of(
            "plan --model vgg16 --cluster h100:1x8 --global-batch 8 --tp 2",
            "model 'vgg16' has none",
            "--tp 1."));
    c.add(
        of(
            "plan --model gpt-tiny --cluster cpu:1x2 --global-batch 8 --tp 2 --profile"
                + " @/tiny-profile.json",
            "--tp 2 cannot split measured times"));
    c.add(
        of(
            "plan --model gpt-tiny --cluster h100:1x8 --global-batch 8 --pp 1 --schedules dualpipev",
            "pp=1 has no form of dualpipev",
            "--pp 2"));
    return c.stream();
  }

  /** Writes {@code file}: the plan JSON with {@code edit} applied to its root. */
  private static void writeEdited(String plan, String file, Consumer<ObjectNode> edit)
      throws IOException {
    ObjectNode root = (ObjectNode) dev.pipeplan.models.io.Json.json().readTree(plan);
    edit.accept(root);
    Files.writeString(dir.resolve(file), dev.pipeplan.models.io.Json.write(root));
  }

  /** Writes {@code file} with 'pipeplan plan' of gpt-tiny on {@code clusterAndOptions}. */
  private static void planFixture(String file, String clusterAndOptions) {
    String line =
        "plan --model gpt-tiny --global-batch 16 --schedules 1f1b --quiet -o "
            + dir.resolve(file)
            + " --cluster "
            + clusterAndOptions;
    StringWriter err = new StringWriter();
    int code =
        Main.execute(
            line.split(" "), new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertThat(code).as(err.toString()).isZero();
  }

  private static Arguments of(String commandLine, String... expectedFragments) {
    return Arguments.of(commandLine, List.of(expectedFragments));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void refusedWithExitTwoOneMessageAndNothingWritten(
      String commandLine, List<String> expectedFragments) {
    String[] args =
        Stream.of(commandLine.split(" "))
            .map(a -> a.startsWith("@/") ? dir.resolve(a.substring(2)).toString() : a)
            .toArray(String[]::new);
    Map<String, String> before = snapshot(dir);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code =
        assertTimeoutPreemptively(
            ANSWER_WITHIN,
            () -> Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true)),
            () -> "no answer within " + ANSWER_WITHIN + " for: " + commandLine);

    String message = err.toString();
    assertThat(code).as("exit code of %s; stderr: %s", commandLine, message).isEqualTo(2);
    assertThat(message).as("stderr of %s", commandLine).startsWith("error: ");
    assertThat(message.lines().filter(l -> l.startsWith("error: ")))
        .as("one error message for %s", commandLine)
        .hasSize(1);
    for (String fragment : expectedFragments) {
      assertThat(message.toLowerCase(java.util.Locale.ROOT))
          .as("stderr of %s", commandLine)
          .contains(fragment.toLowerCase(java.util.Locale.ROOT));
    }
    assertThat(message)
        .as("stderr of %s", commandLine)
        .doesNotContain("\tat ")
        .doesNotContain("Exception")
        .doesNotContain("REDACTED")
        .doesNotContain("dev.pipeplan.");
    assertThat(snapshot(dir)).as("files after %s", commandLine).isEqualTo(before);
  }

  /** Every file and folder under {@code root} with its size and modification time. */
  private static Map<String, String> snapshot(Path root) {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        files.put(
            root.relativize(p).toString(),
            Files.isDirectory(p)
                ? "dir"
                : Files.size(p) + " bytes, modified " + Files.getLastModifiedTime(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }
}
