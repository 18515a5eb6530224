#include "llm/openai/http_curl.h"

#include <mutex>

namespace teamsrl::llm {

void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool AppendHeader(CurlSlist& list, const char* line) {
  curl_slist* grown = curl_slist_append(list.get(), line);
  if (grown == nullptr) return false;
  (void)list.release();  // `grown` is the same list, now one longer
  list.reset(grown);
  return true;
}

}  // namespace teamsrl::llm
