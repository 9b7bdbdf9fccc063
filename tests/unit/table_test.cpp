// Table and CSV rendering for cluster show / cluster event.
#include <gtest/gtest.h>

#include "util/table.hpp"

namespace repmgr {
namespace {

TEST(Table, ColumnsAreAlignedUnderARule) {
    std::string out = render_table({"ID", "Name", "Status"},
                                   {{"1", "node1", "* running"}, {"10", "n2", "? unreachable"}});
    EXPECT_EQ(out,
              " ID | Name  | Status\n"
              "----+-------+---------------\n"
              " 1  | node1 | * running\n"
              " 10 | n2    | ? unreachable\n");
}

TEST(Table, EmptyTableHasHeaderAndRule) {
    EXPECT_EQ(render_table({"A", "Bee"}, {}), " A | Bee\n---+-----\n");
}

TEST(Table, ShortRowsArePadded) {
    EXPECT_EQ(render_table({"A", "B"}, {{"x"}}), " A | B\n---+---\n x | \n");
}

TEST(Csv, PlainFieldsAreNotQuoted) {
    EXPECT_EQ(render_csv({"id", "name"}, {{"1", "node1"}}), "id,name\n1,node1\n");
}

TEST(Csv, FieldsWithCommasQuotesOrNewlinesAreQuoted) {
    EXPECT_EQ(render_csv({"name"}, {{"a,b"}, {"say \"hi\""}, {"two\nlines"}, {"it's; x"}}),
              "name\n\"a,b\"\n\"say \"\"hi\"\"\"\n\"two\nlines\"\nit's; x\n");
}

}  // namespace
}  // namespace repmgr
