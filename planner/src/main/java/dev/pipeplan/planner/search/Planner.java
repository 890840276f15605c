package dev.pipeplan.planner.search;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.SearchStats;
import dev.pipeplan.planner.partition.ChunkPartitioner;
import dev.pipeplan.planner.partition.MinMaxPartitioner;
import dev.pipeplan.planner.partition.PartitionMoves;
import dev.pipeplan.planner.partition.PartitionProblem;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.engine.CompiledSchedule;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.WorkLimits;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The outer search. It enumerates pp x dp x tp = devices (tp inside a node and dividing the
 * attention heads), micro- batch sizes b dividing the per-replica batch (m = per-replica batch /
 * b), schedule kinds and v; orders the candidates by a lower bound on their iteration time; and
 * evaluates them in that order (partitions, cost, simulate, memory check), skipping those whose
 * bound cannot beat the {@code top}-th best found. Candidates are evaluated on several threads in
 * fixed-size batches whose results are merged in candidate order, so the thread count never changes
 * the result. The best few are then refined: among partitions within the tolerance of the optimal
 * bottleneck, the one with the lowest simulated iteration time wins. Everything is ordered by
 * explicit comparators, so the same input gives the same result.
 */
public final class Planner {
  private static final int MAX_PARETO = 20;
  private static final int REFINE_ROUNDS = 8;
  private static final double GIB = 1024.0 * 1024 * 1024;

  /**
   * The kind every single-stage (pp = 1) candidate is costed under. With one stage every kind is
   * plain gradient accumulation: each micro-batch's forward, then its backward, one in flight (the
   * kinds differ only in how they overlap stages, and a split backward only adds an action). So a
   * pp = 1 candidate is searched once, as 1f1b with v = 1, whichever kinds are requested and in
   * whatever order, so long as one of them runs without virtual stages.
   */
  public static final ScheduleKind SINGLE_STAGE_KIND = ScheduleKind.ONE_F_ONE_B;

  /** How hints name recomputation, whatever form the option takes. */
  static final String RECOMPUTE_HINT = "activation recomputation (--recompute)";

  private Planner() {}

  /** Searches with the given options; throws {@link BadInputException} when no candidate fits. */
  public static SearchResult search(
      ModelSpec model,
      TrainingSpec training,
      ClusterSpec cluster,
      SearchOptions options,
      ProgressListener progress) {
    Objects.requireNonNull(progress, "progress");
    CandidateEvaluator evaluator = new CandidateEvaluator(model, training, cluster, options);
    List<Candidate> candidates = enumerate(model, training, cluster, options);
    try (OrderedParallel parallel = new OrderedParallel(options.threadCount())) {
      return search(evaluator, options, progress, candidates, parallel);
    }
  }

  private static SearchResult search(
      CandidateEvaluator evaluator,
      SearchOptions options,
      ProgressListener progress,
      List<Candidate> candidates,
      OrderedParallel parallel) {
    long[] bounds = new long[candidates.size()];
    Integer[] order = new Integer[candidates.size()];
    List<Long> computed = parallel.map(candidates, evaluator::lowerBoundNanos);
    for (int i = 0; i < candidates.size(); i++) {
      bounds[i] = computed.get(i);
      order[i] = i;
    }
    Arrays.sort(
        order,
        Comparator.<Integer>comparingLong(i -> bounds[i])
            .thenComparing(i -> candidates.get(i), Candidate.ORDER));

    List<Evaluation> fitting = new ArrayList<>();
    List<Candidate> overMemory = new ArrayList<>();
    Evaluation closestOver = null;
    long[] topTimes = new long[Math.max(options.top(), 2)];
    Arrays.fill(topTimes, Long.MAX_VALUE);
    long simulated = 0;
    long simulatedOverMemory = 0;
    long notRunnable = 0;
    long pruned = 0;
    long done = 0;
    try {
      // Batches of a fixed size, whatever the thread count: every candidate of a batch is
      // evaluated against the threshold at the batch's start, and the outcomes are merged in
      // candidate order, re-checking the bounds against the threshold as the merge tightens it.
      // So 1 thread and 16 give the same plans, byte for byte.
      for (int from = 0; from < order.length; from += EVALUATION_BATCH) {
        long batchThreshold = topTimes[topTimes.length - 1];
        List<Integer> batch =
            Arrays.asList(order).subList(from, Math.min(order.length, from + EVALUATION_BATCH));
        List<Outcome> outcomes =
            parallel.map(
                batch,
                idx -> evaluate(evaluator, candidates.get(idx), bounds[idx], batchThreshold));
        for (int k = 0; k < outcomes.size(); k++) {
          progress.progress(done++, candidates.size());
          Outcome o = outcomes.get(k);
          // strictly above: a candidate whose bound equals the threshold may still tie and win
          // the tie-break (Evaluation.RANKING), so pruning it would make the winner depend on
          // the order
          long threshold = topTimes[topTimes.length - 1];
          if (o.status() == Status.PRUNED
              || bounds[batch.get(k)] > threshold
              || (o.simulations() > 0 && o.partitionBoundNanos() > threshold)) {
            pruned++;
            continue;
          }
          switch (o.status()) {
            case PRUNED -> {}
            case SKIPPED -> notRunnable++;
            case OVER_MEMORY -> overMemory.add(o.candidate());
            case SIMULATED_OVER_MEMORY -> {
              simulated++;
              simulatedOverMemory++;
              overMemory.add(o.candidate());
              Evaluation e = o.evaluation();
              if (closestOver == null || e.overMemoryBytes() < closestOver.overMemoryBytes()) {
                closestOver = e;
              }
            }
            case FITS -> {
              simulated++;
              fitting.add(o.evaluation());
              insertTime(topTimes, o.evaluation().iterationNanos());
            }
          }
        }
      }
      progress.progress(candidates.size(), candidates.size());
    } finally {
      progress.finished();
    }
    if (fitting.isEmpty()) {
      throw nothingFits(evaluator, options, candidates, overMemory, closestOver);
    }
    fitting.sort(Evaluation.RANKING);
    // at least two, so that the reason always names a runner-up when there is one
    int keep = Math.min(Math.max(options.top(), 2), fitting.size());
    List<Evaluation> ranked = new ArrayList<>(fitting.subList(0, keep));
    if (options.refine()) {
      for (int i = 0; i < ranked.size(); i++) {
        ranked.set(i, refine(evaluator, ranked.get(i), options.refineTolerance(), parallel));
      }
      ranked.sort(Evaluation.RANKING);
    }
    String reason = reason(ranked);
    List<Evaluation> all = new ArrayList<>(fitting);
    all.addAll(ranked);
    List<Evaluation> pareto = pareto(all);
    SearchStats stats =
        new SearchStats(
            candidates.size(),
            simulated,
            pruned,
            overMemory.size(),
            simulatedOverMemory,
            notRunnable);
    return new SearchResult(
        ranked.subList(0, Math.min(options.top(), ranked.size())),
        pareto,
        reason,
        stats,
        evaluator);
  }

  /** Candidates evaluated together against one threshold; fixed, so results never depend on it. */
  static final int EVALUATION_BATCH = 16;

  /** What evaluating one candidate came to. */
  enum Status {
    /** its kind or the cost model rejects it */
    SKIPPED,
    /** its lower bound cannot beat the threshold */
    PRUNED,
    /** no partition fits, by the memory bound or the partitioner's model */
    OVER_MEMORY,
    /** simulated, and its best partition is over memory */
    SIMULATED_OVER_MEMORY,
    /** simulated, and it fits */
    FITS
  }

  /**
   * One candidate's result: its candidate (with the in-flight cap fitted, for zb-auto), the best
   * simulated evaluation (the fitting one, else the least over memory), how many partitions were
   * simulated, and the smallest post-partition lower bound among them.
   */
  record Outcome(
      Candidate candidate,
      Status status,
      Evaluation evaluation,
      int simulations,
      long partitionBoundNanos) {
    static Outcome of(Candidate c, Status status) {
      return new Outcome(c, status, null, 0, 0);
    }
  }

