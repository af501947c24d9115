#pragma once
// Bytes read from a socket ahead of the caller (by readline() and the stream methods). Every
// later read of the socket drains this first, so a byte is never lost nor reordered.

#include <cstddef>
#include <cstring>
#include <memory>

namespace usocket::detail {

struct read_buffer {
    std::unique_ptr<std::byte[]> data;
    std::size_t capacity = 0;
    std::size_t begin = 0;
    std::size_t end = 0;

    std::size_t size() const noexcept { return end - begin; }
    bool empty() const noexcept { return begin == end; }

    /// Copies up to n bytes out; consumes them unless `peek`.
    std::size_t take(void* out, std::size_t n, bool peek) noexcept {
        if (n > size()) n = size();
        std::memcpy(out, data.get() + begin, n);
        if (!peek) {
            begin += n;
            if (begin == end) begin = end = 0;
        }
        return n;
    }
};

}  // namespace usocket::detail
