package dev.pipeplan.simulator.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.List;
import org.junit.jupiter.api.Test;

class ComparisonTest {

  static Timeline timeline(String source, TimedAction... actions) {
    return new Timeline(source, "gpipe", 2, List.of(actions), List.of(), List.of());
  }

  static TimedAction at(int device, ActionType type, int stage, int mb, long start, long end) {
    return new TimedAction(device, Action.of(type, stage, mb), start, end);
  }

  static Timeline predicted() {
    return timeline(
        Timeline.PREDICTED,
        at(0, ActionType.F, 0, 0, 0, 100),
        at(1, ActionType.F, 1, 0, 100, 200),
        at(1, ActionType.B, 1, 0, 200, 400),
        at(0, ActionType.B, 0, 0, 400, 600));
  }

  @Test
  void identicalTimelinesHaveNoError() {
    Comparison c = Comparison.of(predicted(), predicted());
    assertThat(c.iterationError()).isZero();
    assertThat(c.medianActionError()).isZero();
    assertThat(c.p90ActionError()).isZero();
    assertThat(c.unmatchedActions()).isZero();
    assertThat(c.actions()).hasSize(4);
    assertThat(c.predictedBubbleRatio()).isEqualTo(c.measuredBubbleRatio());
    // busy 600 over 2 devices x 600 ns: half idle
    assertThat(c.predictedBubbleRatio()).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void measuredSlowerStageIsTheMostDrifted() {
    // stage 1 runs twice as long as predicted, stage 0 as predicted; measured times start at 1000
    Timeline measured =
        timeline(
            Timeline.MEASURED,
            at(0, ActionType.F, 0, 0, 1000, 1100),
            at(1, ActionType.F, 1, 0, 1100, 1300),
            at(1, ActionType.B, 1, 0, 1300, 1700),
            at(0, ActionType.B, 0, 0, 1700, 1900));
    Comparison c = Comparison.of(predicted(), measured);
    assertThat(c.measuredIterationNanos()).isEqualTo(900);
    assertThat(c.iterationError()).isCloseTo((600 - 900) / 900.0, within(1e-12));
    assertThat(c.mostDriftedStage()).isEqualTo(1);
    assertThat(c.mostDriftedRatio()).isCloseTo(2.0, within(1e-12));
    assertThat(c.stages()).extracting(Comparison.StageDrift::meanRatio).containsExactly(1.0, 2.0);
    // errors: 0, 0 on stage 0 and -0.5, -0.5 on stage 1
    assertThat(c.medianActionError()).isCloseTo(0.0, within(1e-12));
    assertThat(c.p90ActionError()).isCloseTo(0.5, within(1e-12));
    assertThat(c.actions().get(2).measuredStartNanos()).isEqualTo(100);
    assertThat(c.measuredBubbleRatio()).isCloseTo(1 - 900 / 1800.0, within(1e-12));
  }

  @Test
  void eachActionsDurationIsItsMedianOverTheRepeatsAndTheIterationTheRepresentatives() {
    // three iterations as predicted but for one jittered action in each of two of them (the
    // representative's F of stage 1 ran 300 ns long); the median of each action is the prediction
    Timeline representative =
        timeline(
            Timeline.MEASURED,
            at(0, ActionType.F, 0, 0, 0, 100),
            at(1, ActionType.F, 1, 0, 100, 400),
            at(1, ActionType.B, 1, 0, 400, 600),
            at(0, ActionType.B, 0, 0, 600, 800));
    Timeline other =
        timeline(
            Timeline.MEASURED,
            at(0, ActionType.F, 0, 0, 0, 100),
            at(1, ActionType.F, 1, 0, 100, 200),
            at(1, ActionType.B, 1, 0, 200, 400),
            at(0, ActionType.B, 0, 0, 400, 700));
    Comparison alone = Comparison.of(predicted(), representative);
    assertThat(alone.p90ActionError()).isCloseTo(2 / 3.0, within(1e-12));
    Comparison c =
        Comparison.of(predicted(), representative, List.of(other, representative, predicted()));
    assertThat(c.medianActionError()).isZero();
    assertThat(c.p90ActionError()).isZero();
    assertThat(c.actions())
        .extracting(Comparison.ActionComparison::measuredNanos)
        .containsExactly(100L, 200L, 100L, 200L);
    // the iteration and the starts stay the representative's
    assertThat(c.measuredIterationNanos()).isEqualTo(800);
    assertThat(c.iterationError()).isCloseTo((600 - 800) / 800.0, within(1e-12));
    assertThat(c.actions().get(3).measuredStartNanos()).isEqualTo(400);
    // two repeats: the mean of the middle two (device 1's F: 300 and 100)
    Comparison two = Comparison.of(predicted(), representative, List.of(representative, other));
    assertThat(two.actions().get(2).measuredNanos()).isEqualTo(200);
  }

  @Test
  void actionsInOnlyOneTimelineAreCountedAsUnmatched() {
    Timeline measured =
        timeline(
            Timeline.MEASURED,
            at(0, ActionType.F, 0, 0, 0, 100),
            at(1, ActionType.F, 1, 0, 100, 200),
            at(1, ActionType.I, 1, 0, 200, 300),
            at(1, ActionType.W, 1, 0, 300, 400),
            at(0, ActionType.B, 0, 0, 400, 600));
    Comparison c = Comparison.of(predicted(), measured);
    assertThat(c.actions()).hasSize(3);
    assertThat(c.unmatchedActions()).isEqualTo(3);
  }

  @Test
  void percentileUsesNearestRank() {
    double[] sorted = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
    assertThat(Comparison.percentile(sorted, 0.9)).isEqualTo(0.9);
    assertThat(Comparison.percentile(sorted, 0.5)).isEqualTo(0.5);
    assertThat(Comparison.percentile(new double[0], 0.5)).isZero();
  }
}
