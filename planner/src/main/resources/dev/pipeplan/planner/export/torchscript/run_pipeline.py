"""Runs a pipeplan plan on PyTorch's torch.distributed.pipelining, written by pipeplan (`export --to torch-script`).

Builds the plan's GPT or Llama-class model from the layer shapes in stages.json, keeps the stages this rank owns,
replays schedule.csv through _PipelineScheduleRuntime and trains on seeded synthetic data. Every rank writes
traces/rank<R>.json with the start and end of each compute action of every measured iteration, for `pipeplan
import-trace`.

    torchrun --nproc-per-node 4 run_pipeline.py --device cpu --iterations 5
    torchrun --nproc-per-node 4 run_pipeline.py --device cuda        # one GPU per rank, NCCL
    python3 run_pipeline.py --profile --device cuda                  # per-layer F, I, W -> profile.json

How actions are timed: each PipelineStage's forward_one_chunk, backward_one_chunk and backward_weight_one_chunk
is wrapped on this rank's stage objects. The runtime calls them exactly once per compute action (F; B or I, told
apart by full_backward; W), after it has waited for the action's input to arrive, so a span is the computation
alone and waiting shows as a gap, as in pipeplan's own executor. The last stage's loss is computed just after its
forward returns; its time is added to that F. On CUDA every span is closed by torch.cuda.synchronize().

Written against torch.distributed.pipelining of PyTorch 2.9 to 2.11 (see docs/pytorch.md in pipeplan). Two things
PyTorch does that the timings show:
- The first step() of a run infers the stages' shapes: every stage runs its module once (newer versions also run
  its backward once) and sends the shapes to the next stage. That is why --warmup must be at least 1.
- On stage 0, PyTorch's I (backward_one_chunk with full_backward=False) computes nothing, because the first stage
  has no input gradient to send; its W then runs the stage's whole backward.
"""

import argparse
import inspect
import os
import platform
import socket
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pipeplan_plan  # noqa: E402  (the torch-free half of this export)


# ----------------------------------------------------------------------------------------------------- the model

# pipeplan's executor normalises with this epsilon, LayerNorm and RMSNorm alike
NORM_EPS = 1e-5


def make_norm(hidden, bias):
    """LayerNorm for models with biases (GPT-2), RMSNorm for those without (Llama)."""
    return nn.LayerNorm(hidden, eps=NORM_EPS) if bias else nn.RMSNorm(hidden, eps=NORM_EPS)


class Rotary(nn.Module):
    """Rotary position embedding of base theta on [batch, heads, seq, head_dim] queries or keys: Hugging Face's
    rotate-half (column p turns with p + head_dim / 2 by t * theta^(-2p / head_dim) at position t), the angles
    computed in double precision as pipeplan's executor does."""

    def __init__(self, seq, head_dim, theta):
        super().__init__()
        angles = torch.tensor(pipeplan_plan.rope_angles(seq, head_dim, theta), dtype=torch.float64)
        angles = torch.cat((angles, angles), dim=-1)
        self.register_buffer("cos", angles.cos().float(), persistent=False)
        self.register_buffer("sin", angles.sin().float(), persistent=False)

    def forward(self, x):
        s, half = x.shape[-2], x.shape[-1] // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * self.cos[:s].to(x.dtype) + rotated * self.sin[:s].to(x.dtype)


class Embedding(nn.Module):
    """Token embedding plus learned positions where the model has them."""

    def __init__(self, shape):
        super().__init__()
        self.tokens = nn.Embedding(shape["vocab"], shape["hidden"])
        self.positions = nn.Embedding(shape["positions"], shape["hidden"]) if shape.get("positions", 0) > 0 else None

    def forward(self, tokens):
        x = self.tokens(tokens)
        if self.positions is not None:
            x = x + self.positions(torch.arange(tokens.shape[1], device=tokens.device))
        return x