  /**
   * Partitions, bounds and simulates one candidate against {@code threshold} (the top-th best time
   * so far); safe to call from several threads at once.
   */
  static Outcome evaluate(CandidateEvaluator evaluator, Candidate c, long bound, long threshold) {
    if (bound > threshold) {
      return Outcome.of(c, Status.PRUNED);
    }
    // zb-auto adapts its in-flight cap to memory: partition it as if one micro-batch were in
    // flight, then give it the largest cap that partition admits
    Candidate probe = c.kind() == ScheduleKind.ZB_AUTO ? c.withMaxInFlight(1) : c;
    if (evaluator.surelyOverMemory(probe)) {
      return Outcome.of(c, Status.OVER_MEMORY);
    }
    PartitionProblem problem;
    try {
      problem = evaluator.problem(probe);
    } catch (BadInputException e) {
      return Outcome.of(c, Status.SKIPPED);
    }
    Optional<Partition> first = evaluator.partition(problem);
    if (first.isEmpty()) {
      return Outcome.of(c, Status.OVER_MEMORY);
    }
    Evaluation bestFit = null;
    Evaluation closest = null;
    boolean anyPruned = false;
    int simulations = 0;
    long smallestBound = Long.MAX_VALUE;
    List<Partition> partitions = new ArrayList<>(List.of(first.get()));
    for (int i = 0; i < partitions.size(); i++) {
      Partition partition = partitions.get(i);
      Candidate capped = evaluator.withFittingInFlightCap(c, partition);
      long partitionBound =
          evaluator.lowerBoundNanos(capped, evaluator.stageCosts(capped, partition));
      if (partitionBound > threshold) {
        // the alternatives are searched only for a candidate whose first partition is in play
        anyPruned = true;
        continue;
      }
      if (i == 0) {
        partitions.addAll(evaluator.alternatives(probe, problem, partition));
      }
      Optional<Evaluation> one = evaluator.simulate(capped, partition);
      if (one.isEmpty()) {
        continue;
      }
      simulations++;
      smallestBound = Math.min(smallestBound, partitionBound);
      Evaluation e = one.get();
      if (e.fits()) {
        if (bestFit == null || Evaluation.RANKING.compare(e, bestFit) < 0) {
          bestFit = e;
        }
      } else if (closest == null || e.overMemoryBytes() < closest.overMemoryBytes()) {
        closest = e;
      }
    }
    if (bestFit != null) {
      return new Outcome(bestFit.candidate(), Status.FITS, bestFit, simulations, smallestBound);
    }
    if (closest != null) {
      return new Outcome(
          closest.candidate(), Status.SIMULATED_OVER_MEMORY, closest, simulations, smallestBound);
    }
    return Outcome.of(c, anyPruned ? Status.PRUNED : Status.SKIPPED);
  }

  private static void insertTime(long[] top, long time) {
    int i = top.length - 1;
    if (time >= top[i]) {
      return;
    }
    while (i > 0 && top[i - 1] > time) {
      top[i] = top[i - 1];
      i--;
    }
    top[i] = time;
  }

  /** The schedule kinds whose generators are available. */
  public static List<ScheduleKind> availableKinds() {
    List<ScheduleKind> kinds = new ArrayList<>();
    for (ScheduleKind k : ScheduleKind.values()) {
      try {
        ScheduleGenerators.generate(ScheduleRequest.of(k, 2, 4, k.defaultVirtualStages()));
        kinds.add(k);
      } catch (BadInputException | UnsupportedOperationException e) {
        // not generated yet, or not for this shape: left out of the default search
      }
    }
    return List.copyOf(kinds);
  }

