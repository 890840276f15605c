package dev.pipeplan.cli;

import dev.pipeplan.executor.core.command.StacktraceOption;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.DtypeOrigin;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.OutputPaths;
import dev.pipeplan.models.io.ProfileJson;
import dev.pipeplan.planner.ModelFlops;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.planner.PredictedMetrics;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.reports.chart.ChartFiles;
import dev.pipeplan.reports.chart.GanttChart;
import dev.pipeplan.reports.summary.Throughput;
import dev.pipeplan.simulator.cost.CostModel;
import dev.pipeplan.simulator.cost.CostRequest;
import dev.pipeplan.simulator.cost.CostSources;
import dev.pipeplan.simulator.cost.FixedStageCosts;
import dev.pipeplan.simulator.cost.MeasuredCostModel;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.engine.CompiledSchedule;
import dev.pipeplan.simulator.engine.GeneratorCosts;
import dev.pipeplan.simulator.engine.IterationBoundary;
import dev.pipeplan.simulator.engine.Jitter;
import dev.pipeplan.simulator.engine.SimulationResult;
import dev.pipeplan.simulator.engine.Simulator;
import dev.pipeplan.simulator.engine.SteadyState;
import dev.pipeplan.simulator.engine.SteadyStateSimulator;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.WorkLimits;
import dev.pipeplan.simulator.schedule.check.ScheduleValidator;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import dev.pipeplan.simulator.schedule.io.PyTorchCsv;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import dev.pipeplan.simulator.timeline.Metrics;
import dev.pipeplan.simulator.timeline.MetricsJson;
import dev.pipeplan.simulator.timeline.Timeline;
import dev.pipeplan.simulator.timeline.TimelineJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pipeplan simulate}: one schedule, one set of stage costs, one simulated iteration. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description =
        "Simulate one training iteration of a pipeline schedule: iteration time, bubble ratio, per-device"
            + " busy time, peak memory and micro-batches in flight. Costs come from a model (analytic; measured with"
            + " --profile or when every layer has measured times) or, for closed-form checks, from --uniform-stage-ms."
            + " Limits (refused at once; see docs/design.md): --pp <= "
            + WorkLimits.MAX_PIPELINE_DEVICES
            + ", pp x tp x cp (the one replica's devices) <= the cluster's devices, at most "
            + Clusters.MAX_DEVICES
            + ", --microbatches <= "
            + WorkLimits.MAX_MICRO_BATCHES
            + ", pp x v x m x (2, or 3 with I and W) <= "
            + WorkLimits.MAX_ACTIONS
            + " actions, microbatches x microbatch size <= "
            + WorkLimits.MAX_GLOBAL_BATCH
            + " samples, --seq <= "
            + WorkLimits.MAX_SEQUENCE_LENGTH
            + ". With more than "
            + SimulateCommand.DEVICE_ROWS
            + " devices the table shows the first and last few and the busiest and fullest.",
    sortOptions = false)
final class SimulateCommand implements Callable<Integer> {
  private static final double GIB = 1024.0 * 1024.0 * 1024.0;

  /** The most devices the summary lists one by one; above it, the first and last few. */
  static final int DEVICE_ROWS = 32;

  private static final int DEVICE_ROWS_EACH_END = 4;