class Block(nn.Module):
    """Pre-LN block: x + Attn(N1(x)), then + MLP(N2(.)). Causal attention; grouped-query when kvHeads < heads; heads
    headDim wide (default hidden // heads); biases on the projections the shape names (qkvBias, outBias, mlpBias,
    each defaulting to bias); a per-head RMSNorm on queries and keys when qkNorm is set (Qwen3), then rotary position
    embeddings of base theta on them when theta > 0 (Llama-class models), as pipeplan's executor runs the block."""

    def __init__(self, shape, seq, theta):
        super().__init__()
        hidden, heads, kv_heads = shape["hidden"], shape["heads"], shape["kvHeads"]
        bias = bool(shape.get("bias", 1))
        if heads % kv_heads or ("headDim" not in shape and hidden % heads):
            raise ValueError("heads (%d) must divide hidden (%d) unless headDim is given, and kvHeads (%d) must"
                             " divide heads" % (heads, hidden, kv_heads))
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, shape.get("headDim", hidden // heads)
        qkv_bias = bool(shape.get("qkvBias", bias))
        out_bias = bool(shape.get("outBias", bias))
        mlp_bias = bool(shape.get("mlpBias", bias))
        q_width, kv_width = heads * self.head_dim, kv_heads * self.head_dim
        self.norm1 = make_norm(hidden, bias)
        self.query = nn.Linear(hidden, q_width, bias=qkv_bias)
        self.key = nn.Linear(hidden, kv_width, bias=qkv_bias)
        self.value = nn.Linear(hidden, kv_width, bias=qkv_bias)
        self.out = nn.Linear(q_width, hidden, bias=out_bias)
        qk_norm = bool(shape.get("qkNorm", 0))
        self.q_norm = nn.RMSNorm(self.head_dim, eps=NORM_EPS) if qk_norm else None
        self.k_norm = nn.RMSNorm(self.head_dim, eps=NORM_EPS) if qk_norm else None
        self.rotary = Rotary(seq, self.head_dim, theta) if theta > 0 else None
        self.norm2 = make_norm(hidden, bias)
        self.gated = bool(shape.get("gated", 0))
        self.up = nn.Linear(hidden, shape["ffn"], bias=mlp_bias)
        self.gate = nn.Linear(hidden, shape["ffn"], bias=mlp_bias) if self.gated else None
        self.down = nn.Linear(shape["ffn"], hidden, bias=mlp_bias)

    def attention(self, x):
        b, s, _ = x.shape
        q = self.query(x).view(b, s, self.heads, self.head_dim)
        k = self.key(x).view(b, s, self.kv_heads, self.head_dim)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        if self.rotary is not None:
            q, k = self.rotary(q), self.rotary(k)
        v = self.value(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        if self.kv_heads != self.heads:
            k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)
            v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.out(y.transpose(1, 2).reshape(b, s, self.heads * self.head_dim))

    def mlp(self, x):
        if self.gated:
            return self.down(F.silu(self.gate(x)) * self.up(x))
        return self.down(F.gelu(self.up(x), approximate="tanh"))

    def forward(self, x):
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class LmHead(nn.Module):
    """Final norm and output projection; the loss is the schedule's loss_fn. Never tied: the embedding may live on
    another rank."""

    def __init__(self, shape, bias):
        super().__init__()
        self.norm = make_norm(shape["hidden"], bias)
        self.output = nn.Linear(shape["hidden"], shape["vocab"], bias=False)

    def forward(self, x):
        return self.output(self.norm(x))


def model_uses_bias(plan):
    blocks = [layer for layer in plan["layers"] if layer["kind"] == "transformer_block"]
    return bool(blocks[0]["shape"].get("bias", 1)) if blocks else True


def build_layer(plan, index, seed):
    """Layer `index` of the model, its weights seeded by (seed, index) so every split builds the same model."""
    layer = plan["layers"][index]
    torch.manual_seed(seed * 1_000_003 + index)
    if layer["kind"] == "embedding":
        return Embedding(layer["shape"])
    if layer["kind"] == "transformer_block":
        return Block(layer["shape"], plan["sequenceLength"], pipeplan_plan.rope_theta(plan, layer["shape"]))
    return LmHead(layer["shape"], model_uses_bias(plan))


def build_stage_module(plan, stage, seed):
    return nn.Sequential(*[build_layer(plan, i, seed) for i in range(stage["firstLayer"], stage["endLayer"])])


def vocabulary(plan):
    return next(layer["shape"]["vocab"] for layer in plan["layers"] if "vocab" in layer["shape"])


def synthetic_batch(plan, seed, iteration, samples, device):
    """Seeded token walks along a fixed random successor table; each label is the next token, so loss can fall."""
    vocab, seq = vocabulary(plan), plan["sequenceLength"]
    table = torch.randint(vocab, (vocab,), generator=torch.Generator().manual_seed(seed))
    g = torch.Generator().manual_seed(seed * 7919 + iteration + 1)
    tokens = torch.empty(samples, seq, dtype=torch.long)
    tokens[:, 0] = torch.randint(vocab, (samples,), generator=g)
    for t in range(1, seq):
        tokens[:, t] = table[tokens[:, t - 1]]
    return tokens.to(device), table[tokens].to(device)


def loss_of(logits, labels):
    """Mean token cross-entropy of one micro-batch (fp32 logits)."""
    return F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten())


