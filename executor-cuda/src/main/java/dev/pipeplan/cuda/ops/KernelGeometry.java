package dev.pipeplan.cuda.ops;

import dev.pipeplan.executor.core.ops.Kernel.Shape;

/**
 * A kernel launch's grid and block, from the kernel's shape and its work size.
 *
 * @param gridX blocks
 * @param blockX threads per block
 */
public record KernelGeometry(int gridX, int blockX) {
  /**
   * Threads per block of every kernel; the row kernels' shared-memory reductions assume this power
   * of two.
   */
  public static final int THREADS = 256;

  /** The most blocks an element-wise launch uses; its grid-stride loop covers the rest. */
  public static final int MAX_ELEMENTWISE_BLOCKS = 1 << 16;

  public KernelGeometry {
    if (gridX <= 0 || blockX <= 0) {
      throw new IllegalArgumentException("grid " + gridX + " and block " + blockX + " must be > 0");
    }
  }

  /** The launch of {@code shape} over {@code work} items (at least one block even for no work). */
  public static KernelGeometry of(Shape shape, long work) {
    if (work < 0) {
      throw new IllegalArgumentException("work must be >= 0, got " + work);
    }
    return switch (shape) {
      case ROW -> {
        if (work > Integer.MAX_VALUE) {
          throw new IllegalArgumentException("rows (" + work + ") exceed " + Integer.MAX_VALUE);
        }
        yield new KernelGeometry((int) Math.max(1, work), THREADS);
      }
      case COLUMN, ELEMENTWISE -> {
        long blocks = Math.max(1, (work + THREADS - 1) / THREADS);
        if (shape == Shape.ELEMENTWISE) {
          blocks = Math.min(blocks, MAX_ELEMENTWISE_BLOCKS);
        } else if (blocks > Integer.MAX_VALUE) {
          throw new IllegalArgumentException("columns (" + work + ") need too many blocks");
        }
        yield new KernelGeometry((int) blocks, THREADS);
      }
    };
  }
}
