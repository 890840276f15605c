package dev.pipeplan.cli;

import dev.pipeplan.executor.PlanRunner;
import dev.pipeplan.executor.core.command.RunOptions;
import dev.pipeplan.executor.core.profile.RunCalibration;
import dev.pipeplan.executor.core.runtime.GradientEquivalence;
import dev.pipeplan.executor.core.runtime.NanoClock;
import dev.pipeplan.executor.cpu.CpuBackend;
import dev.pipeplan.executor.profile.Profiler;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.OwnedFolder;
import dev.pipeplan.models.io.ProfileJson;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.reports.html.HtmlReport;
import dev.pipeplan.reports.html.PlanReport;
import dev.pipeplan.simulator.compare.AccuracyTable;
import dev.pipeplan.simulator.compare.Comparison;
import dev.pipeplan.simulator.compare.ComparisonText;
import dev.pipeplan.simulator.compare.ErrorInterval;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunJson;
import dev.pipeplan.simulator.engine.CompiledSchedule;
import dev.pipeplan.simulator.engine.Jitter;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.WorkLimits;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pipeplan demo}: the whole loop on built-in defaults. Profiles a small GPT on this machine,
 * plans it for one pipeline worker per core with the measured costs, runs the plan, compares,
 * calibrates the profile from the run, plans and runs again with the calibrated costs, prints the
 * errors before and after, and writes the HTML report of the calibrated plan with the predicted and
 * measured Gantt charts side by side.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Profile a small GPT here, plan it for this machine's cores, run the plan, compare measured with"
            + " predicted, calibrate the profile from the run, plan and run again, print the errors before and"
            + " after calibration and write the HTML report.")
