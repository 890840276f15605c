package dev.pipeplan.cuda.ops;

import org.bytedeco.javacpp.Pointer;

/**
 * A JavaCPP pointer to a raw device address (never dereferenced on the host, never deallocated by
 * JavaCPP).
 */
final class DevicePointer extends Pointer {
  DevicePointer(long address) {
    super();
    this.address = address;
  }
}
