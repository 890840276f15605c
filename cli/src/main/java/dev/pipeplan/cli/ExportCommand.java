package dev.pipeplan.cli;

import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.export.ExportFile;
import dev.pipeplan.planner.export.ExportTarget;
import dev.pipeplan.planner.export.Exports;
import dev.pipeplan.planner.export.TorchScriptExport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
      "stage split points, torchtitan TOML, Megatron-LM arguments, DeepSpeed pipeline settings or torchgpipe",
      "balance and chunks, or a Python launcher that runs the plan with torch.distributed.pipelining under torchrun",
      "(torch-script: writes a folder, see docs/pytorch.md)."
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
      Exports.optimizerStepNote(p, target).ifPresent(n -> out.println("note: " + n));
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
    OutputTarget checked =
        singleFile
            ? OutputTarget.file("-o", output, files.get(0).fileName())
            : OutputTarget.folder("-o", dir);
    for (ExportFile f : files) {
      Path target1 = singleFile ? output : dir.resolve(f.fileName());
      AtomicFiles.writeString(target1, f.content());
    }
    checked.announceCreated(out);
    for (ExportFile f : files) {
      out.println("wrote " + (singleFile ? output : dir.resolve(f.fileName())));
    }
    // the engines step synchronously: say so rather than drop the plan's post-validated step
    Exports.optimizerStepNote(p, target).ifPresent(n -> out.println("note: " + n));
    out.flush();
    return Main.EXIT_OK;
  }
}
