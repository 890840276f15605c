package dev.pipeplan.planner.search;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.PlanLinks;
import dev.pipeplan.planner.PostValidatedStep;
import dev.pipeplan.planner.partition.ChunkPartitioner;
import dev.pipeplan.planner.partition.MakespanPartitioner;
import dev.pipeplan.planner.partition.MinMaxPartitioner;
import dev.pipeplan.planner.partition.MipPartitioner;
import dev.pipeplan.planner.partition.PartitionProblem;
import dev.pipeplan.simulator.cost.CostModel;
import dev.pipeplan.simulator.cost.CostRequest;
import dev.pipeplan.simulator.cost.CostSources;
import dev.pipeplan.simulator.cost.HandOffGathers;
import dev.pipeplan.simulator.cost.IterationCosts;
import dev.pipeplan.simulator.cost.LinkModel;
import dev.pipeplan.simulator.cost.MeasuredCostModel;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.engine.CompiledSchedule;
import dev.pipeplan.simulator.engine.GeneratorCosts;
import dev.pipeplan.simulator.engine.Simulator;
import dev.pipeplan.simulator.engine.SteadyState;
import dev.pipeplan.simulator.engine.SteadyStateSimulator;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import dev.pipeplan.simulator.timeline.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Costs, partitions and simulates candidates of one search: one model, training setup and cluster.
 * It caches what candidates share (per-layer costs per (b, tp), compiled schedules per (kind, pp,
 * m, v)); the caches are looked up, never iterated, so results do not depend on hash order, and
 * they are concurrent maps, so the search may evaluate candidates on several threads. The cost
 * source comes from {@link CostSources#choose}, and the terms outside the schedule (memory limits,
 * data-parallel sync, optimizer step) from {@link IterationCosts}.
 */
public final class CandidateEvaluator {
  /**
   * The MIP runs inside the search only on problems this small (it is exact but far slower than the
   * DP).
   */
  static final int MIP_IN_SEARCH_BINARIES = 64;

  private final ModelSpec model;
  private final TrainingSpec training;
  private final ClusterSpec cluster;
  private final SearchOptions options;
  private final DeviceSpec reference;
  private final CostModel costModel;
  private final long actionOverheadNanos;
  private final long[] layerParameters;
  private final Map<LayerCostsKey, LayerCosts> layerCosts = new ConcurrentHashMap<>();
  private final Map<ScheduleRequest, Optional<CompiledSchedule>> schedules =
      new ConcurrentHashMap<>();
  private final Map<Parallelism, IterationCosts> iterationCosts = new ConcurrentHashMap<>();
  private final Map<Parallelism, Long> syncLowerBounds = new ConcurrentHashMap<>();

  public CandidateEvaluator(
      ModelSpec model, TrainingSpec training, ClusterSpec cluster, SearchOptions options) {
    this.model = Objects.requireNonNull(model, "model");
    this.training = Objects.requireNonNull(training, "training");
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.options = Objects.requireNonNull(options, "options");
    this.reference = cluster.device(0);
    this.costModel = CostSources.choose(model, training, cluster, options.profile());
    boolean measured = costModel instanceof MeasuredCostModel;
    this.actionOverheadNanos = measured ? 0 : reference.launchOverheadNanos();
    this.layerParameters = new long[model.layerCount()];
    for (int i = 0; i < layerParameters.length; i++) {
      layerParameters[i] = model.layer(i).parameterCount();
    }
  }

  public ModelSpec model() {
    return model;
  }

  public TrainingSpec training() {
    return training;
  }

  public SearchOptions options() {
    return options;
  }

  public ClusterSpec cluster() {
    return cluster;
  }

  /**
   * Per-layer costs for micro-batch size b and a parallelism's tp, dp and cp on the reference
   * device (device 0).
   */
  public LayerCosts layerCosts(int b, Parallelism par) {
    return layerCosts.computeIfAbsent(
        new LayerCostsKey(b, par.tp(), par.dp(), par.cp()),
        k ->
            LayerCosts.of(
                costModel, layerParameters, b, par.tp(), par.dp(), par.cp(), actionOverheadNanos));
  }

  private record LayerCostsKey(int b, int tp, int dp, int cp) {}

  /** The cost model every candidate is priced with. */
  public CostModel costModel() {
    return costModel;
  }

