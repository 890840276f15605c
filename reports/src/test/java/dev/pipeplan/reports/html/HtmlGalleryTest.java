package dev.pipeplan.reports.html;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.zoo.Zoo;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes sample reports into {@code -Dpipeplan.gallery=DIR} for people (and headless Chromium) to
 * look at.
 */
@EnabledIfSystemProperty(named = "pipeplan.gallery", matches = ".+")
class HtmlGalleryTest {
  @Test
  void writesSmallAndLargeReports() {
    Path dir = Path.of(System.getProperty("pipeplan.gallery"));
    HtmlReport.write(TestContents.of(4, 8, true), dir.resolve("report-small"));
    HtmlReport.write(TestContents.of(64, 1024, true), dir.resolve("report-large"));
    assertThat(dir.resolve("report-large/index.html")).exists();
  }

  @Test
  void writesTheReportOfAPlannedModel() {
    Path dir = Path.of(System.getProperty("pipeplan.gallery"));
    String model = System.getProperty("pipeplan.gallery.model", "gpt-tiny");
    String cluster = System.getProperty("pipeplan.gallery.cluster", "h100:1x8");
    int batch = Integer.getInteger("pipeplan.gallery.batch", 64);
    ModelSpec spec = Zoo.get(model);
    Plan plan =
        PlanBuilder.fromSearch(
            Planner.search(
                spec,
                TrainingSpec.of(batch, spec.sequenceLength(), DType.BF16),
                Clusters.load(cluster),
                SearchOptions.defaults().withPp(8),
                ProgressListener.none()));
    HtmlReport.write(
        PlanReport.content(
            plan,
            PlanJson.write(plan),
            dev.pipeplan.planner.PlanPrediction.predict(plan).timeline(),
            Optional.empty()),
        dir.resolve("report-plan"));
    assertThat(dir.resolve("report-plan/index.html")).exists();
  }
}
