package dev.pipeplan.cli;

import dev.pipeplan.executor.core.command.CommandLines;
import dev.pipeplan.executor.core.command.StacktraceOption;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The {@code pipeplan} command. */
@Command(
    name = "pipeplan",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Plan, simulate and run pipeline-parallel training.",
    subcommands = {
      ModelsCommand.class,
      ClustersCommand.class,
      CalibrateCommand.class,
      ScheduleCommand.class,
      SimulateCommand.class,
      PlanCommand.class,
      ExportCommand.class,
      ImportTraceCommand.class,
      ReportCommand.class,
      ProfileCommand.class,
      RunCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  public static final int EXIT_OK = CommandLines.EXIT_OK;
  public static final int EXIT_FAILURE = CommandLines.EXIT_FAILURE;
  public static final int EXIT_BAD_INPUT = CommandLines.EXIT_BAD_INPUT;

  @Mixin StacktraceOption stacktrace;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(
        execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns the exit code; tests call this instead of {@link #main}. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    // descriptions are written as lines of up to 110 characters; the default 80 would break them
    // mid-line
    cli.setUsageHelpWidth(120);
    cli.getHelpSectionMap()
        .put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Main::commandList);
    CommandLines.configure(cli, out, err);
    return cli.execute(args);
  }

  /**
   * The command list of the top-level help: each command with the first sentence of its
   * description, whole (picocli's default shows the first line, which cuts sentences mid-way).
   */
  private static String commandList(CommandLine.Help help) {
    if (help.subcommands().isEmpty()) {
      return "";
    }
    int nameWidth = 2;
    for (String name : help.subcommands().keySet()) {
      nameWidth = Math.max(nameWidth, name.length() + 4);
    }
    int width = help.commandSpec().usageMessage().width();
    CommandLine.Help.TextTable table =
        CommandLine.Help.TextTable.forColumns(
            help.colorScheme(),
            new CommandLine.Help.Column(nameWidth, 2, CommandLine.Help.Column.Overflow.SPAN),
            new CommandLine.Help.Column(
                width - nameWidth, 2, CommandLine.Help.Column.Overflow.WRAP));
    for (java.util.Map.Entry<String, CommandLine.Help> e : help.subcommands().entrySet()) {
      CommandLine.Model.UsageMessageSpec usage = e.getValue().commandSpec().usageMessage();
      // a command with a header (picocli's own help) states its purpose there
      String[] description = usage.header().length > 0 ? usage.header() : usage.description();
      table.addRowValues(e.getKey(), firstSentence(String.join(" ", description)));
    }
    return table.toString();
  }

  /** Text up to and including the first full stop followed by a space (or the end). */
  static String firstSentence(String text) {
    // picocli's own help command writes its line breaks as %n
    String t = text.replace("%n", " ").strip().replaceAll("\\s+", " ");
    int end = t.indexOf(". ");
    return end < 0 ? t : t.substring(0, end + 1);
  }

  /** Reads the version Maven wrote into the jar's manifest, or says it is a development build. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"pipeplan " + (v == null ? "0.1.0-SNAPSHOT (development build)" : v)};
    }
  }
}
