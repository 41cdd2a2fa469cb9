// The binding files, one per kernel family (and per TypeScript module in native/*.ts): each
// registers its functions on the module's exports (addon.cc calls them all).
#pragma once

#include <napi.h>

#include <algorithm>
#include <array>
#include <cstddef>

#include "bbox.h"

namespace medals {

// bbox_binding.cc: nonzeroBoundingBox, countNonzero.
void RegisterBboxBindings(Napi::Env env, Napi::Object exports);

// components_binding.cc: connectedComponents, componentStats (+ Async).
void RegisterComponentBindings(Napi::Env env, Napi::Object exports);

// postprocess_binding.cc: removeSmallComponents, keepLargestComponents, keepProbableComponents,
// fillHoles (+ Async).
void RegisterPostprocessBindings(Napi::Env env, Napi::Object exports);

// surface_binding.cc: distanceTransform, neighbourCodes, surfaceDistances, surfaceDice (+ Async),
// surfelAreas.
void RegisterSurfaceBindings(Napi::Env env, Napi::Object exports);

// stitch_binding.cc: stitchInfo, gaussianImportance, stitchAdd, stitchFinalize (+ Async for these
// two), blockSelect, blockMerge.
void RegisterStitchBindings(Napi::Env env, Napi::Object exports);

// resample_binding.cc: resampleLabels, resampleLabelsTaps (+ Async).
void RegisterResampleBindings(Napi::Env env, Napi::Object exports);

// overlap_binding.cc: labelOverlap (+ Async).
void RegisterOverlapBindings(Napi::Env env, Napi::Object exports);

// downsample_binding.cc: blockMean, blockMode.
void RegisterDownsampleBindings(Napi::Env env, Napi::Object exports);

// A new typed array holding a copy of `values` (a std::vector or std::array of numbers).
template <typename Values>
Napi::Value ToTypedArray(Napi::Env env, const Values& values) {
  auto array = Napi::TypedArrayOf<typename Values::value_type>::New(env, values.size());
  std::copy(values.begin(), values.end(), array.Data());
  return array;
}

// [x, y, z] as a JS Array of numbers (bbox_binding.cc).
Napi::Array SizeTriple(Napi::Env env, const std::array<std::size_t, 3>& v);

// { min: [x, y, z], max: [x, y, z] } (inclusive), or null for an empty box: the bounding box of
// nonzeroBoundingBox and of the surface results (bbox_binding.cc).
Napi::Value BoxObject(Napi::Env env, const BoundingBox3& box);

}  // namespace medals
