package dev.pipeplan.cli;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.WorkLimits;
import dev.pipeplan.simulator.schedule.check.InFlight;
import dev.pipeplan.simulator.schedule.check.ScheduleValidator;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import dev.pipeplan.simulator.schedule.io.PyTorchCsv;
import dev.pipeplan.simulator.schedule.io.StepGrid;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pipeplan schedule}: generate one schedule and print its per-device order. */
@Command(
    name = "schedule",
    mixinStandardHelpOptions = true,
    description = {
      "Generate a pipeline schedule and print each device's order: as a grid with one row per device and one",
      "column per unit step, or as a PyTorch torch.distributed.pipelining CSV.",
      "Limits (refused at once, before anything is built; see docs/design.md): --pp <= "
          + WorkLimits.MAX_PIPELINE_DEVICES
          + ", pp x v <= "
          + WorkLimits.MAX_STAGES
          + " stages, --microbatches <= "
          + WorkLimits.MAX_MICRO_BATCHES
          + ",",
      "and pp x v x m x (2, or 3 for kinds with I and W) <= " + WorkLimits.MAX_ACTIONS + " actions."
    },
    sortOptions = false)
final class ScheduleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--kind",
      required = true,
      paramLabel = "KIND",
      description =
          "gpipe, 1f1b, interleaved, looped-bfs, zb-h1, zb-h2, zb-auto, zb-v, v-half, v-min, dualpipev.")
  String kind;

  @Option(names = "--pp", required = true, paramLabel = "P", description = "Pipeline devices.")
  int pp;

  @Option(
      names = "--microbatches",
      required = true,
      paramLabel = "M",
      description = "Micro-batches per iteration.")
  int microbatches;

  @Option(
      names = "--virtual-stages",
      paramLabel = "V",
      description =
          "Chunks per device (default: 2 for interleaved and the V-shaped kinds, else 1).")
  Integer virtualStages;

  @Option(
      names = "--group-size",
      paramLabel = "G",
      defaultValue = "0",
      description = "Interleaved: micro-batches per group (default: p).")
  int groupSize;

  @Option(
      names = "--max-in-flight",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "The most activation sets a device may hold (zb-auto's, v-half's and v-min's memory"
              + " limit; a fixed kind rejects a limit below its own count). Default 0: the kind's"
              + " own (2p-1 for zb-auto).")
  int maxInFlight;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "text",
      description = "text (a grid; the default) or pytorch-csv.")
  String format;

  @Option(
      names = "--legacy-csv",
      description =
          "With pytorch-csv: PyTorch's older spelling (B = input gradient, BW = full backward).")
  boolean legacyCsv;

  @Override
  public Integer call() {
    ScheduleKind k = ScheduleKind.parse(kind);
    if (virtualStages != null && virtualStages <= 0) {
      throw new BadInputException("--virtual-stages must be > 0, got " + virtualStages);
    }
    String form = format.trim().toLowerCase(Locale.ROOT);
    if (legacyCsv && !form.equals("pytorch-csv") && !form.equals("csv")) {
      throw new BadInputException(
          "--legacy-csv applies to --format pytorch-csv only, got --format " + format);
    }
    int v = virtualStages == null ? k.defaultVirtualStages() : virtualStages;
    Schedule schedule =
        ScheduleGenerators.generate(
            new ScheduleRequest(k, pp, microbatches, v, groupSize, maxInFlight));
    ScheduleValidator.validate(schedule);
    Warnings.fewMicroBatches(
        spec.commandLine().getErr(),
        Optional.of(k),
        v,
        pp,
        microbatches,
        WorkLimits.maxMicroBatches(k, pp, v),
        false);
    PrintWriter out = spec.commandLine().getOut();
    switch (form) {
      case "text":
        out.print(StepGrid.render(schedule));
        out.println(
            "in flight per device: "
                + joined(InFlight.peakPerDevice(schedule))
                + " (activation sets of one stage and micro-batch)");
        break;
      case "pytorch-csv":
      case "csv":
        out.print(PyTorchCsv.write(schedule, legacyCsv));
        break;
      default:
        throw new BadInputException("format '" + format + "' is unknown; use text or pytorch-csv");
    }
    out.flush();
    return Main.EXIT_OK;
  }

  private static String joined(List<Integer> values) {
    StringBuilder b = new StringBuilder();
    for (int value : values) {
      b.append(b.length() == 0 ? "" : " ").append(value);
    }
    return b.toString();
  }
}
