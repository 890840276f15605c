package dev.pipeplan.planner;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.engine.SimulationResult;
import dev.pipeplan.simulator.engine.Simulator;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.util.Objects;

/**
 * Replays a plan's prediction: regenerates its schedule from the stored kind, pp, m, v and group
 * size, and simulates it with the stored stage costs and links. Nothing is re-costed, so the
 * result's pipeline metrics equal the plan's {@code predicted.pipelineNanos}, bubble ratio and
 * per-device peaks. The executor and the commands call this; reports are handed its timeline.
 */
public final class PlanPrediction {
  private PlanPrediction() {}

  /** The plan's schedule, as the planner simulated it. */
  public static Schedule schedule(Plan plan) {
    Objects.requireNonNull(plan, "plan");
    Schedule schedule = ScheduleGenerators.generate(plan.scheduleRequest());
    if (!schedule.stageToDevice().equals(plan.stageToDevice())) {
      throw new BadInputException(
          "plan's stageToDevice "
              + plan.stageToDevice()
              + " differs from the "
              + plan.scheduleKind()
              + " schedule's "
              + schedule.stageToDevice()
              + ". Maybe the plan was edited by hand; re-run 'pipeplan plan'.");
    }
    return schedule;
  }

  /** The simulated pipeline iteration of the plan: its timeline and metrics. */
  public static SimulationResult predict(Plan plan) {
    return Simulator.simulate(schedule(plan), plan.costs());
  }

  /**
   * The predicted timeline to compare with: a measured run's own (the one the executor compared it
   * with), else the plan's prediction replayed.
   */
  public static dev.pipeplan.simulator.timeline.Timeline predictedTimeline(
      Plan plan, java.util.Optional<dev.pipeplan.simulator.compare.MeasuredRun> run) {
    Objects.requireNonNull(run, "run");
    return run.isPresent() ? run.get().predicted() : predict(plan).timeline();
  }
}
