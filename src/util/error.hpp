#pragma once

#include <stdexcept>
#include <string>

#include "util/exit_codes.hpp"

namespace repmgr {

// The one error type every command exits through: main() prints it once as
// ERROR / DETAIL / HINT lines and exits with its code.
class Failure : public std::runtime_error {
public:
    Failure(ExitCode code, std::string message, std::string detail = {}, std::string hint = {})
        : std::runtime_error(std::move(message)),
          code_(code),
          detail_(std::move(detail)),
          hint_(std::move(hint)) {}

    ExitCode code() const { return code_; }
    const std::string& detail() const { return detail_; }
    const std::string& hint() const { return hint_; }

private:
    ExitCode code_;
    std::string detail_;
    std::string hint_;
};

[[noreturn]] inline void fail(ExitCode code, std::string message, std::string detail = {},
                              std::string hint = {}) {
    throw Failure(code, std::move(message), std::move(detail), std::move(hint));
}

}  // namespace repmgr
