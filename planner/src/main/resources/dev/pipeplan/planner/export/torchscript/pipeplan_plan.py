"""The plan side of a pipeplan torch-script export, readable without PyTorch.

Reads stages.json (the model's layers, the stage split points and the stage -> rank map) and schedule.csv (the
torch.distributed.pipelining schedule, one row per rank), checks that they agree, and writes the per-rank trace
files that `pipeplan import-trace` reads. run_pipeline.py imports this module; running it directly checks the
export's files and prints one line per rank:

    python3 pipeplan_plan.py [EXPORT_DIR]
"""

import csv
import json
import os
import re
import sys

TRACE_FORMAT = "pipeplan-torch-trace"
TRACE_VERSION = 1
SUPPORTED_LAYER_KINDS = ("embedding", "transformer_block", "lm_head")

_ACTION = re.compile(r"^(\d+)([FIWB])(\d+)$")


def load_stages(export_dir):
    """The parsed stages.json of an export folder."""
    with open(os.path.join(export_dir, "stages.json"), encoding="utf-8") as f:
        plan = json.load(f)
    if plan.get("format") != "pipeplan-torch-stages":
        raise ValueError("stages.json: format is %r, expected 'pipeplan-torch-stages'" % plan.get("format"))
    for layer in plan["layers"]:
        if layer["kind"] not in SUPPORTED_LAYER_KINDS:
            raise ValueError("layer %r has kind %r; the launcher builds %s"
                             % (layer["name"], layer["kind"], ", ".join(SUPPORTED_LAYER_KINDS)))
    return plan


# The rotary base of a block without ropeTheta in a model without learned positions, as pipeplan's executor takes it
DEFAULT_ROPE_THETA = 10000


def rope_theta(plan, shape):
    """The rotary base of a transformer block, as pipeplan's executor takes it: the block's ropeTheta (0: none); else
    10000 in a model whose embedding has no learned positions (positions 0: a Llama-class model); else 0, no rotary
    embedding (GPT-2's learned positions)."""
    if "ropeTheta" in shape:
        return shape["ropeTheta"]
    rotary = any(layer["kind"] == "embedding" and layer["shape"].get("positions", 1) == 0 for layer in plan["layers"])
    return DEFAULT_ROPE_THETA if rotary else 0


def rope_angles(seq, head_dim, theta):
    """The rotary embedding's angles [seq][head_dim / 2], in double precision as pipeplan's executor computes them:
    position t turns column pair p (column p with p + head_dim / 2, Hugging Face's rotate-half pairing) by
    t * theta^(-2p / head_dim)."""
    if head_dim % 2:
        raise ValueError("rotary position embeddings pair a head's columns, so headDim (%d) must be even" % head_dim)
    return [[t * theta ** (-2.0 * p / head_dim) for p in range(head_dim // 2)] for t in range(seq)]


def read_schedule(csv_path):
    """Each rank's compute actions in order, as (stage, type, micro-batch) tuples; empty (idle) cells dropped.

    The cells are those PyTorch's _Action.from_str reads in format "compute_only": <stage><F|I|W|B><micro-batch>,
    empty for an idle step (read as None, which the runtime skips)."""
    rows = []
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row_number, row in enumerate(csv.reader(f), start=1):
            actions = []
            for column, cell in enumerate(row, start=1):
                cell = cell.strip()
                if not cell:
                    continue
                match = _ACTION.match(cell)
                if match is None:
                    raise ValueError("%s row %d column %d: cell %r is not <stage><F|I|W|B><microbatch>"
                                     % (csv_path, row_number, column, cell))
                actions.append((int(match.group(1)), match.group(2), int(match.group(3))))
            rows.append(actions)
    for rank, actions in enumerate(rows):
        if not actions:
            # PyTorch's _load_csv reads every line, blank or not, as one rank's row.
            raise ValueError("%s row %d has no action; each line must be one rank's schedule" % (csv_path, rank + 1))
    return rows


def check(plan, rows):
    """Raises ValueError unless the schedule runs every stage's actions on the rank stages.json gives it."""
    ranks = plan["pipelineDegree"]
    if len(rows) != ranks:
        raise ValueError("schedule.csv has %d rows, stages.json has %d ranks" % (len(rows), ranks))
    rank_of = {stage["stage"]: stage["rank"] for stage in plan["stages"]}
    counts = {}
    for rank, actions in enumerate(rows):
        for stage, kind, micro_batch in actions:
            if rank_of.get(stage) != rank:
                raise ValueError("schedule.csv rank %d runs %d%s%d, but stages.json puts stage %d on rank %s"
                                 % (rank, stage, kind, micro_batch, stage, rank_of.get(stage)))
            counts[(stage, kind)] = counts.get((stage, kind), 0) + 1
    m = plan["microBatchCount"]
    for stage in sorted(rank_of):
        forwards = counts.get((stage, "F"), 0)
        backwards = counts.get((stage, "B"), 0) + counts.get((stage, "I"), 0)
        if forwards != m or backwards != m or counts.get((stage, "I"), 0) != counts.get((stage, "W"), 0):
            raise ValueError("stage %d has %d F and %d backward actions in schedule.csv, expected %d of each"
                             % (stage, forwards, backwards, m))


def stages_of_rank(plan, rank):
    """The stages.json entries of the stages a rank owns, in stage order (PyTorch's shape inference needs it)."""
    return sorted((stage for stage in plan["stages"] if stage["rank"] == rank), key=lambda stage: stage["stage"])


def action_name(stage, kind, micro_batch):
    """pipeplan's and PyTorch's spelling of an action, e.g. 2F5."""
    return "%d%s%d" % (stage, kind, micro_batch)


def write_json_atomically(path, document):
    """Writes JSON to a temporary sibling, then renames it into place, so no reader sees half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(temporary, path)


def trace_document(plan, rank, run_info, iterations):
    """One rank's trace file: what ran, then each measured iteration's actions with start and end.

    iterations: a list of dicts {"iteration", "startMonotonicNanos", "loss", "actions": [{"action",
    "startNanos", "endNanos"}]}, times in nanoseconds from the iteration's start.
    """
    document = {
        "format": TRACE_FORMAT,
        "version": TRACE_VERSION,
        "rank": rank,
        "modelName": plan["model"],
        "scheduleName": plan["scheduleKind"],
        "pipelineDevices": plan["pipelineDegree"],
        "virtualStages": plan["virtualStages"],
        "microBatchCount": plan["microBatchCount"],
        "microBatchSize": plan["microBatchSize"],
        "partition": plan["partition"],
        "stages": [stage["stage"] for stage in stages_of_rank(plan, rank)],
        "iterations": iterations,
    }
    document.update(run_info)
    return document


def main(argv):
    export_dir = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    plan = load_stages(export_dir)
    rows = read_schedule(os.path.join(export_dir, "schedule.csv"))
    check(plan, rows)
    print("%s: %s, pp=%d, v=%d, m=%d, b=%d, partition %s" % (
        plan["model"], plan["scheduleKind"], plan["pipelineDegree"], plan["virtualStages"],
        plan["microBatchCount"], plan["microBatchSize"], plan["partition"]))
    for rank, actions in enumerate(rows):
        stages = [stage["stage"] for stage in stages_of_rank(plan, rank)]
        print("rank %d: stages %s, %d actions, first %s, last %s" % (
            rank, stages, len(actions), action_name(*actions[0]), action_name(*actions[-1])))
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
