#include "daemon/decide/zero_loss.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace repmgr::repmgrd {
namespace {

bool contains(const std::vector<int>& ids, int id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool covers(const std::optional<std::vector<int>>& record, const std::vector<int>& ids) {
    if (!record) return ids.empty();
    for (int id : ids)
        if (!contains(*record, id)) return false;
    return true;
}

std::vector<int> sorted_union(std::vector<int> a, const std::vector<int>& b) {
    for (int id : b)
        if (!contains(a, id)) a.push_back(id);
    std::sort(a.begin(), a.end());
    return a;
}

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

}  // namespace

std::string id_list(const std::vector<int>& ids) {
    std::string out;
    for (int id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
    return out.empty() ? "none" : out;
}

std::string render_sync_names(int count, const std::vector<std::string>& names) {
    if (names.empty()) return "";
    std::string list;
    for (const auto& n : names) {
        std::string quoted = "\"";
        for (char c : n) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        list += (list.empty() ? "" : ", ") + quoted + "\"";
    }
    int n = std::min<int>(count, static_cast<int>(names.size()));
    return fmt::format("FIRST {} ({})", n, list);
}

std::vector<std::string> parse_sync_names(const std::string& value) {
    std::string v = trim(value);
    auto open = v.find('(');
    if (open != std::string::npos) {
        auto close = v.rfind(')');
        v = v.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
    }
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    auto flush = [&] {
        std::string t = trim(cur);
        if (!t.empty() && t != "*") out.push_back(t);
        cur.clear();
    };
    for (size_t i = 0; i < v.size(); ++i) {
        char c = v[i];
        if (c == '"') {
            if (quoted && i + 1 < v.size() && v[i + 1] == '"') {
                cur += '"';
                ++i;
            } else {
                quoted = !quoted;
            }
        } else if (c == ',' && !quoted) {
            flush();
        } else {
            cur += c;
        }
    }
    flush();
    return out;
}

ZeroLossPlan plan_zero_loss(SyncMode mode, int count, int primary_id,
                            const std::string& primary_location, const ZeroLossView& v,
                            const std::optional<NarrowMark>& mark) {
    ZeroLossPlan plan;
    if (mode == SyncMode::Off) return plan;
    auto find_name = [&](const std::string& name) -> const SyncStandby* {
        for (const auto& s : v.standbys)
            if (s.name == name) return &s;
        return nullptr;
    };
    auto healthy = [&](const SyncStandby& s) {
        bool behind = !s.flush_lsn || *s.flush_lsn < v.primary_lsn;
        bool silent = s.reply_age_s && *s.reply_age_s > kReplyStaleSecs;
        return s.streaming && s.priority > 0 && !(behind && silent);
    };
    auto caught_up = [&](const SyncStandby& s) {
        return healthy(s) && s.flush_lsn && *s.flush_lsn + kCatchUpBytes >= v.primary_lsn;
    };

    // Named now: the registered standbys synchronous_standby_names lists.
    std::vector<const SyncStandby*> named;
    for (const auto& n : parse_sync_names(v.current_names))
        if (const SyncStandby* s = find_name(n)) named.push_back(s);
    std::vector<int> named_ids;
    for (const auto* s : named) named_ids.push_back(s->node_id);

    // Desired: the named ones that still stream, then caught-up candidates
    // (same location as the primary first, then priority, then id).
    std::vector<const SyncStandby*> desired;
    for (const auto* s : named)
        if (healthy(*s) && static_cast<int>(desired.size()) < count) desired.push_back(s);
    std::vector<const SyncStandby*> spare;
    for (const auto& s : v.standbys)
        if (s.node_id != primary_id && caught_up(s) && !contains(named_ids, s.node_id))
            spare.push_back(&s);
    std::sort(spare.begin(), spare.end(), [&](const SyncStandby* a, const SyncStandby* b) {
        bool al = a->location == primary_location, bl = b->location == primary_location;
        if (al != bl) return al;
        if (a->priority != b->priority) return a->priority > b->priority;
        return a->node_id < b->node_id;
    });
    for (const auto* s : spare)
        if (static_cast<int>(desired.size()) < count) desired.push_back(s);

    std::string desired_names;
    std::vector<int> desired_ids;
    if (desired.empty()) {
        if (mode == SyncMode::Strict) {
            // Commits keep waiting for the standbys named now: nothing changes.
            plan.warn = true;
            plan.reason = fmt::format(
                "synchronous=strict: no standby is eligible as synchronous standby (streaming, "
                "priority > 0, caught up); commits wait until one of node(s) {} is back",
                id_list(named_ids));
            return plan;
        }
        desired_names = "";
    } else {
        std::vector<std::string> names;
        for (const auto* s : desired) {
            names.push_back(s->name);
            desired_ids.push_back(s->node_id);
        }
        std::sort(desired_ids.begin(), desired_ids.end());
        desired_names = render_sync_names(count, names);
    }

    if (desired_names != v.current_names) {
        if (!covers(v.record, desired_ids)) {
            plan.kind = ZeroLossPlan::Kind::WidenRecord;
            plan.record = sorted_union(v.record.value_or(std::vector<int>{}), desired_ids);
            plan.reason = fmt::format(
                "recording node(s) {} as zero-loss candidates before naming node(s) {} in "
                "synchronous_standby_names",
                id_list(plan.record), id_list(desired_ids));
            return plan;
        }
        plan.kind = ZeroLossPlan::Kind::SetNames;
        plan.names = desired_names;
        plan.fallback = desired_names.empty();
        plan.reason =
            plan.fallback
                ? fmt::format("synchronous=on: no standby is eligible as synchronous standby "
                              "(streaming, priority > 0, caught up): falling back to "
                              "asynchronous commits until one is (recorded zero-loss "
                              "candidates stay node(s) {})",
                              id_list(v.record.value_or(std::vector<int>{})))
                : fmt::format("naming node(s) {} in synchronous_standby_names: {}",
                              id_list(desired_ids), desired_names);
        return plan;
    }

    // The desired names are in effect.
    if (desired_ids.empty()) return plan;  // fallback: the record keeps who acknowledged before
    if (!covers(v.record, desired_ids)) {
        // Named without being recorded (set by hand, or a record lost):
        // record them at once.
        plan.kind = ZeroLossPlan::Kind::WidenRecord;
        plan.record = sorted_union(v.record.value_or(std::vector<int>{}), desired_ids);
        plan.reason = fmt::format("node(s) {} are synchronous standbys but not recorded as "
                                  "zero-loss candidates: recording node(s) {}",
                                  id_list(desired_ids), id_list(plan.record));
        return plan;
    }
    if (*v.record == desired_ids) return plan;
    if (!mark || mark->names != desired_names) {
        plan.mark = NarrowMark{desired_names, v.primary_lsn};
        return plan;
    }
    for (const auto* s : desired)
        if (!s->flush_lsn || *s->flush_lsn < mark->lsn) {
            plan.mark = mark;
            return plan;
        }
    plan.kind = ZeroLossPlan::Kind::NarrowRecord;
    plan.record = desired_ids;
    plan.reason = fmt::format("node(s) {} are the synchronous standbys and hold everything "
                              "acknowledged before: narrowing the zero-loss candidates from "
                              "node(s) {} to node(s) {}",
                              id_list(desired_ids), id_list(*v.record), id_list(desired_ids));
    return plan;
}

}  // namespace repmgr::repmgrd
