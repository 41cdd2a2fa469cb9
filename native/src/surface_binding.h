// Registration of the surface-distance bindings (surface_binding.cc) on the module's exports:
// distanceTransform, neighbourCodes, surfelAreas, surfaceDistances, surfaceDice (+ Async).
#pragma once

#include <napi.h>

namespace medals {

void RegisterSurfaceBindings(Napi::Env env, Napi::Object exports);

}  // namespace medals
