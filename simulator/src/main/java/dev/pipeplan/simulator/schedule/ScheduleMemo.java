package dev.pipeplan.simulator.schedule;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A small bounded memo of generated schedules by request (kind, p, m, v, limit and costs), for the
 * generators whose search costs more than a walk over the actions. Schedules are immutable and a
 * generator's result depends only on its request, so a hit returns exactly what generating again
 * would. Least recently used entries go first; access is synchronized, so the planner's threads may
 * share it.
 */
final class ScheduleMemo {
  private static final int MAX_ENTRIES = 256;

  private final Map<ScheduleRequest, Schedule> entries =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ScheduleRequest, Schedule> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  Schedule get(ScheduleRequest request, Function<ScheduleRequest, Schedule> generate) {
    synchronized (entries) {
      Schedule hit = entries.get(request);
      if (hit != null) {
        return hit;
      }
    }
    Schedule made = generate.apply(request);
    synchronized (entries) {
      entries.putIfAbsent(request, made);
      return entries.get(request);
    }
  }
}