  /**
   * The cluster devices of the pipeline devices' first replica: the first of each tensor-parallel
   * group.
   */
  public List<Integer> clusterDevices(Parallelism par) {
    List<Integer> out = new ArrayList<>(par.pp());
    for (int d = 0; d < par.pp(); d++) {
      out.add(clusterDevice(par, d));
    }
    return out;
  }

  /** The compiled schedule of a request, or empty when the kind rejects it. */
  public Optional<CompiledSchedule> schedule(ScheduleRequest request) {
    return schedules.computeIfAbsent(
        request,
        r -> {
          try {
            return Optional.of(CompiledSchedule.of(ScheduleGenerators.generate(r)));
          } catch (BadInputException e) {
            return Optional.empty();
          }
        });
  }

  /** The cluster device of a pipeline device's first replica and tensor rank. */
  public int clusterDevice(Parallelism par, int pipelineDevice) {
    return par.clusterDevice(pipelineDevice, 0, 0);
  }

  /** Speed of a pipeline device relative to the reference device. */
  public double speed(Parallelism par, int pipelineDevice) {
    DeviceSpec d = cluster.device(clusterDevice(par, pipelineDevice));
    return d == reference
        ? 1.0
        : d.flopsPerSecond(training.dtype()) / reference.flopsPerSecond(training.dtype());
  }

  /** The memory a pipeline device may use ({@link IterationCosts#memoryLimitBytes}). */
  public long memoryLimit(Parallelism par, int pipelineDevice) {
    return iterationCosts(par).memoryLimitBytes(pipelineDevice);
  }

  /**
   * The iteration's terms outside the schedule (memory limits, data-parallel sync, optimizer step)
   * for a parallelism: its replicas placed in Megatron's tp-cp-dp-pp order; the gradients are
   * reduced, and the optimizer sharded, over every replica's every context-parallel rank.
   */
  public IterationCosts iterationCosts(Parallelism par) {
    return iterationCosts.computeIfAbsent(
        par,
        p -> {
          List<List<Integer>> replicas = new ArrayList<>(p.pp());
          for (int d = 0; d < p.pp(); d++) {
            List<Integer> of = new ArrayList<>(p.gradientGroup());
            for (int r = 0; r < p.dp(); r++) {
              for (int k = 0; k < p.cp(); k++) {
                of.add(p.clusterDevice(d, r, k, 0));
              }
            }
            replicas.add(of);
          }
          return new IterationCosts(
              model, training, cluster, p.tp(), replicas, options.memoryLimitBytes());
        });
  }

  /** The links between pipeline devices, as the prediction uses them. */
  public PlanLinks links(Parallelism par) {
    List<Integer> nodes = new ArrayList<>(par.pp());
    for (int d = 0; d < par.pp(); d++) {
      nodes.add(cluster.nodeOf(clusterDevice(par, d)));
    }
    if (options.profile().isPresent()) {
      LinkSpec handoff = options.profile().get().handoffLink();
      return new PlanLinks(handoff, handoff, nodes);
    }
    return new PlanLinks(cluster.intraNodeLink(), cluster.interNodeLink(), nodes);
  }

  /**
   * The partition problem of a candidate under its schedule (stage placement and in-flight counts).
   */
  public PartitionProblem problem(Candidate c) {
    Parallelism par = c.parallelism();
    LayerCosts costs = layerCosts(c.microBatchSize(), par);
    int stages = c.stageCount();
    int[] stageDevice = stageDevices(c);
    int[] inFlight = new int[stages];
    int[] perDevice = inFlightPerDevice(c);
    for (int s = 0; s < stages; s++) {
      inFlight[s] = (perDevice[stageDevice[s]] + c.virtualStages() - 1) / c.virtualStages();
    }
    double[] speeds = new double[par.pp()];
    long[] limits = new long[par.pp()];
    for (int d = 0; d < par.pp(); d++) {
      speeds[d] = speed(par, d);
      // Full recomputation's one-layer workspace, reserved once per device.
      limits[d] = Math.max(0, memoryLimit(par, d) - costs.maxWorkspaceBytes());
    }
    PartitionProblem problem =
        PartitionProblem.of(
            costs.workNanos(),
            costs.staticBytes(),
            costs.activationBytes(),
            stageDevice,
            speeds,
            limits,
            inFlight);
    if (!hasClosedFormMakespan(c) || stages < 2) {
      return problem;
    }
    // the round trip across each possible boundary, for the makespan partitioner: the transfer
    // each way and, for a scattered hand-off, the receivers' gather each way (every stage of these
    // kinds is on its own device)
    long[] output = costs.outputBytes();
    long[] gathers =
        HandOffGathers.afterEachLayer(
            model, training, c.microBatchSize(), par.tp(), par.cp(), cluster.intraNodeLink());
    LinkModel links = links(par).toLinkModel();
    long[][] cuts = new long[stages - 1][output.length];
    for (int s = 0; s + 1 < stages; s++) {
      for (int i = 0; i < output.length; i++) {
        cuts[s][i] =
            2 * (links.transferNanos(stageDevice[s], stageDevice[s + 1], output[i]) + gathers[i]);
      }
    }
    return problem.withCutNanos(cuts);
  }

