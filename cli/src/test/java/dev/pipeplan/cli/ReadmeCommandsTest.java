package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/**
 * Runs every command of the repository's README.md verbatim, in order, in one fresh folder, as a
 * user does on a fresh clone: {@code ./pipeplan ...} as a child JVM on this build's classpath with
 * the settings the {@code ./pipeplan} script gives it, anything else as the program on the PATH.
 * Each command must exit 0 and leave the files it says it wrote. Skipped, and reported as skipped:
 * {@code mvn -q verify} (the build that runs this test), a line whose program is not installed here
 * ({@code torchrun} without PyTorch), and the lines that read what a skipped line would have
 * written.
 */
class ReadmeCommandsTest {
  /** The programs README commands may start with; anything else is a typo. */
  private static final Set<String> KNOWN_PROGRAMS =
      Set.of("./pipeplan", "mvn", "python3", "torchrun");

  /** Fenced blocks with these info strings hold commands; other blocks (JSON, Java) do not. */
  private static final Set<String> COMMAND_FENCES = Set.of("", "sh", "bash", "shell", "console");

  private static final long COMMAND_TIMEOUT_MINUTES = 5;

  /** "wrote plan.json", "Wrote megatron/megatron-args.sh", "wrote report/index.html (11 files)". */
  private static final Pattern WROTE = Pattern.compile("^\\s*[Ww]rote (\\S+)");

  /** The demo's last lines: "report: /abs/index.html" and "also: a.json, b.json, c.json". */
  private static final Pattern DEMO_REPORT = Pattern.compile("^report: (\\S+)$");

  private static final Pattern DEMO_ALSO = Pattern.compile("^also:\\s+(.+)$");

  @TempDir Path work;
  @TempDir Path logs;

  /** One command of the README: its line number, its text and its shell words. */
  record Command(int line, String text, List<String> words) {
    Command {
      words = List.copyOf(words);
    }

    String program() {
      return words.get(0);
    }

    /** The value of {@code -o}/{@code --output}, in either spelling, if the command has one. */
    Optional<String> output() {
      for (int i = 0; i < words.size(); i++) {
        String w = words.get(i);
        if ((w.equals("-o") || w.equals("--output")) && i + 1 < words.size()) {
          return Optional.of(words.get(i + 1));
        }
        if (w.startsWith("--output=")) {
          return Optional.of(w.substring("--output=".length()));
        }
        if (w.startsWith("-o=")) {
          return Optional.of(w.substring("-o=".length()));
        }
      }
      return Optional.empty();
    }

    @Override
    public String toString() {
      return "README.md line " + line + ": " + text;
    }
  }

  @TestFactory
  Stream<DynamicTest> readmeCommandsRunVerbatimInOrder() throws IOException {
    List<Command> commands = readmeCommands(readme());
    assertThat(commands).as("commands in README.md").isNotEmpty();
    // The README's commands run from the repository root, where scripts/ holds the published runs.
    copyTree(repositoryRoot().resolve("scripts"), work.resolve("scripts"));
    Tour tour = new Tour();
    return commands.stream()
        .map(c -> DynamicTest.dynamicTest("line " + c.line() + ": " + c.text(), () -> tour.run(c)));
  }

  @Test
  void everyReadmeCommandStartsWithAKnownProgram() throws IOException {
    List<Command> commands = readmeCommands(readme());
    assertThat(commands)
        .extracting(Command::program)
        .isNotEmpty()
        .allMatch(KNOWN_PROGRAMS::contains);
    assertThat(commands).extracting(Command::program).contains("./pipeplan", "torchrun");
  }

