// The endpoint policy from the flags `run` and `plan` share: one home, so `plan` never sends a credential
// where the operator would not.
import { apiServerAddresses, EndpointPolicy } from "../providers/endpoint-policy.js";
import { UsageError } from "./flags.js";

export interface EndpointFlags {
  "allowed-endpoints": string;
  "service-cidrs": string;
  "pod-cidrs": string;
}

/** The API server is never a remote: its addresses are refused unless allowlisted. */
export async function endpointPolicyOf(
  flags: EndpointFlags,
  apiServer: string | undefined,
): Promise<EndpointPolicy> {
  const addresses = apiServer ? await apiServerAddresses(apiServer).catch(() => []) : [];
  try {
    return new EndpointPolicy({
      allowedEndpoints: flags["allowed-endpoints"],
      serviceCidrs: flags["service-cidrs"],
      podCidrs: flags["pod-cidrs"],
      apiServerAddresses: addresses,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
