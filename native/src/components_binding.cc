// Bindings of connected components and component statistics (connected_components.h,
// component_stats.h): each a sync and an Async (Promise) export of one Job (see async_job.h).
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "async_job.h"
#include "bindings.h"
#include "component_stats.h"
#include "connected_components.h"
#include "volume_arg.h"

namespace medals {
namespace {

// A fresh label output of the smallest type that holds the count, allocated on the worker
// thread and handed to JS as an external ArrayBuffer. On Linux it is mapped 2 MiB-aligned with
// MADV_HUGEPAGE (as numpy does for large arrays): a fresh 300 MB output otherwise costs tens of
// thousands of page faults, more than labelling a sparse volume.
class LabelBuffer {
 public:
  LabelBuffer() = default;
  LabelBuffer(const LabelBuffer&) = delete;
  LabelBuffer& operator=(const LabelBuffer&) = delete;
  ~LabelBuffer() { Free(data_, mapped_); }

  void* Allocate(std::size_t bytes) {
    Free(data_, mapped_);
    data_ = nullptr;
#if defined(__linux__)
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    if (bytes >= 2 * kHuge) {
      const std::size_t length = (bytes + kHuge - 1) / kHuge * kHuge;
      void* raw = mmap(nullptr, length + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (raw == MAP_FAILED) throw std::bad_alloc();
      const auto start = reinterpret_cast<std::uintptr_t>(raw);
      const std::uintptr_t aligned = (start + kHuge - 1) / kHuge * kHuge;
      if (aligned > start) munmap(raw, aligned - start);
      if (const std::size_t tail = start + length + kHuge - (aligned + length)) {
        munmap(reinterpret_cast<void*>(aligned + length), tail);
      }
      data_ = reinterpret_cast<void*>(aligned);
      mapped_ = length;
      madvise(data_, length, MADV_HUGEPAGE);  // advice only: without it, small pages
      return data_;
    }
#endif
    data_ = std::malloc(bytes > 0 ? bytes : 1);
    if (data_ == nullptr) throw std::bad_alloc();
    mapped_ = 0;
    return data_;
  }

  // The buffer as an ArrayBuffer that frees it when collected; this object lets go of it.
  Napi::ArrayBuffer Release(Napi::Env env, std::size_t bytes) {
    auto* mapped = new std::size_t(mapped_);
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
        env, data_, bytes, [](Napi::Env, void* data, std::size_t* length) {
          Free(data, *length);
          delete length;
        },
        mapped);
    data_ = nullptr;
    return buffer;
  }

 private:
  // mapped: the length of the mapping, or 0 for malloc.
  static void Free(void* data, std::size_t mapped) {
    if (data == nullptr) return;
#if defined(__linux__)
    if (mapped > 0) {
      munmap(data, mapped);
      return;
    }
#endif
    (void)mapped;
    std::free(data);
  }

  void* data_ = nullptr;
  std::size_t mapped_ = 0;
};

// connectedComponents(data, size, connectivity, binary, out | null) -> { labels, count }.
// With out (a Uint32Array) the labels go there; without, into a fresh Uint8Array, Uint16Array
// or Uint32Array, the smallest that holds the count (chosen after the first pass, so every
// output voxel is written once).
class ConnectedComponentsJob {
 public:
  ConnectedComponentsJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 5, fn, "(data, size, connectivity, binary, out)");
    volume_ = ParseLabelVolume(info, 0, 1, fn);
    connectivity_ = ParseConnectivity(info[2], fn);
    binary_ = ParseBoolean(info[3], fn, "binary");
    const ArrayArg out = ParseTypedArray(info[4], napi_uint32_array, "Uint32Array", volume_.shape.count(), fn, "out", true);
    if (out.data != nullptr) {
      RequireDisjoint(info.Env(), volume_.data, volume_.byteLength, out.data, out.byteLength, fn, "data", "out");
      outRef_ = Napi::Persistent(info[4].As<Napi::Object>());
      out_ = static_cast<std::uint32_t*>(out.data);
    }
  }

