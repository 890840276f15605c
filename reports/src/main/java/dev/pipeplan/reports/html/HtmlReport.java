package dev.pipeplan.reports.html;

import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.OwnedFolder;
import dev.pipeplan.reports.chart.ByteUnit;
import dev.pipeplan.reports.chart.ChartFiles;
import dev.pipeplan.reports.chart.GanttChart;
import dev.pipeplan.reports.chart.MemoryChart;
import dev.pipeplan.reports.chart.SearchCharts;
import dev.pipeplan.reports.summary.TimelineSummary;
import dev.pipeplan.reports.trace.ChromeTrace;
import dev.pipeplan.simulator.compare.Comparison;
import dev.pipeplan.simulator.timeline.Timeline;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jfree.chart.JFreeChart;

/**
 * Writes the HTML report: one folder that opens from disk with no network, holding {@code
 * index.html} (inline CSS, no scripts, no external URLs), the charts as PNG (shown) and SVG
 * (linked), {@code trace.json} for Perfetto and a copy of the plan as {@code plan.json}. The folder
 * is built beside the target and moved into place whole.
 */
public final class HtmlReport {
  /**
   * Above this many actions the Gantt SVGs are left out: browsers struggle with that many elements.
   */
  static final int SVG_ACTION_LIMIT = 100_000;

  /**
   * Above this many memory points the memory SVG is left out (each step is its own line element).
   */
  static final int SVG_MEMORY_POINT_LIMIT = 20_000;

  /**
   * Above this many devices the device table starts folded, so that the charts are not pushed far
   * down.
   */
  static final int FOLDED_DEVICE_TABLE = 16;

  /** The report's page. */
  static final String INDEX = "index.html";

  private HtmlReport() {}

  /**
   * Something told each time a file of the report has been written (tests use it to interrupt a
   * write).
   */
  @FunctionalInterface
  interface FileListener {
    void written(String fileName);
  }

  /**
   * Writes the report into {@code outDir}, replacing an earlier report there; a folder that holds
   * anything pipeplan did not write is refused (see {@link OwnedFolder}).
   *
   * @return the names of the files written, index.html and then the manifest last
   * @throws dev.pipeplan.models.BadInputException when {@code outDir} is a file or a folder that
   *     holds files that are not an earlier report's
   */
  public static List<String> write(ReportContent content, Path outDir) {
    return write(content, outDir, name -> {});
  }

  static List<String> write(ReportContent content, Path outDir, FileListener listener) {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(outDir, "outDir");
    List<String> files = new ArrayList<>();
    try (OwnedFolder folder = OwnedFolder.open(outDir, "report output")) {
      Path dir = folder.staging();
      StagedFiles w = new StagedFiles(dir, files, listener);
      Timeline predicted = content.predicted();
      int p = predicted.deviceCount();
      boolean svgGantt = predicted.actions().size() <= SVG_ACTION_LIMIT;

      int ganttHeight = GanttChart.defaultHeightPixels(p);
      JFreeChart gantt =
          GanttChart.create(predicted, GanttChart.defaultTitle(predicted), ganttHeight);
      w.chart(gantt, "gantt", GanttChart.DEFAULT_WIDTH_PIXELS, ganttHeight, svgGantt);

      boolean memory = !predicted.memory().isEmpty();
      if (memory) {
        JFreeChart chart =
            MemoryChart.create(
                predicted,
                content.memoryLimitBytes(),
                "Predicted memory over time: " + predicted.scheduleName());
        w.chart(
            chart,
            "memory",
            MemoryChart.DEFAULT_WIDTH_PIXELS,
            MemoryChart.DEFAULT_HEIGHT_PIXELS,
            predicted.memory().size() <= SVG_MEMORY_POINT_LIMIT);
      }
      boolean search = !content.searchPoints().isEmpty();
      if (search) {
        long limit = content.memoryLimitBytes().isEmpty() ? 0 : content.memoryLimitBytes().get(0);
        w.chart(
            SearchCharts.landscape(
                content.searchPoints(),
                "Search: iteration time vs micro-batches",
                searchShownShort(content)),
            "landscape",
            SearchCharts.DEFAULT_WIDTH_PIXELS,
            SearchCharts.DEFAULT_HEIGHT_PIXELS,
            true);
        w.chart(
            SearchCharts.pareto(
                content.searchPoints(),
                limit,
                "Search: iteration time vs peak memory",
                searchShownShort(content)),
            "pareto",
            SearchCharts.DEFAULT_WIDTH_PIXELS,
            SearchCharts.DEFAULT_HEIGHT_PIXELS,
            true);
      }
      Optional<Comparison> comparison = content.comparison();
      if (content.measured().isPresent()) {
        Timeline measured = content.measured().get();
        int pairedHeight = GanttChart.defaultHeightPixels(2 * p);
        JFreeChart paired =
            GanttChart.createPaired(
                predicted,
                measured,
                comparison.orElseThrow(),
                "Predicted vs measured: " + predicted.scheduleName(),
                pairedHeight);
        w.chart(
            paired,
            "paired",
            GanttChart.DEFAULT_WIDTH_PIXELS,
            pairedHeight,
            svgGantt && measured.actions().size() <= SVG_ACTION_LIMIT);
      }
      List<Timeline> traced = new ArrayList<>();
      traced.add(predicted);
      content.measured().ifPresent(traced::add);
      ChromeTrace.write(traced, dir.resolve("trace.json"));
      w.done("trace.json");
      if (!content.planJson().isEmpty()) {
        AtomicFiles.writeString(dir.resolve("plan.json"), content.planJson());
        w.done("plan.json");
      }
      String html = new Page(content, comparison, files, memory, search).render();
      AtomicFiles.writeString(dir.resolve(INDEX), html);
      w.done(INDEX);
      folder.commit(files);
    }
    files.add(OwnedFolder.MANIFEST);
    return List.copyOf(files);
  }

