// endpointKey groups the sets acting on one remote: two spellings of one remote share a key, and two
// remotes that differ only by a port that is the default for one scheme and not the other never do
// (merging them would call two unrelated sets peers, and stall both as contested).
import { describe, expect, it } from "vitest";
import { endpointKey } from "../../src/reconcilers/fleet-view.js";

describe("endpointKey: a scheme's default port is filled in for that scheme only", () => {
  it.each([
    ["http://agent", "http://agent:80"],
    ["https://agent", "https://agent:443"],
    ["https://AGENT.example:443/", "https://agent.example"],
  ])("%s and %s are one remote", (a, b) => {
    expect(endpointKey(a)).toBe(endpointKey(b));
  });

  it.each([
    ["http://agent", "http://agent:443"],
    ["https://agent", "https://agent:80"],
    ["http://agent", "https://agent"],
  ])("%s and %s are two remotes", (a, b) => {
    expect(endpointKey(a)).not.toBe(endpointKey(b));
  });
});
