#include "cluster/slots.hpp"

namespace repmgr {

void create_slot_if_missing(Connection& conn, const std::string& slot_name) {
    conn.exec(
        "SELECT pg_create_physical_replication_slot($1) WHERE NOT EXISTS "
        "(SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)",
        slot_name);
}

void drop_slot_if_unused(Connection& conn, const std::string& slot_name, Logger& log) {
    auto slot = conn.opt_row("SELECT active FROM pg_replication_slots WHERE slot_name = $1", slot_name);
    if (!slot) return;
    if (slot->boolean("active")) {
        log.warning("replication slot \"{}\" is still in use and was not dropped", slot_name);
        return;
    }
    conn.exec("SELECT pg_drop_replication_slot($1)", slot_name);
    log.notice("replication slot \"{}\" dropped", slot_name);
}

}  // namespace repmgr
