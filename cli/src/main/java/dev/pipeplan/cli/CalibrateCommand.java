package dev.pipeplan.cli;

import dev.pipeplan.executor.profile.RunCalibration;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.ProfileJson;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pipeplan calibrate}: fits cost corrections from measurements. With {@code --run} and
 * {@code --profile} it fits per-layer-kind and per-action-type factors to a CPU profile from
 * measured runs ({@link RunCalibration}) and writes the calibrated profile for {@code plan
 * --profile}.
 */
@Command(
    name = "calibrate",
    mixinStandardHelpOptions = true,
    description =
        "Fit cost corrections from measured runs: with --run RUN.json (repeatable) and --profile"
            + " PROFILE.json, fit one factor per layer kind and action type (F, I, W) by robust regression"
            + " of the runs' measured action times on the profiled ones, print the fit and its residuals,"
            + " and write the calibrated profile; plan, simulate and demo take it with --profile.")
final class CalibrateCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

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
      description = "The runs' model when it is not a zoo model (default: the runs' model name).")
  String model;

  @Option(
      names = "--time",
      paramLabel = "cpu|wall",
      description =
          "Which measured time of each action to fit: cpu (the worker thread's CPU time, as the profile"
              + " measures; the default when the runs recorded it) or wall (the timeline's durations).")
  String time;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      defaultValue = "calibrated-profile.json",
      description = "Where to write the calibrated profile (default: ${DEFAULT-VALUE}).")
  Path output;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    checkMode();
    if (time != null) {
      basis(List.of());
    }
    OutputTarget target = OutputTarget.file("-o", output, "calibrated-profile.json");
    Profile given = ProfileJson.read(profile);
    List<MeasuredRun> measured = new ArrayList<>();
    StringBuilder sources = new StringBuilder();
    for (Path run : runs) {
      measured.add(RunJson.read(run));
      sources.append(sources.length() == 0 ? "" : ", ").append(run.getFileName());
    }
    ModelSpec m = ModelLoader.load(model != null ? model : measured.get(0).modelName(), 0);
    RunCalibration.Result result =
        RunCalibration.fit(m, given, measured, sources.toString(), basis(measured));
    for (String line : result.lines()) {
      out.println(line);
    }
    ProfileJson.write(output, result.calibrated());
    target.announceCreated(out);
    out.println("wrote " + output);
    out.flush();
    return Main.EXIT_OK;
  }

  private RunCalibration.TimeBasis basis(List<MeasuredRun> measured) {
    if (time == null) {
      return RunCalibration.TimeBasis.best(measured);
    }
    switch (time.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "cpu":
        return RunCalibration.TimeBasis.CPU;
      case "wall":
        return RunCalibration.TimeBasis.WALL;
      default:
        throw new BadInputException("--time '" + time + "' is unknown; use cpu or wall");
    }
  }

  /** --run and --profile make one mode: both or neither. */
  private void checkMode() {
    if (runs.isEmpty() && profile == null) {
      throw new BadInputException(
          "calibrate needs measurements: --run RUN.json --profile PROFILE.json fits a CPU profile to"
              + " measured runs. Maybe run 'pipeplan run --plan plan.json -o run.json' first.");
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
}
