package dev.pipeplan.planner.export;

import dev.pipeplan.models.BadInputException;
import java.util.Locale;

/** The engines a plan exports to, with the id used on the command line. */
public enum ExportTarget {
  PYTORCH_CSV("pytorch-csv"),
  TORCHTITAN("torchtitan"),
  MEGATRON("megatron"),
  DEEPSPEED("deepspeed"),
  TORCHGPIPE("torchgpipe"),
  /** A Python launcher for torch.distributed.pipelining under torchrun; writes a folder. */
  TORCH_SCRIPT("torch-script");

  private final String id;

  ExportTarget(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public static ExportTarget parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (ExportTarget target : values()) {
      if (target.id.equals(t)) {
        return target;
      }
    }
    StringBuilder names = new StringBuilder();
    for (ExportTarget target : values()) {
      names.append(names.length() == 0 ? "" : ", ").append(target.id);
    }
    throw new BadInputException("export target '" + text + "' is unknown; use one of " + names);
  }
}
