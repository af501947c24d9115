#pragma once
// Views of caller memory for send and receive calls: any contiguous range of one-byte
// elements (std::string, std::vector<char>, std::array<std::byte, N>, std::span, char[N]) or a
// pointer and a size. They never own or copy.

#include <concepts>
#include <cstddef>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace usocket {

namespace detail {
// Contiguous memory of one-byte elements, seen through std::data and std::size (without
// <ranges>, which costs every file that includes this header more than half a second).
template <class R>
using data_pointer_t = decltype(std::data(std::declval<R&>()));
template <class R>
concept byte_range = requires(R& r) {
    { std::data(r) } -> std::convertible_to<const void*>;
    { std::size(r) } -> std::convertible_to<std::size_t>;
} && sizeof(*std::declval<data_pointer_t<R>>()) == 1 &&
                     std::is_trivially_copyable_v<std::remove_reference_t<decltype(*std::declval<data_pointer_t<R>>())>>;
template <class R>
concept mutable_byte_range = byte_range<R> && !std::is_const_v<std::remove_reference_t<decltype(*std::declval<data_pointer_t<R>>())>>;
}  // namespace detail

/// Writable memory a receive call fills.
class mutable_buffer {
public:
    constexpr mutable_buffer() noexcept = default;
    constexpr mutable_buffer(void* data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <detail::mutable_byte_range R>
        requires(!std::is_same_v<std::remove_cvref_t<R>, mutable_buffer>)
    constexpr mutable_buffer(R&& r) noexcept  // NOLINT(google-explicit-constructor)
        : data_(std::data(r)), size_(std::size(r)) {}

    [[nodiscard]] constexpr std::byte* data() const noexcept { return static_cast<std::byte*>(data_); }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
    /// The first n bytes (n clamped to size()).
    [[nodiscard]] constexpr mutable_buffer first(std::size_t n) const noexcept { return {data_, n < size_ ? n : size_}; }
    /// The bytes after the first n (n clamped to size()).
    [[nodiscard]] constexpr mutable_buffer skip(std::size_t n) const noexcept {
        n = n < size_ ? n : size_;
        return {data() + n, size_ - n};
    }

private:
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

/// Read-only memory a send call takes bytes from. A string literal is its characters without
/// the terminating NUL, so send("hello") sends five bytes.
class const_buffer {
public:
    constexpr const_buffer() noexcept = default;
    constexpr const_buffer(const void* data, std::size_t size) noexcept : data_(data), size_(size) {}
    constexpr const_buffer(mutable_buffer b) noexcept : data_(b.data()), size_(b.size()) {}  // NOLINT
    constexpr const_buffer(std::string_view s) noexcept : data_(s.data()), size_(s.size()) {}  // NOLINT
    constexpr const_buffer(const char* s) noexcept : const_buffer(std::string_view(s)) {}  // NOLINT
    const_buffer(const std::string& s) noexcept : data_(s.data()), size_(s.size()) {}  // NOLINT
    template <detail::byte_range R>
        requires(!std::is_convertible_v<R, std::string_view> &&
                 !std::is_same_v<std::remove_cvref_t<R>, const_buffer> &&
                 !std::is_same_v<std::remove_cvref_t<R>, mutable_buffer>)
    constexpr const_buffer(R&& r) noexcept  // NOLINT(google-explicit-constructor)
        : data_(std::data(r)), size_(std::size(r)) {}

    [[nodiscard]] constexpr const std::byte* data() const noexcept { return static_cast<const std::byte*>(data_); }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
    [[nodiscard]] constexpr const_buffer skip(std::size_t n) const noexcept {
        n = n < size_ ? n : size_;
        return {data() + n, size_ - n};
    }
    [[nodiscard]] constexpr std::string_view view() const noexcept {
        return {static_cast<const char*>(data_), size_};
    }

private:
    const void* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace usocket
