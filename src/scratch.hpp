#pragma once
// Scratch space for one call: `Inline` elements in the object, more from the heap without
// throwing (ok() is false when that failed: report ENOMEM). For iovec arrays and control
// buffers of the message calls, which must not throw.

#include <cstddef>
#include <new>

namespace usocket::detail {

template <class T, std::size_t Inline>
class scratch {
public:
    explicit scratch(std::size_t n) noexcept : n_(n) {
        if (n > Inline) heap_ = new (std::nothrow) T[n]();
    }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    ~scratch() { delete[] heap_; }

    bool ok() const noexcept { return n_ <= Inline || heap_ != nullptr; }
    T* data() noexcept { return n_ > Inline ? heap_ : inline_; }
    std::size_t size() const noexcept { return n_; }

private:
    T inline_[Inline];  // not cleared: every caller fills what it uses
    T* heap_ = nullptr;
    std::size_t n_;
};

}  // namespace usocket::detail
