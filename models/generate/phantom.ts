/**
 * The `phantom` model: a hand-built model of the contract that really segments the synthetic
 * phantom's five organs and its liver lesions (functions/tools/phantom) from text, through the real path
 *   sentence -> WordPiece tokenizer -> text-encoder graph -> query -> stage graph -> logits.
 *
 * TEXT. The vocabulary holds the words of the catalog sentences of Liver, Spleen, Left kidney,
 * Right kidney and Aorta in CT and MRI and of Liver tumors in CT (and their synonyms' head
 * words), and of Left lung and Right lung in CT (LUNGS below). A token's embedding is a unit
 * "concept" vector for the words that identify a class (liver/hepatic, spleen/splenic,
 * kidney/renal, left, right, aorta/aortic, tumor(s)/tumour(s)/lesion(s) for "lesion", and
 * lung(s)) and zero for every other word; the encoder
 * mean-pools over the mask and adds a one-hot modality embedding. E = 16: concepts in dims 0..7,
 * modality in 8..12, the rest zero.
 *
 * STAGE GRAPH. The query's concept part is L2-normalised (pooling divides by the sentence length)
 * and scored against one key per (modality, class) plus a "none" row per modality; a sharp
 * softmax picks the row, whose four numbers are two intensity windows on the 0..255 image:
 *   core window: nearest-mean interval of the class among the phantom's tissue means
 *   fg window:   the same, with the bound facing soft tissue moved to mid(soft, class)
 * The image is smoothed once (3x3x3 binomial, edge padding; noise sigma 12 HU = 7.65 on the
 * 0..255 scale drops to about 1.8). Blurring makes boundary ramps that cross other organs'
 * windows (one-voxel "rings"); so the core score k (hw - |S - c|) is eroded (3x3x3 min) to drop
 * the rings, dilated by two voxels (two 3x3x3 max) to get the organ back, and intersected (min)
 * with the fg score, which decides the boundary:
 *   logits = min(dilate2(erode1(core)), fg) + 2 * blur(mc_prompt) - blur(sc_prompt).
 * A mask prompt raises its class (up to +2) and lowers the others where another class is
 * prompted (-1), so prompts move ambiguous voxels and change the output measurably. A sentence
 * naming no known class, or a modality other than CT and MRI, selects a "none" row: logits far
 * below zero everywhere.
 *
 * LESIONS. The CT class "Liver tumors" (sentence "Liver tumors detected in abdominal CT
 * imaging": concepts liver + lesion) has its own row, keyed (liver + lesion) / sqrt 2 with a
 * sharper cosine than the organ rows, so that "Liver in abdominal CT" keeps the Liver row and a
 * lesion sentence of another organ ("Lung lesions ...", "Kidney lesions ...") stays "none"
 * (selectionTable). Its windows swap the roles of core and fg: the core is the liver around the
 * lesions, which survives the erosion that the small lesions themselves would not, and the fg
 * window is the dark lesion intensity (phantomLesionWindows). Same stage graphs, one more row.
 *
 * CT windows come from the phantom's HU means after the fixed 40/400 window. MRI windows come
 * from the phantom's MRI means after percentile scaling (low ~ 2, high ~ 752 on the default
 * phantom, seeds 0..3): approximate, since percentile scaling depends on the image.
 */
import { canonicalSentence } from '../../functions/lib/prompts/resolve.js';
import { CT_WINDOWS } from '../../functions/lib/medal-s/index.js';
import { MEDALS_MODALITY_IDS, type StageDtype } from '../../functions/lib/model/manifest.js';
import { WordPieceTokenizer } from '../../functions/steps/segment/tokenizer.js';
import { catalogClasses, loadCatalog } from '../../functions/lib/prompts/catalog.js';
import { withFloat16Io } from '../onnx/float16-io.js';
import { GraphBuilder, attr } from '../onnx/graph-builder.js';
import { encodeModel } from '../onnx/onnx-schema.js';
import {
  type GeneratedModel,
  type StageGrids,
  type TextEncoderWeights,
  contractModel,
  stageInputs,
} from './common.js';

