package dev.pipeplan.models.archfixture;

import dev.pipeplan.planner.Parallelism;

/**
 * A class in a models package that imports the planner: the wrong way round. Test code only, kept
 * out of the architecture rules' normal import; {@code ArchitectureTest} shows that the rule fails
 * on it.
 */
public final class WrongWayImport {
  private WrongWayImport() {}

  public static int pipelineDegree(Parallelism parallelism) {
    return parallelism.pp();
  }
}
