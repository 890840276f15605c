/**
 * Fitting a device's efficiencies to measured training runs ({@code pipeplan calibrate
 * --measurements}): the runs file, the least-squares fit, and what it reports. The fitted numbers
 * go into a cluster file's device ({@link dev.pipeplan.models.DeviceEfficiency}), which every cost
 * computation then uses in place of the device preset's.
 */
package dev.pipeplan.planner.calibrate;
