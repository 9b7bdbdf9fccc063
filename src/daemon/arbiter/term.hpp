#pragma once

// What decide() knows of the arbiter: plain data, filled by the observer.

#include <optional>
#include <string>
#include <vector>

namespace repmgr::repmgrd {

// One failover term: "primary `failed_primary_id` on timeline `timeline`
// failed". The arbiter lets at most one node win each term.
struct FailoverTerm {
    int failed_primary_id = 0;
    int timeline = 0;
};

// A term's claim as the arbiter holds it. A confirmed claim is final; an
// unconfirmed claim past its deadline may be taken over by another candidate.
struct TermClaim {
    int holder = 0;
    bool expired = false;
    std::vector<int> passed_over;  // earlier holders of this term whose claims expired
};

// The arbiter as this tick saw it.
struct ArbiterView {
    std::string name = "none";      // "witness", "none"; used in sentences
    bool required = false;          // promotions need its consent (false: no arbiter)
    bool reachable = false;
    std::optional<TermClaim> claim; // the term's claim, when some node has claimed it
};

}  // namespace repmgr::repmgrd
