#include "volume_arg.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

namespace medals {
namespace {

// Largest integer a JavaScript number represents exactly (Number.MAX_SAFE_INTEGER).
constexpr std::uint64_t kMaxSafeInteger = (std::uint64_t{1} << 53) - 1;

const char* TypedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
      return "Int8Array";
    case napi_uint8_array:
      return "Uint8Array";
    case napi_uint8_clamped_array:
      return "Uint8ClampedArray";
    case napi_int16_array:
      return "Int16Array";
    case napi_uint16_array:
      return "Uint16Array";
    case napi_int32_array:
      return "Int32Array";
    case napi_uint32_array:
      return "Uint32Array";
    case napi_float32_array:
      return "Float32Array";
    case napi_float64_array:
      return "Float64Array";
    case napi_bigint64_array:
      return "BigInt64Array";
    case napi_biguint64_array:
      return "BigUint64Array";
    default:
      return "unknown typed array";
  }
}

}  // namespace

std::string Describe(const Napi::Value& value) {
  if (value.IsTypedArray()) return TypedArrayName(value.As<Napi::TypedArray>().TypedArrayType());
  if (value.IsArray()) return "Array";
  if (value.IsArrayBuffer()) return "ArrayBuffer";
  if (value.IsDataView()) return "DataView";
  switch (value.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean:
      return "boolean";
    case napi_number:
      return "number";
    case napi_string:
      return "string";
    case napi_symbol:
      return "symbol";
    case napi_function:
      return "function";
    case napi_bigint:
      return "bigint";
    default:
      return "object";
  }
}

std::string FormatNumber(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

std::string FormatShape(const Shape3& shape) {
  return "[" + std::to_string(shape.x) + ", " + std::to_string(shape.y) + ", " + std::to_string(shape.z) + "]";
}

void ThrowTypeError(const Napi::Env& env, const std::string& message) { throw Napi::TypeError::New(env, message); }

void ThrowRangeError(const Napi::Env& env, const std::string& message) { throw Napi::RangeError::New(env, message); }

bool DTypeOf(napi_typedarray_type type, DType& dtype) {
  static constexpr std::pair<napi_typedarray_type, DType> kTypes[] = {
      {napi_uint8_array, DType::kUint8},  {napi_int16_array, DType::kInt16},     {napi_uint16_array, DType::kUint16},
      {napi_int32_array, DType::kInt32},  {napi_float32_array, DType::kFloat32},
  };
  for (const auto& [array, element] : kTypes) {
    if (array == type) {
      dtype = element;
      return true;
    }
  }
  return false;
}

void RequireArgCount(const Napi::CallbackInfo& info, std::size_t expected, const char* fn, const char* usage) {
  if (info.Length() != expected) {
    ThrowTypeError(info.Env(), std::string(fn) + usage + " expects " + std::to_string(expected) +
                                   " arguments, got " + std::to_string(info.Length()));
  }
}

Napi::Array ParseArray3(const Napi::Value& value, const std::string& prefix, const char* axes, const char* what) {
  if (!value.IsArray()) {
    ThrowTypeError(value.Env(), prefix + " must be an Array " + axes + " of 3 " + what + ", got " + Describe(value));
  }
  const Napi::Array array = value.As<Napi::Array>();
  if (array.Length() != 3) {
    ThrowRangeError(value.Env(), prefix + " must have exactly 3 elements " + axes + ", got " +
                                     std::to_string(array.Length()));
  }
  return array;
}

Shape3 ParseShape3(const Napi::Value& value, const char* fn, const char* name) {
  const Napi::Env env = value.Env();
  const std::string prefix = std::string(fn) + ": " + name;
  const Napi::Array array = ParseArray3(value, prefix, "[X, Y, Z]", "positive integers");
  std::uint64_t dims[3] = {0, 0, 0};
  for (std::uint32_t i = 0; i < 3; ++i) {
    const Napi::Value element = array.Get(i);
    const std::string label = prefix + "[" + std::to_string(i) + "]";
    if (!element.IsNumber()) {
      ThrowTypeError(env, label + " must be a positive integer, got " + Describe(element));
    }
    const double d = element.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::floor(d) != d || d < 1.0) {
      ThrowRangeError(env, label + " must be a positive integer, got " + FormatNumber(d));
    }
    if (d > static_cast<double>(kMaxSafeInteger)) {
      ThrowRangeError(env, label + " is too large, got " + FormatNumber(d));
    }
    dims[i] = static_cast<std::uint64_t>(d);
  }
  // X*Y*Z must stay a safe integer (and therefore fit in size_t on 64-bit hosts).
  constexpr std::uint64_t kLimit = std::numeric_limits<std::size_t>::max() < kMaxSafeInteger
                                       ? std::numeric_limits<std::size_t>::max()
                                       : kMaxSafeInteger;
  if (dims[1] > kLimit / dims[0] || dims[2] > kLimit / (dims[0] * dims[1])) {
    ThrowRangeError(env, prefix + " [" + std::to_string(dims[0]) + ", " + std::to_string(dims[1]) + ", " +
                             std::to_string(dims[2]) + "] overflows: the voxel count X*Y*Z exceeds " +
                             std::to_string(kLimit));
  }
  Shape3 shape;
  shape.x = static_cast<std::size_t>(dims[0]);
  shape.y = static_cast<std::size_t>(dims[1]);
  shape.z = static_cast<std::size_t>(dims[2]);
  return shape;
}

