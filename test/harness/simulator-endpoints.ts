// What an operator needs to reach the simulators on loopback, in a module of its own: the bench's operator
// process imports it without the rest of the harness (whose client-node the operator does not load).
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";

/** What an operator needs to reach the simulators on loopback; inline connections stay refused. */
export const simulatorEndpoints = {
  allowInlineConnections: false,
  endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
};
