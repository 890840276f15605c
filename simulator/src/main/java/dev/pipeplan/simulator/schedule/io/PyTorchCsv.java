package dev.pipeplan.simulator.schedule.io;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads and writes the schedule CSV of PyTorch's {@code torch.distributed.pipelining} ({@code
 * _dump_csv} / {@code _load_csv}): one row per rank, one cell per unit step, each cell an action
 * {@code <stage><TYPE><microBatch>} such as {@code 0F3}, {@code 2I1}, {@code 2W1} or {@code 1B0},
 * and empty cells where the rank idles. See docs/formats.md, "PyTorch schedule CSV".
 *
 * <p>Reading also accepts what PyTorch's lowered ("compute_comms") schedules add: communication and
 * sharding cells ({@code SEND_F}, {@code RECV_F}, {@code SEND_B}, {@code RECV_B}, {@code UNSHARD},
 * {@code RESHARD}, {@code REDUCE_GRAD}) are skipped, since pipeplan derives communication from the
 * dependencies; an overlapped pair {@code (0F4;3B1)OVERLAP_F_B} becomes its actions back to back.
 * The stage-to-device map is read off the rows: a stage belongs to the row it appears on. Reading
 * does not validate; call {@link ScheduleValidator#validate}.
 */
public final class PyTorchCsv {
  /** How the backward types are spelled. */
  public enum Spelling {
    /**
     * Current PyTorch: {@code B} full backward, {@code I} input gradient, {@code W} weight
     * gradient.
     */
    CURRENT,
    /**
     * Older PyTorch: {@code BW} full backward, {@code B} input gradient, {@code W} weight gradient.
     */
    LEGACY;

    /** The cell text of an action. */
    public String format(Action action) {
      return action.stage() + typeName(action.type()) + action.microBatch();
    }

    private String typeName(ActionType type) {
      if (this == LEGACY) {
        return switch (type) {
          case B -> "BW";
          case I -> "B";
          case F, W -> type.name();
        };
      }
      return type.name();
    }

    /** The action type a compute cell's type spells, or null if it spells none in this spelling. */
    ActionType parseType(String name) {
      if (this == LEGACY) {
        switch (name) {
          case "F":
            return ActionType.F;
          case "B":
            return ActionType.I;
          case "W":
            return ActionType.W;
          case "BW":
            return ActionType.B;
          default:
            return null;
        }
      }
      switch (name) {
        case "F":
          return ActionType.F;
        case "I":
          return ActionType.I;
        case "W":
          return ActionType.W;
        case "B":
          return ActionType.B;
        default:
          return null;
      }
    }
  }

  private static final List<String> SKIPPED_TYPES =
      List.of("SEND_F", "RECV_F", "SEND_B", "RECV_B", "UNSHARD", "RESHARD", "REDUCE_GRAD");

  private PyTorchCsv() {}

  /**
   * Parses a PyTorch schedule CSV.
   *
   * @param csv the file's text
   * @param name the schedule's name (for example the file name)
   * @param legacySpelling true for the older spelling ({@code B} = input gradient, {@code BW} =
   *     full backward)
   * @throws BadInputException naming the row, column and cell of a malformed cell, or a stage found
   *     on two ranks
   */
  public static Schedule read(String csv, String name, boolean legacySpelling) {
    Objects.requireNonNull(csv, "csv");
    Spelling spelling = legacySpelling ? Spelling.LEGACY : Spelling.CURRENT;
    // Spreadsheets save "CSV UTF-8" with a byte-order mark: it read as part of the first cell
    if (csv.startsWith("\uFEFF")) {
      csv = csv.substring(1);
    }
    List<String> lines =
        new ArrayList<>(List.of(csv.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1)));
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
      lines.remove(lines.size() - 1);
    }
    if (lines.isEmpty()) {
      throw new BadInputException(
          "PyTorch schedule CSV '" + name + "' has no rows; expected one row per rank");
    }
    List<List<Action>> deviceActions = new ArrayList<>(lines.size());
    List<Integer> stageRow = new ArrayList<>();
    int maxMicroBatch = -1;
    for (int row = 0; row < lines.size(); row++) {
      List<Action> actions = new ArrayList<>();
      String[] cells = lines.get(row).split(",", -1);
      for (int column = 0; column < cells.length; column++) {
        String cell = unquote(cells[column].trim());
        if (cell.isEmpty()) {
          continue;
        }
        String where =
            "PyTorch schedule CSV '" + name + "' row " + (row + 1) + " column " + (column + 1);
        parseCell(cell, spelling, where, actions);
      }
      for (Action a : actions) {
        while (stageRow.size() <= a.stage()) {
          stageRow.add(-1);
        }
        int owner = stageRow.get(a.stage());
        if (owner >= 0 && owner != row) {
          throw new BadInputException(
              "PyTorch schedule CSV '"
                  + name
                  + "': stage "
                  + a.stage()
                  + " appears on rank "
                  + owner
                  + " and rank "
                  + row
                  + "; each stage must belong to one rank");
        }
        stageRow.set(a.stage(), row);
        maxMicroBatch = Math.max(maxMicroBatch, a.microBatch());
      }
      deviceActions.add(actions);
    }
    if (maxMicroBatch < 0) {
      throw new BadInputException("PyTorch schedule CSV '" + name + "' has no compute actions");
    }
    for (int s = 0; s < stageRow.size(); s++) {
      if (stageRow.get(s) < 0) {
        throw new BadInputException(
            "PyTorch schedule CSV '"
                + name
                + "' has no action for stage "
                + s
                + " of stages 0.."
                + (stageRow.size() - 1));
      }
    }
    return new Schedule(name, lines.size(), maxMicroBatch + 1, stageRow, deviceActions);
  }

  /**
   * Writes a valid schedule in the current spelling, laid out in unit steps with empty idle cells.
   */
  public static String write(Schedule schedule) {
    return write(schedule, false);
  }

  /**
   * Writes a valid schedule, laid out in unit steps ({@link StepGrid}) with empty idle cells, one
   * line per rank.
   *
   * @throws BadInputException if the schedule is invalid
   */
  public static String write(Schedule schedule, boolean legacySpelling) {
    Spelling spelling = legacySpelling ? Spelling.LEGACY : Spelling.CURRENT;
    StringBuilder out = new StringBuilder();
    for (List<String> row : StepGrid.cells(schedule, StepGrid.of(schedule), spelling)) {
      out.append(String.join(",", row)).append('\n');
    }
    return out.toString();
  }

  private static String unquote(String cell) {
    if (cell.length() >= 2 && cell.startsWith("\"") && cell.endsWith("\"")) {
      return cell.substring(1, cell.length() - 1).trim();
    }
    return cell;
  }

  private static void parseCell(String cell, Spelling spelling, String where, List<Action> into) {
    if (cell.startsWith("(")) {
      int close = cell.indexOf(')');
      if (close < 0) {
        throw new BadInputException(where + ": cell '" + cell + "' opens '(' without closing it");
      }
      String kind = cell.substring(close + 1);
      if (!kind.equals("OVERLAP_F_B")) {
        throw new BadInputException(
            where
                + ": cell '"
                + cell
                + "' groups actions as '"
                + kind
                + "'; only OVERLAP_F_B is known");
      }
      for (String part : cell.substring(1, close).split(";")) {
        if (!part.isBlank()) {
          parseCell(part.trim(), spelling, where, into);
        }
      }
      return;
    }
    int k = 0;
    while (k < cell.length() && Character.isDigit(cell.charAt(k))) {
      k++;
    }
    int typeStart = k;
    while (k < cell.length() && (Character.isUpperCase(cell.charAt(k)) || cell.charAt(k) == '_')) {
      k++;
    }
    int typeEnd = k;
    while (k < cell.length() && Character.isDigit(cell.charAt(k))) {
      k++;
    }
    if (typeStart == 0 || typeEnd == typeStart || k != cell.length()) {
      throw new BadInputException(
          where + ": cell '" + cell + "' is not <stage><TYPE><microbatch>, e.g. 2F0");
    }
    String type = cell.substring(typeStart, typeEnd);
    if (SKIPPED_TYPES.contains(type)) {
      return;
    }
    ActionType parsed = spelling.parseType(type);
    if (parsed == null) {
      String known = spelling == Spelling.LEGACY ? "F, B, W, BW (legacy spelling)" : "F, I, W, B";
      String hint =
          spelling == Spelling.CURRENT && type.equals("BW")
              ? " Maybe the file uses the older spelling: use the legacy flag."
              : "";
      throw new BadInputException(
          where
              + ": cell '"
              + cell
              + "' has action type '"
              + type
              + "'; expected one of "
              + known
              + "."
              + hint);
    }
    if (typeEnd == cell.length()) {
      throw new BadInputException(where + ": cell '" + cell + "' has no micro-batch index");
    }
    int stage = parseIndex(cell.substring(0, typeStart), where, cell, "stage");
    int microBatch = parseIndex(cell.substring(typeEnd), where, cell, "micro-batch");
    into.add(Action.of(parsed, stage, microBatch));
  }

  private static int parseIndex(String digits, String where, String cell, String what) {
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      throw new BadInputException(
          where
              + ": cell '"
              + cell
              + "' has "
              + what
              + " index "
              + digits
              + " beyond "
              + Integer.MAX_VALUE,
          e);
    }
  }
}
