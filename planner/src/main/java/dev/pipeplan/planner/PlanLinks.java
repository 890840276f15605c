package dev.pipeplan.planner;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.simulator.cost.LinkModel;
import java.util.List;
import java.util.Objects;

/**
 * The link parameters a plan's prediction used between its pipeline devices: a transfer between two
 * pipeline devices on the same node goes over {@code intraNode}, otherwise over {@code interNode};
 * a device and itself cost nothing. The bytes are those of one tensor rank (the stage costs already
 * hold bytes per tensor rank).
 *
 * @param intraNode the link inside a node
 * @param interNode the link between nodes
 * @param deviceNodes for each pipeline device, the node of its first cluster device (replica 0,
 *     tensor rank 0)
 */
public record PlanLinks(LinkSpec intraNode, LinkSpec interNode, List<Integer> deviceNodes) {
  public PlanLinks {
    Objects.requireNonNull(intraNode, "intraNode");
    Objects.requireNonNull(interNode, "interNode");
    deviceNodes = List.copyOf(Objects.requireNonNull(deviceNodes, "deviceNodes"));
    for (int d = 0; d < deviceNodes.size(); d++) {
      if (deviceNodes.get(d) < 0) {
        throw new BadInputException(
            "links.deviceNodes[" + d + "] must be >= 0, got " + deviceNodes.get(d));
      }
    }
  }

  /** The link between two distinct pipeline devices. */
  public LinkSpec link(int fromDevice, int toDevice) {
    return deviceNodes.get(fromDevice).equals(deviceNodes.get(toDevice)) ? intraNode : interNode;
  }

  /** These links as the simulator's link model. */
  public LinkModel toLinkModel() {
    int[] nodes = new int[deviceNodes.size()];
    for (int d = 0; d < nodes.length; d++) {
      nodes[d] = deviceNodes.get(d);
    }
    LinkSpec intra = intraNode;
    LinkSpec inter = interNode;
    return (from, to, bytes) -> {
      if (from == to) {
        return 0L;
      }
      return nodes[from] == nodes[to] ? intra.transferNanos(bytes) : inter.transferNanos(bytes);
    };
  }
}