  @Test
  void extractsCommandsFromCommandFencesOnly() {
    String markdown =
        String.join(
            "\n",
            "# Title",
            "./pipeplan not-in-a-fence",
            "```",
            "./pipeplan models list     # the zoo",
            "",
            "# a comment line",
            "./pipeplan plan --model 'my model.json' \\",
            "    -o \"out dir/plan.json\"",
            "```",
            "```json",
            "{\"not\": \"a command\"}",
            "```",
            "```sh",
            "torchrun --standalone x.py",
            "```");
    List<Command> commands = readmeCommands(markdown);
    assertThat(commands)
        .extracting(Command::line)
        .as("line numbers of the commands")
        .containsExactly(4, 7, 14);
    assertThat(commands.get(0).words()).containsExactly("./pipeplan", "models", "list");
    assertThat(commands.get(1).words())
        .containsExactly(
            "./pipeplan", "plan", "--model", "my model.json", "-o", "out dir/plan.json");
    assertThat(commands.get(1).output()).contains("out dir/plan.json");
    assertThat(commands.get(2).words()).containsExactly("torchrun", "--standalone", "x.py");
  }

  @Test
  void splitsShellWordsAsTheShellDoes() {
    assertThat(shellWords("a  'b c'd \"e \\\"f\\\" g\" h\\ i '' #comment"))
        .containsExactly("a", "b cd", "e \"f\" g", "h i", "");
    assertThat(shellWords("python3 -c 'import torch' # no torch here"))
        .containsExactly("python3", "-c", "import torch");
    assertThat(shellWords("x --name=a#b")).containsExactly("x", "--name=a#b");
    assertThatThrownBy(() -> shellWords("a 'b")).hasMessageContaining("unterminated");
    assertThatThrownBy(() -> shellWords("a > out.txt")).hasMessageContaining("'>'");
    assertThatThrownBy(() -> shellWords("echo \"$HOME\"")).hasMessageContaining("'$'");
  }

  /** The state carried from one README command to the next. */
  private final class Tour {
    /** Paths a skipped command would have written, with the line that would have written them. */
    private final Map<Path, Command> missing = new LinkedHashMap<>();

    private Command failed;

    void run(Command c) throws IOException, InterruptedException {
      if (failed != null) {
        Assumptions.abort("not run: an earlier command failed (" + failed + ")");
      }
      for (String word : c.words().subList(1, c.words().size())) {
        Path p = resolve(word);
        for (Map.Entry<Path, Command> m : missing.entrySet()) {
          if (p.startsWith(m.getKey())) {
            skip(c, "it reads " + word + ", which the skipped " + m.getValue() + " would write");
          }
        }
      }
      try {
        switch (c.program()) {
          case "./pipeplan" -> runPipeplan(c);
          case "mvn" -> runMaven(c);
          case "python3" -> {
            requireProgram(c, "python3");
            runExternal(c);
          }
          case "torchrun" -> runTorchrun(c);
          default -> fail("README command starts with an unknown program: " + c);
        }
      } catch (TestAbortedException e) {
        throw e;
      } catch (Throwable t) {
        failed = c;
        throw t;
      }
    }

    private void skip(Command c, String why) {
      c.output().ifPresent(o -> missing.put(resolve(o), c));
      String message = "skipped " + c + ": " + why;
      System.out.println("ReadmeCommandsTest: " + message);
      Assumptions.abort(message);
    }

    private void requireProgram(Command c, String program) {
      if (onPath(program).isEmpty()) {
        skip(c, program + " is not on the PATH");
      }
    }

    private void runMaven(Command c) {
      if (c.words().equals(List.of("mvn", "-q", "verify"))) {
        Assumptions.abort("mvn -q verify is the build that runs this test");
      }
      fail("the test runs no Maven command but 'mvn -q verify'; teach it to run " + c);
    }

    private void runTorchrun(Command c) throws IOException, InterruptedException {
      Path traces = torchrunTraces(c);
      // until the launcher has run, its traces are missing for the commands that read them
      missing.put(traces, c);
      requireProgram(c, "torchrun");
      if (onPath("python3").isEmpty() || exec(List.of("python3", "-c", "import torch"), 1) != 0) {
        skip(c, "PyTorch is not installed (python3 -c 'import torch' fails)");
      }
      runExternal(c);
      missing.remove(traces);
      try (Stream<Path> files = Files.list(traces)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .as("trace files the launcher wrote in " + traces)
            .anyMatch(n -> n.matches("rank\\d+\\.json"));
      }
    }