  /** Writes chart files into the staging folder and records their names. */
  private static final class StagedFiles {
    private final Path dir;
    private final List<String> files;
    private final FileListener listener;

    StagedFiles(Path dir, List<String> files, FileListener listener) {
      this.dir = dir;
      this.files = files;
      this.listener = listener;
    }

    void chart(JFreeChart chart, String stem, int width, int height, boolean svg) {
      ChartFiles.write(chart, dir.resolve(stem + ".png"), width, height);
      done(stem + ".png");
      if (svg) {
        ChartFiles.write(chart, dir.resolve(stem + ".svg"), width, height);
        done(stem + ".svg");
      }
    }

    void done(String name) {
      files.add(name);
      listener.written(name);
    }
  }

  /** The index page. */
  private static final class Page {
    private final ReportContent c;
    private final Optional<Comparison> comparison;
    private final List<String> files;
    private final boolean memory;
    private final boolean search;
    private final StringBuilder b = new StringBuilder(16_384);

    Page(
        ReportContent c,
        Optional<Comparison> comparison,
        List<String> files,
        boolean memory,
        boolean search) {
      this.c = c;
      this.comparison = comparison;
      this.files = files;
      this.memory = memory;
      this.search = search;
    }

    String render() {
      b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .append("<title>")
          .append(esc(c.title()))
          .append("</title>\n<style>\n")
          .append(CSS)
          .append("</style>\n")
          .append("</head>\n<body>\n<main>\n");
      b.append("<h1>").append(esc(c.title())).append("</h1>\n");
      headline();
      summary();
      devices();
      charts();
      why();
      comparison();
      filesSection();
      b.append("</main>\n</body>\n</html>\n");
      return b.toString();
    }

    private void headline() {
      TimelineSummary s = TimelineSummary.of(c.predicted());
      b.append("<div class=\"cards\">\n");
      card("predicted pipeline time", ms(s.iterationNanos()) + " ms");
      card("bubble", pct(s.bubbleRatio()));
      long peak = 0;
      long limit = 0;
      for (ReportContent.DeviceRow d : c.devices()) {
        peak = Math.max(peak, d.peakMemoryBytes());
        limit = Math.max(limit, d.memoryLimitBytes());
      }
      if (peak > 0) {
        card(
            "peak memory",
            ByteUnit.format(peak) + (limit > 0 ? " of " + ByteUnit.format(limit) : ""));
      }
      comparison.ifPresent(
          cmp ->
              card(
                  "measured pipeline time",
                  ms(cmp.measuredIterationNanos()) + " ms",
                  "prediction error "
                      + signedPct(cmp.iterationError())
                      + (c.comparisonExcused()
                          ? ", not a model error: see the warning under the run"
                          : "")));
      b.append("</div>\n");
    }

    private void card(String label, String value) {
      card(label, value, "");
    }

