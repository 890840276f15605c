package dev.pipeplan.cli;

import dev.pipeplan.executor.core.profile.RunCalibration;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.cluster.ClusterFile;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.cluster.DevicePreset;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.ProfileJson;
import dev.pipeplan.planner.calibrate.DeviceCalibration;
import dev.pipeplan.planner.calibrate.TrainingRun;
import dev.pipeplan.planner.calibrate.TrainingRuns;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pipeplan calibrate}: fits cost corrections to measurements, in one of two modes.
 *
 * <ul>
 *   <li>{@code --measurements FILE}: a GPU's efficiencies (GEMM, memory bandwidth, fused attention)
 *       fitted to measured training runs ({@link DeviceCalibration}); writes a cluster file whose
 *       device carries them.
 *   <li>{@code --run RUN.json --profile PROFILE.json}: one factor per layer kind and action type,
 *       and the hand-off latency, fitted to a CPU profile from pipeplan's own measured runs ({@link
 *       RunCalibration}); writes the calibrated profile for {@code plan --profile}.
 * </ul>
 */
@Command(
    name = "calibrate",
    mixinStandardHelpOptions = true,
    description = {
      "Fit cost corrections to measurements, in one of two modes:",
      "  --measurements FILE: fit a GPU's efficiencies (GEMM, memory bandwidth, fused attention) to measured",
      "    training runs (configurations and seconds per iteration, docs/formats.md) and write a cluster file",
      "    whose device carries them (use it as --cluster FILE:NODESxPER_NODE);",
      "  --run RUN.json --profile PROFILE.json: fit one factor per layer kind and action type (F, I, W) by",
      "    robust regression of the runs' measured action times on the profiled ones, and the hand-off",
      "    latency from the quiet runs' waits for another worker's tensor; print the fit and its residuals,",
      "    and write the calibrated profile (plan, simulate and demo take it with --profile)."
    },
    sortOptions = false)
final class CalibrateCommand implements Callable<Integer> {
  /** Devices per node of a calibrated preset device's cluster file: a DGX or HGX node's eight. */
  private static final int PRESET_DEVICES_PER_NODE = 8;

  @Spec CommandSpec spec;

  @Option(
      names = "--measurements",
      paramLabel = "FILE",
      description = "Measured GPU training runs (JSON or YAML), e.g. scripts/validation-runs.json.")
  Path measurements;

  @Option(
      names = "--device",
      paramLabel = "NAME",
      description =
          "With --measurements: the device to fit when the runs used several (each run's cluster's"
              + " device).")
  String device;

  @Option(
      names = "--check",
      description =
          "With --measurements: fit nothing; predict every run of the device with its efficiencies"
              + " as they are (the preset's, or the cluster file's) and print the errors, for runs"
              + " kept out of calibration as an independent check.")
  boolean check;

  @Option(
      names = "--leave-one-out",
      description =
          "With --measurements: also predict each run from a fit to the device's other runs (one fit"
              + " per run), the error a new run would see.")
  boolean leaveOneOut;

  @Option(
      names = "--run",
      paramLabel = "FILE",
      description = "A measured run (from 'pipeplan run'); repeat for several. Needs --profile.")
  List<Path> runs = new ArrayList<>();

  @Option(
      names = "--profile",
      paramLabel = "FILE",
      description =
          "The profile to correct (from 'pipeplan profile'), of the runs' model. Needs --run.")
  Path profile;

  @Option(
      names = "--model",
      paramLabel = "NAME|FILE",
      description =
          "With --run: the runs' model when it is not a zoo model (default: the runs' model name).")
  String model;

