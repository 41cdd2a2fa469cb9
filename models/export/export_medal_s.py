#!/usr/bin/env python3
"""Export the two Medal S stage networks and its text encoder to a model folder of our contract.

A model folder (models/README.md, functions/lib/model/manifest.ts) holds:

    stage1.onnx        queries (N, E), image (1, 1, H, W, D), sc_prompt (1, 1, H, W, D),
    stage2.onnx        mc_prompt (1, N, H, W, D)  ->  logits (1, N, H, W, D); N dynamic
    text_encoder.onnx  input_ids, attention_mask (N, L) int64, modality (N) int64 -> embeddings (N, E)
    vocab.txt          the WordPiece vocabulary, one token per line, id = line number
    manifest.json      format "medals-model/1": sha256 of every file, patches, target spacings,
                       axis order, embedding width, modality ids, catalog reference

Usage with the official code and checkpoints (see models/README.md, "Exporting the real Medal S
checkpoints"):

    python3 models/export/export_medal_s.py --repo Medal-S \\
        --checkpoint  checkpoints/nano_UNet_CVPR2025_crop_size_224_224_128_spacing_1.5_1.5_3.0_step_358600.pth \\
        --checkpoint2 checkpoints/nano_UNet_CVPR2025_crop_size_192_192_192_spacing_1.0_1.0_1.0_step_341300.pth \\
        --biolord checkpoints/BioLORD-2023-C --text-checkpoint checkpoints/text_encoder.pth \\
        --out ~/medal-s-model

The part that writes the folder is `export_model(stage_nets, text_encoder, tokenizer_vocab, meta,
out_dir)`: it takes any torch modules with the contract's forward signatures and does not care
where they came from (models/export/proof.py feeds it a small random network of the same
structure). The official network is wrapped by `MedalSStageGraph`, which runs Medal S's inference
path (MedalS.infer_forward with the low-resolution prompts given) through the network's own
submodules, written with reshapes and matrix products so that N stays a dynamic axis in ONNX;
models/export/parity.py checks it against the official forward.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import sys
import time
import warnings
from typing import Any, Dict, Mapping, Optional, Sequence

import torch
from torch import nn

MANIFEST_FORMAT = "medals-model/1"
MANIFEST_FILE = "manifest.json"
CATALOG_FORMAT = "medals-class-catalog/1"
# The official ids (inference.py: ct 0, mri 1, us 2, pet 3, microscopy 4), keyed as our manifest keys them.
MEDALS_MODALITY_IDS = {"CT": 0, "MRI": 1, "US": 2, "PET": 3, "Microscopy": 4}
STAGE_INPUTS = ("queries", "image", "sc_prompt", "mc_prompt")
STAGE_OUTPUT = "logits"
TEXT_INPUTS = ("input_ids", "attention_mask", "modality")
TEXT_OUTPUT = "embeddings"
DEFAULT_OPSET = 17

# What the official inference uses for each checkpoint (inference.py main, sh/*.sh).
MEDALS_STAGES: Dict[int, Dict[str, Any]] = {
    1: {"patch": (224, 224, 128), "targetSpacing": (1.5, 1.5, 3.0), "step": 358600},
    2: {"patch": (192, 192, 192), "targetSpacing": (1.0, 1.0, 1.0), "step": 341300},
}
MEDALS_EMBEDDING_WIDTH = 768
MEDALS_INPUT_CHANNELS = 2  # image + sc_prompt
MEDALS_TOKEN_PATCH = (32, 32, 32)  # the bottleneck's downsampling (MedalS patch_size)

# The official WordPiece settings (model/tokenizer.py MyTokenizer on BioLORD's tokenizer).
DEFAULT_TOKENIZER: Dict[str, Any] = {
    "type": "wordpiece",
    "lowercase": True,
    "stripAccents": True,
    "tokenizeChineseChars": True,
    "clsToken": "[CLS]",
    "sepToken": "[SEP]",
    "unkToken": "[UNK]",
    "continuingSubwordPrefix": "##",
    "maxInputCharsPerWord": 100,
    "maxLength": 256,
    "specialTokens": [],
}


# ---------------------------------------------------------------------------------------------
# Graph adapters: torch modules whose forward is exactly the contract's graph signature.


class MedalSStageGraph(nn.Module):
    """One Medal S stage as the contract's graph: (queries, image, sc_prompt, mc_prompt) -> logits.

    `net` is a MedalS (model/medals.py) or anything with the same parts: vision_backbone_forward,
    query_proj, transformer_decoder, mask_embed_proj, fusion_conv. The computation is MedalS's
    inference path with the prompts given (the official inference always passes them, zeros in
    stage 1), batch 1:

        x = [image, sc_prompt]; tokens, pos, pixels = vision_backbone_forward(x)
        m = mask_embed_proj(transformer_decoder(queries, tokens, pos))           (N, C)
        P = fusion_conv([pixels[0], sum_n mc_prompt[n] * m[n]])                  (C, H, W, D)
        logits[n] = sum_c m[n, c] P[c]                                           (1, N, H, W, D)

    The two einsums of the official code are written as matrix products over the flattened
    volume, with -1 where N goes, so the traced graph keeps N dynamic.
    """

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, queries, image, sc_prompt, mc_prompt):
        net = self.net
        h, w, d = image.shape[2], image.shape[3], image.shape[4]
        voxels = h * w * d
        tokens, pos, pixel_levels = net.vision_backbone_forward(torch.cat([image, sc_prompt], dim=1))
        q = net.query_proj(queries.unsqueeze(1))  # (N, 1, E): attention is sequence-first
        decoded, _ = net.transformer_decoder(q, tokens, pos=pos)
        mask_emb = net.mask_embed_proj(decoded.squeeze(1))  # (N, C)
        pixels = pixel_levels[0]  # (1, C, H, W, D)
        channels = pixels.shape[1]
        prompt_emb = torch.matmul(mask_emb.transpose(0, 1), mc_prompt.reshape(-1, voxels))  # (C, HWD)
        fused = net.fusion_conv(torch.cat([pixels, prompt_emb.reshape(1, channels, h, w, d)], dim=1))
        logits = torch.matmul(mask_emb, fused.reshape(channels, voxels))  # (N, HWD)
        return logits.reshape(1, -1, h, w, d)


class PreciseInstanceNorm3d(nn.Module):
    """nn.InstanceNorm3d (no running statistics) written for export with short float32 sums.

    onnxruntime's CPU InstanceNormalization, and a ReduceMean over a whole volume, accumulate the
    millions of voxels of a Medal S patch in one float32 running sum: on 224x224x128 features
    they are off by about 1e-3 at zero mean and by whole units where the mean is large (a
    feature of the 0..255 image), which changes label maps (seen by `npm run parity`). Here the
    mean is taken one axis at a time (each sum at most a few hundred terms) and the variance from
    the centred values (two passes, no cancellation): within 1e-4 of float64 on such volumes,
    and the same function as InstanceNorm3d, so PyTorch parity is unchanged.
    """

    def __init__(self, norm: nn.InstanceNorm3d):
        super().__init__()
        if norm.track_running_stats:
            raise ValueError("PreciseInstanceNorm3d replaces instance norms without running statistics only")
        self.eps = float(norm.eps)
        self.weight = norm.weight if norm.affine else None
        self.bias = norm.bias if norm.affine else None

    @staticmethod
    def _mean(x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=4, keepdim=True).mean(dim=3, keepdim=True).mean(dim=2, keepdim=True)

    def forward(self, x):
        centred = x - self._mean(x)
        y = centred / torch.sqrt(self._mean(centred * centred) + self.eps)
        if self.weight is not None:
            y = y * self.weight.view(1, -1, 1, 1, 1) + self.bias.view(1, -1, 1, 1, 1)
        return y


def with_precise_instance_norms(module: nn.Module) -> nn.Module:
    """A copy of `module` with every InstanceNorm3d replaced by PreciseInstanceNorm3d."""
    module = copy.deepcopy(module)
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.InstanceNorm3d):
                setattr(parent, name, PreciseInstanceNorm3d(child))
    return module


def masked_mean(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of hidden (N, L, E) over the tokens where attention_mask (N, L) is 1 (Text_Tower's pooling)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / torch.clamp(mask.sum(dim=1), min=1e-9)


class KnowledgeEncoderGraph(nn.Module):
    """The official Knowledge_Encoder as the contract's text graph.

    (input_ids, attention_mask, modality) -> projection(mean-pooled BioLORD output) + modality
    embedding, the official forward minus its tokenizer (the engine tokenizes; vocab.txt).
    """

    def __init__(self, knowledge_encoder: nn.Module):
        super().__init__()
        self.encoder = knowledge_encoder

    def forward(self, input_ids, attention_mask, modality):
        ke = self.encoder
        hidden = ke.text_tower.biolord(input_ids=input_ids, attention_mask=attention_mask)[0]
        pooled = masked_mean(hidden, attention_mask)
        return ke.projection_layer(pooled) + ke.modality_embed(modality)


# ---------------------------------------------------------------------------------------------
# Writing a model folder.


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _module_device(module: nn.Module) -> torch.device:
    for p in module.parameters():
        return p.device
    return torch.device("cpu")


def example_stage_inputs(n: int, width: int, patch: Sequence[int], seed: int = 0, device=None):
    """Random inputs of the contract's shapes: queries ~ N(0,1), image 0..255, 0/1 prompts."""
    g = torch.Generator().manual_seed(seed)
    h, w, d = patch
    queries = torch.randn(n, width, generator=g)
    image = torch.rand(1, 1, h, w, d, generator=g) * 255.0
    mc = (torch.rand(1, n, h, w, d, generator=g) > 0.7).to(torch.float32)
    sc = mc.amax(dim=1, keepdim=True)
    return tuple(t.to(device) if device is not None else t for t in (queries, image, sc, mc))


