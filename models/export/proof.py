#!/usr/bin/env python3
"""The testable proof of models/export: a small random Medal S exported with `export_model`.

The real checkpoints cannot be downloaded here, so this builds a randomly initialised network
with the stage graphs' signature and Medal S's building blocks, small enough for a CPU:

  - backbone: PlainConvUNet from the PyPI package dynamic-network-architectures (3D, 3 stages,
    8-16-32 features, InstanceNorm3d, LeakyReLU, ConvTranspose3d decoder); like the official
    (vendored) variant it yields the encoder's skips and the decoder's features, not a
    segmentation head;
  - multi-scale image tokens: each skip average-pooled to the bottleneck grid, concatenated,
    projected to E (Linear, GELU, Linear, GELU), plus a fixed 3D sinusoidal position code;
  - query decoder: pre-norm cross-attention layers (torch.nn.MultiheadAttention, queries attend to
    the image tokens), final LayerNorm;
  - mask embeddings E -> C (Linear, GELU, Linear, GELU);
  - prompt fusion: einsum('bnhwd,bcn->bchwd', mc_prompt, mask_emb^T) concatenated with the pixel
    embedding, fused by a 3x3x3 conv block (StackedConvBlocks: conv, InstanceNorm3d, LeakyReLU);
  - head: einsum('bchwd,bnc->bnhwd', pixels, mask_emb);
  - text encoder: token embedding, masked mean pool, projection (Linear, GELU, Linear), plus a
    modality embedding, with its own WordPiece vocabulary.

Its `forward(queries, image_input, sc, mc, train_mode=False)` follows MedalS.forward (einsums,
batch handling); the export goes through the same `MedalSStageGraph` adapter and `export_model`
as the real checkpoints, and `parity.check_folder` compares torch and onnxruntime for N = 1 and 3.

    python3 models/export/proof.py --out /tmp/proof
      -> /tmp/proof/model/      the model folder (manifest.json, stage1/2.onnx, text_encoder.onnx, vocab.txt)
         /tmp/proof/parity/     stage{1,2}_n{1,3}_{queries,image,sc_prompt,mc_prompt,logits}.npy,
                                text_{input_ids,attention_mask,modality,embeddings}.npy, text.json
         /tmp/proof/report.json parity numbers and timings (also printed)
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import unicodedata

import numpy as np
import torch
from torch import nn

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_medal_s import MEDALS_MODALITY_IDS, MedalSStageGraph, export_model, masked_mean  # noqa: E402
from parity import check_folder  # noqa: E402

from dynamic_network_architectures.architectures.unet import PlainConvUNet  # noqa: E402
from dynamic_network_architectures.building_blocks.simple_conv_blocks import StackedConvBlocks  # noqa: E402
from dynamic_network_architectures.initialization.weight_init import InitWeights_He  # noqa: E402

WIDTH = 32  # E
HEADS = 4
LAYERS = 2
FEATURES = (8, 16, 32)
STRIDES = (1, 2, 2)
MASK_HIDDEN = 16
PROOF_STAGES = {
    1: {"patch": (32, 32, 16), "targetSpacing": (1.5, 1.5, 3.0)},
    2: {"patch": (32, 32, 32), "targetSpacing": (1.0, 1.0, 1.0)},
}
SENTENCES = [
    ("Liver in abdominal CT.", "CT"),
    ("Left kidney", "CT"),
    ("Brain tumour in T1-weighted MRI scans.", "MRI"),
    ("Pulmonary nodules", "CT"),
    ("Nuclei in light sheet microscopy", "Microscopy"),
]


def sinusoid_3d(grid, width: int) -> torch.Tensor:
    """A fixed position code (h w d, 1, width): per axis sin/cos of the index at geometric
    frequencies, the three axes side by side, cut to `width`."""
    per_axis = 2 * math.ceil(width / 6)
    freqs = 1.0 / (10000.0 ** (torch.arange(0, per_axis, 2, dtype=torch.float64) / per_axis))
    parts = []
    for axis, size in enumerate(grid):
        angle = torch.arange(size, dtype=torch.float64)[:, None] * freqs[None]
        code = torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(size, per_axis)
        shape = [1, 1, 1, per_axis]
        shape[axis] = size
        parts.append(code.reshape(shape).expand(*grid, per_axis))
    pe = torch.cat(parts, dim=-1)[..., :width]
    return pe.reshape(-1, 1, width).to(torch.float32)


class CrossAttentionLayer(nn.Module):
    """Pre-norm: q += attn(norm(q), tokens + pos, tokens); q += ffn(norm(q))."""

    def __init__(self, width: int, heads: int, hidden: int):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads, dropout=0.0)
        self.norm_attn = nn.LayerNorm(width)
        self.norm_ffn = nn.LayerNorm(width)
        self.ffn = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, width))

    def forward(self, q, memory, pos):
        attended, weights = self.attn(self.norm_attn(q), memory + pos, memory)
        q = q + attended
        return q + self.ffn(self.norm_ffn(q)), weights


class QueryDecoder(nn.Module):
    def __init__(self, width: int, heads: int, layers: int):
        super().__init__()
        self.layers = nn.ModuleList(CrossAttentionLayer(width, heads, 2 * width) for _ in range(layers))
        self.norm = nn.LayerNorm(width)

    def forward(self, q, memory, pos=None):
        weights = []
        for layer in self.layers:
            q, w = layer(q, memory, pos)
            weights.append(w)
        return self.norm(q), weights


class ProofMedalS(nn.Module):
    """A small Medal S with the official parts' names (see the module docstring)."""

    def __init__(self, patch, width: int = WIDTH):
        super().__init__()
        norm = {"eps": 1e-5, "affine": True}
        self.backbone = PlainConvUNet(
            input_channels=2, n_stages=len(FEATURES), features_per_stage=FEATURES, conv_op=nn.Conv3d,
            kernel_sizes=3, strides=STRIDES, n_conv_per_stage=2, num_classes=1,
            n_conv_per_stage_decoder=1, conv_bias=True, norm_op=nn.InstanceNorm3d, norm_op_kwargs=norm,
            nonlin=nn.LeakyReLU, nonlin_kwargs={"negative_slope": 0.01}, deep_supervision=False)
        self.backbone.apply(InitWeights_He(1e-2))
        down = math.prod(STRIDES)
        if any(p % down for p in patch):
            raise ValueError(f"patch {patch} must be a multiple of {down}")
        self.grid = tuple(p // down for p in patch)
        # every skip but the bottleneck is pooled to the bottleneck grid
        scale, pools = 1, []
        for s in STRIDES:
            scale *= s
            pools.append(scale)
        self.pool_factors = [down // f for f in pools[:-1]]
        self.projection_layer = nn.Sequential(nn.Linear(sum(FEATURES), width), nn.GELU(),
                                              nn.Linear(width, width), nn.GELU())
        self.register_buffer("pos_embedding", sinusoid_3d(self.grid, width), persistent=False)
        self.transformer_decoder = QueryDecoder(width, HEADS, LAYERS)
        self.query_proj = nn.Identity()
        self.mask_embed_proj = nn.Sequential(nn.Linear(width, MASK_HIDDEN), nn.GELU(),
                                             nn.Linear(MASK_HIDDEN, FEATURES[0]), nn.GELU())
        self.fusion_conv = StackedConvBlocks(1, nn.Conv3d, 2 * FEATURES[0], FEATURES[0], 3, 1, True,
                                             nn.InstanceNorm3d, norm, None, None, nn.LeakyReLU, None, False)

    def unet_features(self, x):
        """The encoder's skips (bottleneck last) and the decoder's features (largest first)."""
        skips = self.backbone.encoder(x)
        dec = self.backbone.decoder
        low, features = skips[-1], []
        for s in range(len(dec.stages)):
            low = dec.stages[s](torch.cat([dec.transpconvs[s](low), skips[-(s + 2)]], dim=1))
            features.append(low)
        return skips, features[::-1]

    def vision_backbone_forward(self, image_input):
        skips, pixel_levels = self.unet_features(image_input)
        pooled = [nn.functional.avg_pool3d(s, f, f) for s, f in zip(skips[:-1], self.pool_factors)] + [skips[-1]]
        tokens = torch.cat(pooled, dim=1)  # b c h w d
        b, c = tokens.shape[:2]
        tokens = self.projection_layer(tokens.permute(0, 2, 3, 4, 1))  # b h w d e
        tokens = tokens.reshape(b, -1, tokens.shape[-1]).transpose(0, 1)  # (h w d) b e
        return tokens, self.pos_embedding, pixel_levels

    def forward(self, queries, image_input, simulated_lowres_sc_pred=None, simulated_lowres_mc_pred=None,
                train_mode=False):
        """MedalS.forward's inference path: logits (B, N, H, W, D)."""
        if train_mode:
            raise NotImplementedError("the proof network only has the inference path")
        if simulated_lowres_sc_pred is not None:
            image_input = torch.cat([image_input, simulated_lowres_sc_pred], dim=1)
        tokens, pos, pixel_levels = self.vision_backbone_forward(image_input)
        n, b = queries.shape[0], tokens.shape[1]
        q = self.query_proj(queries[:, None, :].expand(n, b, queries.shape[1]))
        decoded, _ = self.transformer_decoder(q, tokens, pos=pos)  # n b e
        mask_emb = self.mask_embed_proj(decoded.transpose(0, 1))  # b n c
        pixels = pixel_levels[0]
        if simulated_lowres_mc_pred is not None:
            prompt_emb = torch.einsum("bnhwd,bcn->bchwd", simulated_lowres_mc_pred, mask_emb.permute(0, 2, 1))
            pixels = self.fusion_conv(torch.cat([pixels, prompt_emb], dim=1))
        return torch.einsum("bchwd,bnc->bnhwd", pixels, mask_emb)


class ProofTextEncoder(nn.Module):
    """(input_ids, attention_mask, modality) -> projection(masked mean of token embeddings) + modality embedding."""

    def __init__(self, vocab_size: int, width: int = WIDTH):
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, width)
        self.projection_layer = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, width))
        self.modality_embed = nn.Embedding(len(MEDALS_MODALITY_IDS), width)

    def forward(self, input_ids, attention_mask, modality):
        pooled = masked_mean(self.tokens(input_ids), attention_mask)
        return self.projection_layer(pooled) + self.modality_embed(modality)


