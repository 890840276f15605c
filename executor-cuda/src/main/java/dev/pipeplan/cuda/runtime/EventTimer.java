package dev.pipeplan.cuda.runtime;

import dev.pipeplan.cuda.ops.CudaEvents;
import dev.pipeplan.cuda.ops.CudaOps;
import java.util.List;
import org.bytedeco.cuda.cudart.CUevent_st;

/**
 * CUDA events on the devices' streams: an origin recorded on device 0's stream that every other
 * stream waits for, a start and an end event around each action (the start is recorded after the
 * action's waits, so waiting for an input is not part of the action), and event waits for
 * cross-device dependencies.
 */
final class EventTimer implements ActionTimer {
  private final List<CudaOps> streams;
  private final CUevent_st origin;
  private final CUevent_st[] starts;
  private final CUevent_st[] ends;
  private final boolean[] ended;

  EventTimer(List<CudaOps> streams, int actions) {
    this.streams = List.copyOf(streams);
    this.origin = CudaEvents.create();
    this.starts = new CUevent_st[actions];
    this.ends = new CUevent_st[actions];
    this.ended = new boolean[actions];
    for (int i = 0; i < actions; i++) {
      starts[i] = CudaEvents.create();
      ends[i] = CudaEvents.create();
    }
  }

  @Override
  public void begin() {
    java.util.Arrays.fill(ended, false);
    streams.get(0).synchronize();
    for (CudaOps s : streams) {
      s.synchronize();
    }
    streams.get(0).record(origin);
    for (int d = 1; d < streams.size(); d++) {
      streams.get(d).waitFor(origin);
    }
  }

  @Override
  public void waitFor(int device, int index) {
    if (!ended[index]) {
      // cudaStreamWaitEvent on an event never recorded returns at once: the dependency would be
      // lost
      throw new IllegalStateException(
          "device "
              + device
              + " waits for action "
              + index
              + " whose end event is not recorded yet: the issue order is wrong");
    }
    streams.get(device).waitFor(ends[index]);
  }

  @Override
  public void start(int device, int index) {
    streams.get(device).record(starts[index]);
  }

  @Override
  public void end(int device, int index) {
    streams.get(device).record(ends[index]);
    ended[index] = true;
  }

  @Override
  public long[][] finish() {
    for (CudaOps s : streams) {
      s.synchronize();
    }
    long[] s = new long[starts.length];
    long[] e = new long[ends.length];
    for (int i = 0; i < starts.length; i++) {
      s[i] = CudaEvents.elapsedNanos(origin, starts[i]);
      e[i] = Math.max(s[i], CudaEvents.elapsedNanos(origin, ends[i]));
    }
    return new long[][] {s, e};
  }

  @Override
  public void close() {
    CudaEvents.destroy(origin);
    for (int i = 0; i < starts.length; i++) {
      CudaEvents.destroy(starts[i]);
      CudaEvents.destroy(ends[i]);
    }
  }
}
