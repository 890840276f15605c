package dev.pipeplan.executor.core.runtime;

import dev.pipeplan.executor.core.ops.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded inbox of one pipeline device: tensors addressed to (direction, stage, micro-batch). A
 * sender blocks while the inbox holds {@code capacity} tensors; a receiver waits for its key. Every
 * wait is interruptible and bounded by a timeout, so a failed or deadlocked run never leaves a
 * thread hanging.
 */
public final class Mailbox {
  /** Which way a tensor travels: activations forward, gradients backward. */
  public enum Direction {
    FORWARD,
    BACKWARD
  }

  private record Key(Direction direction, int stage, int microBatch) {}

  private final int capacity;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final Condition freed = lock.newCondition();
  private final Map<Key, Tensor> held = new HashMap<>();

  public Mailbox(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("mailbox capacity must be >= 1, got " + capacity);
    }
    this.capacity = capacity;
  }

  public void put(Direction direction, int stage, int microBatch, Tensor tensor, long timeoutNanos)
      throws InterruptedException, TimeoutException {
    Key key = new Key(direction, stage, microBatch);
    lock.lockInterruptibly();
    try {
      long left = timeoutNanos;
      while (held.size() >= capacity) {
        if (left <= 0) {
          throw new TimeoutException(
              "no room for the "
                  + describe(key)
                  + " after "
                  + seconds(timeoutNanos)
                  + " ("
                  + capacity
                  + " tensors held)");
        }
        left = freed.awaitNanos(left);
      }
      if (held.putIfAbsent(key, tensor) != null) {
        throw new IllegalStateException("the " + describe(key) + " was sent twice");
      }
      arrived.signalAll();
    } finally {
      lock.unlock();
    }
  }

  public Tensor take(Direction direction, int stage, int microBatch, long timeoutNanos)
      throws InterruptedException, TimeoutException {
    Key key = new Key(direction, stage, microBatch);
    lock.lockInterruptibly();
    try {
      long left = timeoutNanos;
      Tensor tensor;
      while ((tensor = held.remove(key)) == null) {
        if (left <= 0) {
          throw new TimeoutException(
              "the "
                  + describe(key)
                  + " did not arrive within "
                  + seconds(timeoutNanos)
                  + "; the schedule may deadlock");
        }
        left = arrived.awaitNanos(left);
      }
      freed.signalAll();
      return tensor;
    } finally {
      lock.unlock();
    }
  }

  public int size() {
    lock.lock();
    try {
      return held.size();
    } finally {
      lock.unlock();
    }
  }

  void clear() {
    lock.lock();
    try {
      held.clear();
      freed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private static String seconds(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  private static String describe(Key key) {
    return (key.direction() == Direction.FORWARD ? "activation for stage " : "gradient for stage ")
        + key.stage()
        + ", micro-batch "
        + key.microBatch();
  }
}
