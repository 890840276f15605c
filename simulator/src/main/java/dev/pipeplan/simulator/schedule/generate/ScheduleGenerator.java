package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleRequest;

/**
 * An algorithm that turns a {@link ScheduleRequest} into a {@link Schedule}. Each implementation
 * checks the request against its kind's constraints and throws {@link
 * dev.pipeplan.models.BadInputException} naming the parameter, its value and the limit when the
 * request is outside them.
 */
public interface ScheduleGenerator {
  /**
   * Returns the schedule for {@code request}; the result passes {@link
   * ScheduleValidator#validate(Schedule)}.
   */
  Schedule generate(ScheduleRequest request);
}
