#include "app/progress.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
    ProgressLine line(ProgressMode::kLog, /*interval_s=*/3600.0, out);
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

TEST(ProgressLineTest, AutoIsLogWhenNotATerminal) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(ProgressLine(ProgressMode::kAuto, 10.0, out).mode(), ProgressMode::kLog);
  EXPECT_EQ(ProgressLine(ProgressMode::kLive, 10.0, out).mode(), ProgressMode::kLive);
  std::fclose(out);
}

TEST(ProgressLineTest, FitDropsLowPriorityFieldsThenCuts) {
  const std::vector<ProgressLine::Field> f = {{"quickstart 3/30 (10%)", 100},
                                              {"return 1.500", 90},
                                              {"failed 2/40", 95},
                                              {"in flight 8", 50},
                                              {"elapsed 3s", 70},
                                              {"eta 27s", 75}};
  EXPECT_EQ(ProgressLine::Fit(f, 200),
            "quickstart 3/30 (10%) | return 1.500 | failed 2/40 | in flight 8 | elapsed 3s | "
            "eta 27s");
  // 61 columns: room for 60; "in flight" (50) goes, then "elapsed" (70).
  EXPECT_EQ(ProgressLine::Fit(f, 61),
            "quickstart 3/30 (10%) | return 1.500 | failed 2/40 | eta 27s");
  // 60: "eta" (75) goes too; "failed" (95) outlasts "return" (90).
  EXPECT_EQ(ProgressLine::Fit(f, 60), "quickstart 3/30 (10%) | return 1.500 | failed 2/40");
  EXPECT_EQ(ProgressLine::Fit(f, 40), "quickstart 3/30 (10%) | failed 2/40");
  // Narrower than the first field: cut, never wrapped.
  EXPECT_EQ(ProgressLine::Fit(f, 11), "quickstart");
  // Cut at a UTF-8 boundary: "é" is one column of two bytes.
  EXPECT_EQ(ProgressLine::Fit({{"ééé", 1}}, 3), "éé");
}

// A live line: "\r\033[K" + the fitted line per redraw, no newline until Finish, and a
// log message clears the line and redraws it after.
TEST(ProgressLineTest, LiveLineRedrawsInPlaceAndStepsAsideForLogs) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    ProgressLine line(ProgressMode::kLive, 10.0, out, /*width=*/100);
    line.Start("demo", 2);
    line.Update(1, "return 0.500 | queries 10");
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // two ticks at least
    line.Update(2, "return 1.000 | queries 20");
    line.Finish("all done");
  }
  const std::string s = ReadAll(out);
  std::fclose(out);
  EXPECT_NE(s.find("\r\033[Kdemo 1/2 (50%) | return 0.500 | queries 10"), std::string::npos) << s;
  EXPECT_NE(s.find("\r\033[Kdemo 2/2 (100%) | return 1.000 | queries 20"), std::string::npos);
  // Ticks between the updates redraw the same unit.
  size_t redraws = 0;
  for (size_t p = 0; (p = s.find("demo 1/2", p)) != std::string::npos; ++p) ++redraws;
  EXPECT_GE(redraws, 3u) << s;
  // Each drawn line fits in 99 columns.
  for (size_t p = 0; (p = s.find("\033[K", p)) != std::string::npos;) {
    p += 3;
    const size_t end = s.find_first_of("\r\n", p);
    EXPECT_LE(end - p, 99u) << s.substr(p, end - p);
  }
  EXPECT_EQ(s.find('\n'), s.find("\ndemo done in ")) << "no newline before Finish: " << s;
}

// Writes each message's text to a FILE (the terminal the live line is on).
class FileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FileSink(std::FILE* f) : f_(f) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::fprintf(f_, "LOG %.*s\n", static_cast<int>(msg.payload.size()), msg.payload.data());
  }
  void flush_() override { std::fflush(f_); }

 private:
  std::FILE* f_;
};

TEST(ProgressLineTest, LogMessagesClearTheLiveLineAndRedrawIt) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    ProgressLine line(ProgressMode::kLive, 10.0, out, /*width=*/60);
    spdlog::logger logger("t", std::make_shared<FileSink>(out));
    line.WrapLogger(logger);
    line.Start("demo", 4);
    line.Update(1, "return 0.500");
    logger.warn("slow endpoint");
    line.Finish("ok");
  }
  const std::string s = ReadAll(out);
  std::fclose(out);
  const size_t log = s.find("LOG slow endpoint\n");
  ASSERT_NE(log, std::string::npos) << s;
  // Cleared right before the message, redrawn right after it.
  EXPECT_EQ(s.rfind("\r\033[K", log), log - 4) << s;
  EXPECT_EQ(s.find("\r\033[Kdemo 1/4", log), log + 18) << s;
}

}  // namespace
}  // namespace teamsrl::app
