/** Geometry as it travels in JSON records (preprocess.json, Step Functions state). */
import { z } from 'zod';
import type { Geometry } from './volume.js';

const vec3 = z.tuple([z.number(), z.number(), z.number()]);

export const geometrySchema = z.object({
  size: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  spacing: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  origin: vec3,
  direction: z.tuple([
    z.number(),
    z.number(),
    z.number(),
    z.number(),
    z.number(),
    z.number(),
    z.number(),
    z.number(),
    z.number(),
  ]),
}) satisfies z.ZodType<Geometry>;
