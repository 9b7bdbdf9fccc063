#include <gtest/gtest.h>

#include "util/process.hpp"

TEST(ShellQuote, WrapsInSingleQuotes) { EXPECT_EQ(repmgr::shell_quote("a'b"), "'a'\\''b'"); }
