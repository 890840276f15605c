package dev.pipeplan.cli;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.cluster.ClusterFile;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.planner.calibrate.DeviceCalibration;
import dev.pipeplan.planner.calibrate.MeasuredRun;
import dev.pipeplan.planner.calibrate.MeasuredRuns;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pipeplan calibrate}: fits a device's efficiencies to measured training runs. */
@Command(
    name = "calibrate",
    mixinStandardHelpOptions = true,
    description = {
      "Fit a GPU's efficiencies (GEMM, memory bandwidth, fused attention) to measured training runs",
      "(--measurements: a file of runs with their configuration and measured seconds per iteration, see",
      "docs/formats.md) and write a cluster file whose device carries them: use it as --cluster FILE or",
      "--cluster FILE:NODESxPER_NODE."
    },
    sortOptions = false)
final class CalibrateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--measurements",
      required = true,
      paramLabel = "FILE",
      description = "Measured runs (JSON or YAML), e.g. scripts/validation-runs.json.")
  Path measurements;

  @Option(
      names = "--device",
      paramLabel = "NAME",
      description = "The device to fit when the runs used several (each run's cluster's device).")
  String device;

  @Option(
      names = "--leave-one-out",
      description =
          "Also predict each run from a fit to the device's other runs (one fit per run): the"
              + " error a new run would see.")
  boolean leaveOneOut;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "The cluster file to write (one node of the fitted device).")
  Path output;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    OutputTarget target =
        output == null ? null : OutputTarget.file("-o", output, "calibrated-cluster.json");
    List<MeasuredRun> runs = MeasuredRuns.read(measurements);
    List<String> devices = DeviceCalibration.devices(runs);
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
      throw new BadInputException(
          "--device '" + chosen + "': no run used it; the runs used " + String.join(", ", devices));
    }
    DeviceCalibration.Fit fit =
        DeviceCalibration.fit(
            runs,
            chosen,
            "fitted by pipeplan calibrate to "
                + runsOf(runs, chosen)
                + " runs of "
                + measurements.getFileName());
    printTable(out, fit);
    if (leaveOneOut) {
      printHeldOut(out, fit, DeviceCalibration.leaveOneOutErrors(runs, fit.device()));
    }
    if (target != null) {
      MeasuredRun first =
          runs.stream().filter(r -> r.deviceName().equals(fit.device())).findFirst().orElseThrow();
      DeviceSpec fitted = first.cluster().groups().get(0).device().withEfficiency(fit.fitted());
      ClusterSpec cluster =
          ClusterSpec.of(
              fit.device() + "-calibrated",
              fitted,
              1,
              first.cluster().devicesPerNode(),
              first.cluster().intraNodeLink(),
              first.cluster().interNodeLink());
      AtomicFiles.writeString(output, Json.write(ClusterFile.toTree(cluster)));
      target.announceCreated(out);
      out.println(
          "wrote "
              + output
              + "   (use it as --cluster "
              + output
              + ":NODESx"
              + first.cluster().devicesPerNode()
              + ")");
    }
    out.flush();
    return Main.EXIT_OK;
  }

  private static long runsOf(List<MeasuredRun> runs, String device) {
    return runs.stream().filter(r -> r.deviceName().equals(device)).count();
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
          "%-6s %12.3f %12.3f %+7.1f%% %12.3f %+7.1f%%  tp=%d pp=%d b=%d m=%d %s v=%d%n",
          r.run().id(),
          r.run().measuredIterationSeconds(),
          r.priorSeconds(),
          100 * r.priorError(),
          r.fittedSeconds(),
          100 * r.fittedError(),
          r.run().tensorParallel(),
          r.run().pipelineParallel(),
          r.run().microBatchSize(),
          r.microBatches(),
          r.run().kind().id(),
          r.chosenVirtualStages());
    }
    out.printf(
        Locale.ROOT,
        "%nmedian |error|: %.1f%% with the prior, %.1f%% fitted (max %.1f%%)%n",
        100 * fit.priorMedianAbsError(),
        100 * fit.fittedMedianAbsError(),
        100 * fit.fittedMaxAbsError());
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
          "%-6s %+7.1f%%   (in-sample %+.1f%%)%n",
          fit.rows().get(i).run().id(),
          100 * errors.get(i),
          100 * fit.rows().get(i).fittedError());
    }
    java.util.Arrays.sort(abs);
    double median =
        abs.length % 2 == 1
            ? abs[abs.length / 2]
            : (abs[abs.length / 2 - 1] + abs[abs.length / 2]) / 2;
    out.printf(
        Locale.ROOT,
        "held-out median |error|: %.1f%%, max %.1f%%%n",
        100 * median,
        100 * abs[abs.length - 1]);
  }

  private static void row(PrintWriter out, String name, double prior, double fitted) {
    out.printf(Locale.ROOT, "%-26s %8.3f %8.3f%n", name, prior, fitted);
  }
}
