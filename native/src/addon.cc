// Binding layer: the only file that maps JavaScript calls onto the pure C++ kernels.
// Each binding validates its arguments (volume_arg.h) before touching any voxel.
// To add a kernel: write src/<kernel>.h/.cc (templated over the element type, no Node-API),
// add the .cc to CMakeLists.txt, and add a binding plus an Exports entry here.
#include <napi.h>

#include "bbox.h"
#include "bindings.h"
#include "resample_binding.h"
#include "stitch_binding.h"
#include "surface_binding.h"
#include "volume_arg.h"

namespace medals {
namespace {

Napi::Array SizeTriple(const Napi::Env& env, const std::array<std::size_t, 3>& v) {
  Napi::Array out = Napi::Array::New(env, 3);
  for (std::uint32_t i = 0; i < 3; ++i) out.Set(i, Napi::Number::New(env, static_cast<double>(v[i])));
  return out;
}

// nonzeroBoundingBox(data, size) -> { min: [x, y, z], max: [x, y, z] } | null
Napi::Value NonzeroBoundingBoxJs(const Napi::CallbackInfo& info) {
  constexpr const char* kFn = "nonzeroBoundingBox";
  RequireArgCount(info, 2, kFn, "(data, size)");
  const VolumeArg volume = ParseVolume(info, 0, 1, kFn);
  const BoundingBox3 box = DispatchDType(volume.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return NonzeroBoundingBox(static_cast<const T*>(volume.data), volume.shape);
  });
  const Napi::Env env = info.Env();
  if (box.empty) return env.Null();
  Napi::Object result = Napi::Object::New(env);
  result.Set("min", SizeTriple(env, box.min));
  result.Set("max", SizeTriple(env, box.max));
  return result;
}

// countNonzero(data, size) -> number
Napi::Value CountNonzeroJs(const Napi::CallbackInfo& info) {
  constexpr const char* kFn = "countNonzero";
  RequireArgCount(info, 2, kFn, "(data, size)");
  const VolumeArg volume = ParseVolume(info, 0, 1, kFn);
  const std::size_t count = DispatchDType(volume.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return CountNonzero(static_cast<const T*>(volume.data), volume.shape);
  });
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("nonzeroBoundingBox", Napi::Function::New(env, NonzeroBoundingBoxJs, "nonzeroBoundingBox"));
  exports.Set("countNonzero", Napi::Function::New(env, CountNonzeroJs, "countNonzero"));
  RegisterComponentBindings(env, exports);
  RegisterSurfaceBindings(env, exports);
  RegisterStitchBindings(env, exports);
  RegisterResampleBindings(env, exports);
  return exports;
}

}  // namespace
}  // namespace medals

// NODE_API_MODULE pastes the function name into an identifier, so it needs an unqualified one.
static Napi::Object InitMedalsNative(Napi::Env env, Napi::Object exports) { return medals::Init(env, exports); }

NODE_API_MODULE(medals_native, InitMedalsNative)
