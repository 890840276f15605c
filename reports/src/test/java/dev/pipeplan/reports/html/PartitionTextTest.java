package dev.pipeplan.reports.html;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PartitionTextTest {
  @Test
  void summarisesRunsOfEqualLayerCounts() {
    String thirtyThrees = "4," + "3,".repeat(30) + "4";
    assertThat(PartitionText.runs(thirtyThrees)).isEqualTo("4,3\u00d730,4");
    assertThat(PartitionText.runs("7,6,6,6,6,6,6,6,6,6,6,6,6,6,6,7")).isEqualTo("7,6\u00d714,7");
  }

  @Test
  void leavesPartitionsWithoutRunsAsTheyAre() {
    assertThat(PartitionText.runs("1,2,3")).isEqualTo("1,2,3");
    assertThat(PartitionText.runs("5")).isEqualTo("5");
    assertThat(PartitionText.runs("3,3")).isEqualTo("3\u00d72");
  }

  @Test
  void leavesTextThatIsNotAPartitionAlone() {
    assertThat(PartitionText.runs("a,b")).isEqualTo("a,b");
    assertThat(PartitionText.runs("")).isEqualTo("");
    assertThat(PartitionText.runs("3,,3")).isEqualTo("3,,3");
  }
}
