/**
 * Where clusters come from: device and link presets (V100 to H200 and the local CPU, with sustained
 * rather than peak rates), the {@code DEVICE:NODESxPER_NODE} shorthand, and pipeplan's JSON/YAML
 * cluster files.
 */
package dev.pipeplan.models.cluster;
