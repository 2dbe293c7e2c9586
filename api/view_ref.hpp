#pragma once
// A read-side view as the ops endpoints see it: its name and its runner (position, lag, running).

#include <string>

namespace codd::projections {
class ProjectionRunner;
}

namespace codd::api {

struct ViewRef {
    std::string name;
    const projections::ProjectionRunner* runner = nullptr;  // outlives the router's use
};

}  // namespace codd::api