  /** Every structurally valid candidate, in a fixed order. */
  public static List<Candidate> enumerate(
      ModelSpec model, TrainingSpec training, ClusterSpec cluster, SearchOptions options) {
    int devices = cluster.deviceCount();
    int layers = model.layerCount();
    // A model cut into pieces (--partition-unit) is searched over the pp and v its whole layers
    // allow; a fixed --pp or --virtual-stages may go up to the pieces.
    int wholeLayers = SubLayers.wholeLayerCount(model);
    int global = training.globalBatch();
    WorkLimits.checkGlobalBatch(global);
    WorkLimits.checkPipelineDevices(options.fixedPp().orElse(0));
    WorkLimits.checkMicroBatches(options.fixedMicroBatches().orElse(0));
    int fixedV = options.fixedVirtualStages().orElse(0);
    List<ScheduleKind> kinds = searchedKinds(options, model);
    // pp = 1 is plain gradient accumulation whatever the kind: searched once, as SINGLE_STAGE_KIND
    boolean singleStage = fixedV <= 1 && kinds.stream().anyMatch(k -> k.minVirtualStages() == 1);
    List<Integer> tps = tensorDegrees(model, cluster, options);
    List<Integer> cps = contextDegrees(model, training, cluster, options);
    if (options.fixedPp().isPresent()) {
      checkFixedPp(options.fixedPp().getAsInt(), layers, devices, model);
    }
    // a profile's fitted lines are trusted only up to the largest micro-batch size it measured
    int largestB =
        options.profile().isEmpty() || options.profile().get().largestMeasuredMicroBatchSize() == 0
            ? Integer.MAX_VALUE
            : options.profile().get().largestMeasuredMicroBatchSize();
    if (options.fixedMicroBatchSize().orElse(0) > largestB) {
      throw new BadInputException(
          "microbatch size "
              + options.fixedMicroBatchSize().orElse(0)
              + " is above the largest the"
              + " profile measured ("
              + largestB
              + "); its times would be extrapolated. Maybe profile with"
              + " --microbatch-sizes up to "
              + options.fixedMicroBatchSize().orElse(0)
              + ".");
    }
    int fixedCp = Math.max(1, options.contextParallel());
    if (options.fixedPp().isPresent() && (options.fixedTp().isPresent() || fixedCp > 1)) {
      // with tp searched, its smallest degree (1) is the one that could still divide
      boolean tpFixed = options.fixedTp().isPresent();
      long perReplica = (long) options.fixedPp().getAsInt() * options.fixedTp().orElse(1) * fixedCp;
      if (devices % perReplica != 0) {
        throw new BadInputException(
            "--pp "
                + options.fixedPp().getAsInt()
                + (tpFixed ? " x --tp " + options.fixedTp().getAsInt() : "")
                + (fixedCp > 1 ? " x --cp " + fixedCp : "")
                + " = "
                + perReplica
                + " devices per model replica"
                + (tpFixed ? "" : " at tp 1")
                + ", which does not divide the cluster's "
                + devices
                + " devices. Maybe use a smaller --pp"
                + (tpFixed && fixedCp > 1 ? ", --tp or --cp" : tpFixed ? " or --tp" : " or --cp")
                + ", or a cluster of "
                + perReplica
                + " devices or a multiple of it.");
      }
    }
    List<Candidate> out = new ArrayList<>();
    String lastRejection = null;
    String hint =
        " Maybe use a global batch that is a multiple of the data-parallel degree, or drop"
            + " --microbatches / --microbatch-size.";
    List<Integer> dps = new ArrayList<>();
    // every dp the layouts give, with the first (pp, tp, cp) that gives it
    Map<Integer, int[]> dpLayouts = new TreeMap<>();
    int smallestDp = Integer.MAX_VALUE;
    int smallestDpPp = 0;
    int smallestDpTp = 0;
    int smallestDpCp = 1;
    boolean divisible = false;
    List<int[]> tensorAndContext = new ArrayList<>();
    for (int tp : tps) {
      for (int cp : cps) {
        tensorAndContext.add(new int[] {tp, cp});
      }
    }
    for (int[] degrees : tensorAndContext) {
      int tp = degrees[0];
      int cp = degrees[1];
      if (devices % ((long) tp * cp) != 0) {
        continue;
      }
      int rest = devices / (tp * cp);
      int ppLimit = options.fixedPp().isPresent() ? layers : wholeLayers;
      for (int pp = 1; pp <= Math.min(ppLimit, rest); pp++) {
        if (rest % pp != 0
            || (options.fixedPp().isPresent() && pp != options.fixedPp().getAsInt())) {
          continue;
        }
        int dp = rest / pp;
        if (dp < smallestDp) {
          smallestDp = dp;
          smallestDpPp = pp;
          smallestDpTp = tp;
          smallestDpCp = cp;
        }
        dpLayouts.putIfAbsent(dp, new int[] {pp, tp, cp});
        if (global % dp != 0) {
          lastRejection =
              "global batch ("
                  + global
                  + ") is not a multiple of dp ("
                  + dp
                  + ") for pp="
                  + pp
                  + " tp="
                  + tp
                  + (cp > 1 ? " cp=" + cp : "");
          continue;
        }
        dps.add(dp);
        int perReplica = global / dp;
        for (int b : divisors(perReplica)) {
          int m = perReplica / b;
          if (options.fixedMicroBatchSize().isPresent()
              && b != options.fixedMicroBatchSize().getAsInt()) {
            continue;
          }
          if (options.fixedMicroBatches().isPresent()
              && m != options.fixedMicroBatches().getAsInt()) {
            continue;
          }
          // the batch divides: a micro-batch the profile did not measure is another reason
          divisible = true;
          if (b > largestB) {
            lastRejection =
                "micro-batch size "
                    + b
                    + " (m = "
                    + m
                    + ") is above the largest the profile measured ("
                    + largestB
                    + ")";
            hint =
                " Maybe use more micro-batches (--microbatches), or profile with"
                    + " --microbatch-sizes up to "
                    + b
                    + ".";
            continue;
          }
          if (m > WorkLimits.MAX_MICRO_BATCHES) {
            lastRejection =
                "micro-batch size "
                    + b
                    + " gives m = "
                    + m
                    + ", above the limit of "
                    + WorkLimits.MAX_MICRO_BATCHES
                    + " micro-batches";
            continue;
          }
          Parallelism par = new Parallelism(pp, dp, tp, cp);
          if (pp == 1) {
            if (!singleStage) {
              lastRejection =
                  "pp=1 has no form of "
                      + String.join(", ", kinds.stream().map(ScheduleKind::id).toList())
                      + (fixedV > 1 ? " with --virtual-stages " + fixedV : "")
                      + ": they need at least 2 pipeline stages";
              hint =
                  " Maybe use --pp 2 or more, or add 1f1b to --schedules for single-stage plans.";
            }
            if (singleStage) {
              lastRejection =
                  add(
                      out,
                      new Candidate(par, b, m, SINGLE_STAGE_KIND, 1),
                      devices,
                      global,
                      options,
                      lastRejection);
            }
            continue;
          }
          for (ScheduleKind kind : kinds) {
            int minV = fixedV > 0 ? fixedV : kind.minVirtualStages();
            int maxV =
                fixedV > 0
                    ? fixedV
                    : Math.min(
                        Math.min(kind.maxVirtualStages(), options.maxVirtualStages()),
                        wholeLayers / pp);
            for (int v = minV; v <= Math.max(minV, maxV); v++) {
              if (pp * v > layers) {
                break;
              }
              lastRejection =
                  add(
                      out,
                      new Candidate(par, b, m, kind, v),
                      devices,
                      global,
                      options,
                      lastRejection);
            }
          }
        }
      }
    }
    if (out.isEmpty() && !divisible && !dps.isEmpty() && options.fixedMicroBatches().isPresent()) {
      throw notDivisible(global, devices, options, dpLayouts, largestB);
    }
    if (out.isEmpty() && !divisible && !dps.isEmpty()) {
      throw microBatchSizeNotDividing(global, options.fixedMicroBatchSize().orElse(1), dps);
    }
    if (out.isEmpty() && dps.isEmpty() && smallestDp != Integer.MAX_VALUE) {
      // every replica count these devices allow leaves part of the batch over
      long below = (long) global / smallestDp * smallestDp;
      long above = below + smallestDp;
      throw new BadInputException(
          "no candidate plan for "
              + devices
              + " devices, global batch "
              + global
              + ": every plan uses all the devices, and the fewest model replicas they allow is dp "
              + smallestDp
              + " (pp="
              + smallestDpPp
              + " tp="
              + smallestDpTp
              + (smallestDpCp > 1
                  ? " cp=" + smallestDpCp + ": " + devices + " devices / (pp x tp x cp)"
                  : "")
              + fixedClause(options, wholeLayers)
              + "), which does not divide "
              + global
              + ". Maybe use --global-batch "
              + (below > 0 ? below + " or " : "")
              + above
              + ", or a cluster of fewer devices.");
    }
    if (out.isEmpty()) {
      StringBuilder why =
          new StringBuilder(
              "no candidate plan for " + devices + " devices, global batch " + global);
      options.fixedMicroBatches().ifPresent(m -> why.append(", microbatches ").append(m));
      options.fixedMicroBatchSize().ifPresent(b -> why.append(", microbatch size ").append(b));
      why.append(lastRejection == null ? "" : ": " + lastRejection).append('.').append(hint);
      throw new BadInputException(why.toString());
    }
    return out;
  }

  /**
   * The context-parallel degrees the search tries: the fixed one (checked by {@link
   * #checkContextParallel}), or with {@code --cp auto} ({@link SearchOptions#contextParallel} 0) 1
   * and every power of two that divides the devices and splits the sequence into 2·cp chunks, when
   * the model has attention to split and its costs are not measured.
   */
  static List<Integer> contextDegrees(
      ModelSpec model, TrainingSpec training, ClusterSpec cluster, SearchOptions options) {
    if (options.contextParallel() > 0) {
      checkContextParallel(model, training, cluster, options);
      return List.of(options.contextParallel());
    }
    List<Integer> out = new ArrayList<>(List.of(1));
    if (!hasShapedAttention(model) || isMeasured(model, options)) {
      return out;
    }
    int seq = training.sequenceLength();
    int devices = cluster.deviceCount();
    for (int cp = 2; cp <= devices && seq > 0 && seq % (2 * cp) == 0; cp *= 2) {
      if (devices % cp == 0) {
        out.add(cp);
      }
    }
    return out;
  }

  private static boolean hasShapedAttention(ModelSpec model) {
    return model.layers().stream()
        .anyMatch(
            l ->
                l.shape() instanceof LayerShape.TransformerBlock b
                    && b.seq().isPresent()
                    && b.heads().isPresent());
  }

  private static boolean isMeasured(ModelSpec model, SearchOptions options) {
    return options.profile().isPresent()
        || model.layers().stream().anyMatch(l -> l.hasMeasuredTimes());
  }

  /**
   * Refuses a context-parallel degree the search cannot price: one that does not divide the
   * devices, a sequence that does not split into the 2·cp chunks Megatron-Core's load-balanced ring
   * needs, a model without attention to split, or measured costs (a profile times whole sequences).
   */
  static void checkContextParallel(
      ModelSpec model, TrainingSpec training, ClusterSpec cluster, SearchOptions options) {
    int cp = options.contextParallel();
    if (cp == 1) {
      return;
    }
    int devices = cluster.deviceCount();
    if (cp > devices || devices % cp != 0) {
      throw new BadInputException(
          "--cp "
              + cp
              + (cp > devices ? " exceeds the " : " does not divide the ")
              + devices
              + " devices of cluster '"
              + cluster.name()
              + "'. Maybe use a --cp that divides "
              + devices
              + ".");
    }
    if (options.fixedTp().isPresent()
        && devices % ((long) options.fixedTp().getAsInt() * cp) != 0) {
      long group = (long) options.fixedTp().getAsInt() * cp;
      throw new BadInputException(
          "--tp "
              + options.fixedTp().getAsInt()
              + " x --cp "
              + cp
              + " = "
              + group
              + " devices per pipeline stage, which does not divide the "
              + devices
              + " devices of cluster '"
              + cluster.name()
              + "'. Maybe use a smaller --tp or --cp, or a cluster of "
              + group
              + " devices or a multiple of it.");
    }
    requireContextParallelSplits(model, training.sequenceLength(), cp);
    if (isMeasured(model, options)) {
      boolean profiled = options.profile().isPresent();
      throw new BadInputException(
          "--cp "
              + cp
              + " needs the roofline cost model, but the costs are measured ("
              + (profiled ? "a profile times" : "model '" + model.name() + "' gives times for")
              + " each layer over whole sequences, not a rank's share of them). Maybe use --cp 1,"
              + (profiled ? " or drop --profile." : " or a model file without measured times."));
    }
  }