const PHANTOM_MODEL_NAME = 'phantom';
const PHANTOM_EMBEDDING_WIDTH = 16;
const PHANTOM_CLASSES = ['Liver', 'Spleen', 'Left kidney', 'Right kidney', 'Aorta'] as const;
type PhantomClass = (typeof PHANTOM_CLASSES)[number];

/** Stage 1 coarse, stage 2 fine, in (H, W, D). See models/README.md for why these sizes. */
const PHANTOM_STAGES: StageGrids = {
  1: { patch: [48, 48, 24], targetSpacing: [1.5, 1.5, 3.0] },
  2: { patch: [48, 48, 48], targetSpacing: [1.0, 1.0, 1.0] },
};

/** Logit slope per intensity unit (0..255 scale). */
const K = 0.5;
/** Softmax sharpness for the class part (cosine) and the modality part (one-hot dot). */
const TAU_CLASS = 40;
const TAU_MODALITY = 100;
/** Cosine a class must beat for the sentence to name it (else the "none" row wins). */
const NONE_THRESHOLD = 0.6;
/** Sharpness of the lesion row's cosine relative to the organ rows' (see selectionTable). */
const LESION_GAIN = 4;
/** Prompt weights: + PROMPT_OWN * blur(mc) - PROMPT_ANY * blur(sc). */
const PROMPT_OWN = 2;
const PROMPT_ANY = 1;

const CONCEPTS = ['liver', 'spleen', 'kidney', 'left', 'right', 'aorta', 'lesion', 'lung'] as const;
const CONCEPT_OF_WORD: Record<string, (typeof CONCEPTS)[number]> = {
  liver: 'liver',
  hepatic: 'liver',
  spleen: 'spleen',
  splenic: 'spleen',
  kidney: 'kidney',
  renal: 'kidney',
  left: 'left',
  right: 'right',
  aorta: 'aorta',
  aortic: 'aorta',
  tumor: 'lesion',
  tumors: 'lesion',
  tumour: 'lesion',
  tumours: 'lesion',
  lesion: 'lesion',
  lesions: 'lesion',
  // Not "pulmonary": "Pulmonary vein" would then name a lung.
  lung: 'lung',
  lungs: 'lung',
};
const MODALITY_OFFSET = CONCEPTS.length;
const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** 0..255 value of a CT HU value under the fixed 40/400 window. */
function ctScaled(hu: number): number {
  return Math.min(255, Math.max(0, ((hu + 160) / 400) * 255));
}

/** Tissue means on the 0..255 scale the stage graphs see (from functions/tools/phantom/phantom.ts). */
const PHANTOM_TISSUE_MEANS: Record<'CT' | 'MRI', Record<string, number>> = {
  CT: {
    air: ctScaled(-1000),
    fat: ctScaled(-100),
    soft: ctScaled(20),
    Liver: ctScaled(60),
    Spleen: ctScaled(100),
    'Left kidney': ctScaled(140),
    'Right kidney': ctScaled(180),
    Aorta: ctScaled(220),
  },
  // Measured on default MRI phantoms after 'percentile-minmax' (raw / ~750 * 255).
  MRI: {
    air: 5,
    Spleen: 68.6,
    soft: 87.7,
    'Left kidney': 110.0,
    'Right kidney': 132.3,
    Liver: 174.5,
    fat: 216.9,
    Aorta: 255,
  },
};

interface Window {
  lo: number;
  hi: number;
}

/** Core and fg windows of `cls` among tissue `means` (0..255) that include `soft` (see the module header). */
function nearestMeanWindows(means: Record<string, number>, cls: string): { core: Window; fg: Window } {
  const sorted = Object.entries(means).sort((a, b) => a[1] - b[1]);
  const soft = means.soft;
  const i = sorted.findIndex(([name]) => name === cls);
  const v = sorted[i][1];
  const lo = i > 0 ? (sorted[i - 1][1] + v) / 2 : v - 30;
  const hi = i < sorted.length - 1 ? (v + sorted[i + 1][1]) / 2 : v + 30;
  const core = { lo, hi };
  const fg = v > soft ? { lo: Math.min(lo, (soft + v) / 2), hi } : { lo, hi: Math.max(hi, (soft + v) / 2) };
  return { core, fg };
}

