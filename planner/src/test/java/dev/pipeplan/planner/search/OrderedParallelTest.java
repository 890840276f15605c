package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class OrderedParallelTest {
  @Test
  void returnsResultsInTheItemsOrderOnSeveralThreads() {
    List<Integer> items = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      items.add(i);
    }
    Set<String> threadNames = ConcurrentHashMap.newKeySet();
    List<Integer> squares;
    try (OrderedParallel parallel = new OrderedParallel(3)) {
      squares =
          parallel.map(
              items,
              i -> {
                threadNames.add(Thread.currentThread().getName());
                return i * i;
              });
    }
    for (int i = 0; i < items.size(); i++) {
      assertThat(squares.get(i)).isEqualTo(i * i);
    }
    assertThat(threadNames).allMatch(name -> name.startsWith("pipeplan-search-"));
  }

  @Test
  void oneThreadRunsOnTheCallersThread() {
    String caller = Thread.currentThread().getName();
    try (OrderedParallel parallel = new OrderedParallel(1)) {
      assertThat(parallel.map(List.of(1, 2), i -> Thread.currentThread().getName()))
          .containsExactly(caller, caller);
    }
  }

  @Test
  void rethrowsTheTasksOwnException() {
    try (OrderedParallel parallel = new OrderedParallel(2)) {
      assertThatThrownBy(
              () ->
                  parallel.map(
                      List.of(1, 2, 3),
                      i -> {
                        if (i == 2) {
                          throw new BadInputException("item 2 is bad");
                        }
                        return i;
                      }))
          .isInstanceOf(BadInputException.class)
          .hasMessage("item 2 is bad");
    }
  }
}
