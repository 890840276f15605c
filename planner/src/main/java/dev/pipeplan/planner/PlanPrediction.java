package dev.pipeplan.planner;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.engine.SimulationResult;
import dev.pipeplan.simulator.engine.Simulator;
import dev.pipeplan.simulator.engine.SteadyState;
import dev.pipeplan.simulator.engine.SteadyStateSimulator;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.util.Objects;
import java.util.Optional;

/**
 * Replays a plan's prediction: regenerates its schedule from the stored kind, pp, m, v and group
 * size, and simulates it with the stored stage costs and links. Nothing is re-costed, so the
 * result's pipeline metrics equal the plan's {@code predicted.pipelineNanos}, bubble ratio and
 * per-device peaks; with the optimizer step post-validated, {@link #steadyState} gives the period.
 * The executor and the commands call this; reports are handed its timeline.
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
   * For a plan with the optimizer step post-validated, the steady state of its back-to-back
   * iterations, priced as the search priced it ({@link PostValidatedStep}): its period is the
   * plan's {@code predicted.iterationNanos}. Empty for a synchronous step.
   */
  public static Optional<SteadyState> steadyState(Plan plan) {
    Objects.requireNonNull(plan, "plan");
    if (!plan.optimizerPostValidation()) {
      return Optional.empty();
    }
    return Optional.of(
        SteadyStateSimulator.simulate(
            schedule(plan),
            plan.costs(),
            PostValidatedStep.boundary(
                plan.predicted().dataParallelSyncNanos(),
                plan.predicted().optimizerStepNanos(),
                plan.links())));
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