final class DemoCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR",
      defaultValue = "pipeplan-demo",
      description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(
      names = "--model",
      paramLabel = "NAME|FILE",
      defaultValue = "gpt-small-cpu",
      description = "The model (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--seq",
      paramLabel = "S",
      description = "Sequence length (default: the model's own).")
  Integer seq;

  @Option(
      names = "--global-batch",
      paramLabel = "G",
      defaultValue = "16",
      description = "Samples per iteration (default: ${DEFAULT-VALUE}).")
  int globalBatch;

  @Option(
      names = "--workers",
      paramLabel = "N",
      defaultValue = "0",
      description = "Pipeline workers, 1 to 64 (default 0: one per core, at most 8).")
  int workers;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      defaultValue = "5",
      description =
          "Measured iterations, "
              + ErrorInterval.MIN_ITERATIONS
              + " to "
              + RunOptions.MAX_ITERATIONS
              + ": the compared iteration is their median (default: ${DEFAULT-VALUE}).")
  int iterations;

  @Option(
      names = "--warmup",
      paramLabel = "K",
      defaultValue = "2",
      description =
          "Unrecorded iterations first, 0 to "
              + RunOptions.MAX_ITERATIONS
              + " (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--microbatches",
      paramLabel = "M",
      defaultValue = "0",
      description =
          "Micro-batches per iteration (default: the planner's choice; 4 with --accuracy).")
  int microBatches;

  @Option(
      names = "--accuracy",
      paramLabel = "KIND,...",
      split = ",",
      arity = "0..*",
      fallbackValue = "gpipe,1f1b,zb-h1,interleaved,zb-v,dualpipev",
      description =
          "Instead of the report: plan and run each of these schedule kinds (default when the option"
              + " has no value: gpipe,1f1b,zb-h1,interleaved,zb-v,dualpipev), check each one's gradients against a sequential run,"
              + " calibrate the profile from all the runs, plan and run each kind again, and write accuracy.md"
              + " with predicted against measured times before and after calibration.")
  List<String> accuracyKinds;

  @Option(
      names = "--calibration-time",
      paramLabel = "auto|cpu|wall",
      defaultValue = "auto",
      description =
          "Which measured time of each action the calibration fits, as 'pipeplan calibrate --time':"
              + " auto (default: wall time for a run on a quiet machine, CPU time for a busy one),"
              + " cpu or wall.")
  String calibrationTime;

  @Option(
      names = "--busy-retries",
      paramLabel = "N",
      defaultValue = "2",
      description =
          "When a run's machine was busy (other processes, the host taking CPU time, slow episodes),"
              + " measure it again, up to N more times, 0 to "
              + DemoCommand.MAX_BUSY_RETRIES
              + "; the run kept is the first on a quiet machine, else the last, with its warning"
              + " (default: ${DEFAULT-VALUE}).")
  int busyRetries;

  /** The most times one run is measured again after a busy machine. */
  static final int MAX_BUSY_RETRIES = 5;

  /** The most pipeline workers the demo starts: one thread each, on one machine. */
  static final int MAX_WORKERS = 64;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    checkOptions();
    OutputTarget.folder("-o", dir).notModelInput("--model", model);
    try (OwnedFolder folder = OwnedFolder.open(dir, "demo output")) {
      List<String> written = new ArrayList<>();
      int code = demo(out, folder.staging(), written);
      folder.commit(written);
      say(out, "");
      for (String name : written) {
        Path p = dir.resolve(name.endsWith("/") ? name + "index.html" : name);
        say(out, (name.endsWith("/") ? "report: " : "wrote ") + p.toAbsolutePath().normalize());
      }
      return code;
    }
  }

  /** Bad sizes fail before the minute of profiling and running, not after. */
  private void checkOptions() {
    if (workers < 0 || workers > MAX_WORKERS) {
      throw new BadInputException(
          "--workers must be between 1 and "
              + MAX_WORKERS
              + " (or 0, the default, for one per core), got "
              + workers);
    }
    if (globalBatch <= 0 || globalBatch > WorkLimits.MAX_GLOBAL_BATCH) {
      throw new BadInputException(
          "--global-batch must be between 1 and "
              + WorkLimits.MAX_GLOBAL_BATCH
              + ", got "
              + globalBatch);
    }
    RunCommand.checkIterations(iterations, warmup);
    if (busyRetries < 0 || busyRetries > MAX_BUSY_RETRIES) {
      throw new BadInputException(
          "--busy-retries must be between 0 and " + MAX_BUSY_RETRIES + ", got " + busyRetries);
    }
    if (microBatches < 0) {
      throw new BadInputException(
          "--microbatches must be > 0 (or 0, the default, for the planner's choice), got "
              + microBatches);
    }
    if (microBatches > 0 && globalBatch % microBatches != 0) {
      throw new BadInputException(
          "--global-batch "
              + globalBatch
              + " is not divisible by --microbatches "
              + microBatches
              + ". Maybe use --microbatches "
              + largestDivisorAtMost(globalBatch, microBatches)
              + ".");
    }
    WorkLimits.sequenceLengthOption(seq);
    CalibrateCommand.parseBasis("--calibration-time", calibrationTime);
  }

  /**
   * The profiler's default sizes that a plan of this global batch can use (b is at most the batch):
   * a global batch of 2 need not profile b = 8, whose memory refused models that fit.
   */
  static Profiler.Options profilingOptions(int workers, int globalBatch) {
    Profiler.Options defaults = Profiler.Options.defaults();
    List<Integer> sizes =
        defaults.microBatchSizes().stream().filter(b -> b <= globalBatch).toList();
    return defaults
        .withMicroBatchSizes(sizes.isEmpty() ? List.of(1) : sizes)
        .withConcurrentWorkers(workers);
  }

  private static int largestDivisorAtMost(int n, int limit) {
    int best = 1;
    for (int d : Planner.divisors(n)) {
      best = d <= limit ? d : best;
    }
    return best;
  }

  /** The demo's steps, writing into {@code dir} (the staging folder) and naming what it wrote. */
  private int demo(PrintWriter out, Path dir, List<String> written) {
    int p = workers > 0 ? workers : Math.max(1, Math.min(8, CpuBackend.cores()));
    ModelSpec m = ModelLoader.load(model, WorkLimits.sequenceLengthOption(seq));
    int seqLen = m.sequenceLength();
    boolean accuracy = accuracyKinds != null && !accuracyKinds.isEmpty();
    List<ScheduleKind> kinds = new ArrayList<>();
    if (accuracy) {
      for (String kindText : accuracyKinds) {
        ScheduleKind kind = ScheduleKind.parse(kindText);
        if (kinds.contains(kind)) {
          // its run files would overwrite each other
          throw new BadInputException(
              "--accuracy lists "
                  + kind.id()
                  + " twice; each kind is measured once. Maybe use --accuracy "
                  + String.join(
                      ",",
                      accuracyKinds.stream()
                          .map(t -> ScheduleKind.parse(t).id())
                          .distinct()
                          .toList()));
        }
        kinds.add(kind);
      }
    }
    String loadBefore = CpuBackend.loadAverage();

    Profiler.Options profiling = profilingOptions(p, globalBatch);
    try {
      Profiler.checkFitsThisMachine(m, profiling);
    } catch (BadInputException e) {
      // the profiler's message names its own options, which demo does not have
      throw new BadInputException(
          "model "
              + m.name()
              + " is too large for the CPU demo: "
              + e.getMessage()
                  .replaceFirst(" Maybe use smaller micro-batch sizes\\.$", "")
                  .replace("--microbatch-sizes up to", "profiling micro-batch sizes up to")
              + " Maybe use --model gpt-tiny or gpt-small-cpu, or plan it without running:"
              + " 'pipeplan plan --model "
              + m.name()
              + " ...'.");
    }
    say(
        out,
        "1/6 profiling " + m.name() + " on this machine (" + CpuBackend.cores() + " cores)...");
    Profile profile =
        Profiler.profile(m, profiling, NanoClock.threadCpu(), line -> say(out, "    " + line));
    say(out, "    " + ProfileCommand.repeatabilityLine(profile.repeatability()));
    Path profileFile = dir.resolve("profile.json");
    ProfileJson.write(profileFile, profile);
    written.add("profile.json");

    say(out, "2/6 planning for cpu:1x" + p + " with the measured costs...");
    TrainingSpec training =
        new TrainingSpec(globalBatch, seqLen, DType.FP32, Optimizer.adamFp32(), false);
    ClusterSpec cluster = Clusters.load("cpu:1x" + p);
    SearchOptions options = SearchOptions.defaults().withPp(p).withTp(1).withProfile(profile);
    int fixedM = microBatches > 0 ? microBatches : accuracy ? 4 : 0;
    if (fixedM > 0) {
      options = options.withMicroBatches(fixedM);
    }
    if (accuracy) {
      return accuracy(out, dir, written, m, training, cluster, options, kinds, loadBefore);
    }
    Plan plan =
        PlanBuilder.fromSearch(
            Planner.search(m, training, cluster, options, ProgressListener.none()));
    PlanJson.write(plan, dir.resolve("plan.json"));
    written.add("plan.json");
    sayPlan(out, plan);
    say(
        out,
        "3/6 running the plan ("
            + warmup
            + " warm-up + "
            + iterations
            + " measured iterations)...");
    MeasuredRun run = runAndSay(out, plan);
    RunJson.write(dir.resolve("run.json"), run);
    written.add("run.json");

    say(out, "4/6 calibrating the profile from the run's measured actions...");
    RunCalibration.Result calibration =
        RunCalibration.fit(
            m,
            profile,
            List.of(run),
            "run.json",
            CalibrateCommand.parseBasis("--calibration-time", calibrationTime));
    for (String line : calibration.lines()) {
      say(out, "    " + line);
    }
    ProfileJson.write(dir.resolve("calibrated-profile.json"), calibration.calibrated());
    written.add("calibrated-profile.json");

    say(out, "5/6 planning again with the calibrated costs...");
    Plan calibratedPlan =
        PlanBuilder.fromSearch(
            Planner.search(
                m,
                training,
                cluster,
                options.withProfile(calibration.calibrated()),
                ProgressListener.none()));
    PlanJson.write(calibratedPlan, dir.resolve("calibrated-plan.json"));
    written.add("calibrated-plan.json");
    sayPlan(out, calibratedPlan);
    say(out, "6/6 running the calibrated plan...");
    MeasuredRun calibratedRun = runAndSay(out, calibratedPlan);
    jitterOf(calibration)
        .ifPresent(cv -> say(out, "    " + jitterLine(spread(calibratedPlan, cv), calibratedRun)));
    RunJson.write(dir.resolve("calibrated-run.json"), calibratedRun);
    written.add("calibrated-run.json");

    say(out, "");
    say(out, "measured against predicted, before and after calibration:");
    say(out, "    before: " + errorSummary(run));
    say(out, "    after:  " + errorSummary(calibratedRun));
    for (MeasuredRun r : List.of(run, calibratedRun)) {
      if (r.noise().busy()) {
        say(out, "    WARNING: " + r.noise().warning());
      }
    }

    Path reportDir = dir.resolve("report");
    List<String> files =
        HtmlReport.write(
            PlanReport.content(
                calibratedPlan,
                PlanJson.write(calibratedPlan),
                calibratedRun.predicted(),
                Optional.of(calibratedRun)),
            reportDir);
    say(out, "report of the calibrated plan and its run: " + files.size() + " files");
    written.add("report/");
    return Main.EXIT_OK;
  }

  private static void sayPlan(PrintWriter out, Plan plan) {
    say(
        out,
        String.format(
            Locale.ROOT,
            "    %s, pp %d, v %d, m %d, b %d, partition %s: predicted %.2f ms",
            plan.scheduleKind(),
            plan.parallelism().pp(),
            plan.virtualStages(),
            plan.microBatchCount(),
            plan.microBatchSize(),
            plan.partition(),
            plan.predicted().pipelineNanos() / 1e6));
  }

  private MeasuredRun runAndSay(PrintWriter out, Plan plan) {
    sayDuration(out, plan);
    return measure(out, plan, new PlanRunner.Options(iterations, warmup, 1, 1L, 1e-3)).kept();
  }

  /** A run this long or longer is announced with a warning and a hint, before it starts. */
  static final double LONG_RUN_SECONDS = 10 * 60;

  /**
   * Says how long the run will take by the plan's own prediction, before it starts: a large
   * --global-batch or many --iterations can make one run of the CPU demo take hours.
   */
  private void sayDuration(PrintWriter out, Plan plan) {
    for (String line : durationLines(plan.predicted().iterationNanos(), warmup, iterations)) {
      say(out, "    " + line);
    }
  }

  /**
   * "expected to take about 2.1 s (7 iterations at 301.20 ms predicted)", and a warning with a hint
   * from {@link #LONG_RUN_SECONDS} on.
   */
  static List<String> durationLines(long iterationNanos, int warmup, int iterations) {
    int count = warmup + iterations;
    double seconds = (double) iterationNanos * count / 1e9;
    String line =
        String.format(
            Locale.ROOT,
            "expected to take about %s (%d iterations at %.2f ms predicted each)",
            readableSeconds(seconds),
            count,
            iterationNanos / 1e6);
    if (seconds < LONG_RUN_SECONDS) {
      return List.of(line);
    }
    return List.of(
        line,
        "WARNING: this run alone takes longer than "
            + readableSeconds(LONG_RUN_SECONDS)
            + ", and the demo runs the plan at least twice. Maybe use a smaller --global-batch"
            + " (the CPU demo's default is 16) or fewer --iterations.");
  }

  /** "41 s", "12.5 min", "3.2 h". */
  static String readableSeconds(double seconds) {
    if (seconds < 90) {
      return String.format(Locale.ROOT, "%.0f s", Math.max(seconds, 1));
    }
    if (seconds < 90 * 60) {
      return String.format(Locale.ROOT, "%.1f min", seconds / 60);
    }
    return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
  }

  /**
   * A run kept for the comparison, and the warnings of the attempts before it that ran on a busy
   * machine and were measured again.
   */
  record Measured(MeasuredRun kept, List<String> busyAttempts) {}

  /**
   * Runs the plan and prints its comparison; while the machine's noise excuses the comparison, runs
   * it again, up to {@code --busy-retries} more times ({@link #untilQuiet}).
   */
  private Measured measure(PrintWriter out, Plan plan, PlanRunner.Options runOptions) {
    Measured measured =
        untilQuiet(
            () ->
                PlanRunner.run(
                    plan, runOptions, NanoClock.system(), line -> say(out, "    " + line)),
            busyRetries,
            line -> say(out, "    " + line));
    for (String line : ComparisonText.lines(measured.kept())) {
      say(out, "    " + line);
    }
    return measured;
  }

  /**
   * Takes runs from {@code attempt} until one's comparison is not excused by the machine's noise
   * ({@link MeasuredRun#comparisonExcused()}: other processes or the host took the cores, or the
   * machine ran in slow episodes), at most {@code retries} + 1 of them; says why each one is
   * measured again. The last attempt is kept whatever its noise, and carries its own warning.
   */
  static Measured untilQuiet(Supplier<MeasuredRun> attempt, int retries, Consumer<String> say) {
    List<String> busy = new ArrayList<>();
    while (true) {
      MeasuredRun run = attempt.get();
      if (busy.size() == retries || !run.comparisonExcused()) {
        return new Measured(run, List.copyOf(busy));
      }
      busy.add(run.noise().warning());
      say.accept(
          String.format(
              Locale.ROOT,
              "%s; measuring again (attempt %d of at most %d, --busy-retries)",
              run.noise().warning(),
              busy.size() + 1,
              retries + 1));
    }
  }

  /**
   * "iteration error -4.1% [-6.0%, +1.2%] within noise; per-action error median 8.0%, p90 20.1%".
   */
  static String errorSummary(MeasuredRun run) {
    Comparison c = run.comparison();
    return String.format(
        Locale.ROOT,
        "iteration error %+.1f%% %s; per-action error median %.1f%%, p90 %.1f%%%s",
        100 * c.iterationError(),
        run.errorInterval()
            .map(ci -> ci.text() + (ci.withinNoise() ? " within noise" : " outside the noise"))
            .orElse("(no interval: fewer than 5 iterations)"),
        100 * c.medianActionError(),
        100 * c.p90ActionError(),
        run.cpuComparison()
            .map(
                cpu ->
                    String.format(
                        Locale.ROOT,
                        " (on thread CPU time: median %.1f%%, p90 %.1f%%)",
                        100 * cpu.medianActionError(),
                        100 * cpu.p90ActionError()))
            .orElse(""));
  }

  /**
   * Plans, checks and runs each requested kind; calibrates the profile from all those runs at once;
   * plans and runs each kind again with the calibrated profile; writes accuracy.md with both
   * tables.
   */
  private int accuracy(
      PrintWriter out,
      Path dir,
      List<String> written,
      ModelSpec m,
      TrainingSpec training,
      ClusterSpec cluster,
      SearchOptions options,
      List<ScheduleKind> kinds,
      String loadBefore) {
    AccuracyTable before = new AccuracyTable(m.name(), CpuBackend.describeMachine(), loadBefore);
    List<MeasuredRun> runs = new ArrayList<>();
    StringBuilder sources = new StringBuilder();
    for (ScheduleKind kind : kinds) {
      say(out, "3/6 " + kind.id() + ":");
      MeasuredRun run =
          checkAndRun(out, m, training, cluster, options, kind, before, Optional.empty());
      String name = "run-" + kind.id() + ".json";
      RunJson.write(dir.resolve(name), run);
      written.add(name);
      runs.add(run);
      sources.append(sources.length() == 0 ? "" : ", ").append(name);
    }
    before.finish(CpuBackend.loadAverage());

    say(out, "4/6 calibrating the profile from the " + runs.size() + " runs' measured actions...");
    Profile profile = options.profile().orElseThrow();
    RunCalibration.Result calibration =
        RunCalibration.fit(
            m,
            profile,
            runs,
            sources.toString(),
            CalibrateCommand.parseBasis("--calibration-time", calibrationTime));
    for (String line : calibration.lines()) {
      say(out, "    " + line);
    }
    ProfileJson.write(dir.resolve("calibrated-profile.json"), calibration.calibrated());
    written.add("calibrated-profile.json");

    AccuracyTable after =
        new AccuracyTable(m.name(), CpuBackend.describeMachine(), CpuBackend.loadAverage());
    // the calibrated profile describes the machine as it ran the runs it was fitted on
    after.compareSpeedWith(
        AccuracyTable.medianProbe(runs), "the runs the calibration was fitted on");
    SearchOptions calibrated = options.withProfile(calibration.calibrated());
    for (ScheduleKind kind : kinds) {
      say(out, "5/6 " + kind.id() + " with the calibrated profile:");
      MeasuredRun run =
          checkAndRun(out, m, training, cluster, calibrated, kind, after, jitterOf(calibration));
      String name = "calibrated-run-" + kind.id() + ".json";
      RunJson.write(dir.resolve(name), run);
      written.add(name);
    }
    after.finish(CpuBackend.loadAverage());

    String markdown =
        "Before calibration (profile as measured):\n\n"
            + before.markdown()
            + "\nAfter calibration (one fit over the runs above, "
            + calibration.observations()
            + " measured actions):\n\n"
            + after.markdown();
    Path file = dir.resolve("accuracy.md");
    AtomicFiles.writeString(file, markdown);
    written.add("accuracy.md");
    say(out, "6/6 accuracy tables:");
    say(out, "");
    out.print(markdown);
    return Main.EXIT_OK;
  }

  /** Plans one kind, checks its gradients against a sequential run, runs it and adds its row. */
  private MeasuredRun checkAndRun(
      PrintWriter out,
      ModelSpec m,
      TrainingSpec training,
      ClusterSpec cluster,
      SearchOptions options,
      ScheduleKind kind,
      AccuracyTable table,
      Optional<Double> jitter) {
    Plan plan =
        PlanBuilder.fromSearch(
            Planner.search(
                m, training, cluster, options.withKinds(List.of(kind)), ProgressListener.none()));
    PlanRunner.Options runOptions = new PlanRunner.Options(iterations, warmup, 1, 1L, 1e-3);
    say(out, "    checking gradients against a sequential run...");
    double gradientDifference =
        GradientEquivalence.maxRelativeDifference(
            PlanRunner.config(plan, runOptions), dev.pipeplan.executor.cpu.Nd4jOps::new);
    say(out, "    running " + warmup + " warm-up + " + iterations + " measured iterations...");
    sayDuration(out, plan);
    Measured measured = measure(out, plan, runOptions);
    Optional<Jitter.Spread> spread = jitter.map(cv -> spread(plan, cv));
    spread.ifPresent(j -> say(out, "    " + jitterLine(j, measured.kept())));
    table.add(measured.kept(), gradientDifference, spread);
    table.measuredAgain(measured.kept().scheduleName(), measured.busyAttempts());
    return measured.kept();
  }

  /** The calibration's measured jitter, when its runs measured any. */
  private static Optional<Double> jitterOf(RunCalibration.Result calibration) {
    return calibration.jitter().actions() > 0
        ? Optional.of(calibration.jitter().cv())
        : Optional.empty();
  }

  /** The plan's iteration with every action varying by {@code cv} ({@link Jitter}). */
  private static Jitter.Spread spread(Plan plan, double cv) {
    return Jitter.of(CompiledSchedule.of(PlanPrediction.schedule(plan)), plan.costs(), cv);
  }

  /** "with the calibration runs' jitter: iteration median 476.03 ms (+1.5%), error -2.1%". */
  static String jitterLine(Jitter.Spread j, MeasuredRun run) {
    return String.format(
        Locale.ROOT,
        "with the calibration runs' jitter (%.1f%% per action, %d draws): predicted median %.2f ms"
            + " (%+.1f%% over the mean durations), error %+.1f%%",
        100 * j.cv(),
        j.draws(),
        j.medianNanos() / 1e6,
        100 * j.medianStretch(),
        100 * ((double) j.medianNanos() / run.comparison().measuredIterationNanos() - 1));
  }

  private static void say(PrintWriter out, String line) {
    out.println(line);
    out.flush();
  }
}
