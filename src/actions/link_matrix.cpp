#include "actions/link_matrix.hpp"

#include <charconv>

#include <fmt/format.h>

#include "util/table.hpp"

namespace repmgr {
namespace {

// The integers of one comma-separated line, or fewer than `want` when the line
// is anything else.
std::vector<int> integers(std::string_view line, size_t want) {
    std::vector<int> out;
    while (out.size() < want) {
        size_t comma = line.find(',');
        std::string_view field = line.substr(0, comma);
        while (!field.empty() && (field.back() == '\r' || field.back() == ' ')) field.remove_suffix(1);
        int value = 0;
        auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
        if (ec != std::errc() || end != field.data() + field.size() || field.empty()) return {};
        out.push_back(value);
        if (comma == std::string_view::npos) break;
        line.remove_prefix(comma + 1);
    }
    return out;
}

template <typename F>
int for_each_line(std::string_view text, size_t want, F&& f) {
    int read = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        std::vector<int> v = integers(line, want);
        if (v.size() < want) continue;
        f(v);
        ++read;
    }
    return read;
}

Link link_from(int status) {
    if (status == 0) return Link::Up;
    if (status == -1) return Link::Down;
    return Link::Unknown;
}

}  // namespace

char link_symbol(Link link) {
    switch (link) {
        case Link::Up: return '*';
        case Link::Down: return 'x';
        case Link::Unknown: break;
    }
    return '?';
}

LinkMatrix::LinkMatrix(std::vector<MatrixNode> nodes) : nodes_(std::move(nodes)) {}

bool LinkMatrix::has_node(int id) const {
    for (const auto& n : nodes_)
        if (n.id == id) return true;
    return false;
}

void LinkMatrix::set(int from, int to, Link link) {
    if (has_node(from) && has_node(to)) cells_[{from, to}] = link;
}

Link LinkMatrix::get(int from, int to) const {
    auto it = cells_.find({from, to});
    return it == cells_.end() ? Link::Unknown : it->second;
}

void LinkMatrix::merge(const LinkMatrix& other) {
    for (const auto& [key, link] : other.cells_)
        if (static_cast<int>(link) > static_cast<int>(get(key.first, key.second)))
            set(key.first, key.second, link);
}

bool LinkMatrix::any(Link link) const {
    for (const auto& from : nodes_)
        for (const auto& to : nodes_)
            if (get(from.id, to.id) == link) return true;
    return false;
}

int read_show_csv(std::string_view text, int from, LinkMatrix& matrix) {
    // repmgr 5 counts any status but -1 as connected (-2 never occurs there).
    return for_each_line(text, 3, [&](const std::vector<int>& v) {
        matrix.set(from, v[0], v[1] == -1 ? Link::Down : Link::Up);
    });
}

int read_matrix_csv(std::string_view text, LinkMatrix& matrix) {
    return for_each_line(text, 3, [&](const std::vector<int>& v) {
        matrix.set(v[0], v[1], link_from(v[2]));
    });
}

std::string matrix_csv(const LinkMatrix& matrix) {
    std::string out;
    for (const auto& from : matrix.nodes())
        for (const auto& to : matrix.nodes())
            out += fmt::format("{},{},{}\n", from.id, to.id,
                               static_cast<int>(matrix.get(from.id, to.id)));
    return out;
}

std::string matrix_table(const LinkMatrix& matrix) {
    std::vector<std::string> headers{"Name", "ID"};
    for (const auto& n : matrix.nodes()) headers.push_back(std::to_string(n.id));
    std::vector<std::vector<std::string>> rows;
    for (const auto& from : matrix.nodes()) {
        std::vector<std::string> row{from.name, std::to_string(from.id)};
        for (const auto& to : matrix.nodes())
            row.emplace_back(1, link_symbol(matrix.get(from.id, to.id)));
        rows.push_back(std::move(row));
    }
    return render_table(headers, rows);
}

}  // namespace repmgr