    private void card(String label, String value, String note) {
      b.append("<div class=\"card\"><div class=\"label\">")
          .append(esc(label))
          .append("</div><div class=\"value\">")
          .append(esc(value))
          .append("</div>");
      if (!note.isEmpty()) {
        b.append("<div class=\"note\">").append(esc(note)).append("</div>");
      }
      b.append("</div>\n");
    }

    private void summary() {
      b.append("<section id=\"plan\">\n<h2>Plan</h2>\n<table class=\"kv\">\n");
      for (ReportContent.Row r : c.summary()) {
        b.append("<tr><th>")
            .append(esc(r.label()))
            .append("</th><td>")
            .append(esc(r.value()))
            .append("</td></tr>\n");
      }
      b.append("</table>\n</section>\n");
    }

    private void devices() {
      boolean measured = c.measured().isPresent();
      TimelineSummary s = TimelineSummary.of(c.predicted());
      b.append("<section id=\"devices\">\n<h2>Devices</h2>\n");
      boolean fold = c.devices().size() > FOLDED_DEVICE_TABLE;
      if (fold) {
        b.append("<details><summary>")
            .append(c.devices().size())
            .append(" pipeline devices: stages, layers, busy ")
            .append("time and memory</summary>\n");
      }
      b.append("<table>\n<thead><tr><th>device</th><th>stages</th>")
          .append("<th>layers</th><th class=\"num\">busy (ms)</th><th class=\"num\">busy</th>");
      if (measured) {
        b.append("<th class=\"num\">measured busy (ms)</th>");
      }
      b.append(
              "<th class=\"num\">peak memory</th><th class=\"num\">limit</th><th>use of limit</th></tr></thead>\n")
          .append("<tbody>\n");
      for (ReportContent.DeviceRow d : c.devices()) {
        double busyShare =
            s.iterationNanos() == 0 ? 0 : (double) d.predictedBusyNanos() / s.iterationNanos();
        double memShare =
            d.memoryLimitBytes() <= 0 ? 0 : (double) d.peakMemoryBytes() / d.memoryLimitBytes();
        b.append("<tr><td>")
            .append(d.device())
            .append("</td><td>")
            .append(esc(d.stages()))
            .append("</td><td>")
            .append(esc(d.layers()))
            .append("</td><td class=\"num\">")
            .append(ms(d.predictedBusyNanos()))
            .append("</td><td class=\"num\">")
            .append(pct(busyShare))
            .append("</td>");
        if (measured) {
          b.append("<td class=\"num\">")
              .append(d.measuredBusyNanos() < 0 ? "" : ms(d.measuredBusyNanos()))
              .append("</td>");
        }
        b.append("<td class=\"num\">")
            .append(ByteUnit.format(d.peakMemoryBytes()))
            .append("</td><td class=\"num\">")
            .append(d.memoryLimitBytes() > 0 ? ByteUnit.format(d.memoryLimitBytes()) : "")
            .append("</td><td><div class=\"meter")
            .append(memShare > 1 ? " over" : "")
            .append("\"><span style=\"width:")
            .append(String.format(Locale.ROOT, "%.1f", Math.min(100, 100 * memShare)))
            .append("%\"></span></div> ")
            .append(pct(memShare))
            .append("</td></tr>\n");
      }
      b.append("</tbody>\n</table>\n");
      if (fold) {
        b.append("</details>\n");
      }
      b.append("</section>\n");
    }

    private void charts() {
      b.append("<section id=\"charts\">\n<h2>Schedule</h2>\n");
      figure(
          "gantt",
          "Predicted Gantt chart: one row per device, one bar per action (F forward, I/W/B backward); "
              + "labels are the micro-batch, then the stage where it fits; on devices with several "
              + "stages the later chunks are lighter and outlined; blank space is idle time."
              + GanttChart.summaryNote(c.predicted()).map(n -> " Note: " + n + ".").orElse(""));
      if (memory) {
        figure(
            "memory",
            "Predicted memory in use per device over the iteration; the dashed line is the limit.");
      }
      if (search) {
        String shown = searchShown(c.searchPoints().size(), c.simulatedCandidates());
        figure(
            "landscape",
            "Iteration time against micro-batch count for each schedule kind; " + shown);
        figure(
            "pareto",
            "Iteration time against peak memory: the Pareto front and the chosen plan; " + shown);
      }
      b.append("</section>\n");
    }

