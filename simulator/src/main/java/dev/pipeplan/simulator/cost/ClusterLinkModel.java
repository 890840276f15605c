package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.LinkSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Links between pipeline devices as a cluster sees them: each pipeline device sits on a node; two
 * devices on one node talk over {@code intraNodeLink}, others over {@code interNodeLink}; a device
 * talks to itself for free. A plain value (unlike a lambda), so a plan can store the links its
 * prediction used and reproduce it.
 *
 * @param nodeOfDevice for each pipeline device, the node it sits on
 * @param intraNodeLink the link inside a node
 * @param interNodeLink the link between nodes
 */
public record ClusterLinkModel(
    List<Integer> nodeOfDevice, LinkSpec intraNodeLink, LinkSpec interNodeLink)
    implements LinkModel {

  public ClusterLinkModel {
    nodeOfDevice = List.copyOf(Objects.requireNonNull(nodeOfDevice, "nodeOfDevice"));
    if (nodeOfDevice.isEmpty()) {
      throw new BadInputException("link model needs at least one pipeline device");
    }
    for (int n : nodeOfDevice) {
      if (n < 0) {
        throw new BadInputException(
            "link model places a device on node " + n + "; nodes are numbered from 0");
      }
    }
    Objects.requireNonNull(intraNodeLink, "intraNodeLink");
    Objects.requireNonNull(interNodeLink, "interNodeLink");
  }

  /**
   * The links between pipeline devices placed on a cluster.
   *
   * @param cluster the cluster
   * @param clusterDevices for each pipeline device, the (first) cluster device that runs it
   */
  public static ClusterLinkModel of(ClusterSpec cluster, List<Integer> clusterDevices) {
    Objects.requireNonNull(cluster, "cluster");
    List<Integer> nodes = new ArrayList<>(clusterDevices.size());
    for (int device : clusterDevices) {
      nodes.add(cluster.nodeOf(device));
    }
    return new ClusterLinkModel(nodes, cluster.intraNodeLink(), cluster.interNodeLink());
  }

  /**
   * Every pair of distinct devices over the same link (one node, or a profile's measured hand-off).
   */
  public static ClusterLinkModel uniform(int deviceCount, LinkSpec link) {
    return new ClusterLinkModel(Collections.nCopies(deviceCount, 0), link, link);
  }

  public int deviceCount() {
    return nodeOfDevice.size();
  }

  @Override
  public long transferNanos(int fromDevice, int toDevice, long bytes) {
    if (fromDevice == toDevice) {
      return 0;
    }
    LinkSpec link =
        nodeOfDevice.get(fromDevice).equals(nodeOfDevice.get(toDevice))
            ? intraNodeLink
            : interNodeLink;
    return link.transferNanos(bytes);
  }
}