def write_vocabulary(path: str, tokens: Sequence[str]) -> None:
    if len(set(tokens)) != len(tokens):
        raise ValueError("the vocabulary has duplicate tokens")
    for t in tokens:
        if "\n" in t or "\r" in t:
            raise ValueError(f"vocabulary token with a line break: {t!r}")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(tokens) + "\n")


def export_stage_graph(graph: nn.Module, path: str, width: int, patch: Sequence[int], opset: int,
                       example_n: int = 2) -> None:
    device = _module_device(graph)
    inputs = example_stage_inputs(example_n, width, patch, seed=1, device=device)
    with torch.no_grad(), warnings.catch_warnings():
        # InstanceNorm always normalises with the instance's statistics (no running stats), so
        # the exporter's "train=True" note for instance_norm changes nothing.
        warnings.filterwarnings("ignore", message=".*operator 'instance_norm' is set to train=True.*")
        torch.onnx.export(
            graph, inputs, path,
            input_names=list(STAGE_INPUTS), output_names=[STAGE_OUTPUT],
            dynamic_axes={"queries": {0: "N"}, "mc_prompt": {1: "N"}, "logits": {1: "N"}},
            opset_version=opset, do_constant_folding=True,
        )


def export_text_graph(graph: nn.Module, path: str, vocab_size: int, opset: int) -> None:
    device = _module_device(graph)
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(1, vocab_size, (2, 7), generator=g)
    mask = torch.ones(2, 7, dtype=torch.int64)
    ids[1, 5:] = 0
    mask[1, 5:] = 0
    modality = torch.tensor([0, 1], dtype=torch.int64)
    with torch.no_grad():
        torch.onnx.export(
            graph, (ids.to(device), mask.to(device), modality.to(device)), path,
            input_names=list(TEXT_INPUTS), output_names=[TEXT_OUTPUT],
            dynamic_axes={"input_ids": {0: "N", 1: "L"}, "attention_mask": {0: "N", 1: "L"},
                          "modality": {0: "N"}, "embeddings": {0: "N"}},
            opset_version=opset, do_constant_folding=True,
        )


