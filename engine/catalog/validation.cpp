#include "engine/catalog/validation.hpp"

#include <cmath>

#include "engine/text.hpp"
#include "engine/users/validation.hpp"

namespace codd::engine::catalog {
namespace {

bool sku_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

// Letters, digits, '-', '_' and '.': a SKU becomes part of a stream id and of URLs.
std::optional<Rejection> check_sku(std::string& sku) {
    sku = text::trim(sku);
    if (sku.empty()) return invalid("sku", "sku is required");
    if (sku.size() > kMaxSkuChars) return invalid("sku", "sku must be at most 64 characters");
    for (char c : sku) {
        if (!sku_char(c)) return invalid("sku", "sku may contain only letters, digits, '-', '_' and '.'");
    }
    return std::nullopt;
}

std::optional<Rejection> check_label(std::string& s, const char* field, std::size_t max_chars, bool required) {
    s = text::trim(s);
    if (required && text::is_blank(s)) return invalid(field, std::string(field) + " is required");
    if (text::utf8_length(s) > max_chars) {
        return invalid(field, std::string(field) + " must be at most " + std::to_string(max_chars) + " characters");
    }
    if (text::has_control(s)) return invalid(field, std::string(field) + " must not contain control characters");
    return std::nullopt;
}

std::optional<Rejection> check_description(std::string& s) {
    s = text::trim(s);
    if (s.size() > kMaxDescriptionBytes) return invalid("description", "description is too long");
    if (text::has_control_in_text(s)) {
        return invalid("description",
                       "description must not contain control characters other than tabs and line breaks");
    }
    return std::nullopt;
}

std::optional<Rejection> check_money(Money m, const char* field) {
    if (m.minor < 0) return invalid(field, std::string(field) + " must not be negative");
    if (m.minor > kMaxPriceMinor) {
        return invalid(field, std::string(field) + " must be at most " + to_string(Money{kMaxPriceMinor}));
    }
    return std::nullopt;
}

std::optional<Rejection> check_count(std::int64_t v, const char* field) {
    if (v < 0 || v > 1'000'000'000) return invalid(field, std::string(field) + " must be between 0 and 1000000000");
    return std::nullopt;
}

std::optional<Rejection> check_image_url(std::string& url) {
    url = text::trim(url);
    if (url.size() > kMaxImageUrlBytes) return invalid("imageUrl", "imageUrl is too long");
    for (char c : url) {
        if (text::is_space(c) || static_cast<unsigned char>(c) < 0x20) {
            return invalid("imageUrl", "imageUrl must not contain spaces or control characters");
        }
    }
    // The admin UI puts it in an <img src>: a path ("/uploads/a.png") or a web link, never javascript: or data:.
    if (const std::string scheme = text::url_scheme(url); !scheme.empty() && scheme != "http" && scheme != "https") {
        return invalid("imageUrl", "imageUrl must be an http or https URL or a path, not a " + scheme + ": URL");
    }
    return std::nullopt;
}

std::optional<Rejection> check_weight(double w) {
    // Bounded as every other number of a product (a weight of 1e308 is a typo, and loses nothing below this).
    if (!std::isfinite(w) || w < 0 || w > 1'000'000)
        return invalid("weight", "weight must be a number from 0 to 1000000");
    return std::nullopt;
}

// Empty means "no dimensions"; otherwise one JSON object, kept in canonical form.
std::optional<Rejection> check_dimensions(std::string& d) {
    d = text::trim(d);
    if (d.empty()) return std::nullopt;
    auto canonical = users::canonical_object(d, "dimensions", kMaxDimensionsBytes);
    if (auto* r = std::get_if<Rejection>(&canonical)) return *r;
    d = std::get<std::string>(canonical);
    return std::nullopt;
}

}  // namespace

std::optional<Rejection> normalize(NewProduct& p) {
    if (auto r = check_sku(p.sku)) return r;
    if (auto r = check_label(p.name, "name", kMaxProductNameChars, true)) return r;
    if (auto r = check_description(p.description)) return r;
    if (auto r = check_label(p.category, "category", kMaxCategoryChars, false)) return r;
    if (auto r = check_money(p.price, "price")) return r;
    if (auto r = check_money(p.cost_price, "costPrice")) return r;
    if (auto r = check_count(p.stock_quantity, "stockQuantity")) return r;
    if (auto r = check_count(p.low_stock_threshold, "lowStockThreshold")) return r;
    if (auto r = check_image_url(p.image_url)) return r;
    if (p.weight) {
        if (auto r = check_weight(*p.weight)) return r;
    }
    return check_dimensions(p.dimensions_json);
}

std::optional<Rejection> normalize(ProductPatch& p) {
    if (p.sku) {
        if (auto r = check_sku(*p.sku)) return r;
    }
    if (p.name) {
        if (auto r = check_label(*p.name, "name", kMaxProductNameChars, true)) return r;
    }
    if (p.description) {
        if (auto r = check_description(*p.description)) return r;
    }
    if (p.category) {
        if (auto r = check_label(*p.category, "category", kMaxCategoryChars, false)) return r;
    }
    if (p.price) {
        if (auto r = check_money(*p.price, "price")) return r;
    }
    if (p.cost_price) {
        if (auto r = check_money(*p.cost_price, "costPrice")) return r;
    }
    if (p.low_stock_threshold) {
        if (auto r = check_count(*p.low_stock_threshold, "lowStockThreshold")) return r;
    }
    if (p.image_url) {
        if (auto r = check_image_url(*p.image_url)) return r;
    }
    if (p.weight && *p.weight) {
        if (auto r = check_weight(**p.weight)) return r;
    }
    if (p.dimensions_json) return check_dimensions(*p.dimensions_json);
    return std::nullopt;
}

std::optional<Rejection> normalize_reason(std::string& reason, bool required) {
    reason = text::trim(reason);
    if (required && text::is_blank(reason)) return invalid("reason", "reason is required");
    if (text::utf8_length(reason) > kMaxReasonChars) return invalid("reason", "reason must be at most 500 characters");
    if (text::has_control(reason)) return invalid("reason", "reason must not contain control characters");
    return std::nullopt;
}

}  // namespace codd::engine::catalog
