package dev.pipeplan.executor.core.run;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.planner.Plan;
import java.util.Objects;

/**
 * The plan checks every backend's runner makes, with the backend's name and hint in the message.
 */
public final class PlanChecks {
  private PlanChecks() {}

  /**
   * Refuses a plan with data, tensor or context parallelism: every executor runs one pipeline
   * replica, one device per pipeline stage, each holding its micro-batches' whole sequences.
   *
   * @param executor how the message names the backend ("the CPU executor")
   * @param hint the "Maybe ..." sentence for this backend, for a plan with dp or tp > 1; a plan
   *     with cp > 1 gets one made from the plan instead, which asks for --cp 1
   */
  public static void requireOnePipelineReplica(Plan plan, String executor, String hint) {
    Objects.requireNonNull(plan, "plan");
    int cp = plan.parallelism().cp();
    if (cp != 1) {
      throw new BadInputException(
          "the plan uses dp "
              + plan.parallelism().dp()
              + ", tp "
              + plan.parallelism().tp()
              + " and cp "
              + cp
              + "; "
              + executor
              + " runs one pipeline replica without tensor or context parallelism, one device per"
              + " stage holding whole sequences, so it needs cp 1 (a plan made without --cp). "
              + oneReplicaHint(plan));
    }
    if (plan.parallelism().dp() != 1 || plan.parallelism().tp() != 1) {
      throw new BadInputException(
          "the plan uses dp "
              + plan.parallelism().dp()
              + " and tp "
              + plan.parallelism().tp()
              + "; "
              + executor
              + " runs one pipeline replica without tensor parallelism. "
              + hint);
    }
  }

  /**
   * "Maybe plan with --cp 1 [--tp 1] --pp P on a cluster of P devices, for example --cluster
   * DEVICE:1xP.": the plan's own stage count, and its device when that is a preset's name (a
   * cluster file's own device has no shorthand to suggest).
   */
  private static String oneReplicaHint(Plan plan) {
    int pp = plan.parallelism().pp();
    String device = plan.cluster().device(0).name();
    return "Maybe plan with --cp 1"
        + (plan.parallelism().tp() != 1 ? " --tp 1" : "")
        + " --pp "
        + pp
        + " on a cluster of "
        + pp
        + (pp == 1 ? " device" : " devices")
        + (Clusters.findDevice(device).isPresent()
            ? ", for example --cluster " + device + ":1x" + pp
            : "")
        + ".";
  }

  /**
   * Refuses a plan priced with the optimizer step post-validated: every executor steps the
   * optimizer synchronously after each iteration, so it cannot measure the steady-state period the
   * plan predicts.
   *
   * @param executor how the message names the backend ("the CPU executor")
   */
  public static void requireSynchronousStep(Plan plan, String executor) {
    Objects.requireNonNull(plan, "plan");
    if (plan.optimizerPostValidation()) {
      throw new BadInputException(
          "the plan has optimizerPostValidation true (made with 'pipeplan plan"
              + " --optimizer-post-validation'), but "
              + executor
              + " steps the optimizer synchronously after each iteration, so it cannot measure the"
              + " steady-state period the plan predicts. Maybe re-plan without"
              + " --optimizer-post-validation to run it.");
    }
  }

  /**
   * Refuses a plan priced with FP8 linears ({@code training.fp8Linears}, {@code plan --fp8}): every
   * executor runs its GEMMs in fp32, so it cannot measure the FP8 GEMMs and their scaling casts the
   * plan predicts.
   *
   * @param executor how the message names the backend ("the CPU executor")
   */
  public static void requireNoFp8Linears(Plan plan, String executor) {
    Objects.requireNonNull(plan, "plan");
    if (plan.training().fp8Linears()) {
      throw new BadInputException(
          "the plan has training.fp8Linears = true (made with 'pipeplan plan --fp8': the"
              + " transformer blocks' linear GEMMs in FP8 with per-tensor scaling), but "
              + executor
              + " runs every GEMM in fp32 and has no FP8 GEMMs, so it cannot measure what the plan"
              + " predicts. Maybe re-plan without --fp8 to run it, or export the plan to megatron"
              + " or torchtitan, which run FP8 linears.");
    }
  }

  /**
   * Refuses a plan whose model is cut into sub-layer pieces ({@code --partition-unit sublayer}):
   * the executors build whole transformer blocks and a whole LM head.
   *
   * @param executor how the message names the backend ("the CPU executor")
   */
  public static void requireWholeLayers(Plan plan, String executor) {
    Objects.requireNonNull(plan, "plan");
    if (SubLayers.hasPieces(plan.model())) {
      throw new BadInputException(
          "the plan's model is cut into sub-layer pieces (made with 'pipeplan plan"
              + " --partition-unit sublayer' or 'step'), but "
              + executor
              + " builds whole layers. Maybe re-plan with --partition-unit layer to run it.");
    }
  }
}
