package dev.pipeplan.simulator.schedule.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.WorkLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A refusal's "Maybe use ..." is accepted by every check at once: the work limits and the kind's
 * own minimum. DualPipeV on 1024 devices was told to use 2048 micro-batches, which the action limit
 * then refused (and the action limit's "325 or fewer" was below the kind's minimum).
 */
class SuggestedMicroBatchesTest {
  private static final Pattern MICRO_BATCHES =
      Pattern.compile(
          "Maybe use --microbatches (?:a multiple of (\\d+) )?(?:between (\\d+) and )?(\\d+)"
              + "( or fewer)?[ .]");
  private static final Pattern DEVICES = Pattern.compile("--pp (\\d+) or fewer\\.");
  private static final Pattern VIRTUAL_STAGES =
      Pattern.compile("Maybe use --virtual-stages (\\d+) or fewer, or --pp");

  @Test
  void dualPipeVOnMostDevicesSaysNoCountFitsAndNamesBothLimits() {
    assertThatThrownBy(
            () ->
                ScheduleGenerators.generate(
                    ScheduleRequest.of(ScheduleKind.DUALPIPE_V, 1024, 2048, 2)))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "dualpipev with --pp 1024 and 2 virtual stage(s) has no micro-batch count within the"
                + " limits: it needs at least 2,048 micro-batches with --pp 1024, and the limit of"
                + " 2,000,000 actions per schedule (pp x v x m x 3) allows at most 325. Maybe use"
                + " --pp 408 or fewer.");
  }

  @Test
  void tooFewMicroBatchesForDualPipeVNamesTheRangeWithinTheActionLimit() {
    assertThatThrownBy(
            () ->
                ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.DUALPIPE_V, 300, 8, 2)))
        .isInstanceOf(BadInputException.class)
        .hasMessageEndingWith("Maybe use --microbatches between 600 and 1111.");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ScheduleKind.class)
  void everySuggestionIsAcceptedByEveryCheck(ScheduleKind kind) {
    for (int p = 1; p <= WorkLimits.MAX_PIPELINE_DEVICES; p++) {
      for (int v : virtualStages(kind)) {
        if (p * v > WorkLimits.MAX_STAGES) {
          continue;
        }
        for (int m : new int[] {1, p - 1, WorkLimits.MAX_MICRO_BATCHES}) {
          if (m < 1) {
            continue;
          }
          String refusal = refusal(kind, p, v, m);
          if (refusal != null) {
            assertSuggestionAccepted(kind, p, v, refusal);
          }
        }
      }
    }
  }

  private static void assertSuggestionAccepted(ScheduleKind kind, int p, int v, String refusal) {
    String where = kind.id() + " p=" + p + " v=" + v + ": " + refusal;
    if (refusal.contains("has no micro-batch count")) {
      assertThat(WorkLimits.actionCount(kind, p, v, kind.minMicroBatches(p)))
          .as(where)
          .isGreaterThan(WorkLimits.MAX_ACTIONS);
      Matcher devices = DEVICES.matcher(refusal);
      assertThat(devices.find()).as(where).isTrue();
      int fewer = Integer.parseInt(devices.group(1));
      assertThat(refusal(kind, fewer, v, kind.minMicroBatches(fewer))).as(where).isNull();
      assertThat(refusal(kind, fewer + 1, v, kind.minMicroBatches(fewer + 1)))
          .as("%s: --pp %d is the most that fits", where, fewer)
          .isNotNull();
      Matcher stages = VIRTUAL_STAGES.matcher(refusal);
      if (stages.find()) {
        int fewerStages = Integer.parseInt(stages.group(1));
        assertThat(refusal(kind, p, fewerStages, kind.minMicroBatches(p))).as(where).isNull();
      }
      return;
    }
    Matcher range = MICRO_BATCHES.matcher(refusal);
    if (!range.find()) {
      // a refusal about something else than the count (v, or a too-small last group)
      assertThat(refusal).as(where).doesNotContain("--microbatches (").doesNotContain("or more");
      return;
    }
    int step = range.group(1) == null ? 1 : Integer.parseInt(range.group(1));
    int most = Integer.parseInt(range.group(3));
    int least = range.group(2) != null ? Integer.parseInt(range.group(2)) : most;
    if (range.group(4) != null) {
      least = 1;
    }
    assertThat(least % step).as(where).isZero();
    assertThat(most % step).as(where).isZero();
    assertThat(refusal(kind, p, v, least)).as("%s: suggested %d", where, least).isNull();
    assertThat(refusal(kind, p, v, most)).as("%s: suggested %d", where, most).isNull();
    assertThat(refusal(kind, p, v, most + step)).as("%s: %d is the most", where, most).isNotNull();
  }

  private static List<Integer> virtualStages(ScheduleKind kind) {
    List<Integer> values = new ArrayList<>();
    int last = kind.maxVirtualStages() == Integer.MAX_VALUE ? 4 : kind.maxVirtualStages();
    for (int v = kind.minVirtualStages(); v <= last; v++) {
      values.add(v);
    }
    return values;
  }

  /** The message of the first check that refuses the request, or null when all accept it. */
  private static String refusal(ScheduleKind kind, int p, int v, int m) {
    try {
      WorkLimits.check(kind, p, v, m);
      RequestChecks.requireAccepted(new ScheduleRequest(kind, p, m, v, 0, 0));
      return null;
    } catch (BadInputException e) {
      return e.getMessage();
    }
  }
}
