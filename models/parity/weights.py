"""Deterministic stand-in weights for the official Medal S code, and their export to a model folder.

The real checkpoints cannot be downloaded here, so the parity harness gives the official networks
seeded random weights and saves them where the official inference reads them:

    <cache>/checkpoints/nano_UNet_CVPR2025_crop_size_<crop>_spacing_<spacing>_step_<step>.pth
    <cache>/checkpoints/BioLORD-2023-C/      (an MPNet and its tokenizer, save_pretrained)
    <cache>/checkpoints/text_encoder.pth     (Knowledge_Encoder state dict)
    <cache>/model/                           (the same weights exported by models/export)

`full` is the official configuration (MedalS as model/medals.py builds it; an MPNet of
BioLORD-2023-C's size). `small` is the official MedalS class with fewer features per U-Net stage
and two query-decoder layers (same patch sizes, spacings, token grid and forward code), and a
one-layer MPNet, so that CI can run whole cases on two cores. Both use the official forward code
unchanged: `small_medals_class` only swaps submodules after the official __init__.

The vocabulary is ours: the special tokens at BioLORD's ids' places, then every word of the class
catalog's names, sentences and synonyms, and single characters with their `##` continuations so
any word splits into known pieces.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import unicodedata
from typing import Dict, List

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "models", "export"))
import export_medal_s as export  # noqa: E402  (ours: graph adapters and export_model)



def _find_official() -> str:
    """The official code: $MEDALS_OFFICIAL, else ../shared/medal-s-official beside the checkout,
    else the workplace's /work/shared copy (a clone elsewhere, as CI's, still finds it)."""
    places = [os.environ.get("MEDALS_OFFICIAL"), os.path.join(os.path.dirname(ROOT), "shared", "medal-s-official"),
              "/work/shared/medal-s-official"]
    for p in places:
        if p and os.path.isfile(os.path.join(p, "inference.py")):
            return p
    return places[1]


OFFICIAL = _find_official()

# What the official main() builds and loads (inference.py L734-748).
STAGES = {
    1: {"crop": [224, 224, 128], "spacing": [1.5, 1.5, 3.0], "step": 358600},
    2: {"crop": [192, 192, 192], "spacing": [1.0, 1.0, 1.0], "step": 341300},
}
# Fewer features per stage for `small`; the official is (64, 64, 128, 256, 512, 768).
SMALL_FEATURES = (4, 8, 8, 16, 16, 32)
SMALL_DECODER_LAYERS = 2
# Output shaping of the stand-in (shape_weights), chosen by measuring random phantoms: logits
# spread about +-2 (few voxels near the 0.5 threshold, few classes saturating to probability 1,
# where ties would decide the argmax), classes in different places, sparse foreground.
# - the mask embeddings' last Linear is scaled by MASK_EMBED_GAIN and biased by MASK_EMBED_BIAS,
#   so every class has a positive embedding that differs from the others';
# - the fusion conv's InstanceNorm bias makes each per-pixel feature positive only where it
#   stands FUSION_BIAS standard deviations above its window's mean (LeakyReLU leaves 1 % below),
#   except feature 0, pushed far down: a constant negative term, the background's offset.
MASK_EMBED_GAIN = 30.0
MASK_EMBED_BIAS = 1.0
FUSION_BIAS = -1.0
OFFSET_FEATURE_BIAS = -10.0
SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Bump when anything here changes the weights or the export: the cache key includes it.
WEIGHTS_VERSION = 1


def official_on_path() -> None:
    """The official code root, its data/ folder (resample_torch imports default_resampling as a
    top-level module) and its own dynamic_network_architectures, first on sys.path."""
    if not os.path.isfile(os.path.join(OFFICIAL, "inference.py")):
        raise FileNotFoundError(f"the official Medal S code is not at {OFFICIAL}: set MEDALS_OFFICIAL to its folder")
    for p in (os.path.join(OFFICIAL, "model", "dynamic-network-architectures-main"),
              os.path.join(OFFICIAL, "data"), OFFICIAL):
        if p in sys.path:
            sys.path.remove(p)
        sys.path.insert(0, p)


def small_medals_class():
    """The official MedalS with fewer features: the official __init__ and forward, then the
    submodules whose widths follow the feature counts rebuilt with the same building blocks."""
    official_on_path()
    from model.medals import MedalS  # the official class
    from dynamic_network_architectures.architectures.unet import PlainConvUNet
    from dynamic_network_architectures.building_blocks.simple_conv_blocks import StackedConvBlocks
    from dynamic_network_architectures.initialization.weight_init import InitWeights_He

    class SmallMedalS(MedalS):
        def __init__(self, vision_backbone="UNET", input_channels=1, image_size=(224, 224, 128),
                     patch_size=(32, 32, 32), deep_supervision=False):
            super().__init__(vision_backbone, input_channels, list(image_size), list(patch_size), deep_supervision)
            f = SMALL_FEATURES
            self.backbone = PlainConvUNet(
                input_channels=input_channels, n_stages=6, features_per_stage=f, conv_op=nn.Conv3d,
                kernel_sizes=3, strides=(1, 2, 2, 2, 2, 2), n_conv_per_stage=(2,) * 6,
                n_conv_per_stage_decoder=(2,) * 5, conv_bias=True, norm_op=nn.InstanceNorm3d,
                norm_op_kwargs={"eps": 1e-5, "affine": True}, dropout_op=None, dropout_op_kwargs=None,
                nonlin=nn.LeakyReLU, nonlin_kwargs=None, deep_supervision=deep_supervision, nonlin_first=False)
            self.backbone.apply(InitWeights_He(1e-2))
            self.projection_layer[0] = nn.Linear(sum(f), 768)
            self.transformer_decoder.layers = self.transformer_decoder.layers[:SMALL_DECODER_LAYERS]
            self.transformer_decoder.num_layers = SMALL_DECODER_LAYERS
            self.mask_embed_proj[2] = nn.Linear(256, f[0])
            self.fusion_conv = StackedConvBlocks(
                1, nn.Conv3d, 2 * f[0], f[0], 3, 1, True, nn.InstanceNorm3d,
                {"eps": 1e-5, "affine": True}, None, None, nn.LeakyReLU, None, False)

    return SmallMedalS


def medals_class(network: str):
    if network == "small":
        return small_medals_class()
    official_on_path()
    from model.medals import MedalS

    return MedalS


def shape_weights(net: nn.Module) -> None:
    """Scale the stand-in's output (see MASK_EMBED_GAIN and FUSION_BIAS)."""
    with torch.no_grad():
        net.mask_embed_proj[2].weight.mul_(MASK_EMBED_GAIN)
        net.mask_embed_proj[2].bias.fill_(MASK_EMBED_BIAS)
        for m in net.fusion_conv.modules():
            if isinstance(m, nn.InstanceNorm3d):
                m.bias.fill_(FUSION_BIAS)
                m.bias[0] = OFFSET_FEATURE_BIAS


