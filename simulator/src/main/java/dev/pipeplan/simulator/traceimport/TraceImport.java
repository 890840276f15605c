package dev.pipeplan.simulator.traceimport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.JsonErrors;
import dev.pipeplan.simulator.timeline.TimedAction;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Reads the traces of one PyTorch pipeline run into measured timelines. Each path is a file or a
 * folder; a folder stands for its launcher traces ({@code rank<R>.json}), or, when it has none, for
 * every {@code .json} file in it, in name order. The files must all be launcher traces (one per
 * rank) or all Chrome traces.
 */
public final class TraceImport {
  private TraceImport() {}

  /**
   * Reads the traces.
   *
   * @throws BadInputException naming the file, the event and the field of a malformed trace, or the
   *     rank or action that is missing or repeated
   */
  public static ImportedTrace read(List<Path> paths) {
    Objects.requireNonNull(paths, "paths");
    if (paths.isEmpty()) {
      throw new BadInputException(
          "no trace files given. Maybe pass the launcher's traces/ folder.");
    }
    List<Path> files = new ArrayList<>();
    for (Path p : paths) {
      files.addAll(expand(p));
    }
    List<String> names = new ArrayList<>();
    List<JsonNode> roots = new ArrayList<>();
    for (Path file : files) {
      names.add(file.toString());
      roots.add(parse(file));
    }
    return fromJson(roots, names);
  }

  /** Reads traces already loaded as JSON text; {@code names} name them in messages. */
  public static ImportedTrace parse(List<String> texts, List<String> names) {
    if (texts.size() != names.size()) {
      throw new IllegalArgumentException(texts.size() + " texts for " + names.size() + " names");
    }
    List<JsonNode> roots = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      roots.add(parseText(texts.get(i), names.get(i)));
    }
    return fromJson(roots, names);
  }

  private static ImportedTrace fromJson(List<JsonNode> roots, List<String> names) {
    if (roots.isEmpty()) {
      throw new BadInputException(
          "no trace files found. Maybe pass the launcher's traces/ folder.");
    }
    boolean launcher = LauncherTraceReader.isLauncherTrace(roots.get(0));
    for (int i = 0; i < roots.size(); i++) {
      JsonNode root = roots.get(i);
      boolean isLauncher = LauncherTraceReader.isLauncherTrace(root);
      if (!isLauncher && !ChromeTraceReader.isChromeTrace(root)) {
        throw new BadInputException(
            "trace file "
                + names.get(i)
                + " is neither a launcher trace (format '"
                + LauncherTraceReader.FORMAT
                + "') nor a Chrome trace (an object with 'traceEvents', or an array)");
      }
      if (isLauncher != launcher) {
        throw new BadInputException(
            "trace files "
                + names.get(0)
                + " and "
                + names.get(i)
                + " are of different"
                + " kinds (launcher trace and Chrome trace); import one kind at a time");
      }
    }
    if (launcher) {
      List<LauncherTraceReader.RankTrace> ranks = new ArrayList<>();
      for (int i = 0; i < roots.size(); i++) {
        ranks.add(LauncherTraceReader.parse(roots.get(i), names.get(i)));
      }
      return LauncherTraceReader.join(ranks);
    }
    List<List<TimedAction>> perFile = new ArrayList<>();
    for (int i = 0; i < roots.size(); i++) {
      perFile.add(ChromeTraceReader.parse(roots.get(i), names.get(i), i, roots.size()));
    }
    return ChromeTraceReader.join(perFile, names);
  }

  private static List<Path> expand(Path path) {
    if (!Files.isDirectory(path)) {
      return List.of(path);
    }
    List<Path> all;
    try (Stream<Path> listing = Files.list(path)) {
      all = listing.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new BadInputException("cannot list trace folder " + path + ": " + e.getMessage(), e);
    }
    List<Path> rankFiles = new ArrayList<>();
    List<Path> jsonFiles = new ArrayList<>();
    for (Path p : all) {
      String name = p.getFileName().toString();
      if (name.matches("rank\\d+\\.json")) {
        rankFiles.add(p);
      }
      if (name.endsWith(".json")) {
        jsonFiles.add(p);
      }
    }
    List<Path> chosen = rankFiles.isEmpty() ? jsonFiles : rankFiles;
    if (chosen.isEmpty()) {
      throw new BadInputException(
          "trace folder " + path + " has no .json files. Maybe run the launcher first.");
    }
    return chosen;
  }

  private static JsonNode parse(Path file) {
    try {
      return parseText(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (NoSuchFileException e) {
      throw new BadInputException("trace file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new BadInputException("cannot read trace file " + file + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode parseText(String text, String name) {
    JsonNode root;
    try {
      // written by PyTorch's profiler, not by hand: a key it repeats, or what it appends after
      // the trace, is not refused
      root =
          Json.json()
              .reader()
              .without(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
              .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
              .readTree(text);
    } catch (JsonProcessingException e) {
      throw new BadInputException(JsonErrors.syntax("trace file " + name, e), e);
    }
    if (root == null || root.isMissingNode()) {
      throw new BadInputException("trace file " + name + " is empty");
    }
    return root;
  }
}