/** Core and fg windows of each class (see the module header). */
function phantomWindows(modality: 'CT' | 'MRI'): Record<PhantomClass, { core: Window; fg: Window }> {
  const means = PHANTOM_TISSUE_MEANS[modality];
  const out = {} as Record<PhantomClass, { core: Window; fg: Window }>;
  for (const cls of PHANTOM_CLASSES) out[cls] = nearestMeanWindows(means, cls);
  return out;
}

/** The catalog's CT lesion class the phantom model segments: the phantom's liver lesions. */
const PHANTOM_LESION_CLASS = 'Liver tumors';
/** CT mean of the lesions on the 0..255 scale (10 HU in functions/tools/phantom/phantom.ts). */
const PHANTOM_LESION_MEAN_CT = ctScaled(10);

/**
 * Core and fg windows of the (CT, Liver tumors) row. The lesions (10 HU, 108.4 on the 0..255
 * scale) are balls of radius 2.5..5 mm inside the liver (140.25), and soft tissue (114.75) lies
 * between the two, so no single window holds the lesions and their surroundings without holding
 * soft tissue too. The organ recipe (core = the class's own nearest-mean interval, eroded) does
 * not work for them: on the stage grids (1.6 x 1.6 x 2.5 mm in stage 1, about 0.8 x 0.8 x 1.2 mm
 * in stage 2) the smoothed lesion rarely holds a 3x3x3 block below mid(lesion, soft) = 111.6,
 * so erode1 removes most of them (measured: 1 of 14 found on seed 0), and raising that bound
 * far enough to keep them lets soft-tissue noise through the erosion. So the lesion row turns
 * the roles round, in the same graph:
 *   core: the liver, i.e. the Liver core window with its low bound moved down to
 *         mid(lesion, liver) = 124.3: big, so erode1 keeps it; erode1 then dilate2 gives the
 *         liver grown by one voxel, with each lesion's hole shrunk by one voxel, and nothing in
 *         soft tissue away from the liver. The hole is not closed: most lesions come out as
 *         thick shells with a hollow centre (70..87 % of each lesion's voxels on seed 0), still
 *         matched at IoU >= 0.5;
 *   fg:   the lesion's nearest-mean interval [mid(fat, lesion), ...] with the bound facing the
 *         liver moved to mid(lesion, liver), as the organ rows move the bound facing soft tissue.
 * min(dilate2(erode1(core)), fg) > 0 is then "darker than mid(lesion, liver), within a voxel of
 * the liver". Its one systematic false positive is a thin shell of soft tissue just outside the
 * liver surface (the same dark-next-to-liver signature); see test/lesion-task.test.ts for the
 * measured instance F1.
 */
function phantomLesionWindows(): { core: Window; fg: Window } {
  const means = PHANTOM_TISSUE_MEANS.CT;
  const v = PHANTOM_LESION_MEAN_CT;
  const lesionLiver = (v + means.Liver) / 2;
  return {
    core: { lo: lesionLiver, hi: phantomWindows('CT').Liver.core.hi },
    fg: { lo: (means.fat + v) / 2, hi: lesionLiver },
  };
}

/** The sentence the text encoder gets for 'liver tumors' (and its synonyms) in CT. */
function phantomLesionSentence(): {
  modality: 'CT';
  cls: typeof PHANTOM_LESION_CLASS;
  sentence: string;
} {
  const entry = catalogClasses(loadCatalog(), 'CT').find(
    (c) => c.branch === 'lesion' && c.name === PHANTOM_LESION_CLASS,
  );
  if (!entry) throw new Error(`the catalog has no CT lesion class '${PHANTOM_LESION_CLASS}'`);
  return { modality: 'CT', cls: PHANTOM_LESION_CLASS, sentence: canonicalSentence(entry).sentence };
}

/**
 * LUNGS. The phantom has none; a test paints them into a CT (PHANTOM_LUNG_HU, e.g.
 * test/helpers/chest-phantom.ts), the two 100 HU apart so that intensity tells them apart as it
 * does the kidneys. The CT classes "Left lung" and "Right lung" have rows keyed (lung + side) /
 * sqrt 2 whose windows are on the scale of the lung window (CT_WINDOWS.lung, -1350..150 HU), the
 * image medals hands the network for lung prompts: air, both lungs and fat apart. Under the
 * soft-tissue window lungs and air are all 0 and the rows' windows hold soft tissue instead, so
 * the rows find the lungs only on the lung-windowed image.
 */
