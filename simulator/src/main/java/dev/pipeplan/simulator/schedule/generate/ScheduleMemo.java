package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A small bounded memo of generated schedules by request (kind, p, m, v, limit and costs), for the
 * generators whose search costs more than a walk over the actions. Schedules are immutable and a
 * generator's result depends only on its request, so a hit returns exactly what generating again
 * would. It holds at most {@link #MAX_ENTRIES} schedules and {@link #MAX_ACTIONS} actions in all
 * (least recently used go first; a schedule larger than that is not kept), so it never holds more
 * than a few hundred megabytes. Access is synchronized, so the planner's threads may share it.
 */
final class ScheduleMemo {
  static final int MAX_ENTRIES = 256;
  static final long MAX_ACTIONS = 2_000_000L;

  private final LinkedHashMap<ScheduleRequest, Schedule> entries =
      new LinkedHashMap<>(64, 0.75f, true);
  private long actions;

  Schedule get(ScheduleRequest request, Function<ScheduleRequest, Schedule> generate) {
    synchronized (entries) {
      Schedule hit = entries.get(request);
      if (hit != null) {
        return hit;
      }
    }
    Schedule made = generate.apply(request);
    if (made.actionCount() > MAX_ACTIONS) {
      return made;
    }
    synchronized (entries) {
      Schedule raced = entries.get(request);
      if (raced != null) {
        return raced;
      }
      entries.put(request, made);
      actions += made.actionCount();
      Iterator<Map.Entry<ScheduleRequest, Schedule>> eldest = entries.entrySet().iterator();
      while ((entries.size() > MAX_ENTRIES || actions > MAX_ACTIONS) && eldest.hasNext()) {
        Map.Entry<ScheduleRequest, Schedule> e = eldest.next();
        if (e.getKey().equals(request)) {
          continue;
        }
        actions -= e.getValue().actionCount();
        eldest.remove();
      }
      return made;
    }
  }
}
