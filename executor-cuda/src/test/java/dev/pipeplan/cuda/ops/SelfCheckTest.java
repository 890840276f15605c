package dev.pipeplan.cuda.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.executor.core.ops.Ops;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The GPU self-check's comparison step and its progress line, on the host. */
class SelfCheckTest {
  @Test
  void reportsTheCasesAndTheFailuresInOneLine() {
    List<String> lines = new ArrayList<>();
    assertThat(SelfCheck.compareOps(new HostOps(), new HostOps(), lines::add)).isEmpty();
    assertThat(lines).singleElement().asString().contains("cuBLAS cases against HostOps, 0 failed");
  }

  @Test
  void passesOnTheFailuresOfTheComparison() {
    HostOps host = new HostOps();
    Ops broken =
        (Ops)
            java.lang.reflect.Proxy.newProxyInstance(
                Ops.class.getClassLoader(),
                new Class<?>[] {Ops.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("gemmBatched")) {
                    args[5] = (Float) args[5] * 2; // alpha doubled
                  }
                  try {
                    return method.invoke(host, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    List<String> lines = new ArrayList<>();
    List<String> failures = SelfCheck.compareOps(broken, new HostOps(), lines::add);
    assertThat(failures).isNotEmpty().allMatch(f -> f.startsWith("gemm"));
    assertThat(lines).singleElement().asString().endsWith(failures.size() + " failed");
  }
}
