package dev.pipeplan.models;

import java.util.Objects;

/**
 * Nodes of one device kind inside a cluster.
 *
 * @param device the device every slot of these nodes holds
 * @param nodes how many nodes
 * @param devicesPerNode devices in each node
 */
public record DeviceGroup(DeviceSpec device, int nodes, int devicesPerNode) {
  public DeviceGroup {
    Objects.requireNonNull(device, "device");
    Checks.positive("nodes", nodes);
    Checks.positive("devicesPerNode", devicesPerNode);
  }

  public int deviceCount() {
    return nodes * devicesPerNode;
  }
}
