package dev.pipeplan.cli;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.io.DtypeOrigin;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Warnings that several commands print to stderr: the input is valid but probably not meant. */
final class Warnings {
  private Warnings() {}

  /**
   * The dtype a model trains in and why, for output: "fp32 (torch_dtype float32 in
   * hf/config.json)". plan and simulate train in the model's dtype, which used to go unsaid.
   */
  static String trainingDtype(ModelSpec model, DtypeOrigin origin) {
    return model.dtype().id() + " (" + origin.description() + ")";
  }

  /**
   * Warns when a Hugging Face config's {@code torch_dtype} float32, the dtype its checkpoint was
   * saved in, makes the plan train in fp32 on devices that compute faster in bf16 or fp16: most
   * such models train in mixed precision, and an fp32 plan of them is several times slower without
   * a word (a config with {@code "torch_dtype": "float32"} planned 8x slower on H100s than with
   * bfloat16).
   */
  static void checkpointDtype(
      PrintWriter err, ModelSpec model, DtypeOrigin origin, ClusterSpec cluster) {
    if (!origin.checkpointDtype() || model.dtype() != DType.FP32) {
      return;
    }
    for (DeviceGroup group : cluster.groups()) {
      DeviceSpec device = group.device();
      double fp32 = device.flopsPerSecond(DType.FP32);
      for (DType half : List.of(DType.BF16, DType.FP16)) {
        Double rate = device.sustainedFlopsPerSecond().get(half);
        if (rate != null && rate > fp32) {
          err.printf(
              Locale.ROOT,
              "warning: model '%s' trains in fp32 here, from %s: a Hugging Face torch_dtype is"
                  + " the dtype the checkpoint was saved in, not always the one it trains in, and"
                  + " %s computes fp32 at %.1f TFLOP/s against %.1f in %s. Maybe plan"
                  + " mixed-precision training with --dtype %s.%n",
              model.name(),
              origin.description(),
              device.name(),
              fp32 / 1e12,
              rate / 1e12,
              half.id(),
              half.id());
          return;
        }
      }
    }
  }

  /**
   * Warns when a profile was measured on other hardware than the cluster's devices: a CPU profile
   * (backends cpu, torch-cpu) prices GPUs with the CPU's times, a GPU profile (cuda, torch-cuda)
   * the CPU with a GPU's; the plan's times and MFU then describe neither.
   */
  static void profileHardware(PrintWriter err, Profile profile, String file, ClusterSpec cluster) {
    boolean cpuProfile = profile.backend().endsWith("cpu");
    List<String> others = new ArrayList<>();
    for (DeviceGroup group : cluster.groups()) {
      String name = group.device().name();
      if (name.equals("cpu") != cpuProfile && !others.contains(name)) {
        others.add(name);
      }
    }
    if (others.isEmpty()) {
      return;
    }
    err.printf(
        Locale.ROOT,
        "warning: the profile %s was measured on the %s backend, but the cluster's devices are"
            + " %s: they are priced with those times. Maybe %s.%n",
        file,
        profile.backend(),
        String.join(", ", others),
        cpuProfile
            ? "use --cluster cpu:1xN, or profile the GPUs (profile --backend cuda)"
            : "use the GPUs it measured, or profile this machine's cores (profile --backend cpu)");
  }

  /**
   * Warns when a device has no rate for the training dtype, so the cost model prices its math at
   * the device's fp32 rate ({@link DeviceSpec#flopsPerSecond}): a bf16 model on V100s, which have
   * no bf16 tensor cores, was priced that way without a word.
   */
  static void noRateForDtype(PrintWriter err, DType dtype, ClusterSpec cluster) {
    Set<String> warned = new HashSet<>();
    for (DeviceGroup group : cluster.groups()) {
      DeviceSpec device = group.device();
      if (device.sustainedFlopsPerSecond().containsKey(dtype) || !warned.add(device.name())) {
        continue;
      }
      List<String> rated = new ArrayList<>();
      for (DType t : DType.values()) {
        // fp8 is no dtype to train in (plan refuses it; --fp8 runs the linears in it)
        if (t.bytes() == 2 && device.sustainedFlopsPerSecond().containsKey(t)) {
          rated.add(t.id());
        }
      }
      err.printf(
          Locale.ROOT,
          "warning: %s has no %s rate, so its math is priced at its fp32 rate (%.1f TFLOP/s"
              + " sustained)%s.%n",
          device.name(),
          dtype.id(),
          device.flopsPerSecond(DType.FP32) / 1e12,
          rated.isEmpty()
              ? ""
              : "; it computes fast in " + String.join(" and ", rated) + ": maybe train in that");
    }
  }

  /**
   * Warns when m < p: with fewer micro-batches than pipeline devices the pipeline never fills. For
   * a looped placement with a fused backward (gpipe, 1f1b, interleaved, looped-bfs) the bubble is
   * then at least (p - 1) / (v·m + p - 1) of the iteration, with equal stages and free hops (more
   * otherwise): the last device waits (p - 1)·F/v for its first forward, works m·(F + B), and its
   * last backward still crosses p - 1 stages. Kinds that split the backward can defer W into that
   * wait, and V-shaped placements give the last device the first stage's second chunk, so their
   * bound depends on the stage times and is not stated; nor for a schedule file ({@code kind}
   * empty). The hint stays within {@code mostMicroBatches}, the most the work limits allow for this
   * schedule's shape ({@link dev.pipeplan.simulator.schedule.WorkLimits#maxMicroBatches}): where p
   * micro-batches would be past it, it names that limit instead of suggesting a refused count.
   *
   * @param chosen whether the planner chose m and p (no --microbatches and --pp given): the warning
   *     then speaks of the chosen plan, not of options
   */
  static void fewMicroBatches(
      PrintWriter err,
      Optional<ScheduleKind> kind,
      int virtualStages,
      int pp,
      int microbatches,
      int mostMicroBatches,
      boolean chosen) {
    fewMicroBatches(
        err, kind, virtualStages, pp, microbatches, mostMicroBatches, chosen, Optional.empty());
  }

