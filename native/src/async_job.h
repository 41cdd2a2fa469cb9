// Running a kernel synchronously or on the libuv thread pool, with one description of it.
//
// A Job is a class with
//   Job(const Napi::CallbackInfo& info, const char* fn)  main thread: validates every argument
//       (throwing TypeError/RangeError), allocates JS outputs, and keeps Napi references to every
//       buffer it will read or write, so the garbage collector cannot free them while it runs;
//   void Run()                                           any thread: pure C++, no Node-API;
//   Napi::Value Result(Napi::Env env)                    main thread: builds the JS result.
// RunSync<Job> calls the three in a row. RunAsync<Job> validates on the calling thread (a bad
// argument throws synchronously), runs Run() in a Napi::AsyncWorker and returns a Promise.
// A KernelRangeError from Run() becomes a RangeError in both; other exceptions an Error.
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
  JobWorker(Napi::Env env, const char* fn, std::unique_ptr<Job> job)
      : Napi::AsyncWorker(env, fn), fn_(fn), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {}

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
  auto* worker = new JobWorker<Job>(info.Env(), fn, std::move(job));
  const Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace medals