export const PHANTOM_LUNG_HU = { 'Left lung': -850, 'Right lung': -750 } as const;
const PHANTOM_LUNG_CLASSES = ['Left lung', 'Right lung'] as const;
type PhantomLungClass = (typeof PHANTOM_LUNG_CLASSES)[number];

function phantomLungWindows(): Record<PhantomLungClass, { core: Window; fg: Window }> {
  const { level, width } = CT_WINDOWS.lung;
  const scaled = (hu: number) => Math.min(255, Math.max(0, ((hu - (level - width / 2)) / width) * 255));
  const means = {
    air: scaled(-1000),
    ...Object.fromEntries(PHANTOM_LUNG_CLASSES.map((c) => [c, scaled(PHANTOM_LUNG_HU[c])])),
    fat: scaled(-100),
    soft: scaled(20),
  };
  return {
    'Left lung': nearestMeanWindows(means, 'Left lung'),
    'Right lung': nearestMeanWindows(means, 'Right lung'),
  };
}

/** The sentences of the lung classes in CT (the catalog's canonical ones). */
function phantomLungSentences(): string[] {
  const classes = catalogClasses(loadCatalog(), 'CT').filter((c) => c.branch === 'anatomy');
  return PHANTOM_LUNG_CLASSES.map((cls) => {
    const entry = classes.find((c) => c.name === cls);
    if (!entry) throw new Error(`the catalog has no CT anatomy class '${cls}'`);
    return canonicalSentence(entry).sentence;
  });
}

/**
 * The sentences the text encoder gets for the five organs in CT and MRI: what resolvePrompts
 * gives for the bare names, i.e. each anatomy class's canonical catalog sentence (read from the
 * catalog directly: resolvePrompts builds its term tables first, which costs a second).
 */
export function phantomSentences(): { modality: 'CT' | 'MRI'; cls: PhantomClass; sentence: string }[] {
  const catalog = loadCatalog();
  return (['CT', 'MRI'] as const).flatMap((modality) => {
    const classes = catalogClasses(catalog, modality).filter((c) => c.branch === 'anatomy');
    return PHANTOM_CLASSES.map((cls) => {
      const entry = classes.find((c) => c.name === cls);
      if (!entry) throw new Error(`the catalog has no ${modality} anatomy class '${cls}'`);
      return { modality, cls, sentence: canonicalSentence(entry).sentence };
    });
  });
}

function phantomVocabulary(sentences: readonly string[]): string[] {
  const probe = new WordPieceTokenizer(SPECIAL_TOKENS, {});
  const words = new Set<string>(Object.keys(CONCEPT_OF_WORD));
  for (const s of sentences) for (const w of probe.basicTokenize(s)) words.add(w);
  for (const t of SPECIAL_TOKENS) words.delete(t);
  return [...SPECIAL_TOKENS, ...[...words].sort()];
}

function phantomTextWeights(vocab: readonly string[]): TextEncoderWeights {
  const E = PHANTOM_EMBEDDING_WIDTH;
  const tokenEmbeddings = new Float32Array(vocab.length * E);
  vocab.forEach((token, id) => {
    const concept = CONCEPT_OF_WORD[token];
    if (concept) tokenEmbeddings[id * E + CONCEPTS.indexOf(concept)] = 1;
  });
  const modalityCount = Object.keys(MEDALS_MODALITY_IDS).length;
  const modalityEmbeddings = new Float32Array(modalityCount * E);
  for (let m = 0; m < modalityCount; m++) modalityEmbeddings[m * E + MODALITY_OFFSET + m] = 1;
  return { tokenEmbeddings, modalityEmbeddings, vocabSize: vocab.length, width: E };
}

