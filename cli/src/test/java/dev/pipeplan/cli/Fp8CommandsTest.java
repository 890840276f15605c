package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.io.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command that reads a plan, given one whose blocks' linear GEMMs run in FP8. */
class Fp8CommandsTest {
  @TempDir Path dir;

  private StringWriter out = new StringWriter();
  private StringWriter err = new StringWriter();
  private Path plan;

  private int run(String... args) {
    out = new StringWriter();
    err = new StringWriter();
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  /** gpt-tiny (s = 32) in bf16 on two H100s, 1F1B over pp 2 (dp 1), FP8 linears. */
  @BeforeEach
  void makePlan() throws Exception {
    plan = dir.resolve("plan.json");
    assertThat(
            run(
                ("plan --model gpt-tiny --dtype bf16 --cluster h100:1x2 --global-batch 8 --pp 2"
                        + " --tp 1 --microbatches 4 --schedules 1f1b --fp8 --quiet -o "
                        + plan)
                    .split(" ")))
        .as(err.toString())
        .isZero();
    assertThat(Json.json().readTree(plan.toFile()).at("/training/fp8Linears").asBoolean()).isTrue();
  }

  @Test
  void megatronAndTorchtitanExportIt() throws Exception {
    for (String target : new String[] {"megatron", "torchtitan"}) {
      Path outDir = dir.resolve(target);
      assertThat(run("export", "--plan", plan.toString(), "--to", target, "-o", outDir.toString()))
          .as(target + ": " + err)
          .isZero();
    }
    assertThat(Files.readString(dir.resolve("megatron/megatron-args.sh")))
        .contains("  --bf16\n  --fp8-format hybrid\n  --fp8-recipe tensorwise\n");
    assertThat(Files.readString(dir.resolve("torchtitan/pipeplan_torchtitan.py")))
        .contains("        recipe_name=\"tensorwise\",\n        filter_fqns=[\"lm_head\"],\n");
    // priced as Transformer Engine casts the weights (once an iteration): no note for Megatron,
    // one for torchtitan, whose torchao linears cast them on every micro-batch
    assertThat(Json.json().readTree(plan.toFile()).at("/training/fp8WeightCastsPerIteration"))
        .hasToString("true");
    assertThat(run("export", "--plan", plan.toString(), "--to", "megatron", "-o", dir.toString()))
        .isZero();
    assertThat(out.toString()).doesNotContain("casts each weight");
    assertThat(run("export", "--plan", plan.toString(), "--to", "torchtitan", "-o", dir.toString()))
        .isZero();
    assertThat(out.toString())
        .contains("note: torchao's Float8 linears cast each weight to FP8 in every micro-batch's")
        .contains("re-plan with --fp8-weight-casts micro-batch");
  }

  @Test
  void weightsCastOnEveryMicroBatchCostMoreAndMegatronSaysItCachesThem() throws Exception {
    Path everyMicroBatch = dir.resolve("every.json");
    assertThat(
            run(
                ("plan --model gpt-tiny --dtype bf16 --cluster h100:1x2 --global-batch 8 --pp 2"
                        + " --tp 1 --microbatches 4 --schedules 1f1b --fp8 --fp8-weight-casts"
                        + " micro-batch -o "
                        + everyMicroBatch)
                    .split(" ")))
        .as(err.toString())
        .isZero();
    assertThat(out.toString()).contains("fp8 linears.").doesNotContain("cast once an iteration");
    assertThat(predicted(everyMicroBatch)).isGreaterThan(predicted(plan));
    assertThat(
            run(
                "export",
                "--plan",
                everyMicroBatch.toString(),
                "--to",
                "megatron",
                "-o",
                dir.resolve("m").toString()))
        .isZero();
    assertThat(out.toString())
        .contains("note: with FP8 linears Megatron-LM (Transformer Engine) casts each weight")
        .contains("(--fp8-weight-casts micro-batch)");
    // the option needs --fp8 and one of its two values
    assertThat(
            run(
                ("plan --model gpt-tiny --dtype bf16 --cluster h100:1x2 --global-batch 8 --pp 2"
                        + " --fp8-weight-casts micro-batch")
                    .split(" ")))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("--fp8-weight-casts micro-batch applies only with --fp8")
        .doesNotContain("at dev.pipeplan");
    assertThat(
            run(
                ("plan --model gpt-tiny --dtype bf16 --cluster h100:1x2 --global-batch 8 --pp 2"
                        + " --fp8 --fp8-weight-casts sometimes")
                    .split(" ")))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("--fp8-weight-casts must be iteration or micro-batch, got 'sometimes'");
  }

  private static long predicted(Path planFile) throws Exception {
    return Json.json().readTree(planFile.toFile()).at("/predicted/iterationNanos").asLong();
  }

  @Test
  void enginesWithoutFp8LinearsRefuseWithExit2AndWriteNothing() {
    for (String target : new String[] {"pytorch-csv", "deepspeed", "torchgpipe", "torch-script"}) {
      Path outDir = dir.resolve(target);
      assertThat(run("export", "--plan", plan.toString(), "--to", target, "-o", outDir.toString()))
          .as(target)
          .isEqualTo(2);
      assertThat(err.toString())
          .as(target)
          .startsWith("error: plan has training.fp8Linears = true (made with 'pipeplan plan --fp8'")
          .contains("Maybe re-plan without --fp8, or export to megatron or torchtitan.")
          .doesNotContain("at dev.pipeplan");
      assertThat(outDir).as(target).doesNotExist();
    }
  }

  @Test
  void runRefusesWithExit2AndWritesNoRun() {
    Path runFile = dir.resolve("run.json");
    assertThat(run("run", "--plan", plan.toString(), "-o", runFile.toString())).isEqualTo(2);
    assertThat(err.toString())
        .contains("the CPU executor runs every GEMM in fp32 and has no FP8 GEMMs")
        .doesNotContain("at dev.pipeplan");
    assertThat(runFile).doesNotExist();
  }

  @Test
  void aPlanEditedToFp32TrainingIsRefusedOnReading() throws Exception {
    JsonNode root = Json.json().readTree(plan.toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("training")).put("dtype", "FP32");
    Path edited = dir.resolve("edited.json");
    Files.writeString(edited, Json.write(root));
    Path outDir = dir.resolve("edited-megatron");
    assertThat(
            run("export", "--plan", edited.toString(), "--to", "megatron", "-o", outDir.toString()))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("training.fp8Linears is true, but training.dtype is fp32")
        .doesNotContain("at dev.pipeplan");
    assertThat(outDir).doesNotExist();
  }

  @Test
  void aPlanWhoseFp8WasFlippedOrDroppedByHandIsRefusedOnReading() throws Exception {
    for (String[] edit : new String[][] {{"fp8Linears", "false"}, {"fp8Linears", null}}) {
      JsonNode root = Json.json().readTree(plan.toFile());
      com.fasterxml.jackson.databind.node.ObjectNode training =
          (com.fasterxml.jackson.databind.node.ObjectNode) root.get("training");
      if (edit[1] == null) {
        training.remove(edit[0]);
      } else if (edit[1].equals("false")) {
        training.put(edit[0], false);
      } else {
        training.put(edit[0], edit[1]);
      }
      Path edited = dir.resolve("flipped.json");
      Files.writeString(edited, Json.write(root));
      for (String[] command :
          new String[][] {
            {"simulate", "--plan", edited.toString()},
            {
              "export",
              "--plan",
              edited.toString(),
              "--to",
              "deepspeed",
              "-o",
              dir.resolve("ds").toString()
            }
          }) {
        assertThat(run(command)).as(String.join(" ", edit) + " " + command[0]).isEqualTo(2);
        assertThat(err.toString())
            .contains("but the analytic roofline the plan says priced it gives")
            .contains("edited by hand?")
            .doesNotContain("at dev.pipeplan");
      }
      assertThat(dir.resolve("ds")).doesNotExist();
    }
    // the plan as written reads
    assertThat(run("simulate", "--plan", plan.toString())).as(err.toString()).isZero();
  }

  @Test
  void planAndSimulateRefuseFp8ForAModelWithoutTransformerBlocks() {
    // ResNet-50 has no linear layer that --fp8 runs in FP8: a plan saying 'fp8 linears' would lie
    Path cnn = dir.resolve("cnn.json");
    assertThat(
            run(
                "plan",
                "--model",
                "resnet50",
                "--dtype",
                "bf16",
                "--cluster",
                "h100:1x2",
                "--global-batch",
                "8",
                "--fp8",
                "--quiet",
                "-o",
                cnn.toString()))
        .isEqualTo(2);
    assertThat(err.toString())
        .startsWith(
            "error: FP8 linears (--fp8) run the linear layers of transformer blocks in FP8, but"
                + " model 'resnet50' has no transformer block")
        .contains("Maybe drop --fp8.")
        .doesNotContain("Exception");
    assertThat(cnn).doesNotExist();
    assertThat(
            run(
                "simulate",
                "--model",
                "resnet50",
                "--dtype",
                "bf16",
                "--cluster",
                "h100:1x2",
                "--pp",
                "2",
                "--microbatches",
                "4",
                "--schedule",
                "1f1b",
                "--fp8"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("model 'resnet50' has no transformer block");
  }

  @Test
  void aModelWithoutTransformerBlocksIsToldSoBeforeItsDtypeOrDevices() {
    // before: "--fp8 casts 16-bit inputs ... Maybe train it in bf16 (--dtype bf16 ...)", and with
    // --dtype bf16 the next run was refused for having no transformer blocks
    for (String cluster : new String[] {"h100:1x2", "a100-80gb:1x2"}) {
      assertThat(
              run(
                  ("plan --model resnet50 --cluster " + cluster + " --global-batch 8 --fp8")
                      .split(" ")))
          .as(cluster)
          .isEqualTo(2);
      assertThat(err.toString())
          .as(cluster)
          .startsWith(
              "error: FP8 linears (--fp8) run the linear layers of transformer blocks in FP8, but"
                  + " model 'resnet50' has no transformer block")
          .endsWith("Maybe drop --fp8.\n")
          .doesNotContain("--dtype", "FP8 rate");
      assertThat(
              run(
                  ("simulate --model resnet50 --cluster "
                          + cluster
                          + " --pp 2 --microbatches 4 --schedule 1f1b --fp8")
                      .split(" ")))
          .as(cluster)
          .isEqualTo(2);
      assertThat(err.toString())
          .as(cluster)
          .contains("model 'resnet50' has no transformer block")
          .doesNotContain("--dtype", "FP8 rate");
    }
  }

  @Test
  void anFp32ModelFileIsNotToldToUseADtypeOptionItRefuses() throws Exception {
    // the hint was 'Maybe add --dtype bf16', which a pipeplan model file then refuses
    Path model = dir.resolve("gpt-tiny.json");
    assertThat(run("models", "show", "gpt-tiny", "--json")).isZero();
    Files.writeString(model, out.toString());
    assertThat(
            run(
                "plan",
                "--model",
                model.toString(),
                "--cluster",
                "h100:1x2",
                "--global-batch",
                "8",
                "--fp8",
                "--quiet"))
        .isEqualTo(2);
    assertThat(err.toString())
        .startsWith(
            "error: --fp8 casts 16-bit inputs to FP8 around each GEMM, but the model trains in"
                + " fp32.")
        .contains("the dtype field of a model file, which --dtype cannot convert), or drop --fp8.");
  }
}
