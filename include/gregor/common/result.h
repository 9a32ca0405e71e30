#pragma once

// A small std::expected stand-in (g++ 12 has none in C++20). Errors on the request path are
// values: a function that can fail returns result<T, E>, and -Werror catches an ignored one.

#include "gregor/common/assert.h"

#include <type_traits>
#include <utility>
#include <variant>

namespace gregor {

template <typename E>
struct unexpected {
    E error;
    explicit unexpected(E e) : error(std::move(e)) {}
};

template <typename T, typename E>
class [[nodiscard]] result {
public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}            // NOLINT implicit
    result(unexpected<E> e) : v_(std::in_place_index<1>, std::move(e.error)) {}  // NOLINT

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        GREGOR_ASSERT(has_value(), "result holds an error");
        return std::get<0>(v_);
    }
    const T& value() const& {
        GREGOR_ASSERT(has_value(), "result holds an error");
        return std::get<0>(v_);
    }
    T&& value() && {
        GREGOR_ASSERT(has_value(), "result holds an error");
        return std::get<0>(std::move(v_));
    }
    const E& error() const {
        GREGOR_ASSERT(!has_value(), "result holds a value");
        return std::get<1>(v_);
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, E> v_;
};

}  // namespace gregor
