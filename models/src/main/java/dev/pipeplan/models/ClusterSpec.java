package dev.pipeplan.models;

import java.util.List;
import java.util.Objects;

/**
 * Devices and the links between them. Devices are numbered group by group, node by node, slot by
 * slot; two devices on the same node talk over {@code intraNodeLink}, others over {@code
 * interNodeLink}.
 *
 * @param name the cluster's name ("h100:16x8")
 * @param groups one or more groups of nodes; groups of different device kinds are allowed
 * @param intraNodeLink the link between devices of one node
 * @param interNodeLink the link between devices of different nodes
 */
public record ClusterSpec(
    String name, List<DeviceGroup> groups, LinkSpec intraNodeLink, LinkSpec interNodeLink) {
  public ClusterSpec {
    Checks.nonBlank("cluster name", name);
    groups = List.copyOf(Objects.requireNonNull(groups, "groups"));
    if (groups.isEmpty()) {
      throw new BadInputException("cluster '" + name + "' has no device groups");
    }
    Objects.requireNonNull(intraNodeLink, "intraNodeLink");
    Objects.requireNonNull(interNodeLink, "interNodeLink");
  }

  /** A cluster of one device kind: {@code nodes} nodes of {@code devicesPerNode} devices each. */
  public static ClusterSpec of(
      String name,
      DeviceSpec device,
      int nodes,
      int devicesPerNode,
      LinkSpec intraNode,
      LinkSpec interNode) {
    return new ClusterSpec(
        name, List.of(new DeviceGroup(device, nodes, devicesPerNode)), intraNode, interNode);
  }

  public int deviceCount() {
    int n = 0;
    for (DeviceGroup g : groups) {
      n += g.deviceCount();
    }
    return n;
  }

  public int nodeCount() {
    int n = 0;
    for (DeviceGroup g : groups) {
      n += g.nodes();
    }
    return n;
  }

  /**
   * The devices per node of the first group: the largest tensor-parallel degree that stays inside a
   * node.
   */
  public int devicesPerNode() {
    return groups.get(0).devicesPerNode();
  }

  public DeviceSpec device(int index) {
    return groupOf(index).device();
  }

  /** The global node number of a device. */
  public int nodeOf(int index) {
    checkIndex(index);
    int firstDevice = 0;
    int firstNode = 0;
    for (DeviceGroup g : groups) {
      if (index < firstDevice + g.deviceCount()) {
        return firstNode + (index - firstDevice) / g.devicesPerNode();
      }
      firstDevice += g.deviceCount();
      firstNode += g.nodes();
    }
    throw new IllegalStateException("unreachable");
  }

  /** The link between two distinct devices. */
  public LinkSpec link(int fromDevice, int toDevice) {
    return nodeOf(fromDevice) == nodeOf(toDevice) ? intraNodeLink : interNodeLink;
  }

  private DeviceGroup groupOf(int index) {
    checkIndex(index);
    int first = 0;
    for (DeviceGroup g : groups) {
      if (index < first + g.deviceCount()) {
        return g;
      }
      first += g.deviceCount();
    }
    throw new IllegalStateException("unreachable");
  }

  private void checkIndex(int index) {
    if (index < 0 || index >= deviceCount()) {
      throw new BadInputException(
          "device index "
              + index
              + " is outside cluster '"
              + name
              + "' (0.."
              + (deviceCount() - 1)
              + ")");
    }
  }
}
