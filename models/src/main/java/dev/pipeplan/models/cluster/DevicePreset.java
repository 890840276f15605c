package dev.pipeplan.models.cluster;

import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LinkSpec;
import java.util.List;
import java.util.Objects;

/**
 * A device kind as it is usually deployed: the device and the links a node of them has inside and
 * between nodes.
 *
 * @param device the device, with sustained (not peak) FLOP/s
 * @param aliases other names that select it ("h100" for "h100-sxm")
 * @param intraNodeLink the link between two devices of one node
 * @param interNodeLink the link between devices of two nodes
 * @param smCount streaming multiprocessors of a GPU (the datasheet's count, what GEMM tiles are
 *     spread over in waves); 1 for the CPU, which has no waves
 * @param description one line: where the numbers come from
 */
public record DevicePreset(
    DeviceSpec device,
    List<String> aliases,
    LinkSpec intraNodeLink,
    LinkSpec interNodeLink,
    int smCount,
    String description) {
  public DevicePreset {
    Objects.requireNonNull(device, "device");
    aliases = List.copyOf(Objects.requireNonNull(aliases, "aliases"));
    Objects.requireNonNull(intraNodeLink, "intraNodeLink");
    Objects.requireNonNull(interNodeLink, "interNodeLink");
    if (smCount < 1) {
      throw new IllegalArgumentException(
          "device preset '" + device.name() + "' smCount must be >= 1, got " + smCount);
    }
    Objects.requireNonNull(description, "description");
  }

  public String name() {
    return device.name();
  }
}
