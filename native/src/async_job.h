// Running a kernel synchronously or on the libuv thread pool, with one description of it.
//
// A Job is a class with
//   Job(const Napi::CallbackInfo& info, const char* fn)  main thread: validates every argument
//       (throwing TypeError/RangeError) and allocates JS outputs, holding a Napi reference to
//       each one it made, and to any buffer it reaches inside an argument (an Array's elements):
//       the worker keeps only the arguments themselves from the garbage collector;
//   void Run()                                           any thread: pure C++, no Node-API;
//   Napi::Value Result(Napi::Env env)                    main thread: builds the JS result.
// RunSync<Job> calls the three in a row. RunAsync<Job> validates on the calling thread (a bad
// argument throws synchronously), runs Run() in a Napi::AsyncWorker and returns a Promise.
// A KernelRangeError from Run() becomes a RangeError in both; other exceptions an Error.
// ExportJob<Job> exports both, as `name` and `name` + "Async".
#pragma once

#include <napi.h>

#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "kernel_error.h"

namespace medals {

// Keeps JS objects (typed arrays) alive for as long as the owner lives. Main thread only.
class Keep {
 public:
  void Add(const Napi::Value& value) {
    if (value.IsObject()) refs_.push_back(Napi::Persistent(value.As<Napi::Object>()));
  }

 private:
  std::vector<Napi::ObjectReference> refs_;
};

template <typename Job>
class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(const Napi::CallbackInfo& info, const char* fn, std::unique_ptr<Job> job)
      : Napi::AsyncWorker(info.Env(), fn),
        fn_(fn),
        job_(std::move(job)),
        deferred_(Napi::Promise::Deferred::New(info.Env())) {
    // JavaScript may drop its last reference to a buffer while the job reads or writes it.
    for (std::size_t i = 0; i < info.Length(); ++i) arguments_.Add(info[i]);
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      job_->Run();
    } catch (const KernelRangeError& e) {
      rangeError_ = fn_ + ": " + e.what();
    } catch (const std::bad_alloc&) {
      SetError(fn_ + ": out of memory");
    } catch (const std::exception& e) {
      SetError(fn_ + ": " + e.what());
    }
  }

  void OnOK() override {
    const Napi::Env env = Env();
    if (!rangeError_.empty()) {
      deferred_.Reject(Napi::RangeError::New(env, rangeError_).Value());
      return;
    }
    try {
      deferred_.Resolve(job_->Result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, fn_ + ": " + e.what()).Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::string fn_;
  std::string rangeError_;
  std::unique_ptr<Job> job_;  // destroyed with the worker, on the main thread
  Napi::Promise::Deferred deferred_;
  Keep arguments_;
};

template <typename Job>
Napi::Value RunSync(const Napi::CallbackInfo& info, const char* fn) {
  Job job(info, fn);
  try {
    job.Run();
  } catch (const KernelRangeError& e) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": " + e.what());
  }
  return job.Result(info.Env());
}

template <typename Job>
Napi::Value RunAsync(const Napi::CallbackInfo& info, const char* fn) {
  auto job = std::make_unique<Job>(info, fn);
  auto* worker = new JobWorker<Job>(info, fn, std::move(job));
  const Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// Exports `name` (sync) and `name` + "Async" (a Promise) for one Job. name must outlive the
// module (a string literal), as the sync function's error messages use it.
template <typename Job>
void ExportJob(Napi::Env env, Napi::Object exports, const char* name) {
  const std::string asyncName = std::string(name) + "Async";
  exports.Set(name, Napi::Function::New(
                        env, [name](const Napi::CallbackInfo& info) { return RunSync<Job>(info, name); }, name));
  exports.Set(asyncName, Napi::Function::New(
                             env,
                             [asyncName](const Napi::CallbackInfo& info) {
                               return RunAsync<Job>(info, asyncName.c_str());
                             },
                             asyncName));
}

}  // namespace medals