def _expected_io(kind: str, width: int, patch: Optional[Sequence[int]] = None):
    """Contract shapes: an int is a fixed dim, None a dynamic one (N, L)."""
    if kind == "stage":
        h, w, d = patch
        inputs = {"queries": [None, width], "image": [1, 1, h, w, d], "sc_prompt": [1, 1, h, w, d],
                  "mc_prompt": [1, None, h, w, d]}
        return inputs, {STAGE_OUTPUT: [1, None, h, w, d]}
    return ({"input_ids": [None, None], "attention_mask": [None, None], "modality": [None]},
            {TEXT_OUTPUT: [None, width]})


def check_graph(path: str, kind: str, width: int, patch: Optional[Sequence[int]] = None) -> list:
    """The onnx checker, then the graph's I/O names and shapes as onnxruntime reports them
    against the contract (what functions/steps/segment/model-loader.ts checks). Returns the problems."""
    import onnx
    import onnxruntime as ort

    onnx.checker.check_model(path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    want_in, want_out = _expected_io(kind, width, patch)
    problems = []
    for side, have, want in (("input", sess.get_inputs(), want_in), ("output", sess.get_outputs(), want_out)):
        names = [v.name for v in have]
        if side == "input" and sorted(names) != sorted(want):
            problems.append(f"{path}: inputs are {names}, the contract wants {list(want)}")
        for name, dims in want.items():
            v = next((x for x in have if x.name == name), None)
            if v is None:
                problems.append(f"{path}: {side} '{name}' is missing")
                continue
            if v.type not in ("tensor(float)", "tensor(int64)"):
                problems.append(f"{path}: {side} '{name}' has type {v.type}")
            if len(v.shape) != len(dims):
                problems.append(f"{path}: {side} '{name}' has shape {v.shape}, the contract wants rank {len(dims)}")
                continue
            for i, (got, exp) in enumerate(zip(v.shape, dims)):
                dynamic = not isinstance(got, int)
                if exp is None and not dynamic:
                    problems.append(f"{path}: {side} '{name}' dimension {i} is fixed at {got}; it must be dynamic")
                if exp is not None and got != exp:
                    problems.append(f"{path}: {side} '{name}' dimension {i} is {got}, not {exp}")
    return problems


def export_model(stage_nets: Mapping[int, nn.Module], text_encoder: Optional[nn.Module],
                 tokenizer_vocab: Optional[Sequence[str]], meta: Mapping[str, Any], out_dir: str) -> dict:
    """Write a model folder of the contract and return its manifest.

    stage_nets: {1: module, 2: module (optional)}, each forward(queries (N, E), image (1,1,H,W,D),
        sc_prompt (1,1,H,W,D), mc_prompt (1,N,H,W,D)) -> logits (1,N,H,W,D), in eval mode.
    text_encoder: forward(input_ids (N, L) int64, attention_mask (N, L) int64, modality (N) int64)
        -> embeddings (N, E), or None when meta gives "embeddingsFile" (not written here).
    tokenizer_vocab: the encoder's WordPiece vocabulary, id = index (id 0 is padding).
    meta: name, license, embeddingWidth, stages {1: {patch, targetSpacing}, 2: {...}}; optional
        description, tokenizer (overrides of DEFAULT_TOKENIZER), modalities, catalog, generator,
        opset, exampleN (the N used for tracing).
    """
    os.makedirs(out_dir, exist_ok=True)
    width = int(meta["embeddingWidth"])
    opset = int(meta.get("opset", DEFAULT_OPSET))
    example_n = int(meta.get("exampleN", 2))
    problems = []
    stages_manifest = {}
    for key in sorted(stage_nets):
        if key not in (1, 2):
            raise ValueError(f"stage keys are 1 and 2, not {key!r}")
        spec = meta["stages"][key]
        patch = [int(v) for v in spec["patch"]]
        file_name = f"stage{key}.onnx"
        path = os.path.join(out_dir, file_name)
        net = with_precise_instance_norms(stage_nets[key].eval())
        t0 = time.time()
        export_stage_graph(net, path, width, patch, opset, example_n)
        print(f"stage {key}: exported {file_name} in {time.time() - t0:.1f} s", file=sys.stderr)
        problems += check_graph(path, "stage", width, patch)
        stages_manifest[str(key)] = {
            "onnx": {"path": file_name, "sha256": sha256_file(path)},
            "patch": patch,
            "targetSpacing": [float(v) for v in spec["targetSpacing"]],
            "axisOrder": "HWD",
            "dtype": "float32",
        }
    if "1" not in stages_manifest:
        raise ValueError("a model folder needs stage 1")

    text: Dict[str, Any] = {}
    if text_encoder is not None:
        if not tokenizer_vocab:
            raise ValueError("a text encoder needs its vocabulary")
        vocab_path = os.path.join(out_dir, "vocab.txt")
        write_vocabulary(vocab_path, tokenizer_vocab)
        enc_path = os.path.join(out_dir, "text_encoder.onnx")
        t0 = time.time()
        export_text_graph(text_encoder.eval(), enc_path, len(tokenizer_vocab), opset)
        print(f"text encoder: exported text_encoder.onnx in {time.time() - t0:.1f} s", file=sys.stderr)
        problems += check_graph(enc_path, "text", width)
        tokenizer = {**DEFAULT_TOKENIZER, **dict(meta.get("tokenizer", {}))}
        for role in ("clsToken", "sepToken", "unkToken"):
            if tokenizer[role] not in tokenizer_vocab:
                problems.append(f"vocab.txt lacks the {role} {tokenizer[role]!r}")
        tokenizer["vocabulary"] = {"path": "vocab.txt", "sha256": sha256_file(vocab_path)}
        text["encoder"] = {
            "onnx": {"path": "text_encoder.onnx", "sha256": sha256_file(enc_path)},
            "tokenizer": tokenizer,
        }
    if "embeddingsFile" in meta:
        table = meta["embeddingsFile"]
        text["embeddings"] = {"format": "json",
                              "file": {"path": table, "sha256": sha256_file(os.path.join(out_dir, table))}}
    if not text:
        raise ValueError("a model folder needs a text encoder or an embedding table")
    if problems:
        raise RuntimeError("the exported graphs do not follow the contract:\n  " + "\n  ".join(problems))

    manifest: Dict[str, Any] = {"format": MANIFEST_FORMAT, "name": str(meta["name"])}
    if meta.get("description"):
        manifest["description"] = str(meta["description"])
    manifest.update({
        "license": str(meta["license"]),
        "embeddingWidth": width,
        "modalities": dict(meta.get("modalities", MEDALS_MODALITY_IDS)),
        "catalog": dict(meta.get("catalog", {"format": CATALOG_FORMAT})),
        "stages": stages_manifest,
        "text": text,
        "generator": {
            "exporter": "models/export/export_medal_s.py",
            "opset": opset,
            "torch": torch.__version__,
            **dict(meta.get("generator", {})),
        },
    })
    tmp = os.path.join(out_dir, MANIFEST_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(out_dir, MANIFEST_FILE))
    return manifest


# ---------------------------------------------------------------------------------------------
# The official networks (a clone of github.com/yinghemedical/Medal-S).


def import_official(repo: str):
    """Put the official repo on sys.path, its own dynamic_network_architectures first (its
    PlainConvUNet returns the skips and the decoder features, unlike the PyPI package's), and
    return its MedalS class."""
    repo = os.path.abspath(repo)
    vendored = os.path.join(repo, "model", "dynamic-network-architectures-main")
    if not os.path.isfile(os.path.join(repo, "model", "medals.py")):
        raise FileNotFoundError(f"{repo} does not look like a clone of Medal-S (no model/medals.py)")
    for p in (vendored, repo):
        if p in sys.path:
            sys.path.remove(p)
        sys.path.insert(0, p)
    for name in list(sys.modules):
        if name == "dynamic_network_architectures" or name.startswith("dynamic_network_architectures."):
            del sys.modules[name]
    from model.medals import MedalS  # noqa: E402  (the official code)

    return MedalS


def _load_state_dict(path: str, device) -> dict:
    try:
        checkpoint = torch.load(path, map_location=device, weights_only=True)
    except Exception:  # older pickles hold more than tensors; only load checkpoints you trust
        checkpoint = torch.load(path, map_location=device, weights_only=False)
    state = checkpoint.get("model_state_dict", checkpoint) if isinstance(checkpoint, dict) else checkpoint
    return {(k[7:] if k.startswith("module.") else k): v for k, v in state.items()}


def build_official_stage(repo: str, checkpoint: Optional[str], patch: Sequence[int], device="cpu") -> nn.Module:
    """The official MedalS for one stage, as inference.py builds and loads it (checkpoint None:
    the official random initialisation, for trying the export without the weights)."""
    MedalS = import_official(repo)
    net = MedalS("UNET", MEDALS_INPUT_CHANNELS, list(patch), list(MEDALS_TOKEN_PATCH), False)
    if checkpoint is not None:
        state = {k: v for k, v in _load_state_dict(checkpoint, "cpu").items() if "mid_mask_embed_proj" not in k}
        net.load_state_dict(state)
    return net.to(device).eval()


def build_official_text_encoder(repo: str, biolord: str, checkpoint: Optional[str], device="cpu"):
    """The official Knowledge_Encoder (BioLORD-2023-C + projection + modality embedding) and its
    HF tokenizer. Needs `transformers` (requirements-official.txt)."""
    import_official(repo)
    from model.knowledge_encoder import Knowledge_Encoder  # noqa: E402  (the official code)

    ke = Knowledge_Encoder(biolord_checkpoint=biolord)
    if checkpoint is not None:
        ke.load_state_dict(_load_state_dict(checkpoint, "cpu"), strict=False)  # as inference.py does
    return ke.to(device).eval(), ke.text_tower.tokenizer.tokenizer


def hf_vocabulary(hf_tokenizer) -> list:
    vocab = hf_tokenizer.get_vocab()
    tokens = [None] * len(vocab)
    for token, i in vocab.items():
        if i < 0 or i >= len(tokens) or tokens[i] is not None:
            raise ValueError("the tokenizer's ids are not 0..V-1 each once")
        tokens[i] = token
    return tokens


def hf_tokenizer_settings(hf_tokenizer) -> dict:
    kw = getattr(hf_tokenizer, "init_kwargs", {}) or {}
    lowercase = bool(kw.get("do_lower_case", True))
    strip = kw.get("strip_accents")
    return {
        "lowercase": lowercase,
        "stripAccents": lowercase if strip is None else bool(strip),
        "tokenizeChineseChars": bool(kw.get("tokenize_chinese_chars", True)),
        "unkToken": str(hf_tokenizer.unk_token),
        "maxLength": 256,
        "specialTokens": [str(t) for t in hf_tokenizer.all_special_tokens],
    }


def official_meta(args) -> dict:
    return {
        "name": args.name,
        "description": "Medal S (CVPR 2025 BiomedSegFM), ONNX export of the official checkpoints "
                       "(github.com/yinghemedical/Medal-S, weights spc819/Medal-S-V1.0).",
        "license": args.license,
        "embeddingWidth": MEDALS_EMBEDDING_WIDTH,
        "stages": {k: {"patch": v["patch"], "targetSpacing": v["targetSpacing"]} for k, v in MEDALS_STAGES.items()},
        "opset": args.opset,
        "generator": {
            "source": "github.com/yinghemedical/Medal-S",
            "checkpoints": {
                "1": os.path.basename(args.checkpoint),
                "2": os.path.basename(args.checkpoint2) if args.checkpoint2 else None,
                "textEncoder": os.path.basename(args.text_checkpoint) if args.text_checkpoint else None,
                "biolord": os.path.basename(os.path.normpath(args.biolord)) if args.biolord else None,
            },
            "sha256": {
                "1": sha256_file(args.checkpoint),
                "2": sha256_file(args.checkpoint2) if args.checkpoint2 else None,
                "textEncoder": sha256_file(args.text_checkpoint) if args.text_checkpoint else None,
            },
        },
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", required=True, help="a clone of github.com/yinghemedical/Medal-S")
    ap.add_argument("--checkpoint", required=True, help="stage-1 checkpoint (crop 224x224x128, 1.5x1.5x3 mm)")
    ap.add_argument("--checkpoint2", help="stage-2 checkpoint (crop 192^3, 1 mm); without it, stage 1 only")
    ap.add_argument("--biolord", help="folder of BioLORD-2023-C (HF model and tokenizer files)")
    ap.add_argument("--text-checkpoint", help="the Medal S text_encoder.pth (Knowledge_Encoder weights)")
    ap.add_argument("--embeddings", help="instead of a text encoder: an embeddings.json (medals-embeddings/1) to copy in")
    ap.add_argument("--out", required=True, help="model folder to write")
    ap.add_argument("--name", default="medal-s")
    ap.add_argument("--license", default="Apache-2.0")
    ap.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    ap.add_argument("--device", default="cpu", help="torch device for tracing (cpu, cuda)")
    args = ap.parse_args(argv)
    if not args.biolord and not args.embeddings:
        ap.error("give --biolord (and --text-checkpoint) for the text encoder, or --embeddings")

    torch.set_grad_enabled(False)
    stages = {1: MedalSStageGraph(build_official_stage(args.repo, args.checkpoint, MEDALS_STAGES[1]["patch"], args.device))}
    if args.checkpoint2:
        stages[2] = MedalSStageGraph(build_official_stage(args.repo, args.checkpoint2, MEDALS_STAGES[2]["patch"], args.device))
    meta = official_meta(args)
    text_graph, vocab = None, None
    if args.biolord:
        if not args.text_checkpoint:
            print("warning: no --text-checkpoint: the projection and modality embedding stay random", file=sys.stderr)
        ke, hf_tok = build_official_text_encoder(args.repo, args.biolord, args.text_checkpoint, args.device)
        text_graph, vocab = KnowledgeEncoderGraph(ke), hf_vocabulary(hf_tok)
        meta["tokenizer"] = hf_tokenizer_settings(hf_tok)
    if args.embeddings:
        os.makedirs(args.out, exist_ok=True)
        with open(args.embeddings, "rb") as src, open(os.path.join(args.out, "embeddings.json"), "wb") as dst:
            dst.write(src.read())
        meta["embeddingsFile"] = "embeddings.json"
    manifest = export_model(stages, text_graph, vocab, meta, args.out)
    print(json.dumps({"out": os.path.abspath(args.out), "stages": sorted(manifest["stages"]),
                      "text": sorted(manifest["text"])}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