/** Unit key of each class in concept space. */
function classKey(cls: PhantomClass | PhantomLungClass | typeof PHANTOM_LESION_CLASS): number[] {
  const v = new Array<number>(CONCEPTS.length).fill(0);
  const set = (c: (typeof CONCEPTS)[number], x: number) => (v[CONCEPTS.indexOf(c)] = x);
  if (cls === 'Liver') set('liver', 1);
  if (cls === 'Spleen') set('spleen', 1);
  if (cls === 'Aorta') set('aorta', 1);
  if (cls === 'Left kidney' || cls === 'Right kidney') {
    set('kidney', Math.SQRT1_2);
    set(cls === 'Left kidney' ? 'left' : 'right', Math.SQRT1_2);
  }
  if (cls === PHANTOM_LESION_CLASS) {
    set('liver', Math.SQRT1_2);
    set('lesion', Math.SQRT1_2);
  }
  if (cls === 'Left lung' || cls === 'Right lung') {
    set('lung', Math.SQRT1_2);
    set(cls === 'Left lung' ? 'left' : 'right', Math.SQRT1_2);
  }
  return v;
}

/** A row's four numbers: core centre, core half width, fg centre, fg half width. */
function windowParams({ core, fg }: { core: Window; fg: Window }): number[] {
  return [(core.lo + core.hi) / 2, (core.hi - core.lo) / 2, (fg.lo + fg.hi) / 2, (fg.hi - fg.lo) / 2];
}

interface SelectionTable {
  /** (F x R): F = concepts + modalities. */
  keys: Float32Array;
  bias: Float32Array;
  /** (R x 4): core centre, core half width, fg centre, fg half width. */
  params: Float32Array;
  rows: number;
  features: number;
}

function selectionTable(): SelectionTable {
  const modalityCount = Object.keys(MEDALS_MODALITY_IDS).length;
  const F = CONCEPTS.length + modalityCount;
  const rows: { key: number[]; modality: number; bias: number; params: number[] }[] = [];
  const none = [0, -1000, 0, -1000];
  for (let m = 0; m < modalityCount; m++) {
    const name = (Object.keys(MEDALS_MODALITY_IDS) as (keyof typeof MEDALS_MODALITY_IDS)[]).find(
      (k) => MEDALS_MODALITY_IDS[k] === m,
    );
    if (name === 'CT' || name === 'MRI') {
      const windows = phantomWindows(name);
      for (const cls of PHANTOM_CLASSES) {
        rows.push({ key: classKey(cls), modality: m, bias: 0, params: windowParams(windows[cls]) });
      }
      // The lesion row: its key (liver + lesion) / sqrt 2 scaled by LESION_GAIN, its bias
      // TAU_CLASS (1 - LESION_GAIN), so its score is TAU_CLASS (1 + LESION_GAIN (cos - 1)):
      // TAU_CLASS for the tumour sentence (cos 1), as an organ row for its own sentence, but
      // far below the organ rows and the "none" row for a sentence with only one of the two
      // concepts (cos 0.71: "Liver in abdominal CT" keeps its Liver row to the last float32
      // bit, "Lung lesions ..." stays "none"). MRI has no lesion class in the catalog; a liver
      // lesion sentence sent with MRI gets the "none" windows rather than half the Liver row.
      rows.push({
        key: classKey(PHANTOM_LESION_CLASS).map((x) => x * LESION_GAIN),
        modality: m,
        bias: TAU_CLASS * (1 - LESION_GAIN),
        params: name === 'CT' ? windowParams(phantomLesionWindows()) : none,
      });
    }
    if (name === 'CT') {
      for (const cls of PHANTOM_LUNG_CLASSES) {
        rows.push({
          key: classKey(cls),
          modality: m,
          bias: 0,
          params: windowParams(phantomLungWindows()[cls]),
        });
      }
    }
    rows.push({
      key: new Array<number>(CONCEPTS.length).fill(0),
      modality: m,
      bias: TAU_CLASS * NONE_THRESHOLD,
      params: none,
    });
  }
  const R = rows.length;
  const keys = new Float32Array(F * R);
  const bias = new Float32Array(R);
  const params = new Float32Array(R * 4);
  rows.forEach((row, r) => {
    row.key.forEach((v, f) => (keys[f * R + r] = TAU_CLASS * v));
    keys[(CONCEPTS.length + row.modality) * R + r] = TAU_MODALITY;
    bias[r] = row.bias;
    row.params.forEach((v, j) => (params[r * 4 + j] = v));
  });
  return { keys, bias, params, rows: R, features: F };
}

