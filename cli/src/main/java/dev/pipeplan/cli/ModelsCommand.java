package dev.pipeplan.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ModelFile;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.zoo.Zoo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pipeplan models}: the zoo, one model's layers, and importing other formats into our model
 * file.
 */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = "List the built-in models, show a model's layers, import a model file.",
    subcommands = {
      ModelsCommand.ListZoo.class,
      ModelsCommand.Show.class,
      ModelsCommand.Import.class
    })
final class ModelsCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code pipeplan models list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the built-in models (the zoo).")
  static final class ListZoo implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      ModelsTable table =
          new ModelsTable("name", "layers", "parameters", "seq", "dtype", "description")
              .numeric(1, 2, 3);
      for (Zoo.Entry e : Zoo.entries()) {
        ModelSpec m = e.build(0);
        table.row(
            m.name(),
            Integer.toString(m.layerCount()),
            ModelsTable.count(m.totalParameters()),
            m.sequenceLength() == 0 ? "-" : Integer.toString(m.sequenceLength()),
            m.dtype().id(),
            e.description());
      }
      PrintWriter out = spec.commandLine().getOut();
      table.print(out);
      out.println();
      out.println(
          "Any command that takes a model also takes a file: a Hugging Face config.json (or its directory),"
              + " a PipeDream graph.txt, or a pipeplan model file (.json/.yaml).");
      out.flush();
      return Main.EXIT_OK;
    }
  }

  /** {@code pipeplan models show}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Show a model's layers and totals (all sizes per sample).")
  static final class Show implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME|FILE", description = "A zoo name or a model file.")
    String model;

    @Option(names = "--json", description = "Print one JSON object (the model file plus totals).")
    boolean json;

    @Mixin ModelSourceOptions sourceOptions;

    @Mixin DtypeOption dtypeOption;

    @Override
    public Integer call() {
      ModelSpec m =
          ModelLoader.load(
              model, sourceOptions.seq(), sourceOptions.batchSize(), dtypeOption.dtype());
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.print(Json.write(withTotals(m)));
        out.flush();
        return Main.EXIT_OK;
      }
      printTable(m, out);
      return Main.EXIT_OK;
    }
  }

  /** {@code pipeplan models import}. */
  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description = "Read a model in any supported format and write it as a pipeplan model file.")
  static final class Import implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "FILE",
        description =
            "A Hugging Face config.json, a PipeDream graph.txt or a pipeplan model file (or a zoo name).")
    String source;

    @Option(
        names = {"-o", "--output"},
        paramLabel = "OUT",
        required = true,
        description = "Where to write the model: .json, or .yaml/.yml for YAML.")
    Path output;

    @Mixin ModelSourceOptions sourceOptions;

    @Mixin DtypeOption dtypeOption;

    @Override
    public Integer call() {
      OutputTarget target =
          OutputTarget.file("-o", output, "model.json").notModelInput("MODEL", source);
      ModelSpec m =
          ModelLoader.load(
              source, sourceOptions.seq(), sourceOptions.batchSize(), dtypeOption.dtype());
      ModelLoader.write(m, output);
      PrintWriter out = spec.commandLine().getOut();
      target.announceCreated(out);
      out.println(
          "wrote "
              + output
              + ": model '"
              + m.name()
              + "', "
              + m.layerCount()
              + (m.layerCount() == 1 ? " layer, " : " layers, ")
              + ModelsTable.grouped(m.totalParameters())
              + " parameters");
      out.flush();
      return Main.EXIT_OK;
    }
  }

  /** Our model file's tree with the totals added (the reader ignores them: they are recomputed). */
  static ObjectNode withTotals(ModelSpec m) {
    ObjectNode tree = ModelFile.toTree(m);
    tree.put("totalParameters", m.totalParameters());
    tree.put("forwardFlopsPerSample", m.forwardFlopsPerSample());
    tree.put("trainingFlopsPerSample", m.trainingFlopsPerSample());
    tree.put("savedActivationBytesPerSample", savedBytes(m));
    return tree;
  }

  private static long savedBytes(ModelSpec m) {
    long sum = 0;
    for (LayerSpec l : m.layers()) {
      sum += l.savedActivationBytes();
    }
    return sum;
  }

  static void printTable(ModelSpec m, PrintWriter out) {
    boolean measured = false;
    double largestForward = 0;
    long largestSaved = 0;
    for (LayerSpec l : m.layers()) {
      measured |= l.hasMeasuredTimes();
      largestForward = Math.max(largestForward, l.forwardFlops());
      largestSaved = Math.max(largestSaved, l.savedActivationBytes());
    }
    // Small models read better in MFLOP and KB than as columns of zeros; a purely measured model
    // has no FLOPs.
    boolean flops = largestForward > 0;
    double flopUnit = largestForward >= 1e9 ? 1e9 : 1e6;
    double savedUnit = largestSaved >= 1e6 ? 1e6 : 1e3;
    out.println(
        "model "
            + m.name()
            + ": "
            + m.layerCount()
            + (m.layerCount() == 1 ? " layer, dtype " : " layers, dtype ")
            + m.dtype().id()
            + (m.sequenceLength() > 0 ? ", sequence length " + m.sequenceLength() : "")
            + "; sizes per sample"
            + (m.sequenceLength() > 0 ? " (one sequence)" : ""));
    out.println();
    List<String> headers = new ArrayList<>(List.of("layer", "kind", "params"));
    if (flops) {
      headers.add(flopUnit == 1e9 ? "fwd GFLOP" : "fwd MFLOP");
    }
    headers.add(savedUnit == 1e6 ? "saved MB" : "saved KB");
    headers.add("out KB");
    if (measured) {
      headers.addAll(List.of("batch", "fwd ms", "bwd ms"));
    }
    ModelsTable table = new ModelsTable(headers.toArray(new String[0]));
    for (int c = 2; c < headers.size(); c++) {
      table.numeric(c);
    }
    double fwd = 0;
    double fwdMs = 0;
    double bwdMs = 0;
    for (LayerSpec l : m.layers()) {
      fwd += l.forwardFlops();
      List<String> cells =
          new ArrayList<>(List.of(l.name(), l.kind().id(), ModelsTable.count(l.parameterCount())));
      if (flops) {
        cells.add(ModelsTable.decimal(l.forwardFlops() / flopUnit, 2));
      }
      cells.add(ModelsTable.decimal(l.savedActivationBytes() / savedUnit, 1));
      cells.add(ModelsTable.decimal(l.outputBytes() / 1e3, 1));
      if (measured) {
        MeasuredTimes t = l.measured();
        if (t != null) {
          fwdMs += t.forwardNanos() / 1e6;
          bwdMs += t.backwardNanos() / 1e6;
        }
        cells.add(t == null ? "-" : Integer.toString(t.microBatchSize()));
        cells.add(t == null ? "-" : ModelsTable.decimal(t.forwardNanos() / 1e6, 3));
        cells.add(t == null ? "-" : ModelsTable.decimal(t.backwardNanos() / 1e6, 3));
      }
      table.row(cells.toArray(new String[0]));
    }
    List<String> totals =
        new ArrayList<>(List.of("total", "", ModelsTable.count(m.totalParameters())));
    if (flops) {
      totals.add(ModelsTable.decimal(fwd / flopUnit, 2));
    }
    totals.add(ModelsTable.decimal(savedBytes(m) / savedUnit, 1));
    totals.add("");
    if (measured) {
      totals.addAll(List.of("", ModelsTable.decimal(fwdMs, 3), ModelsTable.decimal(bwdMs, 3)));
    }
    table.totals(totals.toArray(new String[0]));
    table.print(out);
    out.println();
    out.println("parameters: " + ModelsTable.grouped(m.totalParameters()));
    if (flops) {
      out.println(
          "training FLOPs per sample (forward + backward): "
              + ModelsTable.count(m.trainingFlopsPerSample())
              + " FLOP");
    }
    out.flush();
  }
}
