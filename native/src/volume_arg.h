// Argument validation shared by all bindings. Every check throws a JavaScript
// TypeError or RangeError (as a C++ Napi::Error) before any voxel is read.
#pragma once

#include <napi.h>

#include <cstddef>

#include "shape.h"

namespace medals {

// A validated (typed array, [X, Y, Z]) pair: data holds exactly shape.count() elements.
struct VolumeArg {
  DType dtype = DType::kUint8;
  const void* data = nullptr;  // first element (byteOffset applied)
  Shape3 shape;
};

// Throws TypeError unless info.Length() == expected. usage is e.g. "(data, size)".
void RequireArgCount(const Napi::CallbackInfo& info, std::size_t expected, const char* fn, const char* usage);

// Parses [X, Y, Z]: an Array of 3 positive integers whose product fits in a JS safe integer.
Shape3 ParseShape3(const Napi::Value& value, const char* fn, const char* name);

// Parses a Uint8Array | Int16Array | Uint16Array | Int32Array | Float32Array at info[dataIndex]
// and a size at info[sizeIndex], and checks that the element count equals X * Y * Z.
VolumeArg ParseVolume(const Napi::CallbackInfo& info, std::size_t dataIndex, std::size_t sizeIndex,
                      const char* fn);

}  // namespace medals
