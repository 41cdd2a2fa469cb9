// Registration of the label resampling bindings (resample_binding.cc) on the module's exports:
// resampleLabels and resampleLabelsAsync.
#pragma once

#include <napi.h>

namespace medals {

void RegisterResampleBindings(Napi::Env env, Napi::Object exports);

}  // namespace medals