# ----------------------------------------------------------------------------------------------------- tracing

class ActionRecorder:
    """Start and end (monotonic ns, from the iteration's start) of every compute action this rank runs."""

    def __init__(self, synchronize):
        self.synchronize = synchronize
        self.iteration_start = None
        self.actions = []
        self.recording = False

    def clock(self):
        self.synchronize()
        return time.monotonic_ns()

    def begin_iteration(self, record):
        self.actions = []
        self.recording = record
        self.iteration_start = self.clock()

    def add(self, name, start, end):
        if self.recording:
            self.actions.append({"action": name, "startNanos": start - self.iteration_start,
                                 "endNanos": end - self.iteration_start})

    def extend_last_forward(self, stage_index, end):
        """Adds the loss time to the forward it belongs to (the latest F of the last stage)."""
        for entry in reversed(self.actions):
            if entry["action"].startswith("%dF" % stage_index):
                entry["endNanos"] = max(entry["endNanos"], end - self.iteration_start)
                return

    def wrap_stage(self, stage):
        """Times the stage's compute calls; see the module docstring for why these three."""
        forward, backward, weight = stage.forward_one_chunk, stage.backward_one_chunk, stage.backward_weight_one_chunk
        index = stage.stage_index

        def timed(call, name, chunk, args, kwargs):
            start = self.clock()
            with torch.profiler.record_function("pipeplan:" + name):
                result = call(chunk, *args, **kwargs)
            self.add(name, start, self.clock())
            return result

        def forward_one_chunk(chunk, *args, **kwargs):
            return timed(forward, "%dF%d" % (index, chunk), chunk, args, kwargs)

        def backward_one_chunk(chunk, *args, **kwargs):
            kind = "B" if kwargs.get("full_backward", True) else "I"
            return timed(backward, "%d%s%d" % (index, kind, chunk), chunk, args, kwargs)

        def backward_weight_one_chunk(chunk, *args, **kwargs):
            return timed(weight, "%dW%d" % (index, chunk), chunk, args, kwargs)

        stage.forward_one_chunk = forward_one_chunk
        stage.backward_one_chunk = backward_one_chunk
        stage.backward_weight_one_chunk = backward_weight_one_chunk


# ----------------------------------------------------------------------------------------------------- running

def device_and_backend(kind, local_rank):
    if kind == "cuda":
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank), "nccl", lambda: torch.cuda.synchronize()
    return torch.device("cpu"), "gloo", lambda: None


