/**
 * What pipeplan plans: layers, models, devices, links, clusters and training settings, plus
 * measured profiles. These are immutable descriptions validated on construction; algorithms in
 * other modules take them as input.
 */
package dev.pipeplan.models;
