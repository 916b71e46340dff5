-- Argo CD health of a dbfleet.io set (TenantReplicaSet, RedisInstanceSet), read from its kstatus conditions.
-- Argo CD gives health scripts only its base, table and safe os libraries: nothing from string.* here.
local hs = {}
local function describe(c, fallback)
  if c == nil then return fallback end
  local reason = c.reason or fallback
  if c.message ~= nil and c.message ~= "" then return reason .. ": " .. c.message end
  return reason
end
-- Argo CD itself answers this before running the script; kept so the script stands alone.
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Pending deletion"
  return hs
end
local status = obj.status
if status == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the set"
  return hs
end
local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration ~= generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to act on generation " .. tostring(generation)
  return hs
end
local ready, reconciling, stalled
for _, c in ipairs(status.conditions) do
  if c.type == "Ready" and ready == nil then ready = c end
  if c.type == "Reconciling" and c.status == "True" and reconciling == nil then reconciling = c end
  if c.type == "Stalled" and c.status == "True" and stalled == nil then stalled = c end
end
-- Waiting for a person to approve a plan is not a failure: Suspended, as upstream checks treat a wait for a
-- human. The message says what to approve (the approve-plan action sets exactly that hash).
if stalled ~= nil and (stalled.reason == "ApprovalRequired" or stalled.reason == "ApprovalAlreadyUsed") then
  hs.status = "Suspended"
  hs.message = describe(stalled, "ApprovalRequired")
  if status.pendingApproval ~= nil and status.pendingApproval.summary ~= nil then
    hs.message = hs.message .. " (" .. status.pendingApproval.summary .. "; Argo CD action: approve-plan)"
  end
  return hs
end
if stalled ~= nil then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end
if status.phase == "Paused" or (ready ~= nil and ready.reason == "Paused") then
  hs.status = "Suspended"
  hs.message = describe(ready, "Paused")
  return hs
end
if reconciling ~= nil then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "Reconciling")
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  return hs
end
hs.status = "Progressing"
hs.message = describe(ready, "Waiting for the operator")
return hs