def parameter_dtype(args, plan):
    if args.dtype == "auto":
        return torch.float32 if args.device == "cpu" else {"fp32": torch.float32, "bf16": torch.bfloat16,
                                                           "fp16": torch.float16}.get(plan["dtype"], torch.float32)
    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[args.dtype]


def machine_description(args, device):
    text = "host: %s; os: %s %s; python %s; torch %s; threads per rank %d" % (
        socket.gethostname(), platform.system(), platform.machine(), platform.python_version(), torch.__version__,
        torch.get_num_threads())
    if device.type == "cuda":
        text += "; gpu: %s" % torch.cuda.get_device_name(device)
    return text


def run(args, plan, export_dir):
    from torch.distributed.pipelining import PipelineStage
    from torch.distributed.pipelining.schedules import _PipelineScheduleRuntime

    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    if world != plan["pipelineDegree"]:
        raise SystemExit("this plan has %d pipeline ranks; run it with torchrun --nproc-per-node %d (got %d ranks)"
                         % (plan["pipelineDegree"], plan["pipelineDegree"], world))
    device, backend, synchronize = device_and_backend(args.device, int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend=backend)
    dtype = parameter_dtype(args, plan)
    num_stages = len(plan["stages"])
    recorder = ActionRecorder(synchronize)

    stages, modules = [], []
    for entry in pipeplan_plan.stages_of_rank(plan, rank):
        module = build_stage_module(plan, entry, args.seed).to(device=device, dtype=dtype)
        # No input_args/output_args: the stage infers its shapes at the first step (see the module docstring).
        stage = PipelineStage(module, entry["stage"], num_stages, device)
        recorder.wrap_stage(stage)
        stages.append(stage)
        modules.append(module)
    has_first = any(stage.is_first for stage in stages)
    has_last = any(stage.is_last for stage in stages)

    def loss_fn(logits, labels):
        loss = loss_of(logits, labels)
        recorder.extend_last_forward(num_stages - 1, recorder.clock())
        return loss

    # scale_grads: the gradients are divided by the micro-batch count once the last backward of a stage is done, so
    # with a mean loss per micro-batch AdamW sees the mean over the whole batch. The stages must be in stage order
    # (stages_of_rank sorts them): PyTorch's shape inference walks a rank's stages in list order.
    schedule = _PipelineScheduleRuntime(stages, n_microbatches=plan["microBatchCount"], loss_fn=loss_fn,
                                        scale_grads=True)
    # compute_only: _load_csv validates the schedule, takes the stage -> rank map from the rows (so V-shaped and
    # interleaved placements need nothing more) and adds the sends and receives itself.
    schedule._load_csv(os.path.join(export_dir, "schedule.csv"), format="compute_only")
    # The logits of the last stage are not needed after the loss; without return_outputs=False the runtime keeps
    # every micro-batch's logits and concatenates them at the end of each step (versions without the flag keep them).
    step_options = {"return_outputs": False} if "return_outputs" in inspect.signature(schedule.step).parameters else {}
    optimizer = torch.optim.AdamW([p for m in modules for p in m.parameters()], lr=args.lr)

    samples = plan["microBatchCount"] * plan["microBatchSize"]
    iterations = []
    profiler = None
    for iteration in range(args.warmup + args.iterations):
        measured = iteration >= args.warmup
        if measured and args.chrome_trace and profiler is None:
            profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]
                                              + ([torch.profiler.ProfilerActivity.CUDA] if device.type == "cuda"
                                                 else []))
            profiler.__enter__()
        tokens, labels = synthetic_batch(plan, args.seed, iteration, samples, device)
        optimizer.zero_grad(set_to_none=True)
        losses = []
        dist.barrier()
        recorder.begin_iteration(measured)
        start_monotonic = time.monotonic_ns()
        inputs = (tokens,) if has_first else ()
        if has_last:
            schedule.step(*inputs, target=labels, losses=losses, **step_options)
        else:
            schedule.step(*inputs, **step_options)
        synchronize()
        optimizer.step()
        mean_loss = float(torch.stack([value.detach().float() for value in losses]).mean()) if losses else None
        if measured:
            loss = mean_loss
            iterations.append({"iteration": iteration, "startMonotonicNanos": start_monotonic, "loss": loss,
                               "actions": list(recorder.actions)})
        if rank == 0 or has_last:
            print("rank %d iteration %d%s" % (rank, iteration, "" if mean_loss is None else " loss %.4f" % mean_loss),
                  flush=True)
    if profiler is not None:
        profiler.__exit__(None, None, None)
        profiler.export_chrome_trace(os.path.join(args.out, "rank%d.chrome.json" % rank))

    run_info = {"worldSize": world, "device": device.type, "backend": backend, "torchVersion": torch.__version__,
                "machine": machine_description(args, device), "seed": args.seed, "warmupIterations": args.warmup,
                "threadSettings": "torch.get_num_threads() = %d" % torch.get_num_threads(),
                "dtype": str(dtype).replace("torch.", "")}
    path = os.path.join(args.out, "rank%d.json" % rank)
    pipeplan_plan.write_json_atomically(path, pipeplan_plan.trace_document(plan, rank, run_info, iterations))
    print("rank %d wrote %s" % (rank, path), flush=True)
    dist.barrier()
    dist.destroy_process_group()


