package dev.pipeplan.cli;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.OutputPaths;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.export.ExportFile;
import dev.pipeplan.planner.export.ExportTarget;
import dev.pipeplan.planner.export.Exports;
import dev.pipeplan.planner.export.TorchScriptExport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pipeplan export}: a plan as another engine's settings. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Write a plan as the settings of another training engine: the PyTorch pipelining schedule CSV with the",
      "stage split points, a torchtitan Python config, Megatron-LM arguments, DeepSpeed pipeline settings or torchgpipe",
      "balance and chunks, or a Python launcher that runs the plan with torch.distributed.pipelining under torchrun",
      "(torch-script: writes a folder, see docs/pytorch.md).",
      "A plan with context parallelism (plan --cp C) exports to megatron (--context-parallel-size C),",
      "torchtitan (context_parallel_degree = C, with a note: its exchange is an all-gather, not the ring pipeplan",
      "priced) and pytorch-csv (contextParallelDegree in stages.json); deepspeed, torchgpipe and torch-script",
      "refuse it (exit 2).",
      "A plan with FP8 linears (plan --fp8) exports to megatron (--fp8-format hybrid --fp8-recipe tensorwise)",
      "and torchtitan (Float8LinearConverter with recipe_name \"tensorwise\", lm_head left in bf16); pytorch-csv,",
      "deepspeed, torchgpipe and torch-script refuse it (exit 2)."
    },
    sortOptions = false)
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--plan",
      required = true,
      paramLabel = "FILE",
      description = "The plan (from 'pipeplan plan').")
  Path plan;

  @Option(
      names = "--to",
      required = true,
      paramLabel = "TARGET",
      description = "pytorch-csv, torchtitan, megatron, deepspeed, torchgpipe or torch-script.")
  String to;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR|FILE",
      description =
          "Directory for the files (default: the current directory); a file name for one-file exports.")
  Path output;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    ExportTarget target = ExportTarget.parse(to);
    Plan p = PlanJson.read(plan);
    if (target == ExportTarget.TORCH_SCRIPT) {
      // a launcher folder is replaced whole, never left half-written
      Path folder = output == null ? Path.of("run_pipeline") : output;
      OutputPaths.requireNotInsideFolder("-o", folder, "--plan", plan);
      for (Path written : TorchScriptExport.write(p, folder, plan)) {
        out.println("wrote " + written);
      }
      out.println(
          "Run it with: torchrun --standalone --nproc-per-node "
              + p.parallelism().pp()
              + " "
              + folder.resolve("run_pipeline.py")
              + " --device cpu   (see "
              + folder.resolve("README.md")
              + ")");
      Exports.notes(p, target).forEach(n -> out.println("note: " + n));
      out.flush();
      return Main.EXIT_OK;
    }
    List<ExportFile> files = Exports.export(p, target);
    Path dir = output == null ? Path.of(".") : output;
    boolean singleFile =
        files.size() == 1
            && output != null
            && !Files.isDirectory(output)
            && output.getFileName().toString().contains(".");
    if (files.size() > 1
        && output != null
        && !Files.exists(output)
        && output.getFileName().toString().contains(".")) {
      throw new BadInputException(
          "-o "
              + output
              + " looks like a file name, but "
              + target.id()
              + " writes "
              + files.size()
              + " files ("
              + String.join(", ", files.stream().map(ExportFile::fileName).toList())
              + "); give a folder, e.g. -o "
              + stemOf(output));
    }
    OutputTarget checked =
        singleFile
            ? OutputTarget.file("-o", output, files.get(0).fileName())
            : OutputTarget.folder("-o", dir);
    // every file is checked before the first is written: a set is written whole or not at all
    List<Path> targets = new ArrayList<>();
    for (ExportFile f : files) {
      Path file = singleFile ? output : dir.resolve(f.fileName());
      if (!singleFile && Files.isDirectory(file)) {
        throw new BadInputException(
            "cannot write "
                + file
                + ": it is a folder, and "
                + target.id()
                + " writes a file of that name there. Maybe give another -o folder");
      }
      OutputPaths.checkFile("-o", file, f.fileName());
      OutputPaths.requireNotInput("-o", file, "--plan", plan);
      targets.add(file);
    }
    for (int i = 0; i < files.size(); i++) {
      AtomicFiles.writeString(targets.get(i), files.get(i).content());
    }
    checked.announceCreated(out);
    for (Path file : targets) {
      out.println("wrote " + file);
    }
    // what the engine will not run as priced (a post-validated step, a sharding, an accumulation)
    Exports.notes(p, target).forEach(n -> out.println("note: " + n));
    out.flush();
    return Main.EXIT_OK;
  }

  private static Path stemOf(Path file) {
    String name = file.getFileName().toString();
    return file.resolveSibling(name.substring(0, name.lastIndexOf('.')) + "-" + "export");
  }
}
