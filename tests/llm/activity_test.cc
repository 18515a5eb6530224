#include "llm/activity.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <string>

#include "llm/router.h"

namespace teamsrl::llm {
namespace {

// Completes every request on the next Poll; requests whose step is odd fail.
class HalfFailingClient : public Client {
 public:
  void Submit(Request request) override {
    Completion c;
    c.tag = request.tag;
    c.role = request.role;
    if (request.key.step % 2 == 1) c.status = Unavailable("down");
    ready_.push_back(std::move(c));
  }
  std::vector<Completion> Poll(std::chrono::milliseconds) override {
    std::vector<Completion> out(ready_.begin(), ready_.end());
    ready_.clear();
    return out;
  }
  size_t InFlight() const override { return ready_.size(); }

 private:
  std::deque<Completion> ready_;
};

TEST(ActivityTest, RouterCountsInFlightAndFailedCalls) {
  std::map<std::string, std::unique_ptr<Client>> backends;
  backends["x"] = std::make_unique<HalfFailingClient>();
  Router router(std::move(backends), {"x", "x", "x"});
  const ActivitySnapshot before = Activity::Process().Snapshot();
  for (int i = 0; i < 5; ++i) {
    Request r;
    r.key.step = i;
    router.Submit(r);
  }
  EXPECT_EQ(Activity::Process().Snapshot().in_flight - before.in_flight, 5);
  EXPECT_EQ(router.Poll(std::chrono::milliseconds(0)).size(), 5u);
  const ActivitySnapshot after = Activity::Process().Snapshot();
  EXPECT_EQ(after.in_flight, before.in_flight);
  EXPECT_EQ(after.failed - before.failed, 2);  // steps 1 and 3
}

TEST(ActivityTest, LimitWaitAccumulatesAndIgnoresNonPositive) {
  Activity a;
  a.AddLimitWait(0.25);
  a.AddLimitWait(-1.0);
  a.AddLimitWait(0.5);
  a.Limited(+1);
  EXPECT_DOUBLE_EQ(a.Snapshot().limit_wait_s, 0.75);
  EXPECT_EQ(a.Snapshot().limited_now, 1);
  a.Limited(-1);
  EXPECT_EQ(a.Snapshot().limited_now, 0);
}

}  // namespace
}  // namespace teamsrl::llm