# ----------------------------------------------------------------------------------------------------- profiling

def median_nanos(samples):
    return int(statistics.median(samples))


def fit_line(sizes, values):
    """Least-squares fixedNanos + perSampleNanos * b; a falling line becomes the flat mean (as pipeplan's profiler)."""
    if len(sizes) == 1:
        return {"fixedNanos": 0.0, "perSampleNanos": values[0] / sizes[0]}
    mean_b, mean_t = sum(sizes) / len(sizes), sum(values) / len(values)
    sxx = sum((b - mean_b) ** 2 for b in sizes)
    slope = sum((b - mean_b) * (t - mean_t) for b, t in zip(sizes, values)) / sxx
    if slope < 0:
        return {"fixedNanos": float(mean_t), "perSampleNanos": 0.0}
    return {"fixedNanos": float(mean_t - slope * mean_b), "perSampleNanos": float(slope)}


def time_layer(layer, make_input, labels, last, synchronize, repeats, warmup):
    """Median F, I and W of one layer: I is the gradient of the layer's input, W of its weights (autograd.grad)."""
    params = [p for p in layer.parameters() if p.requires_grad]
    f_times, i_times, w_times = [], [], []
    for r in range(warmup + repeats):
        x = make_input()
        synchronize()
        t0 = time.monotonic_ns()
        y = layer(x)
        if last:
            y = loss_of(y, labels)
        synchronize()
        t1 = time.monotonic_ns()
        grad_out = None if last else torch.randn_like(y)
        if x.is_floating_point():
            torch.autograd.grad(y, (x,), grad_out, retain_graph=True)
        synchronize()
        t2 = time.monotonic_ns()
        torch.autograd.grad(y, params, grad_out)
        synchronize()
        t3 = time.monotonic_ns()
        if r >= warmup:
            f_times.append(t1 - t0)
            i_times.append(t2 - t1)
            w_times.append(t3 - t2)
    return median_nanos(f_times), median_nanos(i_times), median_nanos(w_times)


