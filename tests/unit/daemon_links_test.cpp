// The monitoring links: a step that needs a link opened earlier in the tick
// gets an error, not a null connection, once the link was dropped meanwhile
// (a frozen primary: its pause-flag query timed out and dropped the primary
// link, which on a primary is the local one; the next step then crashed).
#include <gtest/gtest.h>

#include "daemon/observe/links.hpp"

using namespace repmgr;
using namespace repmgr::repmgrd;

TEST(Links, ADroppedLinkIsAnErrorNotANullConnection) {
    ServerLinks links;
    links.primary_via = ServerLinks::PrimaryVia::Local;
    EXPECT_EQ(links.local.current(), nullptr);
    links.drop_primary("no answer from the server within 2500 ms");
    EXPECT_EQ(links.primary_via, ServerLinks::PrimaryVia::None);
    try {
        links.local.require();
        FAIL() << "require() on a dropped link returned";
    } catch (const DbError& e) {
        EXPECT_EQ(e.code(), ExitCode::DbConnection);
        EXPECT_EQ(e.detail(), "no answer from the server within 2500 ms");
    }
}
