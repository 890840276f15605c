/**
 * Turns a plan into the settings of other training engines (PyTorch pipelining CSV, torchtitan,
 * Megatron-LM, DeepSpeed, torchgpipe), so that a plan found here can run on the engines users
 * already have.
 */
package dev.pipeplan.planner.export;
