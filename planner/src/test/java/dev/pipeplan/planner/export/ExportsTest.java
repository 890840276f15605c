package dev.pipeplan.planner.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanFixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ExportsTest {
  static String golden(String resource) throws IOException {
    try (InputStream in = ExportsTest.class.getResourceAsStream(resource)) {
      assertThat(in).as("golden file " + resource).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @ParameterizedTest
  // torch-script needs a model with full shapes; TorchScriptExportTest holds its goldens
  @EnumSource(value = ExportTarget.class, names = "TORCH_SCRIPT", mode = EnumSource.Mode.EXCLUDE)
  void everyTargetMatchesItsGoldenFiles(ExportTarget target) throws IOException {
    List<ExportFile> files = Exports.export(PlanFixtures.twoStagePlan(), target);
    assertThat(files).isNotEmpty();
    for (ExportFile file : files) {
      assertThat(file.content())
          .as(target.id() + "/" + file.fileName())
          .isEqualTo(golden("/golden/export/" + target.id() + "/" + file.fileName()));
    }
  }

  @Test
  void megatronLayoutListsVirtualStagesInOrder() throws IOException {
    String args = Exports.megatron(PlanFixtures.interleavedPlan());
    assertThat(args).isEqualTo(golden("/golden/export/megatron-interleaved.sh"));
    assertThat(args).contains("--pipeline-model-parallel-layout \"E|t|t|L\"");
  }

  @Test
  void megatronRejectsVShapedPlacements() {
    Plan base = PlanFixtures.twoStagePlan();
    Plan v =
        new Plan(
            Plan.FORMAT_VERSION,
            base.model(),
            base.training(),
            base.cluster(),
            base.parallelism(),
            base.microBatchSize(),
            base.microBatchCount(),
            "zb-v",
            2,
            0,
            0,
            dev.pipeplan.simulator.cost.Partition.of(1, 1, 1, 1),
            List.of(0, 1, 1, 0),
            base.placement(),
            PlanFixtures.interleavedPlan().stageCosts(),
            base.links(),
            base.predicted(),
            base.reason(),
            base.runnersUp(),
            base.pareto(),
            base.search());
    assertThatThrownBy(() -> Exports.export(v, ExportTarget.MEGATRON))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("V")
        .hasMessageContaining("Maybe re-plan with --schedules 1f1b,interleaved");
  }

  @Test
  void oneStagePerRankEnginesRejectVirtualStages() {
    Plan plan = PlanFixtures.interleavedPlan();
    for (ExportTarget target : List.of(ExportTarget.DEEPSPEED, ExportTarget.TORCHGPIPE)) {
      assertThatThrownBy(() -> Exports.export(plan, target))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("runs one stage per rank, but the plan has virtualStages 2");
    }
  }

  @Test
  void torchtitanNamesEveryModuleOnce() {
    String toml = Exports.torchtitan(PlanFixtures.interleavedPlan());
    assertThat(toml)
        .contains(
            "module_fqns_per_model_part = [\n  [\"tok_embeddings\"],\n  [\"layers.0\"],\n"
                + "  [\"layers.1\"],\n  [\"norm\", \"output\"]\n]");
    assertThat(toml).contains("pipeline_parallel_schedule_csv = \"schedule.csv\"");
  }

  @Test
  void rejectsAnUnknownTarget() {
    assertThatThrownBy(() -> ExportTarget.parse("jax"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("pytorch-csv, torchtitan, megatron, deepspeed, torchgpipe");
  }
}
