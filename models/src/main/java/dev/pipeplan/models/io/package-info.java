/**
 * Reading and writing pipeplan's files: one configured JSON/YAML mapper (sorted keys, stable
 * output), atomic writes so that a failed command never leaves a half-written file in place, and
 * the model readers: {@code ModelLoader} (zoo name or file, format detected), our model and
 * training files, Hugging Face {@code config.json} and PipeDream {@code graph.txt}. Every reader
 * reports bad input with the file, the field's JSON path and the value.
 */
package dev.pipeplan.models.io;