    /** Where the exported launcher writes its traces: --out, else traces/ beside the script. */
    private Path torchrunTraces(Command c) {
      List<String> w = c.words();
      for (int i = 0; i + 1 < w.size(); i++) {
        if (w.get(i).equals("--out")) {
          return resolve(w.get(i + 1));
        }
      }
      String script =
          w.stream()
              .filter(s -> s.endsWith(".py"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no .py script in " + c));
      return resolve(script).getParent().resolve("traces");
    }

    private void runPipeplan(Command c) throws IOException, InterruptedException {
      String classpath = System.getProperty("surefire.test.class.path");
      if (classpath == null || classpath.isEmpty()) {
        classpath = System.getProperty("java.class.path");
      }
      List<String> argv = new ArrayList<>();
      argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      // as the ./pipeplan script starts it (PIPEPLAN_JAVA_OPTS unset)
      argv.add("-Xmx4g");
      argv.add("-Djava.awt.headless=true");
      argv.add("-cp");
      argv.add(classpath);
      argv.add(Main.class.getName());
      argv.addAll(c.words().subList(1, c.words().size()));
      String out = runChecked(c, argv);
      List<Path> announced = announcedFiles(out);
      for (Path p : announced) {
        assertThat(p).as("file announced by " + c + "\n" + out).exists();
      }
      if (c.output().isPresent()) {
        assertThat(announced).as("files " + c + " says it wrote\n" + out).isNotEmpty();
      }
    }

    private void runExternal(Command c) throws IOException, InterruptedException {
      runChecked(c, c.words());
    }

    private String runChecked(Command c, List<String> argv)
        throws IOException, InterruptedException {
      Path log = logs.resolve("line" + c.line() + ".log");
      ProcessBuilder pb =
          new ProcessBuilder(argv)
              .directory(work.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      // the ./pipeplan script's defaults; a user's own settings win, as in the script
      pb.environment().putIfAbsent("OMP_NUM_THREADS", "1");
      pb.environment().putIfAbsent("OPENBLAS_NUM_THREADS", "1");
      long start = System.nanoTime();
      Process process = pb.start();
      boolean finished = process.waitFor(COMMAND_TIMEOUT_MINUTES, TimeUnit.MINUTES);
      if (!finished) {
        process.destroyForcibly().waitFor();
      }
      String out = Files.readString(log, StandardCharsets.UTF_8);
      System.out.printf(
          "ReadmeCommandsTest: %s: exit %s in %.1f s%n",
          c, finished ? process.exitValue() : "none", (System.nanoTime() - start) / 1e9);
      assertThat(finished)
          .as("%s finished within %d minutes; output:%n%s", c, COMMAND_TIMEOUT_MINUTES, out)
          .isTrue();
      assertThat(process.exitValue()).as("exit code of %s; output:%n%s", c, out).isZero();
      c.output().ifPresent(o -> assertThat(resolve(o)).as("-o of " + c + "\n" + out).exists());
      return out;
    }

    private List<Path> announcedFiles(String out) {
      List<Path> files = new ArrayList<>();
      for (String line : out.split("\\R")) {
        Matcher wrote = WROTE.matcher(line);
        Matcher report = DEMO_REPORT.matcher(line.strip());
        Matcher also = DEMO_ALSO.matcher(line.strip());
        if (wrote.find()) {
          files.add(resolve(wrote.group(1)));
        } else if (report.matches()) {
          files.add(resolve(report.group(1)));
        } else if (also.matches()) {
          for (String f : also.group(1).split(",\\s*")) {
            files.add(resolve(f));
          }
        }
      }
      return files;
    }

    private Path resolve(String word) {
      return work.resolve(word).normalize();
    }
  }

  private static Optional<Path> onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, program);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Runs a probe such as {@code python3 -c 'import torch'}, its output discarded. */
  private static int exec(List<String> argv, long timeoutMinutes)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      return -1;
    }
    return p.exitValue();
  }

