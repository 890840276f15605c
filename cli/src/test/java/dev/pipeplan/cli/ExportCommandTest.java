package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Path plan;

  private int run(String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @BeforeEach
  void makePlan() {
    plan = dir.resolve("plan.json");
    assertThat(
            run(
                ("plan --model gpt2-small --cluster h100:1x4 --global-batch 16 --pp 4 --microbatches 8 --schedules 1f1b --quiet -o "
                        + plan.toString())
                    .split(" ")))
        .isZero();
  }

  @Test
  void writesEveryTarget() throws Exception {
    for (String target : new String[] {"pytorch-csv", "torchtitan", "megatron", "deepspeed"}) {
      Path outDir = dir.resolve(target);
      assertThat(run("export", "--plan", plan.toString(), "--to", target, "-o", outDir.toString()))
          .as(target + ": " + err)
          .isZero();
      assertThat(Files.list(outDir)).isNotEmpty();
    }
    assertThat(Files.readString(dir.resolve("megatron/megatron-args.sh")))
        .contains("--pipeline-model-parallel-size 4", "--pipeline-model-parallel-layout \"E")
        .containsPattern("--pipeline-model-parallel-layout \"[^|\"]+(\\|[^|\"]+){3}\"");
    assertThat(Files.readString(dir.resolve("torchtitan/pipeplan_torchtitan.py")))
        .contains("p.pipeline_parallel_schedule = \"PipelineScheduleSingle\"");
    assertThat(Files.readAllLines(dir.resolve("pytorch-csv/schedule.csv"))).hasSize(4);
  }

  @Test
  void writesAOneFileExportToTheNamedFile() {
    Path file = dir.resolve("ds.json");
    assertThat(run("export", "--plan", plan.toString(), "--to", "deepspeed", "-o", file.toString()))
        .isZero();
    assertThat(file).exists();
  }

  @Test
  void torchgpipeRefusesA1F1BPlanWithExit2AndNamesGPipesMemory() {
    Path out = dir.resolve("tg");
    assertThat(run("export", "--plan", plan.toString(), "--to", "torchgpipe", "-o", out.toString()))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("torchgpipe runs GPipe only", "Maybe re-plan with --schedules gpipe.")
        .doesNotContain("at dev.pipeplan");
    assertThat(out).doesNotExist();
  }

  @Test
  void everyTargetRefusesAHandEditedStageMapWithExit2() throws Exception {
    Path edited = dir.resolve("edited.json");
    String json = Files.readString(plan);
    String swapped =
        json.replaceFirst(
            "\"stageToDevice\" : \\[[^\\]]*\\]", "\"stageToDevice\" : [ 1, 0, 2, 3 ]");
    assertThat(swapped).isNotEqualTo(json);
    Files.writeString(edited, swapped);
    for (String target :
        new String[] {
          "pytorch-csv", "torchtitan", "megatron", "deepspeed", "torchgpipe", "torch-script"
        }) {
      err.getBuffer().setLength(0);
      Path out = dir.resolve("edited-" + target);
      assertThat(run("export", "--plan", edited.toString(), "--to", target, "-o", out.toString()))
          .as(target)
          .isEqualTo(2);
      assertThat(err.toString()).as(target).contains("stageToDevice is [1, 0, 2, 3]");
      assertThat(out).as(target).doesNotExist();
    }
  }

  @Test
  void torchScriptFolderIsReadableAndItsReadmeNamesThePlanGiven() throws Exception {
    Path out = dir.resolve("ts");
    assertThat(
            run("export", "--plan", plan.toString(), "--to", "torch-script", "-o", out.toString()))
        .as(err.toString())
        .isZero();
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(out)))
        .isEqualTo("rwxr-xr-x");
    assertThat(Files.readString(out.resolve("README.md"))).contains("--plan ../plan.json");
  }

  @Test
  void rejectsAnUnknownTarget() {
    assertThat(run("export", "--plan", plan.toString(), "--to", "jax")).isEqualTo(2);
    assertThat(err.toString()).contains("export target 'jax' is unknown");
  }

  @Test
  void deepspeedWithTensorParallelismBuildsThePipelineOnTheThreeAxisTopology() throws Exception {
    Path tpPlan = dir.resolve("tp-plan.json");
    assertThat(
            run(
                ("plan --model gpt2-small --cluster h100:1x8 --global-batch 16 --pp 2 --tp 2 --zero 1 --schedules 1f1b --quiet -o "
                        + tpPlan.toString())
                    .split(" ")))
        .as(err.toString())
        .isZero();
    Path outDir = dir.resolve("ds-tp");
    assertThat(
            run(
                "export",
                "--plan",
                tpPlan.toString(),
                "--to",
                "deepspeed",
                "-o",
                outDir.toString()))
        .as(err.toString())
        .isZero();
    com.fasterxml.jackson.databind.JsonNode ds =
        dev.pipeplan.models.io.Json.json()
            .readTree(Files.readString(outDir.resolve("deepspeed.json")));
    com.fasterxml.jackson.databind.JsonNode topology = ds.get("pipeline_module").get("topology");
    assertThat(topology).as(ds.toString()).isNotNull();
    int dp = topology.get("num_dp").asInt();
    assertThat(dp).isEqualTo(2);
    assertThat(topology.get("num_pp").asInt()).isEqualTo(2);
    assertThat(topology.get("num_mp").asInt()).isEqualTo(2);
    // DeepSpeed's batch check holds with the topology's data-parallel degree
    com.fasterxml.jackson.databind.JsonNode config = ds.get("ds_config");
    assertThat(config.get("train_batch_size").asInt())
        .isEqualTo(
            config.get("train_micro_batch_size_per_gpu").asInt()
                * config.get("gradient_accumulation_steps").asInt()
                * dp);
    assertThat(ds.get("recipe").asText())
        .contains("topology=PipeModelDataParallelTopology(num_pp=2, num_mp=2, num_dp=2)")
        .doesNotContain("num_stages=2,");
  }

  @Test
  void megatronUntiesTheHeadOfAModelThatHasItsOwn() throws Exception {
    // Llama-2's output layer has its own weights (the plan priced them); Megatron-LM ties them
    // to the embedding unless told, and GPT-2's are tied in both
    Path llama = dir.resolve("llama.json");
    assertThat(
            run(
                ("plan --model llama2-7b --cluster h100:1x8 --global-batch 16 --pp 4 --schedules 1f1b --quiet -o "
                        + llama.toString())
                    .split(" ")))
        .as(err.toString())
        .isZero();
    Path untied = dir.resolve("untied");
    assertThat(
            run("export", "--plan", llama.toString(), "--to", "megatron", "-o", untied.toString()))
        .as(err.toString())
        .isZero();
    assertThat(Files.readString(untied.resolve("megatron-args.sh")))
        .containsOnlyOnce("  --untie-embeddings-and-output-weights\n");
    Path tied = dir.resolve("tied");
    assertThat(run("export", "--plan", plan.toString(), "--to", "megatron", "-o", tied.toString()))
        .as(err.toString())
        .isZero();
    assertThat(Files.readString(tied.resolve("megatron-args.sh")))
        .doesNotContain("--untie-embeddings-and-output-weights");
  }
}
