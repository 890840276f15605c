package dev.pipeplan.models.io;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelLimits;
import dev.pipeplan.models.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * Imports a PipeDream profiler graph ({@code graph.txt}, msr-fiddle/pipedream): node lines {@code
 * node<ID> -- <description> -- forward_compute_time=<ms>, backward_compute_time=<ms>,
 * activation_size=<bytes>, parameter_size=<bytes>[ -- stage_id=<n>]} and edge lines {@code
 * \tnode<A> -- node<B>}.
 *
 * <p>The graph is linearised in topological order, ties broken by node number, and every node
 * becomes a layer with the file's times (fused backward: {@code backwardWeightNanos} is 0). A
 * layer's {@code outputBytes} are the bytes that cross a cut placed right after it: the activations
 * of every node at or before it that feeds a node after it. PipeDream's numbers are for one
 * minibatch of the profile's batch size; bytes are divided by that size to give the per-sample
 * numbers a {@link LayerSpec} holds, and the times keep the batch size in {@link MeasuredTimes}.
 */
public final class PipeDreamGraph {
  /**
   * The batch size assumed when none is given: 1, so that one "sample" is one profiled minibatch,
   * which is how PipeDream's own optimizer reads the file.
   */
  public static final int DEFAULT_BATCH_SIZE = 1;

  /** PipeDream profiles fp32 models: parameter_size is 4 bytes per parameter. */
  private static final DType DTYPE = DType.FP32;

  private PipeDreamGraph() {}

  /** True when the text's first non-blank line is a PipeDream node line. */
  public static boolean looksLike(String text) {
    for (String line : text.split("\n", 50)) {
      String t = line.strip();
      if (!t.isEmpty()) {
        return t.startsWith("node") && t.contains(" -- ") && t.contains("forward_compute_time=");
      }
    }
    return false;
  }

  public static ModelSpec read(Path file) {
    return read(file, DEFAULT_BATCH_SIZE);
  }

  public static ModelSpec read(Path file, int batchSize) {
    return parse(file.toString(), InputNode.readText(file), ModelFile.defaultName(file), batchSize);
  }