  /**
   * Whether a candidate's pipeline time has the closed form {@link MakespanPartitioner} optimises:
   * GPipe and 1F1B without virtual stages.
   */
  static boolean hasClosedFormMakespan(Candidate c) {
    return c.virtualStages() == 1
        && (c.kind() == ScheduleKind.ONE_F_ONE_B || c.kind() == ScheduleKind.GPIPE);
  }

  /** The pipeline device of each global virtual stage: V-shaped for the V kinds, else looped. */
  static int[] stageDevices(Candidate c) {
    int pp = c.parallelism().pp();
    List<Integer> map =
        c.kind().vShaped() && c.virtualStages() == 2
            ? Schedule.vShapePlacement(pp)
            : Schedule.loopedPlacement(pp, c.virtualStages());
    int[] out = new int[map.size()];
    for (int s = 0; s < out.length; s++) {
      out[s] = map.get(s);
    }
    return out;
  }

  /**
   * Activation sets each device holds at its peak under the candidate's kind, or empty if the kind
   * rejects it.
   */
  static int[] inFlightPerDevice(Candidate c) {
    ScheduleRequest request = c.scheduleRequest();
    int[] perDevice = new int[c.parallelism().pp()];
    for (int d = 0; d < perDevice.length; d++) {
      perDevice[d] = ScheduleGenerators.maxInFlight(request, d);
    }
    return perDevice;
  }

  /**
   * True when the candidate cannot fit whatever the partition: the average device's share of the
   * static bytes plus the fewest in-flight activations already exceeds the largest device limit.
   * Cheap: no DP, no schedule.
   */
  public boolean surelyOverMemory(Candidate c) {
    Parallelism par = c.parallelism();
    LayerCosts costs = layerCosts(c.microBatchSize(), par);
    int[] perDevice;
    try {
      perDevice = inFlightPerDevice(c);
    } catch (BadInputException e) {
      return false;
    }
    int fewest = Integer.MAX_VALUE;
    for (int f : perDevice) {
      fewest = Math.min(fewest, f);
    }
    long stat = 0;
    long act = 0;
    for (long x : costs.staticBytes()) {
      stat += x;
    }
    for (long x : costs.activationBytes()) {
      act += x;
    }
    long largestLimit = 0;
    for (int d = 0; d < par.pp(); d++) {
      largestLimit = Math.max(largestLimit, memoryLimit(par, d));
    }
    double perChunkInFlight = (double) fewest / c.virtualStages();
    double average =
        (stat + Math.floor(perChunkInFlight) * act) / par.pp() + costs.maxWorkspaceBytes();
    return average > largestLimit;
  }

  /**
   * For the memory-limited zero-bubble kind, the candidate with the largest in-flight cap every
   * device's memory admits under this partition ({@code (limit - static) / activations per
   * micro-batch}, the smallest over the devices, at least 1, at most m: Qi et al.'s warm-up sized
   * by the memory limit); no cap (0) when that is the kind's own default, 2p - 1. Above 2p - 1 each
   * extra micro-batch in flight lets the first device run one more forward before its first
   * backward, which hides more of the round trip when W is short against F and I (docs/design.md,
   * "zb-auto's memory limit"). Other kinds come back unchanged.
   */
  public Candidate withFittingInFlightCap(Candidate c, Partition partition) {
    if (c.kind() != ScheduleKind.ZB_AUTO) {
      return c;
    }
    int pp = c.parallelism().pp();
    int[] stageDevice = stageDevices(c);
    long[] stat = new long[pp];
    long[] act = new long[pp];
    long[] workspace = new long[pp];
    List<StageCost> costs = stageCosts(c, partition);
    for (int s = 0; s < costs.size(); s++) {
      stat[stageDevice[s]] += costs.get(s).staticBytes();
      workspace[stageDevice[s]] =
          Math.max(workspace[stageDevice[s]], costs.get(s).workspaceBytes());
      act[stageDevice[s]] += costs.get(s).activationBytes();
    }
    long cap = Math.max(2L * pp - 1, c.microBatchCount());
    for (int d = 0; d < pp; d++) {
      if (act[d] > 0) {
        cap = Math.min(cap, (memoryLimit(c.parallelism(), d) - stat[d] - workspace[d]) / act[d]);
      }
    }
    cap = Math.max(1, cap);
    return c.withMaxInFlight(cap == 2L * pp - 1 ? 0 : (int) cap);
  }

