#include "llm/backend_factory.h"

#include "llm/sim_backend.h"

namespace teamsrl::llm {

Result<std::unique_ptr<Client>> MakeBackend(const std::string& endpoint_name,
                                            const EndpointConfig& config, uint64_t run_seed) {
  const std::string where = "llm.endpoints." + endpoint_name + ".backend";
  if (config.backend == "sim") {
    return std::unique_ptr<Client>(std::make_unique<SimBackend>(config, run_seed));
  }
  if (config.backend == "openai") {
    return FailedPrecondition(where + ": openai backend not built yet");
  }
  return InvalidArgument(where + ": unknown backend '" + config.backend + "' (valid: sim, openai)");
}

}  // namespace teamsrl::llm
