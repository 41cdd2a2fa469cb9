// Argument validation and output arrays shared by all bindings. Every check throws a JavaScript
// TypeError or RangeError (as a C++ Napi::Error) before any voxel is read.
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>

#include "shape.h"

namespace medals {

// A validated (typed array, [X, Y, Z]) pair: data holds exactly shape.count() elements.
struct VolumeArg {
  DType dtype = DType::kUint8;
  const void* data = nullptr;  // first element (byteOffset applied)
  Shape3 shape;
  napi_typedarray_type arrayType = napi_uint8_array;
  std::size_t byteLength = 0;
};

// A validated typed array of a given type and length (data == nullptr when optional and absent).
struct ArrayArg {
  void* data = nullptr;
  std::size_t byteLength = 0;
};

// Short description of a JS value for messages: "Float64Array", "Array", "string", ...
std::string Describe(const Napi::Value& value);

// A number in messages, with every digit a double needs to be read back exactly.
std::string FormatNumber(double v);

// "[x, y, z]".
std::string FormatShape(const Shape3& shape);

[[noreturn]] void ThrowTypeError(const Napi::Env& env, const std::string& message);
[[noreturn]] void ThrowRangeError(const Napi::Env& env, const std::string& message);

// The element type of a typed array the addon takes as a volume; false for any other type.
bool DTypeOf(napi_typedarray_type type, DType& dtype);

// Throws TypeError unless info.Length() == expected. usage is e.g. "(data, size)".
void RequireArgCount(const Napi::CallbackInfo& info, std::size_t expected, const char* fn, const char* usage);

// `value` as an Array of exactly 3 elements (not yet checked), `prefix` ("fn: name") starting the
// messages: TypeError "must be an Array <axes> of 3 <what>", RangeError "must have exactly 3
// elements <axes>". axes is e.g. "[X, Y, Z]".
Napi::Array ParseArray3(const Napi::Value& value, const std::string& prefix, const char* axes, const char* what);

// Parses [X, Y, Z]: an Array of 3 positive integers whose product fits in a JS safe integer.
Shape3 ParseShape3(const Napi::Value& value, const char* fn, const char* name);

// Parses a Uint8Array | Int16Array | Uint16Array | Int32Array | Float32Array at info[dataIndex]
// and a size at info[sizeIndex], and checks that the element count equals X * Y * Z.
// name is the argument's name in messages.
VolumeArg ParseVolume(const Napi::CallbackInfo& info, std::size_t dataIndex, std::size_t sizeIndex,
                      const char* fn, const char* name = "data");

// Largest volume the component kernels take: labels are uint32 and coordinates int32.
constexpr std::size_t kMaxLabelVoxels = 2147483647;

// ParseVolume for label maps: integer element types only and at most kMaxLabelVoxels voxels.
VolumeArg ParseLabelVolume(const Napi::CallbackInfo& info, std::size_t dataIndex, std::size_t sizeIndex,
                           const char* fn, const char* name = "data");

// A typed array of exactly `type` (typeName, e.g. "Float32Array") with `length` elements.
// optional: null or undefined are accepted and give data == nullptr.
ArrayArg ParseTypedArray(const Napi::Value& value, napi_typedarray_type type, const char* typeName,
                         std::size_t length, const char* fn, const char* name, bool optional);

// 6, 18 or 26.
int ParseConnectivity(const Napi::Value& value, const char* fn);

bool ParseBoolean(const Napi::Value& value, const char* fn, const char* name);

// A number that is an integer in [min, max].
double ParseInteger(const Napi::Value& value, const char* fn, const char* name, double min, double max);

// A finite number.
double ParseFinite(const Napi::Value& value, const char* fn, const char* name);

// RangeError when the byte ranges [a, a + aBytes) and [b, b + bBytes) overlap.
void RequireDisjoint(const Napi::Env& env, const void* a, std::size_t aBytes, const void* b, std::size_t bBytes,
                     const char* fn, const char* aName, const char* bName);

// The optional output argument info[index] of a kernel that writes one E per voxel of `input`:
// the caller's typed array (`type`, named typeName in messages, one element per voxel, not
// sharing memory with input), or a new one for null or undefined. `ref` holds the array for the
// result, also when the job runs on another thread; returns its first element.
template <typename E>
E* TakeOutput(const Napi::CallbackInfo& info, std::size_t index, napi_typedarray_type type, const char* typeName,
              const VolumeArg& input, const char* inputName, const char* fn, Napi::ObjectReference& ref) {
  const std::size_t n = input.shape.count();
  const ArrayArg out = ParseTypedArray(info[index], type, typeName, n, fn, "out", true);
  if (out.data != nullptr) {
    RequireDisjoint(info.Env(), input.data, input.byteLength, out.data, out.byteLength, fn, inputName, "out");
    ref = Napi::Persistent(info[index].As<Napi::Object>());
    return static_cast<E*>(out.data);
  }
  auto fresh = Napi::TypedArrayOf<E>::New(info.Env(), n);
  ref = Napi::Persistent(fresh.template As<Napi::Object>());
  return fresh.Data();
}

// A new typed array of label type `dtype` with `length` elements; `data` gets its first element.
Napi::TypedArray NewLabelArray(Napi::Env env, DType dtype, std::size_t length, void*& data);

// fn(const T* in, T* out) with T the label element type of `in`, which `out` shares.
template <typename Fn>
decltype(auto) WithLabelArrays(const VolumeArg& in, void* out, Fn&& fn) {
  return DispatchLabelDType(in.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return fn(static_cast<const T*>(in.data), static_cast<T*>(out));
  });
}

}  // namespace medals
