/**
 * The built-in model zoo: real architectures (GPT-2, GPT-3, Llama-2/3, BERT, VGG-16, ResNet-50) and
 * small executable variants, described layer by layer from analytic formulas (Megatron-LM and
 * Korthikanti et al. for transformers).
 */
package dev.pipeplan.models.zoo;