  /** README.md of the repository. */
  private static String readme() throws IOException {
    return Files.readString(repositoryRoot().resolve("README.md"), StandardCharsets.UTF_8);
  }

  /** The first folder up from here that holds README.md beside pom.xml and a cli folder. */
  private static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("README.md"))
          && Files.isRegularFile(dir.resolve("pom.xml"))
          && Files.isDirectory(dir.resolve("cli"))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "no README.md beside a pom.xml and a cli folder above " + Path.of("").toAbsolutePath());
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.sorted().toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  /**
   * The command lines of a Markdown text's command fences, in order: comment lines and blank lines
   * left out, trailing {@code # comments} stripped, lines ending in a backslash joined to the next.
   */
  static List<Command> readmeCommands(String markdown) {
    List<Command> commands = new ArrayList<>();
    String[] lines = markdown.split("\\R", -1);
    boolean inFence = false;
    boolean commandFence = false;
    for (int i = 0; i < lines.length; i++) {
      String stripped = lines[i].strip();
      if (stripped.startsWith("```")) {
        if (inFence) {
          inFence = false;
        } else {
          inFence = true;
          commandFence = COMMAND_FENCES.contains(stripped.substring(3).strip());
        }
        continue;
      }
      if (!inFence || !commandFence || stripped.isEmpty() || stripped.startsWith("#")) {
        continue;
      }
      int first = i + 1;
      StringBuilder text = new StringBuilder(stripped);
      while (text.toString().endsWith("\\") && i + 1 < lines.length) {
        text.setLength(text.length() - 1);
        text.append(' ').append(lines[++i].strip());
      }
      List<String> words = shellWords(text.toString());
      String shown = text.toString().replaceAll("\\s+#\\s.*$", "").strip();
      commands.add(new Command(first, shown, words));
    }
    assertThat(inFence).as("README.md ends inside a code fence").isFalse();
    return commands;
  }

  /**
   * The words a POSIX shell makes of a simple command: single and double quotes, backslash escapes
   * and a {@code #} comment at the start of a word. Anything more (redirections, pipes, variables,
   * globs, command substitution) is refused, so that what the test runs is what a shell would run.
   */
  static List<String> shellWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    int i = 0;
    while (i < line.length()) {
      char ch = line.charAt(i);
      if (Character.isWhitespace(ch)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
        i++;
      } else if (ch == '#' && !inWord) {
        break;
      } else if (ch == '\'') {
        int end = line.indexOf('\'', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated single quote in: " + line);
        }
        word.append(line, i + 1, end);
        inWord = true;
        i = end + 1;
      } else if (ch == '"') {
        i++;
        while (true) {
          if (i >= line.length()) {
            throw new IllegalArgumentException("unterminated double quote in: " + line);
          }
          char q = line.charAt(i);
          if (q == '"') {
            i++;
            break;
          }
          if (q == '$' || q == '`') {
            throw new IllegalArgumentException(
                "'" + q + "' inside double quotes is more shell than this test runs: " + line);
          }
          if (q == '\\' && i + 1 < line.length() && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
            word.append(line.charAt(i + 1));
            i += 2;
          } else {
            word.append(q);
            i++;
          }
        }
        inWord = true;
      } else if (ch == '\\') {
        if (i + 1 < line.length()) {
          word.append(line.charAt(i + 1));
        }
        inWord = true;
        i += 2;
      } else if ("|&;<>()$`*?[]{}~".indexOf(ch) >= 0) {
        throw new IllegalArgumentException(
            "'" + ch + "' is more shell than this test runs (simple commands only): " + line);
      } else {
        word.append(ch);
        inWord = true;
        i++;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
