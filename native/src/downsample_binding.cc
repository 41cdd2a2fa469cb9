// Bindings of the block downsampling (downsample.h): quick enough to run on the calling thread,
// so neither has an Async variant.
#include <array>
#include <string>

#include "bindings.h"
#include "downsample.h"
#include "volume_arg.h"

namespace medals {
namespace {

// Blocks of more voxels could make an int32 block sum inexact in a double.
constexpr double kMaxBlockVoxels = 2097152;  // 2^21

struct DownsampleArgs {
  VolumeArg in;
  std::array<std::size_t, 3> factors{};
  void* out = nullptr;
};

// (data, size, factors, out): out of data's type with one element per block, not sharing memory.
DownsampleArgs ParseDownsample(const Napi::CallbackInfo& info, const char* fn, bool labels) {
  RequireArgCount(info, 4, fn, "(data, size, factors, out)");
  const Napi::Env env = info.Env();
  DownsampleArgs args;
  args.in = labels ? ParseLabelVolume(info, 0, 1, fn) : ParseVolume(info, 0, 1, fn);
  const Shape3 f = ParseShape3(info[2], fn, "factors");
  if (static_cast<double>(f.x) * static_cast<double>(f.y) * static_cast<double>(f.z) > kMaxBlockVoxels) {
    ThrowRangeError(env, std::string(fn) + ": factors " + FormatShape(f) + " make blocks of more than 2^21 voxels");
  }
  args.factors = {f.x, f.y, f.z};
  const Shape3 grid = BlockGridOf(args.in.shape, args.factors);
  const Napi::Value out = info[3];
  if (!out.IsTypedArray() || out.As<Napi::TypedArray>().TypedArrayType() != args.in.arrayType) {
    ThrowTypeError(env, std::string(fn) + ": out must be a typed array of data's type (" + Describe(info[0]) +
                            "), got " + Describe(out));
  }
  const ArrayArg o = ParseTypedArray(out, args.in.arrayType, "typed array of data's type", grid.count(), fn, "out",
                                     false);
  RequireDisjoint(env, args.in.data, args.in.byteLength, o.data, o.byteLength, fn, "data", "out");
  args.out = o.data;
  return args;
}

// blockMean(data, size, factors, out) -> undefined
Napi::Value BlockMeanJs(const Napi::CallbackInfo& info) {
  const DownsampleArgs args = ParseDownsample(info, "blockMean", false);
  DispatchDType(args.in.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    BlockMean(static_cast<const T*>(args.in.data), args.in.shape, args.factors, static_cast<T*>(args.out));
  });
  return info.Env().Undefined();
}

// blockMode(data, size, factors, out) -> undefined (integer label maps)
Napi::Value BlockModeJs(const Napi::CallbackInfo& info) {
  const DownsampleArgs args = ParseDownsample(info, "blockMode", true);
  DispatchLabelDType(args.in.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    BlockMode(static_cast<const T*>(args.in.data), args.in.shape, args.factors, static_cast<T*>(args.out));
  });
  return info.Env().Undefined();
}

}  // namespace

void RegisterDownsampleBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("blockMean", Napi::Function::New(env, BlockMeanJs, "blockMean"));
  exports.Set("blockMode", Napi::Function::New(env, BlockModeJs, "blockMode"));
}

}  // namespace medals
