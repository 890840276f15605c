package dev.pipeplan.simulator.schedule;

import dev.pipeplan.models.BadInputException;
import java.util.Locale;

/** Every schedule kind pipeplan can generate, with the name used on the command line and in plan files. */
public enum ScheduleKind {
  GPIPE("gpipe"),
  ONE_F_ONE_B("1f1b"),
  INTERLEAVED_1F1B("interleaved"),
  LOOPED_BFS("looped-bfs"),
  ZB_H1("zb-h1"),
  ZB_H2("zb-h2"),
  ZB_AUTO("zb-auto"),
  ZB_V("zb-v"),
  V_HALF("v-half"),
  V_MIN("v-min"),
  DUALPIPE_V("dualpipev");

  private final String id;

  ScheduleKind(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public static ScheduleKind parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (ScheduleKind k : values()) {
      if (k.id.equals(t)) {
        return k;
      }
    }
    StringBuilder names = new StringBuilder();
    for (ScheduleKind k : values()) {
      names.append(names.length() == 0 ? "" : ", ").append(k.id);
    }
    throw new BadInputException("schedule kind '" + text + "' is unknown; use one of " + names);
  }
}
