// The module medals_native.node: its exports are the functions of the binding files (bindings.h),
// which check every argument (volume_arg.h) before a kernel touches a voxel.
#include <napi.h>

#include "bindings.h"

namespace medals {
namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterBboxBindings(env, exports);
  RegisterComponentBindings(env, exports);
  RegisterPostprocessBindings(env, exports);
  RegisterSurfaceBindings(env, exports);
  RegisterStitchBindings(env, exports);
  RegisterResampleBindings(env, exports);
  RegisterOverlapBindings(env, exports);
  RegisterDownsampleBindings(env, exports);
  return exports;
}

}  // namespace
}  // namespace medals

// NODE_API_MODULE pastes the function name into an identifier, so it needs an unqualified one.
static Napi::Object InitMedalsNative(Napi::Env env, Napi::Object exports) { return medals::Init(env, exports); }

NODE_API_MODULE(medals_native, InitMedalsNative)