/** Separable binomial [1, 2, 1] / 4 in each axis, as a (1, 1, 3, 3, 3) kernel. */
function binomialKernel(): Float32Array {
  const b = [0.25, 0.5, 0.25];
  const k = new Float32Array(27);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) for (let l = 0; l < 3; l++) k[i * 9 + j * 3 + l] = b[i] * b[j] * b[l];
  return k;
}

/** The stage graph for one patch (H, W, D). */
function buildPhantomStageGraph(
  patch: readonly [number, number, number],
  dtype: StageDtype = 'float32',
): Uint8Array {
  const [H, W, D] = patch;
  const E = PHANTOM_EMBEDDING_WIDTH;
  const table = selectionTable();
  const g = new GraphBuilder(`phantom_stage_${H}x${W}x${D}`);
  const { queries: q, image, sc, mc } = stageInputs(g, patch, E);
  const i64 = (name: string, data: number[]) =>
    g.initializer(name, { dtype: 'int64', dims: [data.length], data });
  const f32 = (name: string, value: number) =>
    g.initializer(name, { dtype: 'float32', dims: [], data: [value] });

  // Query -> (core centre, core hw, fg centre, fg hw) per class.
  const axis1 = i64('axis_1', [1]);
  const [concept] = g.node('Slice', [
    q,
    i64('concept_start', [0]),
    i64('concept_end', [CONCEPTS.length]),
    axis1,
  ]);
  const [modality] = g.node('Slice', [
    q,
    i64('modality_start', [CONCEPTS.length]),
    i64('modality_end', [table.features]),
    axis1,
  ]);
  const [sq] = g.node('Mul', [concept, concept]);
  const [ss] = g.node('ReduceSum', [sq, axis1], { keepdims: attr.int(1) });
  const [norm] = g.node('Sqrt', [ss]);
  const [safe] = g.node('Max', [norm, f32('min_norm', 1e-6)]);
  const [unit] = g.node('Div', [concept, safe]);
  const [features] = g.node('Concat', [unit, modality], { axis: attr.int(1) });
  const keys = g.initializer('class_keys', {
    dtype: 'float32',
    dims: [table.features, table.rows],
    data: table.keys,
  });
  const bias = g.initializer('class_bias', { dtype: 'float32', dims: [table.rows], data: table.bias });
  const params = g.initializer('class_windows', {
    dtype: 'float32',
    dims: [table.rows, 4],
    data: table.params,
  });
  const [scores0] = g.node('MatMul', [features, keys]);
  const [scores] = g.node('Add', [scores0, bias]);
  const [weights] = g.node('Softmax', [scores], { axis: attr.int(1) });
  const [windows] = g.node('MatMul', [weights, params]);
  const perClass = i64('per_class_shape', [1, -1, 1, 1, 1]);
  const column = (j: number, name: string) => {
    const [c] = g.node('Slice', [windows, i64(`${name}_start`, [j]), i64(`${name}_end`, [j + 1]), axis1]);
    return g.node('Reshape', [c, perClass])[0];
  };
  const coreC = column(0, 'core_centre');
  const coreHw = column(1, 'core_half_width');
  const fgC = column(2, 'fg_centre');
  const fgHw = column(3, 'fg_half_width');

  // Smoothed image S (1, 1, H, W, D): edge padding, 3x3x3 binomial.
  const kernel = g.initializer('binomial', {
    dtype: 'float32',
    dims: [1, 1, 3, 3, 3],
    data: binomialKernel(),
  });
  const [padded] = g.node('Pad', [image, i64('edge_pads', [0, 0, 1, 1, 1, 0, 0, 1, 1, 1])], {
    mode: attr.string('edge'),
  });
  const [smooth] = g.node('Conv', [padded, kernel], { kernel_shape: attr.ints([3, 3, 3]) });

  const k = f32('slope', K);
  const windowScore = (centre: string, halfWidth: string) => {
    const [d] = g.node('Sub', [smooth, centre]);
    const [a] = g.node('Abs', [d]);
    const [m] = g.node('Sub', [halfWidth, a]);
    return g.node('Mul', [m, k])[0];
  };
  const pool = (x: string) =>
    g.node('MaxPool', [x], { kernel_shape: attr.ints([3, 3, 3]), pads: attr.ints([1, 1, 1, 1, 1, 1]) })[0];
  const core = windowScore(coreC, coreHw);
  const [negCore] = g.node('Neg', [core]);
  const [eroded] = g.node('Neg', [pool(negCore)]);
  const dilated = pool(pool(eroded));
  const fg = windowScore(fgC, fgHw);
  const [imageLogits] = g.node('Min', [dilated, fg]);

  // Prompts: + PROMPT_OWN * blur(mc) - PROMPT_ANY * blur(sc); zero padding (no prompt outside).
  const blurOpts = { kernel_shape: attr.ints([3, 3, 3]), pads: attr.ints([1, 1, 1, 1, 1, 1]) };
  const [mcRows] = g.node('Reshape', [mc, i64('mc_rows', [-1, 1, H, W, D])]);
  const [mcBlur0] = g.node('Conv', [mcRows, kernel], blurOpts);
  const [mcBlur] = g.node('Reshape', [mcBlur0, i64('mc_back', [1, -1, H, W, D])]);
  const [scBlur] = g.node('Conv', [sc, kernel], blurOpts);
  const [own] = g.node('Mul', [mcBlur, f32('prompt_own', PROMPT_OWN)]);
  const [anyPrompt] = g.node('Mul', [scBlur, f32('prompt_any', PROMPT_ANY)]);
  const [withOwn] = g.node('Add', [imageLogits, own]);
  g.node('Sub', [withOwn, anyPrompt], {}, { outputs: ['logits'] });
  g.output('logits', 'float32', [1, 'N', H, W, D]);
  const model = g.toModel({ producerName: 'medals-generate', docString: 'medals phantom model stage graph' });
  return encodeModel(dtype === 'float16' ? withFloat16Io(model) : model);
}

