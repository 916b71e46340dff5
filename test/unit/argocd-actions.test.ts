// The Argo CD resource actions (approve-plan, pause, resume), laid out as argoproj/argo-cd's
// resource_customizations/<group>/<Kind>/actions/ (discovery.lua, <action>/action.lua, action_test.yaml,
// testdata/), run case by case on Lua 5.1 with Argo CD's libraries; the argocd-cm patch carries them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { APPROVE_PLAN_ANNOTATION, PAUSED_ANNOTATION } from "../../src/api/group.js";
import { argoLuaJson } from "./argo-lua.js";

const dir = join(import.meta.dirname, "..", "..", "deploy", "argocd");
const customizations = join(dir, "resource_customizations", "dbfleet.io");
const kinds = readdirSync(customizations).sort();
const ACTIONS = ["approve-plan", "pause", "resume"];

const actionTests = z.object({
  discoveryTests: z.array(
    z.object({
      inputPath: z.string(),
      result: z.array(z.object({ name: z.string(), disabled: z.boolean() })),
    }),
  ),
  actionTests: z.array(
    z.object({ action: z.string(), inputPath: z.string(), expectedOutputPath: z.string() }),
  ),
});
const discovered = z.record(z.string(), z.object({ disabled: z.boolean() }));

describe("Argo CD resource actions (Lua 5.1)", () => {
  for (const kind of kinds) {
    const actions = join(customizations, kind, "actions");
    const read = (path: string) => readFileSync(join(actions, path), "utf8");
    const input = (path: string) => load(read(path));
    const tests = actionTests.parse(load(read("action_test.yaml")));

    it.each(tests.discoveryTests)(`${kind}: discovery on $inputPath`, ({ inputPath, result }) => {
      const found = discovered.parse(argoLuaJson(read("discovery.lua"), "discovery.lua", input(inputPath)));
      expect(
        Object.entries(found)
          .map(([name, a]) => ({ name, disabled: a.disabled }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      ).toEqual([...result].sort((a, b) => a.name.localeCompare(b.name)));
    });

    it.each(tests.actionTests)(
      `${kind}: $action on $inputPath`,
      ({ action, inputPath, expectedOutputPath }) => {
        const out = argoLuaJson(read(`${action}/action.lua`), "action.lua", input(inputPath));
        expect(out).toEqual(input(expectedOutputPath));
      },
    );

    it(`${kind}: every action is tested and every testdata file is used`, () => {
      expect(new Set(tests.actionTests.map((t) => t.action))).toEqual(new Set(ACTIONS));
      const used = new Set([
        ...tests.discoveryTests.map((t) => t.inputPath),
        ...tests.actionTests.flatMap((t) => [t.inputPath, t.expectedOutputPath]),
      ]);
      expect([...used].sort()).toEqual(
        readdirSync(join(actions, "testdata"))
          .map((f) => `testdata/${f}`)
          .sort(),
      );
    });

    it(`${kind}: approve-plan sets exactly the hash the operator asks for, and refuses when none waits`, () => {
      const waiting = input("testdata/waiting.yaml") as { status: { pendingApproval: { hash: string } } };
      const out = argoLuaJson(read("approve-plan/action.lua"), "action.lua", waiting) as {
        metadata: { annotations: Record<string, string> };
      };
      expect(out.metadata.annotations[APPROVE_PLAN_ANNOTATION]).toBe(waiting.status.pendingApproval.hash);
      expect(() =>
        argoLuaJson(read("approve-plan/action.lua"), "action.lua", input("testdata/resumed.yaml")),
      ).toThrow(/no plan waits for approval/);
    });

    it(`${kind}: pause and resume use the operator's pause annotation`, () => {
      const out = argoLuaJson(read("pause/action.lua"), "action.lua", input("testdata/resumed.yaml")) as {
        metadata: { annotations: Record<string, string> };
      };
      expect(out.metadata.annotations[PAUSED_ANNOTATION]).toBe("true");
    });
  }

  it("is one set of scripts for both kinds, and the argocd-cm patch carries them unchanged", () => {
    const scripts = (path: string) =>
      kinds.map((k) => readFileSync(join(customizations, k, "actions", path), "utf8"));
    for (const path of ["discovery.lua", ...ACTIONS.map((a) => `${a}/action.lua`)])
      expect(new Set(scripts(path)).size).toBe(1);
    const patch = z
      .object({ data: z.record(z.string(), z.string()) })
      .parse(load(readFileSync(join(dir, "argocd-cm-patch.yaml"), "utf8")));
    for (const kind of kinds) {
      const entry = z
        .object({
          "discovery.lua": z.string(),
          definitions: z.array(z.object({ name: z.string(), "action.lua": z.string() })),
        })
        .parse(load(patch.data[`resource.customizations.actions.dbfleet.io_${kind}`] ?? ""));
      const actions = join(customizations, kind, "actions");
      expect(entry["discovery.lua"]).toBe(readFileSync(join(actions, "discovery.lua"), "utf8"));
      expect(entry.definitions.map((d) => d.name)).toEqual(ACTIONS);
      for (const d of entry.definitions)
        expect(d["action.lua"]).toBe(readFileSync(join(actions, d.name, "action.lua"), "utf8"));
    }
  });
});
