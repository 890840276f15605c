/**
 * Plans: the self-contained result of a search (model, cluster, training settings, parallel
 * degrees, partition, schedule, stage costs and the predicted metrics), its versioned JSON file,
 * its validator, and the replay of its prediction. The sub-packages hold the partitioners, the
 * outer search and the exports to other training engines.
 */
package dev.pipeplan.planner;
