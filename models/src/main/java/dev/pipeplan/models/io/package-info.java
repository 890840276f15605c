/**
 * Reading and writing pipeplan's files: one configured JSON/YAML mapper (sorted keys, stable output) and atomic
 * writes, so that a failed command never leaves a half-written file in place.
 */
package dev.pipeplan.models.io;
