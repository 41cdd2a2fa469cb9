/** mulberry32 with the raw seed: a small seeded generator so every test run sees the same data. */
export { mulberry32 as prng } from '../../functions/lib/core/random.js';
