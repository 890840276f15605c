/**
 * The analytic cost model's roofline: a layer as a list of ops (GEMMs, memory-bound kernels, fused
 * attention) for each of F, I and W, each op priced against one device's parameters, plus the
 * tensor- and data-parallel collectives around them. Device parameters live in {@link
 * dev.pipeplan.simulator.cost.roofline.RooflineParameters}, one record per device with its source.
 */
package dev.pipeplan.simulator.cost.roofline;
