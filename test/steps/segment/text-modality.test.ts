/**
 * The text encoder's modality: one code per case, as Medal S's main() gives it. Official
 * (inference.py L827-840, L61-65): `modality_list` holds each prompt's modality in prompt order,
 * `get_most_frequent` returns `Counter(modality_list).most_common(1)[0][0]` ("CT" for an empty
 * list), and run_inference builds a one-element `modality_code` tensor (L614-616) that the
 * knowledge encoder adds to every query (model/knowledge_encoder.py L21-24). The class key stays
 * each prompt's own (`raw_class_name_list`, L836).
 *
 * Oracle: Counter.most_common re-derived plainly: count in insertion order, then a stable sort
 * by descending count (Python's sorted is stable, so a tie keeps the first-inserted modality).
 */
import { describe, expect, it, vi } from 'vitest';
import type { Modality } from '../../../functions/lib/case/case-request.js';
import { Volume } from '../../../functions/lib/geometry/volume.js';
import { textEncoderModality } from '../../../functions/lib/prompts/index.js';
import { type SegmentPrompt, segmentImage } from '../../../functions/steps/segment/segment.js';
import type { TextQuery } from '../../../functions/steps/segment/text-encoder.js';
import { geometry } from '../../helpers/geometry.js';
import { usePhantomModel } from '../../helpers/models.js';
import { prng } from '../../helpers/prng.js';

const ALL: Modality[] = ['CT', 'MRI', 'US', 'PET', 'Microscopy'];

/** Python: `Counter(xs).most_common(1)[0][0] if xs else "CT"`. */
function pythonMostCommon(xs: readonly Modality[]): Modality {
  if (xs.length === 0) return 'CT';
  const counts: [Modality, number][] = [];
  for (const x of xs) {
    const entry = counts.find(([m]) => m === x);
    if (entry) entry[1]++;
    else counts.push([x, 1]);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0][0];
}

describe('textEncoderModality (get_most_frequent)', () => {
  it('equals Counter.most_common on random prompt lists, ties to the first seen, CT when empty', () => {
    expect(textEncoderModality([])).toBe('CT');
    expect(textEncoderModality(['MRI', 'CT', 'CT', 'MRI'])).toBe('MRI');
    expect(textEncoderModality(['US', 'PET', 'PET'])).toBe('PET');
    const r = prng(7);
    for (let t = 0; t < 500; t++) {
      const kinds = ALL.slice(0, 1 + Math.floor(r() * 5));
      const list = Array.from({ length: Math.floor(r() * 9) }, () => kinds[Math.floor(r() * kinds.length)]);
      expect(textEncoderModality(list), list.join(',')).toBe(pythonMostCommon(list));
    }
  });
});

describe('segmentImage feeds the text encoder one modality per case', () => {
  const model = usePhantomModel();

  const image = new Volume<'float32'>(
    geometry([40, 40, 20], [1.5, 1.5, 3]),
    new Float32Array(40 * 40 * 20).fill(100),
  );

  it.each([
    // prompt modalities in prompt order -> the modality every query gets
    [['CT', 'MRI', 'MRI'] as Modality[]],
    [['MRI', 'CT', 'CT', 'MRI'] as Modality[]],
    [['US', 'CT'] as Modality[]],
    [['Microscopy'] as Modality[]],
  ])('prompt modalities %j', async (modalities) => {
    const names = ['Liver', 'Spleen', 'Aorta', 'Pancreas'];
    const prompts: SegmentPrompt[] = modalities.map((modality, i) => ({
      value: i + 1,
      name: names[i],
      sentence: `${names[i]} in ${modality}`,
      modality,
    }));
    const want = pythonMostCommon(modalities);
    const embed = vi.spyOn(model().text, 'embed');
    try {
      const result = await segmentImage(model(), prompts, { stage1Image: image, stages: [1] });
      expect(embed).toHaveBeenCalledTimes(1);
      const queries = embed.mock.calls[0][0] as readonly TextQuery[];
      expect(queries.map((q) => q.sentence)).toEqual(prompts.map((p) => p.sentence));
      expect(queries.map((q) => q.modality)).toEqual(prompts.map(() => want));
      expect(result.record.textModality).toBe(want);
      // Each class keeps its own modality (its class key `<Modality>_<class>`).
      expect(result.record.classes.map((c) => c.modality)).toEqual(modalities);
    } finally {
      embed.mockRestore();
    }
  });
});
