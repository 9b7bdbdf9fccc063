#pragma once

// The plan of a role change (standby follow, node rejoin, standby promote,
// standby switchover): the ordered steps that execute runs, each with the
// sentence that says what it does. Checks build it from the data they
// gathered; --dry-run prints it; execute walks the same list, so what the
// dry run shows is what would run.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "util/log.hpp"

namespace repmgr {

// "step 2/5: <sentence>", the one spelling of a step for dry runs and execution.
inline std::string plan_step_line(std::size_t index, std::size_t count,
                                  const std::string& sentence) {
    return fmt::format("step {}/{}: {}", index + 1, count, sentence);
}

template <typename Kind>
struct RolePlan {
    struct Step {
        Kind kind;
        std::string sentence;
    };
    std::vector<Step> steps;

    void add(Kind kind, std::string sentence) { steps.push_back({kind, std::move(sentence)}); }
    bool has(Kind kind) const {
        for (const auto& s : steps)
            if (s.kind == kind) return true;
        return false;
    }
    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < steps.size(); ++i)
            out.push_back(plan_step_line(i, steps.size(), steps[i].sentence));
        return out;
    }
    // --dry-run: `what` ("standby follow") and every step, at NOTICE.
    void print_dry_run(Logger& log, const std::string& what) const {
        log.notice("[dry run] all checks passed; {} would run these {} step(s):", what,
                   steps.size());
        for (const auto& line : lines()) log.notice("[dry run] {}", line);
    }
    // Execution: logs the step about to run, then calls run(step) for each.
    template <typename Run>
    void execute(Logger& log, Run&& run) const {
        for (std::size_t i = 0; i < steps.size(); ++i) {
            log.notice("{}", plan_step_line(i, steps.size(), steps[i].sentence));
            run(steps[i]);
        }
    }
};

}  // namespace repmgr
