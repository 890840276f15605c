// Compiles a CUDA C++ source to PTX with NVIDIA's runtime compiler NVRTC, on the CPU (no GPU and no nvcc needed),
// through the JavaCPP CUDA presets. scripts/build-ptx.sh runs it when nvcc is missing:
//
//   javac -d <dir> -cp <jars> scripts/NvrtcPtx.java
//   java -cp <dir>:<jars> NvrtcPtx <source.cu> <out.ptx> <options...>
//
// <jars>: javacpp and its linux-x86_64 jar, the cuda presets and their linux-x86_64 jar, and
// org.bytedeco:cuda-redist's linux-x86_64 jar, which holds libnvrtc. The presets' nvrtc class inherits the CUDA
// runtime's, whose JNI library needs the driver's libcuda.so.1, which a machine without a GPU lacks; so JavaCPP's
// own loading is switched off and only the four libraries NVRTC needs are extracted and loaded, by this class (it
// must sit on the class path, not run as a source file, so that the JNI library binds to the presets' class loader).
// The options are NVRTC's (--gpu-architecture=compute_90, --generate-line-info, ...). It prints the NVRTC version,
// the compile log and the number of entries written, and exits 1 on a compile error.

import static org.bytedeco.cuda.global.nvrtc.NVRTC_SUCCESS;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetPTX;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetPTXSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcVersion;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

public final class NvrtcPtx {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: NvrtcPtx <source.cu> <out.ptx> [nvrtc options...]");
      System.exit(2);
    }
    Path source = Path.of(args[0]);
    Path out = Path.of(args[1]);
    String[] options = java.util.Arrays.copyOfRange(args, 2, args.length);
    loadNvrtc();
    int[] major = {0};
    int[] minor = {0};
    check(nvrtcVersion(major, minor), "nvrtcVersion");
    System.out.println("NVRTC " + major[0] + "." + minor[0] + ", options " + String.join(" ", options));

    String text = Files.readString(source, StandardCharsets.UTF_8);
    _nvrtcProgram program = new _nvrtcProgram();
    check(
        nvrtcCreateProgram(
            program,
            new BytePointer(text, StandardCharsets.UTF_8),
            new BytePointer(source.getFileName().toString()),
            0,
            (PointerPointer<?>) null,
            (PointerPointer<?>) null),
        "nvrtcCreateProgram");
    try {
      PointerPointer<BytePointer> opts = new PointerPointer<>(options);
      int compiled = nvrtcCompileProgram(program, options.length, opts);
      SizeTPointer logSize = new SizeTPointer(1);
      check(nvrtcGetProgramLogSize(program, logSize), "nvrtcGetProgramLogSize");
      if (logSize.get() > 1) {
        BytePointer log = new BytePointer(logSize.get());
        check(nvrtcGetProgramLog(program, log), "nvrtcGetProgramLog");
        System.out.println(log.getString().strip());
      }
      check(compiled, "nvrtcCompileProgram");
      SizeTPointer ptxSize = new SizeTPointer(1);
      check(nvrtcGetPTXSize(program, ptxSize), "nvrtcGetPTXSize");
      BytePointer ptx = new BytePointer(ptxSize.get());
      check(nvrtcGetPTX(program, ptx), "nvrtcGetPTX");
      // the size counts the terminating NUL
      String body = ptx.getString(StandardCharsets.US_ASCII).replace("\0", "");
      Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
      Files.writeString(tmp, body, StandardCharsets.US_ASCII);
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      long entries = body.lines().filter(l -> l.startsWith(".visible .entry")).count();
      System.out.println("wrote " + out + " (" + body.length() + " bytes, " + entries + " kernels)");
    } finally {
      nvrtcDestroyProgram(program);
    }
  }

  /** Extracts libnvrtc, its builtins, JavaCPP's and the presets' JNI libraries and loads them. */
  private static void loadNvrtc() throws java.io.IOException {
    System.setProperty("org.bytedeco.javacpp.loadlibraries", "false");
    Path dir = Files.createTempDirectory("pipeplan-nvrtc");
    String[] libraries = {
      "org/bytedeco/cuda/linux-x86_64/libnvrtc-builtins.so.13.1",
      "org/bytedeco/cuda/linux-x86_64/libnvrtc.so.13",
      "org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so",
      "org/bytedeco/cuda/linux-x86_64/libjninvrtc.so"
    };
    for (String resource : libraries) {
      Path file = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
      try (java.io.InputStream in = NvrtcPtx.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException(
              resource
                  + " is not on the class path (org.bytedeco:cuda-redist:...:linux-x86_64 holds"
                  + " libnvrtc; org.bytedeco:cuda:...:linux-x86_64 the JNI library)");
        }
        Files.copy(in, file);
      }
      file.toFile().deleteOnExit();
      System.load(file.toAbsolutePath().toString());
    }
    dir.toFile().deleteOnExit();
  }

  private static void check(int status, String call) {
    if (status != NVRTC_SUCCESS) {
      System.err.println(call + " failed: " + nvrtcGetErrorString(status).getString());
      System.exit(1);
    }
  }
}
