// placeholder: implemented in its own issue
#include "actions/actions.hpp"

namespace repmgr {

int run_standby_clone(Context&) {
    fail(ExitCode::Internal, "this command is not implemented yet");
}

}  // namespace repmgr
