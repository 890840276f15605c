package dev.pipeplan.executor.core.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The backend comparison, run with the host on both sides and with a broken side. */
class OpsComparisonTest {
  @Test
  void theHostAgreesWithItselfOnEveryCase() {
    OpsComparison.Result result = OpsComparison.compare(new HostOps(), new HostOps());
    assertThat(result.failures()).isEmpty();
    assertThat(result.cases()).isGreaterThan(Kernel.values().length);
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
    assertThat(OpsComparison.compare(spy, new HostOps()).failures()).isEmpty();
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
    List<String> failures = OpsComparison.compare(broken, new HostOps()).failures();
    assertThat(failures).anyMatch(f -> f.startsWith("pp_causal_softmax: argument 0 element"));
    assertThat(failures).anyMatch(f -> f.startsWith("gemm (transA false, transB"));
  }

  @Test
  void compareToleratesRoundingAndNaNPaddingOnly() {
    assertThat(OpsComparison.compare(new float[] {1f, Float.NaN}, new float[] {1.0001f, Float.NaN}))
        .isNull();
    assertThat(OpsComparison.compare(new float[] {1f, 0f}, new float[] {1.01f, 0f}))
        .contains("element 0");
    assertThat(OpsComparison.compare(new float[] {Float.NaN}, new float[] {1f}))
        .contains("element 0 is NaN");
  }
}