  @Option(
      names = "--time",
      paramLabel = "auto|cpu|wall",
      description =
          "With --run: which measured time of each action to fit: auto (the default: wall time"
              + " for a run on a quiet machine, as the iteration error compares, the worker thread's"
              + " CPU time for a run its noise marks busy), cpu (every run's CPU time, as the profile"
              + " measures) or wall (every run's timeline durations).")
  String time;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description =
          "With --measurements: the cluster file to write (optional). With --run: the calibrated"
              + " profile (default: calibrated-profile.json).")
  Path output;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (measurements != null) {
      refuse("--measurements", "--run", !runs.isEmpty());
      refuse("--measurements", "--profile", profile != null);
      refuse("--measurements", "--model", model != null);
      refuse("--measurements", "--time", time != null);
      return fitDevice(out);
    }
    checkProfileMode();
    refuse("--run", "--device", device != null);
    refuse("--run", "--leave-one-out", leaveOneOut);
    return fitProfile(out);
  }

  private static void refuse(String mode, String option, boolean given) {
    if (given) {
      throw new BadInputException(
          option
              + " does not go with "
              + mode
              + ": --measurements fits a GPU's efficiencies to published or measured training runs,"
              + " --run with --profile fits a CPU profile to pipeplan's own runs; give one of them");
    }
  }

  private int fitDevice(PrintWriter out) {
    OutputTarget target =
        output == null
            ? null
            : OutputTarget.file("-o", output, "calibrated-cluster.json")
                .notInput("--measurements", measurements);
    List<TrainingRun> measured = TrainingRuns.read(measurements);
    if (target != null) {
      TrainingRuns.inputFiles(measurements)
          .forEach((field, file) -> target.notInput("--measurements " + field, file));
    }
    List<String> devices = DeviceCalibration.devices(measured);
    String chosen = device;
    if (chosen == null) {
      if (devices.size() > 1) {
        throw new BadInputException(
            "the runs used "
                + devices.size()
                + " devices ("
                + String.join(", ", devices)
                + "); choose one with --device");
      }
      chosen = devices.get(0);
    } else if (!devices.contains(chosen)) {
      // A preset alias ("h100") names the preset's device ("h100-sxm").
      chosen =
          Clusters.findDevice(chosen).map(p -> p.name()).filter(devices::contains).orElse(chosen);
    }
    if (!devices.contains(chosen)) {
      throw new BadInputException(
          "--device '" + chosen + "': no run used it; the runs used " + String.join(", ", devices));
    }
    if (check) {
      if (leaveOneOut || target != null) {
        throw new BadInputException(
            "--check fits nothing: it takes neither --leave-one-out nor -o");
      }
      printCheck(out, chosen, DeviceCalibration.check(measured, chosen));
      out.flush();
      return Main.EXIT_OK;
    }
    DeviceCalibration.Fit fit =
        DeviceCalibration.fit(
            measured,
            chosen,
            "fitted by pipeplan calibrate to "
                + DeviceCalibration.runsOf(measured, chosen).size()
                + " runs of "
                + measurements.getFileName());
    printTable(out, fit);
    out.flush();
    for (String warning : fit.warnings()) {
      spec.commandLine().getErr().println("warning: " + warning);
    }
    spec.commandLine().getErr().flush();
    if (leaveOneOut) {
      printHeldOut(out, fit, DeviceCalibration.leaveOneOutErrors(fit));
    }
    if (target != null) {
      // A preset device keeps the preset's memory and links: the runs' clusters describe the nodes
      // they ran on (BLOOM's Omni-Path, a power-capped part), not the device the fit is about.
      // A device only the runs' cluster files define takes the first run's node.
      TrainingRun first = fit.rows().get(0).run();
      Optional<DevicePreset> preset = Clusters.findDevice(fit.device());
      DeviceSpec base =
          preset.map(DevicePreset::device).orElse(first.cluster().groups().get(0).device());
      int perNode = preset.isPresent() ? PRESET_DEVICES_PER_NODE : first.cluster().devicesPerNode();
      ClusterSpec cluster =
          ClusterSpec.of(
              fit.device() + "-calibrated",
              base.withEfficiency(fit.fitted()),
              1,
              perNode,
              preset.map(DevicePreset::intraNodeLink).orElse(first.cluster().intraNodeLink()),
              preset.map(DevicePreset::interNodeLink).orElse(first.cluster().interNodeLink()));
      AtomicFiles.writeString(output, Json.write(ClusterFile.toTree(cluster)));
      target.announceCreated(out);
      out.println(
          "wrote "
              + output
              + "   (use it as --cluster "
              + output
              + ":NODESx"
              + perNode
              + "; "
              + (preset.isPresent()
                  ? "the " + fit.device() + " preset's memory and links"
                  : "the memory and links of run " + first.id() + "'s cluster")
              + ", the fitted efficiencies)");
    }
    out.flush();
    return Main.EXIT_OK;
  }

  private int fitProfile(PrintWriter out) {
    if (time != null) {
      basis();
    }
    Path written = output == null ? Path.of("calibrated-profile.json") : output;
    OutputTarget target =
        OutputTarget.file("-o", written, "calibrated-profile.json")
            .notInput("--profile", profile)
            .notModelInput("--model", model);
    for (Path run : runs) {
      target.notInput("--run", run);
    }
    Set<Path> seen = new HashSet<>();
    for (Path run : runs) {
      if (!seen.add(run.toAbsolutePath().normalize())) {
        throw new BadInputException(
            "--run " + run + " is given twice; each measured run counts once in the fit");
      }
    }
    Profile given = ProfileJson.read(profile);
    List<MeasuredRun> measured = new ArrayList<>();
    StringBuilder sources = new StringBuilder();
    for (Path run : runs) {
      MeasuredRun read = RunJson.read(run);
      if (read.sequenceLength() > 0
          && given.sequenceLength() > 0
          && read.sequenceLength() != given.sequenceLength()) {
        throw new BadInputException(
            "--run "
                + run
                + " trained at sequence length "
                + read.sequenceLength()
                + " but --profile "
                + profile
                + " was measured at "
                + given.sequenceLength()
                + "; calibrate a profile from runs at its own length (profile again with --seq "
                + read.sequenceLength()
                + ")");
      }
      measured.add(read);
      sources.append(sources.length() == 0 ? "" : ", ").append(run.getFileName());
    }
    ModelSpec m = ModelLoader.load(model != null ? model : measured.get(0).modelName(), 0);
    for (int i = 0; model != null && i < measured.size(); i++) {
      // else the refusal blamed the run, or the profile, for the model --model named
      if (!measured.get(i).modelName().equals(m.name())) {
        throw new BadInputException(
            "--model "
                + model
                + " is model '"
                + m.name()
                + "', but --run "
                + runs.get(i)
                + " is a run of model '"
                + measured.get(i).modelName()
                + "'. Maybe drop --model, or give the model file the run was planned with.");
      }
    }
    RunCalibration.Result result =
        RunCalibration.fit(m, given, measured, sources.toString(), basis());
    for (String line : result.lines()) {
      out.println(line);
    }
    ProfileJson.write(written, result.calibrated());
    target.announceCreated(out);
    out.println("wrote " + written);
    out.flush();
    return Main.EXIT_OK;
  }

  private RunCalibration.TimeBasis basis() {
    return time == null ? RunCalibration.TimeBasis.QUIET_WALL : parseBasis("--time", time);
  }

  /** auto, cpu or wall as {@code option} spells it, any case. */
  static RunCalibration.TimeBasis parseBasis(String option, String text) {
    switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "cpu":
        return RunCalibration.TimeBasis.CPU;
      case "wall":
        return RunCalibration.TimeBasis.WALL;
      case "auto":
        return RunCalibration.TimeBasis.QUIET_WALL;
      default:
        throw new BadInputException(option + " '" + text + "' is unknown; use auto, cpu or wall");
    }
  }

  /** --run and --profile make one mode: both or neither. */
  private void checkProfileMode() {
    if (runs.isEmpty() && profile == null) {
      throw new BadInputException(
          "calibrate needs measurements: --measurements FILE fits a GPU to measured training runs;"
              + " --run RUN.json --profile PROFILE.json fits a CPU profile to pipeplan's own runs."
              + " Maybe run 'pipeplan run --plan plan.json -o run.json' first.");
    }
    if (profile == null) {
      throw new BadInputException(
          "--run needs --profile: the profile to correct, for example the one the run's plan was"
              + " made with (--profile profile.json)");
    }
    if (runs.isEmpty()) {
      throw new BadInputException(
          "--profile needs --run: at least one measured run of the profile's model"
              + " (--run run.json, from 'pipeplan run')");
    }
  }

  static void printCheck(
      PrintWriter out, String device, List<DeviceCalibration.Prediction> predictions) {
    out.printf(
        Locale.ROOT,
        "Device %s: %d runs predicted with its efficiencies as they are (nothing fitted).%n%n",
        device,
        predictions.size());
    out.printf(
        Locale.ROOT,
        "%-6s %12s %12s %8s  %s%n",
        "run",
        "measured s",
        "predicted s",
        "error",
        "plan");
    double[] errors = new double[predictions.size()];
    for (int i = 0; i < predictions.size(); i++) {
      DeviceCalibration.Prediction p = predictions.get(i);
      errors[i] = Math.abs(p.error());
      out.printf(
          Locale.ROOT,
          "%-6s %12s %12s %8s  %s%n",
          p.run().id(),
          seconds(p.run().measuredIterationSeconds()),
          seconds(p.seconds()),
          error(p.error()),
          plan(p.run(), p.choice(), p.microBatches(), p.fits()));
    }
    out.printf(
        Locale.ROOT,
        "%nmedian |error|: %s, max %s%n",
        percent(DeviceCalibration.median(errors)),
        percent(java.util.Arrays.stream(errors).max().orElse(0)));
  }

  /**
   * Seconds for a table column of at most 12 characters: three decimals from 0.1 s up to a few
   * months, and three significant digits in exponent form outside (a run's 1 µs, or a prediction of
   * a cluster file's absurdly slow device), never a 300-digit number.
   */
  static String seconds(double s) {
    return String.format(Locale.ROOT, s >= 0.1 && s < 1e7 ? "%.3f" : "%.3e", s);
  }

  /**
   * A signed error (measured / predicted - 1) as a percentage of at most 8 characters: one decimal
   * below 1,000%, none below 1,000,000%, one digit and an exponent beyond (a unit mistake, where
   * more digits say nothing).
   */
  static String error(double e) {
    return percentage(e, "+");
  }

  /** An unsigned error (an |error|, a median) as a percentage, bounded as {@link #error}. */
  static String percent(double e) {
    return percentage(e, "");
  }

  private static String percentage(double e, String sign) {
    double pct = 100 * e;
    if (!Double.isFinite(pct)) {
      return Double.isNaN(pct) ? "n/a" : (pct > 0 ? sign : "-") + "inf%";
    }
    double abs = Math.abs(pct);
    String digits = abs < 1e3 ? ".1f" : abs < 1e6 ? ".0f" : ".0e";
    return String.format(Locale.ROOT, "%" + sign + digits + "%%", pct);
  }

  private static String plan(
      TrainingRun run, DeviceCalibration.Choice choice, int microBatches, boolean fits) {
    return String.format(
        Locale.ROOT,
        "tp=%d pp=%d%s b=%d m=%d %s v=%d%s",
        run.tensorParallel(),
        run.pipelineParallel(),
        run.contextParallel() > 1 ? " cp=" + run.contextParallel() : "",
        choice.microBatchSize(),
        microBatches,
        choice.kind().id(),
        choice.virtualStages(),
        fits ? "" : " (over memory)");
  }

  static void printTable(PrintWriter out, DeviceCalibration.Fit fit) {
    out.printf(
        Locale.ROOT,
        "Device %s: %d runs, %d Levenberg-Marquardt iterations, %d predictions of every run.%n%n",
        fit.device(),
        fit.rows().size(),
        fit.iterations(),
        fit.evaluations());
    out.printf(
        Locale.ROOT,
        "%-6s %12s %12s %8s %12s %8s  %s%n",
        "run",
        "measured s",
        "prior s",
        "error",
        "fitted s",
        "error",
        "plan");
    for (DeviceCalibration.Row r : fit.rows()) {
      out.printf(
          Locale.ROOT,
          "%-6s %12s %12s %8s %12s %8s  %s%n",
          r.run().id(),
          seconds(r.run().measuredIterationSeconds()),
          seconds(r.priorSeconds()),
          error(r.priorError()),
          seconds(r.fittedSeconds()),
          error(r.fittedError()),
          plan(r.run(), r.choice(), r.microBatches(), r.fits()));
    }
    out.printf(
        Locale.ROOT,
        "%nmedian |error|: %s with the prior, %s fitted (max %s)%n",
        percent(fit.priorMedianAbsError()),
        percent(fit.fittedMedianAbsError()),
        percent(fit.fittedMaxAbsError()));
    out.printf(Locale.ROOT, "%-26s %8s %8s%n", "efficiency", "prior", "fitted");
    row(out, "GEMM (of peak)", fit.prior().peakGemmEfficiency(), fit.fitted().peakGemmEfficiency());
    row(out, "HBM (of bandwidth)", fit.prior().hbmEfficiency(), fit.fitted().hbmEfficiency());
    row(
        out,
        "attention forward",
        fit.prior().flashForwardEfficiency(),
        fit.fitted().flashForwardEfficiency());
    row(
        out,
        "attention backward",
        fit.prior().flashBackwardEfficiency(),
        fit.fitted().flashBackwardEfficiency());
  }

  private static void printHeldOut(
      PrintWriter out, DeviceCalibration.Fit fit, List<Double> errors) {
    if (errors.isEmpty()) {
      out.println("\nLeave-one-out needs two runs or more of the device.");
      return;
    }
    out.printf(Locale.ROOT, "%nEach run predicted by a fit to the device's other runs:%n");
    double[] abs = new double[errors.size()];
    for (int i = 0; i < errors.size(); i++) {
      abs[i] = Math.abs(errors.get(i));
      out.printf(
          Locale.ROOT,
          "%-6s %8s   (in-sample %s)%n",
          fit.rows().get(i).run().id(),
          error(errors.get(i)),
          error(fit.rows().get(i).fittedError()));
    }
    out.printf(
        Locale.ROOT,
        "held-out median |error|: %s, max %s%n",
        percent(DeviceCalibration.median(abs)),
        percent(java.util.Arrays.stream(abs).max().orElse(0)));
  }

  private static void row(PrintWriter out, String name, double prior, double fitted) {
    out.printf(Locale.ROOT, "%-26s %8.3f %8.3f%n", name, prior, fitted);
  }
}
