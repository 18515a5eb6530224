#include "app/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace teamsrl::app {
namespace {

std::string ReadAll(std::FILE* f) {
  std::rewind(f);
  std::string s;
  char buf[256];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
  return s;
}

TEST(ProgressLineTest, FormatsDurations) {
  EXPECT_EQ(ProgressLine::FormatDuration(12.4), "12s");
  EXPECT_EQ(ProgressLine::FormatDuration(185), "3m05s");
  EXPECT_EQ(ProgressLine::FormatDuration(3720), "1h02m");
  EXPECT_EQ(ProgressLine::FormatDuration(-1), "?");
}

// Not a terminal (a batch job's log): one line per interval, and always the last unit.
TEST(ProgressLineTest, LogsOncePerIntervalAndTheLastUpdateWhenNotATerminal) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    ProgressLine line(/*interval_s=*/3600.0, out);
    line.Start("train demo", 4);
    line.Update(1, "return 0.500");  // first: printed
    line.Update(2, "return 0.750");  // within the interval: not
    line.Update(4, "return 1.000");  // the last unit: printed
    line.Finish("done detail");
  }
  const std::string s = ReadAll(out);
  std::fclose(out);
  EXPECT_NE(s.find("train demo 1/4 (25%) | return 0.500"), std::string::npos) << s;
  EXPECT_EQ(s.find("return 0.750"), std::string::npos) << s;
  EXPECT_NE(s.find("train demo 4/4 (100%) | return 1.000"), std::string::npos) << s;
  EXPECT_NE(s.find("train demo done in "), std::string::npos) << s;
  EXPECT_NE(s.find("| done detail\n"), std::string::npos) << s;
}

}  // namespace
}  // namespace teamsrl::app