VolumeArg ParseVolume(const Napi::CallbackInfo& info, std::size_t dataIndex, std::size_t sizeIndex,
                      const char* fn, const char* name) {
  const Napi::Env env = info.Env();
  const Napi::Value dataValue = info[dataIndex];
  VolumeArg volume;
  if (!dataValue.IsTypedArray() || !DTypeOf(dataValue.As<Napi::TypedArray>().TypedArrayType(), volume.dtype)) {
    ThrowTypeError(env, std::string(fn) + ": " + name +
                            " must be a Uint8Array, Int16Array, Uint16Array, Int32Array or Float32Array, got " +
                            Describe(dataValue));
  }

  napi_typedarray_type type = napi_uint8_array;
  std::size_t length = 0;
  void* data = nullptr;
  const napi_status status =
      napi_get_typedarray_info(env, dataValue, &type, &length, &data, nullptr, nullptr);
  if (status != napi_ok) throw Napi::Error::New(env);

  volume.shape = ParseShape3(info[sizeIndex], fn, "size");
  const std::size_t expected = volume.shape.count();
  if (length != expected || (expected > 0 && data == nullptr)) {
    ThrowRangeError(env, std::string(fn) + ": " + name + " has " + std::to_string(length) + " elements but size " +
                             FormatShape(volume.shape) + " needs X*Y*Z = " + std::to_string(expected));
  }
  volume.data = data;
  volume.arrayType = type;
  volume.byteLength = dataValue.As<Napi::TypedArray>().ByteLength();
  return volume;
}

VolumeArg ParseLabelVolume(const Napi::CallbackInfo& info, std::size_t dataIndex, std::size_t sizeIndex,
                           const char* fn, const char* name) {
  const Napi::Env env = info.Env();
  const Napi::Value dataValue = info[dataIndex];
  if (dataValue.IsTypedArray() && dataValue.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    ThrowTypeError(env, std::string(fn) + ": " + name +
                            " must be a Uint8Array, Int16Array, Uint16Array or Int32Array (integer labels), got " +
                            "Float32Array");
  }
  // The voxel limit comes before the length check: a buffer that large is rarely at hand.
  if (dataValue.IsTypedArray()) {
    const std::size_t count = ParseShape3(info[sizeIndex], fn, "size").count();
    if (count > kMaxLabelVoxels) {
      ThrowRangeError(env, std::string(fn) + ": at most " + std::to_string(kMaxLabelVoxels) +
                               " voxels are supported, got " + std::to_string(count));
    }
  }
  return ParseVolume(info, dataIndex, sizeIndex, fn, name);
}

