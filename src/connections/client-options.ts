// A resolved connection as the options of the provider client that speaks to it: one place that
// carries every setting (TLS, pin, HTTP switch, deadline) into the transport.
import type { DcsClientOptions } from "../providers/dcs/client.js";
import type { EndpointPolicy } from "../providers/endpoint-policy.js";
import type { ObshellClientOptions } from "../providers/obshell/client.js";
import type { ClientTransportOptions } from "../providers/transport.js";
import type { ResolvedDcs, ResolvedObshell } from "./resolve.js";

/** What the operator adds to every client: the policy always, the rest as it likes. */
export type SharedClientOptions = Pick<ClientTransportOptions, "retry" | "onRequest" | "maxReplyBytes"> & {
  endpointPolicy: EndpointPolicy;
};

function transport(
  connection: ResolvedObshell | ResolvedDcs,
  shared: SharedClientOptions,
): ClientTransportOptions & { endpoint: string } {
  return {
    ...shared,
    endpoint: connection.endpoint,
    timeoutMs: connection.timeoutMs,
    allowInsecureHTTP: connection.allowInsecureHTTP,
    tls: {
      ca: connection.tls.caPem,
      serverName: connection.tls.serverName,
      insecureSkipVerify: connection.tls.insecureSkipVerify,
    },
  };
}

export function obshellClientOptions(
  connection: ResolvedObshell,
  shared: SharedClientOptions,
): ObshellClientOptions {
  const { password } = connection.credentials;
  return {
    ...transport(connection, shared),
    password: () => password,
    pinnedKeySha256: connection.pinnedKeySha256,
  };
}

export function dcsClientOptions(connection: ResolvedDcs, shared: SharedClientOptions): DcsClientOptions {
  const { accessKey, secretKey } = connection.credentials;
  return {
    ...transport(connection, shared),
    projectId: connection.projectId,
    auth: { kind: "aksk", credentials: () => ({ accessKey, secretKey }) },
  };
}