  /**
   * The best partition of a candidate: the exact min-max DP; when its chunks fit one by one but a
   * device's sum does not (v > 1), the MIP over device sums where it is small enough, else the
   * chunk local search ({@link ChunkPartitioner}). Empty when nothing fits.
   */
  public Optional<Partition> partition(PartitionProblem problem) {
    Optional<Partition> dp = MinMaxPartitioner.solve(problem);
    if (dp.isPresent() && problem.fits(dp.get())) {
      return dp;
    }
    boolean chunked = problem.stageCount() > problem.deviceCount();
    if (!chunked) {
      return Optional.empty();
    }
    if ((long) problem.layerCount() * problem.stageCount() <= MIP_IN_SEARCH_BINARIES) {
      return MipPartitioner.solve(problem);
    }
    return ChunkPartitioner.solve(problem);
  }

  /**
   * Partitions worth simulating besides {@code first} ({@link #partition}'s): for GPipe and 1F1B
   * the exact optimum of their closed-form makespan ({@link MakespanPartitioner}); with several
   * chunks per device the chunk local search's ({@link ChunkPartitioner}); each only when it
   * differs from {@code first} and fits. The simulator decides between them.
   */
  public List<Partition> alternatives(Candidate c, PartitionProblem problem, Partition first) {
    if (problem.stageCount() > problem.deviceCount()) {
      Partition balanced = ChunkPartitioner.improve(problem, first);
      return balanced.equals(first) || !problem.fits(balanced) ? List.of() : List.of(balanced);
    }
    if (problem.stageCount() < 2) {
      return List.of();
    }
    if (!hasClosedFormMakespan(c)) {
      if (!options.postValidates(c.kind())) {
        return List.of();
      }
      LayerCosts costs = layerCosts(c.microBatchSize(), c.parallelism());
      Optional<Partition> chain =
          chainBoundPartition(
              problem,
              costs.chainNanos(),
              c.microBatchCount(),
              costs.actionOverheadNanos(),
              roundTripsBefore(c, costs));
      return chain.isEmpty() || chain.get().equals(first) || !problem.fits(chain.get())
          ? List.of()
          : List.of(chain.get());
    }
    // with one stage per device, first is the min-max DP's partition (the MIP is for chunks)
    Partition makespan = MakespanPartitioner.solve(problem, c.microBatchCount(), first);
    return makespan.equals(first) ? List.of() : List.of(makespan);
  }

  /**
   * For a schedule whose optimizer step is post-validated, with one stage per device: the partition
   * minimising the larger of two lower bounds on the period ({@code docs/design.md}, "Partitions
   * for a post-validated step"). Each device's m micro-batches of work, and the chain through
   * device d: the first micro-batch's forward reaches d after the earlier devices' F, d then runs F
   * and I for every micro-batch, and the last input gradient goes back through the earlier devices'
   * I before device 0 can step, so device 0's span is at least {@code sum over j < d of (F_j + I_j)
   * + m (F_d + I_d)}, each action with its overhead and each boundary with its round trip ({@code
   * roundTripsBefore}, per stage). The min-max partition of work alone ignores where the chain's F
   * + I sits; a device late in the pipeline with a heavy forward (an LM head's cross-entropy)
   * lengthens the period although its total is average.
   */
  static Optional<Partition> chainBoundPartition(
      PartitionProblem problem,
      long[] chain,
      int microBatches,
      long actionOverheadNanos,
      long[] roundTripsBefore) {
    long[] prefix = new long[chain.length + 1];
    for (int i = 0; i < chain.length; i++) {
      prefix[i + 1] = prefix[i] + chain[i];
    }
    double m = microBatches;
    double overhead = actionOverheadNanos;
    return MinMaxPartitioner.solve(
        problem,
        (stage, first, end) -> {
          if (!problem.stageFits(stage, first, end)) {
            return Long.MAX_VALUE;
          }
          double speed = problem.deviceSpeed(problem.deviceOf(stage));
          double work = m * (problem.stageNanos(stage, first, end) + 3 * overhead);
          double before = prefix[first] / speed + stage * 2 * overhead + roundTripsBefore[stage];
          double path = before + m * ((prefix[end] - prefix[first]) / speed + 2 * overhead);
          return (long) Math.min(Long.MAX_VALUE / 2.0, Math.max(work, path));
        });
  }

