package dev.pipeplan.simulator.cost.roofline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DataParallelOverlapTest {
  @Test
  void onlyTheReductionBeyondTheBackwardIsExposed() {
    // 10 ms of all-reduce under 7 ms of backward: 3 ms stick out (the last bucket, 4% of 1e9
    // parameters, is only 0.4 ms).
    assertThat(DataParallelOverlap.exposedNanos(10_000_000, 7_000_000, 1_000_000_000, 40_000_000))
        .isEqualTo(3_000_000);
  }

  @Test
  void aReductionHiddenByTheBackwardStillExposesItsLastBucket() {
    assertThat(DataParallelOverlap.exposedNanos(10_000_000, 20_000_000, 1_000_000_000, 40_000_000))
        .isEqualTo(400_000);
  }

  @Test
  void gradientsInOneBucketAreNotOverlappedAtAll() {
    assertThat(DataParallelOverlap.exposedNanos(10_000_000, 20_000_000, 30_000_000, 40_000_000))
        .isEqualTo(10_000_000);
  }

  @Test
  void theBucketGrowsWithTheDataParallelDegreeAsMegatronsDoes() {
    assertThat(DataParallelOverlap.bucketParameters(8)).isEqualTo(40_000_000);
    assertThat(DataParallelOverlap.bucketParameters(128)).isEqualTo(128_000_000);
  }

  @Test
  void rejectsANegativeWindow() {
    assertThatThrownBy(() -> DataParallelOverlap.exposedNanos(1, -1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
