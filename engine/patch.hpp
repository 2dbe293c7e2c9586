#pragma once
// Partial updates: a patch field that equals the current value is not a change, so update events carry
// only what really changed and an update that changes nothing appends nothing.

#include <optional>

namespace codd::engine {

template <typename T>
void keep_if_changed(std::optional<T>& wanted, const T& current) {
    if (wanted && *wanted == current) wanted.reset();
}

template <typename T>
void keep_if_changed(std::optional<T>& wanted, const std::optional<T>& current) {
    if (wanted && current && *wanted == *current) wanted.reset();
}

}  // namespace codd::engine
