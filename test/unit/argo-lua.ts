// Argo CD's Lua for resource customizations, run on a real Lua 5.1 (Argo CD embeds gopher-lua, a Lua 5.1)
// with only the libraries Argo CD opens for health and action scripts (util/lua/lua.go: base, table, a
// safe os; no string library).
import { execFileSync } from "node:child_process";

function luaValue(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(luaValue).join(", ")}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${luaValue(v)}`)
    .join(", ")}}`;
}

/** Lua (outside the sandbox) that writes a value as JSON: a table with keys 1..n is an array. */
const TO_JSON = `
local function toJson(v)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" or t == "number" then return tostring(v) end
  if t == "string" then
    return '"' .. string.gsub(v, '[%c"\\\\]', function(c) return string.format("\\\\u%04x", string.byte(c)) end) .. '"'
  end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  if n > 0 and #v == n then
    local parts = {}
    for i = 1, n do parts[i] = toJson(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local parts = {}
  for k, x in pairs(v) do table.insert(parts, toJson(tostring(k)) .. ":" .. toJson(x)) end
  return "{" .. table.concat(parts, ",") .. "}"
end`;

/**
 * Runs `script` as Argo CD does (global `obj`, base + table + os.time/date/clock), then `epilogue`
 * with the script's value in `result` (and `toJson`); returns what the epilogue wrote.
 */
export function runArgoLua(script: string, name: string, obj: unknown, epilogue: string): string {
  const program = `
${TO_JSON}
local script = ${JSON.stringify(script)}
local env = {
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall, select = select,
  tonumber = tonumber, tostring = tostring, type = type, unpack = unpack, rawget = rawget, rawset = rawset,
  setmetatable = setmetatable, getmetatable = getmetatable,
  table = table, os = { time = os.time, date = os.date, clock = os.clock },
  obj = ${luaValue(obj)},
}
local meta = getmetatable("")
local methods = meta.__index
meta.__index = nil -- no ("x"):sub(): gopher-lua without the string library has no string methods
local fn = assert(loadstring(script, ${JSON.stringify(name)}))
setfenv(fn, env)
local result = fn()
meta.__index = methods
${epilogue}`;
  return execFileSync("lua5.1", ["-"], { input: program, encoding: "utf8" });
}

/** The JSON of what `script` returns. */
export function argoLuaJson(script: string, name: string, obj: unknown): unknown {
  return JSON.parse(runArgoLua(script, name, obj, "io.write(toJson(result))"));
}