    private void figure(String stem, String caption) {
      b.append("<figure><a href=\"")
          .append(stem)
          .append(".png\"><img src=\"")
          .append(stem)
          .append(".png\" alt=\"")
          .append(esc(caption))
          .append("\"></a>\n<figcaption>")
          .append(esc(caption));
      if (files.contains(stem + ".svg")) {
        b.append(" <a href=\"").append(stem).append(".svg\">SVG</a>");
      }
      b.append("</figcaption></figure>\n");
    }

    private void why() {
      b.append("<section id=\"why\">\n<h2>Why this plan</h2>\n");
      b.append("<p>")
          .append(c.reason().isEmpty() ? "No reason was recorded." : esc(c.reason()))
          .append("</p>\n");
      if (!c.candidates().isEmpty()) {
        b.append(
                "<table>\n<thead><tr><th class=\"num\">rank</th><th>schedule</th><th>parallelism</th>")
            .append(
                "<th class=\"num\">b</th><th class=\"num\">m</th><th class=\"num\">v</th><th>partition</th>")
            .append("<th class=\"num\">iteration (ms)</th><th class=\"num\">vs chosen</th>")
            .append(
                "<th class=\"num\">bubble</th><th class=\"num\">peak memory</th></tr></thead>\n<tbody>\n");
        long best = c.candidates().get(0).iterationNanos();
        for (ReportContent.Candidate r : c.candidates()) {
          double slower = best == 0 ? 0 : (double) (r.iterationNanos() - best) / best;
          b.append(r.rank() == 1 ? "<tr class=\"chosen\">" : "<tr>")
              .append("<td class=\"num\">")
              .append(r.rank())
              .append("</td><td>")
              .append(esc(r.scheduleKind()))
              .append("</td><td>")
              .append(esc(r.parallelism()))
              .append("</td><td class=\"num\">")
              .append(r.microBatchSize())
              .append("</td><td class=\"num\">")
              .append(r.microBatchCount())
              .append("</td><td class=\"num\">")
              .append(r.virtualStages())
              .append("</td><td class=\"mono\">")
              .append(esc(r.partition()))
              .append("</td><td class=\"num\">")
              .append(ms(r.iterationNanos()))
              .append("</td><td class=\"num\">")
              .append(r.rank() == 1 ? "chosen" : signedPct(slower))
              .append("</td><td class=\"num\">")
              .append(pct(r.bubbleRatio()))
              .append("</td><td class=\"num\">")
              .append(ByteUnit.format(r.peakMemoryBytes()))
              .append("</td></tr>\n");
        }
        b.append("</tbody>\n</table>\n");
      }
      b.append("</section>\n");
    }

    private void comparison() {
      if (comparison.isEmpty()) {
        return;
      }
      Comparison cmp = comparison.get();
      b.append(
          "<section id=\"comparison\">\n<h2>Predicted vs measured</h2>\n<table class=\"kv\">\n");
      kv(
          "iteration time",
          "predicted "
              + ms(cmp.predictedIterationNanos())
              + " ms, measured "
              + ms(cmp.measuredIterationNanos())
              + " ms");
      kv(
          "iteration error",
          signedPct(cmp.iterationError())
              + " of measured (negative: the prediction was optimistic)");
      kv(
          "per-action duration error",
          "|predicted - measured| / measured: median "
              + pct(cmp.medianActionError())
              + ", p90 "
              + pct(cmp.p90ActionError())
              + " over "
              + cmp.actions().size()
              + " matched actions"
              + (cmp.unmatchedActions() == 0 ? "" : ", " + cmp.unmatchedActions() + " unmatched")
              + (c.measuredIterations().size() > 1
                  ? "; each action's measured duration is its median over the "
                      + c.measuredIterations().size()
                      + " measured iterations"
                  : ""));
      kv(
          "bubble",
          "predicted "
              + pct(cmp.predictedBubbleRatio())
              + ", measured "
              + pct(cmp.measuredBubbleRatio()));
      if (cmp.mostDriftedStage() >= 0) {
        kv(
            "stage that drifted most",
            "stage "
                + cmp.mostDriftedStage()
                + ": measured actions took "
                + String.format(Locale.ROOT, "%.2f", cmp.mostDriftedRatio())
                + "x their predicted time on average");
      }
      for (ReportContent.Row r : c.runDetails()) {
        kv(r.label(), r.value());
      }
      b.append("</table>\n");
      figure(
          "paired", "Predicted (upper) and measured (lower) row of each device on one time axis.");
      b.append("</section>\n");
    }