  /**
   * Per stage s, the least time micro-batch 0 spends crossing the boundaries before it and its
   * input gradient crossing them back: the round trip of the smallest tensor any cut passes (a
   * block's residual stream) over each link between the stages before s, so the chain bound stays a
   * lower bound whatever the cuts.
   */
  private long[] roundTripsBefore(Candidate c, LayerCosts costs) {
    int[] devices = stageDevices(c);
    long[] output = costs.outputBytes();
    long smallest = Long.MAX_VALUE;
    for (int i = 0; i + 1 < output.length; i++) {
      if (output[i] > 0) {
        smallest = Math.min(smallest, output[i]);
      }
    }
    long[] before = new long[devices.length];
    if (smallest == Long.MAX_VALUE) {
      return before;
    }
    LinkModel links = links(c.parallelism()).toLinkModel();
    for (int s = 1; s < devices.length; s++) {
      before[s] = before[s - 1] + 2 * links.transferNanos(devices[s - 1], devices[s], smallest);
    }
    return before;
  }

  /** The stage costs of a partition, from the cost model. */
  public List<StageCost> stageCosts(Candidate c, Partition partition) {
    int[] devices = stageDevices(c);
    List<Integer> stageToDevice = new ArrayList<>(devices.length);
    for (int d : devices) {
      stageToDevice.add(d);
    }
    CostRequest request =
        new CostRequest(
            partition,
            c.microBatchSize(),
            stageToDevice,
            clusterDevices(c.parallelism()),
            c.parallelism().tp(),
            c.parallelism().dp(),
            c.parallelism().cp());
    return costModel.stageCosts(request).stages();
  }

  /**
   * A lower bound on a candidate's iteration time before partitioning: every device runs at least
   * an even share of the work of m micro-batches at the fastest speed, each action paying its
   * overhead, plus a lower bound of the gradient sync.
   */
  public long lowerBoundNanos(Candidate c) {
    Parallelism par = c.parallelism();
    LayerCosts costs = layerCosts(c.microBatchSize(), par);
    long total = Math.max(0, costs.totalWorkNanos() - costs.layerCount());
    double fastest = 0;
    for (int d = 0; d < par.pp(); d++) {
      fastest = Math.max(fastest, speed(par, d));
    }
    long perMicroBatch = (long) Math.floor(total / fastest / par.pp());
    long actions = (long) c.virtualStages() * (c.kind().splitsBackward() ? 3 : 2);
    return c.microBatchCount() * (perMicroBatch + actions * costs.actionOverheadNanos())
        + syncLowerBounds.computeIfAbsent(
            par, p -> iterationCosts(p).dataParallelSyncLowerBoundNanos());
  }