  /**
   * As above, with the hint given when the caller knows a better one (the plan's global batch holds
   * fewer samples per replica than pp).
   */
  static void fewMicroBatches(
      PrintWriter err,
      Optional<ScheduleKind> kind,
      int virtualStages,
      int pp,
      int microbatches,
      int mostMicroBatches,
      boolean chosen,
      Optional<String> givenHint) {
    if (microbatches <= 0 || pp <= 1 || microbatches >= pp) {
      return;
    }
    String hint =
        givenHint.isPresent()
            ? givenHint.get()
            : pp <= mostMicroBatches
                ? "Maybe use --microbatches " + pp + " or more."
                : microbatches < mostMicroBatches
                    ? "Maybe use --microbatches "
                        + mostMicroBatches
                        + " (the most the limit of actions per schedule allows with --pp "
                        + pp
                        + "), or a smaller --pp."
                    : "Maybe use a smaller --pp (the limit of actions per schedule allows no more"
                        + " micro-batches with --pp "
                        + pp
                        + ").";
    String what =
        chosen
            ? String.format(
                Locale.ROOT,
                "the chosen plan has m = %d micro-batch%s for pp = %d",
                microbatches,
                microbatches == 1 ? "" : "es",
                pp)
            : String.format(Locale.ROOT, "--microbatches %d is below --pp %d", microbatches, pp);
    boolean bounded = kind.isPresent() && !kind.get().splitsBackward() && !kind.get().vShaped();
    String why;
    if (bounded) {
      int v = Math.max(1, virtualStages);
      double bubble = (double) (pp - 1) / ((long) v * microbatches + pp - 1);
      why =
          String.format(
              Locale.ROOT,
              "the bubble is at least %s = %.1f%% of the iteration%s",
              v == 1 ? "(p-1)/(m+p-1)" : "(p-1)/(v*m+p-1)",
              100 * bubble,
              v == 1 ? "" : " (v = " + v + " chunks per device)");
    } else {
      why =
          "the pipeline never fills, so every device idles for part of the iteration (how much"
              + " depends on the "
              + kind.map(k -> k.id() + " schedule and the ").orElse("schedule and the ")
              + "stage times)";
    }
    err.printf(Locale.ROOT, "warning: %s: %s. %s%n", what, why, hint);
    err.flush();
  }

  /**
   * A context-parallel plan with eager attention: pipeplan prices it (the rank's queries against
   * all keys, its s²/cp scores kept), but the engines that split sequences run it only in fused
   * kernels, and the megatron and torchtitan exports refuse it.
   */
  static void contextParallelEager(PrintWriter err, TrainingSpec training, int contextParallel) {
    contextParallelEager(err, training, contextParallel, "the plan", "(their exports refuse it)");
  }

  /**
   * The same warning for what {@code subject} prices ("this simulation"), with {@code consequence}
   * said after it.
   */
  static void contextParallelEager(
      PrintWriter err,
      TrainingSpec training,
      int contextParallel,
      String subject,
      String consequence) {
    if (contextParallel > 1 && training.attention() == Attention.EAGER) {
      err.printf(
          Locale.ROOT,
          "warning: %s splits each sequence over cp = %d devices with eager attention;"
              + " Megatron-Core runs context parallelism only in Transformer Engine's fused"
              + " attention and torchtitan only in FlexAttention, so neither can run it as priced"
              + " %s. Maybe use --attention flash.%n",
          subject,
          contextParallel,
          consequence);
    }
  }

  /**
   * Warns when the durations come from measured times (a profile, or a model whose every layer has
   * them) and the training states a kernel choice that the analytic roofline times but measured
   * times already contain: eager attention and a fused cross-entropy then change the memory alone,
   * and FlashAttention-2's kernels, whose memory is flash's, change nothing.
   *
   * @param source what the times come from, for the message ("the profile")
   */
  static void memoryOnlyModes(PrintWriter err, TrainingSpec training, String source) {
    if (training.attention() == Attention.FLASH2) {
      err.printf(
          Locale.ROOT,
          "warning: the durations are %s's measured times, which --attention flash2 does not"
              + " change, and its memory is flash's: it changes nothing here.%n",
          source);
    }
    List<String> modes = new ArrayList<>();
    if (training.attention() == Attention.EAGER) {
      modes.add("--attention eager");
    }
    if (training.crossEntropy() != CrossEntropy.UNFUSED) {
      modes.add("--cross-entropy " + training.crossEntropy().id());
    }
    if (modes.isEmpty()) {
      return;
    }
    err.printf(
        Locale.ROOT,
        "warning: the durations are %s's measured times, which %s %s not change; %s the memory"
            + " only.%n",
        source,
        String.join(" and ", modes),
        modes.size() == 1 ? "does" : "do",
        modes.size() == 1 ? "it changes" : "they change");
    err.flush();
  }
}
