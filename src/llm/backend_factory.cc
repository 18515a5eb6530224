#include "llm/backend_factory.h"

#include "llm/openai/openai_backend.h"
#include "llm/sim/sim_backend.h"

namespace teamsrl::llm {

Result<std::unique_ptr<Client>> MakeBackend(const std::string& endpoint_name,
                                            const EndpointConfig& config, uint64_t run_seed,
                                            double rate_share) {
  switch (config.backend) {
    case Backend::kSim:
      return std::unique_ptr<Client>(std::make_unique<SimBackend>(config, run_seed));
    case Backend::kOpenai: {
      OpenAiOptions options;
      // rpm/tpm are cluster-wide: every rank takes an equal share (rate_limiter.h).
      options.rank_share = rate_share;
      TEAMSRL_ASSIGN_OR_RETURN(std::unique_ptr<OpenAiBackend> backend,
                               OpenAiBackend::Create(endpoint_name, config, options));
      return std::unique_ptr<Client>(std::move(backend));
    }
  }
  return InvalidArgument("llm.endpoints." + endpoint_name + ".backend: out of range");
}

}  // namespace teamsrl::llm