  /**
   * Refuses a context-parallel degree a model cannot be split by: one without transformer blocks
   * whose heads and sequence length are known, or a sequence that does not split into the 2·cp
   * chunks of Megatron-Core's load-balanced ring ({@code plan --cp} and {@code simulate --cp}).
   */
  public static void requireContextParallelSplits(ModelSpec model, int sequenceLength, int cp) {
    if (cp == 1) {
      return;
    }
    if (!hasShapedAttention(model)) {
      throw new BadInputException(
          "--cp "
              + cp
              + " splits the sequences of transformer blocks, but model '"
              + model.name()
              + "' has none with its heads and sequence length. Maybe use --cp 1.");
    }
    int seq = sequenceLength;
    if (seq <= 0) {
      // a model file without a sequenceLength: there is no length to split, and --seq cannot
      // change a model file's
      throw new BadInputException(
          "--cp "
              + cp
              + " splits each sequence into 2 x cp = "
              + 2L * cp
              + " chunks, but model '"
              + model.name()
              + "' gives no sequence length (sequenceLength "
              + seq
              + "). Maybe give the model file a sequenceLength that is a multiple of "
              + 2L * cp
              + ", or use --cp 1.");
    }
    if (seq % (2L * cp) != 0) {
      throw new BadInputException(
          "--cp "
              + cp
              + " splits each sequence into 2 x cp = "
              + 2 * cp
              + " chunks (Megatron-Core's load-balanced context parallelism), but the sequence"
              + " length "
              + seq
              + " is not a multiple of "
              + 2 * cp
              + ". Maybe use --seq "
              + Math.max(2 * cp, seq / (2 * cp) * (2 * cp))
              + " or a --cp whose double divides "
              + seq
              + ".");
    }
  }

  /**
   * Adds a candidate unless its schedule has too many actions to simulate; returns the reason it
   * was left out, or {@code lastRejection} when it was added.
   */
  private static String add(
      List<Candidate> out,
      Candidate c,
      int devices,
      int global,
      SearchOptions options,
      String lastRejection) {
    int pp = c.parallelism().pp();
    long actions = WorkLimits.actionCount(c.kind(), pp, c.virtualStages(), c.microBatchCount());
    if (actions > WorkLimits.MAX_ACTIONS) {
      return "pp="
          + pp
          + " m="
          + c.microBatchCount()
          + " "
          + c.kind().id()
          + (c.virtualStages() > 1 ? " v=" + c.virtualStages() : "")
          + " has "
          + actions
          + " actions, above the limit of "
          + WorkLimits.MAX_ACTIONS
          + " per schedule";
    }
    if (out.size() == WorkLimits.MAX_SEARCH_CANDIDATES) {
      throw new BadInputException(
          "the search space has more than "
              + WorkLimits.MAX_SEARCH_CANDIDATES
              + " candidates (the limit) for "
              + devices
              + " devices and global batch "
              + global
              + ". Maybe fix some of --pp, --tp, "
              + (options.contextParallel() == 0 ? "--cp, " : "")
              + "--microbatch-size, --microbatches or --schedules.");
    }
    out.add(c);
    return lastRejection;
  }

  /**
   * The kinds the search tries for pp >= 2, in enum order (the order they were asked for does not
   * matter): the requested ones, or every available kind; with v fixed, only kinds that take it (a
   * requested kind that does not is refused).
   */
  static List<ScheduleKind> searchedKinds(SearchOptions options, ModelSpec model) {
    int v = options.fixedVirtualStages().orElse(0);
    if (v > 1 && options.fixedPp().orElse(0) == 1) {
      throw new BadInputException(
          "virtual stages ("
              + v
              + ") need more than one pipeline device, but pp is fixed to 1. Maybe use --pp 2"
              + " or more, or drop --virtual-stages.");
    }
    if (v > 0
        && options.fixedPp().isPresent()
        && (long) options.fixedPp().getAsInt() * v > model.layerCount()) {
      throw new BadInputException(
          "pp x virtual stages ("
              + options.fixedPp().getAsInt()
              + " x "
              + v
              + ") exceeds the layer count ("
              + model.layerCount()
              + ") of model '"
              + model.name()
              + "'. Maybe use --virtual-stages "
              + Math.max(1, model.layerCount() / options.fixedPp().getAsInt())
              + " or fewer.");
    }
    if (v > 1 && options.fixedPp().isEmpty() && 2L * v > model.layerCount()) {
      // the smallest pipeline that takes virtual stages has two devices, each with v chunks
      throw new BadInputException(
          "--virtual-stages "
              + v
              + " needs at least 2 x "
              + v
              + " layers, but model '"
              + model.name()
              + "' has "
              + model.layerCount()
              + ". Maybe use --virtual-stages "
              + Math.max(1, model.layerCount() / 2)
              + " or fewer.");
    }
    List<ScheduleKind> out = new ArrayList<>();
    List<ScheduleKind> base = options.kinds().isEmpty() ? availableKinds() : options.kinds();
    for (ScheduleKind k : ScheduleKind.values()) {
      if (!base.contains(k)) {
        continue;
      }
      if (v > 0 && !k.acceptsVirtualStages(v)) {
        if (!options.kinds().isEmpty()) {
          throw new BadInputException(
              "schedule kind '"
                  + k.id()
                  + "' does not take --virtual-stages "
                  + v
                  + " (it takes v = "
                  + virtualStageRange(k)
                  + "). Maybe drop it from --schedules, or use a kind that takes v = "
                  + v
                  + ": "
                  + kindsTaking(v)
                  + ".");
        }
        continue;
      }
      out.add(k);
    }
    if (out.isEmpty()) {
      throw new BadInputException(
          "no available schedule kind takes --virtual-stages "
              + v
              + ". Maybe use --virtual-stages 1 or 2.");
    }
    return List.copyOf(out);
  }

  private static String virtualStageRange(ScheduleKind k) {
    if (k.minVirtualStages() == k.maxVirtualStages()) {
      return String.valueOf(k.minVirtualStages());
    }
    return k.maxVirtualStages() == Integer.MAX_VALUE
        ? k.minVirtualStages() + " or more"
        : k.minVirtualStages() + ".." + k.maxVirtualStages();
  }

  private static String kindsTaking(int v) {
    StringBuilder b = new StringBuilder();
    for (ScheduleKind k : availableKinds()) {
      if (k.acceptsVirtualStages(v)) {
        b.append(b.length() == 0 ? "" : ", ").append(k.id());
      }
    }
    return b.length() == 0 ? "none" : b.toString();
  }

  /**
   * What the options fix of the layout behind a data-parallel degree ("as --pp and --tp fix them"),
   * and, with pp searched, what bounds it.
   */
  private static String fixedClause(SearchOptions options, int wholeLayers) {
    List<String> fixed = new ArrayList<>();
    if (options.fixedPp().isPresent()) {
      fixed.add("--pp");
    }
    if (options.fixedTp().isPresent()) {
      fixed.add("--tp");
    }
    if (options.contextParallel() > 1) {
      fixed.add("--cp");
    }
    StringBuilder b = new StringBuilder();
    if (!fixed.isEmpty()) {
      b.append(", as ").append(words(fixed)).append(fixed.size() == 1 ? " fixes it" : " fix them");
    }
    if (options.fixedPp().isEmpty()) {
      b.append("; pp is at most the model's ").append(wholeLayers).append(" layers");
    }
    return b.toString();
  }

