// placeholder: implemented in its own issue
#include "actions/actions.hpp"

namespace repmgr {

int run_daemon_status(Context&) {
    fail(ExitCode::Internal, "this command is not implemented yet");
}

int run_daemon_pause(Context&) {
    fail(ExitCode::Internal, "this command is not implemented yet");
}

int run_daemon_unpause(Context&) {
    fail(ExitCode::Internal, "this command is not implemented yet");
}

}  // namespace repmgr
