-- Argo CD resource actions of a dbfleet.io set: approve the plan that waits, pause, resume.
-- The same libraries as health scripts (base, table, a safe os): nothing from string.* here.
local actions = {}
local annotations = (obj.metadata ~= nil and obj.metadata.annotations) or {}
local paused = annotations["dbfleet.io/paused"] == "true"
local pending = nil
if obj.status ~= nil and obj.status.pendingApproval ~= nil then pending = obj.status.pendingApproval.hash end
local waiting = pending ~= nil and pending ~= "" and annotations["dbfleet.io/approve-plan"] ~= pending
actions["approve-plan"] = { ["disabled"] = not waiting }
actions["pause"] = { ["disabled"] = paused }
actions["resume"] = { ["disabled"] = not paused }
return actions
