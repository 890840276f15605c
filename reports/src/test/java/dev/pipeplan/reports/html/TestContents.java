package dev.pipeplan.reports.html;

import dev.pipeplan.reports.TestTimelines;
import dev.pipeplan.reports.summary.DeviceSummary;
import dev.pipeplan.reports.summary.TimelineSummary;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** Hand-built report contents for tests, with or without a measured run. */
final class TestContents {
  private TestContents() {}

  static ReportContent of(int p, int m, boolean withRun) {
    Timeline predicted = TestTimelines.zeroBubbleLike(p, m, 100_000);
    Optional<Timeline> measured =
        withRun ? Optional.of(TestTimelines.measured(p, m, 100_000, 11)) : Optional.empty();
    long limit = 4L << 30;
    TimelineSummary s = TimelineSummary.of(predicted);
    List<ReportContent.DeviceRow> devices = new ArrayList<>();
    for (DeviceSummary d : s.devices()) {
      long measuredBusy =
          measured
              .map(t -> TimelineSummary.of(t).devices().get(d.device()).busyNanos())
              .orElse(-1L);
      devices.add(
          new ReportContent.DeviceRow(
              d.device(),
              Integer.toString(d.device()),
              (3 * d.device()) + "-" + (3 * d.device() + 2),
              d.busyNanos(),
              measuredBusy,
              d.peakMemoryBytes(),
              limit));
    }
    List<ReportContent.Row> summary =
        List.of(
            new ReportContent.Row("model", "gpt2-tiny <test> (12 layers)"),
            new ReportContent.Row("schedule", "zb-like"),
            new ReportContent.Row("micro-batches", "m=" + m));
    List<ReportContent.Candidate> candidates =
        List.of(
            new ReportContent.Candidate(
                1,
                "zb-h1",
                "pp=" + p + " dp=1 tp=1",
                1,
                m,
                1,
                "3,3,3,3",
                s.iterationNanos(),
                s.bubbleRatio(),
                s.peakMemoryBytes()),
            new ReportContent.Candidate(
                2,
                "1f1b",
                "pp=" + p + " dp=1 tp=1",
                1,
                m,
                1,
                "3,3,3,3",
                s.iterationNanos() + 2_000_000,
                0.3,
                s.peakMemoryBytes()));
    List<ReportContent.Row> run =
        withRun ? List.of(new ReportContent.Row("backend", "cpu")) : List.of();
    return new ReportContent(
        "pipeplan report: test & <model>",
        summary,
        devices,
        "zb-h1 is 6.2% faster than 1f1b at the same memory.",
        candidates,
        TestTimelines.search(),
        Collections.nCopies(p, limit),
        predicted,
        measured,
        run,
        "{\"formatVersion\": 1}\n",
        77,
        false,
        List.of());
  }
}
