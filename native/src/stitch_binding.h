// Registration of the stitching bindings (stitch_binding.cc) on the module's exports:
// gaussianImportance, stitchAdd, stitchFinalize (+ Async for the last two).
#pragma once

#include <napi.h>

namespace medals {

void RegisterStitchBindings(Napi::Env env, Napi::Object exports);

}  // namespace medals
