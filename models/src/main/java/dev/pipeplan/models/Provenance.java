package dev.pipeplan.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.Properties;

/**
 * How a file pipeplan wrote was made: which pipeplan, which cost source, which search options and
 * which cluster. Plans carry it, so that a plan says where its numbers come from.
 *
 * @param pipeplanVersion the version of pipeplan that wrote the file
 * @param costSource what priced the actions: the analytic roofline with the devices' efficiencies
 *     and where they come from, or a profile with its SHA-256 digest
 * @param searchOptions what the search kept fixed and what it varied, in one line
 * @param cluster the cluster argument or file the plan was made for, as given
 */
public record Provenance(
    String pipeplanVersion, String costSource, String searchOptions, String cluster) {

  /** What a file written before provenance was recorded says. */
  public static final String UNRECORDED = "not recorded (written before pipeplan kept provenance)";

  public Provenance {
    Checks.nonBlank("provenance pipeplanVersion", pipeplanVersion);
    Checks.nonBlank("provenance costSource", costSource);
    Checks.nonBlank("provenance searchOptions", searchOptions);
    Checks.nonBlank("provenance cluster", cluster);
  }

  /** The provenance of a file that has none. */
  public static Provenance unrecorded() {
    return new Provenance(UNRECORDED, UNRECORDED, UNRECORDED, UNRECORDED);
  }

  /** This pipeplan's version, from the build ({@code version.properties}). */
  public static String currentVersion() {
    return Version.VALUE;
  }

  private static final class Version {
    static final String VALUE = read();

    private static String read() {
      Properties p = new Properties();
      try (InputStream in = Provenance.class.getResourceAsStream("version.properties")) {
        if (in == null) {
          return "unknown";
        }
        p.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      String v = Objects.requireNonNullElse(p.getProperty("version"), "unknown");
      return v.startsWith("${") ? "unknown" : v;
    }
  }
}