    private void kv(String label, String value) {
      b.append("<tr><th>")
          .append(esc(label))
          .append("</th><td>")
          .append(esc(value))
          .append("</td></tr>\n");
    }

    private void filesSection() {
      b.append("<section id=\"files\">\n<h2>Files</h2>\n<ul>\n");
      b.append("<li><a href=\"trace.json\">trace.json</a>: Chrome trace of the ")
          .append(
              c.measured().isPresent()
                  ? "predicted (process 1) and measured (process 2) timelines"
                  : "predicted timeline")
          .append("; open it in Perfetto or chrome://tracing.</li>\n");
      if (files.contains("plan.json")) {
        b.append("<li><a href=\"plan.json\">plan.json</a>: the plan this report shows.</li>\n");
      }
      b.append("</ul>\n</section>\n");
    }
  }

  /**
   * "showing 9 of 77 simulated candidates (the plan file keeps the ranked runners-up and the Pareto
   * set)".
   */
  static String searchShown(int shown, long simulated) {
    if (simulated <= 0) {
      return "showing the " + shown + " candidates the plan file keeps.";
    }
    if (shown >= simulated) {
      return "showing all " + simulated + " simulated candidates.";
    }
    return "showing "
        + shown
        + " of "
        + simulated
        + " simulated candidates (the plan file keeps only the ranked runners-up and the Pareto"
        + " set; 'pipeplan plan --top K' keeps more).";
  }

  /** "9 of 77 simulated candidates shown" for chart subtitles; empty when all are shown. */
  static String searchShownShort(ReportContent content) {
    long simulated = content.simulatedCandidates();
    int shown = content.searchPoints().size();
    return simulated > shown
        ? shown + " of " + simulated + " simulated candidates shown (runners-up and Pareto set)"
        : "";
  }

  static String esc(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      switch (ch) {
        case '<':
          b.append("&lt;");
          break;
        case '>':
          b.append("&gt;");
          break;
        case '&':
          b.append("&amp;");
          break;
        case '"':
          b.append("&quot;");
          break;
        case '\'':
          b.append("&#39;");
          break;
        default:
          b.append(ch);
      }
    }
    return b.toString();
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
  }

  static String pct(double ratio) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * ratio);
  }

  static String signedPct(double ratio) {
    return String.format(Locale.ROOT, "%+.1f%%", 100 * ratio);
  }

  private static final String CSS =
      String.join(
          "\n",
          "body { margin: 0; background: #fafafa; color: #1a1a1a;",
          "  font: 15px/1.45 -apple-system, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif; }",
          "main { max-width: 1440px; margin: 0 auto; padding: 24px 32px 48px; }",
          "h1 { font-size: 26px; margin: 0 0 16px; }",
          "h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }",
          ".cards { display: flex; flex-wrap: wrap; gap: 12px; }",
          ".card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px 16px; min-width: 160px; }",
          ".card .label { color: #555; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }",
          ".card .value { font-size: 20px; font-weight: 600; }",
          ".card .note { color: #555; font-size: 13px; }",
          "details summary { cursor: pointer; margin: 6px 0; color: #0060a0; }",
          "table { border-collapse: collapse; background: #fff; margin: 8px 0; }",
          "th, td { border: 1px solid #e1e1e1; padding: 4px 10px; text-align: left; vertical-align: top; }",
          "td { overflow-wrap: anywhere; }",
          "section { max-width: 100%; overflow-x: auto; }",
          "thead th { background: #f0f0f0; font-weight: 600; }",
          "table.kv th { background: #f6f6f6; font-weight: 600; width: 220px; }",
          ".num { text-align: right; font-variant-numeric: tabular-nums; }",
          ".mono { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 13px; }",
          "tr.chosen td { background: #e8f2fa; font-weight: 600; }",
          ".meter { display: inline-block; width: 90px; height: 10px; background: #eee; border-radius: 3px;",
          "  vertical-align: middle; overflow: hidden; }",
          ".meter span { display: block; height: 100%; background: #0072B2; }",
          ".meter.over span { background: #D55E00; }",
          "figure { margin: 16px 0 24px; background: #fff; border: 1px solid #ddd; padding: 8px; }",
          "figure img { max-width: 100%; height: auto; display: block; }",
          "figcaption { color: #444; font-size: 13px; margin-top: 6px; }",
          "a { color: #0060a0; }",
          "");
}