  /**
   * The options a plan file can be simulated with: the plan file, what to print and write, and
   * --optimizer-post-validation (checked against the plan's own field). Every other option shapes
   * the model, cluster, schedule, partition, costs or training, which the plan fixes.
   */
  private static final List<String> PLAN_OPTIONS =
      List.of(
          "--plan", "--json", "--timeline", "--gantt", "--optimizer-post-validation", "--jitter");

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      paramLabel = "NAME|FILE",
      description =
          "Zoo model name or model file, whose layers are costed (or --uniform-stage-ms, or --plan).")
  String model;

  @Option(
      names = "--plan",
      paramLabel = "plan.json",
      description =
          "Simulate a plan file from 'pipeplan plan' (its model, costs and schedule; with the optimizer"
              + " step post-validated when the plan says so); no other input needed.")
  Path planFile;

  @Option(
      names = "--pp",
      paramLabel = "P",
      description = "Pipeline devices (required with --schedule).")
  int pp;

  @Option(
      names = "--microbatches",
      paramLabel = "M",
      description = "Micro-batches per iteration (required with --schedule).")
  int microbatches;

  @Option(
      names = "--schedule",
      paramLabel = "KIND|FILE.csv",
      description =
          "Schedule kind (gpipe, 1f1b, interleaved, looped-bfs, zb-h1, zb-h2, zb-auto, zb-v, v-half,"
              + " v-min, dualpipev) or a PyTorch pipelining CSV file; required unless --plan.")
  String schedule;

  @Option(
      names = "--virtual-stages",
      paramLabel = "V",
      description = "Chunks per device (default: the kind's).")
  Integer virtualStages;

  @Option(
      names = "--group-size",
      paramLabel = "G",
      defaultValue = "0",
      description = "Interleaved micro-batch group size (default: p).")
  int groupSize;

  @Option(
      names = "--max-in-flight",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "The most micro-batch activation sets a device may hold (zb-auto's, v-half's and v-min's memory"
              + " limit; a fixed kind rejects a limit below its own count). Default 0: the kind's own (2p-1 for"
              + " zb-auto).")
  int maxInFlight;

  @Option(
      names = "--legacy-csv",
      description = "Read the CSV with PyTorch's older spelling (B = input grad, BW = full).")
  boolean legacyCsv;

  @Option(
      names = "--partition",
      paramLabel = "3,3,2,2",
      description = "Layers per global stage (default: as even as possible).")
  String partition;

  @Option(
      names = "--cluster",
      paramLabel = "NAME|FILE|SHORTHAND",
      description = "Cluster (default: one node of pp*tp*cp H100s, h100:1xN).")
  String cluster;

  @Option(
      names = "--microbatch-size",
      paramLabel = "B",
      defaultValue = "1",
      description = "Samples per micro-batch (default: ${DEFAULT-VALUE}).")
  int microBatchSize;

  @Option(
      names = "--seq",
      paramLabel = "S",
      description = "Sequence length (default: the model's).")
  Integer seq;

  @Option(
      names = "--tp",
      paramLabel = "T",
      defaultValue = "1",
      description = "Tensor-parallel degree per stage (default: ${DEFAULT-VALUE}).")
  int tensorParallel;

  @Option(
      names = "--cp",
      paramLabel = "C",
      defaultValue = "1",
      description =
          "Context-parallel degree per stage (default: ${DEFAULT-VALUE}, none): every sequence split"
              + " over C devices, as 'pipeplan plan --cp' prices it (Megatron-Core's ring); the"
              + " sequence must be a multiple of 2 x C. A whole number ('auto' is plan's).")
  String contextParallelText;

  /** --cp as a degree, once {@link #call} has checked it. */
  int contextParallel = 1;

  @Mixin DtypeOption dtypeOption;

  @Mixin MemoryOptions memoryOptions;

  @Mixin PartitionUnitOption partitionUnit;

  /** The training a model run was priced with, for the summary; null without a model. */
  private TrainingSpec trainingUsed;

  /** Where the --model's dtype, which the simulation trains in, comes from; null without one. */
  private DtypeOrigin dtypeOrigin;

  @Option(
      names = "--profile",
      paramLabel = "FILE",
      description =
          "Cost with this measured profile (from 'pipeplan profile') instead of the analytic model.")
  Path profile;

  @Option(
      names = "--uniform-stage-ms",
      paramLabel = "F,B|F,I,W",
      description =
          "Every pipeline device's share of the model takes these times in ms (split evenly over its"
              + " virtual stages), no communication, no memory; no model needed.")
  String uniformStageMs;

  @Option(
      names = "--optimizer-post-validation",
      description =
          "Also simulate back-to-back iterations with the optimizer step post-validated, as the Zero"
              + " Bubble code's --enable-optimizer-post-validation runs them: no barrier between"
              + " iterations, each device steps after its own last action; report the steady-state period"
              + " and its bubble. Only for zb-h1, zb-h2, zb-auto, zb-v, v-half and v-min. Off by default (one"
              + " synchronous iteration, as Megatron-LM, DeepSpeed and PyTorch step).")
  boolean optimizerPostValidation;

  @Option(names = "--json", description = "Print the metrics as one JSON object.")
  boolean json;

  @Option(
      names = "--jitter",
      paramLabel = "CV",
      description =
          "Also time the schedule with every action's duration varying at random around its cost"
              + " (coefficient of variation CV, 0.08 for 8%%; 'pipeplan calibrate --run' measures it):"
              + " the median, 10th and 90th percentile iteration over "
              + Jitter.DRAWS
              + " draws with a fixed seed.")
  Double jitter;

  @Option(
      names = "--timeline",
      paramLabel = "FILE.json",
      description = "Write the simulated timeline as JSON.")
  Path timeline;

  @Option(
      names = "--gantt",
      paramLabel = "FILE.png|FILE.svg",
      description = "Draw the timeline as a Gantt chart.")
  Path gantt;

  @Override
  public Integer call() {
    List<Output> targets = checkOutputs();
    if (planFile != null) {
      return simulatePlan(targets);
    }
    if (schedule == null) {
      throw new BadInputException("simulate needs --schedule KIND|FILE.csv (or --plan plan.json)");
    }
    if (!spec.commandLine().getParseResult().hasMatchedOption("--pp")) {
      throw new BadInputException("--pp is required with --schedule (or give --plan plan.json)");
    }
    if (!spec.commandLine().getParseResult().hasMatchedOption("--microbatches")) {
      throw new BadInputException(
          "--microbatches is required with --schedule (or give --plan plan.json)");
    }
    if (pp <= 0) {
      throw new BadInputException("--pp must be > 0, got " + pp);
    }
    if (microbatches <= 0) {
      throw new BadInputException("--microbatches must be > 0, got " + microbatches);
    }
    if (microBatchSize <= 0) {
      throw new BadInputException("--microbatch-size must be > 0, got " + microBatchSize);
    }
    if (tensorParallel <= 0) {
      throw new BadInputException("--tp must be > 0, got " + tensorParallel);
    }
    contextParallel = PlanCommand.contextParallelOption(contextParallelText, false);
    if (maxInFlight < 0) {
      throw new BadInputException(
          "--max-in-flight must be >= 0 (0: the kind's own limit), got " + maxInFlight + ".");
    }
    WorkLimits.checkPipelineDevices(pp);
    WorkLimits.sequenceLengthOption(seq);
    // the limit is on pipeline devices (pp, above); tp x cp per stage only has to fit in a
    // cluster, as 'plan' asks of its degrees (a given --cluster's own size is checked with the
    // costs, which name the devices missing)
    if (devicesPerReplica() > Clusters.MAX_DEVICES) {
      throw new BadInputException(
          (contextParallel > 1 ? "--pp x --tp x --cp (" : "--pp x --tp (")
              + pp
              + " x "
              + tensorParallel
              + (contextParallel > 1 ? " x " + contextParallel : "")
              + " = "
              + devicesPerReplica()
              + " devices of one replica) is above the limit of "
              + Clusters.MAX_DEVICES
              + " devices of a cluster. Maybe use a smaller "
              + (contextParallel > 1 ? "--tp or --cp." : "--tp."));
    }
    checkPostValidationKind();
    Schedule plan = buildSchedule();
    ScheduleValidator.validate(plan);
    WorkLimits.checkSamples(
        "--microbatches x --microbatch-size", (long) microbatches * microBatchSize);

    ModelSpec modelSpec = null;
    ClusterSpec clusterSpec = null;
    Partition split = null;
    StageCosts costs;
    if (uniformStageMs != null) {
      if (model != null || profile != null) {
        throw new BadInputException(
            "give either --model (and --profile) or --uniform-stage-ms, not both");
      }
      refuseModelOptionsWithFixedTimes();
      costs =
          FixedStageCosts.parseUniform(
              uniformStageMs, plan.stageCount(), plan.stageCount() / plan.deviceCount());
      timelineProvenance =
          new Provenance(
              Provenance.currentVersion(),
              "fixed stage times " + uniformStageMs + " ms (--uniform-stage-ms)",
              describeRequest(),
              "none: fixed stage times, no devices");
    } else {
      if (model == null) {
        throw new BadInputException(
            "simulate needs --model NAME|FILE (see 'pipeplan models list'), or --uniform-stage-ms F,B for fixed"
                + " stage times");
      }
      modelSpec =
          ModelLoader.load(model, WorkLimits.sequenceLengthOption(seq), 0, dtypeOption.dtype());
      DtypeOption.requireModelled(modelSpec);
      Planner.requireTensorParallelSplits(modelSpec, tensorParallel);
      requireContextParallelSplits(modelSpec);
      clusterSpec = Clusters.load(cluster != null ? cluster : "h100:1x" + devicesPerReplica());
      TrainingSpec training =
          new TrainingSpec(
              microbatches * microBatchSize,
              modelSpec.sequenceLength(),
              modelSpec.dtype(),
              Optimizer.defaultFor(modelSpec.dtype()),
              false);
      training = memoryOptions.apply(training, tensorParallel);
      trainingUsed = training;
      dtypeOrigin = DtypeOrigin.of(model, dtypeOption.dtype());
      modelSpec = partitionUnit.apply(modelSpec, training, clusterSpec, profile != null);
      if (partition == null && plan.stageCount() > modelSpec.layerCount()) {
        throw tooManyStages(plan, modelSpec);
      }
      split =
          partition == null
              ? Partition.uniform(modelSpec.layerCount(), plan.stageCount())
              : Partition.parse(partition);
      if (split.stageCount() != plan.stageCount()) {
        throw new BadInputException(
            "--partition "
                + partition
                + " has "
                + split.stageCount()
                + " stages but the schedule has "
                + plan.stageCount()
                + " (pp*v). Maybe give "
                + plan.stageCount()
                + " layer counts.");
      }
      if (split.layerCount() != modelSpec.layerCount()) {
        throw new BadInputException(
            "--partition "
                + partition
                + " covers "
                + split.layerCount()
                + (partitionUnit.subLayer() ? " pieces" : " layers")
                + " but model '"
                + modelSpec.name()
                + "' has "
                + modelSpec.layerCount()
                + (partitionUnit.subLayer()
                    ? " with --partition-unit "
                        + partitionUnit.unit.trim()
                        + " (pieces of blocks and head slices; the plan file of 'pipeplan plan"
                        + " --partition-unit "
                        + partitionUnit.unit.trim()
                        + "' lists them)"
                    : ""));
      }
      MemoryOptions.requireFp8Priced(
          modelSpec,
          training,
          clusterSpec,
          profile != null ? "the profile" : modelSpec.fullyMeasured() ? "the model" : null);
      warnContextParallelEager(spec.commandLine().getErr(), training);
      if (profile != null || modelSpec.fullyMeasured()) {
        Warnings.memoryOnlyModes(
            spec.commandLine().getErr(), training, profile != null ? "the profile" : "the model");
      }
      Optional<Profile> measured =
          profile == null ? Optional.empty() : Optional.of(ProfileJson.read(profile));
      if (measured.isPresent()) {
        MeasuredCostModel.requireFits(modelSpec, measured.get(), "--profile " + profile);
        Warnings.profileHardware(
            spec.commandLine().getErr(), measured.get(), profile.toString(), clusterSpec);
      }
      CostModel costModel = CostSources.choose(modelSpec, training, clusterSpec, measured);
      costs = costModel.stageCosts(costRequest(split, plan));
      timelineProvenance =
          new Provenance(
              Provenance.currentVersion(),
              CostSources.describe(modelSpec, clusterSpec, measured),
              describeRequest() + ", partition " + split,
              clusterSpec.name());
    }

    // after the model's checks, so that a refused command line prints its error alone
    Warnings.fewMicroBatches(
        spec.commandLine().getErr(),
        scheduleFile() ? Optional.empty() : Optional.of(ScheduleKind.parse(schedule)),
        plan.virtualStages(),
        pp,
        microbatches,
        mostMicroBatches(plan),
        false);
    if (dtypeOrigin != null) {
      Warnings.checkpointDtype(spec.commandLine().getErr(), modelSpec, dtypeOrigin, clusterSpec);
      Warnings.noRateForDtype(spec.commandLine().getErr(), modelSpec.dtype(), clusterSpec);
    }
    if (costAwareKind) {
      // zb-auto, v-half and v-min plan with the costs they will be simulated with, and for the
      // steady-state period when the optimizer step is post-validated.
      plan =
          ScheduleGenerators.generate(
              GeneratorCosts.forCosts(
                  scheduleRequest().withOptimizerPostValidation(optimizerPostValidation),
                  costs,
                  plan.stageToDevice()));
    }
    SimulationResult result = Simulator.simulate(plan, costs);
    SteadyState steady =
        optimizerPostValidation
            ? SteadyStateSimulator.simulate(plan, costs, boundary(plan, clusterSpec))
            : null;
    Optional<Jitter.Spread> spread = jitterSpread(plan, costs);
    long samples = (long) microbatches * microBatchSize;
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> doc = MetricsJson.toMap(result.metrics(), samples);
      doc.put("optimizerPostValidation", optimizerPostValidation);
      if (steady != null) {
        doc.put("postValidation", steadyStateJson(steady));
      }
      doc.put("schedule", plan.name());
      doc.put("pp", pp);
      doc.put("microbatches", microbatches);
      doc.put("virtualStages", plan.virtualStages());
      doc.put("microBatchSize", microBatchSize);
      doc.put("tensorParallel", tensorParallel);
      if (contextParallel > 1) {
        doc.put("contextParallel", contextParallel);
      }
      if (modelSpec != null) {
        doc.put("model", modelSpec.name());
        doc.put("cluster", clusterSpec.name());
        doc.put("partition", split.toString());
        doc.put("memoryLimitBytes", clusterSpec.device(0).memoryBytes());
      }
      spread.ifPresent(j -> doc.put("jitter", jitterJson(j)));
      out.print(Json.write(doc));
    } else {
      printSummary(out, plan, result.metrics(), samples, modelSpec, clusterSpec, split);
      if (modelSpec != null) {
        partitionUnit.describe(modelSpec).ifPresent(out::println);
      }
      printPostValidation(
          out, steady, " of the pipeline alone: no optimizer step or gradient sync");
      spread.ifPresent(j -> out.println(jitterText(j, optimizerPostValidation)));
      if (trainingUsed != null) {
        out.println(
            "memory: " + trainingUsed.describeMemoryModes(1, tensorParallel, contextParallel));
        out.println("dtype: " + Warnings.trainingDtype(modelSpec, dtypeOrigin));
      }
      placementLine(clusterSpec).ifPresent(out::println);
      warnOverMemory(out, result.metrics(), clusterSpec);
    }
    out.flush();
    writeOutputs(result, targets);
    return Main.EXIT_OK;
  }

  private Integer simulatePlan(List<Output> targets) {
    refuseOptionsThePlanFixes();
    Plan loaded = PlanJson.read(planFile);
    if (optimizerPostValidation && !loaded.optimizerPostValidation()) {
      throw new BadInputException(
          "--optimizer-post-validation does not apply to --plan: the plan file's"
              + " optimizerPostValidation field decides, and plan "
              + planFile
              + " was priced with a synchronous optimizer step. Maybe re-plan with 'pipeplan plan"
              + " --optimizer-post-validation', or simulate the plan's model, partition and schedule"
              + " kind with --model, --partition and --schedule.");
    }
    timelineProvenance = loaded.provenance();
    SimulationResult result = PlanPrediction.predict(loaded);
    Schedule plan = PlanPrediction.schedule(loaded);
    SteadyState steady = PlanPrediction.steadyState(loaded).orElse(null);
    Optional<Jitter.Spread> spread = jitterSpread(plan, loaded.costs());
    long samples = (long) plan.microBatchCount() * loaded.microBatchSize();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> doc = MetricsJson.toMap(result.metrics(), samples);
      doc.put("schedule", plan.name());
      doc.put("pp", plan.deviceCount());
      doc.put("microbatches", plan.microBatchCount());
      doc.put("virtualStages", plan.virtualStages());
      doc.put("microBatchSize", loaded.microBatchSize());
      doc.put("tensorParallel", loaded.parallelism().tp());
      doc.put("dataParallel", loaded.parallelism().dp());
      if (loaded.parallelism().cp() > 1) {
        doc.put("contextParallel", loaded.parallelism().cp());
      }
      doc.put("model", loaded.model().name());
      doc.put("cluster", loaded.cluster().name());
      doc.put("partition", loaded.partition().toString());
      doc.put("memoryLimitBytes", loaded.predicted().memoryLimitBytes());
      doc.put("optimizerPostValidation", loaded.optimizerPostValidation());
      doc.put("plan", planIterationJson(loaded));
      if (steady != null) {
        doc.put("postValidation", steadyStateJson(steady));
      }
      spread.ifPresent(j -> doc.put("jitter", jitterJson(j)));
      out.print(Json.write(doc));
    } else {
      printSummary(out, plan, result.metrics(), samples, loaded.model(), null, loaded.partition());
      PredictedMetrics priced = loaded.predicted();
      if (!loaded.optimizerPostValidation()) {
        out.printf(
            Locale.ROOT,
            "the plan's iteration %.3f ms: the pipeline's %.3f ms above, data-parallel sync %.3f ms"
                + " and optimizer step %.3f ms, as 'pipeplan plan' priced it%n",
            priced.iterationNanos() / 1e6,
            priced.pipelineNanos() / 1e6,
            priced.dataParallelSyncNanos() / 1e6,
            priced.optimizerStepNanos() / 1e6);
      }
      // the throughput above is one replica's pipeline; the plan's is every replica's over the
      // whole iteration, which 'pipeplan plan' and 'report' print
      out.printf(
          Locale.ROOT,
          "the plan's throughput %s: dp=%d replica%s of %d samples each per %.3f ms"
              + " %s (the throughput above is one replica's pipeline alone)%n",
          Throughput.samplesPerSecond(priced.throughputSamplesPerSecond()),
          loaded.parallelism().dp(),
          loaded.parallelism().dp() == 1 ? "" : "s",
          samples,
          priced.iterationNanos() / 1e6,
          loaded.optimizerPostValidation() ? "steady-state period" : "iteration");
      out.println(
          "the plan's model FLOPs: "
              + ModelFlops.of(
                      loaded.model(),
                      loaded.training().globalBatch(),
                      loaded.cluster(),
                      loaded.training().dtype(),
                      priced.iterationNanos())
                  .describe(loaded.training())
              + " over its "
              + (loaded.optimizerPostValidation() ? "steady-state period" : "iteration"));
      printPostValidation(out, steady, " with the plan's data-parallel sync and optimizer step");
      spread.ifPresent(j -> out.println(jitterText(j, loaded.optimizerPostValidation())));
      out.println(
          "memory: "
              + loaded
                  .training()
                  .describeMemoryModes(
                      loaded.parallelism().dp(),
                      loaded.parallelism().tp(),
                      loaded.parallelism().cp()));
      List<Integer> nodes = loaded.links().deviceNodes();
      if (loaded.cluster().nodeCount() > 1) {
        boolean crosses = nodes.stream().distinct().count() > 1;
        out.println(
            "placement: the plan's pipeline devices on nodes "
                + String.join(",", nodes.stream().map(String::valueOf).toList())
                + (crosses
                    ? " (hops between nodes over " + loaded.links().interNode().name() + ")"
                    : " (every hop over " + loaded.links().intraNode().name() + ")")
                + (loaded.parallelism().cp() > 1
                    ? ", replicas placed tp-cp-dp-pp: device d from (d x dp x cp) x tp"
                    : ", replicas placed tp-dp-pp: device d from (d x dp) x tp"));
      }
    }
    out.flush();
    writeOutputs(result, targets);
    return Main.EXIT_OK;
  }

  /**
   * What the plan file priced beyond the pipeline this command simulates: its iteration (with the
   * data-parallel sync and the optimizer step, or the post-validated period) and its throughput
   * over every replica, so that --json tells the same story as 'pipeplan plan' and the report.
   */
  private static Map<String, Object> planIterationJson(Plan loaded) {
    PredictedMetrics priced = loaded.predicted();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("iterationNanos", priced.iterationNanos());
    m.put("pipelineNanos", priced.pipelineNanos());
    m.put("dataParallelSyncNanos", priced.dataParallelSyncNanos());
    m.put("optimizerStepNanos", priced.optimizerStepNanos());
    m.put("throughputSamplesPerSecond", priced.throughputSamplesPerSecond());
    m.put("samplesPerIteration", loaded.training().globalBatch());
    return m;
  }

  /**
   * On a cluster of several nodes, where this command's one replica sits: pipeline device d on
   * cluster devices d x tp onwards (d x tp x cp with context parallelism). 'pipeplan plan' places
   * dp replicas tp-dp-pp, device d from (d x dp) x tp, so the same configuration's pipeline hops
   * may cross nodes in a plan and not here (or the other way), and the iteration times differ by
   * those hops; the line says so.
   */
  private Optional<String> placementLine(ClusterSpec clusterSpec) {
    if (clusterSpec == null || clusterSpec.nodeCount() < 2) {
      return Optional.empty();
    }
    StringBuilder nodes = new StringBuilder();
    boolean crosses = false;
    int perStage = tensorParallel * contextParallel;
    for (int d = 0; d < pp; d++) {
      int node = clusterSpec.nodeOf(d * perStage);
      crosses |= d > 0 && node != clusterSpec.nodeOf((d - 1) * perStage);
      nodes.append(d == 0 ? "" : ",").append(node);
    }
    return Optional.of(
        "placement: one replica (dp=1), pipeline device d on cluster devices from d x "
            + (contextParallel > 1 ? "tp x cp" : "tp")
            + ", on nodes "
            + nodes
            + (crosses
                ? " (hops between nodes over " + clusterSpec.interNodeLink().name() + ")"
                : " (every hop over " + clusterSpec.intraNodeLink().name() + ")")
            + "; a plan with dp > 1 places device d from (d x dp"
            + (contextParallel > 1 ? " x cp" : "")
            + ") x tp, so its hops may cross other nodes");
  }

  /**
   * Warns of eager attention at cp > 1, as 'plan' does for its plans: the engines the exports
   * target cannot run the configuration this command prices.
   */
  private void warnContextParallelEager(PrintWriter err, TrainingSpec training) {
    Warnings.contextParallelEager(
        err,
        training,
        contextParallel,
        "this simulation",
        "(a plan of it could not be exported to them)");
  }

  /** pp x tp x cp: the cluster devices of the one replica this command simulates. */
  private long devicesPerReplica() {
    return (long) pp * tensorParallel * contextParallel;
  }

  /**
   * What the cost model prices: pipeline device d on cluster devices d x tp x cp onwards (its
   * tensor ranks, then its context-parallel ranks, as a plan places them), one replica.
   */
  private CostRequest costRequest(Partition split, Schedule plan) {
    if (contextParallel == 1) {
      return CostRequest.of(split, microBatchSize, plan, tensorParallel);
    }
    List<Integer> devices = new ArrayList<>(plan.deviceCount());
    for (int d = 0; d < plan.deviceCount(); d++) {
      devices.add(d * tensorParallel * contextParallel);
    }
    return new CostRequest(
        split, microBatchSize, plan.stageToDevice(), devices, tensorParallel, 1, contextParallel);
  }

  /**
   * Refuses a --cp the cost model cannot price for this model: a sequence that does not split into
   * the 2 x cp load-balanced chunks, or a model without attention to split ('pipeplan plan --cp'
   * refuses the same). Measured costs are refused by the measured cost model.
   */
  private void requireContextParallelSplits(ModelSpec modelSpec) {
    Planner.requireContextParallelSplits(modelSpec, modelSpec.sequenceLength(), contextParallel);
  }

  /** More global stages (pp x v) than the model has layers (or pieces) to give them. */
  private BadInputException tooManyStages(Schedule plan, ModelSpec modelSpec) {
    int v = plan.virtualStages();
    int layers = modelSpec.layerCount();
    String unit = partitionUnit.subLayer() ? "pieces" : "layers";
    return new BadInputException(
        "--pp "
            + pp
            + (v > 1 ? " x " + v + " virtual stages = " + plan.stageCount() + " stages" : "")
            + " exceeds the "
            + layers
            + " "
            + unit
            + " of model '"
            + modelSpec.name()
            + "': every stage needs at least one. Maybe use --pp "
            + Math.max(1, layers / v)
            + " or fewer"
            + (!scheduleFile() && ScheduleKind.parse(schedule).minVirtualStages() < v
                ? " (or fewer --virtual-stages)"
                : "")
            + ".");
  }

  /** The iteration under --jitter, when given. */
  private Optional<Jitter.Spread> jitterSpread(Schedule plan, StageCosts costs) {
    if (jitter == null) {
      return Optional.empty();
    }
    Jitter.checkCv("--jitter", jitter);
    return Optional.of(Jitter.of(CompiledSchedule.of(plan), costs, jitter));
  }

  /** The spread's line; with post-validation it says the draws are of one synchronous iteration. */
  private static String jitterText(Jitter.Spread j, boolean postValidated) {
    return j.text()
        + (postValidated
            ? " (draws of one synchronous iteration; the post-validated period is not drawn)"
            : "");
  }

  private static Map<String, Object> jitterJson(Jitter.Spread j) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cv", j.cv());
    m.put("draws", j.draws());
    m.put("medianNanos", j.medianNanos());
    m.put("p10Nanos", j.p10Nanos());
    m.put("p90Nanos", j.p90Nanos());
    m.put("meanNanos", j.meanNanos());
    return m;
  }

  /**
   * How the simulated timeline was made, for the --timeline file; set by the path that costs it.
   */
  private Provenance timelineProvenance = Provenance.unrecorded();

  /**
   * Fixed stage times have no model, devices or memory: an option that shapes those would be
   * ignored without a word, so it is refused.
   */
  private void refuseModelOptionsWithFixedTimes() {
    List<String> ignored =
        typedOptions(
            option ->
                List.of("--cluster", "--seq", "--tp", "--cp", "--dtype")
                        .contains(option.longestName())
                    || spec.mixins().get("memoryOptions").options().contains(option)
                    || spec.mixins().get("partitionUnit").options().contains(option));
    if (!ignored.isEmpty()) {
      throw new BadInputException(
          String.join(", ", ignored)
              + (ignored.size() == 1 ? " does" : " do")
              + " not apply to --uniform-stage-ms: fixed stage times have no model, devices or"
              + " memory. Maybe drop "
              + String.join(" ", ignored)
              + ", or simulate a model with --model");
    }
  }

  /**
   * With --plan, an option that the plan fixes (--pp, --microbatches, --zero, ...) would be ignored
   * without a word, so it is refused, naming every one given.
   */
  private void refuseOptionsThePlanFixes() {
    List<String> ignored =
        typedOptions(
            option ->
                !PLAN_OPTIONS.contains(option.longestName())
                    && !option.usageHelp()
                    && !option.versionHelp()
                    && !option.longestName().equals(StacktraceOption.NAME));
    if (!ignored.isEmpty()) {
      throw new BadInputException(
          String.join(", ", ignored)
              + (ignored.size() == 1 ? " does" : " do")
              + " not apply to --plan: plan "
              + planFile
              + " fixes its model, cluster, schedule, partition, costs and training. Maybe drop "
              + String.join(" ", ignored)
              + ", or re-plan with 'pipeplan plan', or simulate without --plan");
    }
  }

  /**
   * The options of this command that the command line gave and {@code which} accepts, each by the
   * name the user typed (--zero, not --optimizer-sharding), in the command's option order.
   */
  private List<String> typedOptions(
      java.util.function.Predicate<CommandLine.Model.OptionSpec> which) {
    List<String> typed = new ArrayList<>();
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    for (CommandLine.Model.OptionSpec option : spec.options()) {
      if (parsed.hasMatchedOption(option) && which.test(option)) {
        String name = option.longestName();
        for (String alias : option.names()) {
          // a negatable option as typed: --no-pp-comm-overlap, not --pp-comm-overlap
          String negated =
              option.negatable() && alias.startsWith("--") ? "--no-" + alias.substring(2) : alias;
          for (String arg : parsed.originalArgs()) {
            if (arg.equals(alias) || arg.startsWith(alias + "=")) {
              name = alias;
            } else if (arg.equals(negated)) {
              name = negated;
            }
          }
        }
        typed.add(name);
      }
    }
    return typed;
  }

  /** Checks --timeline and --gantt before any work, so that a bad path fails first. */
  private List<Output> checkOutputs() {
    List<Output> targets = new ArrayList<>();
    if (timeline != null) {
      targets.add(
          new Output(
              OutputTarget.file("--timeline", timeline, "timeline.json"),
              t -> AtomicFiles.writeString(timeline, TimelineJson.write(t, timelineProvenance))));
    }
    if (gantt != null) {
      ChartFiles.Format.of(gantt);
      OutputPaths.requireDistinctOutputs("--timeline", timeline, "--gantt", gantt);
      targets.add(
          new Output(
              OutputTarget.file("--gantt", gantt, "gantt.png"), t -> GanttChart.write(t, gantt)));
    }
    for (Output o : targets) {
      o.target()
          .notInput("--plan", planFile)
          .notInput("--profile", profile)
          .notModelInput("--model", model)
          .notClusterInput("--cluster", cluster)
          .notInputFile("--schedule", schedule);
    }
    return targets;
  }

  /** The schedule this command simulates, in one line for the timeline's provenance. */
  private String describeRequest() {
    return "simulate: schedule "
        + schedule
        + ", pp "
        + pp
        + ", m "
        + microbatches
        + ", b "
        + microBatchSize
        + ", tp "
        + tensorParallel
        + (contextParallel > 1 ? ", cp " + contextParallel : "");
  }

  /** A checked output file and what writes it from the simulated timeline. */
  private record Output(OutputTarget target, java.util.function.Consumer<Timeline> writer) {}

  /**
   * Writes --timeline and --gantt. The "wrote" lines go to standard error with --json, so that
   * standard output stays one JSON document.
   */
  private void writeOutputs(SimulationResult result, List<Output> targets) {
    PrintWriter say = json ? spec.commandLine().getErr() : spec.commandLine().getOut();
    for (Output o : targets) {
      o.writer().accept(result.timeline());
      o.target().announceCreated(say);
      say.println("wrote " + o.target().path());
    }
    say.flush();
  }

  /** Refuses --optimizer-post-validation for a CSV schedule or a kind that does not allow it. */
  private void checkPostValidationKind() {
    if (!optimizerPostValidation) {
      return;
    }
    if (schedule.toLowerCase(Locale.ROOT).endsWith(".csv")) {
      throw new BadInputException(
          "--optimizer-post-validation needs a generated zero-bubble kind, not the schedule file "
              + schedule
              + ". Maybe use --schedule zb-auto.");
    }
    ScheduleKind kind = ScheduleKind.parse(schedule);
    if (!kind.allowsOptimizerPostValidation()) {
      throw new BadInputException(
          "--optimizer-post-validation is not available for schedule kind '"
              + kind
              + "': the Zero Bubble code post-validates the optimizer step only for its zero-bubble"
              + " kinds (zb-h1, zb-h2, zb-auto, zb-v, v-half, v-min). Maybe use --schedule zb-auto.");
    }
  }

  /**
   * Between iterations, as this command prices them: the pipeline alone (no optimizer step or
   * gradient sync, as in the synchronous iteration it prints), plus the latency of the link between
   * consecutive pipeline devices for the partially reduced global state.
   */
  private IterationBoundary boundary(Schedule plan, ClusterSpec clusterSpec) {
    int p = plan.deviceCount();
    List<Long> zeros = java.util.Collections.nCopies(p, 0L);
    List<Long> hops = new ArrayList<>(zeros);
    if (clusterSpec != null) {
      for (int d = 1; d < p; d++) {
        int perStage = tensorParallel * contextParallel;
        hops.set(d, clusterSpec.link((d - 1) * perStage, d * perStage).latencyNanos());
      }
    }
    return new IterationBoundary(zeros, zeros, hops);
  }

  private static Map<String, Object> steadyStateJson(SteadyState steady) {
    Map<String, Object> doc = new java.util.LinkedHashMap<>();
    doc.put("periodNanos", steady.periodNanos());
    doc.put("periodMs", steady.periodNanos() / 1e6);
    doc.put("bubbleRatio", steady.bubbleRatio());
    doc.put("firstIterationNanos", steady.firstIterationNanos());
    doc.put("maxDeviceSpanNanos", steady.maxDeviceSpanNanos());
    doc.put("iterationsSimulated", steady.iterationsSimulated());
    doc.put("periodic", steady.periodic());
    return doc;
  }

  /**
   * The steady state's line; {@code between} says what runs between the iterations (the flags
   * simulate the pipeline alone, a plan its priced sync and step), so that the period of one is not
   * read as the other's.
   */
  private static void printPostValidation(PrintWriter out, SteadyState steady, String between) {
    if (steady == null) {
      out.println("optimizer post-validation: off (one synchronous iteration)");
      return;
    }
    out.printf(
        Locale.ROOT,
        "optimizer post-validation: on  steady-state period %.3f ms  bubble %.2f%%  (%d %s back to"
            + " back%s%s; longest device span of one iteration %.3f ms)%n",
        steady.periodNanos() / 1e6,
        steady.bubbleRatio() * 100,
        steady.iterationsSimulated(),
        steady.iterationsSimulated() == 1 ? "iteration" : "iterations",
        between,
        steady.periodic() ? ", periodic" : ", not yet periodic: the average of the second half",
        steady.maxDeviceSpanNanos() / 1e6);
  }

  private Schedule buildSchedule() {
    refuseOptionsTheScheduleIgnores();
    if (schedule.toLowerCase(Locale.ROOT).endsWith(".csv")) {
      WorkLimits.checkMicroBatches(microbatches);
      Schedule read = readCsv(Path.of(schedule));
      if (read.deviceCount() != pp) {
        throw new BadInputException(
            "schedule file "
                + schedule
                + " has "
                + read.deviceCount()
                + " ranks but --pp is "
                + pp
                + ". Maybe use --pp "
                + read.deviceCount()
                + ".");
      }
      if (read.microBatchCount() != microbatches) {
        BitSet used = new BitSet();
        read.deviceActions().forEach(actions -> actions.forEach(a -> used.set(a.microBatch())));
        int missing = used.nextClearBit(0);
        if (missing < read.microBatchCount()) {
          // the count is the highest micro-batch + 1: "Maybe use --microbatches 10" would not do
          throw new BadInputException(
              "schedule file "
                  + schedule
                  + " numbers its micro-batches up to "
                  + (read.microBatchCount() - 1)
                  + " but has no action of micro-batch "
                  + missing
                  + " (--microbatches is "
                  + microbatches
                  + "); every micro-batch from 0 needs its actions. Check the file.");
        }
        throw new BadInputException(
            "schedule file "
                + schedule
                + " runs "
                + read.microBatchCount()
                + " micro-batches but --microbatches is "
                + microbatches
                + ". Maybe use --microbatches "
                + read.microBatchCount()
                + ".");
      }
      return read;
    }
    costAwareKind = ScheduleKind.parse(schedule).plansWithCosts();
    return ScheduleGenerators.generate(scheduleRequest());
  }

  /** The most micro-batches the work limits allow for the schedule's kind, or its shape. */
  /**
   * A schedule file fixes its order, chunks and stage placement, and a kind is not read from a
   * file: an option the schedule would ignore is refused rather than dropped without a word
   * ('--virtual-stages 2' with a 1F1B CSV simulated the CSV's one chunk per device).
   */
  private void refuseOptionsTheScheduleIgnores() {
    List<String> ignored =
        scheduleFile()
            ? typedOptions(
                option ->
                    List.of("--virtual-stages", "--group-size", "--max-in-flight")
                        .contains(option.longestName()))
            : typedOptions(option -> option.longestName().equals("--legacy-csv"));
    if (!ignored.isEmpty()) {
      throw new BadInputException(
          String.join(", ", ignored)
              + (ignored.size() == 1 ? " does" : " do")
              + " not apply to --schedule "
              + schedule
              + (scheduleFile()
                  ? ": a schedule file fixes its own order, chunks and placement"
                  : ": it reads a schedule file (--schedule FILE.csv), not a kind")
              + ". Maybe drop "
              + String.join(" ", ignored)
              + ".");
    }
  }

  /** Whether --schedule names a PyTorch schedule file rather than a kind. */
  private boolean scheduleFile() {
    return schedule.toLowerCase(Locale.ROOT).endsWith(".csv");
  }

  private int mostMicroBatches(Schedule built) {
    if (scheduleFile()) {
      return WorkLimits.maxMicroBatches(built);
    }
    ScheduleRequest request = scheduleRequest();
    return WorkLimits.maxMicroBatches(request.kind(), pp, request.virtualStages());
  }

  /** Whether the schedule is a generated kind that plans with the stage costs. */
  private boolean costAwareKind;

  private ScheduleRequest scheduleRequest() {
    ScheduleKind kind = ScheduleKind.parse(schedule);
    int v = virtualStages == null ? kind.defaultVirtualStages() : virtualStages;
    return new ScheduleRequest(kind, pp, microbatches, v, groupSize, maxInFlight);
  }

  private Schedule readCsv(Path file) {
    String csv;
    try {
      csv = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BadInputException("cannot read schedule file " + file + ": " + e.getMessage(), e);
    }
    Path name = file.getFileName();
    return PyTorchCsv.read(csv, name == null ? file.toString() : name.toString(), legacyCsv);
  }

  /**
   * Warns when a pipeline device's peak is over its own device's memory (on a heterogeneous cluster
   * the devices differ): the device with the highest share of its limit, and how many are over.
   */
  private void warnOverMemory(PrintWriter out, Metrics metrics, ClusterSpec clusterSpec) {
    if (clusterSpec == null) {
      return;
    }
    Parallelism placement = new Parallelism(pp, 1, tensorParallel, contextParallel);
    DeviceMetrics worst = null;
    DeviceSpec worstDevice = null;
    int over = 0;
    for (DeviceMetrics d : metrics.devices()) {
      int index = placement.clusterDevice(d.device(), 0, 0);
      DeviceSpec device = clusterSpec.device(Math.min(index, clusterSpec.deviceCount() - 1));
      if (d.peakMemoryBytes() <= device.memoryBytes()) {
        continue;
      }
      over++;
      if (worst == null
          || (double) d.peakMemoryBytes() / device.memoryBytes()
              > (double) worst.peakMemoryBytes() / worstDevice.memoryBytes()) {
        worst = d;
        worstDevice = device;
      }
    }
    if (worst != null) {
      out.printf(
          Locale.ROOT,
          "warning: %d of %d pipeline devices exceed their memory; worst: device %d (%s) peaks at %.2f GiB,"
              + " over its %.2f GiB%n",
          over,
          metrics.devices().size(),
          worst.device(),
          worstDevice.name(),
          worst.peakMemoryBytes() / GIB,
          worstDevice.memoryBytes() / GIB);
    }
  }

  private static void printDevice(PrintWriter out, DeviceMetrics d, String note) {
    out.printf(
        Locale.ROOT,
        "%6d %12.3f %14s %10d%s%n",
        d.device(),
        d.busyNanos() / 1e6,
        PlanCommand.peakBytes(d.peakMemoryBytes()),
        d.peakInFlightMicroBatches(),
        note);
  }

  private static void printSummary(
      PrintWriter out,
      Schedule plan,
      Metrics metrics,
      long samples,
      ModelSpec modelSpec,
      ClusterSpec clusterSpec,
      Partition split) {
    out.printf(
        Locale.ROOT,
        "schedule %s  pp %d  microbatches %d  virtual stages %d%n",
        plan.name(),
        plan.deviceCount(),
        plan.microBatchCount(),
        plan.virtualStages());
    if (modelSpec != null) {
      out.printf(
          Locale.ROOT,
          "model %s  cluster %s  partition %s%n",
          modelSpec.name(),
          clusterSpec == null ? "(from the plan)" : clusterSpec.name(),
          split);
    }
    out.printf(
        Locale.ROOT,
        "iteration %.3f ms  bubble %.2f%%  throughput %s%n",
        metrics.iterationNanos() / 1e6,
        metrics.bubbleRatio() * 100,
        Throughput.samplesPerSecond(metrics.throughputSamplesPerSecond(samples)));
    out.printf(
        Locale.ROOT, "%6s %12s %14s %10s%n", "device", "busy ms", "peak memory", "in flight");
    List<DeviceMetrics> devices = metrics.devices();
    if (devices.size() <= DEVICE_ROWS) {
      for (DeviceMetrics d : devices) {
        printDevice(out, d, "");
      }
    } else {
      for (int i = 0; i < DEVICE_ROWS_EACH_END; i++) {
        printDevice(out, devices.get(i), "");
      }
      out.printf(
          Locale.ROOT,
          "%6s (%d devices not shown; --json or --timeline has them all)%n",
          "...",
          devices.size() - 2 * DEVICE_ROWS_EACH_END);
      for (int i = devices.size() - DEVICE_ROWS_EACH_END; i < devices.size(); i++) {
        printDevice(out, devices.get(i), "");
      }
      DeviceMetrics busiest = devices.get(0);
      DeviceMetrics fullest = devices.get(0);
      for (DeviceMetrics d : devices) {
        busiest = d.busyNanos() > busiest.busyNanos() ? d : busiest;
        fullest = d.peakMemoryBytes() > fullest.peakMemoryBytes() ? d : fullest;
      }
      printDevice(out, busiest, "  busiest");
      printDevice(out, fullest, "  highest peak memory");
    }
  }
}
