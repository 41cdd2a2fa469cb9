/**
 * The CT window of each tissue group: medals' own rule, not Medal S's. The official code receives
 * images already scaled to 0..255 (the challenge npz `imgs`) and has no intensity step, so it has
 * no source line; a raw CT in HU must be windowed first, and one window cannot show everything:
 * the soft-tissue window (level 40 / width 400 HU) puts everything below -160 HU at 0, so the
 * lungs and the airways would reach the network as a black field, and bone above 240 HU
 * saturates. A raw CT is therefore windowed per group of the prompts (the catalog's `ctWindow`
 * of each class, models/catalog/build-catalog.ts), one pass per group; see
 * docs/medal-s-pipeline.md "Deliberate differences".
 */

/** The tissue groups of CT classes, each with its own window. */
export const CT_WINDOW_GROUPS = ['soft-tissue', 'lung', 'bone'] as const;
export type CtWindowGroup = (typeof CT_WINDOW_GROUPS)[number];

export interface CtWindow {
  /** HU at the window's centre. */
  level: number;
  /** HU from the window's low end (0) to its high end (255). */
  width: number;
}

/**
 * The usual radiological windows: soft tissue 40 / 400 (-160..240 HU), lung -600 / 1500
 * (-1350..150 HU: air outside the body, lung parenchyma and the airway walls stay apart) and
 * bone 400 / 1800 (-500..1300 HU: cortical and trabecular bone apart from soft tissue).
 */
export const CT_WINDOWS: Readonly<Record<CtWindowGroup, CtWindow>> = {
  'soft-tissue': { level: 40, width: 400 },
  lung: { level: -600, width: 1500 },
  bone: { level: 400, width: 1800 },
};
