/**
 * Checks of a schedule before anything runs it: the validator (every action once, one device per
 * stage, no deadlock, reported with the actions that wait on each other), in-flight counting, and
 * the unit-step token game both use.
 */
package dev.pipeplan.simulator.schedule.check;
