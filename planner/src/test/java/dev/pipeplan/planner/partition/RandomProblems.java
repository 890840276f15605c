package dev.pipeplan.planner.partition;

import java.util.SplittableRandom;

/** Seeded random small partition problems. */
final class RandomProblems {
  private RandomProblems() {}

  /**
   * A problem of up to {@code maxLayers} layers on {@code devices} devices with {@code v} stages
   * each (looped placement), speeds of 1, 1/2 or 1/4 (so stage times stay integers), and memory
   * limits that some partitions miss.
   */
  static PartitionProblem random(
      SplittableRandom random, int layers, int devices, int v, boolean sameDevices) {
    long[] nanos = new long[layers];
    long[] stat = new long[layers];
    long[] act = new long[layers];
    for (int i = 0; i < layers; i++) {
      nanos[i] = random.nextInt(0, 100);
      stat[i] = random.nextInt(0, 50);
      act[i] = random.nextInt(0, 20);
    }
    int stages = devices * v;
    int[] stageDevice = new int[stages];
    int[] inFlight = new int[stages];
    for (int s = 0; s < stages; s++) {
      stageDevice[s] = s % devices;
      inFlight[s] = random.nextInt(0, 5);
    }
    double[] speeds = new double[devices];
    long[] memory = new long[devices];
    double[] choices = {1.0, 0.5, 0.25};
    long shared = 60 + random.nextInt(0, 200);
    for (int d = 0; d < devices; d++) {
      speeds[d] = sameDevices ? 1.0 : choices[random.nextInt(choices.length)];
      memory[d] = sameDevices ? shared : 60 + random.nextInt(0, 200);
    }
    return PartitionProblem.of(nanos, stat, act, stageDevice, speeds, memory, inFlight);
  }
}
