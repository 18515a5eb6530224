// Builds the Client behind one `llm.endpoints.NAME` entry.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "llm/client.h"
#include "llm/options.h"

namespace teamsrl::llm {

// "sim" -> SimBackend. "openai" -> OpenAiBackend taking `rate_share` of the endpoint's
// run-wide rpm/tpm (1 / the number of ranks: rate_limiter.h). Anything else ->
// InvalidArgument naming the endpoint and the backend.
Result<std::unique_ptr<Client>> MakeBackend(const std::string& endpoint_name,
                                            const EndpointConfig& config, uint64_t run_seed,
                                            double rate_share = 1.0);

}  // namespace teamsrl::llm
