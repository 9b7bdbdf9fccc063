#pragma once

// A Failure that already knows the typed outcome status it means, thrown at
// the check that decides it (e.g. "history has diverged" -> Diverged), so that
// the outcome never has to be read back out of the message.

#include <string>
#include <utility>

#include "util/error.hpp"

namespace repmgr {

template <typename Status>
class RoleFailure : public Failure {
public:
    RoleFailure(Status status, ExitCode code, std::string message, std::string detail = {},
                std::string hint = {})
        : Failure(code, std::move(message), std::move(detail), std::move(hint)), status_(status) {}
    Status status() const { return status_; }

private:
    Status status_;
};

// Copies what the command line prints (exit code, message, DETAIL, HINT) into
// an outcome, with the status the failure decided.
template <typename Outcome, typename Status>
void fill_failure(Outcome& out, const Failure& f, Status status) {
    out.status = status;
    out.exit_code = f.code();
    out.message = f.what();
    out.detail = f.detail();
    out.hint = f.hint();
}

// The command line's side: an unsuccessful outcome exits exactly as the
// Failure it came from would have.
template <typename Outcome>
int exit_with(const Outcome& out) {
    if (!out.ok()) fail(out.exit_code, out.message, out.detail, out.hint);
    return 0;
}

}  // namespace repmgr