def build_stage(network: str, stage: int, seed: int) -> nn.Module:
    torch.manual_seed(seed * 10 + stage)
    cls = medals_class(network)
    net = cls("UNET", 2, STAGES[stage]["crop"], [32, 32, 32], False)
    shape_weights(net)
    return net.eval()


def checkpoint_name(stage: int) -> str:
    s = STAGES[stage]
    crop = "_".join(map(str, s["crop"]))
    spacing = "_".join(map(str, s["spacing"]))
    return f"nano_UNet_CVPR2025_crop_size_{crop}_spacing_{spacing}_step_{s['step']}.pth"


def _words(text: str) -> List[str]:
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.findall(r"[a-z0-9]+", text)


def vocabulary() -> List[str]:
    with open(os.path.join(ROOT, "models", "catalog", "catalog.json"), encoding="utf-8") as f:
        catalog = json.load(f)
    words = set()
    for classes in catalog["modalities"].values():
        for c in classes:
            for text in [c["name"], c.get("sentence") or ""] + list(c.get("synonyms") or []):
                words.update(_words(text))
    for text in ("CT", "MRI", "MR", "PET", "US", "ultrasound", "microscopy", "computed tomography",
                 "magnetic resonance", "in of the and with from scan image images"):
        words.update(_words(text))
    chars = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)]
    punctuation = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    pieces = punctuation + chars + ["##" + c for c in chars]
    tokens = SPECIAL_TOKENS + pieces + sorted(w for w in words if w not in pieces)
    return tokens + ["<mask>"]