interface PhantomModelOptions {
  /** Float type of the stage graphs' inputs and output (default float32). */
  stageDtype?: StageDtype;
}

/** The phantom model folder in memory (deterministic: same options, same bytes). */
export function buildPhantomModel(options: PhantomModelOptions = {}): GeneratedModel {
  const dtype = options.stageDtype ?? 'float32';
  const sentences = phantomSentences();
  const vocab = phantomVocabulary([
    ...[...sentences, phantomLesionSentence()].map((s) => s.sentence),
    ...phantomLungSentences(),
  ]);
  const stage = (n: 1 | 2) => ({
    bytes: buildPhantomStageGraph(PHANTOM_STAGES[n].patch, dtype),
    ...PHANTOM_STAGES[n],
  });
  return contractModel({
    name: PHANTOM_MODEL_NAME,
    description:
      'Hand-built test model of the Medal S contract: segments the synthetic phantom organs (liver, spleen, ' +
      'kidneys, aorta) in CT (and roughly in MRI), its liver lesions (CT "Liver tumors") and lungs painted ' +
      'into a CT (CT "Left lung", "Right lung", on the lung-windowed image) by ' +
      'query-selected intensity windows. Not a medical model.',
    dtype,
    stages: { 1: stage(1), 2: stage(2) },
    text: phantomTextWeights(vocab),
    vocabulary: vocab,
    // The table holds the ten organ sentences; the lesion sentence is left to the encoder graph,
    // the path any other sentence takes.
    sentences,
    table: 'json',
    generator: {
      name: PHANTOM_MODEL_NAME,
      classes: [...PHANTOM_CLASSES],
      windows: { CT: phantomWindows('CT'), MRI: phantomWindows('MRI') },
      lesion: {
        class: PHANTOM_LESION_CLASS,
        modality: 'CT',
        windows: phantomLesionWindows(),
        gain: LESION_GAIN,
      },
      lungs: {
        classes: [...PHANTOM_LUNG_CLASSES],
        modality: 'CT',
        window: 'lung',
        windows: phantomLungWindows(),
      },
      slope: K,
      prompt: { own: PROMPT_OWN, any: PROMPT_ANY },
    },
  });
}
