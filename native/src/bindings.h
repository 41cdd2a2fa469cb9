// Registration of the binding groups (each in its own file) on the module's exports.
#pragma once

#include <napi.h>

namespace medals {

// components_binding.cc: connected components, component statistics, post-processing.
void RegisterComponentBindings(Napi::Env env, Napi::Object exports);

}  // namespace medals
