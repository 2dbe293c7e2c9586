#include "api/version.hpp"

namespace codd::api {

std::string_view version() {
    return CODD_VERSION;
}

}  // namespace codd::api
