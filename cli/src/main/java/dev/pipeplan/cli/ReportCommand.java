package dev.pipeplan.cli;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.reports.html.HtmlReport;
import dev.pipeplan.reports.html.PlanReport;
import dev.pipeplan.reports.html.ReportContent;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pipeplan report}: the HTML report of a plan, with the measured-vs-predicted comparison of
 * a run.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Write the HTML report of a plan: a folder with index.html, Gantt, memory and search charts (PNG and SVG),",
      "a Chrome trace (trace.json, for Perfetto) and a copy of the plan. With --measured, add the comparison of",
      "the measured run with the prediction. The folder is written whole or not at all."
    })
final class ReportCommand implements Callable<Integer> {
  @Option(
      names = "--plan",
      required = true,
      paramLabel = "FILE",
      description = "The plan file ('pipeplan plan').")
  Path planFile;

  @Option(
      names = "--measured",
      paramLabel = "FILE",
      description = "A run file of the plan ('pipeplan run').")
  Path runFile;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "DIR",
      description = {
        "The report folder: a new or empty folder, or an earlier report (replaced whole).",
        "A folder holding any file pipeplan did not write there is refused (see its",
        ".pipeplan-files manifest)."
      })
  Path output;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Plan plan = PlanJson.read(planFile);
    String planText;
    try {
      planText = Files.readString(planFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BadInputException("cannot read plan file " + planFile + ": " + e.getMessage(), e);
    }
    Optional<MeasuredRun> run =
        runFile == null ? Optional.empty() : Optional.of(RunJson.read(runFile));
    ReportContent content =
        PlanReport.content(
            plan, planText, dev.pipeplan.planner.PlanPrediction.predictedTimeline(plan, run), run);
    List<String> files = HtmlReport.write(content, output);
    PrintWriter err = spec.commandLine().getErr();
    run.ifPresent(r -> r.comparisonWarnings().forEach(w -> err.println("warning: " + w)));
    err.flush();
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        "wrote "
            + output.resolve("index.html")
            + " ("
            + files.size()
            + " files"
            + (run.isPresent() ? ", with the measured run" : "")
            + ")");
    out.flush();
    return Main.EXIT_OK;
  }
}