  void Run() {
    const ComponentRuns components = DispatchLabelDType(volume_.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return ComponentRuns::Scan(static_cast<const T*>(volume_.data), volume_.shape, connectivity_, binary_);
    });
    count_ = components.count();
    const std::size_t n = volume_.shape.count();
    if (out_ != nullptr) {
      components.Write(out_);
    } else if (count_ <= std::numeric_limits<std::uint8_t>::max()) {
      type_ = napi_uint8_array;
      components.Write(static_cast<std::uint8_t*>(fresh_.Allocate(n)));
    } else if (count_ <= std::numeric_limits<std::uint16_t>::max()) {
      type_ = napi_uint16_array;
      components.Write(static_cast<std::uint16_t*>(fresh_.Allocate(n * sizeof(std::uint16_t))));
    } else {
      type_ = napi_uint32_array;
      components.Write(static_cast<std::uint32_t*>(fresh_.Allocate(n * sizeof(std::uint32_t))));
    }
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    if (out_ != nullptr) {
      result.Set("labels", outRef_.Value());
    } else {
      const std::size_t n = volume_.shape.count();
      if (type_ == napi_uint8_array) {
        result.Set("labels", Napi::Uint8Array::New(env, n, fresh_.Release(env, n), 0));
      } else if (type_ == napi_uint16_array) {
        result.Set("labels", Napi::Uint16Array::New(env, n, fresh_.Release(env, 2 * n), 0));
      } else {
        result.Set("labels", Napi::Uint32Array::New(env, n, fresh_.Release(env, 4 * n), 0));
      }
    }
    result.Set("count", Napi::Number::New(env, count_));
    return result;
  }

 private:
  VolumeArg volume_;
  int connectivity_ = 6;
  bool binary_ = false;
  std::uint32_t* out_ = nullptr;
  LabelBuffer fresh_;
  napi_typedarray_type type_ = napi_uint32_array;
  std::uint32_t count_ = 0;
  Napi::ObjectReference outRef_;
};

// componentStats(labels, size, count, values | null, weights | null) -> stats (see README)
class ComponentStatsJob {
 public:
  ComponentStatsJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 5, fn, "(labels, size, count, values, weights)");
    labelsType_ = info[0].IsTypedArray() ? info[0].As<Napi::TypedArray>().TypedArrayType() : napi_int8_array;
    if (labelsType_ != napi_uint8_array && labelsType_ != napi_uint16_array && labelsType_ != napi_uint32_array) {
      ThrowTypeError(info.Env(),
                     std::string(fn) + ": labels must be a Uint8Array, Uint16Array or Uint32Array, got " + Describe(info[0]));
    }
    shape_ = ParseShape3(info[1], fn, "size");
    const std::size_t n = shape_.count();
    if (n > kMaxLabelVoxels) {
      ThrowRangeError(info.Env(), std::string(fn) + ": at most " + std::to_string(kMaxLabelVoxels) +
                                      " voxels are supported, got " + std::to_string(n));
    }
    const char* labelsName = labelsType_ == napi_uint8_array    ? "Uint8Array"
                             : labelsType_ == napi_uint16_array ? "Uint16Array"
                                                                : "Uint32Array";
    labels_ = ParseTypedArray(info[0], labelsType_, labelsName, n, fn, "labels", false).data;
    count_ = static_cast<std::uint32_t>(ParseInteger(info[2], fn, "count", 0, static_cast<double>(n)));
    if (!info[3].IsNull() && !info[3].IsUndefined()) {
      const VolumeArg values = ParseVolume(info, 3, 1, fn, "values");
      valuesType_ = values.dtype;
      values_ = values.data;
    }
    weights_ = static_cast<const float*>(
        ParseTypedArray(info[4], napi_float32_array, "Float32Array", n, fn, "weights", true).data);
  }

  void Run() {
    stats_ = DispatchDType(valuesType_, [&](auto tag) {
      using V = typename decltype(tag)::type;
      const auto* values = static_cast<const V*>(values_);
      if (labelsType_ == napi_uint8_array) {
        return ComputeComponentStats(static_cast<const std::uint8_t*>(labels_), shape_, count_, values, weights_);
      }
      if (labelsType_ == napi_uint16_array) {
        return ComputeComponentStats(static_cast<const std::uint16_t*>(labels_), shape_, count_, values, weights_);
      }
      return ComputeComponentStats(static_cast<const std::uint32_t*>(labels_), shape_, count_, values, weights_);
    });
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("count", Napi::Number::New(env, stats_.count));
    result.Set("voxels", ToTypedArray(env, stats_.voxels));
    result.Set("boxMin", ToTypedArray(env, stats_.boxMin));
    result.Set("boxMax", ToTypedArray(env, stats_.boxMax));
    result.Set("centroid", ToTypedArray(env, stats_.centroid));
    result.Set("value", values_ != nullptr ? ToTypedArray(env, stats_.value) : env.Null());
    result.Set("mean", weights_ != nullptr ? ToTypedArray(env, stats_.mean) : env.Null());
    return result;
  }

 private:
  Shape3 shape_;
  napi_typedarray_type labelsType_ = napi_uint32_array;
  const void* labels_ = nullptr;
  std::uint32_t count_ = 0;
  DType valuesType_ = DType::kUint8;
  const void* values_ = nullptr;
  const float* weights_ = nullptr;
  ComponentStats stats_;
};

}  // namespace

void RegisterComponentBindings(Napi::Env env, Napi::Object exports) {
  ExportJob<ConnectedComponentsJob>(env, exports, "connectedComponents");
  ExportJob<ComponentStatsJob>(env, exports, "componentStats");
}

}  // namespace medals
