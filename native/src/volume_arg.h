// Argument validation shared by all bindings. Every check throws a JavaScript
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

// Throws TypeError unless info.Length() == expected. usage is e.g. "(data, size)".
void RequireArgCount(const Napi::CallbackInfo& info, std::size_t expected, const char* fn, const char* usage);

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

}  // namespace medals
