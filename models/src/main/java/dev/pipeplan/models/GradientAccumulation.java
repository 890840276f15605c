package dev.pipeplan.models;

import java.util.Locale;

/**
 * How each micro-batch's weight gradients are added to the iteration's gradients, and in which
 * dtype they are then reduced over data parallelism. Outside the weight-gradient GEMMs, the three
 * unfused modes stream the gradients once per micro-batch's backward (bytes per parameter below,
 * for a training dtype of e bytes); the engine sources are in {@code docs/design.md}.
 */
public enum GradientAccumulation {
  /**
   * The weight-gradient GEMM adds into an fp32 gradient buffer itself (Megatron-LM's {@code
   * --gradient-accumulation-fusion}, its default for bf16 since 2022-02 and for fp16 since
   * 2022-09): no extra kernel; gradients reduced in fp32.
   */
  FUSED(0, 0, 0, 0, 4),
  /**
   * A hook adds each 16-bit gradient into an fp32 buffer (Megatron-LM's {@code main_grad.add_}
   * without the fusion): read e + 4, write 4; reduced in fp32.
   */
  FP32_ADD(1, 4, 0, 4, 4),
  /**
   * The 16-bit gradient is first cast to an fp32 copy, then added to the fp32 buffer (DeepSpeed's
   * bf16 optimizer, {@code update_hp_grads} after every micro-batch's backward): read e, write 4,
   * then read 4 + 4, write 4; reduced in fp32.
   */
  FP32_CAST_ADD(1, 8, 0, 8, 4),
  /**
   * The gradients stay in the training dtype and each micro-batch's are added in place (autograd's
   * {@code param.grad} accumulation, Megatron-LM's 16-bit gradient buffer for fp16 before 2022-09):
   * read 2e, write e; reduced in the training dtype.
   */
  IN_PLACE(2, 0, 1, 0, 0);

  private final int readDtypeMultiple;
  private final int readExtraBytes;
  private final int writtenDtypeMultiple;
  private final int writtenExtraBytes;
  private final int reduceBytes;

  GradientAccumulation(
      int readDtypeMultiple,
      int readExtraBytes,
      int writtenDtypeMultiple,
      int writtenExtraBytes,
      int reduceBytes) {
    this.readDtypeMultiple = readDtypeMultiple;
    this.readExtraBytes = readExtraBytes;
    this.writtenDtypeMultiple = writtenDtypeMultiple;
    this.writtenExtraBytes = writtenExtraBytes;
    this.reduceBytes = reduceBytes;
  }

  /** The lower-case name used in files and on the command line ("fp32-cast-add"). */
  public String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Bytes per parameter one micro-batch's accumulation reads outside the GEMMs, for a training
   * dtype of {@code dtypeBytes}.
   */
  public int readBytesPerParameter(int dtypeBytes) {
    return readDtypeMultiple * dtypeBytes + readExtraBytes;
  }

  /** Bytes per parameter one micro-batch's accumulation writes outside the GEMMs. */
  public int writtenBytesPerParameter(int dtypeBytes) {
    return writtenDtypeMultiple * dtypeBytes + writtenExtraBytes;
  }

  /** Bytes per parameter of the data-parallel gradient reduction. */
  public int reduceBytesPerParameter(int dtypeBytes) {
    return reduceBytes == 0 ? dtypeBytes : reduceBytes;
  }

  public static GradientAccumulation parse(String field, String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (GradientAccumulation g : values()) {
      if (g.id().equals(t)) {
        return g;
      }
    }
    throw new BadInputException(
        field
            + " '"
            + text
            + "' is not a gradient accumulation; use fused, fp32-add, fp32-cast-add or in-place");
  }
}
