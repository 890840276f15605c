package dev.pipeplan.executor.core.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.executor.core.layers.Layer;
import dev.pipeplan.executor.core.layers.Layers;
import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The concurrent-stream profiler on {@link HostOps}: which stream gets which work, in which order,
 * and that nothing leaks. The host runs the streams one after another, so the times here say
 * nothing; the GPU session measures them.
 */
class StreamRoundsTest {
  private static final Set<String> COMPUTE = Set.of("gemm", "gemmBatched", "launch");

  private static ModelSpec tiny() {
    return TransformerLayers.build(
        new TransformerConfig(
            "tiny", 13, 8, 2, 4, 4, 12, 6, false, true, false, 5, dev.pipeplan.models.DType.FP32),
        5);
  }

  /**
   * An {@link Ops} on its own {@link HostOps} that logs "stream:method" of each compute call into
   * {@code log}.
   */
  private static Ops recording(int id, HostOps host, List<String> log) {
    return (Ops)
        Proxy.newProxyInstance(
            Ops.class.getClassLoader(),
            new Class<?>[] {Ops.class},
            (proxy, method, args) -> {
              if (COMPUTE.contains(method.getName())) {
                log.add(id + ":compute");
              }
              try {
                return method.invoke(host, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /** Host marks that also log which stream each mark went to. */
  private static LayerMarks loggingMarks(List<Ops> streams, List<String> log) {
    LayerMarks clock = LayerMarks.clock(System::nanoTime);
    return new LayerMarks() {
      @Override
      public void mark(Ops stream, int point) {
        int id = -1;
        for (int s = 0; s < streams.size(); s++) {
          id = streams.get(s) == stream ? s : id;
        }
        log.add(id + ":mark" + point);
        clock.mark(stream, point);
      }

      @Override
      public void synchronize(List<Ops> s) {
        log.add("sync");
      }

      @Override
      public long elapsedNanos(int from, int to) {
        return clock.elapsedNanos(from, to);
      }
    };
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3})
  void issuesTheSameWorkToEveryStreamAndTimesThemInTurn(int layerIndex) {
    int n = 3;
    ModelSpec model = tiny();
    LayerSpec spec = model.layers().get(layerIndex);
    List<String> log = new ArrayList<>();
    List<HostOps> hosts = new ArrayList<>();
    List<Ops> streams = new ArrayList<>();
    List<Layer<?>> copies = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(3);
    for (int s = 0; s < n; s++) {
      HostOps host = new HostOps();
      hosts.add(host);
      Ops ops = recording(s, host, log);
      streams.add(ops);
      copies.add(Layers.build(ops, spec, random.split()));
    }
    MeasuredTimes t =
        StreamRounds.measure(streams, copies, spec, 2, 5, 13, 1, 5, 7L, loggingMarks(streams, log));
    assertThat(t.microBatchSize()).isEqualTo(2);
    assertThat(t.forwardNanos()).isNotNegative();

    // split the log into repetitions at each "sync" pair: sync, work, sync
    List<List<String>> reps = new ArrayList<>();
    List<String> current = null;
    for (String e : log) {
      if (e.equals("sync")) {
        if (current != null && !current.isEmpty()) {
          reps.add(current);
        }
        current = new ArrayList<>();
      } else if (current != null) {
        current.add(e);
      }
    }
    assertThat(reps).hasSize(1 + 5);
    for (int r = 0; r < reps.size(); r++) {
      List<String> rep = reps.get(r);
      int timed = r % n;
      for (int s = 0; s < n; s++) {
        assertThat(rep).as("repetition %d: stream %d computes", r, s).contains(s + ":compute");
      }
      // only the timed stream is marked, and in order
      List<String> marks = new ArrayList<>();
      for (String e : rep) {
        if (e.contains(":mark")) {
          marks.add(e);
        }
      }
      assertThat(marks)
          .as("repetition %d", r)
          .containsExactly(timed + ":mark0", timed + ":mark1", timed + ":mark2", timed + ":mark3");
      // every other stream's forward work is issued before the timed stream's starts
      int start = rep.indexOf(timed + ":mark0");
      for (int s = 0; s < n; s++) {
        if (s != timed) {
          assertThat(rep.indexOf(s + ":compute"))
              .as("repetition %d: stream %d before the timed one", r, s)
              .isLessThan(start);
        }
      }
      assertThat(rep.subList(start, rep.indexOf(timed + ":mark1"))).contains(timed + ":compute");
    }
    for (int s = 0; s < n; s++) {
      copies.get(s).release(streams.get(s));
      assertThat(hosts.get(s).liveTensors()).as("stream %d leaks", s).isZero();
      assertThat(copies.get(s).heldMicroBatches()).isZero();
    }
  }

  @Test
  void oneStreamIsThePlainMeasurement() {
    ModelSpec model = tiny();
    LayerSpec spec = model.layers().get(1);
    HostOps host = new HostOps();
    Layer<?> layer = Layers.build(host, spec, new SplittableRandom(1));
    List<String> log = new ArrayList<>();
    MeasuredTimes t =
        StreamRounds.measure(
            List.of(host),
            List.of(layer),
            spec,
            1,
            5,
            13,
            0,
            3,
            7L,
            loggingMarks(List.of(host), log));
    assertThat(t.backwardWeightNanos()).isNotNegative();
    assertThat(log)
        .filteredOn(e -> e.contains("mark"))
        .hasSize(4 * 3)
        .allMatch(e -> e.startsWith("0:"));
    layer.release(host);
    assertThat(host.liveTensors()).isZero();
  }

  @Test
  void rejectsNoStreamsNamingTheFieldAndValue() {
    assertThatThrownBy(() -> StreamRounds.checkStreams("concurrent streams", 0))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("concurrent streams must be >= 1, got 0");
    assertThatThrownBy(
            () ->
                StreamRounds.measure(
                    List.of(),
                    List.of(),
                    tiny().layers().get(1),
                    1,
                    5,
                    13,
                    0,
                    1,
                    1L,
                    LayerMarks.clock(System::nanoTime)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("got 0");
  }
}
