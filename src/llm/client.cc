#include "llm/client.h"

#include "core/check.h"

namespace teamsrl::llm {

std::vector<Completion> RunAll(Client& client, std::vector<Request> requests) {
  const size_t n = requests.size();
  std::vector<Completion> out(n);
  std::vector<bool> done(n, false);
  for (size_t i = 0; i < n; ++i) {
    requests[i].tag = i;
    client.Submit(std::move(requests[i]));
  }
  size_t remaining = n;
  while (remaining > 0) {
    for (Completion& c : client.Poll(std::chrono::milliseconds(100))) {
      TEAMSRL_CHECK(c.tag < n && !done[c.tag]) << "unexpected completion tag " << c.tag;
      done[c.tag] = true;
      out[c.tag] = std::move(c);
      --remaining;
    }
  }
  return out;
}

}  // namespace teamsrl::llm