  /**
   * The bound after partitioning, valid for every schedule: some device d must run all its actions
   * (m times its stages' F + I + W), and it cannot start before micro-batch 0's forward has passed
   * every stage before its first one; so the pipeline takes at least {@code max over d of
   * (startup(d) + busy(d))}; a steady-state period (the step post-validated) at least busy(d), the
   * start-up being paid once per run. With an in-flight cap k (zb-auto), device 0 runs at most k
   * micro-batches at a time, each for at least its round trip, so the pipeline also takes at least
   * {@code ceil(m / k)} round trips.
   */
  public long lowerBoundNanos(Candidate c, List<StageCost> stageCosts) {
    int[] stageDevice = stageDevices(c);
    int pp = c.parallelism().pp();
    long[] busy = new long[pp];
    long[] startup = new long[pp];
    boolean[] seen = new boolean[pp];
    long forwardSoFar = 0;
    for (int s = 0; s < stageCosts.size(); s++) {
      StageCost sc = stageCosts.get(s);
      int d = stageDevice[s];
      busy[d] += sc.forwardNanos() + sc.backwardInputNanos() + sc.backwardWeightNanos();
      if (!seen[d]) {
        seen[d] = true;
        startup[d] = forwardSoFar;
      }
      forwardSoFar += sc.forwardNanos();
    }
    // With the step post-validated, the start-up is paid once per run, not per period.
    boolean periodic = options.postValidates(c.kind());
    long worst = 0;
    for (int d = 0; d < pp; d++) {
      worst = Math.max(worst, (periodic ? 0 : startup[d]) + busy[d] * c.microBatchCount());
    }
    int cap = c.maxInFlightMicroBatches();
    if (cap > 0 && c.virtualStages() == 1) {
      // With at most cap micro-batches in flight on device 0, each holds its slot from F(0) until
      // its last
      // backward on stage 0 ends, at least the whole forward and input-gradient path plus W(0).
      long roundTrip = stageCosts.get(0).backwardWeightNanos();
      for (StageCost sc : stageCosts) {
        roundTrip += sc.forwardNanos() + sc.backwardInputNanos();
      }
      long rounds = (c.microBatchCount() + cap - 1) / cap;
      worst = Math.max(worst, rounds * roundTrip);
    }
    return worst;
  }

  /**
   * Schedules and evaluates a candidate with a given partition; empty when its kind rejects the
   * schedule request or the cost model rejects the candidate.
   */
  public Optional<Evaluation> simulate(Candidate c, Partition partition) {
    Optional<CompiledSchedule> compiled = schedule(c.scheduleRequest());
    if (compiled.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(evaluate(c, compiled.get(), partition));
    } catch (BadInputException rejected) {
      return Optional.empty();
    }
  }

  /**
   * Evaluates a candidate with a given partition: costs, simulates (metrics only), adds gradient
   * sync and the optimizer step, and checks every device's peak against its limit.
   */
  public Evaluation evaluate(Candidate c, CompiledSchedule compiled, Partition partition) {
    Schedule schedule = compiled.schedule();
    List<StageCost> stageCosts = stageCosts(c, partition);
    StageCosts costs =
        new StageCosts(stageCosts, links(c.parallelism()).toLinkModel(), training.blockingSends());
    boolean postValidated = options.postValidates(c.kind());
    if (c.kind().plansWithCosts()) {
      // zb-auto, V-Half and V-Min order the actions by this partition's own costs (the unit-cost
      // schedule only gave the placement), for the steady-state period when the step is
      // post-validated; the generators memoise, the evaluator does not, since every partition has
      // its own request.
      ScheduleRequest request = c.scheduleRequest().withOptimizerPostValidation(postValidated);
      compiled =
          CompiledSchedule.of(
              ScheduleGenerators.generate(
                  GeneratorCosts.forCosts(request, costs, schedule.stageToDevice())));
      schedule = compiled.schedule();
    }
    Metrics metrics = Simulator.metrics(compiled, costs);
    IterationCosts iteration = iterationCosts(c.parallelism());
    long worstOver = Long.MIN_VALUE;
    int worstDevice = 0;
    long smallestLimit = Long.MAX_VALUE;
    for (DeviceMetrics dm : metrics.devices()) {
      long limit = iteration.memoryLimitBytes(dm.device());
      smallestLimit = Math.min(smallestLimit, limit);
      long over = dm.peakMemoryBytes() - limit;
      if (over > worstOver) {
        worstOver = over;
        worstDevice = dm.device();
      }
    }
    long syncNanos =
        iteration.dataParallelSyncNanos(
            partition, schedule.stageToDevice(), stageCosts, c.microBatchCount());
    long stepNanos = iteration.optimizerStepNanos(partition, schedule.stageToDevice());
    Optional<SteadyState> steady =
        postValidated
            ? Optional.of(
                SteadyStateSimulator.simulate(
                    compiled,
                    costs,
                    PostValidatedStep.boundary(syncNanos, stepNanos, links(c.parallelism()))))
            : Optional.empty();
    return new Evaluation(
        c,
        partition,
        stageCosts,
        metrics,
        syncNanos,
        stepNanos,
        smallestLimit,
        worstOver,
        worstDevice,
        steady);
  }
}
