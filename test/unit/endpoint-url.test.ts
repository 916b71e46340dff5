// Issue 25, L5: an endpoint whose path could change the host a client reaches is refused at the schema.
import { describe, expect, it } from "vitest";
import { httpEndpoint } from "../../src/api/common.js";

describe("httpEndpoint", () => {
  it.each([
    ["a path starting with //", "https://dcs.example//evil.example/x"],
    ["// reached through ..", "https://dcs.example/a/..//evil.example"],
    ["a backslash", "https://dcs.example\\@evil.example/"],
    ["user info", "https://evil.example@dcs.example/"],
    ["a query", "https://dcs.example/?next=//evil.example"],
    ["a fragment", "https://dcs.example/#x"],
  ])("refuses %s", (_, url) => {
    expect(httpEndpoint.safeParse(url).success, url).toBe(false);
  });

  it.each([
    "https://dcs.ap-southeast-1.myhuaweicloud.com",
    "https://dcs.example/",
    "https://dcs.example/prefix/v1",
    "http://127.0.0.1:2886",
    "https://[fd00::1]:8443/",
  ])("accepts %s", (url) => {
    expect(httpEndpoint.safeParse(url).success, url).toBe(true);
  });
});
