#include "actions/link_matrix.hpp"

#include <gtest/gtest.h>

namespace repmgr {
namespace {

LinkMatrix three() { return LinkMatrix({{1, "node1"}, {2, "node2"}, {3, "node3"}}); }

TEST(LinkMatrix, ShowCsvFillsOneRowAndSkipsLogLines) {
    LinkMatrix m = three();
    int read = read_show_csv("[2026-01-01 00:00:00] [WARNING] x\n1,0,0\n2,0,1\n3,-1,-1\n", 2, m);
    EXPECT_EQ(read, 3);
    EXPECT_EQ(m.get(2, 1), Link::Up);
    EXPECT_EQ(m.get(2, 3), Link::Down);
    EXPECT_EQ(m.get(1, 3), Link::Unknown);
}

TEST(LinkMatrix, IdsOutsideTheClusterAreIgnored) {
    LinkMatrix m = three();
    EXPECT_EQ(read_matrix_csv("1,9,0\n9,1,0\n", m), 2);
    EXPECT_FALSE(m.any(Link::Up));
}

TEST(LinkMatrix, MergeKeepsTheBestKnown) {
    // repmgr 5's example 3: node1 cannot reach node3, node2 can and asks it.
    LinkMatrix mine = three();
    read_matrix_csv("1,1,0\n1,2,0\n1,3,-1\n", mine);
    LinkMatrix theirs = three();
    read_matrix_csv("2,1,0\n2,2,0\n2,3,0\n3,1,0\n3,2,0\n3,3,0\n1,3,-1\n", theirs);
    mine.merge(theirs);
    EXPECT_EQ(mine.get(1, 3), Link::Down);
    EXPECT_EQ(mine.get(3, 1), Link::Up);
    EXPECT_FALSE(mine.any(Link::Unknown));
    LinkMatrix up = three();
    up.set(1, 3, Link::Up);
    mine.merge(up);
    EXPECT_EQ(mine.get(1, 3), Link::Up);
}

TEST(LinkMatrix, CsvRoundTripsAndTableUsesRepmgrSymbols) {
    LinkMatrix m = three();
    read_show_csv("1,0,0\n2,0,1\n3,-1,-1\n", 1, m);
    LinkMatrix back = three();
    EXPECT_EQ(read_matrix_csv(matrix_csv(m), back), 9);
    EXPECT_EQ(matrix_csv(back), matrix_csv(m));
    std::string table = matrix_table(m);
    EXPECT_NE(table.find(" node1 | 1  | * | * | x"), std::string::npos) << table;
    EXPECT_NE(table.find(" node3 | 3  | ? | ? | ?"), std::string::npos) << table;
    EXPECT_NE(table.find(" Name  | ID | 1 | 2 | 3"), std::string::npos) << table;
}

}  // namespace
}  // namespace repmgr
