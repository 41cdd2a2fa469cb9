/**
 * The imaging modalities Medal S knows, apart from the request's schema so that commands which
 * only list them (the CLI's option help) need not load zod.
 */
export const MODALITIES = ['CT', 'MRI', 'PET', 'US', 'Microscopy'] as const;
export type Modality = (typeof MODALITIES)[number];
