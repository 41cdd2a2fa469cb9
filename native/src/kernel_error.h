// Errors a kernel can only detect while it runs (pure C++, no Node-API). The bindings turn a
// KernelRangeError into a JavaScript RangeError, synchronously or as a rejected promise, and
// prefix its message with the function name.
#pragma once

#include <stdexcept>

namespace medals {

class KernelRangeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace medals