  /** Parses a graph's text; {@code source} names it in messages. */
  public static ModelSpec parse(String source, String text, String modelName, int batchSize) {
    Checks.positive("PipeDream batch size", batchSize);
    ModelLimits.check("PipeDream batch size", batchSize, ModelLimits.MAX_BATCH);
    Map<String, Node> nodes = new LinkedHashMap<>();
    List<String[]> edges = new ArrayList<>();
    List<Integer> edgeLines = new ArrayList<>();
    String[] lines = text.split("\r?\n");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank()) {
        continue;
      }
      int lineNo = i + 1;
      String t = line.strip();
      String[] parts = t.split(" -- ");
      if (parts.length == 2 && !t.contains("=")) {
        edges.add(
            new String[] {nodeId(source, lineNo, parts[0]), nodeId(source, lineNo, parts[1])});
        edgeLines.add(lineNo);
      } else if (parts.length >= 3) {
        Node node = node(source, lineNo, parts);
        if (nodes.put(node.id, node) != null) {
          throw new BadInputException(
              source + ":" + lineNo + ": node '" + node.id + "' is defined twice");
        }
        if (nodes.size() > ModelLimits.MAX_LAYERS) {
          throw new BadInputException(
              source
                  + ":"
                  + lineNo
                  + ": more than "
                  + ModelLimits.MAX_LAYERS
                  + " nodes, pipeplan's limit of layers in a model (see docs/formats.md)");
        }
      } else {
        throw new BadInputException(
            source
                + ":"
                + lineNo
                + ": expected a node line 'nodeN -- description --"
                + " forward_compute_time=..., ...' or an edge line 'nodeA -- nodeB', got '"
                + abbreviate(t)
                + "'");
      }
    }
    if (nodes.isEmpty()) {
      throw new BadInputException(source + ": no node lines: not a PipeDream graph");
    }
    for (int e = 0; e < edges.size(); e++) {
      Node from = nodes.get(edges.get(e)[0]);
      Node to = nodes.get(edges.get(e)[1]);
      if (from == null || to == null) {
        String missing = from == null ? edges.get(e)[0] : edges.get(e)[1];
        throw new BadInputException(
            source
                + ":"
                + edgeLines.get(e)
                + ": edge names '"
                + missing
                + "', which no node line defines");
      }
      if (!from.successors.contains(to)) {
        from.successors.add(to);
        to.inDegree++;
      }
    }
    List<Node> order = topologicalOrder(source, nodes);
    try {
      return toModel(modelName, order, batchSize);
    } catch (BadInputException e) {
      throw new BadInputException(source + ": " + e.getMessage(), e);
    }
  }

  private static List<Node> topologicalOrder(String source, Map<String, Node> nodes) {
    PriorityQueue<Node> ready = new PriorityQueue<>(BY_ID);
    Map<Node, Integer> remaining = new TreeMap<>(BY_ID);
    for (Node n : nodes.values()) {
      remaining.put(n, n.inDegree);
      if (n.inDegree == 0) {
        ready.add(n);
      }
    }
    List<Node> order = new ArrayList<>(nodes.size());
    while (!ready.isEmpty()) {
      Node n = ready.poll();
      n.position = order.size();
      order.add(n);
      for (Node s : n.successors) {
        int left = remaining.merge(s, -1, Integer::sum);
        if (left == 0) {
          ready.add(s);
        }
      }
    }
    if (order.size() != nodes.size()) {
      List<String> stuck = new ArrayList<>();
      remaining.forEach(
          (n, left) -> {
            if (left > 0) {
              stuck.add(n.id);
            }
          });
      throw new BadInputException(source + ": the graph has a cycle through " + stuck);
    }
    return order;
  }

  private static ModelSpec toModel(String modelName, List<Node> order, int batchSize) {
    int n = order.size();
    // crossing[i] = activation bytes of nodes at positions <= i that feed a node at a position > i
    long[] delta = new long[n + 1];
    for (Node node : order) {
      int last = node.position;
      for (Node s : node.successors) {
        last = Math.max(last, s.position);
      }
      if (last > node.position) {
        delta[node.position] =
            ModelLimits.add(
                "bytes crossing the cut after " + node.id,
                delta[node.position],
                node.activationBytes);
        delta[last] =
            ModelLimits.add(
                "bytes crossing the cut after " + node.id, delta[last], -node.activationBytes);
      }
    }
    List<LayerSpec> layers = new ArrayList<>(n);
    long crossing = 0;
    for (int i = 0; i < n; i++) {
      Node node = order.get(i);
      // Up to 10^5 nodes of up to 2^53 bytes each can add up past a long: checked.
      crossing = ModelLimits.add("bytes crossing the cut after " + node.id, crossing, delta[i]);
      long outputBytes = i == n - 1 ? node.activationBytes : crossing;
      MeasuredTimes times = new MeasuredTimes(batchSize, node.forwardNanos, node.backwardNanos, 0);
      layers.add(
          new LayerSpec(
              node.id + "-" + node.op,
              kind(node.op),
              LayerShape.unknown(kind(node.op)),
              0,
              0,
              0,
              Math.round(node.parameterBytes / (double) DTYPE.bytes()),
              Math.round(node.activationBytes / (double) batchSize),
              Math.round(outputBytes / (double) batchSize),
              times));
    }
    return new ModelSpec(modelName, layers, DTYPE, 0);
  }

  private static final Comparator<Node> BY_ID =
      Comparator.<Node>comparingLong(node -> node.number).thenComparing(node -> node.id);

  private static Node node(String source, int lineNo, String[] parts) {
    String id = nodeId(source, lineNo, parts[0]);
    int metrics = -1;
    for (int p = 1; p < parts.length; p++) {
      if (parts[p].strip().startsWith("forward_compute_time=")) {
        metrics = p;
        break;
      }
    }
    if (metrics < 0) {
      throw new BadInputException(
          source + ":" + lineNo + ": node '" + id + "' has no forward_compute_time=...");
    }
    String description = String.join(" -- ", List.of(parts).subList(1, metrics)).strip();
    Map<String, String> values = new LinkedHashMap<>();
    for (String kv : parts[metrics].split(",")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new BadInputException(
            source
                + ":"
                + lineNo
                + ": node '"
                + id
                + "': expected key=value, got '"
                + kv.strip()
                + "'");
      }
      values.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
    }
    double forwardMs =
        value(source, lineNo, id, values, "forward_compute_time", ModelLimits.MAX_LAYER_MILLIS);
    double backwardMs =
        value(source, lineNo, id, values, "backward_compute_time", ModelLimits.MAX_LAYER_MILLIS);
    double activation =
        value(source, lineNo, id, values, "activation_size", ModelLimits.MAX_LAYER_BYTES);
    // fp32: four bytes per parameter
    double parameters =
        value(
            source,
            lineNo,
            id,
            values,
            "parameter_size",
            ModelLimits.MAX_LAYER_PARAMETERS * (double) DTYPE.bytes());
    return new Node(
        id,
        operator(description),
        Math.round(forwardMs * 1e6),
        Math.round(backwardMs * 1e6),
        Math.round(activation),
        Math.round(parameters));
  }

  private static double value(
      String source, int lineNo, String id, Map<String, String> values, String key, double limit) {
    String text = values.get(key);
    if (text == null) {
      throw new BadInputException(
          source + ":" + lineNo + ": node '" + id + "' has no " + key + "=...");
    }
    double v;
    try {
      v = Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new BadInputException(
          source
              + ":"
              + lineNo
              + ": node '"
              + id
              + "' "
              + key
              + " must be a number, got '"
              + text
              + "'");
    }
    if (!Double.isFinite(v) || v < 0) {
      throw new BadInputException(
          source
              + ":"
              + lineNo
              + ": node '"
              + id
              + "' "
              + key
              + " must be a finite number >= 0, got "
              + text);
    }
    if (v > limit) {
      throw new BadInputException(
          source
              + ":"
              + lineNo
              + ": node '"
              + id
              + "' "
              + key
              + " must be at most "
              + (limit == Math.rint(limit) ? Long.toString((long) limit) : Double.toString(limit))
              + " (pipeplan's limit, see docs/formats.md), got "
              + text);
    }
    return v;
  }

  private static String nodeId(String source, int lineNo, String text) {
    String id = text.strip();
    if (!id.matches("node\\w+")) {
      throw new BadInputException(
          source
              + ":"
              + lineNo
              + ": expected a node id like 'node12', got '"
              + abbreviate(id)
              + "'");
    }
    return id;
  }

  /** "Conv2d(3, 64, kernel_size=...)" gives "Conv2d"; "ReLU(inplace)" gives "ReLU". */
  private static String operator(String description) {
    String op = description;
    int paren = op.indexOf('(');
    if (paren > 0) {
      op = op.substring(0, paren);
    }
    op = op.strip().replaceAll("[^A-Za-z0-9_]", "");
    return op.isEmpty() ? "op" : op;
  }

  private static LayerKind kind(String op) {
    String o = op.toLowerCase(Locale.ROOT);
    if (o.startsWith("conv")) {
      return LayerKind.CONV;
    }
    if (o.contains("pool")) {
      return LayerKind.POOL;
    }
    if (o.equals("linear")) {
      return LayerKind.LINEAR;
    }
    if (o.contains("norm")) {
      return LayerKind.NORM;
    }
    if (o.equals("embedding")) {
      return LayerKind.EMBEDDING;
    }
    return LayerKind.OTHER;
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  /** A node while the graph is being read. */
  private static final class Node {
    final String id;
    final long number;
    final String op;
    final long forwardNanos;
    final long backwardNanos;
    final long activationBytes;
    final long parameterBytes;
    final List<Node> successors = new ArrayList<>();
    int inDegree;
    int position = -1;

    Node(
        String id,
        String op,
        long forwardNanos,
        long backwardNanos,
        long activationBytes,
        long parameterBytes) {
      this.id = id;
      String digits = id.substring("node".length());
      this.number = digits.matches("\\d{1,18}") ? Long.parseLong(digits) : Long.MAX_VALUE;
      this.op = op;
      this.forwardNanos = forwardNanos;
      this.backwardNanos = backwardNanos;
      this.activationBytes = activationBytes;
      this.parameterBytes = parameterBytes;
    }
  }
}