# ---- a minimal BERT-style WordPiece tokenizer for the proof's own sentences (ASCII) ----

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CHARS = list("abcdefghijklmnopqrstuvwxyz0123456789")


def basic_tokens(text: str) -> list:
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.findall(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]", text)


def proof_vocabulary() -> list:
    words = sorted({w for s, _ in SENTENCES for w in basic_tokens(s) if len(w) > 1 or not w.isalnum()})
    words = [w for w in words if w not in CHARS]
    return SPECIALS + CHARS + ["##" + c for c in CHARS] + words


def wordpiece(word: str, index: dict) -> list:
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in index:
                pieces.append(piece)
                break
            end -= 1
        if end == start:
            return ["[UNK]"]
        start = end
    return pieces


def encode(sentences, vocab) -> tuple:
    """The official MyTokenizer scheme: [CLS] + wordpiece + [SEP], 0-padded, mask = ids > 0."""
    index = {t: i for i, t in enumerate(vocab)}
    rows = [[index["[CLS]"]] + [index[p] for w in basic_tokens(s) for p in wordpiece(w, index)] + [index["[SEP]"]]
            for s in sentences]
    length = max(len(r) for r in rows)
    ids = np.zeros((len(rows), length), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
    return ids, (ids > 0).astype(np.int64)


def randomise_norms(module: nn.Module, gen: torch.Generator) -> None:
    """Give InstanceNorm/LayerNorm affine parameters random values, so that they matter."""
    for m in module.modules():
        if isinstance(m, (nn.InstanceNorm3d, nn.LayerNorm)) and m.weight is not None:
            with torch.no_grad():
                m.weight.copy_(1.0 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=gen))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="export a small random Medal S with export_model and check parity")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args(argv)
    t_start = time.time()
    torch.manual_seed(args.seed)
    torch.set_grad_enabled(False)
    gen = torch.Generator().manual_seed(args.seed)

    nets = {}
    for key, spec in PROOF_STAGES.items():
        net = ProofMedalS(spec["patch"])
        randomise_norms(net, gen)
        nets[key] = net.eval()
    vocab = proof_vocabulary()
    text = ProofTextEncoder(len(vocab)).eval()
    randomise_norms(text, gen)

    model_dir = os.path.join(args.out, "model")
    parity_dir = os.path.join(args.out, "parity")
    meta = {
        "name": "medal-s-proof",
        "description": "Small randomly initialised network of Medal S's structure, exported by "
                       "models/export/proof.py through export_model (the path the real checkpoints take).",
        "license": "Apache-2.0",
        "embeddingWidth": WIDTH,
        "stages": PROOF_STAGES,
        "tokenizer": {"specialTokens": ["[UNK]", "[MASK]"]},
        "generator": {"name": "proof", "seed": args.seed, "features": list(FEATURES), "heads": HEADS,
                      "layers": LAYERS},
    }
    t0 = time.time()
    export_model({k: MedalSStageGraph(n) for k, n in nets.items()}, text, vocab, meta, model_dir)
    export_seconds = time.time() - t0

    sentences = [s for s, _ in SENTENCES]
    ids, mask = encode(sentences, vocab)
    modality = np.array([MEDALS_MODALITY_IDS[m] for _, m in SENTENCES], dtype=np.int64)
    batches = [{"input_ids": ids, "attention_mask": mask, "modality": modality},
               {"input_ids": ids[:1, :4], "attention_mask": mask[:1, :4], "modality": modality[:1]}]

    def text_reference(i, m, mod):
        return text(torch.from_numpy(i), torch.from_numpy(m), torch.from_numpy(mod)).numpy()

    t0 = time.time()
    stage_refs = {k: (lambda net: lambda q, im, sc, mc: net(q, im, sc, mc, train_mode=False))(n)
                  for k, n in nets.items()}
    report = check_folder(model_dir, stage_refs, text_reference, batches, args.n, args.seed, "cpu", args.tol,
                          parity_dir)
    parity_seconds = time.time() - t0

    # int32 copies: the TypeScript test reads .npy through functions/lib/image/npz (no int64 there)
    np.save(os.path.join(parity_dir, "text_input_ids.npy"), ids.astype(np.int32))
    np.save(os.path.join(parity_dir, "text_attention_mask.npy"), mask.astype(np.int32))
    np.save(os.path.join(parity_dir, "text_modality.npy"), modality.astype(np.int32))
    np.save(os.path.join(parity_dir, "text_embeddings.npy"), text_reference(ids, mask, modality))
    with open(os.path.join(parity_dir, "text.json"), "w", encoding="utf-8") as f:
        json.dump([{"sentence": s, "modality": m} for s, m in SENTENCES], f, indent=2)

    report.update({"exportSeconds": round(export_seconds, 2), "paritySeconds": round(parity_seconds, 2),
                   "totalSeconds": round(time.time() - t_start, 2), "torch": torch.__version__})
    with open(os.path.join(args.out, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