ArrayArg ParseTypedArray(const Napi::Value& value, napi_typedarray_type type, const char* typeName,
                         std::size_t length, const char* fn, const char* name, bool optional) {
  const Napi::Env env = value.Env();
  const std::string prefix = std::string(fn) + ": " + name;
  ArrayArg arg;
  if (optional && (value.IsNull() || value.IsUndefined())) return arg;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    ThrowTypeError(env, prefix + " must be a " + typeName + (optional ? " or null" : "") + ", got " + Describe(value));
  }
  napi_typedarray_type actual = type;
  std::size_t actualLength = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, value, &actual, &actualLength, &data, nullptr, nullptr) != napi_ok) {
    throw Napi::Error::New(env);
  }
  if (actualLength != length) {
    ThrowRangeError(env, prefix + " has " + std::to_string(actualLength) + " elements but must have " +
                             std::to_string(length));
  }
  arg.data = data;
  arg.byteLength = value.As<Napi::TypedArray>().ByteLength();
  return arg;
}

int ParseConnectivity(const Napi::Value& value, const char* fn) {
  const std::string prefix = std::string(fn) + ": connectivity must be 6, 18 or 26, got ";
  if (!value.IsNumber()) ThrowTypeError(value.Env(), prefix + Describe(value));
  const double d = value.As<Napi::Number>().DoubleValue();
  if (d != 6.0 && d != 18.0 && d != 26.0) ThrowRangeError(value.Env(), prefix + FormatNumber(d));
  return static_cast<int>(d);
}

bool ParseBoolean(const Napi::Value& value, const char* fn, const char* name) {
  if (!value.IsBoolean()) {
    ThrowTypeError(value.Env(), std::string(fn) + ": " + name + " must be a boolean, got " + Describe(value));
  }
  return value.As<Napi::Boolean>().Value();
}

double ParseInteger(const Napi::Value& value, const char* fn, const char* name, double min, double max) {
  const std::string prefix = std::string(fn) + ": " + name + " must be an integer from " + FormatNumber(min) +
                             " to " + FormatNumber(max) + ", got ";
  if (!value.IsNumber()) ThrowTypeError(value.Env(), prefix + Describe(value));
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < min || d > max) {
    ThrowRangeError(value.Env(), prefix + FormatNumber(d));
  }
  return d;
}

double ParseFinite(const Napi::Value& value, const char* fn, const char* name) {
  const std::string prefix = std::string(fn) + ": " + name + " must be a finite number, got ";
  if (!value.IsNumber()) ThrowTypeError(value.Env(), prefix + Describe(value));
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) ThrowRangeError(value.Env(), prefix + FormatNumber(d));
  return d;
}

Napi::TypedArray NewLabelArray(Napi::Env env, DType dtype, std::size_t length, void*& data) {
  return DispatchLabelDType(dtype, [&](auto tag) -> Napi::TypedArray {
    using T = typename decltype(tag)::type;
    auto array = Napi::TypedArrayOf<T>::New(env, length);
    data = array.Data();
    return array;
  });
}

void RequireDisjoint(const Napi::Env& env, const void* a, std::size_t aBytes, const void* b, std::size_t bBytes,
                     const char* fn, const char* aName, const char* bName) {
  if (aBytes == 0 || bBytes == 0) return;
  const auto pa = reinterpret_cast<std::uintptr_t>(a);
  const auto pb = reinterpret_cast<std::uintptr_t>(b);
  if (pa < pb + bBytes && pb < pa + aBytes) {
    ThrowRangeError(env, std::string(fn) + ": " + aName + " and " + bName + " must not share memory");
  }
}

}  // namespace medals
