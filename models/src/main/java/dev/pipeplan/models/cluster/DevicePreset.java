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
 * @param description one line: where the numbers come from
 */
public record DevicePreset(
    DeviceSpec device,
    List<String> aliases,
    LinkSpec intraNodeLink,
    LinkSpec interNodeLink,
    String description) {
  public DevicePreset {
    Objects.requireNonNull(device, "device");
    aliases = List.copyOf(Objects.requireNonNull(aliases, "aliases"));
    Objects.requireNonNull(intraNodeLink, "intraNodeLink");
    Objects.requireNonNull(interNodeLink, "interNodeLink");
    Objects.requireNonNull(description, "description");
  }

  public String name() {
    return device.name();
  }
}
