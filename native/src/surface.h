// Kernels: surfaces and surface distances for the normalised surface Dice (NSD), as the CVPR 2025
// BiomedSegFM evaluator (SurfaceDice.py, after DeepMind's surface-distance) computes them
// (pure C++, no Node-API).
//
// Axis conventions. Volumes are x fastest (index x + X * (y + Y * z)); the same bytes are a
// C-order numpy array of shape (Z, Y, X), so numpy axes (0, 1, 2) are (z, y, x) here, and a
// numpy spacing (s0, s1, s2) is (sz, sy, sx). Spacings in this API are (sx, sy, sz).
//
// The procedure, for masks A (ground truth) and B (prediction):
//   1. crop both to the bounding box of A | B and zero-pad one voxel at the high end of each
//      axis: a grid of (bx + 1) x (by + 1) x (bz + 1) corners;
//   2. neighbour code of grid point (x, y, z): the 2x2x2 correlation with the kernel
//      [[[128, 64], [32, 16]], [[8, 4], [2, 1]]] (numpy order, scipy.ndimage.correlate, constant
//      0 outside), i.e. 128 * m(z-1, y-1, x-1) + 64 * m(z-1, y-1, x) + 32 * m(z-1, y, x-1) +
//      16 * m(z-1, y, x) + 8 * m(z, y-1, x-1) + 4 * m(z, y-1, x) + 2 * m(z, y, x-1) + m(z, y, x);
//   3. border points: code not 0 and not 255; surfel area of a code from the normals table;
//   4. distances (mm) from each border point of one mask to the nearest border point of the
//      other, by an exact EDT with the spacing (+infinity when the other has no border);
//   5. NSD(t) = (area of A's surfels with distance <= t + same for B) / (area of A + area of B).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bbox.h"
#include "shape.h"

namespace medals {

// Which voxels of a volume are "on": value != 0 (NaN counts, -0.0 does not), or value == label.
struct MaskSelector {
  bool byLabel = false;
  double label = 0.0;
};

// A volume of any element type (validated by the binding: data holds shape.count() elements).
struct MaskSource {
  DType dtype = DType::kUint8;
  const void* data = nullptr;
};

// Inclusive box (x, y, z).
using Box3 = BoundingBox3;

// Bounding box of the on voxels.
Box3 MaskBox(const MaskSource& mask, const Shape3& shape, const MaskSelector& select);

// The box enclosing both (either may be empty).
Box3 UnionBox(const Box3& a, const Box3& b);

// The corner grid of a (non-empty) box: its extent plus one on each axis.
Shape3 CodeGridShape(const Box3& box);

// Neighbour codes (step 2) of the on voxels inside `box` (which lies inside shape) on the corner
// grid of the box: codes[g] for grid point (x, y, z) combines voxels box.min + (x, y, z) - {0, 1}
// per axis; voxels outside the box count as off. codes holds CodeGridShape(box).count() bytes.
void NeighbourCodes(const MaskSource& mask, const Shape3& shape, const MaskSelector& select, const Box3& box,
                    std::uint8_t* codes);

inline bool IsBorderCode(std::uint8_t code) { return code != 0 && code != 255; }

// Surfel area (mm^2) of each code for spacing (sx, sy, sz): the sum over the code's normals n
// (numpy order) of |(n0 * s1 * s2, n1 * s0 * s2, n2 * s0 * s1)| with (s0, s1, s2) = (sz, sy, sx).
std::array<double, 256> SurfelAreas(const double spacing[3]);

// Steps 1 to 4. Border points in raster order of the corner grid; distances in mm.
struct SurfaceDistances {
  Box3 box;  // bounding box of the union of the masks (empty: no surfel at all)
  std::vector<double> distancesGtToPred, areasGt;
  std::vector<double> distancesPredToGt, areasPred;
};
SurfaceDistances ComputeSurfaceDistances(const MaskSource& gt, const MaskSource& pred, const Shape3& shape,
                                         const MaskSelector& select, const double spacing[3]);

// Step 5 without keeping the per-surfel lists. nsd is NaN when neither mask has a surfel (0 / 0,
// as numpy), 0 when only one has. `box`, when given, replaces the union box of step 1 (the
// caller knows it, e.g. from LabelOverlap, and saves two scans of the volume): it must lie inside
// shape; voxels outside it count as off, so the union box itself gives the same result.
struct SurfaceDiceResult {
  double nsd = 0.0;
  double gtArea = 0.0, predArea = 0.0;              // total surfel areas (mm^2)
  double gtAreaWithin = 0.0, predAreaWithin = 0.0;  // areas of surfels within the tolerance
  std::uint64_t gtSurfels = 0, predSurfels = 0;     // number of border points
};
SurfaceDiceResult ComputeSurfaceDice(const MaskSource& gt, const MaskSource& pred, const Shape3& shape,
                                     const MaskSelector& select, const double spacing[3], double tolerance,
                                     const Box3* box = nullptr);

}  // namespace medals