  /** "a", "a and b", "a, b and c". */
  private static String words(List<String> values) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      b.append(i == 0 ? "" : i == values.size() - 1 ? " and " : ", ").append(values.get(i));
    }
    return b.toString();
  }

  /**
   * The global batch is not dp x m x b for any dp the cluster allows with the fixed micro-batch
   * count (and size). With the size fixed too the batch must equal m x b x dp; with it searched, be
   * a multiple of m x dp. Says which, with the dp (the devices over pp x tp x cp) and values that
   * satisfy the rule, never the ones given.
   *
   * @param dpLayouts every data-parallel degree the layouts give, with one (pp, tp, cp) giving it
   */
  private static BadInputException notDivisible(
      int global, int devices, SearchOptions options, Map<Integer, int[]> dpLayouts, int largestB) {
    int m = options.fixedMicroBatches().orElseThrow();
    List<Integer> dps = dpLayouts.keySet().stream().sorted().toList();
    String dpText = dpText(devices, dpLayouts);
    List<String> hints = new ArrayList<>();
    StringBuilder why = new StringBuilder("global batch (").append(global).append(") ");
    if (options.fixedMicroBatchSize().isPresent()) {
      int b = options.fixedMicroBatchSize().getAsInt();
      List<Long> products = dps.stream().map(dp -> (long) m * b * dp).distinct().toList();
      why.append("must equal microbatches (")
          .append(m)
          .append(") x microbatch size (")
          .append(b)
          .append(") x dp, which is ")
          .append(joined(products))
          .append(" with ")
          .append(dpText);
      List<Long> globals =
          nearest(
              products.stream().filter(g -> g <= WorkLimits.MAX_GLOBAL_BATCH).toList(), global, 2);
      if (!globals.isEmpty()) {
        hints.add("--global-batch " + joined(globals));
      }
      List<Long> counts = new ArrayList<>();
      List<Long> sizes = new ArrayList<>();
      for (int dp : dps) {
        if (global % ((long) dp * b) == 0
            && global / ((long) dp * b) <= WorkLimits.MAX_MICRO_BATCHES) {
          counts.add(global / ((long) dp * b));
        }
        if (global % ((long) dp * m) == 0 && global / ((long) dp * m) <= largestB) {
          sizes.add(global / ((long) dp * m));
        }
      }
      if (!counts.isEmpty()) {
        hints.add("--microbatches " + joined(nearest(counts, m, 3)));
      }
      if (!sizes.isEmpty()) {
        hints.add("--microbatch-size " + joined(nearest(sizes, b, 3)));
      }
    } else {
      // any multiple of m x dp works with the smallest dp, whose multiples are the densest
      int dp = dps.get(0);
      long unit = (long) m * dp;
      why.append("is not a multiple of microbatches (")
          .append(m)
          .append(") x dp for ")
          .append(dpText)
          .append(": each replica's samples must split into ")
          .append(m)
          .append(" micro-batches of one size");
      long below = global / unit * unit;
      hints.add(
          "--global-batch "
              + (below > 0 ? below + " or " : "")
              + (below + unit)
              + " (a multiple of "
              + unit
              + ")");
      for (int d : dps) {
        if (global % d == 0) {
          int perReplica = global / d;
          hints.add(
              "--microbatches "
                  + joined(nearestDivisors(perReplica, m, 3))
                  + " (dividing "
                  + perReplica
                  + (d > 1 ? ", the samples of each of " + d + " replicas" : "")
                  + ")");
          break;
        }
      }
    }
    why.append('.');
    if (!hints.isEmpty()) {
      why.append(" Maybe use ");
      for (int i = 0; i < hints.size(); i++) {
        why.append(i == 0 ? "" : ", or ").append(hints.get(i));
      }
      why.append('.');
    }
    return new BadInputException(why.toString());
  }

  /**
   * "dp 1 (16 devices / (pp 2 x tp 2 x cp 4))" for one degree; "dp 1, 2 or 4 (the 16 devices over
   * pp x tp x cp of each layout this search allows)" for several.
   */
  private static String dpText(int devices, Map<Integer, int[]> dpLayouts) {
    List<Integer> dps = dpLayouts.keySet().stream().sorted().toList();
    if (dps.size() == 1) {
      int[] layout = dpLayouts.get(dps.get(0));
      return "dp "
          + dps.get(0)
          + " ("
          + devices
          + " devices / (pp "
          + layout[0]
          + " x tp "
          + layout[1]
          + (layout[2] > 1 ? " x cp " + layout[2] : "")
          + "))";
    }
    boolean cp = dpLayouts.values().stream().anyMatch(layout -> layout[2] > 1);
    return "dp "
        + joined(dps)
        + " (the "
        + devices
        + " devices over pp x tp"
        + (cp ? " x cp" : "")
        + " of each layout this search allows)";
  }

  /** Up to {@code count} distinct values nearest to target, ascending. */
  private static List<Long> nearest(List<Long> values, long target, int count) {
    List<Long> all = new ArrayList<>(values.stream().distinct().toList());
    all.sort(Comparator.<Long>comparingLong(v -> Math.abs(v - target)).thenComparingLong(v -> v));
    List<Long> near = new ArrayList<>(all.subList(0, Math.min(count, all.size())));
    near.sort(Comparator.naturalOrder());
    return near;
  }

  /**
   * The fixed micro-batch size divides no replica's share of the global batch (it may be larger
   * than the whole batch): say so, with the sizes that divide and the global batches that would.
   */
  private static BadInputException microBatchSizeNotDividing(int global, int b, List<Integer> dps) {
    List<Integer> sorted = dps.stream().distinct().sorted().toList();
    int dp = sorted.get(0);
    int perReplica = global / dp;
    StringBuilder why =
        new StringBuilder("microbatch size (")
            .append(b)
            .append(") does not divide the samples each replica gets for any data-parallel degree")
            .append(" this search allows (global batch ")
            .append(global)
            .append(" over dp ")
            .append(joined(sorted))
            .append(", at most ")
            .append(perReplica)
            .append(b > perReplica ? ", fewer than one micro-batch" : "")
            .append("). Maybe use --microbatch-size ")
            .append(joined(nearestDivisors(perReplica, b, 3)))
            .append(" (dividing ")
            .append(perReplica)
            .append("), or --global-batch ");
    long unit = (long) dp * b;
    long below = global / unit * unit;
    if (below > 0) {
      why.append(below).append(" or ");
    }
    why.append(below + unit).append(" (a multiple of ").append(unit).append(')');
    return new BadInputException(why.append('.').toString());
  }

  /** The divisors of n, ascending, in O(sqrt n). */
  public static List<Integer> divisors(int n) {
    List<Integer> small = new ArrayList<>();
    List<Integer> large = new ArrayList<>();
    for (int d = 1; (long) d * d <= n; d++) {
      if (n % d == 0) {
        small.add(d);
        if (d != n / d) {
          large.add(n / d);
        }
      }
    }
    for (int i = large.size() - 1; i >= 0; i--) {
      small.add(large.get(i));
    }
    return small;
  }

  /** Up to {@code count} divisors of n nearest to target, ascending. */
  private static List<Integer> nearestDivisors(int n, int target, int count) {
    List<Integer> all = new ArrayList<>(divisors(n));
    all.sort(
        Comparator.<Integer>comparingLong(d -> Math.abs((long) d - target))
            .thenComparingInt(d -> d));
    List<Integer> near = new ArrayList<>(all.subList(0, Math.min(count, all.size())));
    near.sort(Comparator.naturalOrder());
    return near;
  }

  private static String joined(List<?> values) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      b.append(i == 0 ? "" : i == values.size() - 1 ? " or " : ", ").append(values.get(i));
    }
    return b.toString();
  }

  private static void checkFixedPp(int pp, int layers, int devices, ModelSpec model) {
    if (pp > layers) {
      throw new BadInputException(
          "pp ("
              + pp
              + ") exceeds the layer count ("
              + layers
              + ") of model '"
              + model.name()
              + "'. Maybe use --pp "
              + layers
              + " or fewer.");
    }
    if (pp > devices || devices % pp != 0) {
      throw new BadInputException(
          "pp ("
              + pp
              + ") must divide the cluster's "
              + devices
              + " devices."
              + " Maybe use --pp "
              + largestDivisorAtMost(devices, pp)
              + ".");
    }
  }

  private static int largestDivisorAtMost(int n, int limit) {
    for (int d = Math.min(n, limit); d >= 1; d--) {
      if (n % d == 0) {
        return d;
      }
    }
    return 1;
  }

  /**
   * Refuses a tensor-parallel degree that cannot split the model's attention: tp must divide the
   * heads, and the key/value heads must divide among the ranks or be replicated across them (tp a
   * multiple of them). The rule the search applies to every degree it tries, for a degree given.
   */
  public static void requireTensorParallelSplits(ModelSpec model, int tp) {
    if (tp <= 1) {
      return;
    }
    for (LayerSpec layer : model.layers()) {
      if (layer.shape() instanceof LayerShape.TransformerBlock block) {
        long heads = block.heads().orElse(0);
        long kvHeads = block.kvHeads().orElse(heads);
        if (!splitsAttention(heads, kvHeads, tp)) {
          throw new BadInputException(
              "--tp "
                  + tp
                  + " cannot split "
                  + model.name()
                  + "'s attention: tp must divide its "
                  + heads
                  + " heads, and its "
                  + kvHeads
                  + " key/value heads must divide by tp or tp by them. Maybe use --tp "
                  + largestDivisorAtMost((int) Math.min(Math.max(heads, 1), Integer.MAX_VALUE), tp)
                  + ".");
        }
        return;
      }
    }
  }

  /**
   * Whether tp ranks can split the attention: tp divides the heads, and the key/value heads divide
   * among the ranks or are replicated across them.
   */
  private static boolean splitsAttention(long heads, long kvHeads, int tp) {
    return heads > 0 && heads % tp == 0 && (kvHeads % tp == 0 || tp % kvHeads == 0);
  }

  /**
   * Tensor-parallel degrees: divisors of the devices per node that divide the heads; 1 for measured
   * models.
   */
  static List<Integer> tensorDegrees(ModelSpec model, ClusterSpec cluster, SearchOptions options) {
    // a tensor-parallel group stays inside a node of every group of the cluster: with groups of
    // 4 and of 2 devices per node, tp 4 would put a group on two nodes
    int perNode = 0;
    for (DeviceGroup group : cluster.groups()) {
      perNode =
          java.math.BigInteger.valueOf(perNode)
              .gcd(java.math.BigInteger.valueOf(group.devicesPerNode()))
              .intValueExact();
    }
    long heads = 0;
    long kvHeads = 0;
    boolean measured = options.profile().isPresent();
    for (LayerSpec layer : model.layers()) {
      if (layer.hasMeasuredTimes()) {
        measured = true;
      }
      if (layer.shape() instanceof LayerShape.TransformerBlock block && heads == 0) {
        heads = block.heads().orElse(0);
        kvHeads = block.kvHeads().orElse(heads);
      }
    }
    List<Integer> fitting = new ArrayList<>();
    for (int tp = 1; tp <= perNode; tp++) {
      boolean fits =
          perNode % tp == 0
              && cluster.deviceCount() % tp == 0
              && (tp == 1 || (!measured && splitsAttention(heads, kvHeads, tp)));
      if (fits) {
        fitting.add(tp);
      }
    }
    if (options.fixedTp().isEmpty()) {
      return fitting;
    }
    int asked = options.fixedTp().getAsInt();
    if (fitting.contains(asked)) {
      return List.of(asked);
    }
    String why;
    if (asked > perNode || perNode % asked != 0 || cluster.deviceCount() % asked != 0) {
      why =
          "must divide the "
              + perNode
              + " devices per node"
              + (perNode != cluster.devicesPerNode()
                  ? " that every group of cluster '" + cluster.name() + "' divides into"
                  : "")
              + " (a tensor-parallel group is one node)";
    } else if (measured) {
      why =
          "cannot split measured times (a profile, or a model with measured layers): they are"
              + " the whole layer's on one device";
    } else if (heads == 0) {
      why = "needs attention heads to split, and model '" + model.name() + "' has none";
    } else {
      why =
          "must divide the model's "
              + heads
              + " attention heads"
              + (kvHeads != heads
                  ? ", and its " + kvHeads + " key/value heads must divide by tp or tp by them"
                  : "");
    }
    throw new BadInputException(
        "--tp " + asked + " " + why + ". Maybe use --tp " + joined(fitting) + ".");
  }

  /**
   * Schedule-aware refinement: a deterministic hill-climb with the simulator as the objective. Each
   * round simulates every neighbour of the current partition ({@link PartitionMoves#neighbours})
   * whose devices fit and whose bottleneck is within {@code tolerance} of the optimal one or, with
   * several chunks per device, whose largest device load is within {@code tolerance} of the chunk
   * search's ({@link ChunkPartitioner}); it moves to the best by {@link Evaluation#RANKING} and
   * stops when no neighbour is better, or after 8 rounds.
   */
  public static Evaluation refine(
      CandidateEvaluator evaluator, Evaluation start, double tolerance) {
    try (OrderedParallel parallel = new OrderedParallel(1)) {
      return refine(evaluator, start, tolerance, parallel);
    }
  }

  static Evaluation refine(
      CandidateEvaluator evaluator, Evaluation start, double tolerance, OrderedParallel parallel) {
    Candidate c = start.candidate();
    CompiledSchedule compiled = evaluator.schedule(c.scheduleRequest()).orElseThrow();
    PartitionProblem problem = evaluator.problem(c);
    Optional<Partition> optimal = MinMaxPartitioner.solve(problem);
    long cap =
        optimal.isPresent()
            ? (long) Math.floor(problem.bottleneckNanos(optimal.get()) * (1.0 + tolerance))
            : problem.bottleneckNanos(start.partition());
    long bottleneckCap = Math.max(cap, problem.bottleneckNanos(start.partition()));
    // with several chunks per device the schedules run on a device's summed load, and a partition
    // with a larger chunk can be faster: the filter is then the device load, within the tolerance
    // of the chunk search's
    boolean chunked = problem.stageCount() > problem.deviceCount();
    long loadCap =
        chunked
            ? Math.max(
                largestLoad(problem, start.partition()),
                (long)
                    Math.floor(
                        largestLoad(
                                problem,
                                ChunkPartitioner.improve(
                                    problem, optimal.orElse(start.partition())))
                            * (1.0 + tolerance)))
            : Long.MAX_VALUE;
    int[] stageDevice = CandidateEvaluator.stageDevices(c);
    Evaluation best = start;
    for (int round = 0; round < REFINE_ROUNDS; round++) {
      List<Partition> admissible = new ArrayList<>();
      for (Partition neighbour : PartitionMoves.neighbours(best.partition(), stageDevice)) {
        boolean within =
            problem.bottleneckNanos(neighbour) <= bottleneckCap
                || (chunked && largestLoad(problem, neighbour) <= loadCap);
        if (within && problem.fits(neighbour)) {
          admissible.add(neighbour);
        }
      }
      List<Evaluation> evaluated =
          parallel.map(admissible, neighbour -> evaluator.evaluate(c, compiled, neighbour));
      Evaluation improved = best;
      for (Evaluation e : evaluated) {
        if (e.fits() && Evaluation.RANKING.compare(e, improved) < 0) {
          improved = e;
        }
      }
      if (improved == best) {
        break;
      }
      best = improved;
    }
    return best;
  }

  private static long largestLoad(PartitionProblem problem, Partition partition) {
    long worst = 0;
    for (long load : problem.deviceLoadNanos(partition)) {
      worst = Math.max(worst, load);
    }
    return worst;
  }

  /** The candidates no other beats in both time and peak memory, fastest first, at most 20. */
  static List<Evaluation> pareto(List<Evaluation> evaluations) {
    List<Evaluation> sorted = new ArrayList<>(evaluations);
    sorted.sort(Evaluation.RANKING);
    List<Evaluation> front = new ArrayList<>();
    long lowestMemory = Long.MAX_VALUE;
    for (Evaluation e : sorted) {
      if (e.peakMemoryBytes() < lowestMemory) {
        boolean duplicate = !front.isEmpty() && sameCandidate(front.get(front.size() - 1), e);
        if (!duplicate) {
          front.add(e);
        }
        lowestMemory = e.peakMemoryBytes();
      }
      if (front.size() == MAX_PARETO) {
        break;
      }
    }
    return front;
  }

  private static boolean sameCandidate(Evaluation a, Evaluation b) {
    return a.candidate().equals(b.candidate()) && a.partition().equals(b.partition());
  }

  /** One sentence on why the winner beat the runner-up. */
  static String reason(List<Evaluation> ranked) {
    Evaluation w = ranked.get(0);
    if (ranked.size() < 2) {
      return describe(w) + " is the only candidate that fits in memory.";
    }
    Evaluation r = ranked.get(1);
    long gap = r.iterationNanos() - w.iterationNanos();
    String pct =
        String.format(Locale.ROOT, "%.1f%%", 100.0 * gap / Math.max(1, r.iterationNanos()));
    String lead =
        describe(w) + " beats the runner-up (" + describe(r) + ") by " + ms(gap) + " (" + pct + ")";
    if (gap == 0) {
      return describe(w)
          + " ties with the runner-up ("
          + describe(r)
          + ") in time and wins on "
          + (w.peakMemoryBytes() < r.peakMemoryBytes()
              ? "peak memory ("
                  + gib(w.peakMemoryBytes())
                  + " vs "
                  + gib(r.peakMemoryBytes())
                  + ")."
              // Candidate.ORDER's order, then Evaluation.RANKING's partition text
              : "the fixed tie-break order (smaller pp, tp, cp, dp, b, then schedule kind in"
                  + " the order pipeplan lists them, v, in-flight cap, then the layers per stage"
                  + " compared as text).");
    }
    long[] wParts = parts(w);
    long[] rParts = parts(r);
    String[] names = {
      "pipeline compute (per device, on average) takes",
      "pipeline bubble",
      "gradient all-reduce takes",
      "optimizer step takes"
    };
    int biggest = 0;
    for (int i = 1; i < wParts.length; i++) {
      if (rParts[i] - wParts[i] > rParts[biggest] - wParts[biggest]) {
        biggest = i;
      }
    }
    if (biggest == 1) {
      return lead
          + ": its pipeline bubble is "
          + percent(bubbleRatio(w))
          + " ("
          + ms(bubbleNanos(w))
          + ") against "
          + percent(bubbleRatio(r))
          + " ("
          + ms(bubbleNanos(r))
          + ")"
          + (w.postValidated().isPresent() || r.postValidated().isPresent()
              ? "; a steady-state period's bubble holds the gradient sync and the optimizer step"
                  + " that run between its iterations"
              : "")
          + ".";
    }
    return lead
        + ": its "
        + names[biggest]
        + " "
        + ms(wParts[biggest])
        + " against "
        + ms(rParts[biggest])
        + ".";
  }

  /**
   * The bubble ratio the table shows: over the steady-state period when the step is post-validated.
   */
  static double bubbleRatio(Evaluation e) {
    return e.postValidated().isPresent()
        ? e.postValidated().get().bubbleRatio()
        : e.pipeline().bubbleRatio();
  }

  /**
   * The table's bubble as time: its ratio of the pipeline time, or of the steady-state period
   * (which holds the sync and the step) when the step is post-validated; the average device's idle.
   */
  static long bubbleNanos(Evaluation e) {
    return e.postValidated().isPresent()
        ? Math.round(e.postValidated().get().bubbleRatio() * e.postValidated().get().periodNanos())
        : Math.round(e.pipeline().bubbleRatio() * e.pipeline().iterationNanos());
  }

  /**
   * Compute, bubble, all-reduce, optimizer. The bubble is the one definition used everywhere (the
   * table, the plan JSON, the report): {@code 1 - busy / (p * pipeline time)} of the pipeline part,
   * here as time: that ratio of the pipeline time, which is the average device's idle time. Compute
   * is the rest of the pipeline time, the average device's busy time. With the step post-validated,
   * the parts of the steady-state period.
   */
  static long[] parts(Evaluation e) {
    if (e.postValidated().isPresent()) {
      // The steady-state period holds the sync and the step; the bubble is what is left of it
      // after the average device's busy time.
      long period = e.postValidated().get().periodNanos();
      long busy = Math.round((1 - e.postValidated().get().bubbleRatio()) * period);
      long idle = Math.max(0, period - busy - e.dataParallelSyncNanos() - e.optimizerStepNanos());
      return new long[] {busy, idle, e.dataParallelSyncNanos(), e.optimizerStepNanos()};
    }
    long pipeline = e.pipeline().iterationNanos();
    long bubble = Math.round(e.pipeline().bubbleRatio() * pipeline);
    return new long[] {
      pipeline - bubble, bubble, e.dataParallelSyncNanos(), e.optimizerStepNanos()
    };
  }

  private static String percent(double ratio) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * ratio);
  }

  private static String describe(Evaluation e) {
    return e.candidate().describe();
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
  }

  /**
   * gib(), or MiB below a tenth of a GiB, KiB below a tenth of a MiB and bytes below a KiB, so that
   * a small overshoot or limit does not read "0.0 GiB".
   */
  static String amount(long bytes) {
    if (bytes >= GIB / 10) {
      return gib(bytes);
    }
    if (bytes >= 1024 * 1024 / 10) {
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
    if (bytes >= 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return bytes + " B";
  }

  static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.1f GiB", bytes / GIB);
  }

  /** How many over-memory candidates the error message simulates to report a real peak. */
  private static final int CLOSEST_SIMULATED = 8;

  private static BadInputException nothingFits(
      CandidateEvaluator evaluator,
      SearchOptions options,
      List<Candidate> candidates,
      List<Candidate> overMemory,
      Evaluation closest) {
    if (overMemory.isEmpty()) {
      return new BadInputException(
          "no schedule kind accepts any of the "
              + candidates.size()
              + " candidates. Maybe allow more kinds with --schedules, or more micro-batches.");
    }
    // Candidates the search rejected before simulating them: rank them by the partition model's
    // estimate, then simulate the closest few with their least-over partition, so that the message
    // reports a simulated peak, never an estimate that may be under the limit.
    List<Candidate> estimated = new ArrayList<>();
    List<Long> estimatedOver = new ArrayList<>();
    List<Partition> estimatedPartition = new ArrayList<>();
    for (Candidate c : overMemory) {
      if (closest != null && c.equals(closest.candidate())) {
        continue;
      }
      PartitionProblem problem;
      try {
        problem = evaluator.problem(c);
      } catch (BadInputException e) {
        continue;
      }
      Partition p = MinMaxPartitioner.leastOverMemory(problem);
      long[] use = problem.deviceMemoryUse(p);
      long over = Long.MIN_VALUE;
      for (int d = 0; d < use.length; d++) {
        over = Math.max(over, use[d] - problem.deviceMemoryBytes(d));
      }
      estimated.add(c);
      estimatedOver.add(over);
      estimatedPartition.add(p);
    }
    Integer[] order = new Integer[estimated.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order,
        Comparator.<Integer>comparingLong(estimatedOver::get)
            .thenComparing(estimated::get, Candidate.ORDER));
    Evaluation best = closest;
    for (int i = 0; i < Math.min(CLOSEST_SIMULATED, order.length); i++) {
      Candidate c = estimated.get(order[i]);
      Optional<Evaluation> simulated = evaluator.simulate(c, estimatedPartition.get(order[i]));
      if (simulated.isEmpty()) {
        continue;
      }
      Evaluation e = simulated.get();
      if (!e.fits() && (best == null || e.overMemoryBytes() < best.overMemoryBytes())) {
        best = e;
      }
    }
    // 0: no closest candidate, so its data-parallel degree is unknown
    long fixedBytes = best == null ? 0 : fixedBytes(evaluator, best);
    long closestLimit =
        best == null
            ? Long.MAX_VALUE
            : evaluator.memoryLimit(best.candidate().parallelism(), best.overMemoryDevice());
    boolean activationsCannotHelp = fixedBytes >= closestLimit;
    String hints =
        memoryHints(
            evaluator,
            options,
            best == null ? null : best.candidate().parallelism(),
            activationsCannotHelp);
    if (best == null) {
      return new BadInputException(
          "no plan fits in memory: all "
              + overMemory.size()
              + " candidates the schedule kinds accept are over their devices' memory. Maybe use "
              + hints
              + ".");
    }
    Parallelism par = best.candidate().parallelism();
    int device = best.overMemoryDevice();
    long peak = best.pipeline().devices().get(device).peakMemoryBytes();
    long limit = evaluator.memoryLimit(par, device);
    return new BadInputException(
        "no plan fits in memory: the closest candidate ("
            + best.candidate().describe()
            + ", layers per stage "
            + best.partition()
            + ") peaks at "
            + amount(peak)
            + " on pipeline device "
            + device
            + " ("
            + evaluator.cluster().device(evaluator.clusterDevice(par, device)).name()
            + "), "
            + amount(peak - limit)
            + " over its limit of "
            + amount(limit)
            + (activationsCannotHelp
                ? "; its weights, gradients and optimizer state alone take "
                    + amount(fixedBytes)
                    + " there, so fewer activations cannot make it fit ("
                    + devicesForFixedBytes(best, limit, evaluator.training().optimizerSharding())
                    + ")"
                : "")
            + ". Maybe use "
            + hints
            + ".");
  }

  /**
   * How many devices the weights, gradients and optimizer state need, counting those that split
   * them. Without ZeRO-3 only pp and tp do: every context-parallel rank (like every replica) holds
   * its stage's in full, so more cp devices do not help. With ZeRO-3 they are sharded over the dp x
   * cp ranks of each stage too, and the devices count in all.
   */
  private static String devicesForFixedBytes(Evaluation e, long limit, OptimizerSharding sharding) {
    Parallelism par = e.candidate().parallelism();
    long slice = sliceFixedBytes(e);
    if (sharding == OptimizerSharding.ZERO3) {
      long total = Math.multiplyExact(slice, (long) par.gradientGroup());
      return "the model's take "
          + amount(total)
          + " in all: at least "
          + ceilDiv(total, limit)
          + " devices of "
          + amount(limit)
          + ", over which --zero 3 shards them";
    }
    if (par.cp() == 1) {
      return "one replica's take "
          + amount(slice)
          + ": at least "
          + ceilDiv(slice, limit)
          + " devices of "
          + amount(limit)
          + zeroClause(sharding, 1);
    }
    long splitting = (long) par.pp() * par.tp();
    return "each of the "
        + par.cp()
        + " cp ranks holds its stage's in full, so only pp and tp split them: the pp x tp = "
        + splitting
        + (splitting == 1 ? " device of one cp rank holds " : " devices of one cp rank hold ")
        + amount(slice)
        + ", which needs pp x tp of at least "
        + ceilDiv(slice, limit)
        + " devices of "
        + amount(limit)
        + zeroClause(sharding, par.cp());
  }

  /**
   * What sharding over data (and context) parallelism could still do for weights that fill the
   * devices (not called for ZeRO-3, whose weights are sharded already): ZeRO-1 and 2 leave the
   * weights (and ZeRO-1 the gradients) on every rank.
   */
  private static String zeroClause(OptimizerSharding sharding, int cp) {
    String over = cp > 1 ? "over the dp x cp ranks" : "over data parallelism";
    return switch (sharding) {
      case NONE -> ", unless --zero shards them " + over;
      case ZERO1 -> ", unless --zero 3 shards the weights and gradients " + over + " too";
      case ZERO2 -> ", unless --zero 3 shards the weights " + over + " too";
      case ZERO3 -> "";
    };
  }

  /**
   * The weights, gradients and optimizer state of all stages over every tensor rank: what the pp x
   * tp devices of one replica (of one context-parallel rank) hold between them.
   */
  private static long sliceFixedBytes(Evaluation e) {
    long bytes = 0;
    for (StageCost cost : e.stageCosts()) {
      bytes = Math.addExact(bytes, cost.staticBytes());
    }
    return Math.multiplyExact(bytes, (long) e.candidate().parallelism().tp());
  }

  private static long ceilDiv(long value, long divisor) {
    return (value + divisor - 1) / divisor;
  }

  /**
   * What the fullest device of an evaluation holds whatever its activations: the weights, gradients
   * and optimizer state of its stages.
   */
  private static long fixedBytes(CandidateEvaluator evaluator, Evaluation e) {
    // zb-auto and the V kinds re-order their actions by costs, but keep the unit-cost placement
    List<Integer> stageToDevice =
        evaluator
            .schedule(e.candidate().scheduleRequest())
            .map(compiled -> compiled.schedule().stageToDevice())
            .orElse(List.of());
    long bytes = 0;
    for (int s = 0; s < stageToDevice.size() && s < e.stageCosts().size(); s++) {
      if (stageToDevice.get(s) == e.overMemoryDevice()) {
        bytes += e.stageCosts().get(s).staticBytes();
      }
    }
    return bytes;
  }

  /** The sequence length from which a no-fit message suggests context parallelism. */
  private static final int LONG_SEQUENCE = 16384;

  /**
   * What the user can change to need less memory per device, given what they fixed; ZeRO only helps
   * a candidate with ranks to shard over, data- or context-parallel ({@code closest} null when
   * unknown).
   */
  private static String memoryHints(
      CandidateEvaluator evaluator,
      SearchOptions options,
      Parallelism closest,
      boolean activationsCannotHelp) {
    List<String> hints = new ArrayList<>();
    hints.add("more devices");
    if (options.fixedPp().isPresent()) {
      hints.add("a larger --pp than " + options.fixedPp().getAsInt() + " (or none, to search it)");
    }
    if (options.fixedTp().isPresent()) {
      hints.add("a larger --tp than " + options.fixedTp().getAsInt() + " (or none, to search it)");
    }
    if (!activationsCannotHelp) {
      if (options.fixedMicroBatchSize().orElse(0) > 1) {
        hints.add("a smaller --microbatch-size than " + options.fixedMicroBatchSize().orElse(0));
      }
      switch (evaluator.training().recompute()) {
        case NONE -> hints.add(RECOMPUTE_HINT + " selective or full");
        case SELECTIVE -> hints.add(RECOMPUTE_HINT + " full");
        case FULL -> {}
      }
      int cp = options.contextParallel();
      int seq = evaluator.training().sequenceLength();
      // only a --cp the next run would take: with the fixed pp and tp it still divides the
      // devices, and the model's costs can be split
      long fixedDevices = 2L * cp * options.fixedPp().orElse(1) * options.fixedTp().orElse(1);
      if (cp > 0
          && seq >= LONG_SEQUENCE
          && seq % (4L * cp) == 0
          && evaluator.cluster().deviceCount() % fixedDevices == 0
          && hasShapedAttention(evaluator.model())
          && !isMeasured(evaluator.model(), options)) {
        hints.add(
            "--cp "
                + 2 * cp
                + " (context parallelism: each sequence's activations split over "
                + 2 * cp
                + " devices)");
      }
    }
    if ((closest == null || closest.gradientGroup() > 1)
        && evaluator.training().optimizerSharding() != OptimizerSharding.ZERO3) {
      hints.add(
          "a higher --zero stage (1 shards the optimizer, 2 also the gradients, 3 also the weights"
              + (closest != null && closest.cp() > 1
                  ? " over the dp x cp ranks)"
                  : " over data parallelism)"));
    }
    if (!activationsCannotHelp
        && !options.kinds().isEmpty()
        && !options.kinds().contains(ScheduleKind.ZB_AUTO)
        && availableKinds().contains(ScheduleKind.ZB_AUTO)) {
      hints.add("--schedules with zb-auto (it fits its micro-batches in flight to the memory)");
    }
    long largestDevice = 0;
    for (int d = 0; d < evaluator.cluster().deviceCount(); d++) {
      largestDevice = Math.max(largestDevice, evaluator.cluster().device(d).memoryBytes());
    }
    if (options.memoryLimitBytes().isPresent()
        && options.memoryLimitBytes().getAsLong() < largestDevice) {
      hints.add("a larger --memory-limit (up to the devices' " + gib(largestDevice) + ")");
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < hints.size(); i++) {
      b.append(i == 0 ? "" : i == hints.size() - 1 ? " or " : ", ").append(hints.get(i));
    }
    return b.toString();
  }
}
