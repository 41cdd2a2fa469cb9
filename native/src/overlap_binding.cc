// Binding of the label-overlap kernel (label_overlap.h): one pass over two uint8 label maps,
// sync and Async (see async_job.h).
#include <string>

#include "async_job.h"
#include "bindings.h"
#include "label_overlap.h"
#include "volume_arg.h"

namespace medals {
namespace {

// labelOverlap(gt, pred, size)
//   -> { gtCounts, predCounts, sameCounts: Float64Array(256),
//        gtBoxes, predBoxes: Int32Array(256 * 6) (minX, minY, minZ, maxX, maxY, maxZ per value; -1 when absent) }
class LabelOverlapJob {
 public:
  LabelOverlapJob(const Napi::CallbackInfo& info, const char* fn) {
    RequireArgCount(info, 3, fn, "(gt, pred, size)");
    gt_ = ParseLabelVolume(info, 0, 2, fn, "gt");
    pred_ = ParseLabelVolume(info, 1, 2, fn, "pred");
    for (const VolumeArg* v : {&gt_, &pred_}) {
      if (v->dtype != DType::kUint8) {
        ThrowTypeError(info.Env(), std::string(fn) + ": " + (v == &gt_ ? "gt" : "pred") +
                                       " must be a Uint8Array (labels as the evaluator casts them)");
      }
    }
  }

  void Run() {
    result_ = ComputeLabelOverlap(static_cast<const std::uint8_t*>(gt_.data),
                                  static_cast<const std::uint8_t*>(pred_.data), gt_.shape);
  }

  Napi::Value Result(Napi::Env env) {
    auto counts = [&](const std::array<std::uint64_t, 256>& c) {
      auto array = Napi::Float64Array::New(env, 256);
      for (std::size_t v = 0; v < 256; ++v) array[v] = static_cast<double>(c[v]);
      return array;
    };
    auto boxes = [&](const std::array<BoundingBox3, 256>& b) {
      auto array = Napi::Int32Array::New(env, 256 * 6);
      for (std::size_t v = 0; v < 256; ++v) {
        for (std::size_t k = 0; k < 3; ++k) {
          array[v * 6 + k] = b[v].empty ? -1 : static_cast<std::int32_t>(b[v].min[k]);
          array[v * 6 + 3 + k] = b[v].empty ? -1 : static_cast<std::int32_t>(b[v].max[k]);
        }
      }
      return array;
    };
    Napi::Object object = Napi::Object::New(env);
    object.Set("gtCounts", counts(result_.gt));
    object.Set("predCounts", counts(result_.pred));
    object.Set("sameCounts", counts(result_.same));
    object.Set("gtBoxes", boxes(result_.gtBox));
    object.Set("predBoxes", boxes(result_.predBox));
    return object;
  }

 private:
  VolumeArg gt_, pred_;
  LabelOverlap result_;
};

}  // namespace

void RegisterOverlapBindings(Napi::Env env, Napi::Object exports) {
  ExportJob<LabelOverlapJob>(env, exports, "labelOverlap");
}

}  // namespace medals
