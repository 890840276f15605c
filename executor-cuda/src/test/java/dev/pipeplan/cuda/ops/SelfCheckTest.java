package dev.pipeplan.cuda.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The GPU self-check's comparison, run with the host on both sides and with a broken side. */
class SelfCheckTest {
  @Test
  void theHostAgreesWithItselfOnEveryCase() {
    List<String> lines = new ArrayList<>();
    assertThat(SelfCheck.compareOps(new HostOps(), new HostOps(), lines::add)).isEmpty();
    assertThat(lines).singleElement().asString().contains("0 failed");
  }

  @Test
  void everyKernelIsCovered() {
    List<String> launched = new ArrayList<>();
    HostOps host = new HostOps();
    Ops spy =
        (Ops)
            java.lang.reflect.Proxy.newProxyInstance(
                Ops.class.getClassLoader(),
                new Class<?>[] {Ops.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("launch")) {
                    launched.add(((Kernel) args[0]).name());
                  }
                  try {
                    return method.invoke(host, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    assertThat(SelfCheck.compareOps(spy, new HostOps(), line -> {})).isEmpty();
    for (Kernel k : Kernel.values()) {
      assertThat(launched).contains(k.name());
    }
    assertThat(host.liveTensors()).isZero();
  }

  @Test
  void aWrongProductOrKernelIsNamed() {
    HostOps host = new HostOps();
    Ops broken =
        (Ops)
            java.lang.reflect.Proxy.newProxyInstance(
                Ops.class.getClassLoader(),
                new Class<?>[] {Ops.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("gemm")) {
                    args[1] = !(Boolean) args[1]; // transB flipped
                    // keep ldb valid for the flipped layout
                    args[11] =
                        Math.max(
                            (Integer) args[11], Math.max((Integer) args[3], (Integer) args[4]));
                  }
                  if (method.getName().equals("launch") && args[0] == Kernel.CAUSAL_SOFTMAX) {
                    Object[] a = (Object[]) args[2];
                    a[3] = (Float) a[3] * 2;
                  }
                  try {
                    return method.invoke(host, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    List<String> failures = SelfCheck.compareOps(broken, new HostOps(), line -> {});
    assertThat(failures).anyMatch(f -> f.startsWith("pp_causal_softmax: argument 0 element"));
    assertThat(failures).anyMatch(f -> f.startsWith("cublasSgemm (transA false, transB"));
  }

  @Test
  void compareToleratesRoundingAndNaNPaddingOnly() {
    assertThat(SelfCheck.compare(new float[] {1f, Float.NaN}, new float[] {1.0001f, Float.NaN}))
        .isNull();
    assertThat(SelfCheck.compare(new float[] {1f, 0f}, new float[] {1.01f, 0f}))
        .contains("element 0");
    assertThat(SelfCheck.compare(new float[] {Float.NaN}, new float[] {1f}))
        .contains("element 0 is NaN");
  }
}
