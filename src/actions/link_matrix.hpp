#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace repmgr {

// What one node found when it connected to another, in repmgr 5's numbers
// (its --csv output carries them) and symbols.
enum class Link : int { Unknown = -2, Down = -1, Up = 0 };

// '*' connected, 'x' could not connect, '?' not known (the node that would
// have tried could not be asked).
char link_symbol(Link link);

struct MatrixNode {
    int id = 0;
    std::string name;
};

// Row = the node that connected, column = the node it connected to.
// Every cell starts Unknown.
class LinkMatrix {
public:
    explicit LinkMatrix(std::vector<MatrixNode> nodes);

    // Ids that are not cluster nodes are ignored: a remote view may come from
    // a node whose metadata copy lags behind.
    void set(int from, int to, Link link);
    Link get(int from, int to) const;
    const std::vector<MatrixNode>& nodes() const { return nodes_; }
    bool has_node(int id) const;
    // Keeps per cell the best any view knows: one node that connected proves
    // the link works (Up over Down over Unknown), as repmgr 5's crosscheck.
    void merge(const LinkMatrix& other);
    bool any(Link link) const;

private:
    std::vector<MatrixNode> nodes_;
    std::map<std::pair<int, int>, Link> cells_;
};

// Reads "node_id,connection_status,recovery_type" lines (cluster show --csv
// --terse, repmgr 5's `cluster show --csv`) into row `from`. Lines that are not
// such numbers (log lines mixed in) are skipped. Returns the lines read.
int read_show_csv(std::string_view text, int from, LinkMatrix& matrix);

// Reads "from,to,status" lines (cluster matrix --csv). Returns the lines read.
int read_matrix_csv(std::string_view text, LinkMatrix& matrix);

// "from,to,status" per cell, rows in node order.
std::string matrix_csv(const LinkMatrix& matrix);

// The table repmgr 5 prints: Name | ID | <id> ... with a symbol per cell.
std::string matrix_table(const LinkMatrix& matrix);

}  // namespace repmgr
