// RAII owners for libcurl handles (easy, multi, header lists) and the process-wide
// curl_global_init. Move-only; a null handle is valid and owns nothing.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace teamsrl::llm {

// Calls curl_global_init once per process (thread-safe); later calls are no-ops.
void EnsureCurlGlobalInit();

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* h) const { curl_multi_cleanup(h); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Appends `line` to `list` (which may be null); returns false on allocation failure.
bool AppendHeader(CurlSlist& list, const char* line);

}  // namespace teamsrl::llm
