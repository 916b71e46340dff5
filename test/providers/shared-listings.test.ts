import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DcsClient } from "../../src/providers/dcs/client.js";
import { SharedListings } from "../../src/reconcilers/redis/listings.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { DEMO_PROJECT, demoDcsSeed } from "../simulators/seed.js";

let sim: DcsSimulator;
beforeAll(async () => {
  sim = new DcsSimulator({ credentials: [{ accessKey: "AK", secretKey: "SK" }], projects: demoDcsSeed() });
  await sim.start();
});
afterAll(() => sim.stop());

describe("shared DCS listings", () => {
  it("serve 100 sets in one project with one paged listing per interval", async () => {
    let now = 0;
    const listings = new SharedListings(() => now);
    const client = new DcsClient({
      endpoint: sim.url,
      projectId: DEMO_PROJECT,
      auth: { kind: "aksk", credentials: () => ({ accessKey: "AK", secretKey: "SK" }) },
      pageSize: 10,
    });
    const all = await Promise.all(Array.from({ length: 100 }, () => listings.get(client, 30_000)));
    expect(new Set(all).size).toBe(1);
    expect(all[0]?.instances.length).toBe(25);
    expect(sim.log.filter((e) => e.query.includes("offset=0&")).length).toBe(1);
    now = 10_000;
    await listings.get(client, 30_000);
    expect(listings.listCalls).toBe(1);
    now = 31_000;
    await listings.get(client, 30_000);
    expect(listings.listCalls).toBe(2);
    await client.close();
  });
});
