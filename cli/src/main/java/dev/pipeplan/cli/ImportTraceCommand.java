package dev.pipeplan.cli;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.simulator.compare.Comparison;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunJson;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.timeline.Timeline;
import dev.pipeplan.simulator.timeline.TimelineJson;
import dev.pipeplan.simulator.timeline.TimelineValidator;
import dev.pipeplan.simulator.traceimport.ImportedTrace;
import dev.pipeplan.simulator.traceimport.RunShape;
import dev.pipeplan.simulator.traceimport.TraceImport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pipeplan import-trace}: PyTorch traces of a plan's run as a measured run. */
@Command(
    name = "import-trace",
    mixinStandardHelpOptions = true,
    description = {
      "Read the traces of a PyTorch pipeline run: the per-rank files of the torch-script launcher",
      "(traces/rank<R>.json, or the traces/ folder) or Chrome trace JSON from the PyTorch profiler",
      "(PP:<action> events). With --plan, write a run file that 'pipeplan report --measured' compares with the",
      "plan's prediction; without, write the measured timeline of the median iteration."
    },
    sortOptions = false)
final class ImportTraceCommand implements Callable<Integer> {
  @Parameters(arity = "1..*", paramLabel = "TRACE", description = "Trace files or folders.")
  List<Path> traces;

  @Option(
      names = "--plan",
      paramLabel = "FILE",
      description = "The plan the run was exported from.")
  Path planFile;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "FILE",
      description = "The run file (with --plan) or timeline file (without) to write.")
  Path output;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    OutputTarget target = OutputTarget.file("-o", output, "torch-run.json");
    target.notInput("--plan", planFile);
    for (Path trace : traces) {
      target.notInput("TRACE", trace);
      if (Files.isDirectory(trace)
          && output.toAbsolutePath().normalize().startsWith(trace.toAbsolutePath().normalize())) {
        // a traces folder is read whole: a file written into it replaces a trace, or is read as
        // one the next time
        throw new BadInputException(
            "-o "
                + output
                + " is inside the TRACE folder "
                + trace
                + ", which import-trace reads whole; give a path outside it");
      }
    }
    ImportedTrace trace = TraceImport.read(traces);
    if (planFile == null) {
      Timeline median = trace.representative();
      AtomicFiles.writeString(output, TimelineJson.write(median));
      target.announceCreated(out);
      out.println(
          "wrote "
              + output
              + ": the median of "
              + plural(trace.iterations().size(), "measured iteration")
              + " ("
              + ms(median.makespanNanos())
              + " ms) from "
              + plural(trace.files().size(), "trace file"));
      out.flush();
      return Main.EXIT_OK;
    }
    Plan plan = PlanJson.read(planFile);
    RunShape shape =
        new RunShape(
            plan.model().name(),
            plan.scheduleKind().id(),
            plan.parallelism().pp(),
            plan.virtualStages(),
            plan.microBatchCount(),
            plan.microBatchSize(),
            plan.partition().toString());
    MeasuredRun run =
        trace
            .toRun(PlanPrediction.predict(plan).timeline(), shape)
            .withProvenance(plan.provenance())
            .withSequenceLength(plan.training().sequenceLength());
    // Every iteration, since the comparison takes each action's median over all of them; a problem
    // found in several is said once, with the iterations (numbered from 1) it was found in.
    Map<String, List<Integer>> problems = new LinkedHashMap<>();
    Schedule schedule = PlanPrediction.schedule(plan);
    for (int k = 0; k < trace.iterations().size(); k++) {
      for (String problem :
          TimelineValidator.problems(
              schedule,
              trace.iterations().get(k),
              TimelineValidator.Expectations.measured(CLOCK_TOLERANCE_NANOS))) {
        problems.computeIfAbsent(problem, x -> new ArrayList<>()).add(k + 1);
      }
    }
    PrintWriter err = spec.commandLine().getErr();
    int count = trace.iterations().size();
    problems.forEach(
        (problem, iterations) ->
            err.println(
                "warning: the trace is not a run of the plan's schedule ("
                    + (iterations.size() == count
                        ? (count == 1 ? "its iteration" : "all " + count + " iterations")
                        : (iterations.size() == 1 ? "iteration " : "iterations ")
                            + iterations.stream()
                                .map(String::valueOf)
                                .collect(Collectors.joining(", "))
                            + " of "
                            + count)
                    + "): "
                    + problem));
    RunJson.write(output, run);
    target.announceCreated(out);
    Comparison c = run.comparison();
    out.println(
        "wrote "
            + output
            + ": "
            + trace.iterations().size()
            + " measured iterations from "
            + trace.files().size()
            + " trace files");
    out.println(
        String.format(
            Locale.ROOT,
            "iteration: measured %s ms, predicted %s ms (error %+.1f%%);"
                + " median action error %.1f%%; bubble measured %.3f, predicted %.3f; unmatched actions %d",
            ms(c.measuredIterationNanos()),
            ms(c.predictedIterationNanos()),
            100 * c.iterationError(),
            100 * c.medianActionError(),
            c.measuredBubbleRatio(),
            c.predictedBubbleRatio(),
            c.unmatchedActions()));
    out.flush();
    return Main.EXIT_OK;
  }

  /**
   * How far apart two ranks' clocks may read for one instant: the launcher stamps actions with each
   * process's monotonic clock, which one host shares, so only the stamping itself differs.
   */
  static final long CLOCK_TOLERANCE_NANOS = 100_000;

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
  }

  /** "1 trace file", "3 trace files". */
  private static String plural(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
