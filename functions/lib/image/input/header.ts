/**
 * What an image file's header declares, read by medals itself before itk-wasm sees the file.
 * itk-wasm is lenient (a zero pixdim reads back as 1.0, a truncated .nii.gz reads with
 * zero-filled voxels, an absurd header throws a bare number), so the checks that protect the
 * pipeline work from these declarations.
 */

/** How the voxel bytes are stored after the header. */
export type DataEncoding = 'raw' | 'gzip' | 'zlib' | 'unsupported';

export interface ImageHeader {
  format: 'nifti' | 'nrrd' | 'metaimage';
  /** Every declared axis length, the spatial ones first. */
  dims: number[];
  /** Spacing of the spatial axes as declared (NaN where the header gives none). */
  spacing: number[];
  /** Element type name as the format spells it, for messages. */
  elementType: string;
  bytesPerElement: number;
  /** Components per voxel (RGB, vectors); 1 for scalar images. */
  components: number;
  encoding: DataEncoding;
  /** Where the voxel data starts in the file (or in the decompressed stream for .nii.gz). */
  dataOffset: number;
  /** Set when the voxels live in another file (detached NRRD header, MetaImage .mhd). */
  dataFile?: string;
  /** NIfTI: the byte order its header (and so its voxels) was written in. */
  littleEndian?: boolean;
  /** NIfTI: scl_slope and scl_inter (slope 0 means unscaled). */
  scaling?: { slope: number; inter: number };
}

export function declaredVoxels(h: ImageHeader): number {
  return h.dims.reduce((a, b) => a * b, 1);
}

export function declaredDataBytes(h: ImageHeader): number {
  return declaredVoxels(h) * h.bytesPerElement * h.components;
}
