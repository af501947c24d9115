#pragma once
// Timeouts: the module's three states in one type. Empty (usocket::blocking, std::nullopt)
// blocks without limit, zero is non-blocking, a positive duration is a timeout. Any
// std::chrono::duration converts — integral or floating-point, any period — rounded UP to
// nanoseconds, so a wait never ends before the time asked for. A duration that is negative, NaN
// or too large for nanoseconds stays invalid (negative), and whatever takes the timeout reports
// errc::invalid_timeout (value_error) and changes nothing.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <ratio>
#include <type_traits>

namespace usocket {

using duration = std::chrono::nanoseconds;

/// Blocking: no timeout (settimeout(usocket::blocking)).
inline constexpr std::nullopt_t blocking = std::nullopt;

namespace detail {
/// The invalid value a duration that cannot be a timeout becomes.
inline constexpr duration invalid_duration = duration::min();

template <class Rep, class Period>
constexpr duration ceil_nanoseconds(std::chrono::duration<Rep, Period> d) noexcept {
    if constexpr (std::is_floating_point_v<Rep>) {
        const long double ns = static_cast<long double>(d.count()) * Period::num * 1'000'000'000.0L / Period::den;
        if (!(ns == ns)) return invalid_duration;  // NaN
        if (ns < 0) return invalid_duration;
        const long double up = std::ceil(ns);
        if (up >= static_cast<long double>(std::numeric_limits<std::int64_t>::max())) return invalid_duration;
        return duration(static_cast<std::int64_t>(up));
    } else {
        using ratio = std::ratio_divide<Period, std::nano>;  // nanoseconds per tick
        const auto count = static_cast<long double>(d.count());
        if (count < 0) return invalid_duration;
        const long double ns = count * ratio::num / ratio::den;
        if (ns >= static_cast<long double>(std::numeric_limits<std::int64_t>::max())) return invalid_duration;
        if constexpr (ratio::den == 1) {
            return duration(static_cast<std::int64_t>(d.count()) * static_cast<std::int64_t>(ratio::num));
        } else {
            return std::chrono::ceil<duration>(d);
        }
    }
}
}  // namespace detail

/// A timeout: blocking (empty), non-blocking (zero) or a positive duration in nanoseconds.
class timeout_type : public std::optional<duration> {
public:
    /// Blocking.
    constexpr timeout_type() noexcept = default;
    constexpr timeout_type(std::nullopt_t) noexcept {}  // NOLINT(google-explicit-constructor)
    /// Any duration, rounded up to nanoseconds (invalid when negative, NaN or too large).
    template <class Rep, class Period>
    constexpr timeout_type(std::chrono::duration<Rep, Period> d) noexcept  // NOLINT
        : std::optional<duration>(detail::ceil_nanoseconds(d)) {}
    template <class Rep, class Period>
    constexpr timeout_type(const std::optional<std::chrono::duration<Rep, Period>>& d) noexcept  // NOLINT
        : timeout_type(d ? timeout_type(*d) : timeout_type()) {}

    /// True for usocket::blocking.
    [[nodiscard]] constexpr bool is_blocking() const noexcept { return !has_value(); }
    /// True for zero.
    [[nodiscard]] constexpr bool is_non_blocking() const noexcept { return has_value() && value().count() == 0; }
    /// False for a negative (invalid) duration.
    [[nodiscard]] constexpr bool is_valid() const noexcept { return !has_value() || value().count() >= 0; }
    /// Nanoseconds as the blocking core counts them: -1 blocking, 0 non-blocking, > 0 a timeout.
    [[nodiscard]] constexpr std::int64_t nanoseconds() const noexcept { return has_value() ? value().count() : -1; }
    friend constexpr bool operator==(const timeout_type& a, const timeout_type& b) noexcept {
        return a.nanoseconds() == b.nanoseconds();
    }
    friend constexpr bool operator==(const timeout_type& a, std::nullopt_t) noexcept { return a.is_blocking(); }
    /// The timeout of `ns` as nanoseconds() gives it.
    [[nodiscard]] static constexpr timeout_type from_nanoseconds(std::int64_t ns) noexcept {
        return ns < 0 ? timeout_type() : timeout_type(duration(ns));
    }
};

}  // namespace usocket