def mpnet_config(network: str, vocab_size: int):
    from transformers import MPNetConfig

    # BioLORD-2023-C is an MPNet base: 12 layers, 12 heads, 3072 intermediate, 768 wide.
    layers, intermediate = (1, 256) if network == "small" else (12, 3072)
    return MPNetConfig(vocab_size=vocab_size, hidden_size=768, num_hidden_layers=layers,
                       num_attention_heads=12, intermediate_size=intermediate,
                       max_position_embeddings=514, pad_token_id=1, bos_token_id=0, eos_token_id=2)


def write_biolord(folder: str, network: str, seed: int) -> None:
    from transformers import MPNetModel, MPNetTokenizerFast

    os.makedirs(folder, exist_ok=True)
    vocab = vocabulary()
    vocab_file = os.path.join(folder, "vocab.txt")
    export.write_vocabulary(vocab_file, vocab)
    tok = MPNetTokenizerFast(vocab_file=vocab_file, do_lower_case=True)
    tok.save_pretrained(folder)
    torch.manual_seed(seed * 10 + 7)
    MPNetModel(mpnet_config(network, len(vocab))).eval().save_pretrained(folder)


def build_text_encoder(biolord: str, seed: int):
    """The official Knowledge_Encoder around our BioLORD stand-in, its projection and modality
    embedding seeded."""
    official_on_path()
    from model.knowledge_encoder import Knowledge_Encoder

    torch.manual_seed(seed * 10 + 8)
    return Knowledge_Encoder(biolord_checkpoint=biolord).eval()


def cache_key(network: str, seed: int) -> str:
    h = hashlib.sha256()
    for source in (__file__, export.__file__):
        with open(source, "rb") as f:
            h.update(f.read())
    h.update(f"{network}/{seed}/{WEIGHTS_VERSION}/{torch.__version__}".encode())
    return h.hexdigest()[:12]


def ensure_weights(network: str, seed: int, cache_root: str) -> Dict[str, str]:
    """Checkpoints in the official layout and the exported model folder, built once per
    (network, seed, this file): returns {"checkpoints", "model"}."""
    folder = os.path.join(cache_root, f"{network}-seed{seed}-{cache_key(network, seed)}")
    done = os.path.join(folder, "done.json")
    paths = {"checkpoints": os.path.join(folder, "checkpoints"), "model": os.path.join(folder, "model")}
    if os.path.isfile(done):
        return paths
    torch.set_grad_enabled(False)
    ckpt = paths["checkpoints"]
    os.makedirs(ckpt, exist_ok=True)
    nets = {}
    for stage in (1, 2):
        nets[stage] = build_stage(network, stage, seed)
        torch.save({"model_state_dict": nets[stage].state_dict()}, os.path.join(ckpt, checkpoint_name(stage)))
    biolord = os.path.join(ckpt, "BioLORD-2023-C")
    write_biolord(biolord, network, seed)
    ke = build_text_encoder(biolord, seed)
    torch.save({"model_state_dict": ke.state_dict()}, os.path.join(ckpt, "text_encoder.pth"))
    hf_tok = ke.text_tower.tokenizer.tokenizer
    meta = {
        "name": f"medal-s-parity-{network}-seed{seed}",
        "description": f"Official Medal S architecture ({network}) with seeded random weights, for parity runs",
        "license": "Apache-2.0",
        "embeddingWidth": export.MEDALS_EMBEDDING_WIDTH,
        "stages": {k: {"patch": v["crop"], "targetSpacing": v["spacing"]} for k, v in STAGES.items()},
        "tokenizer": export.hf_tokenizer_settings(hf_tok),
        "generator": {"parity": {"network": network, "seed": seed, "key": cache_key(network, seed)}},
    }
    export.export_model({k: export.MedalSStageGraph(v) for k, v in nets.items()},
                        export.KnowledgeEncoderGraph(ke), export.hf_vocabulary(hf_tok), meta, paths["model"])
    with open(done, "w") as f:
        json.dump({"network": network, "seed": seed}, f)
    return paths
