#include "cluster/failsafe.hpp"

namespace repmgr {

void write_failsafe_pledge(Connection& primary, int node_id) {
    // clock_timestamp(), not now(): the promise runs from the moment the
    // standby learns it was recorded, which is after this.
    primary.exec(
        "INSERT INTO repl_failsafe_pledge (node_id, pledged_at) VALUES ($1, clock_timestamp()) "
        "ON CONFLICT (node_id) DO UPDATE SET pledged_at = EXCLUDED.pledged_at",
        node_id);
}

std::optional<std::vector<FailsafePledge>> read_failsafe_pledges(Connection& primary,
                                                                 int primary_id) {
    try {
        Result r = primary.exec(
            "SELECT n.id, extract(epoch FROM clock_timestamp() - p.pledged_at)::float8 AS age_s "
            "FROM repl_nodes n LEFT JOIN repl_failsafe_pledge p ON p.node_id = n.id "
            "WHERE n.active AND n.type <> 'witness' AND n.id <> $1 ORDER BY n.id",
            primary_id);
        std::vector<FailsafePledge> out;
        for (const Row& row : r.all()) {
            FailsafePledge p{static_cast<int>(row.integer("id")), std::nullopt};
            if (auto age = row.opt_text("age_s")) p.age_s = std::stod(*age);
            out.push_back(p);
        }
        return out;
    } catch (const DbError& e) {
        if (e.sqlstate() == "42P01") return std::nullopt;  // undefined_table: schema < 9
        throw;
    }
}

}  // namespace repmgr
