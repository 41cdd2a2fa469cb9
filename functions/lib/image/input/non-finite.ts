/**
 * NaN and infinite values in a file's raw float voxel bytes. itk-wasm's NIfTI reader hands such
 * voxels over as 0, so checkVoxels (check-volume.ts) never sees them there; inspect.ts counts them
 * in the bytes before itk-wasm decodes the file. Integer voxels cannot hold them and are not
 * scanned.
 */

/** Bytes copied at a time where the voxels cannot be viewed in place (misaligned, big-endian). */
const SCRATCH_BYTES = 2 ** 20;

export type FloatType = 'float32' | 'float64';

export function isFloatType(elementType: string): elementType is FloatType {
  return elementType === 'float32' || elementType === 'float64';
}

/**
 * Non-finite values among little-endian IEEE floats seen as 32-bit words: those whose exponent
 * bits are all ones. `stride` 1 reads float32 words; 2 reads the high word of each float64.
 */
function countNonFinite(words: Uint32Array, stride: 1 | 2): number {
  // Exponent + 1 reaches the bit above the exponent only for the all-ones exponent; OR-ing it
  // over every voxel settles the common, all-finite case in one pass with no branch.
  const [shift, mask, over] = stride === 1 ? [23, 0xff, 0x100] : [20, 0x7ff, 0x800];
  let seen = 0;
  for (let i = stride - 1; i < words.length; i += stride) seen |= ((words[i] >>> shift) & mask) + 1;
  if ((seen & over) === 0) return 0;
  let count = 0;
  for (let i = stride - 1; i < words.length; i += stride) if (((words[i] >>> shift) & mask) === mask) count++;
  return count;
}

/**
 * Counts non-finite voxels in a byte stream fed in pieces of any length (a file read in blocks,
 * or decompressed chunks of a .nii.gz), where the voxels are bytes [start, start + length).
 */
export class NonFiniteCounter {
  private readonly scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  private readonly size: 4 | 8;
  private readonly end: number;
  /** Bytes of a voxel split between two pieces, held at the start of `scratch`. */
  private split = 0;
  private seen = 0;
  private count = 0;

  constructor(
    type: FloatType,
    private readonly littleEndian: boolean,
    private readonly start: number,
    length: number,
  ) {
    this.size = type === 'float32' ? 4 : 8;
    this.end = start + length;
  }

  /** The next bytes of the stream; bytes outside the voxel data are skipped. */
  push(piece: Uint8Array): void {
    let from = Math.max(this.start - this.seen, 0);
    const to = Math.min(this.end - this.seen, piece.length);
    this.seen += piece.length;
    if (from >= to) return;
    if (this.split > 0) {
      const n = Math.min(this.size - this.split, to - from);
      this.scratch.set(piece.subarray(from, from + n), this.split);
      this.split += n;
      from += n;
      if (this.split < this.size) return;
      this.scan(this.scratch.subarray(0, this.size));
      this.split = 0;
    }
    const whole = to - from - ((to - from) % this.size);
    if (whole > 0) this.scan(piece.subarray(from, from + whole));
    if (from + whole < to) {
      this.scratch.set(piece.subarray(from + whole, to));
      this.split = to - from - whole;
    }
  }

  /** How many voxels were NaN or infinite (a trailing partial voxel is not one). */
  finish(): number {
    return this.count;
  }

  /** Whole voxels: viewed in place when aligned little-endian words, else copied (and swapped). */
  private scan(bytes: Uint8Array): void {
    const stride = this.size === 4 ? 1 : 2;
    if (this.littleEndian && bytes.byteOffset % 4 === 0) {
      this.count += countNonFinite(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), stride);
      return;
    }
    // A split voxel sits at the start of `scratch`; it is scanned before the buffer is reused.
    const work = bytes.buffer === this.scratch.buffer ? Buffer.alloc(bytes.length) : this.scratch;
    for (let at = 0; at < bytes.length; at += SCRATCH_BYTES) {
      const part = bytes.subarray(at, at + SCRATCH_BYTES);
      work.set(part);
      const block = work.subarray(0, part.length);
      if (!this.littleEndian) {
        if (this.size === 4) block.swap32();
        else block.swap64();
      }
      this.count += countNonFinite(new Uint32Array(block.buffer, block.byteOffset, block.length / 4), stride);
    }
  }
}
