package dev.pipeplan.cli;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The arrows of ARCHITECTURE.md's module table, held by the build: each module imports only the
 * modules below it, the numerical and charting frameworks stay in their modules (executor-core has
 * no native library and knows no backend), and neither the modules nor the packages form cycles.
 * The cli module sees every module but the CUDA backend (its own classpath), so the test lives
 * here.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.pipeplan");
    // every module is on the test classpath (as target/classes or as its jar): a rule that checked
    // nothing would pass by accident
    for (String module :
        new String[] {
          "models", "simulator", "planner", "executor.core", "executor", "reports", "cli"
        }) {
      org.assertj.core.api.Assertions.assertThat(
              classes.stream()
                  .anyMatch(c -> c.getPackageName().startsWith("dev.pipeplan." + module)))
          .as("classes of module %s imported", module)
          .isTrue();
    }
  }

  private static final String[] ABOVE_MODELS = {
    "dev.pipeplan.simulator..",
    "dev.pipeplan.planner..",
    "dev.pipeplan.executor..",
    "dev.pipeplan.reports..",
    "dev.pipeplan.cli..",
    "dev.pipeplan.cuda.."
  };

  private static com.tngtech.archunit.lang.ArchRule modelsRule() {
    return noClasses()
        .that()
        .resideInAPackage("dev.pipeplan.models..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(ABOVE_MODELS);
  }

  @Test
  void modelsImportsNoOtherModule() {
    modelsRule().check(classes);
  }

  @Test
  void aWrongWayImportFailsTheRule() {
    // A models class that imports the planner (test code, so outside the check above): the same
    // rule must reject it, naming the class and what it reached for.
    JavaClasses wrong =
        new ClassFileImporter().importClasses(dev.pipeplan.models.archfixture.WrongWayImport.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> modelsRule().check(wrong))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("WrongWayImport")
        .hasMessageContaining("dev.pipeplan.planner.Parallelism");
  }

  @Test
  void simulatorImportsOnlyModels() {
    noClasses()
        .that()
        .resideInAPackage("dev.pipeplan.simulator..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.pipeplan.planner..",
            "dev.pipeplan.executor..",
            "dev.pipeplan.reports..",
            "dev.pipeplan.cli..",
            "dev.pipeplan.cuda..")
        .check(classes);
  }

  @Test
  void plannerImportsOnlySimulatorAndModels() {
    noClasses()
        .that()
        .resideInAPackage("dev.pipeplan.planner..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.pipeplan.executor..",
            "dev.pipeplan.reports..",
            "dev.pipeplan.cli..",
            "dev.pipeplan.cuda..")
        .check(classes);
  }

  @Test
  void reportsNeverTouchTheExecutor() {
    noClasses()
        .that()
        .resideInAPackage("dev.pipeplan.reports..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.pipeplan.executor..", "dev.pipeplan.cli..", "org.nd4j..")
        .check(classes);
  }

  @Test
  void reportsNeverRegenerateOrSimulateASchedule() {
    // A report renders what it is handed; the prediction it shows is computed by a library call
    // its caller makes (PlanPrediction), never by the report itself.
    noClasses()
        .that()
        .resideInAPackage("dev.pipeplan.reports..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.pipeplan.simulator.engine..", "dev.pipeplan.simulator.schedule.generate..")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("dev.pipeplan.planner.PlanPrediction")
        .check(classes);
  }

  @Test
  void theExecutorNeverImportsReportsOrTheCommandLine() {
    noClasses()
        .that()
        .resideInAPackage("dev.pipeplan.executor..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.pipeplan.reports..", "dev.pipeplan.cli..", "org.jfree..")
        .check(classes);
  }

  @Test
  void executorCoreImportsNoNativeLibraryAndNoBackend() {
    noClasses()
        .that()
        .resideInAPackage("dev.pipeplan.executor.core..")
        .should()
        .dependOnClassesThat(
            resideInAnyPackage(
                    "org.nd4j..",
                    "org.bytedeco..",
                    "org.jfree..",
                    "dev.pipeplan.executor..",
                    "dev.pipeplan.cuda..",
                    "dev.pipeplan.reports..",
                    "dev.pipeplan.cli..")
                .and(not(resideInAPackage("dev.pipeplan.executor.core.."))))
        .check(classes);
  }

  @Test
  void simulatorAndPlannerNeverTouchNd4jOrJFreeChart() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.pipeplan.models..", "dev.pipeplan.simulator..", "dev.pipeplan.planner..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.nd4j..", "org.bytedeco..", "org.jfree..")
        .check(classes);
  }

  @Test
  void modulesFormNoCycles() {
    slices().matching("dev.pipeplan.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void packagesFormNoCycles() {
    slices().matching("dev.pipeplan.(**)").should().beFreeOfCycles().check(classes);
  }
}