def profile(args, plan):
    """Times every distinct layer shape at each micro-batch size; writes a pipeplan Profile (docs/formats.md)."""
    device, _, synchronize = device_and_backend(args.device, int(os.environ.get("LOCAL_RANK", "0")))
    dtype = parameter_dtype(args, plan)
    sizes = sorted({int(b) for b in args.profile_sizes.split(",")})
    seq, hidden = plan["sequenceLength"], plan["layers"][0]["shape"]["hidden"]
    measured = {}
    layers = []
    for index, spec in enumerate(plan["layers"]):
        key = (spec["kind"], tuple(sorted(spec["shape"].items())))
        if key not in measured:
            layer = build_layer(plan, index, args.seed).to(device=device, dtype=dtype)
            samples = []
            for b in sizes:
                tokens, labels = synthetic_batch(plan, args.seed, b, b, device)
                if spec["kind"] == "embedding":
                    def make_input(tokens=tokens):
                        return tokens
                else:
                    def make_input(b=b):
                        return torch.randn(b, seq, hidden, device=device, dtype=dtype, requires_grad=True)
                f, i, w = time_layer(layer, make_input, labels, spec["kind"] == "lm_head", synchronize,
                                     args.profile_repeats, args.profile_warmup)
                samples.append({"microBatchSize": b, "forwardNanos": f, "backwardInputNanos": i,
                                "backwardWeightNanos": w})
                print("%s b=%d: F %.3f ms, I %.3f ms, W %.3f ms" % (spec["name"], b, f / 1e6, i / 1e6, w / 1e6),
                      flush=True)
            measured[key] = samples
        samples = measured[key]
        layers.append({
            "layerName": spec["name"],
            "samples": samples,
            "forward": fit_line(sizes, [s["forwardNanos"] for s in samples]),
            "backwardInput": fit_line(sizes, [s["backwardInputNanos"] for s in samples]),
            "backwardWeight": fit_line(sizes, [s["backwardWeightNanos"] for s in samples]),
        })
    document = {"modelName": plan["model"], "backend": "torch-" + device.type,
                "machine": machine_description(args, device) + "; dtype " + str(dtype).replace("torch.", ""),
                "layers": layers, "handoffLatencyNanos": 0, "handoffBytesPerSecond": 1.0e12}
    path = args.profile_out
    pipeplan_plan.write_json_atomically(path, document)
    print("wrote %s" % path)


def main():
    export_dir = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cpu: gloo on CPU cores; cuda: one GPU per rank with NCCL (default cpu)")
    parser.add_argument("--iterations", type=int, default=5, help="measured iterations (default 5)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="iterations run first and not recorded, at least 1: the first one infers the shapes "
                             "(default 2)")
    parser.add_argument("--seed", type=int, default=1, help="root seed of weights and data (default 1)")
    parser.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate (default 1e-3)")
    parser.add_argument("--dtype", choices=("auto", "fp32", "bf16", "fp16"), default="auto",
                        help="parameter dtype; auto: fp32 on cpu, the plan's dtype on cuda")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch.set_num_threads per rank on cpu (default: cores / ranks)")
    parser.add_argument("--out", default=os.path.join(export_dir, "traces"), help="trace folder (default traces/)")
    parser.add_argument("--chrome-trace", action="store_true",
                        help="also profile the measured iterations and write rank<R>.chrome.json")
    parser.add_argument("--profile", action="store_true",
                        help="time each layer's F, I, W on one device and write a pipeplan profile instead")
    parser.add_argument("--profile-sizes", default="1,2,4", help="micro-batch sizes to profile (default 1,2,4)")
    parser.add_argument("--profile-repeats", type=int, default=5, help="timed runs per size (default 5)")
    parser.add_argument("--profile-warmup", type=int, default=2, help="untimed runs per size first (default 2)")
    parser.add_argument("--profile-out", default=os.path.join(export_dir, "profile.json"),
                        help="profile file (default profile.json)")
    args = parser.parse_args()
    if args.iterations < 1 or args.warmup < 1:
        parser.error("--iterations and --warmup must be at least 1 (the first step infers the stages' shapes)")

    plan = pipeplan_plan.load_stages(export_dir)
    pipeplan_plan.check(plan, pipeplan_plan.read_schedule(os.path.join(export_dir, "schedule.csv")))
    if args.device == "cpu":
        ranks = int(os.environ.get("WORLD_SIZE", "1"))
        torch.set_num_threads(args.threads if args.threads > 0 else max(1, (os.cpu_count() or 1) // ranks))
    if args.profile:
        profile(args, plan)
    else:
        run(args, plan, export_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
